#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <QXmppClientExtension.h>
#include <QXmppE2eeExtension.h>

#include <functional>
#include <memory>
#include <optional>

#include "esession/EsessionEngine.h"
#include "esession/EsessionHandshake.h"
#include "esession/StanzaCipher.h"

class QXmppPresence;
class SsnHandler;

/// The only glue between QXmpp and the ESession engine. Installed with
/// QXmppClient::setEncryptionExtension: QXmpp hands it the messages and iqs it sends with
/// sendSensitive(); presence goes through sendPresence() (QXmpp has no hook for presence).
/// Incoming stanzas holding a <c/> are caught here from the raw stream, opened by the engine and
/// injected back into QXmpp with E2EE metadata, so that replies (receipts, iq results) go out
/// encrypted too. A <c/> that cannot be opened never reaches the rest of the client as a plaintext
/// message: it becomes an `undecryptable` event with a stable code (Esession::FailureCode).
///
/// Sessions are keyed by the peer's full JID and the XEP-0201 thread id. They come from a negotiation
/// (XEP-0217/0116, Esession::EsessionHandshake: negotiate(), or a contact's request) or, in tests, from
/// startSession() with given parameters.
class EsessionExtension : public QXmppClientExtension, public QXmppE2eeExtension
{
    Q_OBJECT

public:
    enum class SessionState { None, Active, Ended };
    Q_ENUM(SessionState)

    // Why a session ended (sessionEnded's code): the engine's stable codes (Esession::ChannelEnd), for the layers
    // above to decide and word.
    static inline const QString EndedByUs = Esession::ChannelEnd::ByUs; ///< our terminate, acknowledged
    static inline const QString EndedOffline = Esession::ChannelEnd::Offline; ///< closeAll(): we went offline
    /// Our terminate was never acknowledged in time: the keys were destroyed anyway.
    static inline const QString EndedUnacknowledged = Esession::ChannelEnd::Unacknowledged;
    static inline const QString EndedByContact = Esession::ChannelEnd::ByContact; ///< the contact's terminate
    static inline const QString EndedLocally = Esession::ChannelEnd::Locally; ///< endSession() (e.g. codes differ)
    static inline const QString OutOfStep = Esession::ChannelEnd::OutOfStep; ///< the contact could not open a stanza
    static inline const QString OpenFailed = Esession::ChannelEnd::OpenFailed; ///< we could not open a stanza
    static inline const QString SendFailed = Esession::ChannelEnd::SendFailed; ///< the cipher refused to go on sending
    /// The contact refused the end of the negotiation after our side had its keys (XEP-0116 message 4 refused).
    static inline const QString RefusedAfterEstablishment = Esession::ChannelEnd::RefusedAfterEstablishment;
    /// The contact's client (the resource the session is bound to) went offline.
    static inline const QString ContactOffline = Esession::ChannelEnd::ContactOffline;
    // negotiationFailed's codes besides the engine's details.
    static inline const QString NegotiationTimeout = QStringLiteral("timeout"); ///< not finished in time
    static inline const QString NegotiationAbandoned = QStringLiteral("offline"); ///< we went offline meanwhile
    /// Every code above (for the front ends' wording tables and their tests).
    static QStringList codes()
    {
        return {EndedByUs, EndedOffline, EndedUnacknowledged, EndedByContact, EndedLocally, OutOfStep, OpenFailed,
                SendFailed, RefusedAfterEstablishment, ContactOffline, NegotiationTimeout, NegotiationAbandoned};
    }

    EsessionExtension();
    ~EsessionExtension() override;

    /// Starts an encrypted session with @p peerFullJid in @p thread with negotiated parameters.
    void startSession(const QString &peerFullJid, const QString &thread, Esession::CipherParameters parameters);
    /// Ends the session (keys wiped). Later sends in that thread fail instead of going out in plaintext.
    void endSession(const QString &peerFullJid, const QString &thread);
    SessionState sessionState(const QString &peerJid, const QString &thread) const;
    /// The full JID of the session in @p thread with @p peerJid (bare or full): an active one if there
    /// is one, else an ended one; empty when the thread never had a session.
    QString sessionPeer(const QString &peerJid, const QString &thread) const;
    /// The session of a thread-less stanza (presence, iq) with @p peerFullJid: the only one with that
    /// resource, or none when there are several or none.
    SessionState resourceSessionState(const QString &peerFullJid) const;

    /// Asks for a re-key in the session (XEP-0200): the next stanza carries a new DH value. False when
    /// there is no active session there or it was negotiated without re-keying.
    bool requestRekey(const QString &peerJid, const QString &thread);
    /// Re-key automatically after this many stanzas sent with one key (0: only on request).
    void setRekeyInterval(int stanzas) { m_engine.setRekeyInterval(stanzas); }

    /// The XEP-0155 stanza session negotiations of this account (advertised in disco, answered here).
    SsnHandler *stanzaSessions() const { return m_ssn; }

    /// Where retained secrets live (not owned). Without a store no ESession is negotiated or accepted:
    /// a missing secret would look like an identity change.
    void setRetainedSecretStore(Esession::RetainedSecretStore *store) { m_engine.setRetainedSecretStore(store); }
    Esession::RetainedSecretStore *retainedSecretStore() const { return m_engine.retainedSecretStore(); }
    /// The negotiation rules for a contact (bare JID); nullopt: this contact gets no encrypted sessions
    /// (policy "off"), its requests are refused like any unsupported one.
    using HandshakePolicyFunction = std::function<std::optional<Esession::EsessionPolicy>(const QString &bareJid)>;
    void setHandshakePolicyFunction(HandshakePolicyFunction function) { m_engine.setPolicyFunction(std::move(function)); }
    /// The rules the next negotiation with @p bareJid would follow (what negotiate() offers).
    std::optional<Esession::EsessionPolicy> handshakePolicy(const QString &bareJid) const
    {
        return m_engine.policy(bareJid);
    }
    /// How long a negotiation may take before it is abandoned (default: a minute).
    void setNegotiationTimeout(std::chrono::milliseconds timeout);
    /// The negotiations and live sessions, for tests that look at what they hold.
    const Esession::EsessionEngine &engine() const { return m_engine; }
    /// Where the engine draws nonces and other random values (not owned; default: the crypto provider).
    void setRandomSource(Esession::RandomSource &source) { m_engine.setRandomSource(source); }

    /// Starts an ESession negotiation with @p peerJid (bare or full) in @p thread. False when there is no
    /// store, the policy refuses, or the thread already had a negotiation.
    bool negotiate(const QString &peerJid, const QString &thread);
    /// Answers a contact's request that waits for the user (negotiationRequested).
    bool acceptNegotiation(const QString &peerBareJid, const QString &thread);
    bool declineNegotiation(const QString &peerBareJid, const QString &thread);
    /// Whether a negotiation in @p thread is under way (sent or received, not finished).
    bool isNegotiating(const QString &peerBareJid, const QString &thread) const;
    /// The SAS of the last session negotiated with the contact (empty when none).
    QString lastSas(const QString &peerBareJid) const;
    /// The user compared @p sas with the contact: when it is the last session's SAS, that session's
    /// retained secret is marked verified. False (and nothing changes) otherwise.
    [[nodiscard]] bool verifySas(const QString &peerBareJid, const QString &sas);
    /// Ends an active session the ESession way (XEP-0217/0116): an encrypted terminate form, then the
    /// keys are destroyed. The contact's encrypted acknowledgement is checked when it arrives.
    bool terminateSession(const QString &peerJid, const QString &thread);
    /// Whether the session in @p thread ended by a terminate form (ours or the contact's), not a failure.
    bool endedOrderly(const QString &peerJid, const QString &thread) const;
    /// Going offline (log out, quit, a CLI command that is done): every active session is terminated the
    /// ESession way (XEP-0116/0217 §terminate), then every key is destroyed at once, without waiting for the
    /// acknowledgements that would arrive after we left; negotiations under way are abandoned. Returns how many
    /// sessions were told.
    int closeAll();
    /// Whether any live session or negotiation still holds a key.
    bool holdsKeys() const;
    /// How long a terminated session waits for the contact's acknowledgement before its keys go anyway.
    void setTerminationTimeout(std::chrono::milliseconds timeout) { m_engine.setTerminationTimeout(timeout); }

    /// Sends presence to @p presence.to(), encrypted when a session with that resource is active.
    QXmppTask<QXmpp::SendResult> sendPresence(QXmppPresence &&presence);

    // QXmppE2eeExtension
    QXmppTask<MessageEncryptResult> encryptMessage(QXmppMessage &&message,
                                                   const std::optional<QXmppSendStanzaParams> &params) override;
    QXmppTask<MessageDecryptResult> decryptMessage(QXmppMessage &&message) override;
    QXmppTask<IqEncryptResult> encryptIq(QXmppIq &&iq, const std::optional<QXmppSendStanzaParams> &params) override;
    QXmppTask<IqDecryptResult> decryptIq(const QDomElement &element) override;
    bool isEncrypted(const QDomElement &element) override;
    bool isEncrypted(const QXmppMessage &message) override;

    // QXmppClientExtension
    bool handleStanza(const QDomElement &element) override;
    void onRegistered(QXmppClient *client) override;
    QStringList discoveryFeatures() const override;

Q_SIGNALS:
    /// A negotiation completed and its session started. @p verified: the retained secret it used had been
    /// confirmed by SAS; @p identityChanged: a secret was expected and none matched (warn the user);
    /// @p formerJid: the secret that matched was kept for this other bare JID and now belongs to the peer's
    /// (XEP-0116's search across all JIDs), empty otherwise; @p sasAlgorithm: how @p sas was computed (the
    /// committed code, or the weaker sas28x5 of other ESession clients), nullopt when there is no SAS.
    void esessionEstablished(const QString &peerFullJid, const QString &thread, const QString &sas, bool verified,
                             bool identityChanged, const QString &formerJid,
                             std::optional<Esession::SasAlgorithm> sasAlgorithm);
    /// @p code: the engine's stable code for what failed (EsessionFailed::detail, e.g. "sas28x5-not-allowed"), or
    /// NegotiationTimeout / NegotiationAbandoned; never a value, never empty. The front ends word it.
    void negotiationFailed(const QString &peerJid, const QString &thread, const QString &code);
    /// For the store's bookkeeping only (SqlRetainedSecretStore::recordSas): never log @p secret.
    void retainedSecretCreated(const QString &peerBareJid, const QByteArray &secret, const QString &sas);
    /// A contact asks for an encrypted session and the policy wants the user to decide.
    void negotiationRequested(const QString &peerJid, const QString &thread);
    void sessionStarted(const QString &peerFullJid, const QString &thread);
    /// @p code is one of the stable codes above (EndedByUs, OutOfStep, ...).
    void sessionEnded(const QString &peerFullJid, const QString &thread, const QString &code);
    /// A stanza with encrypted content that could not be opened; shown to the user, never dropped. @p code: one of
    /// Esession::FailureCode::undecryptableCodes().
    void undecryptable(const QString &from, const QString &thread, const QString &stanzaId, const QString &code);
    /// A presence that arrived encrypted, opened.
    void presenceDecrypted(const QXmppPresence &presence);

private:
    bool handleHandshakeMessage(const QDomElement &element);
    /// Sends what the engine produced, tells what it reported, and re-arms the timer. @p failureCode replaces the
    /// code of the negotiation failures in @p output (abandonAll()).
    void process(const Esession::EngineOutput &output, const QString &failureCode = {});
    /// The engine's notion of now (a monotonic clock started with the extension).
    Esession::EngineTime now() const;
    /// Arms the timer at the engine's next deadline (or stops it).
    void armTimer();
    void sendRaw(const QDomElement &stanza);
    /// Seals @p stanzaXml (one stanza as QXmpp writes it) in @p channel; nullopt and @p error when refused.
    std::optional<QDomElement> seal(Esession::EsessionChannel &channel, const QByteArray &stanzaXml, QString *error);

    Esession::EsessionEngine m_engine;
    QElapsedTimer m_clock;
    QTimer m_timer; ///< fires at m_engine.deadline()
    SsnHandler *m_ssn;
};
