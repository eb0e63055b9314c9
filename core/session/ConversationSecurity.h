#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include "storage/ConversationStateStore.h"

class Account;
class ContactSettings;
class SessionManager;

/// One security state per contact conversation, the only thing that decides what the next message the user writes
/// to a contact is: plain, encrypted in a session, or waiting. Nothing that arrives from the network can move it
/// towards plaintext: once the user asked for encryption with a contact (or the contact's policy is Always), or
/// an encrypted session with the contact was active, every message waits for encryption until the user says
/// otherwise (endEncryption(), sendUnencrypted()). The state survives reconnects and restarts (schema 8).
///
/// A contact is its bare JID as XMPP compares it (Esession::normalizedBareJid(): local part and domain without
/// case): every entry point takes any spelling, bare or full, and every signal names that normalised form.
///
/// Failure codes (failure()): a negotiation's detail from the engine (Esession::FailureCode, e.g.
/// "sas28x5-not-allowed", "identity-mac"), a code of EsessionExtension (e.g. "timeout", "ended-by-contact",
/// "out-of-step"), or CodesDiffer / CannotStart below. ui/ and the CLI word them.
class ConversationSecurity : public QObject
{
    Q_OBJECT

public:
    enum class Phase {
        Plain, ///< nothing asks for encryption: the next message goes unencrypted
        /// Encryption is wanted but no session exists and nothing failed (after a restart, a reconnect, or our own
        /// orderly end): the next message waits and starts a negotiation.
        Ready,
        Negotiating, ///< a negotiation is under way in thread(): messages wait for it
        Encrypted, ///< a session is active in thread(): messages go encrypted there
        /// Encryption is wanted and the last attempt failed or the session ended: messages wait until the user
        /// retries (or, where the policy allows, chooses to send them unencrypted). failure() says why.
        Held,
    };
    Q_ENUM(Phase)

    /// Where the next message goes.
    struct Outgoing
    {
        bool encrypted = false; ///< must leave encrypted (now or once a session is up), never in plaintext
        QString to; ///< the contact's bare JID, or the full JID the session is bound to
        QString thread;
    };

    static inline const QString CodesDiffer = QStringLiteral("codes-differ"); ///< the user said the codes differ
    static inline const QString CannotStart = QStringLiteral("cannot-start"); ///< no negotiation could be started

    ConversationSecurity(Account *account, SessionManager *sessions, ConversationStateStore *store,
                         QObject *parent = nullptr);

    /// The per-contact policy (not owned; without it every contact is "ask").
    void setContactSettings(ContactSettings *settings);

    Phase phase(const QString &peerBareJid) const;
    /// The thread of the contact's encrypted session (or the negotiation, or the last one); empty when none.
    QString thread(const QString &peerBareJid) const;
    /// Why the contact's last negotiation or session failed (a stable code); empty when nothing failed.
    QString failure(const QString &peerBareJid) const;
    /// Messages to the contact must leave encrypted (the user asked, the policy is Always, or a session was active).
    bool encryptionWanted(const QString &peerBareJid) const;
    /// Whether the user may choose plaintext now (the policy is not Always).
    bool plaintextAllowed(const QString &peerBareJid) const;

    /// The user asks for encryption (or Retry): wanted from now on, and a new negotiation in a new thread when
    /// online. False when no negotiation can start now (offline, no secret store, policy off); what the user
    /// writes still waits (Ready when offline, Held otherwise).
    bool startEncryption(const QString &peerBareJid);
    /// The user ends encryption: the session is terminated and the conversation is plain again. Refused (false)
    /// under the policy Always.
    bool endEncryption(const QString &peerBareJid);
    /// The user chooses to send what waits unencrypted (after a worded confirmation): the conversation is plain
    /// again and releasedToPlaintext() tells the outbox. Refused under Always, or while a session is active (use
    /// endEncryption()).
    bool sendUnencrypted(const QString &peerBareJid);
    /// The user compared the codes and they differ: the session ends and stays failed until Retry.
    void codesDiffer(const QString &peerBareJid);

    /// Decides where the next message to the contact goes, and starts a negotiation when one is needed and
    /// possible (Ready and online).
    Outgoing prepareOutgoing(const QString &peerBareJid);
    /// Online again: negotiations for contacts in Ready with messages waiting (@p peers) start.
    void resumeWaiting(const QStringList &peers);

Q_SIGNALS:
    /// The contact's phase, thread or failure changed.
    void changed(const QString &peerBareJid);
    /// A session is up in @p thread: what waits for encryption goes there now.
    void sessionReady(const QString &peerBareJid, const QString &thread);
    /// Encryption became wanted with the contact (the user asked, or the policy became Always): plain messages that
    /// have not left yet must wait for it too.
    void encryptionRequested(const QString &peerBareJid);
    /// The user chose plaintext: what waited for encryption goes unencrypted in @p thread.
    void releasedToPlaintext(const QString &peerBareJid, const QString &thread);

private:
    ConversationState load(const QString &bare) const;
    void save(const QString &bare, const ConversationState &state);
    bool policyAlways(const QString &bare) const;
    bool policyOff(const QString &bare) const;
    bool negotiate(const QString &bare, ConversationState &state);
    /// A thread for a plain message: the contact's current one unless an encrypted session ever used it.
    QString plainThread(const QString &bare);
    void onSessionStarted(const QString &peerFullJid, const QString &thread);
    void onSessionEnded(const QString &peerFullJid, const QString &thread, const QString &code);
    void onNegotiationFailed(const QString &peerJid, const QString &thread, const QString &code);

    Account *m_account;
    SessionManager *m_sessions;
    ConversationStateStore *m_store;
    ContactSettings *m_settings = nullptr;
    mutable QHash<QString, ConversationState> m_cache;
};
