// XEP-0155 stanza session negotiation: two machines back to back for every flow (both roles), a scripted peer
// built from the XEP-0155 examples (read from the XEP source at test time), malformed and mutated inputs, and
// threads mirrored exactly. Every stanza any machine emits is checked: one exact <thread/>, no <body/>.
//
// moc (Qt 6.4) drops the slots that follow a raw string literal holding an apostrophe: none are used here, and
// initTestCase() checks that every test function exists.
#include <QDir>
#include <QDomDocument>
#include <QFile>
#include <QMap>
#include <QMetaMethod>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>
#include <QTextStream>

#include <memory>

#include "crypto/Crypto.h"
#include "esession/DataForm.h"
#include "esession/FormConstants.h"
#include "esession/FormNormalizer.h"
#include "esession/SsnNegotiation.h"
#include "session/SessionManager.h"

using namespace Esession;
using namespace Qt::StringLiterals;

namespace QTest {
template <> char *toString(const Esession::SsnState &state)
{
    return qstrdup(qPrintable(Esession::stateName(state)));
}
template <> char *toString(const Esession::SsnProblem &problem)
{
    return qstrdup(qPrintable(Esession::problemName(problem)));
}
template <> char *toString(const Esession::SsnRejection &reason)
{
    return qstrdup(QByteArray::number(int(reason)).constData());
}
template <> char *toString(const Esession::SsnCondition &condition)
{
    return qstrdup(qPrintable(Esession::conditionName(condition)));
}
template <> char *toString(const Esession::FormType &type)
{
    return qstrdup(qPrintable(Esession::formTypeName(type)));
}
template <> char *toString(const Esession::FieldType &type)
{
    return qstrdup(qPrintable(Esession::fieldTypeName(type)));
}
template <> char *toString(const Esession::SsnParameters &parameters)
{
    QStringList pairs;
    for (auto it = parameters.cbegin(); it != parameters.cend(); ++it)
        pairs << it.key() + u'=' + it.value();
    return qstrdup(qPrintable(pairs.join(u", ")));
}
} // namespace QTest

namespace {

const QString Romeo = u"romeo@montague.net/orchard"_s;
const QString JulietBare = u"juliet@capulet.com"_s;
const QString Juliet = u"juliet@capulet.com/balcony"_s;
const QString SpecThread = u"ffd7076498744578d10edabfe7f4a866"_s;

// ---------------------------------------------------------------------------------------------------------------
// XML helpers

QDomElement parseXml(const QString &xml)
{
    QDomDocument doc;
    if (!doc.setContent(xml, true))
        return {};
    return doc.documentElement();
}

QString toXml(const QDomElement &element)
{
    QString text;
    QTextStream stream(&text);
    element.save(stream, -1);
    stream.flush();
    return text;
}

/// What the peer receives: our stanza serialised, parsed back, with `from` stamped by the server.
QDomElement wire(const QDomElement &stanza, const QString &from)
{
    QDomElement received = parseXml(toXml(stanza));
    if (!received.isNull())
        received.setAttribute(u"from"_s, from);
    return received;
}

QList<QDomElement> childrenNamed(const QDomElement &parent, const QString &name, const QString &ns = {})
{
    QList<QDomElement> found;
    for (QDomElement child = parent.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (localNameOf(child) == name && (ns.isEmpty() || namespaceOf(child) == ns))
            found << child;
    }
    return found;
}

std::optional<DataForm> formOf(const QDomElement &message)
{
    const QList<QDomElement> features = childrenNamed(message, Xep0020::FeatureElement, Xep0020::Namespace);
    if (features.size() != 1)
        return std::nullopt;
    const QList<QDomElement> xs = childrenNamed(features.first(), Xep0004::XElement, Xep0004::Namespace);
    if (xs.size() != 1)
        return std::nullopt;
    FormResult parsed = DataForm::parse(xs.first());
    if (!std::holds_alternative<DataForm>(parsed))
        return std::nullopt;
    return std::get<DataForm>(parsed);
}

bool isBooleanVar(const QString &var)
{
    return var == Xep0155::Accept || var == Xep0155::Renegotiate || var == Xep0155::Terminate
        || var == Xep0155::Multisession;
}

QString normalizedValue(const QString &var, const QString &value)
{
    if (!isBooleanVar(var))
        return value;
    if (value == u"true" || value == u"1")
        return u"1"_s;
    if (value == u"false" || value == u"0")
        return u"0"_s;
    return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Events

template <typename T> QList<T> eventsOf(const SsnOutput &out)
{
    QList<T> found;
    for (const SsnEvent &event : out.events) {
        if (const auto *typed = std::get_if<T>(&event))
            found << *typed;
    }
    return found;
}

/// The first event of type T; records a failure when there is none (then a value-initialised T).
template <typename T> const T &firstEvent(const SsnOutput &out)
{
    for (const SsnEvent &event : out.events) {
        if (const auto *typed = std::get_if<T>(&event))
            return *typed;
    }
    QTest::qFail("expected event missing", __FILE__, __LINE__);
    static const T none {};
    return none;
}

template <typename T> bool has(const SsnOutput &out)
{
    return !eventsOf<T>(out).isEmpty();
}

QString describeEvents(const SsnOutput &out)
{
    QStringList names;
    for (const SsnEvent &event : out.events) {
        if (const auto *error = std::get_if<SsnError>(&event))
            names << u"Error(%1 %2)"_s.arg(problemName(error->problem), error->detail);
        else
            names << u"event#%1"_s.arg(event.index());
    }
    return names.join(u", ");
}

// ---------------------------------------------------------------------------------------------------------------
// The invariants of every stanza a machine emits

QString stanzaProblems(const SsnNegotiation &machine, const SsnOutput &out)
{
    for (const QDomElement &stanza : out.stanzas) {
        if (stanza.isNull())
            return u"null stanza"_s;
        if (stanza.ownerDocument().documentElement() != stanza)
            return u"not the document element of its own document"_s;
        if (stanza.localName() != u"message" || stanza.namespaceURI() != u"jabber:client")
            return u"not a jabber:client message: "_s + toXml(stanza);
        const QString type = stanza.attribute(u"type"_s);
        if (type != u"normal" && type != u"error")
            return u"type "_s + type;
        if (stanza.attribute(u"to"_s).isEmpty())
            return u"no to"_s;
        // The same checks on what the peer parses.
        const QDomElement received = parseXml(toXml(stanza));
        if (received.isNull())
            return u"not well-formed: "_s + toXml(stanza);
        const QList<QDomElement> threads = childrenNamed(received, u"thread"_s);
        if (threads.size() != 1)
            return u"%1 threads"_s.arg(threads.size());
        if (threads.first().text() != machine.thread())
            return u"thread not mirrored: '%1'"_s.arg(threads.first().text());
        if (received.elementsByTagName(u"body"_s).count() != 0)
            return u"a <body/> in a negotiation message"_s;
        if (type == u"normal" && !formOf(received))
            return u"no single valid form: "_s + toXml(stanza);
    }
    return {};
}

#define CHECK_OUT(machine, out)                                                                                        \
    do {                                                                                                               \
        const QString problems_ = stanzaProblems(machine, out);                                                        \
        QVERIFY2(problems_.isEmpty(), qPrintable(problems_));                                                          \
    } while (false)

/// Delivers every stanza of @p out (sent by @p fromJid) to @p to; the combined output of @p to.
SsnOutput deliver(const SsnOutput &out, const QString &fromJid, SsnNegotiation &to)
{
    SsnOutput combined;
    for (const QDomElement &stanza : out.stanzas)
        combined.append(to.handleMessage(wire(stanza, fromJid)));
    return combined;
}

/// "error:<condition>", "cancel", "terminate", "ack", "complete", "accept", "decline", "reneg:0", "reneg:1",
/// "continue", "continued", "request", "renegotiate".
QString describeReply(const QDomElement &stanza)
{
    if (stanza.attribute(u"type"_s) == u"error") {
        const QList<QDomElement> errors = childrenNamed(stanza, u"error"_s);
        if (errors.size() != 1)
            return u"error:?"_s;
        QStringList conditions;
        for (QDomElement child = errors.first().firstChildElement(); !child.isNull();
             child = child.nextSiblingElement()) {
            if (child.namespaceURI() == Rfc6120::StanzasNamespace)
                conditions << child.localName();
        }
        return u"error:"_s + conditions.join(u'+');
    }
    const std::optional<DataForm> form = formOf(stanza);
    if (!form)
        return u"?"_s;
    const auto flag = [&](const QString &var) { return normalizedValue(var, form->value(var)); };
    switch (form->type()) {
    case FormType::Form:
        return form->field(Xep0155::Accept) ? u"request"_s : u"renegotiate"_s;
    case FormType::Submit:
        if (form->field(Xep0155::Accept))
            return flag(Xep0155::Accept) == u"1" ? u"accept"_s : u"decline"_s;
        if (form->field(Xep0155::Renegotiate))
            return u"reneg:"_s + flag(Xep0155::Renegotiate);
        if (form->field(Xep0155::Terminate))
            return u"terminate"_s;
        return u"continue"_s;
    case FormType::Result:
        if (form->field(Xep0155::Accept))
            return flag(Xep0155::Accept) == u"1" ? u"complete"_s : u"cancel"_s;
        if (form->field(Xep0155::Terminate))
            return u"ack"_s;
        return u"continued"_s;
    case FormType::Cancel:
        break;
    }
    return u"?"_s;
}

struct ExpectedError
{
    const char *condition;
    const char *type;
    const char *code;
};

/// The error stanza XEP-0155 (and RFC 6120 for the two conditions it does not name) expects per condition.
std::optional<ExpectedError> expectedError(const QString &condition)
{
    static const ExpectedError table[] = {
        { "service-unavailable", "cancel", "503" },
        { "feature-not-implemented", "cancel", "501" },
        { "not-acceptable", "modify", "406" },
        { "bad-request", "modify", "400" },
        { "unexpected-request", "cancel", "400" },
    };
    for (const ExpectedError &e : table) {
        if (condition == QLatin1StringView(e.condition))
            return e;
    }
    return std::nullopt;
}

/// Checks an error stanza: exactly one defined condition, its type and code, the failing fields.
QString errorProblems(const QDomElement &stanza, const QString &condition, const QStringList &fields = {})
{
    const QList<QDomElement> errors = childrenNamed(stanza, u"error"_s);
    if (errors.size() != 1)
        return u"%1 <error/>"_s.arg(errors.size());
    const QDomElement error = errors.first();
    QStringList conditions;
    QStringList vars;
    for (QDomElement child = error.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (child.namespaceURI() == Rfc6120::StanzasNamespace)
            conditions << child.localName();
        else if (child.localName() == u"feature" && child.namespaceURI() == Xep0020::Namespace) {
            for (QDomElement field = child.firstChildElement(); !field.isNull(); field = field.nextSiblingElement())
                vars << field.attribute(u"var"_s);
        }
    }
    if (conditions != QStringList { condition })
        return u"conditions %1, expected %2"_s.arg(conditions.join(u','), condition);
    const std::optional<ExpectedError> expected = expectedError(condition);
    if (!expected)
        return u"unknown condition "_s + condition;
    if (error.attribute(u"type"_s) != QLatin1StringView(expected->type))
        return u"type "_s + error.attribute(u"type"_s);
    if (error.attribute(u"code"_s) != QLatin1StringView(expected->code))
        return u"code "_s + error.attribute(u"code"_s);
    if (vars != fields)
        return u"fields %1, expected %2"_s.arg(vars.join(u','), fields.join(u','));
    return {};
}

// ---------------------------------------------------------------------------------------------------------------
// Policies

SsnParameterPolicy param(const QString &var, const QStringList &values, bool required = false, bool own = false)
{
    return SsnParameterPolicy { var, values, required, own };
}

/// Accepts nearly everything; offers logging, disclosure and security as required.
SsnPolicy permissive()
{
    using namespace Xep0155;
    SsnPolicy p;
    p.mayRevealPresence = true;
    p.serverArchivingCanBeDisabled = true;
    p.parameters = {
        param(Logging, { MustNot, May }, true),
        param(Disclosure, { DisclosureNever, DisclosureDisabled }, true),
        param(Security, { SecurityC2s, SecurityNone }, true),
        param(Multisession, { u"0"_s, u"1"_s }),
        param(ChatStates, { May, MustNot }),
        param(XhtmlIm, { MustNot, May }),
        param(Language, { u"en"_s, u"it"_s }),
    };
    return p;
}

/// Romeo's request in the XEP-0155 example, field for field.
SsnPolicy romeoSpecPolicy()
{
    using namespace Xep0155;
    SsnPolicy p;
    p.mayRevealPresence = true;
    p.serverArchivingCanBeDisabled = true;
    p.parameters = {
        param(Logging, { MustNot, May }, true),
        param(Disclosure, { DisclosureNever, DisclosureDisabled, DisclosureEnabled }, true),
        param(Multisession, { u"0"_s }),
        param(XhtmlIm, { May, MustNot }),
        param(Presence, { May, MustNot }),
        param(ChatStates, { May, MustNot }),
        param(Security, { SecurityC2s }, true),
        param(Language, { u"en"_s, u"it"_s }),
    };
    return p;
}

/// Juliet in the XEP-0155 example: she prefers Italian, knows nothing of multisession and presence sharing.
SsnPolicy julietSpecPolicy()
{
    using namespace Xep0155;
    SsnPolicy p;
    p.mayRevealPresence = true;
    p.serverArchivingCanBeDisabled = true;
    p.parameters = {
        param(Logging, { MustNot, May }),
        param(Disclosure, { DisclosureNever }),
        param(XhtmlIm, { May, MustNot }),
        param(ChatStates, { May, MustNot }),
        param(Security, { SecurityC2s }),
        param(Language, { u"it"_s, u"en"_s }, false, true),
    };
    return p;
}

// ---------------------------------------------------------------------------------------------------------------
// The XEP-0155 examples

struct Examples
{
    QMap<QString, QString> byCaption;
    QStringList problems;
    int tags = 0;
};

const Examples &examples()
{
    static const Examples loaded = [] {
        Examples e;
        QFile file(QDir(QStringLiteral(SOTTO_SPECS_DIR)).filePath(u"xep-0155.xml"_s));
        if (!file.open(QIODevice::ReadOnly)) {
            e.problems << u"cannot read "_s + file.fileName();
            return e;
        }
        const QString text = QString::fromUtf8(file.readAll());
        static const QRegularExpression exampleRe(u"<example\\b([^>]*)>\\s*<!\\[CDATA\\[(.*?)\\]\\]>\\s*</example>"_s,
            QRegularExpression::DotMatchesEverythingOption);
        static const QRegularExpression captionRe(u"caption\\s*=\\s*(['\"])(.*?)\\1"_s);
        static const QRegularExpression tagRe(u"<example\\b"_s);
        e.tags = int(text.count(tagRe));
        for (auto it = exampleRe.globalMatch(text); it.hasNext();) {
            const auto match = it.next();
            const auto caption = captionRe.match(match.captured(1));
            if (!caption.hasMatch())
                e.problems << u"an example without a caption"_s;
            else
                e.byCaption.insert(caption.captured(2), match.captured(2));
        }
        return e;
    }();
    return loaded;
}

/// The character data of the first <thread ...>...</thread> in serialised XML, as written.
QString threadText(const QString &xml)
{
    const qsizetype open = xml.indexOf(u"<thread");
    const qsizetype start = xml.indexOf(u'>', open) + 1;
    const qsizetype end = xml.indexOf(u"</thread>", start);
    return open < 0 || end < 0 ? QString() : xml.mid(start, end - start);
}

/// @p text as the DOM serialiser writes it inside an element.
QString escapedText(const QString &text)
{
    QDomDocument doc;
    QDomElement element = doc.createElement(u"thread"_s);
    doc.appendChild(element);
    element.appendChild(doc.createTextNode(text));
    return threadText(toXml(element));
}

QDomElement example(const QString &caption)
{
    return parseXml(examples().byCaption.value(caption));
}

const QString CapRequest = u"User requests session"_s;
const QString CapAccept = u"Contact accepts session and specifies parameters"_s;
const QString CapDecline = u"Contact declines offer and specifies reason"_s;
const QString CapUnavailable = u"Contact returns service unavailable error"_s;
const QString CapNotImplemented = u"Contact returns feature not implemented error"_s;
const QString CapNotAcceptable = u"Contact returns options not acceptable error"_s;
const QString CapComplete = u"User completes negotiation and confirms session is open"_s;
const QString CapCancel = u"User cancels stanza session negotiation"_s;
const QString CapMove = u"One party asks to switch session to another of its resources"_s;
const QString CapMoveAccepted = u"Other client accepts switch"_s;
const QString CapRenegotiate = u"One party requests renegotiation"_s;
const QString CapRenegotiationAccepted = u"Other party accepts renegotiation and specifies parameters"_s;
const QString CapRenegotiationRejected = u"Other party rejects renegotiation"_s;
const QString CapTerminate = u"One party terminates session"_s;
const QString CapTerminateAck = u"Other party acknowledges session termination"_s;

/// Compares our stanza with an example: type, to, thread, no body, the form (type, FORM_TYPE, fields in order with
/// their values, booleans compared as booleans; for a "form" also field types, options and <required/>).
/// @p exampleOnly: fields only the example has (its `reason`, a title is never compared). @p ignoreDefault: fields
/// whose default value is not compared. @p unorderedOptions: fields whose options are compared as a set.
QString compareToExample(const QDomElement &ours, const QString &caption, const QStringList &exampleOnly = {},
    const QStringList &ignoreDefault = {}, const QStringList &unorderedOptions = {})
{
    const QDomElement theirs = example(caption);
    if (theirs.isNull())
        return u"no example "_s + caption;
    const QDomElement received = parseXml(toXml(ours));
    const auto type = [](const QDomElement &m) {
        const QString t = m.attribute(u"type"_s);
        return t.isEmpty() ? u"normal"_s : t;
    };
    if (type(received) != type(theirs))
        return u"type %1 vs %2"_s.arg(type(received), type(theirs));
    if (received.attribute(u"to"_s) != theirs.attribute(u"to"_s))
        return u"to %1 vs %2"_s.arg(received.attribute(u"to"_s), theirs.attribute(u"to"_s));
    if (childrenNamed(received, u"thread"_s).value(0).text() != childrenNamed(theirs, u"thread"_s).value(0).text())
        return u"thread"_s;
    if (!childrenNamed(received, u"body"_s).isEmpty())
        return u"body"_s;
    if (type(theirs) == u"error")
        return {}; // the error element is compared by errorProblems()

    const std::optional<DataForm> a = formOf(received);
    const std::optional<DataForm> b = formOf(theirs);
    if (!a || !b)
        return u"form missing or invalid"_s;
    if (a->type() != b->type())
        return u"form type %1 vs %2"_s.arg(formTypeName(a->type()), formTypeName(b->type()));
    if (a->formType() != Xep0155::FormType || b->formType() != Xep0155::FormType)
        return u"FORM_TYPE"_s;
    QStringList ourVars;
    QStringList theirVars;
    for (const FormField &field : a->fields())
        ourVars << field.var;
    for (const FormField &field : b->fields()) {
        if (!exampleOnly.contains(field.var))
            theirVars << field.var;
    }
    if (ourVars != theirVars)
        return u"fields [%1] vs [%2]"_s.arg(ourVars.join(u','), theirVars.join(u','));
    for (const FormField &field : a->fields()) {
        const FormField *other = b->field(field.var);
        QStringList ourValues;
        QStringList theirValues;
        for (const QString &v : field.values)
            ourValues << normalizedValue(field.var, v);
        for (const QString &v : other->values)
            theirValues << normalizedValue(field.var, v);
        if (ourValues != theirValues && !ignoreDefault.contains(field.var))
            return u"%1: values [%2] vs [%3]"_s.arg(field.var, ourValues.join(u','), theirValues.join(u','));
        if (field.type != other->type)
            return u"%1: type %2 vs %3"_s.arg(field.var, fieldTypeName(field.type), fieldTypeName(other->type));
        if (field.required != other->required)
            return u"%1: required"_s.arg(field.var);
        QStringList ourOptions;
        QStringList theirOptions;
        for (const FormOption &o : field.options)
            ourOptions << o.value;
        for (const FormOption &o : other->options)
            theirOptions << o.value;
        if (unorderedOptions.contains(field.var)) {
            ourOptions.sort();
            theirOptions.sort();
        }
        if (ourOptions != theirOptions)
            return u"%1: options [%2] vs [%3]"_s.arg(field.var, ourOptions.join(u','), theirOptions.join(u','));
    }
    // The AMP rule, when the example has one.
    const QList<QDomElement> theirAmp = childrenNamed(theirs, u"amp"_s, Xep0079::Namespace);
    const QList<QDomElement> ourAmp = childrenNamed(received, u"amp"_s, Xep0079::Namespace);
    if (theirAmp.size() != ourAmp.size())
        return u"amp"_s;
    for (qsizetype i = 0; i < ourAmp.size(); ++i) {
        const QDomElement r1 = ourAmp[i].firstChildElement();
        const QDomElement r2 = theirAmp[i].firstChildElement();
        for (const QString &attribute : { u"action"_s, u"condition"_s, u"value"_s }) {
            if (r1.attribute(attribute) != r2.attribute(attribute))
                return u"amp rule "_s + attribute;
        }
    }
    return {};
}

#define COMPARE_EXAMPLE(ours, ...)                                                                                     \
    do {                                                                                                               \
        const QString difference_ = compareToExample(ours, __VA_ARGS__);                                               \
        QVERIFY2(difference_.isEmpty(), qPrintable(difference_));                                                      \
    } while (false)

// ---------------------------------------------------------------------------------------------------------------
// Hand-written inputs: templates with %FROM%, %OTHER% (another resource of the sender), %STRANGER% and %THREAD%

QString fld(const QString &var, const QString &value)
{
    return u"<field var='%1'><value>%2</value></field>"_s.arg(var, value);
}

QString listField(const QString &var, const QString &defaultValue, const QStringList &options, bool required)
{
    QString xml = u"<field var='%1' type='list-single'><value>%2</value>"_s.arg(var, defaultValue);
    for (const QString &option : options)
        xml += u"<option><value>%1</value></option>"_s.arg(option);
    return xml + (required ? u"<required/>"_s : QString()) + u"</field>"_s;
}

const QString FT = u"<field var='FORM_TYPE'><value>urn:xmpp:ssn</value></field>"_s;
const QString FTH = u"<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:ssn</value></field>"_s;
const QString AcceptRequired = u"<field var='accept' type='boolean'><value>1</value><required/></field>"_s;
const QString RenegotiateRequired = u"<field var='renegotiate' type='boolean'><value>1</value><required/></field>"_s;

QString feat(const QString &xType, const QString &fields)
{
    return u"<feature xmlns='http://jabber.org/protocol/feature-neg'><x xmlns='jabber:x:data' type='%1'>%2</x>"
           "</feature>"_s.arg(xType, fields);
}

QString env(const QString &inner, const QString &type = u"normal"_s, const QString &from = u"%FROM%"_s)
{
    return u"<message xmlns='jabber:client' from='%1' to='me@example.net/here' type='%2'><thread>%THREAD%</thread>"_s
               .arg(from, type)
        + inner + u"</message>"_s;
}

/// A request every permissive machine accepts.
QString goodRequestFields()
{
    using namespace Xep0155;
    return FTH + AcceptRequired + listField(Logging, May, { May, MustNot }, true)
        + listField(Disclosure, DisclosureNever, { DisclosureNever }, true)
        + listField(Security, SecurityC2s, { SecurityC2s }, true);
}

/// A valid answer to the permissive() offer.
QString goodAcceptFields()
{
    return FT + fld(u"accept"_s, u"1"_s) + fld(u"logging"_s, u"mustnot"_s) + fld(u"disclosure"_s, u"never"_s)
        + fld(u"security"_s, u"c2s"_s);
}

// ---------------------------------------------------------------------------------------------------------------
// Machines in a given state, wired to a real peer

enum Setup {
    IdleResponder,
    PendingInitiator,
    PendingResponder, ///< a request waits for the local user
    AwaitingCompletion,
    ActiveInitiator,
    ActiveResponder,
    EndedInitiator, ///< after our terminate
};

struct Fixture
{
    std::unique_ptr<SsnNegotiation> machine;
    QString peer; ///< the JID inputs come from
    QString thread;
};

Fixture makeFixture(Setup setup)
{
    const QString thread = SessionManager::newThreadId();
    auto romeo = std::make_unique<SsnNegotiation>(JulietBare, thread, permissive());
    SsnPolicy julietPolicy = permissive();
    julietPolicy.autoAccept = setup != PendingResponder;
    auto juliet = std::make_unique<SsnNegotiation>(Romeo, thread, julietPolicy);
    if (setup == IdleResponder)
        return { std::move(juliet), Romeo, thread };
    const SsnOutput request = romeo->request();
    if (setup == PendingInitiator)
        return { std::move(romeo), Juliet, thread };
    const SsnOutput accept = deliver(request, Romeo, *juliet);
    if (setup == PendingResponder || setup == AwaitingCompletion)
        return { std::move(juliet), Romeo, thread };
    const SsnOutput complete = deliver(accept, Juliet, *romeo);
    const SsnOutput unused = deliver(complete, Romeo, *juliet);
    Q_UNUSED(unused);
    if (setup == ActiveResponder)
        return { std::move(juliet), Romeo, thread };
    if (setup == EndedInitiator) {
        const SsnOutput terminated = romeo->terminate();
        Q_UNUSED(terminated);
    }
    return { std::move(romeo), Juliet, thread };
}

SsnState stateOf(Setup setup)
{
    switch (setup) {
    case IdleResponder:
        return SsnState::Idle;
    case PendingInitiator:
    case PendingResponder:
        return SsnState::Pending;
    case AwaitingCompletion:
        return SsnState::AwaitingCompletion;
    case ActiveInitiator:
    case ActiveResponder:
        return SsnState::Active;
    case EndedInitiator:
        return SsnState::Ended;
    }
    return SsnState::Idle;
}

QString substitute(QString xml, const Fixture &f)
{
    const QString bare = f.peer.left(f.peer.indexOf(u'/'));
    xml.replace(u"%FROM%"_s, f.peer);
    xml.replace(u"%OTHER%"_s, bare + u"/other"_s);
    xml.replace(u"%STRANGER%"_s, u"tybalt@capulet.com/street"_s);
    xml.replace(u"%THREAD%"_s, f.thread);
    return xml;
}

/// An extension standing in for the ESession negotiation: its fields ride on the SSN forms.
class TestExtension : public SsnExtension
{
public:
    bool refuseRequest = false;
    bool refuseCompletion = false;
    QString seenOffer;
    QString seenAnswer;
    QString seenFinal;

    bool handlesField(const QString &var) const override { return var.startsWith(u"x-test"); }
    QList<FormField> requestFields() override { return { field(u"x-test-offer"_s, u"hello"_s, true) }; }
    std::variant<QList<FormField>, SsnStanzaError> acceptFields(const DataForm &request) override
    {
        seenOffer = request.value(u"x-test-offer"_s);
        if (refuseRequest)
            return SsnStanzaError { SsnCondition::NotAcceptable, {}, Rfc6120::ErrorCancel, { u"x-test-offer"_s } };
        return QList<FormField> { field(u"x-test-answer"_s, u"world"_s) };
    }
    std::variant<QList<FormField>, SsnStanzaError> completeFields(const DataForm &accept) override
    {
        seenAnswer = accept.value(u"x-test-answer"_s);
        return QList<FormField> { field(u"x-test-final"_s, u"done"_s) };
    }
    std::optional<SsnStanzaError> checkCompletion(const DataForm &completion) override
    {
        seenFinal = completion.value(u"x-test-final"_s);
        if (refuseCompletion)
            return SsnStanzaError { SsnCondition::FeatureNotImplemented, {}, {}, {} };
        return std::nullopt;
    }

private:
    static FormField field(const QString &var, const QString &value, bool required = false)
    {
        FormField f;
        f.var = var;
        f.values = { value };
        f.required = required;
        return f;
    }
};

} // namespace

class TestSsnNegotiation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        static const char *const functions[] = {
            "discoFeature()",
            "requestShape()",
            "loggingMustNotNeedsArchivingControl()",
            "backToBackAcceptBothRoles()",
            "backToBackDecline()",
            "backToBackRefusals()",
            "backToBackCancel()",
            "presenceLeak()",
            "terminateBothWays()",
            "renegotiateBothWays()",
            "renegotiationRejectedAndRefused()",
            "renegotiationGlare()",
            "renegotiationAnswerNotOffered()",
            "moveBothWays()",
            "secondResponder()",
            "abandonAndLateAnswer()",
            "otrAndLoggingVocabulary()",
            "extensionFieldsPassThrough()",
            "localMisuse()",
            "specCorpus()",
            "specInitiator()",
            "specInitiatorDecline()",
            "specInitiatorErrors()",
            "specResponder()",
            "specResponderCancelled()",
            "specResponderRefusals()",
            "specMove()",
            "specRenegotiation()",
            "specTerminate()",
            "malformedInputs()",
            "mutatedExamples()",
            "threadMirroring()",
            "threadComparedRaw()",
            "unknownThread()",
        };
        int testFunctions = 0;
        for (int i = metaObject()->methodOffset(); i < metaObject()->methodCount(); ++i) {
            const QByteArray signature = metaObject()->method(i).methodSignature();
            testFunctions += signature != "initTestCase()" && !signature.endsWith("_data()") ? 1 : 0;
        }
        for (const char *function : functions)
            QVERIFY2(metaObject()->indexOfMethod(function) >= 0, function);
        QCOMPARE(testFunctions, int(std::size(functions)));
    }

    // ---- advertisement and the request ---------------------------------------------------------------------------

    void discoFeature() { QCOMPARE(SsnNegotiation::discoFeatures(), QStringList { u"urn:xmpp:ssn"_s }); }

    void requestShape()
    {
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread); // Sotto's defaults: archiving control not confirmed
        const SsnOutput out = romeo.request();
        CHECK_OUT(romeo, out);
        QCOMPARE(out.stanzas.size(), 1);
        QCOMPARE(romeo.state(), SsnState::Pending);
        QVERIFY(romeo.role() == SsnRole::Initiator);
        const QDomElement stanza = parseXml(toXml(out.stanzas.first()));
        QCOMPARE(stanza.attribute(u"type"_s), u"normal"_s);
        QCOMPARE(stanza.attribute(u"to"_s), JulietBare);
        QCOMPARE(childrenNamed(stanza, u"thread"_s).value(0).text(), thread);
        const std::optional<DataForm> form = formOf(stanza);
        QVERIFY(form);
        QCOMPARE(form->type(), FormType::Form);
        QCOMPARE(form->fields().first().var, u"FORM_TYPE"_s);
        QCOMPARE(form->fields().first().type, FieldType::Hidden);
        QCOMPARE(form->formType(), u"urn:xmpp:ssn"_s);
        const FormField *accept = form->field(u"accept"_s);
        QVERIFY(accept);
        QCOMPARE(accept->type, FieldType::Boolean);
        QVERIFY(accept->required);
        QVERIFY(form->booleanValue(u"accept"_s) == std::optional<bool>(true));
        // logging, disclosure, security are RECOMMENDED; mustnot is not offered without archiving control.
        const FormField *logging = form->field(u"logging"_s);
        QVERIFY(logging);
        QCOMPARE(logging->type, FieldType::ListSingle);
        QCOMPARE(logging->values, QStringList { u"may"_s });
        QCOMPARE(logging->options.size(), 1);
        QVERIFY(form->field(u"disclosure"_s) && form->field(u"disclosure"_s)->required);
        QVERIFY(form->field(u"security"_s) && form->field(u"security"_s)->required);
        QVERIFY(form->booleanValue(u"multisession"_s) == std::optional<bool>(false));
        // Not stored offline (XEP-0079).
        const QList<QDomElement> amp = childrenNamed(stanza, u"amp"_s, u"http://jabber.org/protocol/amp"_s);
        QCOMPARE(amp.size(), 1);
        const QDomElement rule = amp.first().firstChildElement(u"rule"_s);
        QCOMPARE(rule.attribute(u"action"_s), u"drop"_s);
        QCOMPARE(rule.attribute(u"condition"_s), u"deliver"_s);
        QCOMPARE(rule.attribute(u"value"_s), u"stored"_s);

        // immediateOnly off: no AMP.
        SsnPolicy policy = SsnPolicy::defaults();
        policy.immediateOnly = false;
        SsnNegotiation stored(JulietBare, SessionManager::newThreadId(), policy);
        const SsnOutput storedOut = stored.request();
        QCOMPARE(childrenNamed(storedOut.stanzas.value(0), u"amp"_s).size(), 0);
    }

    void loggingMustNotNeedsArchivingControl()
    {
        using namespace Xep0155;
        // An initiator insisting on mustnot cannot send a request at all.
        SsnPolicy strict;
        strict.parameters = { param(Logging, { MustNot }, true) };
        SsnNegotiation romeo(JulietBare, SessionManager::newThreadId(), strict);
        const SsnOutput out = romeo.request();
        QCOMPARE(out.stanzas.size(), 0);
        QCOMPARE(romeo.state(), SsnState::Idle);
        QCOMPARE(firstEvent<SsnError>(out).problem, SsnProblem::LocalMisuse);
        strict.serverArchivingCanBeDisabled = true;
        SsnNegotiation allowed(JulietBare, SessionManager::newThreadId(), strict);
        const SsnOutput allowedOut = allowed.request();
        QCOMPARE(formOf(allowedOut.stanzas.value(0))->value(Logging), MustNot);

        // A responder never answers mustnot without archiving control: may when offered, else not-acceptable.
        SsnPolicy juliet = permissive();
        juliet.serverArchivingCanBeDisabled = false;
        Fixture f { std::make_unique<SsnNegotiation>(Romeo, SessionManager::newThreadId(), juliet), Romeo, {} };
        f.thread = f.machine->thread();
        const QString both = FTH + AcceptRequired + listField(Logging, MustNot, { MustNot, May }, true);
        SsnOutput answered = f.machine->handleMessage(parseXml(substitute(env(feat(u"form"_s, both)), f)));
        CHECK_OUT(*f.machine, answered);
        QCOMPARE(formOf(answered.stanzas.value(0))->value(Logging), May);

        Fixture g { std::make_unique<SsnNegotiation>(Romeo, SessionManager::newThreadId(), juliet), Romeo, {} };
        g.thread = g.machine->thread();
        const QString only = FTH + AcceptRequired + listField(Logging, MustNot, { MustNot }, true);
        SsnOutput refused = g.machine->handleMessage(parseXml(substitute(env(feat(u"form"_s, only)), g)));
        CHECK_OUT(*g.machine, refused);
        QCOMPARE(refused.stanzas.size(), 1);
        const QString problems = errorProblems(refused.stanzas.first(), u"not-acceptable"_s, { Logging });
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }

    // ---- two machines back to back -------------------------------------------------------------------------------

    void backToBackAcceptBothRoles()
    {
        // Each side initiates once; the request goes to the bare JID, the answer binds the full JID.
        for (bool romeoInitiates : { true, false }) {
            const QString thread = SessionManager::newThreadId();
            const QString initiatorJid = romeoInitiates ? Romeo : Juliet;
            const QString responderJid = romeoInitiates ? Juliet : Romeo;
            const QString responderBare = responderJid.left(responderJid.indexOf(u'/'));
            SsnNegotiation initiator(responderBare, thread, permissive());
            SsnNegotiation responder(initiatorJid, thread, permissive());

            const SsnOutput request = initiator.request();
            CHECK_OUT(initiator, request);
            QCOMPARE(request.stanzas.size(), 1);
            const SsnOutput accept = deliver(request, initiatorJid, responder);
            CHECK_OUT(responder, accept);
            QVERIFY(accept.consumed);
            QCOMPARE(describeReply(accept.stanzas.value(0)), u"accept"_s);
            QCOMPARE(responder.state(), SsnState::AwaitingCompletion);
            QVERIFY(responder.role() == SsnRole::Responder);

            const SsnOutput complete = deliver(accept, responderJid, initiator);
            CHECK_OUT(initiator, complete);
            QCOMPARE(describeReply(complete.stanzas.value(0)), u"complete"_s);
            QCOMPARE(complete.stanzas.value(0).attribute(u"to"_s), responderJid);
            QCOMPARE(initiator.state(), SsnState::Active);
            QCOMPARE(initiator.peerJid(), responderJid); // bound to the resource that answered
            const QList<SsnAccepted> initiatorAccepted = eventsOf<SsnAccepted>(complete);
            QCOMPARE(initiatorAccepted.size(), 1);

            const SsnOutput opened = deliver(complete, initiatorJid, responder);
            CHECK_OUT(responder, opened);
            QCOMPARE(opened.stanzas.size(), 0);
            QCOMPARE(responder.state(), SsnState::Active);
            const QList<SsnAccepted> responderAccepted = eventsOf<SsnAccepted>(opened);
            QCOMPARE(responderAccepted.size(), 1);
            // Both sides agree on the same parameters: the responder's defaults where acceptable.
            QCOMPARE(initiatorAccepted.first().parameters, responderAccepted.first().parameters);
            QCOMPARE(initiator.parameters(), responder.parameters());
            const SsnParameters &p = initiator.parameters();
            QCOMPARE(p.value(u"logging"_s), u"mustnot"_s);
            QCOMPARE(p.value(u"disclosure"_s), u"never"_s);
            QCOMPARE(p.value(u"security"_s), u"c2s"_s);
            QCOMPARE(p.value(u"multisession"_s), u"0"_s);
            QCOMPARE(p.value(u"language"_s), u"en"_s);
        }
    }

    void backToBackDecline()
    {
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnPolicy ask = permissive();
        ask.autoAccept = false;
        SsnNegotiation juliet(Romeo, thread, ask);
        const SsnOutput asked = deliver(romeo.request(), Romeo, juliet);
        QCOMPARE(asked.stanzas.size(), 0);
        QCOMPARE(juliet.state(), SsnState::Pending);
        const QList<SsnRequested> requested = eventsOf<SsnRequested>(asked);
        QCOMPARE(requested.size(), 1);
        QCOMPARE(requested.first().proposed.value(u"logging"_s), u"mustnot"_s);

        const SsnOutput declined = juliet.decline(u"Not now"_s);
        CHECK_OUT(juliet, declined);
        QCOMPARE(describeReply(declined.stanzas.value(0)), u"decline"_s);
        // FORM_TYPE, accept=0, reason and nothing else (RECOMMENDED).
        QCOMPARE(formOf(declined.stanzas.value(0))->fields().size(), 3);
        QCOMPARE(juliet.state(), SsnState::Ended);
        QCOMPARE(firstEvent<SsnRejected>(declined).reason, SsnRejection::DeclinedByUs);

        const SsnOutput seen = deliver(declined, Juliet, romeo);
        QCOMPARE(seen.stanzas.size(), 0);
        QCOMPARE(romeo.state(), SsnState::Ended);
        const QList<SsnRejected> rejected = eventsOf<SsnRejected>(seen);
        QCOMPARE(rejected.size(), 1);
        QCOMPARE(rejected.first().reason, SsnRejection::DeclinedByPeer);
        QCOMPARE(rejected.first().text, u"Not now"_s);
    }

    void backToBackRefusals()
    {
        using namespace Xep0155;
        struct Case
        {
            const char *name;
            SsnPolicy juliet;
            const char *condition;
            QStringList fields;
        };
        SsnPolicy disabled = permissive();
        disabled.enabled = false;
        SsnPolicy noLogging = permissive();
        noLogging.parameters.removeFirst(); // logging: the request requires it
        SsnPolicy e2eOnly = permissive();
        e2eOnly.parameters[2] = param(Security, { SecurityE2e }, true);
        const Case cases[] = {
            { "disabled", disabled, "service-unavailable", {} },
            { "required field not implemented", noLogging, "feature-not-implemented", { Logging } },
            { "no acceptable option", e2eOnly, "not-acceptable", { Security } },
        };
        for (const Case &c : cases) {
            const QString thread = SessionManager::newThreadId();
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, c.juliet);
            const SsnOutput refused = deliver(romeo.request(), Romeo, juliet);
            CHECK_OUT(juliet, refused);
            QCOMPARE(refused.stanzas.size(), 1);
            const QString problems = errorProblems(refused.stanzas.first(), QString::fromLatin1(c.condition), c.fields);
            QVERIFY2(problems.isEmpty(), qPrintable(QString::fromLatin1(c.name) + u": "_s + problems));
            QCOMPARE(juliet.state(), SsnState::Ended);
            QCOMPARE(firstEvent<SsnRejected>(refused).reason, SsnRejection::RefusedByUs);

            const SsnOutput seen = deliver(refused, Juliet, romeo);
            QVERIFY(seen.consumed);
            QCOMPARE(seen.stanzas.size(), 0); // never an error in reply to an error
            QCOMPARE(romeo.state(), SsnState::Ended);
            const SsnRejected rejected = firstEvent<SsnRejected>(seen);
            QCOMPARE(rejected.reason, SsnRejection::PeerError);
            QVERIFY(rejected.error);
            QCOMPARE(rejected.error->conditionName, QString::fromLatin1(c.condition));
            QCOMPARE(rejected.error->fields, c.fields);
        }
    }

    void backToBackCancel()
    {
        // The responder's accept, tampered with in transit: the initiator cancels ([5]) and both end.
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnNegotiation juliet(Romeo, thread, permissive());
        const SsnOutput accept = deliver(romeo.request(), Romeo, juliet);
        QDomElement tampered = wire(accept.stanzas.value(0), Juliet);
        QDomNodeList values = tampered.elementsByTagName(u"value"_s);
        for (int i = 0; i < values.count(); ++i) {
            if (values.at(i).toElement().text() == u"mustnot")
                values.at(i).firstChild().setNodeValue(u"whenever"_s);
        }
        const SsnOutput cancelled = romeo.handleMessage(tampered);
        CHECK_OUT(romeo, cancelled);
        QCOMPARE(describeReply(cancelled.stanzas.value(0)), u"cancel"_s);
        QCOMPARE(romeo.state(), SsnState::Ended);
        QCOMPARE(firstEvent<SsnError>(cancelled).problem, SsnProblem::OptionNotOffered);
        QCOMPARE(firstEvent<SsnRejected>(cancelled).reason, SsnRejection::CancelledByUs);

        const SsnOutput seen = deliver(cancelled, Romeo, juliet);
        QCOMPARE(juliet.state(), SsnState::Ended);
        QCOMPARE(firstEvent<SsnRejected>(seen).reason, SsnRejection::CancelledByPeer);
        QCOMPARE(seen.stanzas.size(), 0);
    }

    void presenceLeak()
    {
        using namespace Xep0155;
        // The requester cannot see our presence: nothing goes out automatically, not even an error.
        SsnPolicy hidden = permissive();
        hidden.mayRevealPresence = false;
        {
            const QString thread = SessionManager::newThreadId();
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, hidden);
            const SsnOutput asked = deliver(romeo.request(), Romeo, juliet);
            QCOMPARE(asked.stanzas.size(), 0);
            QCOMPARE(juliet.state(), SsnState::Pending);
            QVERIFY(has<SsnRequested>(asked));
            // The user agrees: now the answer goes out and the session opens.
            const SsnOutput accepted = juliet.accept();
            CHECK_OUT(juliet, accepted);
            QCOMPARE(describeReply(accepted.stanzas.value(0)), u"accept"_s);
            const SsnOutput complete = deliver(accepted, Juliet, romeo);
            const SsnOutput opened = deliver(complete, Romeo, juliet);
            QVERIFY(has<SsnAccepted>(opened));
            QCOMPARE(juliet.state(), SsnState::Active);
        }
        {
            SsnPolicy e2eOnly = hidden;
            e2eOnly.parameters[2] = param(Security, { SecurityE2e }, true);
            const QString thread = SessionManager::newThreadId();
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, e2eOnly);
            const SsnOutput refused = deliver(romeo.request(), Romeo, juliet);
            QCOMPARE(refused.stanzas.size(), 0);
            QCOMPARE(juliet.state(), SsnState::Ended);
            const SsnError error = firstEvent<SsnError>(refused);
            QVERIFY(!error.replied);
            QVERIFY(error.refusal);
            QCOMPARE(error.refusal->condition, SsnCondition::NotAcceptable);
        }
        {
            // The requester withdraws while the user decides: no acknowledgement either.
            const QString thread = SessionManager::newThreadId();
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, hidden);
            const SsnOutput asked = deliver(romeo.request(), Romeo, juliet);
            Q_UNUSED(asked);
            const SsnOutput withdrawn = deliver(romeo.terminate(), Romeo, juliet);
            QCOMPARE(withdrawn.stanzas.size(), 0);
            QCOMPARE(juliet.state(), SsnState::Ended);
            QVERIFY(has<SsnTerminated>(withdrawn));
        }
    }

    void terminateBothWays()
    {
        for (Setup terminator : { ActiveInitiator, ActiveResponder }) {
            const QString thread = SessionManager::newThreadId();
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, permissive());
            const SsnOutput opened
                = deliver(deliver(deliver(romeo.request(), Romeo, juliet), Juliet, romeo), Romeo, juliet);
            QVERIFY(has<SsnAccepted>(opened));
            SsnNegotiation &ender = terminator == ActiveInitiator ? romeo : juliet;
            SsnNegotiation &other = terminator == ActiveInitiator ? juliet : romeo;
            const QString enderJid = terminator == ActiveInitiator ? Romeo : Juliet;
            const QString otherJid = terminator == ActiveInitiator ? Juliet : Romeo;

            const SsnOutput terminated = ender.terminate();
            CHECK_OUT(ender, terminated);
            QCOMPARE(describeReply(terminated.stanzas.value(0)), u"terminate"_s);
            QCOMPARE(ender.state(), SsnState::Ended);
            QCOMPARE(firstEvent<SsnTerminated>(terminated).byPeer, false);

            const SsnOutput acked = deliver(terminated, enderJid, other);
            CHECK_OUT(other, acked);
            QCOMPARE(other.state(), SsnState::Ended);
            QCOMPARE(firstEvent<SsnTerminated>(acked).byPeer, true);
            QCOMPARE(describeReply(acked.stanzas.value(0)), u"ack"_s);

            const SsnOutput done = deliver(acked, otherJid, ender);
            QVERIFY(done.consumed);
            QVERIFY(has<SsnTerminationAcknowledged>(done));
            QVERIFY(ender.isTerminationAcknowledged());
            QCOMPARE(done.stanzas.size(), 0);
            // A second acknowledgement changes nothing.
            const SsnOutput again = deliver(acked, otherJid, ender);
            QVERIFY(!has<SsnTerminationAcknowledged>(again));
        }
    }

    void renegotiateBothWays()
    {
        using namespace Xep0155;
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnNegotiation juliet(Romeo, thread, permissive());
        const SsnOutput opened
            = deliver(deliver(deliver(romeo.request(), Romeo, juliet), Juliet, romeo), Romeo, juliet);
        QVERIFY(has<SsnAccepted>(opened));
        const SsnParameters before = romeo.parameters();

        // Romeo asks for logging=may; Juliet accepts automatically.
        const SsnOutput asked = romeo.renegotiate({ param(Logging, { May }, true) });
        CHECK_OUT(romeo, asked);
        QCOMPARE(describeReply(asked.stanzas.value(0)), u"renegotiate"_s);
        QVERIFY(!formOf(asked.stanzas.value(0))->field(Accept)); // MUST NOT include accept
        QVERIFY(romeo.isRenegotiationPending());
        const SsnOutput answered = deliver(asked, Romeo, juliet);
        CHECK_OUT(juliet, answered);
        QCOMPARE(describeReply(answered.stanzas.value(0)), u"reneg:1"_s);
        QCOMPARE(firstEvent<SsnRenegotiated>(answered).byPeer, true);
        QCOMPARE(juliet.parameters().value(Logging), May); // in force as soon as sent
        const SsnOutput applied = deliver(answered, Juliet, romeo);
        QCOMPARE(applied.stanzas.size(), 0); // no completion for a renegotiation
        QCOMPARE(firstEvent<SsnRenegotiated>(applied).byPeer, false);
        QVERIFY(!romeo.isRenegotiationPending());
        QCOMPARE(romeo.parameters(), juliet.parameters());
        // Only logging changed.
        SsnParameters expected = before;
        expected.insert(Logging, May);
        QCOMPARE(romeo.parameters(), expected);

        // Juliet renegotiates back.
        const SsnOutput back = juliet.renegotiate({ param(Logging, { MustNot }, true) });
        const SsnOutput backAnswered = deliver(back, Juliet, romeo);
        CHECK_OUT(romeo, backAnswered);
        QCOMPARE(romeo.parameters().value(Logging), MustNot);
        const SsnOutput backApplied = deliver(backAnswered, Romeo, juliet);
        QVERIFY(has<SsnRenegotiated>(backApplied));
        QCOMPARE(juliet.parameters(), romeo.parameters());
        QCOMPARE(juliet.parameters(), before);
    }

    void renegotiationRejectedAndRefused()
    {
        using namespace Xep0155;
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnPolicy manual = permissive();
        manual.autoAcceptRenegotiation = false;
        SsnNegotiation juliet(Romeo, thread, manual);
        const SsnOutput opened
            = deliver(deliver(deliver(romeo.request(), Romeo, juliet), Juliet, romeo), Romeo, juliet);
        QVERIFY(has<SsnAccepted>(opened));
        const SsnParameters before = romeo.parameters();

        // [8]: rejected by the user.
        const SsnOutput asked = deliver(romeo.renegotiate({ param(Logging, { May }, true) }), Romeo, juliet);
        QCOMPARE(asked.stanzas.size(), 0);
        QVERIFY(has<SsnRenegotiationRequested>(asked));
        QVERIFY(juliet.isPeerRenegotiationPending());
        const SsnOutput rejected = juliet.rejectRenegotiation();
        CHECK_OUT(juliet, rejected);
        QCOMPARE(describeReply(rejected.stanzas.value(0)), u"reneg:0"_s);
        const SsnOutput seen = deliver(rejected, Juliet, romeo);
        QVERIFY(has<SsnRenegotiationRejected>(seen));
        QCOMPARE(romeo.parameters(), before);
        QCOMPARE(juliet.parameters(), before);

        // Refused with an error: nothing acceptable; the old parameters stay on both sides.
        const SsnOutput refused = deliver(romeo.renegotiate({ param(Security, { u"e2e"_s }, true) }), Romeo, juliet);
        CHECK_OUT(juliet, refused);
        const QString problems = errorProblems(refused.stanzas.value(0), u"not-acceptable"_s, { Security });
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
        const SsnOutput refusalSeen = deliver(refused, Juliet, romeo);
        const QList<SsnRenegotiationRejected> r = eventsOf<SsnRenegotiationRejected>(refusalSeen);
        QCOMPARE(r.size(), 1);
        QCOMPARE(r.first().error->condition, SsnCondition::NotAcceptable);
        QCOMPARE(romeo.state(), SsnState::Active);
        QCOMPARE(juliet.state(), SsnState::Active);
        QCOMPARE(romeo.parameters(), before);

        // A required field Juliet does not know: feature-not-implemented.
        const SsnOutput unknownRefused
            = deliver(romeo.renegotiate({ param(u"x-unknown"_s, { u"a"_s }, true) }), Romeo, juliet);
        const QString problems2
            = errorProblems(unknownRefused.stanzas.value(0), u"feature-not-implemented"_s, { u"x-unknown"_s });
        QVERIFY2(problems2.isEmpty(), qPrintable(problems2));
        QVERIFY(has<SsnRenegotiationRejected>(deliver(unknownRefused, Juliet, romeo)));
        QCOMPARE(romeo.parameters(), before);
    }

    void renegotiationGlare()
    {
        using namespace Xep0155;
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnNegotiation juliet(Romeo, thread, permissive());
        const SsnOutput opened
            = deliver(deliver(deliver(romeo.request(), Romeo, juliet), Juliet, romeo), Romeo, juliet);
        QVERIFY(has<SsnAccepted>(opened));
        // Both ask at once; the session initiator's request wins on both sides.
        const SsnOutput fromRomeo = romeo.renegotiate({ param(Logging, { May }, true) });
        const SsnOutput fromJuliet = juliet.renegotiate({ param(ChatStates, { MustNot }, true) });
        const SsnOutput atJuliet = deliver(fromRomeo, Romeo, juliet);
        const SsnOutput atRomeo = deliver(fromJuliet, Juliet, romeo);
        CHECK_OUT(romeo, atRomeo);
        CHECK_OUT(juliet, atJuliet);
        QCOMPARE(describeReply(atRomeo.stanzas.value(0)), u"reneg:0"_s); // Romeo rejects Juliet's
        QCOMPARE(describeReply(atJuliet.stanzas.value(0)), u"reneg:1"_s); // Juliet accepts Romeo's
        const SsnOutput romeoDone = deliver(atJuliet, Juliet, romeo);
        const SsnOutput julietDone = deliver(atRomeo, Romeo, juliet);
        QVERIFY(has<SsnRenegotiated>(romeoDone));
        QCOMPARE(julietDone.stanzas.size(), 0);
        QCOMPARE(romeo.parameters(), juliet.parameters());
        QCOMPARE(romeo.parameters().value(Logging), May);
        QCOMPARE(romeo.parameters().value(ChatStates), May);
        QVERIFY(!romeo.isRenegotiationPending());
        QVERIFY(!juliet.isRenegotiationPending());
    }

    void renegotiationAnswerNotOffered()
    {
        // The peer applies a value we never offered; with no cancel for a renegotiation, the session ends.
        Fixture f = makeFixture(ActiveInitiator);
        const SsnOutput asked = f.machine->renegotiate({ param(u"logging"_s, { u"may"_s }, true) });
        QCOMPARE(asked.stanzas.size(), 1);
        const QString answer
            = env(feat(u"submit"_s, FT + fld(u"renegotiate"_s, u"1"_s) + fld(u"logging"_s, u"mustnot"_s)));
        const SsnOutput out = f.machine->handleMessage(parseXml(substitute(answer, f)));
        CHECK_OUT(*f.machine, out);
        QCOMPARE(describeReply(out.stanzas.value(0)), u"terminate"_s);
        QCOMPARE(f.machine->state(), SsnState::Ended);
        QCOMPARE(firstEvent<SsnError>(out).problem, SsnProblem::OptionNotOffered);
        QVERIFY(has<SsnTerminated>(out));
    }

    void moveBothWays()
    {
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnNegotiation juliet(Romeo, thread, permissive());
        const SsnOutput opened
            = deliver(deliver(deliver(romeo.request(), Romeo, juliet), Juliet, romeo), Romeo, juliet);
        QVERIFY(has<SsnAccepted>(opened));
        const SsnParameters before = romeo.parameters();

        // Juliet moves to her PDA.
        const SsnOutput move = juliet.moveTo(u"PDA"_s);
        CHECK_OUT(juliet, move);
        QCOMPARE(describeReply(move.stanzas.value(0)), u"continue"_s);
        QCOMPARE(juliet.pendingMove(), u"PDA"_s);
        const SsnOutput accepted = deliver(move, Juliet, romeo);
        CHECK_OUT(romeo, accepted);
        QCOMPARE(describeReply(accepted.stanzas.value(0)), u"continued"_s);
        QCOMPARE(accepted.stanzas.value(0).attribute(u"to"_s), Juliet); // the answer goes to the old resource
        QCOMPARE(romeo.peerJid(), u"juliet@capulet.com/PDA"_s);
        const SsnContinued peerMoved = firstEvent<SsnContinued>(accepted);
        QCOMPARE(peerMoved.resource, u"PDA"_s);
        QVERIFY(peerMoved.byPeer);
        const SsnOutput confirmed = deliver(accepted, Romeo, juliet);
        QCOMPARE(firstEvent<SsnContinued>(confirmed).byPeer, false);
        QVERIFY(juliet.pendingMove().isEmpty());
        QCOMPARE(romeo.parameters(), before); // parameters stay in force

        // From now on Romeo talks to the PDA and ignores the old resource.
        const SsnOutput fromOld = romeo.handleMessage(wire(juliet.terminate().stanzas.value(0), Juliet));
        QCOMPARE(romeo.state(), SsnState::Active);
        QCOMPARE(firstEvent<SsnError>(fromOld).problem, SsnProblem::WrongPeer);
        const SsnOutput renegotiation = romeo.renegotiate({ param(u"logging"_s, { u"may"_s }, true) });
        QCOMPARE(renegotiation.stanzas.value(0).attribute(u"to"_s), u"juliet@capulet.com/PDA"_s);

        // Romeo moves too (a fresh pair).
        const QString thread2 = SessionManager::newThreadId();
        SsnNegotiation r2(JulietBare, thread2, permissive());
        SsnNegotiation j2(Romeo, thread2, permissive());
        const SsnOutput opened2 = deliver(deliver(deliver(r2.request(), Romeo, j2), Juliet, r2), Romeo, j2);
        QVERIFY(has<SsnAccepted>(opened2));
        const SsnOutput moved = deliver(r2.moveTo(u"garden"_s), Romeo, j2);
        QCOMPARE(j2.peerJid(), u"romeo@montague.net/garden"_s);
        QVERIFY(has<SsnContinued>(deliver(moved, Juliet, r2)));
    }

    void secondResponder()
    {
        // The request to the bare JID reaches two resources; the first answer wins, the second gets a terminate.
        const QString thread = SessionManager::newThreadId();
        const QString juliet2 = u"juliet@capulet.com/garden"_s;
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnNegotiation balcony(Romeo, thread, permissive());
        SsnNegotiation garden(Romeo, thread, permissive());
        const SsnOutput request = romeo.request();
        const SsnOutput acceptBalcony = deliver(request, Romeo, balcony);
        const SsnOutput acceptGarden = deliver(request, Romeo, garden);

        const SsnOutput complete = deliver(acceptBalcony, Juliet, romeo);
        QCOMPARE(romeo.state(), SsnState::Active);
        QCOMPARE(romeo.peerJid(), Juliet);
        const SsnOutput second = deliver(acceptGarden, juliet2, romeo);
        CHECK_OUT(romeo, second);
        QCOMPARE(romeo.state(), SsnState::Active);
        QCOMPARE(romeo.peerJid(), Juliet);
        QCOMPARE(describeReply(second.stanzas.value(0)), u"terminate"_s);
        QCOMPARE(second.stanzas.value(0).attribute(u"to"_s), juliet2);
        QCOMPARE(firstEvent<SsnError>(second).problem, SsnProblem::SecondResponder);
        QVERIFY(!has<SsnAccepted>(second));

        QVERIFY(has<SsnAccepted>(deliver(complete, Romeo, balcony)));
        const SsnOutput gardenEnded = deliver(second, Romeo, garden);
        QCOMPARE(garden.state(), SsnState::Ended);
        QVERIFY(has<SsnTerminated>(gardenEnded));
    }

    void abandonAndLateAnswer()
    {
        const QString thread = SessionManager::newThreadId();
        SsnNegotiation romeo(JulietBare, thread, permissive());
        SsnNegotiation juliet(Romeo, thread, permissive());
        const SsnOutput request = romeo.request();
        // The caller's timer fires: give up in silence.
        const SsnOutput abandoned = romeo.abandon();
        QCOMPARE(abandoned.stanzas.size(), 0);
        QCOMPARE(romeo.state(), SsnState::Ended);
        QCOMPARE(firstEvent<SsnRejected>(abandoned).reason, SsnRejection::Abandoned);
        // A late accept is told that there is no session.
        const SsnOutput late = deliver(deliver(request, Romeo, juliet), Juliet, romeo);
        CHECK_OUT(romeo, late);
        QCOMPARE(describeReply(late.stanzas.value(0)), u"terminate"_s);
        QCOMPARE(romeo.state(), SsnState::Ended);
        QVERIFY(has<SsnTerminated>(deliver(late, Romeo, juliet)));
        QCOMPARE(juliet.state(), SsnState::Ended);
    }

    void otrAndLoggingVocabulary()
    {
        using namespace Xep0155;
        struct Case
        {
            const char *var;
            bool preferOwn;
            const char *answered;
            const char *logging;
        };
        // otr: true = mustnot, false = may (XEP-0217); logging true/false: true = may (XEP-0116). No default is
        // offered, so the responder takes the first acceptable option in the offer's order, or its own first.
        const Case cases[] = {
            { "otr", false, "false", "may" },
            { "otr", true, "true", "mustnot" },
            { "logging", false, "false", "mustnot" },
            { "logging", true, "false", "mustnot" },
        };
        for (const Case &c : cases) {
            SsnPolicy policy = permissive();
            policy.parameters[0].preferOwnOrder = c.preferOwn;
            Fixture f { std::make_unique<SsnNegotiation>(Romeo, SessionManager::newThreadId(), policy), Romeo, {} };
            f.thread = f.machine->thread();
            const QString var = QString::fromLatin1(c.var);
            const QString fields = FTH + AcceptRequired + u"<field var='%1' type='list-single'>"_s.arg(var)
                + u"<option><value>false</value></option><option><value>true</value></option><required/></field>"_s;
            const SsnOutput out = f.machine->handleMessage(parseXml(substitute(env(feat(u"form"_s, fields)), f)));
            CHECK_OUT(*f.machine, out);
            const std::optional<DataForm> answer = formOf(out.stanzas.value(0));
            QVERIFY(answer);
            QCOMPARE(answer->value(var), QString::fromLatin1(c.answered));
            const SsnOutput opened
                = f.machine->handleMessage(parseXml(substitute(env(feat(u"result"_s, FT + fld(Accept, u"1"_s))), f)));
            QCOMPARE(firstEvent<SsnAccepted>(opened).parameters.value(Logging), QString::fromLatin1(c.logging));
        }
    }

    void extensionFieldsPassThrough()
    {
        // Both sides run the extension: its fields ride on the request, the accept and the completion.
        {
            const QString thread = SessionManager::newThreadId();
            TestExtension alice;
            TestExtension bob;
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, permissive());
            romeo.setExtension(&alice);
            juliet.setExtension(&bob);
            const SsnOutput request = romeo.request();
            QCOMPARE(formOf(request.stanzas.value(0))->value(u"x-test-offer"_s), u"hello"_s);
            const SsnOutput accept = deliver(request, Romeo, juliet);
            CHECK_OUT(juliet, accept);
            QCOMPARE(bob.seenOffer, u"hello"_s);
            QCOMPARE(formOf(accept.stanzas.value(0))->value(u"x-test-answer"_s), u"world"_s);
            const SsnOutput complete = deliver(accept, Juliet, romeo);
            QCOMPARE(alice.seenAnswer, u"world"_s);
            const SsnAccepted romeoAccepted = firstEvent<SsnAccepted>(complete);
            QCOMPARE(romeoAccepted.extraFields.size(), 1);
            QCOMPARE(romeoAccepted.extraFields.first().var, u"x-test-answer"_s);
            QCOMPARE(formOf(complete.stanzas.value(0))->value(u"x-test-final"_s), u"done"_s);
            const SsnOutput opened = deliver(complete, Romeo, juliet);
            QCOMPARE(bob.seenFinal, u"done"_s);
            QCOMPARE(firstEvent<SsnAccepted>(opened).extraFields.value(0).var, u"x-test-final"_s);
            QCOMPARE(romeo.parameters(), juliet.parameters()); // the extension's fields are not SSN parameters
            QVERIFY(!romeo.parameters().contains(u"x-test-answer"_s));
        }
        // A plain XEP-0155 responder: the extension's required field is not implemented.
        {
            const QString thread = SessionManager::newThreadId();
            TestExtension alice;
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, permissive());
            romeo.setExtension(&alice);
            const SsnOutput refused = deliver(romeo.request(), Romeo, juliet);
            const QString problems
                = errorProblems(refused.stanzas.value(0), u"feature-not-implemented"_s, { u"x-test-offer"_s });
            QVERIFY2(problems.isEmpty(), qPrintable(problems));
        }
        // The responder's extension refuses with its own condition and type (ESessions: not-acceptable, cancel).
        {
            const QString thread = SessionManager::newThreadId();
            TestExtension alice;
            TestExtension bob;
            bob.refuseRequest = true;
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, permissive());
            romeo.setExtension(&alice);
            juliet.setExtension(&bob);
            const SsnOutput refused = deliver(romeo.request(), Romeo, juliet);
            CHECK_OUT(juliet, refused);
            QCOMPARE(juliet.state(), SsnState::Ended);
            const QDomElement error = childrenNamed(refused.stanzas.value(0), u"error"_s).value(0);
            QCOMPARE(error.attribute(u"type"_s), u"cancel"_s);
            QCOMPARE(error.firstChildElement().localName(), u"not-acceptable"_s);
            const SsnOutput seen = deliver(refused, Juliet, romeo);
            QCOMPARE(firstEvent<SsnRejected>(seen).error->type, u"cancel"_s);
            QCOMPARE(romeo.state(), SsnState::Ended);
        }
        // The responder's extension refuses the completion: the initiator's session ends too.
        {
            const QString thread = SessionManager::newThreadId();
            TestExtension alice;
            TestExtension bob;
            bob.refuseCompletion = true;
            SsnNegotiation romeo(JulietBare, thread, permissive());
            SsnNegotiation juliet(Romeo, thread, permissive());
            romeo.setExtension(&alice);
            juliet.setExtension(&bob);
            const SsnOutput complete = deliver(deliver(romeo.request(), Romeo, juliet), Juliet, romeo);
            QCOMPARE(romeo.state(), SsnState::Active);
            const SsnOutput refused = deliver(complete, Romeo, juliet);
            CHECK_OUT(juliet, refused);
            QCOMPARE(juliet.state(), SsnState::Ended);
            QVERIFY(!has<SsnAccepted>(refused));
            const QString problems = errorProblems(refused.stanzas.value(0), u"feature-not-implemented"_s);
            QVERIFY2(problems.isEmpty(), qPrintable(problems));
            const SsnOutput seen = deliver(refused, Juliet, romeo);
            QVERIFY(seen.consumed);
            QCOMPARE(seen.stanzas.size(), 0);
            QCOMPARE(romeo.state(), SsnState::Ended);
            QCOMPARE(firstEvent<SsnRejected>(seen).reason, SsnRejection::PeerError);
        }
    }

    void localMisuse()
    {
        const auto misuse = [](const SsnOutput &out) {
            return out.stanzas.isEmpty() && eventsOf<SsnError>(out).size() == 1
                && eventsOf<SsnError>(out).first().problem == SsnProblem::LocalMisuse;
        };
        SsnNegotiation idle(JulietBare, SessionManager::newThreadId(), permissive());
        QVERIFY(misuse(idle.accept()));
        QVERIFY(misuse(idle.decline()));
        QVERIFY(misuse(idle.terminate()));
        QVERIFY(misuse(idle.renegotiate({ param(u"logging"_s, { u"may"_s }) })));
        QVERIFY(misuse(idle.moveTo(u"PDA"_s)));
        QVERIFY(misuse(idle.acceptRenegotiation()));
        QVERIFY(misuse(idle.rejectRenegotiation()));
        QCOMPARE(idle.state(), SsnState::Idle);

        Fixture pending = makeFixture(PendingInitiator);
        QVERIFY(misuse(pending.machine->request()));
        QVERIFY(misuse(pending.machine->accept()));
        QVERIFY(misuse(pending.machine->renegotiate({ param(u"logging"_s, { u"may"_s }) })));
        QCOMPARE(pending.machine->state(), SsnState::Pending);

        Fixture waiting = makeFixture(PendingResponder);
        QVERIFY(misuse(waiting.machine->terminate())); // decline() is the answer here
        QCOMPARE(waiting.machine->state(), SsnState::Pending);

        Fixture active = makeFixture(ActiveInitiator);
        QVERIFY(misuse(active.machine->accept()));
        QVERIFY(misuse(active.machine->renegotiate({})));
        QVERIFY(misuse(active.machine->renegotiate({ param(u"accept"_s, { u"1"_s }) })));
        QVERIFY(misuse(active.machine->moveTo(QString())));
        QCOMPARE(active.machine->state(), SsnState::Active);

        Fixture ended = makeFixture(EndedInitiator);
        QVERIFY(misuse(ended.machine->abandon()));
        QVERIFY(misuse(ended.machine->terminate()));
        QVERIFY(misuse(ended.machine->request()));

        SsnNegotiation noThread(JulietBare, QString(), permissive());
        QVERIFY(misuse(noThread.request()));
    }

    // ---- the XEP-0155 examples as a scripted peer ----------------------------------------------------------------

    void specCorpus()
    {
        const Examples &e = examples();
        QVERIFY2(e.problems.isEmpty(), qPrintable(e.problems.join(u"; ")));
        QCOMPARE(e.byCaption.size(), e.tags); // every <example> extracted
        QVERIFY(e.tags >= 17);
        for (const QString &caption : { CapRequest, CapAccept, CapDecline, CapUnavailable, CapNotImplemented,
                 CapNotAcceptable, CapComplete, CapCancel, CapMove, CapMoveAccepted, CapRenegotiate,
                 CapRenegotiationAccepted, CapRenegotiationRejected, CapTerminate, CapTerminateAck }) {
            QVERIFY2(!example(caption).isNull(), qPrintable(caption));
            QVERIFY(SsnNegotiation::threadOf(example(caption)) == std::optional<QString>(SpecThread));
            QVERIFY(SsnNegotiation::isNegotiationMessage(example(caption)));
        }
    }

    void specInitiator()
    {
        // We are Romeo: our request is the example's, and Juliet's example answers drive us.
        SsnNegotiation romeo(JulietBare, SpecThread, romeoSpecPolicy());
        const SsnOutput request = romeo.request();
        CHECK_OUT(romeo, request);
        // The example's logging options (may, mustnot) are not in its order of preference (default mustnot),
        // which XEP-0155 asks for: ours are. Compared as a set.
        COMPARE_EXAMPLE(request.stanzas.value(0), CapRequest, {}, {}, { u"logging"_s });

        const SsnOutput complete = romeo.handleMessage(example(CapAccept));
        CHECK_OUT(romeo, complete);
        QVERIFY(complete.consumed);
        QCOMPARE(romeo.state(), SsnState::Active);
        QCOMPARE(romeo.peerJid(), Juliet);
        COMPARE_EXAMPLE(complete.stanzas.value(0), CapComplete, { u"reason"_s });
        const SsnParameters expected {
            { u"logging"_s, u"mustnot"_s },
            { u"disclosure"_s, u"never"_s },
            { u"http://jabber.org/protocol/xhtml-im"_s, u"may"_s },
            { u"http://jabber.org/protocol/chatstates"_s, u"may"_s },
            { u"security"_s, u"c2s"_s },
            { u"language"_s, u"it"_s },
        };
        QCOMPARE(firstEvent<SsnAccepted>(complete).parameters, expected);
        QCOMPARE(romeo.parameters(), expected);
    }

    void specInitiatorDecline()
    {
        SsnNegotiation romeo(JulietBare, SpecThread, romeoSpecPolicy());
        QCOMPARE(romeo.request().stanzas.size(), 1);
        const SsnOutput out = romeo.handleMessage(example(CapDecline));
        QVERIFY(out.consumed);
        QCOMPARE(out.stanzas.size(), 0);
        QCOMPARE(romeo.state(), SsnState::Ended);
        const SsnRejected rejected = firstEvent<SsnRejected>(out);
        QCOMPARE(rejected.reason, SsnRejection::DeclinedByPeer);
        QCOMPARE(rejected.text, u"Sorry, can't chat now! How about tonight?"_s);
    }

    void specInitiatorErrors_data()
    {
        QTest::addColumn<QString>("caption");
        QTest::addColumn<int>("condition");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QStringList>("fields");
        QTest::newRow("503") << CapUnavailable << int(SsnCondition::ServiceUnavailable) << u"cancel"_s << QStringList();
        QTest::newRow("501") << CapNotImplemented << int(SsnCondition::FeatureNotImplemented) << u"cancel"_s
                             << QStringList { u"logging"_s };
        QTest::newRow("406") << CapNotAcceptable << int(SsnCondition::NotAcceptable) << u"modify"_s
                             << QStringList { u"security"_s };
    }

    void specInitiatorErrors()
    {
        QFETCH(QString, caption);
        QFETCH(int, condition);
        QFETCH(QString, type);
        QFETCH(QStringList, fields);
        SsnNegotiation romeo(JulietBare, SpecThread, romeoSpecPolicy());
        QCOMPARE(romeo.request().stanzas.size(), 1);
        // The examples echo the request with "..." placeholders: the error is read without the echoed form.
        const SsnOutput out = romeo.handleMessage(example(caption));
        QVERIFY(out.consumed);
        QCOMPARE(out.stanzas.size(), 0); // never an error in reply to an error
        QCOMPARE(romeo.state(), SsnState::Ended);
        const SsnRejected rejected = firstEvent<SsnRejected>(out);
        QCOMPARE(rejected.reason, SsnRejection::PeerError);
        QVERIFY(rejected.error);
        QCOMPARE(int(rejected.error->condition), condition);
        QCOMPARE(rejected.error->type, type);
        QCOMPARE(rejected.error->fields, fields);
    }

    void specResponder()
    {
        // We are Juliet: Romeo's example request gets exactly the example's accept.
        SsnNegotiation juliet(Romeo, SpecThread, julietSpecPolicy());
        const SsnOutput accept = juliet.handleMessage(example(CapRequest));
        CHECK_OUT(juliet, accept);
        QVERIFY(accept.consumed);
        QCOMPARE(juliet.state(), SsnState::AwaitingCompletion);
        COMPARE_EXAMPLE(accept.stanzas.value(0), CapAccept);

        const SsnOutput opened = juliet.handleMessage(example(CapComplete));
        CHECK_OUT(juliet, opened);
        QCOMPARE(opened.stanzas.size(), 0);
        QCOMPARE(juliet.state(), SsnState::Active);
        const SsnAccepted accepted = firstEvent<SsnAccepted>(opened);
        QCOMPARE(accepted.parameters.value(u"language"_s), u"it"_s);
        QCOMPARE(accepted.parameters.value(u"logging"_s), u"mustnot"_s);
        QVERIFY(accepted.extraFields.isEmpty()); // reason is XEP-0155's
    }

    void specResponderCancelled()
    {
        SsnNegotiation juliet(Romeo, SpecThread, julietSpecPolicy());
        QCOMPARE(juliet.handleMessage(example(CapRequest)).stanzas.size(), 1);
        const SsnOutput out = juliet.handleMessage(example(CapCancel));
        QVERIFY(out.consumed);
        QCOMPARE(out.stanzas.size(), 0);
        QCOMPARE(juliet.state(), SsnState::Ended);
        QCOMPARE(firstEvent<SsnRejected>(out).reason, SsnRejection::CancelledByPeer);
    }

    void specResponderRefusals_data()
    {
        using namespace Xep0155;
        QTest::addColumn<QString>("caption");
        QTest::addColumn<QString>("condition");
        QTest::addColumn<QStringList>("fields");
        QTest::addColumn<int>("variant");
        QTest::newRow("SSN not supported") << CapUnavailable << u"service-unavailable"_s << QStringList() << 0;
        QTest::newRow("logging not implemented")
            << CapNotImplemented << u"feature-not-implemented"_s << QStringList { Logging } << 1;
        QTest::newRow("security not acceptable")
            << CapNotAcceptable << u"not-acceptable"_s << QStringList { Security } << 2;
    }

    void specResponderRefusals()
    {
        QFETCH(QString, caption);
        QFETCH(QString, condition);
        QFETCH(QStringList, fields);
        QFETCH(int, variant);
        SsnPolicy policy = julietSpecPolicy();
        if (variant == 0)
            policy.enabled = false;
        else if (variant == 1)
            policy.parameters.removeFirst(); // no logging support
        else
            policy.parameters[4] = param(Xep0155::Security, { Xep0155::SecurityE2e }); // e2e only
        SsnNegotiation juliet(Romeo, SpecThread, policy);
        const SsnOutput out = juliet.handleMessage(example(CapRequest));
        CHECK_OUT(juliet, out);
        QCOMPARE(out.stanzas.size(), 1);
        const QDomElement ours = out.stanzas.first();
        COMPARE_EXAMPLE(ours, caption);
        const QString problems = errorProblems(ours, condition, fields);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
        // Like the example: the <error/> carries the same attributes and children names, and the request is echoed.
        const QDomElement theirs = childrenNamed(example(caption), u"error"_s).value(0);
        const QDomElement mine = childrenNamed(parseXml(toXml(ours)), u"error"_s).value(0);
        QCOMPARE(mine.attribute(u"code"_s), theirs.attribute(u"code"_s));
        QCOMPARE(mine.attribute(u"type"_s), theirs.attribute(u"type"_s));
        const std::optional<DataForm> echo = formOf(parseXml(toXml(ours)));
        QVERIFY(echo);
        QCOMPARE(echo->type(), FormType::Form);
        QCOMPARE(echo->formType(), u"urn:xmpp:ssn"_s);
        QCOMPARE(juliet.state(), SsnState::Ended);
        QCOMPARE(firstEvent<SsnRejected>(out).reason, SsnRejection::RefusedByUs);
    }

    void specMove()
    {
        // Romeo: Juliet asks to continue from her PDA; we answer as the example does.
        SsnNegotiation romeo(JulietBare, SpecThread, romeoSpecPolicy());
        QCOMPARE(romeo.request().stanzas.size(), 1);
        QVERIFY(has<SsnAccepted>(romeo.handleMessage(example(CapAccept))));
        const SsnOutput moved = romeo.handleMessage(example(CapMove));
        CHECK_OUT(romeo, moved);
        COMPARE_EXAMPLE(moved.stanzas.value(0), CapMoveAccepted);
        QCOMPARE(romeo.peerJid(), u"juliet@capulet.com/PDA"_s);
        QCOMPARE(firstEvent<SsnContinued>(moved).resource, u"PDA"_s);

        // Juliet: we ask, the example accepts.
        SsnNegotiation juliet(Romeo, SpecThread, julietSpecPolicy());
        QCOMPARE(juliet.handleMessage(example(CapRequest)).stanzas.size(), 1);
        QVERIFY(has<SsnAccepted>(juliet.handleMessage(example(CapComplete))));
        const SsnOutput move = juliet.moveTo(u"PDA"_s);
        CHECK_OUT(juliet, move);
        COMPARE_EXAMPLE(move.stanzas.value(0), CapMove);
        const SsnOutput accepted = juliet.handleMessage(example(CapMoveAccepted));
        QVERIFY(accepted.consumed);
        QCOMPARE(accepted.stanzas.size(), 0);
        const SsnContinued continued = firstEvent<SsnContinued>(accepted);
        QCOMPARE(continued.resource, u"PDA"_s);
        QVERIFY(!continued.byPeer);
    }

    void specRenegotiation()
    {
        using namespace Xep0155;
        // Juliet asks; the example's logging default (mustnot) is not among its options (may): the XEP's slip,
        // so the default is not compared.
        SsnNegotiation juliet(Romeo, SpecThread, julietSpecPolicy());
        QCOMPARE(juliet.handleMessage(example(CapRequest)).stanzas.size(), 1);
        QVERIFY(has<SsnAccepted>(juliet.handleMessage(example(CapComplete))));
        const SsnOutput asked = juliet.renegotiate({ param(Logging, { May }, true) });
        CHECK_OUT(juliet, asked);
        COMPARE_EXAMPLE(asked.stanzas.value(0), CapRenegotiate, {}, { Logging });
        const SsnOutput accepted = juliet.handleMessage(example(CapRenegotiationAccepted));
        QVERIFY(accepted.consumed);
        QCOMPARE(accepted.stanzas.size(), 0);
        QCOMPARE(firstEvent<SsnRenegotiated>(accepted).parameters.value(Logging), May);
        QCOMPARE(juliet.parameters().value(Language), u"it"_s); // not renegotiated: stays

        // Asked again; this time the example rejects: logging stays may.
        QCOMPARE(juliet.renegotiate({ param(Logging, { MustNot }, true) }).stanzas.size(), 1);
        const SsnOutput rejected = juliet.handleMessage(example(CapRenegotiationRejected));
        QVERIFY(has<SsnRenegotiationRejected>(rejected));
        QCOMPARE(juliet.parameters().value(Logging), May);

        // Romeo receives the example request and answers like the example.
        SsnNegotiation romeo(JulietBare, SpecThread, romeoSpecPolicy());
        QCOMPARE(romeo.request().stanzas.size(), 1);
        QVERIFY(has<SsnAccepted>(romeo.handleMessage(example(CapAccept))));
        const SsnOutput answer = romeo.handleMessage(example(CapRenegotiate));
        CHECK_OUT(romeo, answer);
        COMPARE_EXAMPLE(answer.stanzas.value(0), CapRenegotiationAccepted);
        QCOMPARE(romeo.parameters().value(Logging), May);

        // A Romeo who asks his user, and rejects.
        SsnPolicy manual = romeoSpecPolicy();
        manual.autoAcceptRenegotiation = false;
        SsnNegotiation romeo2(JulietBare, SpecThread, manual);
        QCOMPARE(romeo2.request().stanzas.size(), 1);
        QVERIFY(has<SsnAccepted>(romeo2.handleMessage(example(CapAccept))));
        const SsnOutput requested = romeo2.handleMessage(example(CapRenegotiate));
        QCOMPARE(requested.stanzas.size(), 0);
        QCOMPARE(firstEvent<SsnRenegotiationRequested>(requested).proposed.value(Logging), May);
        const SsnOutput refused = romeo2.rejectRenegotiation();
        CHECK_OUT(romeo2, refused);
        COMPARE_EXAMPLE(refused.stanzas.value(0), CapRenegotiationRejected, { Logging });
        QCOMPARE(romeo2.parameters().value(Logging), MustNot);
    }

    void specTerminate()
    {
        SsnNegotiation juliet(Romeo, SpecThread, julietSpecPolicy());
        QCOMPARE(juliet.handleMessage(example(CapRequest)).stanzas.size(), 1);
        QVERIFY(has<SsnAccepted>(juliet.handleMessage(example(CapComplete))));
        const SsnOutput terminated = juliet.terminate();
        CHECK_OUT(juliet, terminated);
        COMPARE_EXAMPLE(terminated.stanzas.value(0), CapTerminate);
        const SsnOutput acked = juliet.handleMessage(example(CapTerminateAck));
        QVERIFY(has<SsnTerminationAcknowledged>(acked));
        QCOMPARE(acked.stanzas.size(), 0);

        SsnNegotiation romeo(JulietBare, SpecThread, romeoSpecPolicy());
        QCOMPARE(romeo.request().stanzas.size(), 1);
        QVERIFY(has<SsnAccepted>(romeo.handleMessage(example(CapAccept))));
        const SsnOutput ended = romeo.handleMessage(example(CapTerminate));
        CHECK_OUT(romeo, ended);
        QCOMPARE(romeo.state(), SsnState::Ended);
        QVERIFY(firstEvent<SsnTerminated>(ended).byPeer);
        COMPARE_EXAMPLE(ended.stanzas.value(0), CapTerminateAck);
    }

    // ---- malformed and unexpected inputs -------------------------------------------------------------------------

    void malformedInputs_data()
    {
        using namespace Xep0155;
        QTest::addColumn<int>("setup");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("reply"); // describeReply(), or empty: nothing sent
        QTest::addColumn<int>("state");
        QTest::addColumn<int>("problem"); // the SsnError events' problem, -1: none
        QTest::addColumn<bool>("consumed");

        const QString req = goodRequestFields();
        const QString acc = goodAcceptFields();
        const auto row = [](const char *name, Setup setup, const QString &message, const char *reply, SsnState state,
                             int problem, bool consumed = true) {
            QTest::newRow(name) << int(setup) << message << QString::fromLatin1(reply) << int(state) << problem
                                << consumed;
        };
        const auto P = [](SsnProblem p) { return int(p); };
        const QString withoutAccept = FTH + listField(Logging, May, { May }, true);
        const QString visibleFormType = u"<field var='FORM_TYPE' type='text-single'><value>urn:xmpp:ssn</value>"
                                        "</field>"_s
            + AcceptRequired;

        // A fresh thread: only a request starts a negotiation.
        row("idle: no FORM_TYPE", IdleResponder, env(feat(u"form"_s, AcceptRequired)), "error:service-unavailable",
            SsnState::Ended, P(SsnProblem::NotSsnForm));
        row("idle: other FORM_TYPE", IdleResponder,
            env(feat(u"form"_s,
                u"<field var='FORM_TYPE' type='hidden'><value>urn:example:other</value></field>"_s + AcceptRequired)),
            "error:service-unavailable", SsnState::Ended, P(SsnProblem::NotSsnForm));
        row("idle: visible FORM_TYPE", IdleResponder, env(feat(u"form"_s, visibleFormType)),
            "error:service-unavailable", SsnState::Ended, P(SsnProblem::NotSsnForm));
        row("idle: placeholder text in form", IdleResponder, env(feat(u"form"_s, FTH + u"..."_s + AcceptRequired)),
            "error:bad-request", SsnState::Ended, P(SsnProblem::MalformedForm));
        row("idle: no accept", IdleResponder, env(feat(u"form"_s, withoutAccept)), "error:bad-request", SsnState::Ended,
            P(SsnProblem::InvalidControl));
        row("idle: typed accept not a boolean", IdleResponder,
            env(feat(u"form"_s, FTH + u"<field var='accept' type='boolean'><value>maybe</value></field>"_s)),
            "error:bad-request", SsnState::Ended, P(SsnProblem::MalformedForm));
        row("idle: untyped accept not a boolean", IdleResponder, env(feat(u"form"_s, FTH + fld(Accept, u"yes"_s))),
            "error:bad-request", SsnState::Ended, P(SsnProblem::InvalidControl));
        row("idle: accept without a value", IdleResponder,
            env(feat(u"form"_s, FTH + u"<field var='accept' type='boolean'><required/></field>"_s)),
            "error:bad-request", SsnState::Ended, P(SsnProblem::InvalidControl));
        row("idle: duplicate field", IdleResponder, env(feat(u"form"_s, req + listField(Logging, May, { May }, false))),
            "error:bad-request", SsnState::Ended, P(SsnProblem::MalformedForm));
        row("idle: accept and renegotiate", IdleResponder, env(feat(u"form"_s, req + RenegotiateRequired)),
            "error:bad-request", SsnState::Ended, P(SsnProblem::InvalidControl));
        row("idle: accept and terminate", IdleResponder, env(feat(u"form"_s, req + fld(Terminate, u"1"_s))),
            "error:bad-request", SsnState::Ended, P(SsnProblem::InvalidControl));
        row("idle: body in request", IdleResponder, env(u"<body>hi</body>"_s + feat(u"form"_s, req)),
            "error:bad-request", SsnState::Ended, P(SsnProblem::MalformedStanza));
        row("idle: two forms", IdleResponder,
            env(u"<feature xmlns='http://jabber.org/protocol/feature-neg'><x xmlns='jabber:x:data' type='form'>"_s + req
                + u"</x><x xmlns='jabber:x:data' type='form'>"_s + req + u"</x></feature>"_s),
            "error:bad-request", SsnState::Ended, P(SsnProblem::MalformedStanza));
        row("idle: two features", IdleResponder, env(feat(u"form"_s, req) + feat(u"form"_s, req)), "error:bad-request",
            SsnState::Ended, P(SsnProblem::MalformedStanza));
        row("idle: feature without form", IdleResponder,
            env(u"<feature xmlns='http://jabber.org/protocol/feature-neg'/>"_s), "", SsnState::Idle,
            P(SsnProblem::MalformedStanza));
        row("idle: multisession not a boolean", IdleResponder,
            env(feat(u"form"_s, req + fld(Multisession, u"sometimes"_s))), "error:bad-request", SsnState::Ended,
            P(SsnProblem::InvalidValue));
        row("idle: otr and logging", IdleResponder,
            env(feat(u"form"_s, req + listField(Otr, u"false"_s, { u"false"_s }, true))), "error:bad-request",
            SsnState::Ended, P(SsnProblem::InvalidValue));
        row("idle: unknown required field", IdleResponder,
            env(feat(u"form"_s, req + listField(u"x-unknown"_s, u"a"_s, { u"a"_s }, true))),
            "error:feature-not-implemented", SsnState::Ended, P(SsnProblem::UnsupportedField));
        row("idle: unknown optional field ignored", IdleResponder,
            env(feat(u"form"_s, req + listField(u"x-unknown"_s, u"a"_s, { u"a"_s }, false))), "accept",
            SsnState::AwaitingCompletion, -1);
        row("idle: no acceptable option", IdleResponder,
            env(feat(u"form"_s, FTH + AcceptRequired + listField(Security, SecurityE2e, { SecurityE2e }, true))),
            "error:not-acceptable", SsnState::Ended, P(SsnProblem::NoAcceptableOption));
        row("idle: list without options or value", IdleResponder,
            env(feat(
                u"form"_s, FTH + AcceptRequired + u"<field var='security' type='list-single'><required/></field>"_s)),
            "error:not-acceptable", SsnState::Ended, P(SsnProblem::NoAcceptableOption));
        row("idle: renegotiation of an unknown session", IdleResponder,
            env(feat(u"form"_s, FTH + RenegotiateRequired + listField(Logging, May, { May }, true))),
            "error:unexpected-request", SsnState::Ended, P(SsnProblem::UnknownSession));
        row("idle: renegotiate=0 in a form", IdleResponder, env(feat(u"form"_s, FTH + fld(Renegotiate, u"0"_s))),
            "error:bad-request", SsnState::Ended, P(SsnProblem::InvalidControl));
        row("idle: accept for an unknown session", IdleResponder, env(feat(u"submit"_s, acc)), "", SsnState::Idle,
            P(SsnProblem::UnknownSession));
        row("idle: terminate for an unknown session", IdleResponder,
            env(feat(u"submit"_s, FT + fld(Terminate, u"1"_s))), "", SsnState::Idle, P(SsnProblem::UnknownSession));
        row("idle: completion for an unknown session", IdleResponder, env(feat(u"result"_s, FT + fld(Accept, u"1"_s))),
            "", SsnState::Idle, P(SsnProblem::UnknownSession));
        row("idle: cancel-type form", IdleResponder, env(feat(u"cancel"_s, FT + fld(Accept, u"0"_s))), "",
            SsnState::Idle, P(SsnProblem::InvalidControl));
        row("idle: unknown form type", IdleResponder, env(feat(u"bogus"_s, FT + fld(Accept, u"1"_s))), "",
            SsnState::Idle, P(SsnProblem::MalformedForm));
        row("idle: form without type", IdleResponder,
            env(u"<feature xmlns='http://jabber.org/protocol/feature-neg'><x xmlns='jabber:x:data'>"_s + req
                + u"</x></feature>"_s),
            "", SsnState::Idle, P(SsnProblem::MalformedForm));
        row("idle: groupchat", IdleResponder, env(feat(u"form"_s, req), u"groupchat"_s), "", SsnState::Idle, -1, false);
        row("idle: headline", IdleResponder, env(feat(u"form"_s, req), u"headline"_s), "", SsnState::Idle, -1, false);
        row("idle: from a stranger", IdleResponder, env(feat(u"form"_s, req), u"normal"_s, u"%STRANGER%"_s), "",
            SsnState::Idle, P(SsnProblem::WrongPeer), false);
        row("idle: no thread", IdleResponder,
            u"<message xmlns='jabber:client' from='%FROM%' type='normal'>"_s + feat(u"form"_s, req) + u"</message>"_s,
            "", SsnState::Idle, -1, false);
        row("idle: two threads", IdleResponder,
            u"<message xmlns='jabber:client' from='%FROM%'><thread>%THREAD%</thread><thread>%THREAD%</thread>"_s
                + feat(u"form"_s, req) + u"</message>"_s,
            "", SsnState::Idle, -1, false);
        row("idle: thread with markup", IdleResponder,
            u"<message xmlns='jabber:client' from='%FROM%'><thread>%THREAD%<b/></thread>"_s + feat(u"form"_s, req)
                + u"</message>"_s,
            "", SsnState::Idle, -1, false);
        row("idle: chat type accepted", IdleResponder, env(feat(u"form"_s, req), u"chat"_s), "accept",
            SsnState::AwaitingCompletion, -1);
        row("idle: type omitted accepted", IdleResponder,
            u"<message xmlns='jabber:client' from='%FROM%'><thread>%THREAD%</thread>"_s + feat(u"form"_s, req)
                + u"</message>"_s,
            "accept", SsnState::AwaitingCompletion, -1);
        row("idle: error stanza", IdleResponder,
            env(u"<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"_s,
                u"error"_s),
            "", SsnState::Idle, -1, false);

        // Our request waits for its answer: a broken answer cancels ([5]).
        row("pending: option not offered", PendingInitiator,
            env(feat(u"submit"_s,
                FT + fld(Accept, u"1"_s) + fld(Logging, u"sometimes"_s) + fld(Disclosure, u"never"_s)
                    + fld(Security, u"c2s"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::OptionNotOffered));
        row("pending: language not offered", PendingInitiator, env(feat(u"submit"_s, acc + fld(Language, u"fr"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::OptionNotOffered));
        row("pending: required value missing", PendingInitiator,
            env(feat(u"submit"_s, FT + fld(Accept, u"1"_s) + fld(Logging, u"may"_s) + fld(Disclosure, u"never"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::MissingRequiredValue));
        row("pending: two values", PendingInitiator,
            env(feat(u"submit"_s,
                FT + fld(Accept, u"1"_s) + u"<field var='logging'><value>may</value><value>mustnot</value></field>"_s
                    + fld(Disclosure, u"never"_s) + fld(Security, u"c2s"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::InvalidValue));
        row("pending: multisession not a boolean", PendingInitiator,
            env(feat(u"submit"_s, acc + fld(Multisession, u"perhaps"_s))), "cancel", SsnState::Ended,
            P(SsnProblem::InvalidValue));
        row("pending: accept not a boolean", PendingInitiator, env(feat(u"submit"_s, FT + fld(Accept, u"maybe"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::InvalidControl));
        row("pending: accept and terminate", PendingInitiator, env(feat(u"submit"_s, acc + fld(Terminate, u"1"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::InvalidControl));
        row("pending: duplicate field", PendingInitiator, env(feat(u"submit"_s, acc + fld(Logging, u"may"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::MalformedForm));
        row("pending: wrong FORM_TYPE", PendingInitiator,
            env(feat(u"submit"_s,
                u"<field var='FORM_TYPE'><value>urn:example:other</value></field>"_s + fld(Accept, u"1"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::NotSsnForm));
        row("pending: result instead of submit", PendingInitiator, env(feat(u"result"_s, FT + fld(Accept, u"1"_s))),
            "cancel", SsnState::Ended, P(SsnProblem::UnexpectedMessage));
        row("pending: body in accept", PendingInitiator, env(u"<body>hi</body>"_s + feat(u"submit"_s, acc)), "cancel",
            SsnState::Ended, P(SsnProblem::MalformedStanza));
        row("pending: a request on our thread", PendingInitiator, env(feat(u"form"_s, req)), "error:unexpected-request",
            SsnState::Pending, P(SsnProblem::UnexpectedMessage));
        row("pending: terminate", PendingInitiator, env(feat(u"submit"_s, FT + fld(Terminate, u"true"_s))), "ack",
            SsnState::Ended, -1);
        row("pending: decline", PendingInitiator, env(feat(u"submit"_s, FT + fld(Accept, u"false"_s))), "",
            SsnState::Ended, -1);
        row("pending: accept with true", PendingInitiator,
            env(feat(u"submit"_s,
                FT + fld(Accept, u"true"_s) + fld(Logging, u"may"_s) + fld(Disclosure, u"never"_s)
                    + fld(Security, u"c2s"_s))),
            "complete", SsnState::Active, -1);
        row("pending: accept from another resource binds", PendingInitiator,
            env(feat(u"submit"_s, acc), u"normal"_s, u"%OTHER%"_s), "complete", SsnState::Active, -1);
        row("pending: accept from a stranger", PendingInitiator,
            env(feat(u"submit"_s, acc), u"normal"_s, u"%STRANGER%"_s), "", SsnState::Pending, P(SsnProblem::WrongPeer),
            false);

        // A request waits for the local user.
        row("asking: an accept", PendingResponder, env(feat(u"submit"_s, acc)), "", SsnState::Pending,
            P(SsnProblem::UnexpectedMessage));
        row("asking: the request again", PendingResponder, env(feat(u"form"_s, req)), "error:unexpected-request",
            SsnState::Pending, P(SsnProblem::UnexpectedMessage));
        row("asking: garbage", PendingResponder, env(feat(u"submit"_s, FT)), "", SsnState::Pending,
            P(SsnProblem::InvalidControl));

        // Our accept waits for the completion: a broken one ends it with a terminate.
        row("awaiting: completion not a boolean", AwaitingCompletion,
            env(feat(u"result"_s, FT + fld(Accept, u"yes"_s))), "terminate", SsnState::Ended,
            P(SsnProblem::InvalidControl));
        row("awaiting: a submit accept", AwaitingCompletion, env(feat(u"submit"_s, acc)), "terminate", SsnState::Ended,
            P(SsnProblem::UnexpectedMessage));
        row("awaiting: completion and terminate", AwaitingCompletion,
            env(feat(u"result"_s, FT + fld(Accept, u"1"_s) + fld(Terminate, u"1"_s))), "terminate", SsnState::Ended,
            P(SsnProblem::InvalidControl));
        row("awaiting: cancel", AwaitingCompletion, env(feat(u"result"_s, FT + fld(Accept, u"0"_s))), "",
            SsnState::Ended, -1);
        row("awaiting: completion", AwaitingCompletion, env(feat(u"result"_s, FT + fld(Accept, u"1"_s))), "",
            SsnState::Active, -1);
        row("awaiting: error", AwaitingCompletion,
            env(u"<error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"_s,
                u"error"_s),
            "", SsnState::Ended, -1);

        // An open session.
        row("active: a request on the session thread", ActiveInitiator, env(feat(u"form"_s, req)),
            "error:unexpected-request", SsnState::Active, P(SsnProblem::UnexpectedMessage));
        row("active: renegotiation with accept", ActiveInitiator, env(feat(u"form"_s, req + RenegotiateRequired)),
            "error:bad-request", SsnState::Active, P(SsnProblem::InvalidControl));
        row("active: renegotiation, unknown required field", ActiveInitiator,
            env(feat(u"form"_s, FTH + RenegotiateRequired + listField(u"x-unknown"_s, u"a"_s, { u"a"_s }, true))),
            "error:feature-not-implemented", SsnState::Active, P(SsnProblem::UnsupportedField));
        row("active: renegotiation, no acceptable option", ActiveResponder,
            env(feat(u"form"_s, FTH + RenegotiateRequired + listField(Security, SecurityE2e, { SecurityE2e }, true))),
            "error:not-acceptable", SsnState::Active, P(SsnProblem::NoAcceptableOption));
        row("active: renegotiation, malformed form", ActiveResponder,
            env(feat(u"form"_s, FTH + RenegotiateRequired + FTH)), "error:bad-request", SsnState::Active,
            P(SsnProblem::MalformedForm));
        row("active: renegotiation accepted", ActiveResponder,
            env(feat(u"form"_s, FTH + RenegotiateRequired + listField(Logging, May, { May }, true))), "reneg:1",
            SsnState::Active, -1);
        row("active: renegotiation answer, nothing pending", ActiveInitiator,
            env(feat(u"submit"_s, FT + fld(Renegotiate, u"1"_s) + fld(Logging, u"may"_s))), "", SsnState::Active,
            P(SsnProblem::UnexpectedMessage));
        row("active: move accepted, nothing pending", ActiveInitiator,
            env(feat(u"result"_s, FT + fld(Continue, u"PDA"_s))), "", SsnState::Active,
            P(SsnProblem::UnexpectedMessage));
        row("active: move to an empty resource", ActiveInitiator, env(feat(u"submit"_s, FT + fld(Continue, {}))), "",
            SsnState::Active, P(SsnProblem::InvalidControl));
        row("active: move", ActiveInitiator, env(feat(u"submit"_s, FT + fld(Continue, u"PDA"_s))), "continued",
            SsnState::Active, -1);
        row("active: malformed submit", ActiveInitiator, env(feat(u"submit"_s, FT + u"text"_s)), "", SsnState::Active,
            P(SsnProblem::MalformedForm));
        row("active: terminate=0", ActiveInitiator, env(feat(u"submit"_s, FT + fld(Terminate, u"0"_s))), "",
            SsnState::Active, P(SsnProblem::InvalidControl));
        row("active: termination ack without terminate", ActiveInitiator,
            env(feat(u"result"_s, FT + fld(Terminate, u"1"_s))), "", SsnState::Active,
            P(SsnProblem::UnexpectedMessage));
        row("active: repeated accept", ActiveInitiator, env(feat(u"submit"_s, acc)), "", SsnState::Active,
            P(SsnProblem::UnexpectedMessage));
        row("active: repeated completion", ActiveResponder, env(feat(u"result"_s, FT + fld(Accept, u"1"_s))), "",
            SsnState::Active, P(SsnProblem::UnexpectedMessage));
        row("active: accept from another resource", ActiveInitiator,
            env(feat(u"submit"_s, acc), u"normal"_s, u"%OTHER%"_s), "terminate", SsnState::Active,
            P(SsnProblem::SecondResponder));
        row("active: terminate from another resource", ActiveInitiator,
            env(feat(u"submit"_s, FT + fld(Terminate, u"1"_s)), u"normal"_s, u"%OTHER%"_s), "", SsnState::Active,
            P(SsnProblem::WrongPeer));
        row("active: chat message", ActiveInitiator, env(u"<body>hello</body>"_s, u"chat"_s), "", SsnState::Active, -1,
            false);
        row("active: error, nothing pending", ActiveInitiator,
            env(u"<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"_s,
                u"error"_s),
            "", SsnState::Active, -1, false);
        row("active: terminate", ActiveResponder, env(feat(u"submit"_s, FT + fld(Terminate, u"1"_s))), "ack",
            SsnState::Ended, -1);

        // After our terminate.
        row("ended: acknowledgement", EndedInitiator, env(feat(u"result"_s, FT + fld(Terminate, u"1"_s))), "",
            SsnState::Ended, -1);
        row("ended: a request", EndedInitiator, env(feat(u"form"_s, req)), "error:unexpected-request", SsnState::Ended,
            P(SsnProblem::UnexpectedMessage));
        row("ended: a renegotiation", EndedInitiator,
            env(feat(u"form"_s, FTH + RenegotiateRequired + listField(Logging, May, { May }, true))),
            "error:unexpected-request", SsnState::Ended, P(SsnProblem::UnexpectedMessage));
        row("ended: terminate", EndedInitiator, env(feat(u"submit"_s, FT + fld(Terminate, u"1"_s))), "",
            SsnState::Ended, P(SsnProblem::UnexpectedMessage));
        row("ended: move", EndedInitiator, env(feat(u"submit"_s, FT + fld(Continue, u"PDA"_s))), "", SsnState::Ended,
            P(SsnProblem::UnexpectedMessage));
        row("ended: malformed", EndedInitiator, env(feat(u"submit"_s, FT + u"text"_s)), "", SsnState::Ended,
            P(SsnProblem::MalformedForm));
    }

    void malformedInputs()
    {
        QFETCH(int, setup);
        QFETCH(QString, message);
        QFETCH(QString, reply);
        QFETCH(int, state);
        QFETCH(int, problem);
        QFETCH(bool, consumed);

        Fixture f = makeFixture(Setup(setup));
        QCOMPARE(f.machine->state(), stateOf(Setup(setup)));
        QDomElement input = parseXml(substitute(message, f));
        QVERIFY2(!input.isNull(), qPrintable(substitute(message, f)));
        input.setAttribute(u"id"_s, u"in-1"_s);
        const SsnOutput out = f.machine->handleMessage(input);
        CHECK_OUT(*f.machine, out);
        QCOMPARE(out.consumed, consumed);
        QCOMPARE(stateName(f.machine->state()), stateName(SsnState(state)));

        if (reply.isEmpty()) {
            QCOMPARE(out.stanzas.size(), 0);
        } else {
            QCOMPARE(out.stanzas.size(), 1);
            const QDomElement stanza = out.stanzas.first();
            QCOMPARE(describeReply(stanza), reply);
            // Every reply goes back to the sender.
            QCOMPARE(stanza.attribute(u"to"_s), input.attribute(u"from"_s));
            if (reply.startsWith(u"error:")) {
                const SsnError &refusal = firstEvent<SsnError>(out);
                QVERIFY(refusal.refusal);
                QVERIFY(refusal.replied);
                QCOMPARE(refusal.refusal->conditionName, reply.mid(6));
                const QString problems = errorProblems(stanza, reply.mid(6), refusal.refusal->fields);
                QVERIFY2(problems.isEmpty(), qPrintable(problems));
                // RFC 6120 §8.3.1: the error carries the offending stanza's id.
                QCOMPARE(stanza.attribute(u"id"_s), u"in-1"_s);
                // Echoes the offending payload, as the XEP-0155 examples do.
                QVERIFY(!childrenNamed(stanza, u"feature"_s, Xep0020::Namespace).isEmpty());
            }
        }
        const QList<SsnError> errors = eventsOf<SsnError>(out);
        if (problem < 0) {
            QVERIFY2(errors.isEmpty(), qPrintable(describeEvents(out)));
        } else {
            QVERIFY2(!errors.isEmpty(), qPrintable(describeEvents(out)));
            for (const SsnError &error : errors)
                QCOMPARE(problemName(error.problem), problemName(SsnProblem(problem)));
        }

        // The machine is still usable from its state.
        switch (f.machine->state()) {
        case SsnState::Idle:
            QCOMPARE(f.machine->request().stanzas.size(), 1);
            break;
        case SsnState::Pending:
            if (f.machine->role() == SsnRole::Initiator)
                QCOMPARE(describeReply(f.machine->terminate().stanzas.value(0)), u"terminate"_s);
            else
                QCOMPARE(describeReply(f.machine->decline().stanzas.value(0)), u"decline"_s);
            QCOMPARE(f.machine->state(), SsnState::Ended);
            break;
        case SsnState::AwaitingCompletion:
        case SsnState::Active:
            QCOMPARE(describeReply(f.machine->terminate().stanzas.value(0)), u"terminate"_s);
            QCOMPARE(f.machine->state(), SsnState::Ended);
            break;
        case SsnState::Ended:
            QCOMPARE(f.machine->terminate().stanzas.size(), 0);
            break;
        }
    }

    void mutatedExamples()
    {
        // Random mutations of every XEP-0155 example, fed to machines in every state: no crash, every output
        // well-formed with the exact thread and no body, never an error in reply to an error.
        QRandomGenerator rng(0x55a1);
        const QStringList captions = examples().byCaption.keys();
        QVERIFY(!captions.isEmpty());
        static const QString pool[] = { QString(), u"form"_s, u"submit"_s, u"result"_s, u"cancel"_s, u"1"_s, u"0"_s,
            u"true"_s, u"maybe"_s, u"urn:xmpp:ssn"_s, u"accept"_s, u"terminate"_s, u"renegotiate"_s, u"continue"_s,
            u"FORM_TYPE"_s, u"error"_s, u"hidden"_s, u"boolean"_s, u"juliet@capulet.com/balcony"_s,
            u"romeo@montague.net/orchard"_s };
        int inputs = 0;
        int replies = 0;
        for (int round = 0; round < 100; ++round) {
            for (const QString &caption : captions) {
                QDomElement input = example(caption);
                QDomDocument doc = input.ownerDocument();
                QList<QDomElement> all;
                const QDomNodeList nodes = input.elementsByTagName(u"*"_s);
                for (int i = 0; i < nodes.count(); ++i)
                    all << nodes.at(i).toElement();
                const int mutations = 1 + int(rng.bounded(3));
                for (int m = 0; m < mutations && !all.isEmpty(); ++m) {
                    QDomElement target = all.at(int(rng.bounded(int(all.size()))));
                    switch (rng.bounded(6)) {
                    case 0: // remove an element
                        if (target != input && target.localName() != u"thread")
                            target.parentNode().removeChild(target);
                        break;
                    case 1: // duplicate an element
                        if (target != input)
                            target.parentNode().insertAfter(target.cloneNode(true), target);
                        break;
                    case 2: { // change an attribute
                        const QDomNamedNodeMap attributes = target.attributes();
                        if (attributes.count() > 0) {
                            const QString name = attributes.item(int(rng.bounded(attributes.count()))).nodeName();
                            target.setAttribute(name, pool[rng.bounded(int(std::size(pool)))]);
                        }
                        break;
                    }
                    case 3: // change a text
                        if (target.localName() == u"value") {
                            while (target.hasChildNodes())
                                target.removeChild(target.firstChild());
                            target.appendChild(doc.createTextNode(pool[rng.bounded(int(std::size(pool)))]));
                        }
                        break;
                    case 4: // add a body
                        input.appendChild(doc.createElementNS(u"jabber:client"_s, u"body"_s))
                            .appendChild(doc.createTextNode(u"hi"_s));
                        break;
                    default: // insert text where none belongs
                        if (target.localName() == u"x")
                            target.appendChild(doc.createTextNode(u"..."_s));
                        break;
                    }
                }
                const bool isError = input.attribute(u"type"_s) == u"error";
                for (Setup setup : { IdleResponder, PendingInitiator, PendingResponder, AwaitingCompletion,
                         ActiveInitiator, ActiveResponder, EndedInitiator }) {
                    Fixture f = makeFixture(setup);
                    QDomElement copy = parseXml(toXml(input));
                    if (copy.isNull())
                        continue;
                    // Mostly from the peer and on the machine's thread, so that it gets past routing.
                    if (rng.bounded(5) != 0)
                        copy.setAttribute(u"from"_s, f.peer);
                    const QList<QDomElement> threads = childrenNamed(copy, u"thread"_s);
                    if (!threads.isEmpty() && rng.bounded(10) != 0) {
                        QDomElement thread = threads.first();
                        while (thread.hasChildNodes())
                            thread.removeChild(thread.firstChild());
                        thread.appendChild(copy.ownerDocument().createTextNode(f.thread));
                    }
                    const SsnOutput out = f.machine->handleMessage(copy);
                    ++inputs;
                    replies += int(out.stanzas.size());
                    CHECK_OUT(*f.machine, out);
                    for (const QDomElement &stanza : out.stanzas) {
                        if (isError)
                            QVERIFY2(stanza.attribute(u"type"_s) != u"error", qPrintable(toXml(copy)));
                    }
                    // The same input again, in whatever state it left: still no crash, still well-formed.
                    const SsnOutput again = f.machine->handleMessage(copy);
                    CHECK_OUT(*f.machine, again);
                }
            }
        }
        QVERIFY(inputs > 10000);
        QVERIFY(replies > 0);
    }

    // ---- threads ------------------------------------------------------------------------------------------------

    void threadMirroring_data()
    {
        QTest::addColumn<QString>("thread");
        QTest::addColumn<bool>("cdata");
        QTest::newRow("hex") << SessionManager::newThreadId() << false;
        QTest::newRow("markup characters") << u"a&b<c>d]]>e"_s << false;
        QTest::newRow("quotes") << u"it's \"quoted\""_s << false;
        QTest::newRow("non-ASCII") << u"\u03b8\u03c1\u03b5\u03b1\u03b4-\u65e5\u672c-\U0001F600"_s << false;
        QTest::newRow("surrounding spaces") << u"  padded  "_s << false;
        QTest::newRow("tab and newline inside") << u"a\tb\nc"_s << false;
        QTest::newRow("entity-like text") << u"&amp;&#x41;"_s << false;
        QTest::newRow("long") << QString(2000, u'x') << false;
        QTest::newRow("CDATA") << u"a<b>&c"_s << true;
    }

    void threadMirroring()
    {
        QFETCH(QString, thread);
        QFETCH(bool, cdata);

        // The request as a peer would send it (built in a DOM, serialised, parsed back).
        SsnNegotiation romeo(JulietBare, thread, permissive());
        const SsnOutput request = romeo.request();
        CHECK_OUT(romeo, request);
        QString requestXml = toXml(request.stanzas.value(0));
        QCOMPARE(threadText(requestXml), escapedText(thread));
        if (cdata) {
            const qsizetype start = requestXml.indexOf(u'>', requestXml.indexOf(u"<thread")) + 1;
            requestXml.replace(start, requestXml.indexOf(u"</thread>") - start, u"<![CDATA["_s + thread + u"]]>"_s);
        }
        QDomElement received = parseXml(requestXml);
        QVERIFY(!received.isNull());
        received.setAttribute(u"from"_s, Romeo);
        const std::optional<QString> extracted = SsnNegotiation::threadOf(received);
        QVERIFY(extracted == std::optional<QString>(thread));

        SsnNegotiation juliet(Romeo, *extracted, permissive());
        const SsnOutput accept = juliet.handleMessage(received);
        CHECK_OUT(juliet, accept); // checks the thread text after a round trip
        QCOMPARE(accept.stanzas.size(), 1);
        // Byte for byte: the serialised thread text is exactly what the serialiser writes for that text.
        QCOMPARE(threadText(toXml(accept.stanzas.first())), escapedText(thread));
        QVERIFY(SsnNegotiation::threadOf(accept.stanzas.first()) == std::optional<QString>(thread));
        QCOMPARE(childrenNamed(accept.stanzas.first(), u"thread"_s).value(0).text().toUtf8(), thread.toUtf8());

        // The whole flow completes: each side recognises the other's thread.
        const SsnOutput complete = deliver(accept, Juliet, romeo);
        CHECK_OUT(romeo, complete);
        QCOMPARE(romeo.state(), SsnState::Active);
        const SsnOutput opened = deliver(complete, Romeo, juliet);
        QCOMPARE(juliet.state(), SsnState::Active);
        QVERIFY(has<SsnAccepted>(opened));
        const SsnOutput ended = deliver(juliet.terminate(), Juliet, romeo);
        CHECK_OUT(romeo, ended);
        QCOMPARE(romeo.state(), SsnState::Ended);
    }

    void threadComparedRaw()
    {
        // Exact, untrimmed, case-sensitive comparison; the parent attribute is mirrored.
        const QString thread = u"abc"_s;
        for (const QString &other : { u" abc"_s, u"abc "_s, u"ABC"_s, u"ab"_s }) {
            SsnNegotiation juliet(Romeo, thread, permissive());
            Fixture f { nullptr, Romeo, other };
            const QString xml = substitute(env(feat(u"form"_s, goodRequestFields())), f);
            const SsnOutput out = juliet.handleMessage(parseXml(xml));
            QVERIFY(!out.consumed);
            QCOMPARE(out.stanzas.size(), 0);
            QCOMPARE(juliet.state(), SsnState::Idle);
        }
        SsnNegotiation juliet(Romeo, thread, permissive());
        const QString withParent = u"<message xmlns='jabber:client' from='%1' type='normal'>"
                                   "<thread parent='e0ffe42b28561960c6b12b944a092794b9683a38'>abc</thread>"_s.arg(Romeo)
            + feat(u"form"_s, goodRequestFields()) + u"</message>"_s;
        const SsnOutput out = juliet.handleMessage(parseXml(withParent));
        CHECK_OUT(juliet, out);
        QCOMPARE(childrenNamed(out.stanzas.value(0), u"thread"_s).value(0).attribute(u"parent"_s),
            u"e0ffe42b28561960c6b12b944a092794b9683a38"_s);
    }

    void unknownThread()
    {
        // A reply for a thread nobody negotiates: the router finds no machine, makes a fresh one, and that one
        // ignores it and stays unused.
        SsnNegotiation fresh(Juliet, u"0123456789abcdef0123456789abcdef"_s, permissive());
        Fixture f { nullptr, Juliet, fresh.thread() };
        for (const QString &inner : { feat(u"submit"_s, goodAcceptFields()),
                 feat(u"result"_s, FT + fld(u"accept"_s, u"1"_s)), feat(u"submit"_s, FT + fld(u"terminate"_s, u"1"_s)),
                 feat(u"result"_s, FT + fld(u"terminate"_s, u"1"_s)),
                 feat(u"submit"_s, FT + fld(u"renegotiate"_s, u"1"_s)),
                 feat(u"submit"_s, FT + fld(u"continue"_s, u"PDA"_s)) }) {
            const SsnOutput out = fresh.handleMessage(parseXml(substitute(env(inner), f)));
            QCOMPARE(out.stanzas.size(), 0);
            QCOMPARE(fresh.state(), SsnState::Idle);
            QCOMPARE(firstEvent<SsnError>(out).problem, SsnProblem::UnknownSession);
        }
        // A live machine never takes another thread's message.
        Fixture active = makeFixture(ActiveInitiator);
        Fixture other { nullptr, Juliet, SessionManager::newThreadId() };
        const SsnOutput foreign = active.machine->handleMessage(
            parseXml(substitute(env(feat(u"submit"_s, FT + fld(u"terminate"_s, u"1"_s))), other)));
        QVERIFY(!foreign.consumed);
        QCOMPARE(active.machine->state(), SsnState::Active);
        QVERIFY(!SsnNegotiation::threadOf(parseXml(u"<message><thread/></message>"_s)));
        QVERIFY(!SsnNegotiation::isNegotiationMessage(parseXml(u"<message><body>x</body></message>"_s)));
        QVERIFY(!SsnNegotiation::isNegotiationMessage(QDomElement()));
        const SsnOutput nothing = active.machine->handleMessage(QDomElement());
        QVERIFY(!nothing.consumed);
        const SsnOutput iq = active.machine->handleMessage(parseXml(u"<iq type='get'/>"_s));
        QVERIFY(!iq.consumed);
    }
};

int main(int argc, char **argv)
{
    Crypto::Library crypto; // thread ids come from SessionManager::newThreadId(), through QCA
    QCoreApplication app(argc, argv);
    TestSsnNegotiation test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_ssnnegotiation.moc"
