#pragma once

#include <QHash>
#include <QObject>

#include <optional>

#include "storage/MessageStore.h"

class Account;
class ContactSettings;
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

    /// Stores @p body and sends it in the contact's current conversation. With the contact's policy
    /// "always" and no encrypted session yet, the message waits (never in plaintext) while one is
    /// negotiated; once a negotiation has failed, nothing more is accepted: nullopt, and lastError()
    /// says why (the caller keeps the draft).
    std::optional<StoredMessage> send(const QString &peerBareJid, const QString &body);
    /// Why the last send() returned nullopt.
    QString lastError() const { return m_lastError; }

    /// Per-contact encrypted-session policy (not owned; without it every contact is "ask").
    void setContactSettings(ContactSettings *settings);

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
    ContactSettings *m_settings = nullptr;
    QString m_lastError;
    QHash<QString, QString> m_blocked; ///< contact -> why its "always" negotiation failed
    MessageStore *m_store;
    SessionManager *m_sessions;
    Outbox *m_outbox;
};
