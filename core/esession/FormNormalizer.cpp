#include "FormNormalizer.h"

#include <QDomNamedNodeMap>
#include <QList>

#include <algorithm>
#include <utility>

#include "FormConstants.h"

namespace Esession {

namespace {

const QString XmlnsPrefix = QStringLiteral("xmlns");
const QString XmlPrefix = QStringLiteral("xml");
const QString XmlnsNamespace = QStringLiteral("http://www.w3.org/2000/xmlns/");
const QString XmlNamespace = QStringLiteral("http://www.w3.org/XML/1998/namespace");

// A node created with namespace support (parsed with namespace processing, or createElementNS /
// setAttributeNS) has a local name; one created without it only has its qualified nodeName.
bool knowsNamespaces(const QDomNode &node)
{
    return !node.localName().isEmpty();
}

QString prefixOfQualifiedName(const QString &qualified)
{
    const qsizetype colon = qualified.indexOf(QLatin1Char(':'));
    return colon < 0 ? QString() : qualified.left(colon);
}

QString localPartOfQualifiedName(const QString &qualified)
{
    return qualified.mid(qualified.lastIndexOf(QLatin1Char(':')) + 1);
}

bool isNamespaceDeclaration(const QDomAttr &attr)
{
    if (knowsNamespaces(attr)) {
        return attr.namespaceURI() == XmlnsNamespace || attr.prefix() == XmlnsPrefix
            || (attr.prefix().isEmpty() && attr.localName() == XmlnsPrefix);
    }
    const QString name = attr.name();
    return name == XmlnsPrefix || prefixOfQualifiedName(name) == XmlnsPrefix;
}

QString attributeLocalName(const QDomAttr &attr)
{
    return knowsNamespaces(attr) ? attr.localName() : localPartOfQualifiedName(attr.name());
}

void appendEscapedText(QString &out, QStringView text)
{
    for (const QChar c : text) {
        switch (c.unicode()) {
        case u'&':
            out += QStringLiteral("&amp;");
            break;
        case u'<':
            out += QStringLiteral("&lt;");
            break;
        case u'>':
            out += QStringLiteral("&gt;");
            break;
        case u'\r':
            out += QStringLiteral("&#xD;");
            break;
        default:
            out += c;
        }
    }
}

void appendEscapedAttribute(QString &out, QStringView value)
{
    for (const QChar c : value) {
        switch (c.unicode()) {
        case u'&':
            out += QStringLiteral("&amp;");
            break;
        case u'<':
            out += QStringLiteral("&lt;");
            break;
        case u'"':
            out += QStringLiteral("&quot;");
            break;
        case u'\t':
            out += QStringLiteral("&#x9;");
            break;
        case u'\n':
            out += QStringLiteral("&#xA;");
            break;
        case u'\r':
            out += QStringLiteral("&#xD;");
            break;
        default:
            out += c;
        }
    }
}

// Text and CDATA children (CDATA sections are text nodes to QDom), entity references expanded;
// comments and processing instructions skipped.
void appendLeafText(QString &out, const QDomNode &parent)
{
    for (QDomNode child = parent.firstChild(); !child.isNull(); child = child.nextSibling()) {
        if (child.isText())
            out += child.nodeValue();
        else if (child.isEntityReference())
            appendLeafText(out, child);
    }
}

void appendStartTag(QString &out, const QDomElement &element)
{
    QList<std::pair<QString, QString>> attributes;
    const QDomNamedNodeMap map = element.attributes();
    for (int i = 0; i < map.count(); ++i) {
        const QDomAttr attr = map.item(i).toAttr();
        if (attr.isNull() || isNamespaceDeclaration(attr))
            continue;
        attributes.append({ attributeLocalName(attr), attr.value() });
    }
    // QDom keeps attributes in a hash: only the sort makes the order deterministic. Two attributes can
    // share a local name once prefixes are dropped (a:type and type); the value breaks the tie.
    std::sort(attributes.begin(), attributes.end());

    out += QLatin1Char('<');
    out += localNameOf(element);
    for (const auto &[name, value] : std::as_const(attributes)) {
        out += QLatin1Char(' ');
        out += name;
        out += QStringLiteral("=\"");
        appendEscapedAttribute(out, value);
        out += QLatin1Char('"');
    }
    out += QLatin1Char('>');
}

void appendEndTag(QString &out, const QDomElement &element)
{
    out += QStringLiteral("</");
    out += localNameOf(element);
    out += QLatin1Char('>');
}

// Iterative on purpose: the element may come from a peer, and its depth is the peer's choice.
void appendNormalized(QString &out, const QDomElement &root)
{
    struct Frame
    {
        QDomElement element;
        QDomElement nextChild;
    };
    QList<Frame> stack;

    const auto open = [&out, &stack](const QDomElement &element) {
        appendStartTag(out, element);
        const QDomElement firstChild = element.firstChildElement();
        if (firstChild.isNull()) {
            QString text;
            appendLeafText(text, element);
            appendEscapedText(out, text);
            appendEndTag(out, element);
        } else {
            stack.append({ element, firstChild });
        }
    };

    open(root);
    while (!stack.isEmpty()) {
        if (stack.last().nextChild.isNull()) {
            appendEndTag(out, stack.last().element);
            stack.removeLast();
            continue;
        }
        const QDomElement child = stack.last().nextChild;
        stack.last().nextChild = child.nextSiblingElement();
        open(child); // may grow the stack: no reference into it is held across this call
    }
}

bool isExcludedField(const QDomElement &child, const QStringList &excludedFieldVars)
{
    if (excludedFieldVars.isEmpty() || localNameOf(child) != Xep0004::FieldElement
        || namespaceOf(child) != Xep0004::Namespace)
        return false;
    const std::optional<QString> var = unprefixedAttribute(child, Xep0004::VarAttribute);
    return var && excludedFieldVars.contains(*var);
}

} // namespace

QByteArray normalizedFormContent(const QDomElement &x, const QStringList &excludedFieldVars)
{
    QString out;
    for (QDomElement child = x.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (!isExcludedField(child, excludedFieldVars))
            appendNormalized(out, child);
    }
    return out.toUtf8();
}

QByteArray normalizedElement(const QDomElement &element)
{
    if (element.isNull())
        return {};
    QString out;
    appendNormalized(out, element);
    return out.toUtf8();
}

QString localNameOf(const QDomElement &element)
{
    return knowsNamespaces(element) ? element.localName() : localPartOfQualifiedName(element.tagName());
}

QString namespaceOf(const QDomElement &element)
{
    if (knowsNamespaces(element))
        return element.namespaceURI();

    const QString prefix = prefixOfQualifiedName(element.tagName());
    if (prefix == XmlPrefix)
        return XmlNamespace;
    const QString declaration = prefix.isEmpty() ? XmlnsPrefix : XmlnsPrefix + QLatin1Char(':') + prefix;
    for (QDomNode node = element; !node.isNull() && node.isElement(); node = node.parentNode()) {
        const QDomElement ancestor = node.toElement();
        if (knowsNamespaces(ancestor)) {
            // Built with namespaces: its own binding is the only one QDom remembers.
            if (ancestor.prefix() == prefix)
                return ancestor.namespaceURI();
            continue;
        }
        if (ancestor.hasAttribute(declaration))
            return ancestor.attribute(declaration);
    }
    return {};
}

std::optional<QString> unprefixedAttribute(const QDomElement &element, const QString &name)
{
    const QDomNamedNodeMap map = element.attributes();
    for (int i = 0; i < map.count(); ++i) {
        const QDomAttr attr = map.item(i).toAttr();
        if (attr.isNull())
            continue;
        const bool matches = knowsNamespaces(attr)
            ? attr.localName() == name && attr.prefix().isEmpty() && attr.namespaceURI().isEmpty()
            : attr.name() == name;
        if (matches)
            return attr.value();
    }
    return std::nullopt;
}

QString attribute(const QDomElement &element, const QString &name)
{
    return unprefixedAttribute(element, name).value_or(QString());
}

QList<QDomElement> childElements(const QDomElement &parent, const QString &name, const QString &ns)
{
    QList<QDomElement> found;
    for (QDomElement child = parent.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (localNameOf(child) == name && namespaceOf(child) == ns)
            found << child;
    }
    return found;
}

QString bareOf(const QString &jid)
{
    const qsizetype slash = jid.indexOf(u'/');
    return slash < 0 ? jid : jid.left(slash);
}

QString normalizedBareJid(const QString &jid)
{
    // RFC 7622 enforces the local part with the PRECIS UsernameCaseMapped profile, whose case mapping rule is
    // Unicode toLowerCase() (RFC 8265 §3.3), and the domain with the IDNA mappings, which lower-case as well
    // (RFC 5895). QString::toLower() is that mapping, locale-independent, for ASCII and the rest of Unicode alike.
    // Not toCaseFolded(): case folding also merges what toLowerCase() keeps apart (final sigma and sigma, long s and
    // s), i.e. accounts a server may treat as two. The width mapping and normalisation of PRECIS are left out: the
    // JIDs come from the server, which enforces them; this only keeps two spellings of one account from being two.
    return bareOf(jid).toLower();
}

bool sameBare(const QString &a, const QString &b)
{
    return !a.isEmpty() && normalizedBareJid(a) == normalizedBareJid(b);
}

bool sameJid(const QString &a, const QString &b)
{
    // What follows the bare JID is "/resource" or nothing, on both sides alike.
    return sameBare(a, b) && a.mid(bareOf(a).size()) == b.mid(bareOf(b).size());
}

} // namespace Esession
