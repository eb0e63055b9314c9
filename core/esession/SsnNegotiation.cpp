#include "SsnNegotiation.h"

#include <QDomDocument>

#include "Constants.h"
#include "FormConstants.h"
#include "FormNormalizer.h"
#include "Logging.h"

using namespace Qt::StringLiterals;

namespace Esession {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// The XEP-0155 field registry as this machine reads it

enum class FieldKind {
    FormType, ///< FORM_TYPE
    Control, ///< accept, renegotiate, terminate, continue: say what the message is
    Boolean, ///< multisession
    List, ///< list-single parameters (presence and otr included: used in examples, not registered)
    Text, ///< reason: display only
    Foreign, ///< not defined by XEP-0155: the extension's, or ignored
};

FieldKind kindOf(const QString &var)
{
    using namespace Xep0155;
    if (var == Xep0004::FormTypeVar)
        return FieldKind::FormType;
    if (var == Accept || var == Renegotiate || var == Terminate || var == Continue)
        return FieldKind::Control;
    if (var == Multisession)
        return FieldKind::Boolean;
    if (var == Disclosure || var == ChatStates || var == XhtmlIm || var == Language || var == Logging || var == Security
        || var == Presence || var == Otr)
        return FieldKind::List;
    if (var == Reason)
        return FieldKind::Text;
    return FieldKind::Foreign;
}

/// The parameter a field negotiates: `otr` is the pre-rev-0.14 name of `logging`.
QString parameterOf(const QString &var)
{
    return var == Xep0155::Otr ? Xep0155::Logging : var;
}

std::optional<bool> readBoolean(const QString &text)
{
    if (text == Xep0004::BooleanOne || text == Xep0004::BooleanTrue)
        return true;
    if (text == Xep0004::BooleanZero || text == Xep0004::BooleanFalse)
        return false;
    return std::nullopt;
}

QString booleanText(bool value)
{
    return value ? Xep0004::BooleanOne : Xep0004::BooleanZero;
}

/// A received value in the XEP-0155 vocabulary (brief part 1 §3.8 #1): `otr` true ≡ logging mustnot, false ≡ may;
/// `logging` true ≡ may, false ≡ mustnot (the XEP-0116 examples). Anything else stays as it is.
QString canonicalValue(const QString &var, const QString &wire)
{
    const std::optional<bool> flag = readBoolean(wire);
    if (var == Xep0155::Otr && flag)
        return *flag ? Xep0155::MustNot : Xep0155::May;
    if (var == Xep0155::Logging && flag)
        return *flag ? Xep0155::May : Xep0155::MustNot;
    return wire;
}

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers (namespace-tolerant: a DOM parsed with or without namespace processing, or built locally)

bool inStanzaNamespace(const QDomElement &child, const QString &stanzaNamespace)
{
    const QString ns = namespaceOf(child);
    return ns.isEmpty() || ns == stanzaNamespace;
}

/// Children of a stanza in the stanza's own namespace (<thread/>, <body/>, <error/>).
QList<QDomElement> stanzaChildren(const QDomElement &stanza, const QString &name)
{
    const QString ns = namespaceOf(stanza);
    QList<QDomElement> found;
    for (QDomElement child = stanza.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (localNameOf(child) == name && inStanzaNamespace(child, ns))
            found << child;
    }
    return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Stanza errors

struct ConditionInfo
{
    SsnCondition condition;
    const QString *name;
    const QString *type;
    const char *code; // XEP-0086 legacy code, shown in the XEP-0155 examples
};

const ConditionInfo &conditionInfo(SsnCondition condition)
{
    using namespace Rfc6120;
    static const ConditionInfo table[] = {
        { SsnCondition::ServiceUnavailable, &ServiceUnavailable, &ErrorCancel, "503" },
        { SsnCondition::FeatureNotImplemented, &FeatureNotImplemented, &ErrorCancel, "501" },
        // XEP-0155 says modify; XEP-0116/0217 say cancel (brief part 1 §3.8 #4): the extension picks its own type.
        { SsnCondition::NotAcceptable, &NotAcceptable, &ErrorModify, "406" },
        { SsnCondition::BadRequest, &BadRequest, &ErrorModify, "400" },
        // XEP-0086 lists wait; a request this thread cannot take will never be taken on it: cancel.
        { SsnCondition::UnexpectedRequest, &UnexpectedRequest, &ErrorCancel, "400" },
    };
    for (const ConditionInfo &info : table) {
        if (info.condition == condition)
            return info;
    }
    return table[0];
}

SsnStanzaError stanzaError(SsnCondition condition, const QStringList &fields = {})
{
    const ConditionInfo &info = conditionInfo(condition);
    return SsnStanzaError { condition, *info.name, *info.type, fields };
}

/// Fills in what an extension left out.
SsnStanzaError completed(SsnStanzaError error)
{
    if (error.condition == SsnCondition::Other)
        error.condition = SsnCondition::NotAcceptable;
    const ConditionInfo &info = conditionInfo(error.condition);
    if (error.conditionName.isEmpty())
        error.conditionName = *info.name;
    if (error.type.isEmpty())
        error.type = *info.type;
    return error;
}

SsnStanzaError parseStanzaError(const QDomElement &message)
{
    SsnStanzaError error;
    const QList<QDomElement> errors = stanzaChildren(message, Xep0200::ErrorElement);
    if (errors.isEmpty())
        return error;
    const QDomElement element = errors.first();
    error.type = attribute(element, Rfc6120::TypeAttribute);
    for (QDomElement child = element.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        const QString name = localNameOf(child);
        if (namespaceOf(child) == Rfc6120::StanzasNamespace && name != Rfc6120::TextElement
            && error.conditionName.isEmpty()) {
            error.conditionName = name;
            error.condition = conditionFromName(name);
        } else if (name == Xep0020::FeatureElement && namespaceOf(child) == Xep0020::Namespace) {
            for (QDomElement field = child.firstChildElement(); !field.isNull(); field = field.nextSiblingElement()) {
                const QString var = attribute(field, Xep0004::VarAttribute);
                if (localNameOf(field) == Xep0004::FieldElement && !var.isEmpty())
                    error.fields << var;
            }
        }
    }
    return error;
}

// ---------------------------------------------------------------------------------------------------------------
// Classifying a valid SSN form (brief part 1 §3.2, dispatch table)

enum class Kind {
    Request, ///< form + accept [1]
    Accept, ///< submit accept=1 [2]
    Decline, ///< submit accept=0 [3]
    Complete, ///< result accept=1 [4]
    Cancel, ///< result accept=0 [5]
    RenegotiationRequest, ///< form + renegotiate=1, no accept [6]
    RenegotiationAccept, ///< submit renegotiate=1 [7]
    RenegotiationReject, ///< submit renegotiate=0 [8]
    Terminate, ///< submit terminate=1 [9]
    TerminateAck, ///< result terminate=1
    Move, ///< submit continue=R
    MoveAccepted, ///< result continue=R
};

struct Classified
{
    std::optional<Kind> kind;
    QString detail; ///< why not, when kind is empty
};

Classified classify(const DataForm &form)
{
    using namespace Xep0155;
    QStringList controls;
    for (const QString *var : { &Accept, &Renegotiate, &Terminate, &Continue }) {
        if (form.field(*var))
            controls << *var;
    }
    if (controls.size() != 1)
        return { std::nullopt, controls.isEmpty() ? u"no control field"_s : controls.join(u',') };
    const QString control = controls.first();
    const std::optional<bool> flag = form.booleanValue(control);
    if (control != Continue && !flag)
        return { std::nullopt, control };

    switch (form.type()) {
    case FormType::Form:
        if (control == Accept)
            return { Kind::Request, {} };
        if (control == Renegotiate && *flag)
            return { Kind::RenegotiationRequest, {} };
        break;
    case FormType::Submit:
        if (control == Accept)
            return { *flag ? Kind::Accept : Kind::Decline, {} };
        if (control == Renegotiate)
            return { *flag ? Kind::RenegotiationAccept : Kind::RenegotiationReject, {} };
        if (control == Terminate && *flag)
            return { Kind::Terminate, {} };
        if (control == Continue && form.values(Continue).size() == 1 && !form.value(Continue).isEmpty())
            return { Kind::Move, {} };
        break;
    case FormType::Result:
        if (control == Accept)
            return { *flag ? Kind::Complete : Kind::Cancel, {} };
        if (control == Terminate && *flag)
            return { Kind::TerminateAck, {} };
        if (control == Continue && form.values(Continue).size() == 1 && !form.value(Continue).isEmpty())
            return { Kind::MoveAccepted, {} };
        break;
    case FormType::Cancel:
        break;
    }
    return { std::nullopt, formTypeName(form.type()) + u':' + control };
}

/// An error stanza that echoes a completion form ([4]): the responder refused it.
bool echoesCompletion(const QDomElement &message)
{
    const QList<QDomElement> features = childElements(message, Xep0020::FeatureElement, Xep0020::Namespace);
    if (features.size() != 1)
        return false;
    const QList<QDomElement> forms = childElements(features.first(), Xep0004::XElement, Xep0004::Namespace);
    if (forms.size() != 1)
        return false;
    const FormResult parsed = DataForm::parse(forms.first());
    const auto *form = std::get_if<DataForm>(&parsed);
    return form && form->formType() == Xep0155::FormType && classify(*form).kind == Kind::Complete;
}

QList<FormField> foreignFields(const DataForm &form)
{
    QList<FormField> fields;
    for (const FormField &field : form.fields()) {
        if (!field.var.isEmpty() && kindOf(field.var) == FieldKind::Foreign)
            fields << field;
    }
    return fields;
}

void addField(DataForm &form, const FormField &field)
{
    // Only fails on a duplicate var: every caller adds distinct vars, and a duplicate must not reach the wire.
    if (!form.addField(field))
        qCWarning(lcEsession) << "SSN: dropped a duplicate field" << field.var;
}

SsnError problemEvent(SsnProblem problem, const QString &detail, std::optional<SsnStanzaError> refusal = std::nullopt,
    bool replied = false)
{
    qCDebug(lcEsession).noquote() << "SSN refused:" << problemName(problem) << detail
                                  << (refusal ? refusal->conditionName : QString()) << (replied ? "sent" : "");
    return SsnError { problem, std::move(refusal), replied, detail };
}

} // namespace

// -------------------------------------------------------------------------------------------------------------------

struct SsnNegotiation::Incoming
{
    QDomElement message;
    QDomElement feature;
    QString from;
    QString id;
    DataForm form;
    Kind kind = Kind::Request;
    bool requestLike = false; ///< <x type='form'/>: the sender waits for an answer or an error
};

struct SsnNegotiation::Analysis
{
    Answer answer;
    QStringList notImplemented;
    QStringList notAcceptable;
    QString malformed; ///< the field whose value cannot be read
};

SsnExtension::~SsnExtension() = default;

QList<FormField> SsnExtension::requestFields()
{
    return {};
}

std::variant<QList<FormField>, SsnStanzaError> SsnExtension::acceptFields(const DataForm &)
{
    return QList<FormField>();
}

std::variant<QList<FormField>, SsnStanzaError> SsnExtension::completeFields(const DataForm &)
{
    return QList<FormField>();
}

std::optional<SsnStanzaError> SsnExtension::checkCompletion(const DataForm &)
{
    return std::nullopt;
}

SsnPolicy SsnPolicy::defaults()
{
    using namespace Xep0155;
    SsnPolicy policy;
    policy.parameters = {
        { Logging, { MustNot, May }, true, false },
        { Disclosure, { DisclosureNever, DisclosureDisabled }, true, false },
        { Security, { SecurityC2s }, true, false },
        { Multisession, { Xep0004::BooleanZero }, false, false },
        { ChatStates, { May, MustNot }, false, false },
        { XhtmlIm, { MustNot }, false, false },
    };
    return policy;
}

SsnNegotiation::SsnNegotiation(const QString &peerJid, const QString &thread, const SsnPolicy &policy)
    : m_peer(peerJid)
    , m_thread(thread)
    , m_policy(policy)
{
}

QStringList SsnNegotiation::discoFeatures()
{
    return { Xep0155::FormType };
}

bool SsnNegotiation::isNegotiationMessage(const QDomElement &message)
{
    return localNameOf(message) == Rfc6120::MessageElement
        && !childElements(message, Xep0020::FeatureElement, Xep0020::Namespace).isEmpty();
}

std::optional<QString> SsnNegotiation::threadOf(const QDomElement &message)
{
    const QList<QDomElement> threads = stanzaChildren(message, Xep0200::ThreadElement);
    if (threads.size() != 1)
        return std::nullopt;
    QString text;
    for (QDomNode node = threads.first().firstChild(); !node.isNull(); node = node.nextSibling()) {
        if (node.isText()) // CDATA sections included
            text += node.nodeValue();
        else if (node.isElement() || node.isEntityReference())
            return std::nullopt;
    }
    if (text.isEmpty())
        return std::nullopt;
    return text;
}

// -------------------------------------------------------------------------------------------------------------------
// Building stanzas

QDomDocument SsnNegotiation::newMessage(const QString &to, const QString &type) const
{
    QDomDocument doc;
    QDomElement message = doc.createElementNS(Xep0200::ClientNamespace, Rfc6120::MessageElement);
    doc.appendChild(message);
    if (!to.isEmpty())
        message.setAttribute(Rfc6120::ToAttribute, to);
    message.setAttribute(Rfc6120::TypeAttribute, type);
    QDomElement thread = doc.createElementNS(Xep0200::ClientNamespace, Xep0200::ThreadElement);
    if (m_threadParent)
        thread.setAttribute(Xep0201::ParentAttribute, *m_threadParent);
    thread.appendChild(doc.createTextNode(m_thread));
    message.appendChild(thread);
    return doc;
}

QDomDocument SsnNegotiation::formMessage(const QString &to, const DataForm &form) const
{
    QDomDocument doc = newMessage(to, Rfc6120::MessageNormal);
    QDomElement feature = doc.createElementNS(Xep0020::Namespace, Xep0020::FeatureElement);
    feature.appendChild(form.toElement(doc));
    doc.documentElement().appendChild(feature);
    return doc;
}

QDomDocument SsnNegotiation::errorMessage(
    const QString &to, const QString &id, const QDomElement &echo, const SsnStanzaError &error) const
{
    QDomDocument doc = newMessage(to, Rfc6120::MessageError);
    QDomElement message = doc.documentElement();
    if (!id.isEmpty())
        message.setAttribute(Rfc6120::IdAttribute, id); // RFC 6120 §8.3.1: an error carries the request's id
    if (!echo.isNull())
        message.appendChild(doc.importNode(echo, true)); // as the XEP-0155 examples do
    QDomElement element = doc.createElementNS(Xep0200::ClientNamespace, Xep0200::ErrorElement);
    element.setAttribute(Rfc6120::CodeAttribute, QString::fromLatin1(conditionInfo(error.condition).code));
    element.setAttribute(Rfc6120::TypeAttribute, error.type);
    element.appendChild(doc.createElementNS(Rfc6120::StanzasNamespace, error.conditionName));
    if (!error.fields.isEmpty()) {
        QDomElement feature = doc.createElementNS(Xep0020::Namespace, Xep0020::FeatureElement);
        for (const QString &var : error.fields) {
            QDomElement field = doc.createElementNS(Xep0020::Namespace, Xep0004::FieldElement);
            field.setAttribute(Xep0004::VarAttribute, var);
            feature.appendChild(field);
        }
        element.appendChild(feature);
    }
    message.appendChild(element);
    return doc;
}

DataForm SsnNegotiation::controlForm(FormType type, const QString &var, const QString &value) const
{
    DataForm form(type);
    // The FORM_TYPE is hidden in a form; the submit and result examples leave the type out.
    addField(form,
        makeField(Xep0004::FormTypeVar, { Xep0155::FormType },
            type == FormType::Form ? FieldType::Hidden : FieldType::Unspecified));
    FormField control = makeField(var, { value }, type == FormType::Form ? FieldType::Boolean : FieldType::Unspecified);
    control.required = type == FormType::Form;
    addField(form, control);
    return form;
}

QStringList SsnNegotiation::acceptableValues(const SsnParameterPolicy &parameter) const
{
    QStringList values;
    for (const QString &value : parameter.values) {
        QString normalized = value;
        if (kindOf(parameter.var) == FieldKind::Boolean) {
            const std::optional<bool> flag = readBoolean(value);
            if (!flag)
                continue;
            normalized = booleanText(*flag);
        }
        // XEP-0155 note to `logging`: never mustnot unless the server lets us switch archiving off (XEP-0136).
        if (parameter.var == Xep0155::Logging && normalized == Xep0155::MustNot
            && !m_policy.serverArchivingCanBeDisabled)
            continue;
        if (!values.contains(normalized))
            values << normalized;
    }
    return values;
}

const SsnParameterPolicy *SsnNegotiation::policyFor(const QString &var) const
{
    for (const SsnParameterPolicy &parameter : m_policy.parameters) {
        if (parameter.var == var)
            return &parameter;
    }
    return nullptr;
}

std::variant<DataForm, QString> SsnNegotiation::offerForm(
    const QList<SsnParameterPolicy> &parameters, bool renegotiation, QList<OfferedField> &offered) const
{
    DataForm form
        = controlForm(FormType::Form, renegotiation ? Xep0155::Renegotiate : Xep0155::Accept, Xep0004::BooleanOne);
    offered.clear();
    for (const SsnParameterPolicy &parameter : parameters) {
        const FieldKind kind = kindOf(parameter.var);
        if (parameter.var.isEmpty() || kind == FieldKind::FormType || kind == FieldKind::Control
            || kind == FieldKind::Text || parameter.var == Xep0155::Otr || form.field(parameter.var))
            return parameter.var; // not a parameter, or twice
        const QStringList values = acceptableValues(parameter);
        if (values.isEmpty()) {
            if (parameter.required)
                return parameter.var; // e.g. logging=mustnot only, and archiving cannot be switched off
            continue;
        }
        FormField field;
        field.var = parameter.var;
        field.values = { values.first() };
        field.required = parameter.required;
        if (kind == FieldKind::Boolean) {
            field.type = FieldType::Boolean;
        } else {
            field.type = FieldType::ListSingle;
            for (const QString &value : values)
                field.options << FormOption { QString(), value };
        }
        addField(form, field);
        offered << OfferedField { parameter.var, kind == FieldKind::Boolean, values, parameter.required };
    }
    return form;
}

// -------------------------------------------------------------------------------------------------------------------
// Judging offers and answers

SsnNegotiation::Analysis SsnNegotiation::analyseOffer(const DataForm &offer, bool renegotiation) const
{
    Analysis analysis;
    analysis.answer.request = offer;
    if (offer.field(Xep0155::Otr) && offer.field(Xep0155::Logging)) {
        analysis.malformed = Xep0155::Otr; // two names for one parameter: which one would we honour?
        return analysis;
    }
    for (const FormField &field : offer.fields()) {
        const FieldKind kind = kindOf(field.var);
        if (kind == FieldKind::Foreign) {
            if (!renegotiation && m_extension && m_extension->handlesField(field.var))
                analysis.answer.extraFields << field;
            else if (field.required)
                analysis.notImplemented << field.var; // XEP-0004: a field we do not know is ignored, unless required
            continue;
        }
        if (kind != FieldKind::Boolean && kind != FieldKind::List)
            continue; // FORM_TYPE, the control field, reason

        const QString parameter = parameterOf(field.var);
        const SsnParameterPolicy *policy = policyFor(parameter);
        if (!policy) {
            if (field.required)
                analysis.notImplemented << field.var;
            continue;
        }
        const QStringList acceptable = acceptableValues(*policy);
        QString chosen; // the wire value of the answer

        if (kind == FieldKind::Boolean) {
            if (field.values.size() > 1) {
                analysis.malformed = field.var;
                return analysis;
            }
            std::optional<bool> offered = false; // multisession "defaults to false"
            if (!field.values.isEmpty())
                offered = readBoolean(field.values.first());
            if (!offered) {
                analysis.malformed = field.var;
                return analysis;
            }
            const QStringList candidates = { booleanText(*offered), booleanText(!*offered) };
            if (policy->preferOwnOrder && !acceptable.isEmpty())
                chosen = acceptable.first();
            else if (acceptable.contains(candidates.first()))
                chosen = candidates.first();
            else if (acceptable.contains(candidates.last()))
                chosen = candidates.last();
        } else {
            // The options, or, for a list without options, its value(s). A default that is not among the options
            // is ignored (XEP-0155's renegotiation example offers `may` with a default of `mustnot`).
            QStringList offered;
            for (const FormOption &option : field.options)
                offered << option.value;
            if (offered.isEmpty())
                offered = field.values;
            const QString defaultValue = field.values.isEmpty() ? QString() : field.values.first();
            if (policy->preferOwnOrder) {
                for (const QString &wanted : acceptable) {
                    for (const QString &wire : std::as_const(offered)) {
                        if (chosen.isNull() && canonicalValue(field.var, wire) == wanted)
                            chosen = wire;
                    }
                }
            } else if (offered.contains(defaultValue) && acceptable.contains(canonicalValue(field.var, defaultValue))) {
                chosen = defaultValue;
            } else {
                for (const QString &wire : std::as_const(offered)) {
                    if (chosen.isNull() && acceptable.contains(canonicalValue(field.var, wire)))
                        chosen = wire;
                }
            }
        }

        if (chosen.isNull()) {
            if (field.required || policy->required)
                analysis.notAcceptable << field.var;
            continue; // an optional parameter we cannot agree on is left out of the answer
        }
        analysis.answer.fields << makeField(field.var, { chosen });
        analysis.answer.proposed.insert(parameter, canonicalValue(field.var, chosen));
    }
    return analysis;
}

std::variant<SsnParameters, SsnError> SsnNegotiation::checkAnswer(
    const DataForm &answer, const QList<OfferedField> &offered) const
{
    SsnParameters agreed;
    for (const OfferedField &offer : offered) {
        const FormField *field = answer.field(offer.var);
        if (!field) {
            if (offer.required)
                return problemEvent(SsnProblem::MissingRequiredValue, offer.var);
            continue; // not agreed: the protocol default applies
        }
        if (field->values.size() != 1)
            return problemEvent(SsnProblem::InvalidValue, offer.var);
        QString value = field->values.first();
        if (offer.boolean) {
            const std::optional<bool> flag = readBoolean(value);
            if (!flag)
                return problemEvent(SsnProblem::InvalidValue, offer.var);
            value = booleanText(*flag);
        }
        if (!offer.options.contains(value))
            return problemEvent(SsnProblem::OptionNotOffered, offer.var);
        agreed.insert(offer.var, value);
    }
    return agreed;
}

// -------------------------------------------------------------------------------------------------------------------
// Local actions

void SsnOutput::append(const SsnOutput &other)
{
    consumed = consumed || other.consumed;
    stanzas << other.stanzas;
    documents << other.documents;
    events << other.events;
}

void SsnNegotiation::send(SsnOutput &out, const QDomDocument &stanza)
{
    out.documents << stanza;
    out.stanzas << stanza.documentElement();
    m_sentToPeer = true;
}

void SsnNegotiation::end(
    SsnRejection reason, SsnOutput &out, const QString &text, const std::optional<SsnStanzaError> &error)
{
    m_state = SsnState::Ended;
    m_answer.reset();
    m_ourRenegotiation.reset();
    m_peerRenegotiation.reset();
    m_moveTarget.clear();
    out.events << SsnRejected { reason, text, error };
}

SsnOutput SsnNegotiation::request()
{
    SsnOutput out;
    if (m_state != SsnState::Idle || m_thread.isEmpty() || m_peer.isEmpty()) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"request"_s);
        return out;
    }
    if (!m_policy.enabled) {
        out.events << problemEvent(SsnProblem::Disabled, u"request"_s);
        return out;
    }
    QList<OfferedField> offered;
    auto built = offerForm(m_policy.parameters, false, offered);
    if (auto *field = std::get_if<QString>(&built)) {
        out.events << problemEvent(SsnProblem::LocalMisuse, *field);
        return out;
    }
    DataForm form = std::get<DataForm>(std::move(built));
    if (m_extension) {
        for (const FormField &field : m_extension->requestFields()) {
            if (kindOf(field.var) != FieldKind::Foreign || !form.addField(field)) {
                out.events << problemEvent(SsnProblem::LocalMisuse, field.var);
                return out;
            }
        }
    }

    QDomDocument doc = formMessage(m_peer, form);
    if (m_policy.immediateOnly) {
        // XEP-0155 §Initiating: not stored offline. The XEP-0155 example has no per-hop attribute (0116/0217 add
        // per-hop='true'; the rule is judged by the recipient's server either way).
        QDomElement amp = doc.createElementNS(Xep0079::Namespace, Xep0200::AmpElement);
        QDomElement rule = doc.createElementNS(Xep0079::Namespace, Xep0079::RuleElement);
        rule.setAttribute(Xep0079::ActionAttribute, Xep0079::ActionDrop);
        rule.setAttribute(Xep0079::ConditionAttribute, Xep0079::ConditionDeliver);
        rule.setAttribute(Xep0079::ValueAttribute, Xep0079::DeliverStored);
        amp.appendChild(rule);
        doc.documentElement().appendChild(amp);
    }
    m_offer = offered;
    m_role = SsnRole::Initiator;
    m_state = SsnState::Pending;
    send(out, doc);
    return out;
}

SsnOutput SsnNegotiation::accept()
{
    SsnOutput out;
    if (m_state != SsnState::Pending || m_role != SsnRole::Responder || !m_answer) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"accept"_s);
        return out;
    }
    sendAnswer(out);
    return out;
}

void SsnNegotiation::sendAnswer(SsnOutput &out)
{
    DataForm form = controlForm(FormType::Submit, Xep0155::Accept, Xep0004::BooleanOne);
    for (const FormField &field : std::as_const(m_answer->fields))
        addField(form, field);
    if (m_extension) {
        auto fields = m_extension->acceptFields(m_answer->request);
        if (auto *refusal = std::get_if<SsnStanzaError>(&fields)) {
            const SsnStanzaError error = completed(*refusal);
            const QDomElement echo = m_answer->original.documentElement();
            send(out, errorMessage(m_peer, m_answer->originalId, echo, error));
            out.events << problemEvent(SsnProblem::ExtensionRefused, error.fields.join(u','), error, true);
            end(SsnRejection::RefusedByUs, out, {}, error);
            return;
        }
        for (const FormField &field : std::get<QList<FormField>>(fields)) {
            if (kindOf(field.var) == FieldKind::Foreign)
                addField(form, field);
        }
    }
    send(out, formMessage(m_peer, form));
    m_state = SsnState::AwaitingCompletion;
}

SsnOutput SsnNegotiation::decline(const QString &reason)
{
    SsnOutput out;
    if (m_state != SsnState::Pending || m_role != SsnRole::Responder) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"decline"_s);
        return out;
    }
    // XEP-0155 §Rejecting: FORM_TYPE and accept=0 only (RECOMMENDED), and an optional reason.
    DataForm form = controlForm(FormType::Submit, Xep0155::Accept, Xep0004::BooleanZero);
    if (!reason.isEmpty())
        addField(form, makeField(Xep0155::Reason, { reason }));
    send(out, formMessage(m_peer, form));
    end(SsnRejection::DeclinedByUs, out);
    return out;
}

SsnOutput SsnNegotiation::renegotiate(const QList<SsnParameterPolicy> &changes)
{
    SsnOutput out;
    if (m_state != SsnState::Active || m_ourRenegotiation || changes.isEmpty()) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"renegotiate"_s);
        return out;
    }
    QList<OfferedField> offered;
    auto built = offerForm(changes, true, offered);
    if (auto *field = std::get_if<QString>(&built)) {
        out.events << problemEvent(SsnProblem::LocalMisuse, *field);
        return out;
    }
    if (offered.isEmpty()) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"nothing to renegotiate"_s);
        return out;
    }
    send(out, formMessage(m_peer, std::get<DataForm>(built)));
    m_ourRenegotiation = offered;
    return out;
}

SsnOutput SsnNegotiation::acceptRenegotiation()
{
    SsnOutput out;
    if (m_state != SsnState::Active || !m_peerRenegotiation) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"acceptRenegotiation"_s);
        return out;
    }
    DataForm form = controlForm(FormType::Submit, Xep0155::Renegotiate, Xep0004::BooleanOne);
    for (const FormField &field : std::as_const(m_peerRenegotiation->fields))
        addField(form, field);
    send(out, formMessage(m_peer, form));
    // Complete as soon as the acceptance is sent; what was not renegotiated stays (XEP-0155 §Renegotiating).
    for (auto it = m_peerRenegotiation->proposed.cbegin(); it != m_peerRenegotiation->proposed.cend(); ++it)
        m_parameters.insert(it.key(), it.value());
    m_peerRenegotiation.reset();
    out.events << SsnRenegotiated { m_parameters, true };
    return out;
}

SsnOutput SsnNegotiation::rejectRenegotiation()
{
    SsnOutput out;
    if (m_state != SsnState::Active || !m_peerRenegotiation) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"rejectRenegotiation"_s);
        return out;
    }
    send(out, formMessage(m_peer, controlForm(FormType::Submit, Xep0155::Renegotiate, Xep0004::BooleanZero)));
    m_peerRenegotiation.reset();
    return out;
}

SsnOutput SsnNegotiation::moveTo(const QString &resource)
{
    SsnOutput out;
    if (m_state != SsnState::Active || resource.isEmpty() || !m_moveTarget.isEmpty()) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"moveTo"_s);
        return out;
    }
    send(out, formMessage(m_peer, controlForm(FormType::Submit, Xep0155::Continue, resource)));
    m_moveTarget = resource;
    return out;
}

SsnOutput SsnNegotiation::terminate()
{
    SsnOutput out;
    const bool allowed = m_state == SsnState::Active || m_state == SsnState::AwaitingCompletion
        || (m_state == SsnState::Pending && m_role == SsnRole::Initiator);
    if (!allowed) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"terminate"_s);
        return out;
    }
    send(out, formMessage(m_peer, controlForm(FormType::Submit, Xep0155::Terminate, Xep0004::BooleanOne)));
    m_state = SsnState::Ended;
    m_answer.reset();
    m_ourRenegotiation.reset();
    m_peerRenegotiation.reset();
    m_moveTarget.clear();
    m_terminatedByUs = true;
    out.events << SsnTerminated { false };
    return out;
}

SsnOutput SsnNegotiation::abandon()
{
    SsnOutput out;
    if (m_state == SsnState::Ended) {
        out.events << problemEvent(SsnProblem::LocalMisuse, u"abandon"_s);
        return out;
    }
    if (m_state == SsnState::Active) {
        m_state = SsnState::Ended;
        m_ourRenegotiation.reset();
        m_peerRenegotiation.reset();
        m_moveTarget.clear();
        out.events << SsnTerminated { false };
        return out;
    }
    end(SsnRejection::Abandoned, out);
    return out;
}

// -------------------------------------------------------------------------------------------------------------------
// Receiving

SsnOutput SsnNegotiation::handleMessage(const QDomElement &message)
{
    SsnOutput out;
    if (message.isNull() || localNameOf(message) != Rfc6120::MessageElement)
        return out;
    const std::optional<QString> thread = threadOf(message);
    if (!thread || m_thread.isEmpty() || *thread != m_thread)
        return out; // another thread's (compared raw: XEP-0200 footnote, brief part 1 §1.4)

    const QString type = attribute(message, Rfc6120::TypeAttribute);
    if (type == Rfc6120::MessageError) {
        onErrorStanza(message, out);
        return out;
    }
    if (!type.isEmpty() && type != Rfc6120::MessageNormal && type != Rfc6120::MessageChat)
        return out; // groupchat, headline: never a one-to-one negotiation
    const QList<QDomElement> features = childElements(message, Xep0020::FeatureElement, Xep0020::Namespace);
    if (features.isEmpty())
        return out; // a message in the session, not about it

    Incoming in;
    in.message = message;
    in.feature = features.first();
    in.from = attribute(message, Rfc6120::FromAttribute);
    in.id = attribute(message, Rfc6120::IdAttribute);
    if (!sameBare(in.from, m_peer)) {
        out.events << problemEvent(SsnProblem::WrongPeer, u"from"_s);
        return out;
    }
    out.consumed = true;
    // Unbound, any resource of the contact may answer (XEP-0155 §Accepting); bound, only that one.
    const bool fromPeer = !m_bound || sameJid(in.from, m_peer);

    const QList<QDomElement> forms = childElements(in.feature, Xep0004::XElement, Xep0004::Namespace);
    in.requestLike = !forms.isEmpty() && attribute(forms.first(), Xep0004::TypeAttribute) == Xep0004::FormTypeForm;

    std::optional<SsnProblem> problem;
    QString detail;
    if (features.size() != 1 || forms.size() != 1) {
        problem = SsnProblem::MalformedStanza;
        detail = features.size() != 1 ? Xep0020::FeatureElement : Xep0004::XElement;
    } else if (!stanzaChildren(message, Rfc6120::BodyElement).isEmpty()) {
        problem = SsnProblem::MalformedStanza; // XEP-0155: negotiation messages MUST NOT contain a body
        detail = Rfc6120::BodyElement;
    } else {
        FormResult parsed = DataForm::parse(forms.first());
        if (const auto *failure = std::get_if<FormError>(&parsed)) {
            problem = SsnProblem::MalformedForm;
            detail = errorCodeName(failure->code) + u' ' + failure->where;
        } else {
            in.form = std::get<DataForm>(std::move(parsed));
            if (in.form.formType() != Xep0155::FormType) {
                problem = SsnProblem::NotSsnForm;
                detail = Xep0004::FormTypeVar;
            } else {
                const Classified classified = classify(in.form);
                if (!classified.kind) {
                    problem = SsnProblem::InvalidControl;
                    detail = classified.detail;
                } else {
                    in.kind = *classified.kind;
                }
            }
        }
    }

    if (!fromPeer) {
        // Another resource of the contact, after we bound to one. A second accept of our request must not be
        // left waiting for a completion that never comes (brief part 1 §3.8 #5).
        if (!problem && m_role == SsnRole::Initiator && in.kind == Kind::Accept) {
            send(out, formMessage(in.from, controlForm(FormType::Submit, Xep0155::Terminate, Xep0004::BooleanOne)));
            out.events << problemEvent(SsnProblem::SecondResponder, u"resource"_s, std::nullopt, true);
        } else {
            out.events << problemEvent(SsnProblem::WrongPeer, u"resource"_s);
        }
        return out;
    }

    if (problem) {
        if (in.requestLike) {
            const bool unsupported = *problem == SsnProblem::NotSsnForm || !m_policy.enabled;
            refuseRequest(in, *problem, unsupported ? SsnCondition::ServiceUnavailable : SsnCondition::BadRequest, {},
                detail, out);
        } else if ((m_state == SsnState::Pending && m_role == SsnRole::Initiator)
            || m_state == SsnState::AwaitingCompletion) {
            endWaitingNegotiation(in, *problem, detail, out);
        } else {
            out.events << problemEvent(*problem, detail);
        }
        return out;
    }
    dispatch(in, out);
    return out;
}

void SsnNegotiation::dispatch(const Incoming &in, SsnOutput &out)
{
    const bool isRequest = in.kind == Kind::Request || in.kind == Kind::RenegotiationRequest;
    switch (m_state) {
    case SsnState::Idle:
        if (in.kind == Kind::Request)
            onRequest(in, out);
        else if (isRequest)
            refuseRequest(in, SsnProblem::UnknownSession, SsnCondition::UnexpectedRequest, {}, {}, out);
        else
            out.events << problemEvent(SsnProblem::UnknownSession, {});
        return;

    case SsnState::Pending:
        if (isRequest) {
            refuseRequest(in, SsnProblem::UnexpectedMessage, SsnCondition::UnexpectedRequest, {}, {}, out);
        } else if (in.kind == Kind::Terminate) {
            onPeerTerminate(in, out);
        } else if (m_role == SsnRole::Initiator) {
            if (in.kind == Kind::Accept || in.kind == Kind::Decline)
                onAccept(in, out);
            else
                endWaitingNegotiation(in, SsnProblem::UnexpectedMessage, {}, out);
        } else {
            out.events << problemEvent(SsnProblem::UnexpectedMessage, {}); // we owe the answer, not the peer
        }
        return;

    case SsnState::AwaitingCompletion:
        if (isRequest)
            refuseRequest(in, SsnProblem::UnexpectedMessage, SsnCondition::UnexpectedRequest, {}, {}, out);
        else if (in.kind == Kind::Terminate)
            onPeerTerminate(in, out);
        else if (in.kind == Kind::Complete || in.kind == Kind::Cancel)
            onCompletion(in, out);
        else
            endWaitingNegotiation(in, SsnProblem::UnexpectedMessage, {}, out);
        return;

    case SsnState::Active:
        switch (in.kind) {
        case Kind::Terminate:
            onPeerTerminate(in, out);
            return;
        case Kind::RenegotiationRequest:
            onPeerRenegotiation(in, out);
            return;
        case Kind::RenegotiationAccept:
        case Kind::RenegotiationReject:
            onRenegotiationAnswer(in, in.kind == Kind::RenegotiationAccept, out);
            return;
        case Kind::Move:
            onMove(in, out);
            return;
        case Kind::MoveAccepted:
            onMoveAccepted(in, out);
            return;
        case Kind::Request:
            // A new session must use a new thread (XEP-0155 §Unavailable Presence, XEP-0201).
            refuseRequest(in, SsnProblem::UnexpectedMessage, SsnCondition::UnexpectedRequest, {}, {}, out);
            return;
        default:
            out.events << problemEvent(SsnProblem::UnexpectedMessage, {}); // e.g. a repeated accept or completion
            return;
        }

    case SsnState::Ended:
        if (isRequest) {
            refuseRequest(in, SsnProblem::UnexpectedMessage, SsnCondition::UnexpectedRequest, {}, {}, out);
        } else if (in.kind == Kind::TerminateAck && m_terminatedByUs && !m_terminationAcknowledged) {
            m_terminationAcknowledged = true;
            out.events << SsnTerminationAcknowledged {};
        } else if (in.kind == Kind::Accept && m_role == SsnRole::Initiator && !m_bound) {
            // Our request ended (error from the bare JID, abandon) but a resource accepts it: tell it.
            send(out, formMessage(in.from, controlForm(FormType::Submit, Xep0155::Terminate, Xep0004::BooleanOne)));
            out.events << problemEvent(SsnProblem::UnexpectedMessage, Xep0155::Accept, std::nullopt, true);
        } else {
            out.events << problemEvent(SsnProblem::UnexpectedMessage, {});
        }
        return;
    }
}

bool SsnNegotiation::refuseUnusableOffer(const Incoming &in, const Analysis &analysis, SsnOutput &out)
{
    if (!analysis.malformed.isEmpty())
        refuseRequest(in, SsnProblem::InvalidValue, SsnCondition::BadRequest, {}, analysis.malformed, out);
    else if (!analysis.notImplemented.isEmpty())
        refuseRequest(
            in, SsnProblem::UnsupportedField, SsnCondition::FeatureNotImplemented, analysis.notImplemented, {}, out);
    else if (!analysis.notAcceptable.isEmpty())
        refuseRequest(in, SsnProblem::NoAcceptableOption, SsnCondition::NotAcceptable, analysis.notAcceptable, {}, out);
    else
        return false;
    return true;
}

void SsnNegotiation::refuseRequest(const Incoming &in, SsnProblem problem, SsnCondition condition,
    const QStringList &fields, const QString &detail, SsnOutput &out)
{
    const SsnStanzaError error = stanzaError(condition, fields);
    // XEP-0155 §Presence Leaks: no automatic error to someone who may not see our presence, unless we already
    // answered on this thread.
    const bool replied = mayReply();
    if (replied)
        send(out, errorMessage(in.from, in.id, in.feature, error));
    out.events << problemEvent(problem, detail.isEmpty() ? fields.join(u',') : detail, error, replied);
    if (m_state == SsnState::Idle)
        end(SsnRejection::RefusedByUs, out, {}, error);
}

void SsnNegotiation::endWaitingNegotiation(
    const Incoming &in, SsnProblem problem, const QString &detail, SsnOutput &out)
{
    if (!m_bound) {
        m_peer = in.from;
        m_bound = true;
    }
    // The initiator cancels ([5], XEP-0155 §Completing); the responder has only the terminate flow.
    const DataForm form = m_role == SsnRole::Initiator
        ? controlForm(FormType::Result, Xep0155::Accept, Xep0004::BooleanZero)
        : controlForm(FormType::Submit, Xep0155::Terminate, Xep0004::BooleanOne);
    send(out, formMessage(m_peer, form));
    out.events << problemEvent(problem, detail, std::nullopt, true);
    end(SsnRejection::CancelledByUs, out);
}

void SsnNegotiation::onRequest(const Incoming &in, SsnOutput &out)
{
    m_role = SsnRole::Responder;
    m_peer = in.from;
    m_bound = true;
    const QList<QDomElement> threads = stanzaChildren(in.message, Xep0200::ThreadElement);
    m_threadParent = unprefixedAttribute(threads.first(), Xep0201::ParentAttribute);

    if (!m_policy.enabled) {
        refuseRequest(in, SsnProblem::Disabled, SsnCondition::ServiceUnavailable, {}, {}, out);
        return;
    }
    const Analysis analysis = analyseOffer(in.form, false);
    if (refuseUnusableOffer(in, analysis, out))
        return;

    m_answer = analysis.answer;
    m_answer->original.appendChild(m_answer->original.importNode(in.feature, true));
    m_answer->originalId = in.id;
    m_state = SsnState::Pending;
    if (m_policy.autoAccept && m_policy.mayRevealPresence)
        sendAnswer(out);
    else
        out.events << SsnRequested { m_answer->proposed, m_answer->extraFields };
}

void SsnNegotiation::onAccept(const Incoming &in, SsnOutput &out)
{
    // XEP-0155 §Accepting: the session is with the resource that answered.
    m_peer = in.from;
    m_bound = true;
    if (in.kind == Kind::Decline) {
        end(SsnRejection::DeclinedByPeer, out, in.form.value(Xep0155::Reason));
        return;
    }

    auto checked = checkAnswer(in.form, m_offer);
    if (auto *problem = std::get_if<SsnError>(&checked)) {
        endWaitingNegotiation(in, problem->problem, problem->detail, out);
        return;
    }
    DataForm form = controlForm(FormType::Result, Xep0155::Accept, Xep0004::BooleanOne);
    if (m_extension) {
        auto fields = m_extension->completeFields(in.form);
        if (auto *refusal = std::get_if<SsnStanzaError>(&fields)) {
            const SsnStanzaError error = completed(*refusal);
            send(out, errorMessage(m_peer, in.id, in.feature, error));
            out.events << problemEvent(SsnProblem::ExtensionRefused, error.fields.join(u','), error, true);
            end(SsnRejection::CancelledByUs, out, {}, error);
            return;
        }
        for (const FormField &field : std::get<QList<FormField>>(fields)) {
            if (kindOf(field.var) == FieldKind::Foreign)
                addField(form, field);
        }
    }
    send(out, formMessage(m_peer, form));
    m_parameters = std::get<SsnParameters>(std::move(checked));
    m_state = SsnState::Active;
    out.events << SsnAccepted { m_parameters, foreignFields(in.form) };
}

void SsnNegotiation::onCompletion(const Incoming &in, SsnOutput &out)
{
    if (in.kind == Kind::Cancel) {
        end(SsnRejection::CancelledByPeer, out, in.form.value(Xep0155::Reason));
        return;
    }
    if (m_extension) {
        if (const std::optional<SsnStanzaError> refusal = m_extension->checkCompletion(in.form)) {
            const SsnStanzaError error = completed(*refusal);
            send(out, errorMessage(m_peer, in.id, in.feature, error));
            out.events << problemEvent(SsnProblem::ExtensionRefused, error.fields.join(u','), error, true);
            end(SsnRejection::RefusedByUs, out, {}, error);
            return;
        }
    }
    m_parameters = m_answer->proposed;
    m_answer.reset();
    m_state = SsnState::Active;
    out.events << SsnAccepted { m_parameters, foreignFields(in.form) };
}

void SsnNegotiation::onPeerTerminate(const Incoming &in, SsnOutput &out)
{
    m_state = SsnState::Ended;
    m_answer.reset();
    m_ourRenegotiation.reset();
    m_peerRenegotiation.reset();
    m_moveTarget.clear();
    // The optional acknowledgement; never to a requester we have not answered (presence leak).
    if (m_policy.acknowledgeTermination && mayReply())
        send(out, formMessage(in.from, controlForm(FormType::Result, Xep0155::Terminate, Xep0004::BooleanOne)));
    out.events << SsnTerminated { true };
}

void SsnNegotiation::onPeerRenegotiation(const Incoming &in, SsnOutput &out)
{
    if (m_ourRenegotiation) {
        // Both sides renegotiate at once: the session initiator's request wins, the other one is rejected ([8]).
        if (m_role == SsnRole::Initiator) {
            send(out, formMessage(m_peer, controlForm(FormType::Submit, Xep0155::Renegotiate, Xep0004::BooleanZero)));
            out.events << problemEvent(SsnProblem::UnexpectedMessage, u"renegotiation glare"_s, std::nullopt, true);
            return;
        }
        m_ourRenegotiation.reset();
        out.events << SsnRenegotiationRejected {};
    }
    // The same errors as for a request; the parameters in force stay (XEP-0155 §Renegotiating).
    const Analysis analysis = analyseOffer(in.form, true);
    if (refuseUnusableOffer(in, analysis, out))
        return;
    m_peerRenegotiation = analysis.answer; // replaces one still waiting for a decision
    if (m_policy.autoAcceptRenegotiation) {
        out.append(acceptRenegotiation());
    } else {
        out.events << SsnRenegotiationRequested { m_peerRenegotiation->proposed };
    }
}

void SsnNegotiation::onRenegotiationAnswer(const Incoming &in, bool accepted, SsnOutput &out)
{
    if (!m_ourRenegotiation) {
        out.events << problemEvent(SsnProblem::UnexpectedMessage, Xep0155::Renegotiate);
        return;
    }
    const QList<OfferedField> offered = *m_ourRenegotiation;
    m_ourRenegotiation.reset();
    if (!accepted) {
        out.events << SsnRenegotiationRejected {};
        return;
    }
    auto checked = checkAnswer(in.form, offered);
    if (auto *problem = std::get_if<SsnError>(&checked)) {
        // The peer already applies values we never offered, and there is no cancel for a renegotiation: the
        // session cannot go on consistently. End it.
        send(out, formMessage(m_peer, controlForm(FormType::Submit, Xep0155::Terminate, Xep0004::BooleanOne)));
        m_state = SsnState::Ended;
        m_peerRenegotiation.reset();
        m_moveTarget.clear();
        m_terminatedByUs = true;
        out.events << problemEvent(problem->problem, problem->detail, std::nullopt, true);
        out.events << SsnTerminated { false };
        return;
    }
    const SsnParameters agreed = std::get<SsnParameters>(checked);
    for (auto it = agreed.cbegin(); it != agreed.cend(); ++it)
        m_parameters.insert(it.key(), it.value());
    out.events << SsnRenegotiated { m_parameters, false };
}

void SsnNegotiation::onMove(const Incoming &in, SsnOutput &out)
{
    // Accepted automatically (XEP-0155 §Moving: SHOULD); the answer goes to the resource that asked.
    const QString resource = in.form.value(Xep0155::Continue);
    send(out, formMessage(m_peer, controlForm(FormType::Result, Xep0155::Continue, resource)));
    m_peer = bareOf(m_peer) + u'/' + resource;
    out.events << SsnContinued { resource, true };
}

void SsnNegotiation::onMoveAccepted(const Incoming &in, SsnOutput &out)
{
    const QString resource = in.form.value(Xep0155::Continue);
    if (m_moveTarget.isEmpty() || resource != m_moveTarget) {
        out.events << problemEvent(SsnProblem::UnexpectedMessage, Xep0155::Continue);
        return;
    }
    m_moveTarget.clear();
    out.events << SsnContinued { resource, false };
}

void SsnNegotiation::onErrorStanza(const QDomElement &message, SsnOutput &out)
{
    // Never answered (RFC 6120 §8.3.1). Errors may come from the contact's bare JID (its server).
    if (!sameBare(attribute(message, Rfc6120::FromAttribute), m_peer))
        return;
    const SsnStanzaError error = parseStanzaError(message);
    if ((m_state == SsnState::Pending && m_role == SsnRole::Initiator) || m_state == SsnState::AwaitingCompletion) {
        out.consumed = true;
        end(SsnRejection::PeerError, out, {}, error);
    } else if (m_state == SsnState::Active && m_role == SsnRole::Initiator && echoesCompletion(message)) {
        // The responder refused our completion ([4]): it never opened the session.
        out.consumed = true;
        end(SsnRejection::PeerError, out, {}, error);
    } else if (m_state == SsnState::Active && m_ourRenegotiation) {
        out.consumed = true;
        m_ourRenegotiation.reset();
        out.events << SsnRenegotiationRejected { error };
    } else if (m_state == SsnState::Active && !m_moveTarget.isEmpty()) {
        out.consumed = true;
        m_moveTarget.clear();
        out.events << problemEvent(SsnProblem::PeerError, Xep0155::Continue, error);
    }
    // Otherwise not ours: a bounced chat message, a late error (the caller shows it).
}

// -------------------------------------------------------------------------------------------------------------------

QString stateName(SsnState state)
{
    switch (state) {
    case SsnState::Idle:
        return u"Idle"_s;
    case SsnState::Pending:
        return u"Pending"_s;
    case SsnState::AwaitingCompletion:
        return u"AwaitingCompletion"_s;
    case SsnState::Active:
        return u"Active"_s;
    case SsnState::Ended:
        return u"Ended"_s;
    }
    return {};
}

QString problemName(SsnProblem problem)
{
    switch (problem) {
    case SsnProblem::MalformedStanza:
        return u"MalformedStanza"_s;
    case SsnProblem::MalformedForm:
        return u"MalformedForm"_s;
    case SsnProblem::NotSsnForm:
        return u"NotSsnForm"_s;
    case SsnProblem::InvalidControl:
        return u"InvalidControl"_s;
    case SsnProblem::InvalidValue:
        return u"InvalidValue"_s;
    case SsnProblem::UnsupportedField:
        return u"UnsupportedField"_s;
    case SsnProblem::NoAcceptableOption:
        return u"NoAcceptableOption"_s;
    case SsnProblem::OptionNotOffered:
        return u"OptionNotOffered"_s;
    case SsnProblem::MissingRequiredValue:
        return u"MissingRequiredValue"_s;
    case SsnProblem::UnexpectedMessage:
        return u"UnexpectedMessage"_s;
    case SsnProblem::UnknownSession:
        return u"UnknownSession"_s;
    case SsnProblem::WrongPeer:
        return u"WrongPeer"_s;
    case SsnProblem::SecondResponder:
        return u"SecondResponder"_s;
    case SsnProblem::PeerError:
        return u"PeerError"_s;
    case SsnProblem::ExtensionRefused:
        return u"ExtensionRefused"_s;
    case SsnProblem::Disabled:
        return u"Disabled"_s;
    case SsnProblem::LocalMisuse:
        return u"LocalMisuse"_s;
    }
    return {};
}

QString conditionName(SsnCondition condition)
{
    return condition == SsnCondition::Other ? QString() : *conditionInfo(condition).name;
}

SsnCondition conditionFromName(QStringView name)
{
    for (SsnCondition condition : { SsnCondition::ServiceUnavailable, SsnCondition::FeatureNotImplemented,
             SsnCondition::NotAcceptable, SsnCondition::BadRequest, SsnCondition::UnexpectedRequest }) {
        if (name == *conditionInfo(condition).name)
            return condition;
    }
    return SsnCondition::Other;
}

SsnStanzaError errorOfMessage(const QDomElement &message)
{
    return parseStanzaError(message);
}

} // namespace Esession
