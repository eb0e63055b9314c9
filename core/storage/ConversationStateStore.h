#pragma once

#include <QString>

#include <optional>

class Database;

/// What ConversationSecurity keeps of one contact conversation across restarts (schema 8). Nothing in it is
/// secret: which contacts the user encrypts with is as visible as the contact list itself.
struct ConversationState
{
    /// What the user writes to the contact must leave encrypted: the user asked for it, or an encrypted session
    /// with the contact was active. Only the user's explicit choice clears it.
    bool encrypt = false;
    QString thread; ///< the XEP-0201 thread of the contact's last encrypted session (or negotiation)
    /// Why the last negotiation or session failed, as a stable code (ConversationSecurity's failure codes);
    /// empty when nothing failed. While set, a new negotiation waits for the user (Retry).
    QString failure;

    friend bool operator==(const ConversationState &, const ConversationState &) = default;
};

/// One row per contact, under its bare JID as XMPP compares it (Esession::normalizedBareJid(), schema 9): every
/// spelling of the contact's JID reads and writes the same state.
class ConversationStateStore
{
public:
    explicit ConversationStateStore(Database *database);

    /// The stored state; a default (plain, nothing failed) one for a contact without a row. nullopt when the
    /// database cannot be read: the caller then assumes the cautious state.
    std::optional<ConversationState> load(const QString &peerBareJid) const;
    bool save(const QString &peerBareJid, const ConversationState &state);

private:
    Database *m_database;
};
