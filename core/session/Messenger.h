#pragma once

#include <QHash>
#include <QObject>

#include <memory>
#include <optional>

#include "storage/MessageStore.h"

class Account;
class ContactSettings;
class ConversationSecurity;
class ConversationStateStore;
class Outbox;
class SessionManager;
class QXmppMessage;

/// The chat service both front ends use: incoming messages are routed to their XEP-0201 session and
/// stored once; outgoing ones go through the durable outbox where ConversationSecurity says: plain, into the
/// contact's encrypted session, or waiting for one (never in plaintext once encryption was asked for).
/// A contact is its bare JID as XMPP compares it (Esession::normalizedBareJid()): a message or session event from any
/// spelling of it belongs to the same conversation, security state and waiting messages.
class Messenger : public QObject
{
    Q_OBJECT

public:
    /// The conversations' security states live in @p store's database, beside the history.
    Messenger(Account *account, MessageStore *store, QObject *parent = nullptr);
    ~Messenger() override;

    /// Stores @p body and sends it as ConversationSecurity decides: plain, encrypted in the contact's session,
    /// or waiting in the outbox (marked encrypted) until a session is up, a negotiation starting when one is
    /// needed. Nullopt only when the message could not be stored (lastError() says why).
    std::optional<StoredMessage> send(const QString &peerBareJid, const QString &body);
    /// The largest message body, in UTF-8 bytes as it is written in the stanza (with <, > and & escaped): with the
    /// rest of the stanza it stays under what a session encrypts (Xep0200::MaxPlaintext). A longer one is refused
    /// by send() at once: it would fail at every attempt.
    static constexpr qsizetype MaxBodyBytes = 192 * 1024;
    /// Why the last send() returned nullopt.
    QString lastError() const { return m_lastError; }

    /// Per-contact encrypted-session policy (not owned; without it every contact is "ask").
    void setContactSettings(ContactSettings *settings);

    Account *account() const { return m_account; }
    MessageStore *store() const { return m_store; }
    SessionManager *sessions() const { return m_sessions; }
    Outbox *outbox() const { return m_outbox; }
    ConversationSecurity *security() const { return m_security; }

Q_SIGNALS:
    /// A new (not duplicate) incoming chat message, already stored. Encrypted content that could not
    /// be opened arrives here too, as state Undecryptable with its code as its body.
    void messageReceived(const StoredMessage &message);

private:
    void onMessage(const QXmppMessage &message);
    /// Stores a message that could not be opened, with @p code (Esession::FailureCode) as its body: the front ends
    /// word it when they show it.
    void onUndecryptable(const QString &from, const QString &thread, const QString &stanzaId, const QString &code);

    Account *m_account;
    ContactSettings *m_settings = nullptr;
    QString m_lastError;
    MessageStore *m_store;
    SessionManager *m_sessions;
    Outbox *m_outbox;
    std::unique_ptr<ConversationStateStore> m_states;
    ConversationSecurity *m_security;
};
