#pragma once

#include <QByteArray>
#include <QDomElement>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Esession {

/// The "XML Normalization" of XEP-0116/0217 §"XML Normalization" as read in brief part 1 §1.3: the
/// concatenated element children of @p x (the <x/> tag itself excluded), in document order, each as
///   "<" local-name { " " local-name "=\"" escA(value) "\"" } ">" content "</" local-name ">"
/// with attributes sorted by name (then by value), xmlns declarations and all namespace prefixes
/// dropped, every element written as a start/end pair, content = the serialised element children if
/// there are any, else the element's text verbatim (escT); text between elements, comments and
/// processing instructions dropped.
///   escT: & -> &amp;  < -> &lt;  > -> &gt;  CR -> &#xD;
///   escA: & -> &amp;  < -> &lt;  " -> &quot;  TAB -> &#x9;  LF -> &#xA;  CR -> &#xD;
/// Works on a DOM parsed with or without namespace processing and on one built locally; does not check
/// that @p x is a valid form (parse it with DataForm first). Returns UTF-8.
///
/// @p excludedFieldVars: <field/> children of @p x whose var is listed are left out (form_A2 and
/// form_B2 exclude `identity` and `mac`).
///
/// Qt 6.4 caveat: QDomDocument drops text nodes made only of whitespace, so a <value> </value> from the
/// wire reads as empty while a locally built one keeps its space. Never send whitespace-only text.
[[nodiscard]] QByteArray normalizedFormContent(const QDomElement &x, const QStringList &excludedFieldVars = {});

/// The same normalisation of one element, its own tag included (e.g. a <KeyValue/> in XEP-0116).
[[nodiscard]] QByteArray normalizedElement(const QDomElement &element);

// DOM helpers shared with DataForm: they give the same answer for an element parsed with namespace
// processing, one parsed without it (prefixes and xmlns attributes kept as plain names) and one built
// with createElement()/createElementNS().

/// The element's name without prefix.
QString localNameOf(const QDomElement &element);
/// The element's namespace URI: namespaceURI() when the node knows it, else resolved from the xmlns
/// attributes of the element and its ancestors.
QString namespaceOf(const QDomElement &element);
/// The value of the attribute @p name that has no prefix and no namespace; nullopt when absent.
std::optional<QString> unprefixedAttribute(const QDomElement &element, const QString &name);
/// unprefixedAttribute(), an empty string when absent.
QString attribute(const QDomElement &element, const QString &name);
/// The child elements of @p parent named @p name in namespace @p ns, in document order.
QList<QDomElement> childElements(const QDomElement &parent, const QString &name, const QString &ns);

// JID comparisons of the negotiation engines (they get prepared JIDs; only case is guarded against).

/// The JID without its resource.
QString bareOf(const QString &jid);
/// The bare JID as XMPP compares it: without its resource, local part and domain lower-cased. The one key for "the
/// same account": sameBare() and every retained-secret lookup (RetainedSecretStore implementations, the search
/// across JIDs) go through it.
QString normalizedBareJid(const QString &jid);
/// Same account: normalizedBareJid() of both equal; never true for an empty JID.
bool sameBare(const QString &a, const QString &b);
/// Same account and the same resource (or both without one).
bool sameJid(const QString &a, const QString &b);

} // namespace Esession
