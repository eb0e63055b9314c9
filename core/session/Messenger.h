#pragma once

#include <QObject>

#include <optional>

#include "storage/MessageStore.h"

class Account;
class Outbox;
class SessionManager;
class QXmppMessage;

/// The chat service both front ends use: incoming messages are routed to their XEP-0201 session and
/// stored once; outgoing ones go through the durable outbox in the contact's current session.
class Messenger : public QObject
{
    Q_OBJECT

public:
    Messenger(Account *account, MessageStore *store, QObject *parent = nullptr);
    ~Messenger() override;

    std::optional<StoredMessage> send(const QString &peerBareJid, const QString &body);

    Account *account() const { return m_account; }
    MessageStore *store() const { return m_store; }
    SessionManager *sessions() const { return m_sessions; }
    Outbox *outbox() const { return m_outbox; }

Q_SIGNALS:
    /// A new (not duplicate) incoming chat message, already stored. Encrypted content that could not
    /// be opened arrives here too, as state Undecryptable with the reason as its body.
    void messageReceived(const StoredMessage &message);

private:
    void onMessage(const QXmppMessage &message);
    void onUndecryptable(const QString &from, const QString &thread, const QString &stanzaId, const QString &reason);

    Account *m_account;
    MessageStore *m_store;
    SessionManager *m_sessions;
    Outbox *m_outbox;
};
