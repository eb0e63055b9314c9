#include "EsessionHandshake.h"

#include <QtEndian>
#include <QSet>

#include "Constants.h"
#include "EsessionForms.h"
#include "EsessionIdentity.h"
#include "EsessionKeys.h"
#include "FailureCodes.h"
#include "FormConstants.h"
#include "FormNormalizer.h"
#include "Logging.h"
#include "RetainedSecretStore.h"

using namespace Qt::StringLiterals;

namespace Esession {

using namespace FieldValue;

namespace {

constexpr int NonceBytes = 32;
constexpr int CounterBytes = 16; // n = 128 for every cipher here
constexpr int BlockBits = 128;

void wipeBytes(QByteArray &bytes)
{
    bytes.fill('\0');
    bytes.clear();
}

/// 32 random bytes whose first byte is not zero, so that reading a nonce as a number or as bytes agrees.
QByteArray freshNonce(RandomSource &random)
{
    for (int attempt = 0; attempt < 16; ++attempt) {
        QByteArray nonce = random.bytes(NonceBytes);
        if (nonce.size() != NonceBytes)
            return {};
        if (nonce.at(0) != '\0')
            return nonce;
    }
    return {};
}

/// rshashes always holds a multiple of this many values (review L1): contacts keep one secret per client, so one
/// bucket covers almost everyone.
constexpr qsizetype RshashesBucket = 8;

/// A uniform value in [0, @p bound) from @p random (rejection sampling, so no value is likelier than another);
/// nullopt when the source fails.
std::optional<quint32> randomBelow(RandomSource &random, quint32 bound)
{
    const quint32 limit = quint32(0xffffffffu - 0xffffffffu % bound);
    for (int attempt = 0; attempt < 64; ++attempt) {
        const QByteArray bytes = random.bytes(4);
        if (bytes.size() != 4)
            return std::nullopt;
        const quint32 value = qFromBigEndian<quint32>(bytes.constData());
        if (value < limit)
            return value % bound;
    }
    return std::nullopt;
}

/// Fisher–Yates with a secure generator: the order of rshashes must not tell the real hashes apart. False when the
/// source failed (the order is then not to be used).
bool shuffle(QList<QByteArray> &values, RandomSource &random)
{
    for (qsizetype i = values.size() - 1; i > 0; --i) {
        const std::optional<quint32> j = randomBelow(random, quint32(i) + 1);
        if (!j)
            return false;
        values.swapItemsAt(i, qsizetype(*j));
    }
    return true;
}

} // namespace

// -------------------------------------------------------------------------------------------------------------------

struct EsessionHandshake::Offer
{
    Crypto::ModpGroup group;
    std::shared_ptr<const Crypto::DhKeyPair> key;
    QByteArray commitment; ///< He = SHA256(e)
};

struct EsessionHandshake::Agreed
{
    Crypto::ModpGroup group = Crypto::ModpGroup::Group14;
    Crypto::CtrCipher cipher = Crypto::CtrCipher::Aes128;
    QStringList stanzas;
    quint32 rekeyFrequency = NoRekey;
    std::shared_ptr<const Crypto::DhKeyPair> ownKey; ///< x (initiator) or y (responder)
    QByteArray peerValue; ///< d (initiator); e, once message 3 arrived (responder)
    QByteArray peerCommitment; ///< responder: He of the chosen group
    BlockCounter initiatorCounter; ///< C_A, moved on as identities are sealed
    BlockCounter responderCounter; ///< C_B
    QByteArray initialKey; ///< K0 = SHA256(g^xy mod p)
    QByteArray initiatorTag; ///< M_A (the sas28x5 input)
    SasAlgorithm sasAlgorithm = SasAlgorithm::Committed;
    QByteArray responderSasSecret; ///< r_B of the committed SAS: the responder's own, or opened in message 4
    QByteArray responderSasCommitment; ///< initiator: SHA256(r_B) from message 2
    QString sas;
    QList<RetainedSecret> offeredSecrets; ///< initiator: the secrets hashed into rshashes
    bool initiatorKey = false; ///< init_pubkey = 'key': the initiator's identity is pubKey_A | sign_A
    bool responderKey = false; ///< resp_pubkey = 'key'
    QByteArray peerPublicKey; ///< the peer's verified key (DER), once its identity was checked

    ~Agreed()
    {
        wipeBytes(peerValue);
        wipeBytes(initialKey);
        wipeBytes(initiatorTag);
        wipeBytes(responderSasSecret);
        for (RetainedSecret &secret : offeredSecrets)
            wipeBytes(secret.secret);
    }
};

struct EsessionHandshake::Pending
{
    QDomDocument message; ///< message 4, ready to go
    EsessionEstablished established;
    std::optional<qint64> usedSecret;
    QString usedSecretJid; ///< set when the used secret was retained with another JID (XEP-0116 second search)
};

EsessionHandshake::EsessionHandshake(const QString &peerJid, const QString &thread, EsessionRole role,
    const EsessionPolicy &policy, RetainedSecretStore *store)
    : m_role(role)
    , m_policy(policy)
    , m_store(store)
    , m_ssn(peerJid, thread, [&policy] {
        SsnPolicy ssn = policy.ssn;
        ssn.mayRevealPresence = policy.mayRevealPresence;
        // Never a session without end-to-end encryption behind the user's back: e2e is the only option
        // offered or accepted, so a peer that cannot do it refuses (or is refused) instead.
        bool found = false;
        for (SsnParameterPolicy &parameter : ssn.parameters) {
            if (parameter.var == Xep0155::Security) {
                parameter.values = { Xep0155::SecurityE2e };
                parameter.required = true;
                found = true;
            }
        }
        if (!found)
            ssn.parameters << SsnParameterPolicy { Xep0155::Security, { Xep0155::SecurityE2e }, true, false };
        // XEP-0116 defines no renegotiation of an ESession: a new one is negotiated instead.
        ssn.autoAcceptRenegotiation = false;
        return ssn;
    }())
{
    if (m_policy.rekeyFrequency == 0)
        m_policy.rekeyFrequency = 1;
    m_ssn.setExtension(this);
}

EsessionHandshake::~EsessionHandshake()
{
    wipe();
}

QStringList EsessionHandshake::discoFeatures()
{
    return { Xep0155::FormType, Xep0116::Namespace };
}

bool EsessionHandshake::holdsSecrets() const
{
    return !m_offers.empty() || m_agreed || m_pending || !m_initiatorNonce.isEmpty() || !m_responderNonce.isEmpty()
        || !m_formA.isEmpty() || !m_formB.isEmpty() || !m_formA2.isEmpty() || !m_incomingForm.isEmpty()
        || !m_incomingForm2.isEmpty();
}

QString EsessionHandshake::bareJid() const
{
    return bareOf(m_ssn.peerJid());
}

void EsessionHandshake::wipe()
{
    m_offers.clear();
    m_agreed.reset();
    m_pending.reset();
    wipeBytes(m_initiatorNonce);
    wipeBytes(m_responderNonce);
    wipeBytes(m_formA);
    wipeBytes(m_formB);
    wipeBytes(m_formA2);
    wipeBytes(m_incomingForm);
    wipeBytes(m_incomingForm2);
    m_expectAnswer = false;
    m_expectCompletion = false;
}

void EsessionHandshake::fail(EsessionFailure failure, const QString &detail, const std::optional<SsnStanzaError> &sent,
    EsessionOutput &out, const QString &diagnostic, const std::optional<SsnStanzaError> &received)
{
    if (m_state == EsessionState::Failed)
        return;
    Q_ASSERT(!detail.isEmpty());
    wipe();
    m_refusal.reset();
    m_state = EsessionState::Failed;
    qCInfo(lcEsession).noquote() << "ESession negotiation failed:" << detail
                                 << (diagnostic.isEmpty() ? QString() : u'(' + diagnostic + u')')
                                 << (sent ? u"(sent "_s + describeStanzaError(sent) + u')' : QString())
                                 << (received ? u"(received "_s + describeStanzaError(received) + u')' : QString());
    out.events << EsessionFailed { failure, detail, sent, received };
}

SsnStanzaError EsessionHandshake::refusal(SsnCondition condition, const QStringList &fields, EsessionFailure failure,
    const QString &detail, const QString &diagnostic)
{
    // ESession refusals are final for this negotiation: type cancel (XEP-0116/0217 examples).
    SsnStanzaError error { condition, conditionName(condition), Rfc6120::ErrorCancel, fields };
    if (!diagnostic.isEmpty())
        qCInfo(lcEsession).noquote() << "ESession refusal" << detail << "because of" << diagnostic;
    m_refusal = EsessionFailed { failure, detail, error, std::nullopt };
    return error;
}

std::optional<QString> EsessionHandshake::verifyIdentity(Party peer, const KeySet &keys, BlockCounter &counter,
    const SealedIdentity &sealed, const IdentityMacInput &input, bool withKey)
{
    return openPeerIdentity(peer, m_agreed->cipher, keys, counter, sealed, input, withKey, m_policy.trustPeerKey,
        bareJid(), m_agreed->peerPublicKey);
}

SsnStanzaError EsessionHandshake::identityRefusal(const QString &problem)
{
    // A wrong M_X names the mac field; a wrong mac_X, signature or untrusted key the identity field.
    const QString field = problem == FailureCode::IdentityMac ? Xep0116::Mac : Xep0116::Identity;
    return refusal(SsnCondition::FeatureNotImplemented, { field }, EsessionFailure::IdentityNotVerified, problem);
}

// -------------------------------------------------------------------------------------------------------------------
// Local calls

EsessionOutput EsessionHandshake::request()
{
    EsessionOutput out;
    if (m_role != EsessionRole::Initiator || m_state != EsessionState::Idle) {
        out.events << SsnError { SsnProblem::LocalMisuse, std::nullopt, false, u"request"_s };
        return out;
    }
    const QList<Crypto::ModpGroup> groups = allowedGroups(m_policy);
    if (groups.isEmpty() || m_policy.ciphers.isEmpty() || m_policy.stanzaTypes.isEmpty() || !m_store
        || ownKeyModes(m_policy).isEmpty() || peerKeyModes(m_policy).isEmpty()) {
        fail(EsessionFailure::LocalError, FailureCode::Policy, std::nullopt, out);
        return out;
    }
    m_threeMessage = threeMessagePossible(m_policy);
    m_initiatorNonce = freshNonce(*m_random);
    if (m_initiatorNonce.isEmpty()) {
        fail(EsessionFailure::LocalError, FailureCode::Random, std::nullopt, out);
        return out;
    }
    // XEP-0116: a fresh x and e for every offered group (never reused, not even for a retry), He = SHA256(e)
    // (4-message flow; the 3-message flow sends e itself).
    for (const Crypto::ModpGroup group : groups) {
        auto generated = Crypto::DhKeyPair::generate(group, BlockBits);
        if (const auto *error = std::get_if<Crypto::DhError>(&generated)) {
            fail(EsessionFailure::LocalError, FailureCode::DhGenerate, std::nullopt, out, Crypto::dhErrorText(*error));
            return out;
        }
        auto key = std::make_shared<const Crypto::DhKeyPair>(std::get<Crypto::DhKeyPair>(std::move(generated)));
        QByteArray commitment = dhCommitment(key->publicValue());
        m_offers.push_back(Offer { group, std::move(key), std::move(commitment) });
    }

    SsnOutput ssn = m_ssn.request(); // calls requestFields()
    const QDomElement sent = ssn.stanzas.isEmpty() ? QDomElement() : ssn.stanzas.last();
    absorb(std::move(ssn), out);
    const QDomElement x = wrappedForm(sent, Xep0020::FeatureElement, Xep0020::Namespace);
    if (m_state != EsessionState::Idle || m_ssn.state() != SsnState::Pending || x.isNull()) {
        std::ignore = m_ssn.abandon();
        fail(EsessionFailure::LocalError, FailureCode::BuildRequest, std::nullopt, out);
        return out;
    }
    m_formA = normalizedFormContent(x);
    m_state = EsessionState::Requested;
    return out;
}

EsessionOutput EsessionHandshake::accept()
{
    EsessionOutput out;
    if (m_state != EsessionState::AwaitingDecision) {
        out.events << SsnError { SsnProblem::LocalMisuse, std::nullopt, false, u"accept"_s };
        return out;
    }
    m_state = EsessionState::Idle;
    SsnOutput ssn = m_ssn.accept(); // calls acceptFields()
    const QDomElement sent = ssn.stanzas.isEmpty() ? QDomElement() : ssn.stanzas.last();
    absorb(std::move(ssn), out);
    afterAnswerSent(sent, out);
    return out;
}

EsessionOutput EsessionHandshake::decline()
{
    EsessionOutput out;
    if (m_state != EsessionState::AwaitingDecision) {
        out.events << SsnError { SsnProblem::LocalMisuse, std::nullopt, false, u"decline"_s };
        return out;
    }
    absorb(m_ssn.decline(), out);
    return out;
}

EsessionOutput EsessionHandshake::abandon()
{
    EsessionOutput out;
    if (m_state == EsessionState::Established || m_state == EsessionState::Failed) {
        wipe();
        out.events << SsnError { SsnProblem::LocalMisuse, std::nullopt, false, u"abandon"_s };
        return out;
    }
    if (m_ssn.state() != SsnState::Ended)
        std::ignore = m_ssn.abandon(); // sends nothing; its events would only repeat ours
    fail(EsessionFailure::Abandoned, FailureCode::Abandoned, std::nullopt, out);
    return out;
}

// -------------------------------------------------------------------------------------------------------------------
// Receiving

void EsessionHandshake::captureIncomingForm(const QDomElement &message)
{
    wipeBytes(m_incomingForm);
    wipeBytes(m_incomingForm2);
    const QDomElement x = wrappedForm(message, Xep0020::FeatureElement, Xep0020::Namespace);
    if (x.isNull())
        return;
    // The MACed bytes come from the DOM as received, never from the parsed model (brief part 1 §1.3).
    m_incomingForm = normalizedFormContent(x);
    m_incomingForm2 = normalizedFormContent(x, { Xep0116::Identity, Xep0116::Mac });
}

EsessionOutput EsessionHandshake::handleMessage(const QDomElement &message)
{
    EsessionOutput out;
    if (message.isNull() || localNameOf(message) != Rfc6120::MessageElement)
        return out;
    const std::optional<QString> thread = SsnNegotiation::threadOf(message);
    if (!thread || *thread != m_ssn.thread())
        return out;
    if (m_role == EsessionRole::Initiator && m_state == EsessionState::Idle)
        return out; // nothing asked yet: not ours (and never a reason to turn into a responder)

    const QString from = attribute(message, Rfc6120::FromAttribute);
    const bool isError = attribute(message, Rfc6120::TypeAttribute) == Rfc6120::MessageError;
    const bool hasInit = !childElements(message, Xep0116::InitElement, Xep0116::InitNamespace).isEmpty();
    const bool hasFeature = SsnNegotiation::isNegotiationMessage(message);

    switch (m_state) {
    case EsessionState::Idle:
    case EsessionState::Requested:
    case EsessionState::AwaitingDecision:
    case EsessionState::Responded: {
        if (hasInit && !isError) {
            // A message 4 out of turn (or a reflected one): ours to drop, never the XEP-0155 layer's.
            if (!sameBare(from, m_ssn.peerJid()))
                return out;
            out.consumed = true;
            out.events << SsnError { SsnProblem::UnexpectedMessage, std::nullopt, false, Xep0116::InitElement };
            return out;
        }
        const bool request = m_state == EsessionState::Idle;
        captureIncomingForm(message);
        if (request) {
            m_formA = m_incomingForm; // the responder's form_A: the request as received
            const QList<QDomElement> threads = childElements(message, Xep0200::ThreadElement, namespaceOf(message));
            m_threadParent
                = threads.isEmpty() ? std::nullopt : unprefixedAttribute(threads.first(), Xep0201::ParentAttribute);
        }
        SsnOutput ssn = m_ssn.handleMessage(message); // may call acceptFields(), completeFields(), checkCompletion()
        const QDomElement sent = ssn.stanzas.isEmpty() ? QDomElement() : ssn.stanzas.last();
        absorb(std::move(ssn), out);
        if (request)
            afterAnswerSent(sent, out);
        else if (m_state == EsessionState::Requested)
            afterCompletionSent(sent, out);
        else if (m_state == EsessionState::Responded)
            sendIdentity(out);
        wipeBytes(m_incomingForm);
        wipeBytes(m_incomingForm2);
        if (request && m_state == EsessionState::Idle)
            wipe(); // not a request after all: keep nothing of it
        return out;
    }

    case EsessionState::Identified: {
        if (isError) {
            if (!sameBare(from, m_ssn.peerJid()))
                return out;
            out.consumed = true;
            onErrorWhileWaiting(message, out);
            return out;
        }
        if (!hasInit && !hasFeature)
            return out; // chat on the thread, or a <c/> that came before the identity: the caller's
        if (!sameJid(from, m_ssn.peerJid())) {
            out.events << SsnError { SsnProblem::WrongPeer, std::nullopt, false, u"from"_s };
            return out;
        }
        out.consumed = true;
        // Message 4 comes in <init/> (XEP-0116); a <feature/> holding the same result form is taken too (brief
        // part 1 §5.8 #5). Any other negotiation message here is a replay or a reflection: dropped.
        QDomElement x = wrappedForm(message, Xep0116::InitElement, Xep0116::InitNamespace);
        if (x.isNull() && !hasInit) {
            const QDomElement candidate = wrappedForm(message, Xep0020::FeatureElement, Xep0020::Namespace);
            const FormResult parsed = DataForm::parse(candidate);
            const auto *form = std::get_if<DataForm>(&parsed);
            if (form && form->field(Xep0116::Srshash) && !form->field(Xep0155::Accept))
                x = candidate;
            else {
                out.events << SsnError { SsnProblem::UnexpectedMessage, std::nullopt, false, u"feature"_s };
                return out;
            }
        }
        onIdentity(message, x, out);
        return out;
    }

    case EsessionState::Established:
        if (!hasInit && !hasFeature && !isError)
            return out;
        if (!sameBare(from, m_ssn.peerJid()))
            return out;
        if (isError) {
            // The initiator refused our message 4, or (3-message flow) the responder refused our message 3: its
            // side never opened the session.
            const bool refusedMessage4 = m_role == EsessionRole::Responder && hasInit;
            const bool refusedMessage3 = m_role == EsessionRole::Initiator && m_threeMessage && hasFeature;
            if (refusedMessage4 || refusedMessage3) {
                out.consumed = true;
                m_state = EsessionState::Failed;
                const QString detail = refusedMessage4 ? FailureCode::Message4Refused : FailureCode::Message3Refused;
                const SsnStanzaError received = errorOfMessage(message);
                qCInfo(lcEsession).noquote() << "ESession negotiation failed:" << detail << "(received"
                                             << describeStanzaError(received) + u')';
                out.events << EsessionFailed { EsessionFailure::RefusedByPeer, detail, std::nullopt, received };
            }
            return out; // other errors (bounced encrypted stanzas) are the caller's
        }
        out.consumed = true;
        out.events << SsnError { SsnProblem::UnexpectedMessage, std::nullopt, false, u"established"_s };
        return out;

    case EsessionState::Failed:
        if ((hasInit || hasFeature || isError) && sameBare(from, m_ssn.peerJid())) {
            out.consumed = true;
            out.events << SsnError { SsnProblem::UnexpectedMessage, std::nullopt, false, u"failed"_s };
        }
        return out;
    }
    return out;
}

void EsessionHandshake::absorb(SsnOutput &&ssn, EsessionOutput &out)
{
    out.consumed = out.consumed || ssn.consumed;
    out.stanzas << ssn.stanzas;
    out.documents << ssn.documents;
    std::optional<SsnStanzaError> replied; // a refusal the XEP-0155 layer sent
    QString lastDetail;
    for (SsnEvent &event : ssn.events) {
        if (auto *error = std::get_if<SsnError>(&event)) {
            if (error->refusal && error->replied)
                replied = error->refusal;
            lastDetail = problemName(error->problem) + u' ' + error->detail;
            out.events << std::move(*error);
        } else if (auto *requested = std::get_if<SsnRequested>(&event)) {
            m_state = EsessionState::AwaitingDecision;
            out.events << std::move(*requested);
        } else if (auto *rejected = std::get_if<SsnRejected>(&event)) {
            if (m_refusal) {
                // Our own refusal (an ESession check): its code is the precise one.
                const EsessionFailed failure = *m_refusal;
                fail(failure.failure, failure.detail, failure.sent, out);
                continue;
            }
            switch (rejected->reason) {
            case SsnRejection::DeclinedByPeer:
                fail(EsessionFailure::RefusedByPeer, FailureCode::Declined, std::nullopt, out);
                break;
            case SsnRejection::CancelledByPeer:
                fail(EsessionFailure::RefusedByPeer, FailureCode::Cancelled, std::nullopt, out);
                break;
            case SsnRejection::PeerError: {
                // A refusal that names sas_algs alone while we offered only our committed SAS: the contact's client
                // most likely knows only sas28x5, which compatibility would allow (the user is told so and can choose).
                const bool sasRefused = rejected->error && rejected->error->fields == QStringList { Xep0116::SasAlgs }
                    && !m_policy.sasAlgorithms.contains(SasAlgorithm::Sas28x5);
                fail(EsessionFailure::RefusedByPeer, sasRefused ? FailureCode::Sas28x5NotAllowed : FailureCode::PeerError,
                    std::nullopt, out, {}, rejected->error);
                break;
            }
            case SsnRejection::DeclinedByUs:
                fail(EsessionFailure::RefusedByUs, FailureCode::DeclinedByUs, std::nullopt, out);
                break;
            case SsnRejection::CancelledByUs:
            case SsnRejection::RefusedByUs:
                fail(EsessionFailure::RefusedByUs, FailureCode::InvalidNegotiation, replied, out, lastDetail);
                break;
            case SsnRejection::Abandoned:
                fail(EsessionFailure::Abandoned, FailureCode::Abandoned, std::nullopt, out);
                break;
            }
        } else if (std::holds_alternative<SsnTerminated>(event)) {
            if (m_state != EsessionState::Established && m_state != EsessionState::Failed)
                fail(EsessionFailure::RefusedByPeer, FailureCode::Terminated, std::nullopt, out);
        }
        // SsnAccepted: the ESession steps that follow it decide. Renegotiation and moves never reach an ESession
        // thread in a state where they could be accepted (see handleMessage and the constructor).
    }
}

void EsessionHandshake::onErrorWhileWaiting(const QDomElement &message, EsessionOutput &out)
{
    // An error that echoes a request form is the responder's answer to a repeated message 1 (a resend after a
    // resumed stream, a duplicate on the way): it says nothing about our message 3, and the responder carries
    // on with the negotiation. Taking it as a refusal would leave the responder with a session we do not have.
    const QDomElement echoed = wrappedForm(message, Xep0020::FeatureElement, Xep0020::Namespace);
    if (!echoed.isNull() && echoed.attribute(Xep0004::TypeAttribute) == Xep0004::FormTypeForm) {
        out.events << SsnError { SsnProblem::UnexpectedMessage, std::nullopt, false, u"error echoing a request"_s };
        return;
    }
    // The responder refused our message 3 (it echoes the completion): XEP-0155 layer first, for its state.
    std::ignore = m_ssn.abandon();
    fail(EsessionFailure::RefusedByPeer, FailureCode::Message3Refused, std::nullopt, out, {}, errorOfMessage(message));
}

// -------------------------------------------------------------------------------------------------------------------
// The SsnExtension hooks: message 1 (requestFields), 2 (acceptFields), 3 (completeFields), 3 received
// (checkCompletion). They run inside the SsnNegotiation call that handles or sends those messages.

bool EsessionHandshake::handlesField(const QString &var) const
{
    using namespace Xep0116;
    static const QStringList fields { Modp, CryptAlgs, HashAlgs, SignAlgs, Compress, Stanzas, InitPubkey, RespPubkey,
        Ver, RekeyFreq, MyNonce, SasAlgs, Dhhashes, Dhkeys, Nonce, Counter, Rshashes, Srshash, Identity, Mac, Expires,
        MatchResource, Signs, SasCommitment, SasSecret };
    return fields.contains(var);
}

QList<FormField> EsessionHandshake::requestFields()
{
    using namespace Xep0116;
    QStringList groups;
    QStringList commitments;
    for (const Offer &offer : m_offers) {
        groups << Crypto::modpFieldValue(offer.group);
        // Same order as the modp options (XEP-0116): He, or e itself in the 3-message flow.
        commitments << b64(m_threeMessage ? offer.key->publicValue() : offer.commitment);
    }
    QStringList ciphers;
    for (const Crypto::CtrCipher cipher : std::as_const(m_policy.ciphers))
        addUnique(ciphers, cipherName(cipher));

    // Negotiable fields as XEP-0116 lists, fixed ones as XEP-0217 hidden values (a 0116 peer takes both). Without
    // public keys no sign_algs, since both identities are 'none'; with them init_pubkey lists what we can present
    // and resp_pubkey what we accept from the responder.
    const QStringList initModes = ownKeyModes(m_policy, m_threeMessage);
    const QStringList respModes = peerKeyModes(m_policy, m_threeMessage);
    const bool withKeys = usesPublicKeys(m_policy);
    const bool anyKey = initModes.contains(PublicKey) || respModes.contains(PublicKey);
    QList<FormField> fields {
        makeOffer(Modp, groups, FieldType::ListSingle),
        ciphers.size() == 1 ? makeField(CryptAlgs, ciphers, FieldType::Hidden)
                            : makeOffer(CryptAlgs, ciphers, FieldType::ListSingle),
        makeField(HashAlgs, { Sha256 }, FieldType::Hidden),
    };
    if (anyKey)
        fields << makeOffer(SignAlgs, { RsaSha256 }, FieldType::ListSingle);
    fields << makeField(Compress, { NoCompression }, FieldType::Hidden)
           << makeOffer(Stanzas, m_policy.stanzaTypes, FieldType::ListMulti)
           << (withKeys ? makeOffer(InitPubkey, initModes, FieldType::ListSingle)
                        : makeField(InitPubkey, { NoPublicKey }, FieldType::Hidden))
           << (withKeys ? makeOffer(RespPubkey, respModes, FieldType::ListSingle)
                        : makeField(RespPubkey, { NoPublicKey }, FieldType::Hidden));
    fields << QList<FormField> {
        makeOffer(Ver, { ProtocolVersion }, FieldType::ListSingle),
        makeField(RekeyFreq, { QString::number(m_policy.rekeyFrequency) }, FieldType::TextSingle),
        makeField(MyNonce, { b64(m_initiatorNonce) }, FieldType::Hidden),
    };
    // XEP-0116: the 3-message request has no sas_algs and carries dhkeys instead of dhhashes.
    if (m_threeMessage)
        fields << makeField(Dhkeys, commitments, FieldType::Hidden);
    else
        fields << (sasNames(m_policy).size() == 1 ? makeField(SasAlgs, sasNames(m_policy), FieldType::Hidden)
                                                 : makeOffer(SasAlgs, sasNames(m_policy), FieldType::ListSingle))
               << makeField(Dhhashes, commitments, FieldType::Hidden);
    return fields;
}

std::variant<QList<FormField>, SsnStanzaError> EsessionHandshake::acceptFields(const DataForm &request)
{
    using namespace Xep0116;
    // A 3-message request we do not take is refused as such, whatever else holds (EsessionForms.h).
    if (const std::optional<ParameterRefusal> refused = threeMessageRefusal(request, m_policy))
        return refusal(refused->condition, refused->fields, EsessionFailure::RefusedByUs, refused->code);
    if (m_formA.isEmpty() || !m_store)
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::NoRequestForm);

    // Every choice that the offer and our policy decide alone; what follows is ours: the range of e, nonces, keys.
    const std::variant<ChosenParameters, ParameterRefusal> choice = chooseParameters(request, m_policy);
    if (const auto *refused = std::get_if<ParameterRefusal>(&choice))
        return refusal(refused->condition, refused->fields, EsessionFailure::RefusedByUs, refused->code);
    const ChosenParameters &chosen = std::get<ChosenParameters>(choice);
    const bool threeMessage = chosen.threeMessage;
    const Crypto::ModpGroup group = chosen.group;

    // 3-message: XEP-0116 SHOULD answer feature-not-implemented unless 1 < e < p-1; we also want e in the
    // prime-order subgroup. Checked before anything is derived from it, and only once: the derive below takes
    // the checked value.
    std::optional<Crypto::CheckedPeerValue> checkedInitiatorValue;
    if (threeMessage) {
        auto checked = Crypto::checkPeerValue(group, chosen.initiatorValue);
        if (const auto *error = std::get_if<Crypto::DhError>(&checked)) {
            return refusal(SsnCondition::FeatureNotImplemented, { Dhkeys }, EsessionFailure::RefusedByUs,
                FailureCode::DhRange, Crypto::dhErrorText(*error));
        }
        checkedInitiatorValue = std::get<Crypto::CheckedPeerValue>(std::move(checked));
    }

    // Our part: N_B, C_A (C_B = C_A XOR 2^127), y and d. K waits for message 3 in the 4-message variant.
    QByteArray responderNonce = freshNonce(*m_random);
    if (!responderNonce.isEmpty() && responderNonce == chosen.initiatorNonce)
        responderNonce = freshNonce(*m_random); // never the initiator's (XEP-0116); a repeat twice is not chance
    const QByteArray counterBytes = m_random->bytes(CounterBytes);
    const std::optional<BlockCounter> counter = counterBytes.size() == CounterBytes
        ? BlockCounter::fromBigEndian(counterBytes)
        : std::nullopt; // a source that failed: no counter from fewer random bytes
    auto generated = Crypto::DhKeyPair::generate(group, BlockBits);
    if (responderNonce.isEmpty() || responderNonce == chosen.initiatorNonce || !counter)
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::Random);
    if (const auto *error = std::get_if<Crypto::DhError>(&generated)) {
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::DhGenerate,
            Crypto::dhErrorText(*error));
    }
    m_agreed = std::make_unique<Agreed>();
    m_agreed->group = group;
    m_agreed->cipher = chosen.cipher;
    m_agreed->stanzas = chosen.stanzas;
    m_agreed->rekeyFrequency = chosen.rekeyFrequency;
    m_agreed->ownKey = std::make_shared<const Crypto::DhKeyPair>(std::get<Crypto::DhKeyPair>(std::move(generated)));
    m_agreed->peerCommitment = chosen.commitment;
    m_agreed->initiatorCounter = *counter;
    m_agreed->responderCounter = counter->withTopBitFlipped();
    m_agreed->initiatorKey = chosen.initiatorKey();
    m_agreed->responderKey = chosen.responderKey();
    if (chosen.sasAlgorithm)
        m_agreed->sasAlgorithm = *chosen.sasAlgorithm;
    if (chosen.sasAlgorithm == SasAlgorithm::Committed) {
        // r_B, committed to now and opened in message 4: until then nobody but us can compute our code, so a
        // relay that opens many negotiations cannot pick the one whose code suits it (docs/PROTOCOL-NOTES.md).
        m_agreed->responderSasSecret = m_random->bytes(HashBytes);
        if (m_agreed->responderSasSecret.size() != HashBytes) {
            return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::Random);
        }
    }
    m_initiatorNonce = chosen.initiatorNonce;
    m_responderNonce = responderNonce;
    if (threeMessage) {
        // K = HASH(e^y mod p) now: Bob's identity goes into message 2 (afterAnswerSent()).
        auto shared = m_agreed->ownKey->deriveSharedSecret(*checkedInitiatorValue);
        if (auto *error = std::get_if<Crypto::DhError>(&shared)) {
            return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::DhDerive,
                Crypto::dhErrorText(*error));
        }
        m_agreed->peerValue = chosen.initiatorValue;
        m_agreed->initialKey = initialKey(std::get<QByteArray>(shared));
        wipeBytes(std::get<QByteArray>(shared));
    }

    QList<FormField> fields {
        makeField(Modp, { Crypto::modpFieldValue(group) }),
        makeField(CryptAlgs, { cipherName(chosen.cipher) }),
        makeField(HashAlgs, { Sha256 }),
    };
    // One answer per field offered (XEP-0116): sign_algs is meaningless with 'none' identities but answered.
    if (chosen.signAlgorithm)
        fields << makeField(SignAlgs, { *chosen.signAlgorithm });
    fields << makeField(Compress, { NoCompression }) << makeField(Stanzas, chosen.stanzas)
           << makeField(InitPubkey, { chosen.initiatorKeyMode }) << makeField(RespPubkey, { chosen.responderKeyMode })
           << makeField(Ver, { ProtocolVersion }) << makeField(RekeyFreq, { QString::number(chosen.rekeyFrequency) })
           << makeField(MyNonce, { b64(m_responderNonce) });
    if (chosen.sasAlgorithm)
        fields << makeField(SasAlgs, { sasAlgorithmName(*chosen.sasAlgorithm) });
    if (!m_agreed->responderSasSecret.isEmpty())
        fields << makeField(SasCommitment, { b64(sasCommitment(m_agreed->responderSasSecret)) }, FieldType::Hidden);
    fields << makeField(Dhkeys, { b64(m_agreed->ownKey->publicValue()) })
           // Appended, as XEP-0116 says: the initiator's nonce and the initial counter.
           << makeField(Nonce, { b64(m_initiatorNonce) }) << makeField(Counter, { b64(counter->mpi()) });
    m_threeMessage = threeMessage;
    m_expectAnswer = true;
    return fields;
}

void EsessionHandshake::afterAnswerSent(const QDomElement &sent, EsessionOutput &out)
{
    if (!m_expectAnswer || m_state == EsessionState::Failed)
        return;
    m_expectAnswer = false;
    const QDomElement x = wrappedForm(sent, Xep0020::FeatureElement, Xep0020::Namespace);
    if (m_ssn.state() != SsnState::AwaitingCompletion || x.isNull()) {
        std::ignore = m_ssn.abandon();
        fail(EsessionFailure::LocalError, FailureCode::BuildAnswer, std::nullopt, out);
        return;
    }
    m_formB = normalizedFormContent(x);
    // 3-message: Bob's identity is appended to form_B before the message leaves (XEP-0116 "Sending the Response").
    if (m_threeMessage && !sealResponderIdentity(x)) {
        out.stanzas.removeAll(sent);
        std::ignore = m_ssn.abandon();
        fail(EsessionFailure::LocalError, FailureCode::SealMessage2, std::nullopt, out);
        return;
    }
    m_state = EsessionState::Responded;
}

bool EsessionHandshake::sealResponderIdentity(const QDomElement &x)
{
    using namespace Xep0116;
    // mac_B = HMAC(KS_B, N_A | N_B | d | pubKey_B | form_B) under the keys of K itself (no form_B2 in this flow),
    // sign_B, ID_B = CIPHER(KC_B, C_B, pubKey_B | sign_B), M_B = HMAC(KM_B, C_B | ID_B); C_B moves on.
    const KeySet responder = deriveKeySet(Party::Responder, m_agreed->cipher, m_agreed->initialKey);
    IdentityMacInput input;
    input.initiatorNonce = m_initiatorNonce;
    input.responderNonce = m_responderNonce;
    input.publicValue = m_agreed->ownKey->publicValue();
    input.form = m_formB;
    const std::optional<SealedIdentity> sealed = sealOwnIdentity(Party::Responder, m_agreed->cipher, responder,
        m_agreed->responderCounter, input, m_agreed->responderKey ? m_policy.identity : std::nullopt);
    if (!sealed)
        return false;
    DataForm appended(FormType::Submit);
    if (!appended.addField(makeField(Identity, { b64(sealed->identity) }))
        || !appended.addField(makeField(Mac, { b64(sealed->mac) })))
        return false;
    QDomDocument doc = x.ownerDocument();
    QDomElement scratch = appended.toElement(doc);
    QDomElement parent = x;
    for (QDomElement field = scratch.firstChildElement(); !field.isNull(); field = scratch.firstChildElement())
        parent.appendChild(field);
    // What leaves must be form_B plus identity and mac, nothing else.
    return normalizedFormContent(x, { Identity, Mac }) == m_formB;
}

std::variant<QList<FormField>, SsnStanzaError> EsessionHandshake::completeFields(const DataForm &accept)
{
    using namespace Xep0116;
    if (accept.value(Xep0155::Security) != Xep0155::SecurityE2e) {
        return refusal(SsnCondition::NotAcceptable, { Xep0155::Security }, EsessionFailure::RefusedByUs,
            FailureCode::NoEndToEnd);
    }
    if (m_state != EsessionState::Requested || m_incomingForm.isEmpty() || !m_store)
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::State);

    QStringList bad;
    if (accept.field(Dhhashes))
        bad << Dhhashes; // MUST NOT be echoed
    // Every choice must be exactly one of the options we offered.
    const Offer *offer = nullptr;
    if (const std::optional<QString> modp = singleValue(accept, Modp)) {
        const std::optional<Crypto::ModpGroup> group = Crypto::modpGroupFromFieldValue(*modp);
        for (const Offer &candidate : m_offers) {
            if (group && candidate.group == *group)
                offer = &candidate;
        }
    }
    if (!offer)
        bad << Modp;
    std::optional<Crypto::CtrCipher> cipher;
    if (!accept.field(CryptAlgs)) {
        if (m_policy.ciphers.contains(Crypto::CtrCipher::Aes128))
            cipher = Crypto::CtrCipher::Aes128; // the XEP-0217 fixed value
    } else if (const std::optional<QString> name = singleValue(accept, CryptAlgs)) {
        cipher = cipherFromName(*name);
        if (cipher && !m_policy.ciphers.contains(*cipher))
            cipher.reset();
    }
    if (!cipher)
        bad << CryptAlgs;
    const auto checkFixed = [&](const QString &var, const QString &value) {
        if (accept.field(var) && singleValue(accept, var) != value)
            bad << var;
    };
    checkFixed(HashAlgs, Sha256);
    checkFixed(Compress, NoCompression);
    // The identification methods: one of those we offered each (absent: 'none', XEP-0217), and rsa-sha256 as
    // sign_algs when either is 'key'.
    const auto chosenMode = [&accept](const QString &var) {
        return accept.field(var) ? singleValue(accept, var) : std::optional<QString>(NoPublicKey);
    };
    const std::optional<QString> initMode = chosenMode(InitPubkey);
    const bool initOk = initMode && ownKeyModes(m_policy, m_threeMessage).contains(*initMode);
    if (!initOk)
        bad << InitPubkey;
    const std::optional<QString> respMode = chosenMode(RespPubkey);
    const bool respOk = respMode && peerKeyModes(m_policy, m_threeMessage).contains(*respMode);
    if (!respOk)
        bad << RespPubkey;
    const bool initiatorKey = initOk && *initMode == PublicKey;
    const bool responderKey = respOk && *respMode == PublicKey;
    if ((initiatorKey || responderKey) && singleValue(accept, SignAlgs) != RsaSha256)
        bad << SignAlgs;
    // sas_algs: one of those we offered (absent: XEP-0217's fixed sas28x5, acceptable only if we offered it).
    std::optional<SasAlgorithm> sasAlgorithm;
    bool weakSasAnswered = false;
    if (m_threeMessage && accept.field(SasAlgs)) {
        bad << SasAlgs; // not offered in the 3-message request
    } else if (!m_threeMessage) {
        const std::optional<QString> name
            = accept.field(SasAlgs) ? singleValue(accept, SasAlgs) : sasAlgorithmName(SasAlgorithm::Sas28x5);
        if (name && sasNames(m_policy).contains(*name))
            sasAlgorithm = sasAlgorithmFromName(*name);
        if (!sasAlgorithm) {
            bad << SasAlgs;
            weakSasAnswered = name == sasAlgorithmName(SasAlgorithm::Sas28x5);
        }
    }
    if (singleValue(accept, Ver) != ProtocolVersion)
        bad << Ver;
    const QStringList stanzas = accept.values(Stanzas);
    bool stanzasOk = !stanzas.isEmpty() && stanzas.size() == QSet<QString>(stanzas.begin(), stanzas.end()).size();
    for (const QString &type : stanzas)
        stanzasOk = stanzasOk && m_policy.stanzaTypes.contains(type);
    if (!stanzasOk)
        bad << Stanzas;
    // rekey_freq: at least what we asked for, below 2^32. Absent: no re-keying (XEP-0217).
    quint32 rekeyFrequency = NoRekey;
    if (accept.field(RekeyFreq)) {
        const std::optional<QString> text = singleValue(accept, RekeyFreq);
        const std::optional<quint32> value = text ? readRekeyFrequency(*text) : std::nullopt;
        if (value && *value >= m_policy.rekeyFrequency)
            rekeyFrequency = *value;
        else
            bad << RekeyFreq;
    }
    const std::optional<QByteArray> responderNonce = singleBytes(accept, MyNonce);
    if (!responderNonce || responderNonce->size() < MinimumNonceBytes || responderNonce->size() > MaximumNonceBytes
        || *responderNonce == m_initiatorNonce)
        bad << MyNonce;
    // Our nonce, echoed: an answer from an older negotiation (replayed into this thread) stops here.
    const std::optional<QByteArray> echoed = singleBytes(accept, Nonce);
    if (!echoed || !Crypto::constantTimeEquals(*echoed, m_initiatorNonce))
        bad << Nonce;
    const std::optional<QByteArray> counterBytes = singleBytes(accept, Counter);
    const std::optional<BlockCounter> counter
        = counterBytes ? BlockCounter::fromBigEndian(*counterBytes) : std::nullopt;
    if (!counter)
        bad << Counter;
    const std::optional<QByteArray> responderValue = singleBytes(accept, Dhkeys);
    if (!responderValue)
        bad << Dhkeys;
    // 3-message: Bob's identity comes with his answer (XEP-0116 "Sending the Response").
    const std::optional<QByteArray> responderIdentity
        = m_threeMessage ? singleBytes(accept, Identity) : std::optional<QByteArray>();
    const std::optional<QByteArray> responderTag
        = m_threeMessage ? singleBytes(accept, Mac) : std::optional<QByteArray>();
    if (m_threeMessage && !responderIdentity)
        bad << Identity;
    if (m_threeMessage && !responderTag)
        bad << Mac;
    if (bad == QStringList { SasAlgs } && weakSasAnswered) {
        return refusal(SsnCondition::NotAcceptable, bad, EsessionFailure::RefusedByUs, FailureCode::Sas28x5NotAllowed);
    }
    if (!bad.isEmpty())
        return refusal(
            SsnCondition::NotAcceptable, bad, EsessionFailure::RefusedByUs, FailureCode::AnswerNotAcceptable);

    // XEP-0116: not-acceptable unless 1 < d < p-1; we also want d in the prime-order subgroup. Before any derive,
    // and only once: the derive below takes the checked value.
    auto checkedResponderValue = Crypto::checkPeerValue(offer->group, *responderValue);
    if (const auto *error = std::get_if<Crypto::DhError>(&checkedResponderValue)) {
        return refusal(SsnCondition::NotAcceptable, { Dhkeys }, EsessionFailure::RefusedByUs, FailureCode::DhRange,
            Crypto::dhErrorText(*error));
    }

    // Keep the chosen group's x, forget the others (brief part 1 §5.8 #16).
    m_agreed = std::make_unique<Agreed>();
    m_agreed->group = offer->group;
    m_agreed->cipher = *cipher;
    m_agreed->stanzas = stanzas;
    m_agreed->rekeyFrequency = rekeyFrequency;
    m_agreed->ownKey = offer->key;
    m_agreed->peerValue = *responderValue;
    if (sasAlgorithm)
        m_agreed->sasAlgorithm = *sasAlgorithm;
    if (sasAlgorithm == SasAlgorithm::Committed) {
        const std::optional<QByteArray> commitment = singleBytes(accept, SasCommitment);
        if (!commitment || commitment->size() != HashBytes) {
            return refusal(SsnCondition::NotAcceptable, { SasCommitment }, EsessionFailure::RefusedByUs,
                FailureCode::SasCommitment);
        }
        m_agreed->responderSasCommitment = *commitment;
    }
    m_agreed->initiatorCounter = *counter;
    m_agreed->responderCounter = counter->withTopBitFlipped();
    m_agreed->initiatorKey = initiatorKey;
    m_agreed->responderKey = responderKey;
    m_offers.clear();
    m_responderNonce = *responderNonce;
    // 3-message: form_B is Bob's answer without the identity and mac appended to it.
    m_formB = m_threeMessage ? m_incomingForm2 : m_incomingForm;

    auto shared = m_agreed->ownKey->deriveSharedSecret(std::get<Crypto::CheckedPeerValue>(checkedResponderValue));
    if (auto *error = std::get_if<Crypto::DhError>(&shared)) {
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::DhDerive,
            Crypto::dhErrorText(*error));
    }
    m_agreed->initialKey = initialKey(std::get<QByteArray>(shared));
    wipeBytes(std::get<QByteArray>(shared));
    const KeySet provisory = deriveKeySet(Party::Initiator, m_agreed->cipher, m_agreed->initialKey);

    QList<FormField> fields { makeField(Nonce, { b64(m_responderNonce) }) };
    if (m_threeMessage) {
        // Bob's identity before Alice reveals hers (SIGMA-I): M_B before anything is decrypted, then mac_B over
        // N_A | N_B | d | pubKey_B | form_B, then sign_B and the trust decision. Keys of K itself, no form_B2.
        const KeySet responder = deriveKeySet(Party::Responder, m_agreed->cipher, m_agreed->initialKey);
        BlockCounter counter = m_agreed->responderCounter;
        IdentityMacInput input;
        input.initiatorNonce = m_initiatorNonce;
        input.responderNonce = m_responderNonce;
        input.publicValue = m_agreed->peerValue;
        input.form = m_formB;
        if (const auto problem = verifyIdentity(Party::Responder, responder, counter,
                SealedIdentity { *responderIdentity, *responderTag }, input, m_agreed->responderKey))
            return identityRefusal(*problem);
        m_agreed->responderCounter = counter;
    } else {
        // rshashes: HMAC(N_A, RS) of every secret retained with the contact, then random values (at least two,
        // XEP-0116) up to a whole bucket of RshashesBucket, shuffled: neither the order nor the number tells anyone
        // whether or how often we talked before (review L1).
        m_agreed->offeredSecrets = m_store->secrets(bareJid());
        QList<QByteArray> hashes;
        for (const RetainedSecret &secret : std::as_const(m_agreed->offeredSecrets))
            hashes << retainedSecretHash(m_initiatorNonce, secret.secret);
        const qsizetype total = (hashes.size() + 2 + RshashesBucket - 1) / RshashesBucket * RshashesBucket;
        while (hashes.size() < total)
            hashes << m_random->bytes(HashBytes);
        if (!shuffle(hashes, *m_random)
            || std::any_of(hashes.cbegin(), hashes.cend(), [](const QByteArray &hash) { return hash.size() != HashBytes; })) {
            return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::Random);
        }
        QStringList rshashes;
        for (const QByteArray &hash : std::as_const(hashes))
            rshashes << b64(hash);
        fields << makeField(Dhkeys, { b64(m_agreed->ownKey->publicValue()) }, FieldType::Hidden)
               << makeField(Rshashes, rshashes, FieldType::Hidden);
    }
    // form_A2 must be the completion exactly as the XEP-0155 layer will send it, without identity and mac: its
    // control form (FORM_TYPE, accept=1, no types in a result) and our fields. afterCompletionSent() checks it
    // against the stanza actually built.
    DataForm completion(FormType::Result);
    bool built = completion.addField(makeField(Xep0004::FormTypeVar, { Xep0155::FormType }))
        && completion.addField(makeField(Xep0155::Accept, { Xep0004::BooleanOne }));
    for (const FormField &field : std::as_const(fields))
        built = built && completion.addField(field);
    QDomDocument scratch;
    m_formA2 = normalizedFormContent(completion.toElement(scratch));

    IdentityMacInput input;
    input.initiatorNonce = m_initiatorNonce;
    input.responderNonce = m_responderNonce;
    input.publicValue = m_agreed->ownKey->publicValue();
    input.form = m_formA;
    input.form2 = m_formA2;
    const std::optional<SealedIdentity> sealed = sealOwnIdentity(Party::Initiator, m_agreed->cipher, provisory,
        m_agreed->initiatorCounter, input, m_agreed->initiatorKey ? m_policy.identity : std::nullopt);
    if (!built || !sealed) {
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::Seal);
    }
    m_agreed->initiatorTag = sealed->mac;
    fields << makeField(Identity, { b64(sealed->identity) }) << makeField(Mac, { b64(sealed->mac) });
    if (m_threeMessage) {
        // Done once message 3 is out (afterCompletionSent): the session keys are those of K, the counters moved
        // past both identities; no SAS, no retained secret.
        m_pending = std::make_unique<Pending>();
        EsessionEstablished &established = m_pending->established;
        established.peerJid = m_ssn.peerJid();
        established.parameters = cipherParameters(m_agreed->initialKey, m_agreed->peerValue, m_agreed->ownKey);
        established.stanzaTypes = m_agreed->stanzas;
        established.peerPublicKey = m_agreed->peerPublicKey;
        established.threeMessage = true;
    } else if (m_agreed->sasAlgorithm != SasAlgorithm::Committed) {
        m_agreed->sas = sas(); // the committed SAS waits for r_B in message 4
    }
    m_expectCompletion = true;
    return fields;
}

void EsessionHandshake::afterCompletionSent(const QDomElement &sent, EsessionOutput &out)
{
    if (!m_expectCompletion || m_state == EsessionState::Failed)
        return;
    m_expectCompletion = false;
    const QDomElement x = wrappedForm(sent, Xep0020::FeatureElement, Xep0020::Namespace);
    if (m_ssn.state() != SsnState::Active || x.isNull()
        || normalizedFormContent(x, { Xep0116::Identity, Xep0116::Mac }) != m_formA2) {
        // Our MAC would not match what the peer receives: never send a proof of something else.
        out.stanzas.removeAll(sent);
        std::ignore = m_ssn.abandon();
        fail(EsessionFailure::LocalError, FailureCode::CompletionMismatch, std::nullopt, out);
        return;
    }
    if (m_threeMessage && m_pending) {
        // XEP-0116: with message 3 sent the 3-message negotiation is complete on Alice's side.
        std::unique_ptr<Pending> pending = std::move(m_pending);
        pending->established.ssnParameters = m_ssn.parameters();
        out.events << std::move(pending->established);
        m_state = EsessionState::Established;
        wipe();
        return;
    }
    m_state = EsessionState::Identified;
}

std::optional<SsnStanzaError> EsessionHandshake::checkCompletion(const DataForm &completion)
{
    using namespace Xep0116;
    if (m_state != EsessionState::Responded || !m_agreed || m_incomingForm2.isEmpty() || !m_store)
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::State);

    QStringList bad;
    const std::optional<QByteArray> echoed = singleBytes(completion, Nonce);
    if (!echoed)
        bad << Nonce;
    if (m_threeMessage) {
        // XEP-0116: e came in message 1 and retained secrets are not part of this flow.
        for (const QString &var : { Dhkeys, Rshashes }) {
            if (completion.field(var))
                bad << var;
        }
        const std::optional<QByteArray> identity = singleBytes(completion, Identity);
        if (!identity)
            bad << Identity;
        const std::optional<QByteArray> tag = singleBytes(completion, Mac);
        if (!tag)
            bad << Mac;
        if (!bad.isEmpty()) {
            return refusal(
                SsnCondition::NotAcceptable, bad, EsessionFailure::RefusedByUs, FailureCode::CompletionNotAcceptable);
        }
        if (!Crypto::constantTimeEquals(*echoed, m_responderNonce)) {
            return refusal(SsnCondition::FeatureNotImplemented, { Nonce }, EsessionFailure::IdentityNotVerified,
                FailureCode::Nonce);
        }
        return checkThreeMessageCompletion(*identity, *tag);
    }
    // Exactly one e, the chosen group's (brief part 2 P-0116-5). A value that does not decode is judged like any
    // other wrong e below (commitment, range), as XEP-0116 asks: feature-not-implemented.
    const std::optional<QString> initiatorText = singleValue(completion, Dhkeys);
    if (!initiatorText)
        bad << Dhkeys;
    const std::optional<QByteArray> initiatorValue
        = initiatorText ? fromB64(*initiatorText).value_or(QByteArray()) : std::optional<QByteArray>();
    const std::optional<QByteArray> identity = singleBytes(completion, Identity);
    if (!identity)
        bad << Identity;
    const std::optional<QByteArray> tag = singleBytes(completion, Mac);
    if (!tag)
        bad << Mac;
    QList<QByteArray> rshashes;
    for (const QString &value : completion.values(Rshashes)) {
        const std::optional<QByteArray> hash = fromB64(value);
        if (!hash) {
            bad << Rshashes;
            break;
        }
        rshashes << *hash;
    }
    if (!bad.isEmpty()) {
        return refusal(
            SsnCondition::NotAcceptable, bad, EsessionFailure::RefusedByUs, FailureCode::CompletionNotAcceptable);
    }
    // Our nonce, echoed: a message 3 of an older negotiation stops here (its M_A would fail anyway).
    if (!Crypto::constantTimeEquals(*echoed, m_responderNonce)) {
        return refusal(
            SsnCondition::FeatureNotImplemented, { Nonce }, EsessionFailure::IdentityNotVerified, FailureCode::Nonce);
    }
    // The commitment first (XEP-0116 order), then the range, then nothing is derived from e before both held.
    if (!Crypto::constantTimeEquals(dhCommitment(*initiatorValue), m_agreed->peerCommitment)) {
        return refusal(SsnCondition::FeatureNotImplemented, { Dhkeys }, EsessionFailure::IdentityNotVerified,
            FailureCode::Commitment);
    }
    const auto checkedInitiatorValue = Crypto::checkPeerValue(m_agreed->group, *initiatorValue);
    if (const auto *error = std::get_if<Crypto::DhError>(&checkedInitiatorValue)) {
        return refusal(SsnCondition::FeatureNotImplemented, { Dhkeys }, EsessionFailure::RefusedByUs,
            FailureCode::DhRange, Crypto::dhErrorText(*error));
    }
    // Checked above: the derive does not check again (the subgroup check costs as much as the derive).
    auto shared = m_agreed->ownKey->deriveSharedSecret(std::get<Crypto::CheckedPeerValue>(checkedInitiatorValue));
    if (auto *error = std::get_if<Crypto::DhError>(&shared)) {
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::DhDerive,
            Crypto::dhErrorText(*error));
    }
    m_agreed->peerValue = *initiatorValue;
    m_agreed->initialKey = initialKey(std::get<QByteArray>(shared));
    wipeBytes(std::get<QByteArray>(shared));
    const Crypto::CtrCipher cipher = m_agreed->cipher;

    // Alice's identity under the provisory keys: M_A before anything is decrypted, then mac_A.
    {
        const KeySet provisory = deriveKeySet(Party::Initiator, cipher, m_agreed->initialKey);
        BlockCounter counter = m_agreed->initiatorCounter;
        IdentityMacInput input;
        input.initiatorNonce = m_initiatorNonce;
        input.responderNonce = m_responderNonce;
        input.publicValue = *initiatorValue;
        input.form = m_formA;
        input.form2 = m_incomingForm2;
        // XEP-0116: a bad signature or a key we cannot accept is refused like a wrong mac_A.
        if (const auto problem = verifyIdentity(Party::Initiator, provisory, counter, SealedIdentity { *identity, *tag },
                input, m_agreed->initiatorKey))
            return identityRefusal(*problem);
        m_agreed->initiatorCounter = counter;
    }
    m_formA2 = m_incomingForm2;
    m_agreed->initiatorTag = *tag;
    m_agreed->sas = sas();

    // The shared retained secret: the first of ours whose HMAC under N_A is among the rshashes.
    const QList<RetainedSecret> retained = m_store->secrets(bareJid());
    std::optional<RetainedSecret> srs;
    for (const RetainedSecret &secret : retained) {
        for (const QByteArray &candidate : std::as_const(rshashes)) {
            if (!srs && matchesRetainedSecretHash(m_initiatorNonce, secret.secret, candidate))
                srs = secret;
        }
    }
    // None of them: XEP-0116 SHOULD search the secrets of every other JID, since the contact may simply be using
    // another JID. A match there is the SRS like any other; the new secret is filed under the current JID. "Another
    // JID" is another account: the contact's own JID in another case was searched above (normalizedBareJid()).
    QString srsJid;
    if (!srs) {
        const QString bare = normalizedBareJid(bareJid());
        for (const FiledRetainedSecret &filed : m_store->allSecrets()) {
            if (srs || normalizedBareJid(filed.bareJid) == bare)
                continue;
            for (const QByteArray &candidate : std::as_const(rshashes)) {
                if (!srs && matchesRetainedSecretHash(m_initiatorNonce, filed.secret.secret, candidate)) {
                    srs = filed.secret;
                    srsJid = filed.bareJid;
                }
            }
        }
    }
    QByteArray key = finalKey(m_agreed->initialKey, srs ? srs->secret : QByteArray(), m_policy.otherSecret);
    QByteArray srshash = srs ? sharedRetainedSecretHash(srs->secret) : m_random->bytes(HashBytes);
    if (srshash.size() != HashBytes) {
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::Random);
    }

    // Message 4: FORM_TYPE, nonce, srshash; form_B2 is that content, then identity and mac are appended.
    DataForm form(FormType::Result);
    bool built = form.addField(makeField(Xep0004::FormTypeVar, { Xep0155::FormType }))
        && form.addField(makeField(Nonce, { b64(m_initiatorNonce) }))
        && form.addField(makeField(Srshash, { b64(srshash) }));
    if (!m_agreed->responderSasSecret.isEmpty())
        built = built && form.addField(makeField(SasSecret, { b64(m_agreed->responderSasSecret) }, FieldType::Hidden));
    QDomDocument scratch;
    const QByteArray formB2 = normalizedFormContent(form.toElement(scratch));
    const KeySet responder = deriveKeySet(Party::Responder, cipher, key);
    IdentityMacInput input;
    input.initiatorNonce = m_initiatorNonce;
    input.responderNonce = m_responderNonce;
    input.publicValue = m_agreed->ownKey->publicValue();
    input.form = m_formB;
    input.form2 = formB2;
    BlockCounter responderCounter = m_agreed->responderCounter;
    const std::optional<SealedIdentity> sealed = sealOwnIdentity(Party::Responder, cipher, responder, responderCounter,
        input, m_agreed->responderKey ? m_policy.identity : std::nullopt);
    built = built && sealed && form.addField(makeField(Identity, { b64(sealed->identity) }))
        && form.addField(makeField(Mac, { b64(sealed->mac) }));

    QDomDocument message;
    if (built) {
        QDomElement stanza = message.createElementNS(Xep0200::ClientNamespace, Rfc6120::MessageElement);
        message.appendChild(stanza);
        stanza.setAttribute(Rfc6120::ToAttribute, m_ssn.peerJid());
        stanza.setAttribute(Rfc6120::TypeAttribute, Rfc6120::MessageNormal);
        QDomElement thread = message.createElementNS(Xep0200::ClientNamespace, Xep0200::ThreadElement);
        if (m_threadParent)
            thread.setAttribute(Xep0201::ParentAttribute, *m_threadParent);
        thread.appendChild(message.createTextNode(m_ssn.thread()));
        stanza.appendChild(thread);
        QDomElement init = message.createElementNS(Xep0116::InitNamespace, Xep0116::InitElement);
        const QDomElement x = form.toElement(message);
        init.appendChild(x);
        stanza.appendChild(init);
        built = normalizedFormContent(x, { Identity, Mac }) == formB2;
    }
    if (!built) {
        wipeBytes(key);
        return refusal(SsnCondition::ServiceUnavailable, {}, EsessionFailure::LocalError, FailureCode::SealMessage4);
    }
    m_agreed->responderCounter = responderCounter;

    m_pending = std::make_unique<Pending>();
    m_pending->message = message;
    m_pending->usedSecret = srs ? std::optional<qint64>(srs->id) : std::nullopt;
    m_pending->usedSecretJid = srsJid;
    EsessionEstablished &established = m_pending->established;
    established.peerJid = m_ssn.peerJid();
    established.parameters = cipherParameters(key, m_agreed->peerValue, m_agreed->ownKey);
    established.sas = m_agreed->sas;
    established.sasAlgorithm = m_agreed->sasAlgorithm;
    established.retainedSecretMatched = srs.has_value();
    // "Verified" never moves to another JID (security review L4): the SAS was compared with the contact under the
    // former JID, and mac_A, mac_B and the SAS bind no JIDs, so a man in the middle who routes the contact's stanzas
    // can present its chain as mallory@evil. The secret still authenticates the session (it is in the key) and the
    // former JID is named, but the user is asked to compare the code again; adopt() files the new secret unverified.
    established.retainedSecretWasVerified = srs && srs->verified && srsJid.isEmpty();
    established.expectedSecretMissing = !retained.isEmpty() && !srs;
    established.retainedSecretFormerJid = srsJid;
    established.newRetainedSecret = newRetainedSecret(key);
    established.stanzaTypes = m_agreed->stanzas;
    established.peerPublicKey = m_agreed->peerPublicKey;
    wipeBytes(key);
    return std::nullopt;
}

QString EsessionHandshake::sas() const
{
    SasTranscript transcript;
    transcript.initialKey = m_agreed->initialKey;
    transcript.initiatorNonce = m_initiatorNonce;
    transcript.responderNonce = m_responderNonce;
    transcript.requestForm = m_formA;
    transcript.responseForm = m_formB;
    transcript.initiatorTag = m_agreed->initiatorTag;
    transcript.responderSecret = m_agreed->responderSasSecret;
    return sasFromValue(sasValue(m_agreed->sasAlgorithm, transcript));
}

std::optional<SsnStanzaError> EsessionHandshake::checkThreeMessageCompletion(
    const QByteArray &identity, const QByteArray &tag)
{
    // Alice's identity under the keys of K (derived when message 2 was built): M_A first, then mac_A over
    // N_B | N_A | e | pubKey_A | form_A | form_A2, sign_A and the trust decision. XEP-0116: then it is complete.
    const KeySet initiator = deriveKeySet(Party::Initiator, m_agreed->cipher, m_agreed->initialKey);
    BlockCounter counter = m_agreed->initiatorCounter;
    IdentityMacInput input;
    input.initiatorNonce = m_initiatorNonce;
    input.responderNonce = m_responderNonce;
    input.publicValue = m_agreed->peerValue;
    input.form = m_formA;
    input.form2 = m_incomingForm2;
    if (const auto problem = verifyIdentity(Party::Initiator, initiator, counter, SealedIdentity { identity, tag }, input,
            m_agreed->initiatorKey))
        return identityRefusal(*problem);
    m_agreed->initiatorCounter = counter;
    m_formA2 = m_incomingForm2;

    // No message 4: sendIdentity() hands this over once the XEP-0155 layer has completed.
    m_pending = std::make_unique<Pending>();
    EsessionEstablished &established = m_pending->established;
    established.peerJid = m_ssn.peerJid();
    established.parameters = cipherParameters(m_agreed->initialKey, m_agreed->peerValue, m_agreed->ownKey);
    established.stanzaTypes = m_agreed->stanzas;
    established.peerPublicKey = m_agreed->peerPublicKey;
    established.threeMessage = true;
    return std::nullopt;
}

void EsessionHandshake::sendIdentity(EsessionOutput &out)
{
    if (!m_pending || m_state != EsessionState::Responded)
        return;
    if (m_ssn.state() != SsnState::Active) {
        m_pending.reset();
        return;
    }
    std::unique_ptr<Pending> pending = std::move(m_pending);
    if (!pending->established.threeMessage) {
        // XEP-0116: the responder destroys the old SRS and stores the new secret when it sends message 4. A secret
        // found under another JID of the contact is destroyed there; the new one is filed under the current JID.
        const QString bare = bareJid();
        const std::optional<qint64> stored = pending->usedSecretJid.isEmpty()
            ? m_store->replace(bare, pending->usedSecret, pending->established.newRetainedSecret)
            : m_store->adopt(
                bare, pending->usedSecretJid, *pending->usedSecret, pending->established.newRetainedSecret);
        if (!stored)
            qCWarning(lcEsession) << "ESession: the new retained secret could not be stored";
        out.documents << pending->message;
        out.stanzas << pending->message.documentElement();
    }
    pending->established.ssnParameters = m_ssn.parameters();
    out.events << std::move(pending->established);
    m_state = EsessionState::Established;
    wipe();
}

CipherParameters EsessionHandshake::cipherParameters(
    const QByteArray &finalKey, const QByteArray &peerValue, std::shared_ptr<const Crypto::DhKeyPair> ownKey) const
{
    const KeySet initiator = deriveKeySet(Party::Initiator, m_agreed->cipher, finalKey);
    const KeySet responder = deriveKeySet(Party::Responder, m_agreed->cipher, finalKey);
    const DirectionKeys initiatorKeys { initiator.cipherKey, initiator.macKey, m_agreed->initiatorCounter };
    const DirectionKeys responderKeys { responder.cipherKey, responder.macKey, m_agreed->responderCounter };
    CipherParameters parameters;
    parameters.cipher = m_agreed->cipher;
    const bool initiating = m_role == EsessionRole::Initiator;
    parameters.send = initiating ? initiatorKeys : responderKeys;
    parameters.receive = initiating ? responderKeys : initiatorKeys;
    // XEP-0200 re-keying needs our DH key and the peer's value; XEP-0217's rekey_freq (2^32-1) means none.
    if (m_agreed->rekeyFrequency < NoRekey)
        parameters.rekey = RekeyParameters { std::move(ownKey), peerValue, m_agreed->rekeyFrequency };
    return parameters;
}

void EsessionHandshake::onIdentity(const QDomElement &message, const QDomElement &x, EsessionOutput &out)
{
    using namespace Xep0116;
    const QDomElement echo = x.parentNode().toElement();
    const FormResult parsed = DataForm::parse(x);
    const auto *form = std::get_if<DataForm>(&parsed);
    if (!form || form->type() != FormType::Result || form->formType() != Xep0155::FormType) {
        failIdentity(message, echo, FailureCode::Message4Form, out);
        return;
    }
    const std::optional<QByteArray> echoed = singleBytes(*form, Nonce);
    const std::optional<QByteArray> srshash = singleBytes(*form, Srshash);
    const std::optional<QByteArray> identity = singleBytes(*form, Identity);
    const std::optional<QByteArray> tag = singleBytes(*form, Mac);
    if (!echoed || !srshash || !identity || !tag) {
        failIdentity(message, echo, FailureCode::Message4Fields, out);
        return;
    }
    if (!Crypto::constantTimeEquals(*echoed, m_initiatorNonce)) {
        failIdentity(message, echo, FailureCode::Nonce, out); // e.g. our own message 3 sent back to us
        return;
    }
    // The SRS: only among the secrets we hashed for this run (brief part 2 P-0116-14).
    std::optional<RetainedSecret> srs;
    for (const RetainedSecret &secret : std::as_const(m_agreed->offeredSecrets)) {
        if (!srs && matchesSharedRetainedSecretHash(secret.secret, *srshash))
            srs = secret;
    }
    QByteArray key = finalKey(m_agreed->initialKey, srs ? srs->secret : QByteArray(), m_policy.otherSecret);
    const Crypto::CtrCipher cipher = m_agreed->cipher;
    const QByteArray formB2 = normalizedFormContent(x, { Identity, Mac });
    {
        const KeySet responder = deriveKeySet(Party::Responder, cipher, key);
        BlockCounter counter = m_agreed->responderCounter;
        IdentityMacInput input;
        input.initiatorNonce = m_initiatorNonce;
        input.responderNonce = m_responderNonce;
        input.publicValue = m_agreed->peerValue;
        input.form = m_formB;
        input.form2 = formB2;
        const std::optional<QString> problem = verifyIdentity(Party::Responder, responder, counter,
            SealedIdentity { *identity, *tag }, input, m_agreed->responderKey);
        if (problem) {
            wipeBytes(key);
            failIdentity(message, echo, *problem, out);
            return;
        }
        m_agreed->responderCounter = counter;
    }
    if (m_agreed->sasAlgorithm == SasAlgorithm::Committed) {
        // r_B must be what the responder committed to in message 2 (mac_B covers it too, as part of form_B2).
        const std::optional<QByteArray> secret = singleBytes(*form, SasSecret);
        if (!secret || !Crypto::constantTimeEquals(sasCommitment(*secret), m_agreed->responderSasCommitment)) {
            wipeBytes(key);
            failIdentity(message, echo, FailureCode::SasSecret, out);
            return;
        }
        m_agreed->responderSasSecret = *secret;
        m_agreed->sas = sas();
    }

    EsessionEstablished established;
    established.peerJid = m_ssn.peerJid();
    established.parameters = cipherParameters(key, m_agreed->peerValue, m_agreed->ownKey);
    established.sas = m_agreed->sas;
    established.sasAlgorithm = m_agreed->sasAlgorithm;
    established.retainedSecretMatched = srs.has_value();
    established.retainedSecretWasVerified = srs && srs->verified;
    established.expectedSecretMissing = !m_agreed->offeredSecrets.isEmpty() && !srs;
    established.newRetainedSecret = newRetainedSecret(key);
    established.stanzaTypes = m_agreed->stanzas;
    established.ssnParameters = m_ssn.parameters();
    established.peerPublicKey = m_agreed->peerPublicKey;
    wipeBytes(key);
    // Only now, with the responder's identity verified, does the old secret go (brief part 2 P-0116-12): a forged
    // message 4 must not wipe it.
    if (!m_store->replace(
            bareJid(), srs ? std::optional<qint64>(srs->id) : std::nullopt, established.newRetainedSecret))
        qCWarning(lcEsession) << "ESession: the new retained secret could not be stored";
    out.events << std::move(established);
    m_state = EsessionState::Established;
    wipe();
}

void EsessionHandshake::failIdentity(
    const QDomElement &message, const QDomElement &echo, const QString &detail, EsessionOutput &out)
{
    // XEP-0116: feature-not-implemented; any <c/> beside it is ignored (the caller never got keys for it).
    const SsnStanzaError error { SsnCondition::FeatureNotImplemented,
        conditionName(SsnCondition::FeatureNotImplemented), Rfc6120::ErrorCancel, {} };
    QDomDocument doc;
    QDomElement stanza = doc.createElementNS(Xep0200::ClientNamespace, Rfc6120::MessageElement);
    doc.appendChild(stanza);
    stanza.setAttribute(Rfc6120::ToAttribute, m_ssn.peerJid());
    stanza.setAttribute(Rfc6120::TypeAttribute, Rfc6120::MessageError);
    const QString id = attribute(message, Rfc6120::IdAttribute);
    if (!id.isEmpty())
        stanza.setAttribute(Rfc6120::IdAttribute, id);
    QDomElement thread = doc.createElementNS(Xep0200::ClientNamespace, Xep0200::ThreadElement);
    thread.appendChild(doc.createTextNode(m_ssn.thread()));
    stanza.appendChild(thread);
    if (!echo.isNull())
        stanza.appendChild(doc.importNode(echo, true));
    QDomElement element = doc.createElementNS(Xep0200::ClientNamespace, Xep0200::ErrorElement);
    element.setAttribute(Rfc6120::CodeAttribute, u"501"_s);
    element.setAttribute(Rfc6120::TypeAttribute, error.type);
    element.appendChild(doc.createElementNS(Rfc6120::StanzasNamespace, error.conditionName));
    stanza.appendChild(element);
    out.documents << doc;
    out.stanzas << stanza;

    std::ignore = m_ssn.abandon();
    // With a shared password in the final key, a wrong M_B is what two different passwords look like (as well as an
    // attack): the code says so, since only this side knows that a password was in use.
    const bool password = detail == FailureCode::IdentityMac && !m_policy.otherSecret.isEmpty();
    fail(EsessionFailure::IdentityNotVerified, password ? FailureCode::IdentityMacPassword : detail, error, out);
}

// -------------------------------------------------------------------------------------------------------------------

QString stateName(EsessionState state)
{
    switch (state) {
    case EsessionState::Idle:
        return u"Idle"_s;
    case EsessionState::Requested:
        return u"Requested"_s;
    case EsessionState::AwaitingDecision:
        return u"AwaitingDecision"_s;
    case EsessionState::Responded:
        return u"Responded"_s;
    case EsessionState::Identified:
        return u"Identified"_s;
    case EsessionState::Established:
        return u"Established"_s;
    case EsessionState::Failed:
        return u"Failed"_s;
    }
    return {};
}

} // namespace Esession
