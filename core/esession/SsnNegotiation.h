#pragma once

#include <QDomDocument>
#include <QDomElement>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>
#include <variant>

#include "DataForm.h"

namespace Esession {

// XEP-0155 Stanza Session Negotiation as a sans-I/O state machine: one SsnNegotiation per (peer JID, thread).
// Input: <message/> elements and the local policy. Output: <message/> stanzas to send and events.
// Nothing here throws, blocks, or touches the network, the clock or storage.

/// Agreed parameters: field var → value in the XEP-0155 vocabulary. Booleans are "1"/"0"; `logging` is always
/// "may"/"mustnot" whatever the peer sent (`otr` true/false, or `logging` true/false: brief part 1 §3.8 #1).
using SsnParameters = QMap<QString, QString>;

enum class SsnRole { Initiator, Responder };

/// XEP-0155 §State Chart, brief part 1 §3.4.
enum class SsnState {
    Idle, ///< nothing sent or received on this thread yet
    Pending, ///< [1] initiator: request sent, waiting for the answer; responder: request received, waiting for
             ///< accept(), decline() or abandon()
    AwaitingCompletion, ///< PENDING' of the brief: the responder sent [2] and waits for [4] or [5]
    Active, ///< [4]; renegotiation [6]–[8] and moves happen here
    Ended, ///< [3], [5], [9], a refusal, a broken answer or abandon(): final, the thread is never reused
};

/// The stanza error conditions this machine sends or recognises (RFC 6120 §8.3.3).
enum class SsnCondition {
    ServiceUnavailable, ///< 503 cancel: SSN or the form's FORM_TYPE not supported (XEP-0155)
    FeatureNotImplemented, ///< 501 cancel: a required field not implemented (XEP-0155)
    NotAcceptable, ///< 406 modify: no acceptable option for a required field (XEP-0155)
    BadRequest, ///< 400 modify: a malformed request (not named by XEP-0155; RFC 6120)
    UnexpectedRequest, ///< 400 cancel: a request this thread's state cannot take (not named by XEP-0155; RFC 6120)
    Other, ///< received only: any other condition (see conditionName)
};

/// An <error/> of a message stanza: what we send when refusing, or what the peer sent us.
struct SsnStanzaError
{
    SsnCondition condition = SsnCondition::Other;
    QString conditionName; ///< the defined-condition element's name
    QString type; ///< cancel, modify, wait, ...
    QStringList fields; ///< <error><feature xmlns='...feature-neg'><field var='...'/>: the failing fields
};

/// Why an input (or a local call) was refused.
enum class SsnProblem {
    MalformedStanza, ///< several <thread/>, <feature/> or forms, a <body/> in a negotiation message
    MalformedForm, ///< the data form breaks XEP-0004 (DataForm::parse refused it)
    NotSsnForm, ///< FORM_TYPE missing or not urn:xmpp:ssn
    InvalidControl, ///< accept/renegotiate/terminate/continue missing, not a boolean, contradicting, wrong form type
    InvalidValue, ///< a parameter that is not exactly one value, or a boolean that is not one
    UnsupportedField, ///< a required field we do not implement
    NoAcceptableOption, ///< no offered option is acceptable for a field that must be agreed
    OptionNotOffered, ///< the peer chose a value we never offered
    MissingRequiredValue, ///< the peer's answer leaves out a field we marked required
    UnexpectedMessage, ///< well-formed, but not in this state
    UnknownSession, ///< an answer or control message on a thread that has no negotiation
    WrongPeer, ///< from a JID that is not the session's peer
    SecondResponder, ///< another resource answered a request that an earlier resource already answered
    PeerError, ///< the peer answered our move request with an error stanza
    ExtensionRefused, ///< the SsnExtension refused the form
    Disabled, ///< the local policy does not do stanza session negotiation at all
    LocalMisuse, ///< a local call not allowed in this state, or nothing left to offer
};

/// Responder: a valid request waits for accept(), decline() or abandon(): the policy asks the user, or an automatic
/// answer would leak presence (XEP-0155 §Presence Leaks). Shows our proposed values, never the peer's labels.
struct SsnRequested
{
    SsnParameters proposed;
    QList<FormField> extraFields; ///< the request's fields that XEP-0155 does not define
};

/// The session is open ([4] sent or received) with these parameters.
struct SsnAccepted
{
    SsnParameters parameters;
    QList<FormField>
        extraFields; ///< the non-XEP-0155 fields of the peer's accept (initiator) or completion (responder)
};

enum class SsnRejection {
    DeclinedByPeer, ///< [3] received
    DeclinedByUs, ///< [3] sent (decline())
    CancelledByPeer, ///< [5] received
    CancelledByUs, ///< we ended a negotiation that waited for the peer: [5] sent, or a terminate from the responder
    PeerError, ///< the peer answered with an error stanza (see error)
    RefusedByUs, ///< we refused the peer's request with an error stanza, or in silence (see SsnError::replied)
    Abandoned, ///< abandon(): given up locally, nothing sent (time-out, or the user ignores a request)
};

/// The negotiation ended without a session.
struct SsnRejected
{
    SsnRejection reason;
    QString text; ///< the peer's `reason` field, if any (display only)
    std::optional<SsnStanzaError> error;
};

/// [9]: the session ended (sent or received).
struct SsnTerminated
{
    bool byPeer = false;
};

/// The peer acknowledged our terminate (a `result` form with terminate=1).
struct SsnTerminationAcknowledged
{
};

/// A move (XEP-0155 §Moving A Session): byPeer, the peer continues from `resource`; otherwise the peer accepted
/// that we continue from `resource`.
struct SsnContinued
{
    QString resource;
    bool byPeer = false;
};

/// The peer asks to renegotiate and the policy wants a decision: acceptRenegotiation() or rejectRenegotiation().
struct SsnRenegotiationRequested
{
    SsnParameters proposed;
};

/// A renegotiation completed ([7] sent or received): `parameters` is everything now in force.
struct SsnRenegotiated
{
    SsnParameters parameters;
    bool byPeer = false; ///< the peer asked and we accepted; else our request was accepted
};

/// Our renegotiation was rejected ([8] or an error stanza): the previous parameters stay in force.
struct SsnRenegotiationRejected
{
    std::optional<SsnStanzaError> error;
};

/// An input or a local call was refused. `refusal`: the error stanza sent, or withheld (replied false) because an
/// automatic answer would leak presence. `detail` names fields or elements, never values.
struct SsnError
{
    SsnProblem problem;
    std::optional<SsnStanzaError> refusal;
    bool replied = false;
    QString detail;
};

using SsnEvent = std::variant<SsnRequested, SsnAccepted, SsnRejected, SsnTerminated, SsnTerminationAcknowledged,
    SsnContinued, SsnRenegotiationRequested, SsnRenegotiated, SsnRenegotiationRejected, SsnError>;

/// What one call produced.
struct SsnOutput
{
    /// handleMessage(): the message was about this negotiation (false: route it elsewhere, e.g. a chat message on
    /// the thread, an error stanza nothing here waits for, or a stranger's message).
    bool consumed = false;
    /// The <message/> stanzas to send, in order. Each is the document element of its own document in `documents`:
    /// a QDomElement does not keep its QDomDocument alive, so keep this output (or stanza.ownerDocument()) while
    /// using a stanza.
    QList<QDomElement> stanzas;
    QList<QDomDocument> documents;
    QList<SsnEvent> events;

    void append(const SsnOutput &other);
};

/// One negotiable field in the local policy.
struct SsnParameterPolicy
{
    QString var; ///< a Xep0155 field name (`logging`, not `otr`)
    QStringList values; ///< acceptable values, preferred first; "1"/"0" for a boolean field (multisession)
    /// Initiator: marked <required/> in the offer. Responder: the field must be agreed when offered (no acceptable
    /// option → not-acceptable even if the peer did not mark it required).
    bool required = false;
    /// Responder: pick our first acceptable value among the offered ones (e.g. `language`); otherwise keep the
    /// offer's default when acceptable, else the first acceptable option in the offer's order.
    bool preferOwnOrder = false;
};

/// The local policy of one negotiation (one peer).
struct SsnPolicy
{
    /// False: this client does not do XEP-0155; every request gets service-unavailable.
    bool enabled = true;
    /// Offered in this order (initiator), accepted (responder). Fields not listed are not offered and, when the
    /// peer offers them, omitted from the answer (or feature-not-implemented when the peer requires them).
    QList<SsnParameterPolicy> parameters;
    /// The peer is subscribed to our presence and we do not block it: only then is a request answered (accepted
    /// or refused) without asking the user (XEP-0155 §Presence Leaks).
    bool mayRevealPresence = false;
    bool autoAccept = true; ///< responder: accept an acceptable request without asking (RECOMMENDED)
    bool autoAcceptRenegotiation = true;
    /// XEP-0136: our server lets us switch automatic archiving off. Without it we never send logging=mustnot
    /// (XEP-0155 note to the `logging` field), in an offer or in an answer.
    bool serverArchivingCanBeDisabled = false;
    /// Ask the server to drop our request rather than store it offline (XEP-0079 rule, XEP-0155 §Initiating).
    bool immediateOnly = true;
    bool acknowledgeTermination = true; ///< send the optional `result` terminate=1 (a MUST in ESessions)

    /// Sotto's defaults: logging mustnot/may, disclosure never/disabled, security c2s (all required),
    /// multisession 0, chat states may/mustnot, XHTML-IM mustnot.
    static SsnPolicy defaults();
};

/// Fields of another protocol riding on the XEP-0155 forms (the XEP-0116/0217 ESession negotiation). XEP-0155
/// handles its own fields; the extension adds its fields to our forms and judges the peer's. Refusals are sent as
/// error stanzas with the extension's condition and type (ESessions use not-acceptable with type cancel). Never
/// consulted for renegotiation (brief part 1 §3.8 #9).
class SsnExtension
{
public:
    virtual ~SsnExtension();
    /// True for the (non-XEP-0155) fields this extension negotiates: they are not refused as not implemented.
    virtual bool handlesField(const QString &var) const = 0;
    /// Initiator: fields appended to the request.
    virtual QList<FormField> requestFields();
    /// Responder: fields appended to our accept, or a refusal.
    virtual std::variant<QList<FormField>, SsnStanzaError> acceptFields(const DataForm &request);
    /// Initiator: fields appended to our completion, or a refusal.
    virtual std::variant<QList<FormField>, SsnStanzaError> completeFields(const DataForm &accept);
    /// Responder: a refusal of the peer's completion, or nullopt.
    virtual std::optional<SsnStanzaError> checkCompletion(const DataForm &completion);
};

class SsnNegotiation
{
public:
    /// @p peerJid: the contact (a bare JID, or a full JID; an initiator binds to the resource that answers, XEP-0155
    /// §Accepting). @p thread: the ThreadID, mirrored byte for byte in every stanza (the caller generates it for a
    /// new session, e.g. SessionManager::newThreadId(), or takes it from the request with threadOf()).
    SsnNegotiation(const QString &peerJid, const QString &thread, const SsnPolicy &policy = SsnPolicy::defaults());

    /// Non-owning; nullptr (the default) for plain XEP-0155.
    void setExtension(SsnExtension *extension) { m_extension = extension; }

    /// The service discovery features to advertise.
    static QStringList discoFeatures();
    /// A <message/> with a feature-negotiation payload (routing helper; error stanzas echoing one included).
    static bool isNegotiationMessage(const QDomElement &message);
    /// The raw text of the message's only <thread/>; nullopt without one, with several, with markup inside, or empty.
    static std::optional<QString> threadOf(const QDomElement &message);

    std::optional<SsnRole> role() const { return m_role; }
    SsnState state() const { return m_state; }
    /// The peer's JID: the full JID once bound, the resource it moved to after a move.
    QString peerJid() const { return m_peer; }
    QString thread() const { return m_thread; }
    const SsnPolicy &policy() const { return m_policy; }
    /// The parameters in force (Active) or agreed when the session ended.
    const SsnParameters &parameters() const { return m_parameters; }
    bool isRenegotiationPending() const { return m_ourRenegotiation.has_value(); }
    bool isPeerRenegotiationPending() const { return m_peerRenegotiation.has_value(); }
    /// The resource we asked to move to, until the peer accepts; empty otherwise. Send nothing in the session
    /// meanwhile (XEP-0155 §Moving).
    QString pendingMove() const { return m_moveTarget; }
    bool isTerminationAcknowledged() const { return m_terminationAcknowledged; }

    /// Initiator ([1]): the request. Idle only.
    [[nodiscard]] SsnOutput request();
    /// Responder, Pending: accept the request with the values the policy chose ([2]).
    [[nodiscard]] SsnOutput accept();
    /// Responder, Pending: decline ([3]), with an optional human-readable reason.
    [[nodiscard]] SsnOutput decline(const QString &reason = {});
    /// Active: propose new values for some parameters ([6]); the others stay in force.
    [[nodiscard]] SsnOutput renegotiate(const QList<SsnParameterPolicy> &changes);
    /// Active, after SsnRenegotiationRequested: accept ([7]) or reject ([8]) the peer's renegotiation.
    [[nodiscard]] SsnOutput acceptRenegotiation();
    [[nodiscard]] SsnOutput rejectRenegotiation();
    /// Active: continue the session from another of our resources.
    [[nodiscard]] SsnOutput moveTo(const QString &resource);
    /// Pending (initiator), AwaitingCompletion or Active: end the session ([9]).
    [[nodiscard]] SsnOutput terminate();
    /// Any state but Ended: end without sending anything (time-out, user ignores the request, account gone).
    [[nodiscard]] SsnOutput abandon();

    /// Feeds a received <message/>. Never throws; a refused input leaves the machine in a defined state.
    [[nodiscard]] SsnOutput handleMessage(const QDomElement &message);

private:
    struct Incoming;
    struct OfferedField
    {
        QString var;
        bool boolean = false;
        QStringList options;
        bool required = false;
    };
    struct Answer
    {
        QList<FormField> fields; ///< our answer's parameter fields, in the offer's order
        SsnParameters proposed;
        QList<FormField> extraFields;
        DataForm request;
        QDomDocument original; ///< a copy of the request's <feature/>, echoed if we refuse it later
        QString originalId;
    };
    struct Analysis;

    // Building
    QDomDocument newMessage(const QString &to, const QString &type) const;
    QDomDocument formMessage(const QString &to, const DataForm &form) const;
    QDomDocument errorMessage(
        const QString &to, const QString &id, const QDomElement &echo, const SsnStanzaError &error) const;
    std::variant<DataForm, QString> offerForm(
        const QList<SsnParameterPolicy> &parameters, bool renegotiation, QList<OfferedField> &offered) const;
    DataForm controlForm(FormType type, const QString &var, const QString &value) const;
    QStringList acceptableValues(const SsnParameterPolicy &parameter) const;
    const SsnParameterPolicy *policyFor(const QString &var) const;
    Analysis analyseOffer(const DataForm &offer, bool renegotiation) const;
    std::variant<SsnParameters, SsnError> checkAnswer(const DataForm &answer, const QList<OfferedField> &offered) const;

    // Receiving
    void dispatch(const Incoming &in, SsnOutput &out);
    void refuseRequest(const Incoming &in, SsnProblem problem, SsnCondition condition, const QStringList &fields,
        const QString &detail, SsnOutput &out);
    /// Refuses an offer (request or renegotiation) whose analysis found a malformed, unsupported or
    /// unacceptable field, with the matching error; false when there is none.
    bool refuseUnusableOffer(const Incoming &in, const Analysis &analysis, SsnOutput &out);
    void endWaitingNegotiation(const Incoming &in, SsnProblem problem, const QString &detail, SsnOutput &out);
    void onRequest(const Incoming &in, SsnOutput &out);
    void onAccept(const Incoming &in, SsnOutput &out);
    void onCompletion(const Incoming &in, SsnOutput &out);
    void onPeerTerminate(const Incoming &in, SsnOutput &out);
    void onPeerRenegotiation(const Incoming &in, SsnOutput &out);
    void onRenegotiationAnswer(const Incoming &in, bool accepted, SsnOutput &out);
    void onMove(const Incoming &in, SsnOutput &out);
    void onMoveAccepted(const Incoming &in, SsnOutput &out);
    void onErrorStanza(const QDomElement &message, SsnOutput &out);

    void sendAnswer(SsnOutput &out);
    void send(SsnOutput &out, const QDomDocument &stanza);
    bool mayReply() const { return m_policy.mayRevealPresence || m_sentToPeer; }
    void end(SsnRejection reason, SsnOutput &out, const QString &text = {},
        const std::optional<SsnStanzaError> &error = std::nullopt);

    QString m_peer;
    bool m_bound = false;
    QString m_thread;
    std::optional<QString> m_threadParent;
    SsnPolicy m_policy;
    SsnExtension *m_extension = nullptr;

    std::optional<SsnRole> m_role;
    SsnState m_state = SsnState::Idle;
    SsnParameters m_parameters;
    QList<OfferedField> m_offer; ///< what our request offered (initiator)
    std::optional<Answer> m_answer; ///< responder: the answer to the request (Pending, AwaitingCompletion)
    std::optional<QList<OfferedField>> m_ourRenegotiation;
    std::optional<Answer> m_peerRenegotiation;
    QString m_moveTarget;
    bool m_sentToPeer = false; ///< we already sent something on this thread: answering leaks nothing more
    bool m_terminatedByUs = false;
    bool m_terminationAcknowledged = false;
};

QString stateName(SsnState state);
QString problemName(SsnProblem problem);
/// The defined-condition element name; empty for Other.
QString conditionName(SsnCondition condition);
/// Other for a name this code does not know.
SsnCondition conditionFromName(QStringView name);
/// The <error/> of a received error stanza: its condition, type and the XEP-0020 fields it names.
SsnStanzaError errorOfMessage(const QDomElement &message);

} // namespace Esession
