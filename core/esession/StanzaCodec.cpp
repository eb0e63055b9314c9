#include "StanzaCodec.h"

#include <QDomDocument>
#include <QTextStream>

#include "Constants.h"

namespace Esession {

namespace {

QDomElement findC(const QDomElement &stanza)
{
    QDomElement found;
    for (QDomElement child = stanza.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (child.localName() == Xep0200::CElement && child.namespaceURI() == Xep0200::Namespace) {
            if (!found.isNull())
                return {}; // at most one <c/> per stanza
            found = child;
        }
    }
    return found;
}

bool containsXep0200Element(const QDomElement &element)
{
    for (QDomElement child = element.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (child.namespaceURI() == Xep0200::Namespace || containsXep0200Element(child))
            return true;
    }
    return false;
}

// <thread/> and <amp/> are never encrypted, and a <c/> never sits inside another: content holding
// any of them was not produced by an honest peer.
bool isForbiddenInContent(const QDomElement &child)
{
    const QString name = child.localName();
    return name == Xep0200::ThreadElement || name == Xep0200::AmpElement
        || child.namespaceURI() == Xep0200::Namespace || containsXep0200Element(child);
}

} // namespace

bool staysInPlaintext(const QDomElement &child)
{
    const QString name = child.localName();
    const QString ns = child.namespaceURI();
    if (name == Xep0200::ThreadElement || name == Xep0200::AmpElement || name == Xep0200::ErrorElement)
        return true;
    return ns == Xep0200::HintsNamespace || (ns == Xep0200::CarbonsNamespace && name == u"private");
}

QByteArray encryptableContent(const QDomElement &stanza)
{
    QString text;
    QTextStream stream(&text);
    for (QDomElement child = stanza.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (!staysInPlaintext(child))
            child.save(stream, -1);
    }
    stream.flush();
    return text.toUtf8();
}

std::optional<CipherError> encryptStanza(StanzaCipher &cipher, QDomElement &stanza)
{
    const QByteArray content = encryptableContent(stanza);
    QDomDocument doc = stanza.ownerDocument();
    // Take the content out first, so that a failure cannot leave it behind in plaintext.
    QList<QDomNode> plaintextChildren;
    for (QDomNode node = stanza.firstChild(); !node.isNull(); node = node.nextSibling()) {
        if (!node.isElement() || !staysInPlaintext(node.toElement()))
            plaintextChildren << node;
    }
    for (QDomNode &node : plaintextChildren)
        stanza.removeChild(node);

    auto result = cipher.encrypt(doc, content);
    if (auto *error = std::get_if<CipherError>(&result))
        return *error;
    stanza.appendChild(std::get<QDomElement>(result));
    return std::nullopt;
}

std::variant<QDomElement, OpenFailure> decryptStanza(StanzaCipher &cipher, const QDomElement &stanza)
{
    const QDomElement c = findC(stanza);
    if (c.isNull())
        return OpenFailure{OpenError::NoEncryptedContent};
    auto result = cipher.decrypt(c);
    if (auto *error = std::get_if<CipherError>(&result))
        return OpenFailure{OpenError::Cipher, *error};
    const QByteArray &content = std::get<QByteArray>(result);

    // Markup that has no place in stanza content: DTDs (entity expansion), processing instructions.
    if (content.contains("<!DOCTYPE") || content.contains("<!ENTITY") || content.contains("<?")) {
        cipher.terminate();
        return OpenFailure{OpenError::UnparseableContent};
    }
    // Parse inside a parent in the stanza's namespace, as the children would sit in the stream.
    const QString ns = stanza.namespaceURI().isEmpty() ? Xep0200::ClientNamespace : stanza.namespaceURI();
    QDomDocument parsed;
    const QByteArray wrapped = "<w xmlns=\"" + ns.toUtf8() + "\">" + content + "</w>";
    if (!parsed.setContent(wrapped, true)) {
        cipher.terminate();
        return OpenFailure{OpenError::UnparseableContent};
    }
    const QDomElement wrapper = parsed.documentElement();
    for (QDomElement child = wrapper.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (isForbiddenInContent(child)) {
            cipher.terminate();
            return OpenFailure{OpenError::UnparseableContent};
        }
    }

    // The opened stanza: routing attributes, the plaintext elements, then the decrypted content.
    QDomDocument out;
    QDomElement opened = out.importNode(stanza, false).toElement();
    out.appendChild(opened);
    for (QDomElement child = stanza.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (child != c && staysInPlaintext(child))
            opened.appendChild(out.importNode(child, true));
    }
    for (QDomNode node = wrapper.firstChild(); !node.isNull(); node = node.nextSibling()) {
        if (node.isElement())
            opened.appendChild(out.importNode(node, true));
    }
    return opened;
}

} // namespace Esession
