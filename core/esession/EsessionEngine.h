#pragma once

#include <QDomElement>
#include <QHash>
#include <QList>
#include <QString>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <variant>

#include "EsessionHandshake.h"

namespace Esession {

class RetainedSecretStore;

/// The time the engine is told (it never reads a clock): any monotonic clock, as long as one engine is always
/// given the same one.
using EngineClock = std::chrono::steady_clock;
using EngineTime = EngineClock::time_point;

/// How long a negotiation may take, from message 1 sent or received to its end, before it is abandoned and its
/// secrets wiped. XEP-0155/0116 set no limit; a minute covers a slow key generation and a user who has to decide.
inline constexpr std::chrono::milliseconds DefaultNegotiationTimeout = std::chrono::seconds(60);

/// A negotiation's event, with the conversation it belongs to.
struct EngineEvent
{
    QString peer; ///< the peer's JID as the handshake knows it (bare for our requests until the answer, full otherwise)
    QString thread;
    EsessionEvent event;
};

struct EngineOutput
{
    bool consumed = false; ///< handleMessage(): the message belonged to a negotiation
    QList<QDomElement> stanzas;
    QList<QDomDocument> documents; ///< keeps the stanzas' documents alive
    QList<EngineEvent> events;
};

/// Every ESession negotiation of one account, keyed by (peer's bare JID, thread), and their clock: the table the
/// QXmpp glue used to keep, with deadlines in the manner of quinn-proto (deadline() says when the engine must be
/// woken, handleTimeout(now) abandons what ran out of time). Sans-I/O: elements in, stanzas and events out.
class EsessionEngine
{
public:
    /// The rules for a contact (bare JID); nullopt: no encrypted sessions with that contact.
    using PolicyFunction = std::function<std::optional<EsessionPolicy>(const QString &bareJid)>;

    EsessionEngine() = default;
    EsessionEngine(const EsessionEngine &) = delete;
    EsessionEngine &operator=(const EsessionEngine &) = delete;

    /// Not owned; without a store nothing is negotiated or accepted (a missing secret would look like an attack).
    void setRetainedSecretStore(RetainedSecretStore *store) { m_store = store; }
    RetainedSecretStore *retainedSecretStore() const { return m_store; }
    void setPolicyFunction(PolicyFunction function) { m_policy = std::move(function); }
    std::optional<EsessionPolicy> policy(const QString &bareJid) const;
    void setNegotiationTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    std::chrono::milliseconds negotiationTimeout() const { return m_timeout; }

    /// Starts a negotiation with @p peerJid (bare or full) in @p thread: message 1. Nullopt when there is no store,
    /// the policy refuses, or the thread already had a negotiation.
    std::optional<EngineOutput> negotiate(const QString &peerJid, const QString &thread, EngineTime now);
    /// A request that waits for the user (SsnRequested): answer it, or say no. Nullopt when there is none.
    std::optional<EngineOutput> accept(const QString &peerBareJid, const QString &thread, EngineTime now);
    std::optional<EngineOutput> decline(const QString &peerBareJid, const QString &thread, EngineTime now);

    /// A message that may belong to a negotiation (XEP-0155 messages, XEP-0116 message 4, their errors). A new
    /// ESession request from a peer the policy allows opens a responder; anything else unknown is left alone
    /// (consumed = false).
    EngineOutput handleMessage(const QDomElement &message, EngineTime now);

    /// When handleTimeout() must be called next: the earliest deadline of a negotiation under way; nullopt when
    /// none is under way.
    std::optional<EngineTime> deadline() const;
    /// Abandons every negotiation whose time ran out (its secrets wiped, an EsessionFailed with
    /// EsessionFailure::Abandoned for each).
    EngineOutput handleTimeout(EngineTime now);
    /// Abandons every negotiation under way (going offline).
    EngineOutput abandonAll();

    /// Whether a negotiation in @p thread is under way (sent or received, not finished).
    bool isNegotiating(const QString &peerBareJid, const QString &thread) const;
    /// Whether a negotiation ever ran in @p thread (a thread is used for one negotiation only).
    bool hasNegotiated(const QString &peerBareJid, const QString &thread) const;
    /// Whether any negotiation holds a secret (DH keys, nonces, keys, forms).
    bool holdsSecrets() const;
    /// Negotiations under way.
    int pendingCount() const;

private:
    struct Entry
    {
        std::unique_ptr<EsessionHandshake> handshake;
        EngineTime deadline;
    };

    static QString key(const QString &bareJid, const QString &thread);
    static bool isUnderWay(const EsessionHandshake &handshake);
    void take(EsessionHandshake &handshake, EsessionOutput &&output, EngineOutput &out) const;

    std::map<QString, Entry> m_entries;
    RetainedSecretStore *m_store = nullptr;
    PolicyFunction m_policy;
    std::chrono::milliseconds m_timeout = DefaultNegotiationTimeout;
};

} // namespace Esession
