#pragma once

#include <QDomElement>
#include <QHash>
#include <QList>
#include <QSet>
#include <QString>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <variant>

#include "EsessionChannel.h"
#include "EsessionHandshake.h"
#include "RandomSource.h"

namespace Esession {

class RetainedSecretStore;

/// The time the engine is told (it never reads a clock): any monotonic clock, as long as one engine is always
/// given the same one.
using EngineClock = std::chrono::steady_clock;
using EngineTime = EngineClock::time_point;

/// How long a negotiation may take, from message 1 sent or received to its end, before it is abandoned and its
/// secrets wiped. XEP-0155/0116 set no limit; a minute covers a slow key generation and a user who has to decide.
inline constexpr std::chrono::milliseconds DefaultNegotiationTimeout = std::chrono::seconds(60);

/// Limits on what others can make the engine keep (see EsessionEngine).
namespace EngineLimits {
/// Longest thread id a request may open a negotiation in (XEP-0201 ids are a few dozen characters).
inline constexpr qsizetype MaxThreadLength = 256;
/// Requests waiting for an answer (ours or the user's) at once, from one contact and from everyone.
inline constexpr int MaxPendingPerContact = 4;
inline constexpr int MaxPending = 64;
/// Live sessions active at once with one contact (all resources) and with one resource of it (two covers both
/// sides starting a session at the same moment): a newer one terminates the oldest.
inline constexpr int MaxActivePerContact = 4;
inline constexpr int MaxActivePerResource = 2;
/// Ended sessions kept per contact (they refuse what would otherwise go out in plaintext on their thread or
/// resource); the oldest go first.
inline constexpr int MaxEndedPerContact = 8;
/// Threads remembered as used (a thread carries one negotiation, for ever): the oldest are forgotten first.
inline constexpr int MaxRememberedThreads = 4096;
} // namespace EngineLimits

/// A negotiation's event, with the conversation it belongs to.
struct EngineEvent
{
    QString peer; ///< the peer's JID as the handshake knows it (bare for our requests until the answer, full otherwise)
    QString thread;
    EsessionEvent event;
};

/// A live session that ended in this call.
struct ChannelEnded
{
    QString peer; ///< the full JID the session was bound to
    QString thread;
    QString code; ///< ChannelEnd
    bool orderly = false;
};

struct EngineOutput
{
    bool consumed = false; ///< handleMessage(), handleNotAcceptable(): the stanza was the engine's
    QList<QDomElement> stanzas; ///< to send as they are
    QList<QDomDocument> documents; ///< keeps the stanzas' documents alive
    QList<EngineEvent> events;
    QList<ChannelEnded> ended;
    /// openStanza(): the opened stanza for the client (null when there is none: an error, or a terminate form or
    /// its acknowledgement, which the engine handled); sealStanza(): the sealed stanza.
    QDomElement stanza;
    QString error; ///< sealStanza()/openStanza(): why nothing went through (FailureCode)
};

/// Every ESession of one account, keyed by (peer's bare JID as XMPP compares it, thread): the negotiations
/// (EsessionHandshake) and the live sessions they produce (EsessionChannel), and their clock, with deadlines in the
/// manner of quinn-proto: deadline() says when the engine must be woken, handleTimeout(now) abandons negotiations
/// that ran out of time and destroys the keys of terminations never acknowledged. Sans-I/O: elements in, stanzas and
/// events out; randomness from an injected RandomSource.
///
/// A thread carries one negotiation and at most one live session, for ever: what ended is not reopened there.
/// Finished negotiations are dropped once nothing can still concern them (only the thread's name is kept), and an
/// ended session once a newer one with the same contact starts.
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
    /// How long our terminate form waits for its acknowledgement before the keys go anyway.
    void setTerminationTimeout(std::chrono::milliseconds timeout) { m_terminationTimeout = timeout; }
    /// Not owned; default systemRandom(). Used by every negotiation started after the call.
    void setRandomSource(RandomSource &source) { m_random = &source; }
    /// Re-key on our own after this many stanzas sent with one key (0: only on request), in every session.
    void setRekeyInterval(int stanzas);

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

    /// When handleTimeout() must be called next: the earliest deadline of a negotiation under way or of a
    /// termination waiting for its acknowledgement; nullopt when there is none.
    std::optional<EngineTime> deadline() const;
    /// Abandons every negotiation whose time ran out (its secrets wiped, an EsessionFailed with
    /// EsessionFailure::Abandoned for each) and ends every termination not acknowledged in time
    /// (ChannelEnd::Unacknowledged).
    EngineOutput handleTimeout(EngineTime now);
    /// Abandons every negotiation under way (going offline).
    EngineOutput abandonAll();

    // Live sessions.

    /// Starts a live session with @p parameters (what an established negotiation does itself; tests and tools call
    /// it directly). Nullopt when the thread already has an active session with that contact; an ended one there
    /// is replaced. Over the limits of active sessions (EngineLimits), the oldest one with that resource (or
    /// contact) is terminated: its terminate form is in the output.
    std::optional<EngineOutput> startChannel(const QString &peerFullJid, const QString &thread,
                                             CipherParameters parameters, EngineTime now);
    /// The session in @p thread with @p peerJid: bare (any resource) or full (that resource only); active or
    /// ended; null when the thread never had one.
    EsessionChannel *channel(const QString &peerJid, const QString &thread) const;
    /// The session a thread-less stanza (presence, iq) with @p peerFullJid belongs to: the only active one with
    /// that resource; else, when none is active, the latest one that is ending or ended (it refuses to seal, so that
    /// nothing leaves in plaintext for lack of a session); null when there are several active ones (ambiguous: see
    /// hasSessionsWith()) or none at all. A resource-less JID has none.
    EsessionChannel *channelForResource(const QString &peerFullJid) const;
    /// Whether any session, in any state, was kept with @p peerFullJid: a thread-less stanza to it must not go in
    /// plaintext even when channelForResource() cannot say which session it belongs to.
    bool hasSessionsWith(const QString &peerFullJid) const;
    /// Seals @p stanza in @p channel's session (output.stanza, or output.error); a cipher that refuses to go on
    /// ends the session (output.ended).
    EngineOutput sealStanza(EsessionChannel &channel, const QDomElement &stanza);
    /// A <message/>, <presence/> or <iq/> holding a <c/> from the network. Opened by its session (messages by
    /// sender and thread, the others by sender), the result in output.stanza; a terminate form or its
    /// acknowledgement is handled here. What does not open ends its session, and the sender is answered
    /// not-acceptable (XEP-0200) when this thread had a session or a negotiation with it: its side ends too. A
    /// stranger's <c/> for a thread never negotiated gets no answer (no presence leak). output.error says why
    /// nothing opened.
    EngineOutput openStanza(const QDomElement &stanza, EngineTime now);
    /// An error stanza (type error, no <c/>): when it is a not-acceptable in a thread with a live session, that
    /// session ends (ChannelEnd::OutOfStep) and output.consumed is set.
    EngineOutput handleNotAcceptable(const QDomElement &error);
    /// Ends the session the ESession way (an encrypted terminate form; the keys go on the acknowledgement or
    /// after the termination time-out). Nullopt when there is no active session there.
    std::optional<EngineOutput> terminate(const QString &peerJid, const QString &thread, EngineTime now);
    /// Ends a live session here, at once (keys wiped), with @p code (ChannelEnd). Nullopt when there is none
    /// active or terminating.
    std::optional<EngineOutput> endChannel(const QString &peerJid, const QString &thread, const QString &code,
                                           bool orderly = false);
    /// Ends every live session with @p peerFullJid (that resource went offline).
    EngineOutput endChannelsOf(const QString &peerFullJid, const QString &code);
    /// Going offline: with @p canSend a terminate form for every active session, then every key destroyed at once
    /// (ChannelEnd::Offline), without waiting for acknowledgements; negotiations under way are abandoned.
    EngineOutput closeAll(bool canSend);
    /// The SAS of the last session negotiated with @p peerJid's account (empty when none, or no SAS).
    QString lastSas(const QString &peerJid) const;
    /// The user compared @p sas with the contact: when it is the last session's SAS, the retained secret that
    /// session left is marked verified in the store. False (and nothing changes) otherwise.
    [[nodiscard]] bool verifySas(const QString &peerJid, const QString &sas);
    /// Live sessions, active or ended (for the glue's look-ups by resource).
    QList<const EsessionChannel *> channels() const;

    /// Whether a negotiation in @p thread is under way (sent or received, not finished).
    bool isNegotiating(const QString &peerBareJid, const QString &thread) const;
    /// Whether @p thread is in use or was used: a negotiation runs there, we sent a negotiation message there, or
    /// it carried a session (a thread is used for one negotiation only). A request we never answered does not
    /// count once it is gone.
    bool hasNegotiated(const QString &peerBareJid, const QString &thread) const;
    /// Whether any negotiation or live session holds a secret (DH keys, nonces, session keys, forms).
    bool holdsSecrets() const;
    /// Whether any negotiation (not counting live sessions) holds a secret.
    bool negotiationsHoldSecrets() const;
    /// Negotiations under way.
    int pendingCount() const;
    /// Negotiations kept (under way, or finished but still able to hear of a refusal), for tests of the pruning.
    int keptNegotiations() const { return int(m_entries.size()); }
    /// Live sessions kept, active or ended.
    int keptChannels() const { return int(m_channels.size()); }

private:
    struct Entry
    {
        std::unique_ptr<EsessionHandshake> handshake;
        EngineTime deadline; ///< under way: abandoned then; established: dropped then at the latest
    };

    static QString key(const QString &bareJid, const QString &thread);
    static bool isUnderWay(const EsessionHandshake &handshake);
    std::unique_ptr<EsessionHandshake> makeHandshake(const QString &peerJid, const QString &thread, EsessionRole role,
                                                     const EsessionPolicy &rules) const;
    void take(EsessionHandshake &handshake, EsessionOutput &&output, EngineOutput &out, EngineTime now);
    bool openChannel(const QString &peerFullJid, const QString &thread, CipherParameters parameters, EngineTime now,
                     EngineOutput &out);
    /// We spoke in @p name's thread: from now on it counts as used, and a <c/> there may be answered.
    void remember(const QString &name);
    int activeChannels(const QString &peerJid, bool sameResourceOnly) const;
    int pendingResponders(const QString &bareJid) const;
    void take(EsessionChannel &channel, ChannelResult &&result, EngineOutput &out) const;
    /// Drops what can no longer matter: failed negotiations, established ones whose session proved itself, ended
    /// or outlived the negotiation time-out.
    void prune(EngineTime now);

    struct ChannelEntry
    {
        std::unique_ptr<EsessionChannel> channel;
        quint64 serial; ///< start order
    };

    /// What the last negotiation with a contact (normalizedBareJid()) left for the SAS comparison.
    struct LastSession
    {
        QString sas;
        QByteArray newRetainedSecret; ///< the secret to mark verified (it is in the store too)
    };

    std::map<QString, Entry> m_entries;
    QHash<QString, LastSession> m_lastSessions;
    /// Threads (key()) where we sent a negotiation message or had a session, oldest first; kept after their
    /// entries go, up to EngineLimits::MaxRememberedThreads.
    QSet<QString> m_spoke;
    QList<QString> m_spokeOrder;
    std::map<QString, ChannelEntry> m_channels;
    quint64 m_nextSerial = 0;
    RetainedSecretStore *m_store = nullptr;
    RandomSource *m_random = &systemRandom();
    PolicyFunction m_policy;
    std::chrono::milliseconds m_timeout = DefaultNegotiationTimeout;
    std::chrono::milliseconds m_terminationTimeout = EsessionChannel::DefaultTerminationTimeout;
    int m_rekeyInterval = 0;
};

} // namespace Esession
