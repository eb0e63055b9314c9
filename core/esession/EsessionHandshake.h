#pragma once

#include <QByteArray>
#include <QDomDocument>
#include <QDomElement>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "BlockCounter.h"
#include "EsessionKeys.h"
#include "EsessionPolicy.h"
#include "RandomSource.h"
#include "SsnNegotiation.h"
#include "StanzaCipher.h"
#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"
#include "crypto/RsaKey.h"

namespace Esession {

class RetainedSecretStore;
enum class Party;
struct IdentityMacInput;
struct KeySet;
struct SealedIdentity;

// The online ESession negotiation (XEP-0116 4-message path = XEP-0217: SIGMA-R with a hash commitment, SAS and
// retained secrets; no public keys unless EsessionPolicy::identity / trustPeerKey ask for them) as a sans-I/O engine,
// one per (peer, thread). It owns the XEP-0155 negotiation of that thread and rides on its messages: request [1] =
// ESession message 1, accept [2] = message 2, completion [4] = message 3; message 4 is Bob's
// <init xmlns='...#ns-init'/>, outside XEP-0155. The XEP-0116 3-message path (SIGMA-I, opt-in through
// EsessionPolicy::allowThreeMessage) uses the same three XEP-0155 messages and no message 4: Bob proves his identity
// in message 2, Alice hers in message 3. Elements in, stanzas and events out; no sockets, no clock, no storage
// other than the RetainedSecretStore it is given.

enum class EsessionRole { Initiator, Responder };

enum class EsessionState {
    Idle,
    Requested, ///< initiator: message 1 sent, waiting for message 2
    AwaitingDecision, ///< responder: a request waits for accept() or decline() (SsnRequested)
    Responded, ///< responder: message 2 sent, waiting for message 3
    Identified, ///< initiator: message 3 sent, waiting for message 4
    Established, ///< the keys went out in EsessionEstablished; the engine holds nothing secret any more
    Failed, ///< final; everything learnt in the negotiation was discarded
};

/// The negotiation completed: everything StanzaCipher needs, the SAS to compare, and the retained-secret outcome.
struct EsessionEstablished
{
    QString peerJid; ///< the full JID the session is bound to
    CipherParameters parameters; ///< send/receive by our role; counters already moved past the two identities
    QString sas; ///< 5 characters, the same on both sides unless someone is in the middle; empty (no SAS) in the
                 ///< 3-message flow
    /// How `sas` was computed: the committed SAS, or the weaker sas28x5; nullopt in the 3-message flow.
    std::optional<SasAlgorithm> sasAlgorithm;
    bool retainedSecretMatched = false; ///< an earlier session's secret went into the key
    /// ... and its chain had been confirmed by SAS under the contact's current JID (never for a secret found under
    /// retainedSecretFormerJid: "verified" does not move to another JID)
    bool retainedSecretWasVerified = false;
    /// The store had secrets for this contact but none matched: the contact reinstalled, lost a message 4, or
    /// someone is in the middle. Warn, and treat the session as unverified.
    bool expectedSecretMissing = false;
    /// The secret this session left in the store (for markVerified() once the user confirmed the SAS).
    QByteArray newRetainedSecret;
    QStringList stanzaTypes; ///< the agreed `stanzas`: what must travel encrypted from now on
    SsnParameters ssnParameters; ///< the XEP-0155 outcome (logging, disclosure: show disclosure != never)
    /// The public key (DER) the peer proved its identity with: its signature verified and trustPeerKey accepted
    /// it. Empty when the peer presented none.
    QByteArray peerPublicKey;
    /// The XEP-0116 3-message flow was used: no SAS (sas is empty) and no retained secret; the identity rests on
    /// peerPublicKey alone.
    bool threeMessage = false;
    /// The matched retained secret had been retained with this other bare JID (XEP-0116's search of all JIDs): the
    /// contact holds the secret of the one known under that JID. Tell the user so; the chain now continues under
    /// the contact's current JID, unverified until the user compares the code with it. Empty otherwise.
    QString retainedSecretFormerJid;
};

enum class EsessionFailure {
    RefusedByPeer, ///< the peer answered with an error stanza, declined, cancelled or terminated
    RefusedByUs, ///< we refused the peer's parameters or values (see `sent`)
    IdentityNotVerified, ///< the peer's identity proof failed: an attack, a different shared password, or a bug
    Abandoned, ///< abandon() (time-out, user)
    LocalError, ///< we could not compute our part (crypto provider, misuse)
};

/// The negotiation failed; nothing learnt in it is kept (DH keys, nonces, keys, forms), the store is unchanged.
/// No words for people here: the front ends word `failure` and `detail`.
struct EsessionFailed
{
    EsessionFailure failure = EsessionFailure::LocalError;
    /// The stable code of the check or step that failed (one of FailureCode::negotiationCodes()), never a value.
    QString detail;
    std::optional<SsnStanzaError> sent; ///< the error stanza we sent, if any (its fields name what we refused)
    std::optional<SsnStanzaError> received; ///< the contact's error stanza, when its refusal ended the negotiation
};

/// SsnRequested (responder: call accept() or decline()) and SsnError (a refused or ignored input, diagnostics)
/// come from the XEP-0155 layer unchanged.
using EsessionEvent = std::variant<EsessionEstablished, EsessionFailed, SsnRequested, SsnError>;

/// What one call produced (as SsnOutput: keep it, or stanza.ownerDocument(), while using a stanza).
struct EsessionOutput
{
    bool consumed = false; ///< handleMessage(): the message belonged to this negotiation
    QList<QDomElement> stanzas;
    QList<QDomDocument> documents;
    QList<EsessionEvent> events;
};

class EsessionHandshake : private SsnExtension
{
public:
    /// @p store: not owned, must outlive the engine; secrets are read and replaced there, nowhere else.
    EsessionHandshake(const QString &peerJid, const QString &thread, EsessionRole role, const EsessionPolicy &policy,
        RetainedSecretStore *store);
    ~EsessionHandshake() override;
    EsessionHandshake(const EsessionHandshake &) = delete;
    EsessionHandshake &operator=(const EsessionHandshake &) = delete;

    /// Where nonces, counters, r_B and filler hashes come from (default: systemRandom()); not owned. Set before
    /// request() or the first message.
    void setRandomSource(RandomSource &source) { m_random = &source; }

    /// The disco features to advertise (XEP-0155 and XEP-0116).
    static QStringList discoFeatures();

    EsessionRole role() const { return m_role; }
    EsessionState state() const { return m_state; }
    QString thread() const { return m_ssn.thread(); }
    QString peerJid() const { return m_ssn.peerJid(); }
    /// Whether any secret of the negotiation is still held (DH keys, nonces, keys, forms, retained secrets).
    bool holdsSecrets() const;

    /// Initiator, Idle: message 1.
    [[nodiscard]] EsessionOutput request();
    /// Responder, AwaitingDecision: answer (message 2 or a refusal), or decline ([3]).
    [[nodiscard]] EsessionOutput accept();
    [[nodiscard]] EsessionOutput decline();
    /// Any state before Established: give up without sending anything (time-out, user); discards everything.
    [[nodiscard]] EsessionOutput abandon();

    /// Every message of this thread from the peer: messages 1–4, error stanzas. consumed=false for what is not
    /// about this negotiation (chat on the thread, <c/> stanzas, strangers). A <c/> beside message 4 (or, in the
    /// 3-message flow, beside message 3) is left to the caller: open it with the parameters of the EsessionEstablished
    /// of the same call, never without one.
    [[nodiscard]] EsessionOutput handleMessage(const QDomElement &message);

private:
    struct Offer; ///< one group of the initiator's offer
    struct Agreed; ///< the parameters both sides settled on
    struct Pending; ///< what message 3 (responder) computed for message 4

    // SsnExtension
    bool handlesField(const QString &var) const override;
    QList<FormField> requestFields() override;
    std::variant<QList<FormField>, SsnStanzaError> acceptFields(const DataForm &request) override;
    std::variant<QList<FormField>, SsnStanzaError> completeFields(const DataForm &accept) override;
    std::optional<SsnStanzaError> checkCompletion(const DataForm &completion) override;

    void absorb(SsnOutput &&ssn, EsessionOutput &out);
    void captureIncomingForm(const QDomElement &message);
    void afterAnswerSent(const QDomElement &sent, EsessionOutput &out);
    void afterCompletionSent(const QDomElement &sent, EsessionOutput &out);
    void sendIdentity(EsessionOutput &out);
    bool sealResponderIdentity(const QDomElement &x);
    std::optional<SsnStanzaError> checkThreeMessageCompletion(const QByteArray &identity, const QByteArray &tag);
    void onIdentity(const QDomElement &message, const QDomElement &x, EsessionOutput &out);
    void onErrorWhileWaiting(const QDomElement &message, EsessionOutput &out);
    void failIdentity(const QDomElement &message, const QDomElement &echo, const QString &detail, EsessionOutput &out);
    /// Ends the negotiation with @p detail (a FailureCode). @p diagnostic: for the log only (field or error names,
    /// never a value).
    void fail(EsessionFailure failure, const QString &detail, const std::optional<SsnStanzaError> &sent,
        EsessionOutput &out, const QString &diagnostic = {},
        const std::optional<SsnStanzaError> &received = std::nullopt);
    /// openPeerIdentity() (EsessionIdentity.h) with the agreed cipher, the policy's trustPeerKey and the peer's bare
    /// JID; a verified key lands in m_agreed->peerPublicKey. Nullopt when it verified, else the failure's detail.
    [[nodiscard]] std::optional<QString> verifyIdentity(Party peer, const KeySet &keys, BlockCounter &counter,
        const SealedIdentity &sealed, const IdentityMacInput &input, bool withKey);
    /// The refusal for a failed verifyIdentity().
    SsnStanzaError identityRefusal(const QString &problem);
    /// Our refusal of the contact's message, ending the negotiation with @p detail (a FailureCode) once the XEP-0155
    /// layer sent it. @p diagnostic: for the log only.
    SsnStanzaError refusal(SsnCondition condition, const QStringList &fields, EsessionFailure failure,
        const QString &detail, const QString &diagnostic = {});
    CipherParameters cipherParameters(
        const QByteArray &finalKey, const QByteArray &peerValue, std::shared_ptr<const Crypto::DhKeyPair> ownKey) const;
    QString bareJid() const;
    /// The SAS of the agreed algorithm over this negotiation (m_agreed with K0 and M_A set, forms and nonces).
    QString sas() const;
    void wipe();

    EsessionRole m_role;
    EsessionState m_state = EsessionState::Idle;
    EsessionPolicy m_policy;
    RetainedSecretStore *m_store;
    RandomSource *m_random = &systemRandom();
    SsnNegotiation m_ssn;

    // The negotiation's secrets and transcript; wipe() clears all of them.
    std::vector<Offer> m_offers; ///< initiator: one DH key per offered group, until message 2 picks one
    std::unique_ptr<Agreed> m_agreed;
    std::unique_ptr<Pending> m_pending;
    QByteArray m_initiatorNonce; ///< N_A
    QByteArray m_responderNonce; ///< N_B
    QByteArray m_formA; ///< form_A: normalised content of the request
    QByteArray m_formB; ///< form_B: normalised content of the response
    QByteArray m_formA2; ///< form_A2: the completion without identity and mac (as sent or received)
    QByteArray m_incomingForm; ///< the normalised content of the form in the message being handled
    QByteArray m_incomingForm2; ///< the same without identity and mac
    bool m_expectAnswer = false; ///< acceptFields() succeeded: the next stanza the SSN layer sends is message 2
    bool m_expectCompletion = false; ///< completeFields() succeeded: the next stanza is message 3
    /// This negotiation is the XEP-0116 3-message flow. Not a secret, so wipe() keeps it: once established, an
    /// error echoing our message 3 still has to void the session.
    bool m_threeMessage = false;
    std::optional<QString> m_threadParent; ///< XEP-0201 parent of the request's thread, mirrored in message 4

    // Why the XEP-0155 layer is about to end the negotiation (a refusal of ours), for the failure event.
    std::optional<EsessionFailed> m_refusal;
};

QString stateName(EsessionState state);

} // namespace Esession
