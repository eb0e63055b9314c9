#include "StanzaCipher.h"

#include <QCoreApplication>
#include <QDomDocument>
#include <QSet>

#include "Constants.h"
#include "Logging.h"

namespace Esession {

namespace {

// Strict Base64: whitespace (allowed between the characters on the wire) removed, anything else invalid.
std::optional<QByteArray> decodeBase64(const QString &text)
{
    QByteArray compact = text.toLatin1();
    if (compact.contains(' ') || compact.contains('\n') || compact.contains('\r') || compact.contains('\t'))
        compact.removeIf([](char ch) { return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t'; });
    auto result = QByteArray::fromBase64Encoding(std::move(compact), QByteArray::AbortOnBase64DecodingErrors);
    if (!result)
        return std::nullopt;
    return std::move(*result);
}

void wipe(QByteArray &bytes)
{
    bytes.fill('\0');
    bytes.clear();
}

QDomElement appendText(QDomDocument &doc, QDomElement &parent, const QString &name, const QString &text)
{
    QDomElement child = doc.createElementNS(Xep0200::Namespace, name);
    child.appendChild(doc.createTextNode(text));
    parent.appendChild(child);
    return child;
}

} // namespace

QString describe(CipherError error)
{
    switch (error) {
    case CipherError::Terminated:
        return QCoreApplication::translate("Esession", "the encrypted session has ended");
    case CipherError::MalformedElement:
        return QCoreApplication::translate("Esession", "an encrypted message was malformed");
    case CipherError::BadMac:
        return QCoreApplication::translate(
            "Esession", "an encrypted message failed its integrity check (tampered, replayed, lost or out of order)");
    case CipherError::RekeyUnsupported:
        return QCoreApplication::translate("Esession", "the contact tried to change keys, which this session does not allow");
    case CipherError::TooLarge:
        return QCoreApplication::translate("Esession", "an encrypted message was too large");
    case CipherError::KeyExhausted:
        return QCoreApplication::translate("Esession", "the session key has been used up; a new session is needed");
    case CipherError::CryptoFailure:
        return QCoreApplication::translate("Esession", "the encryption library failed");
    }
    return {};
}

StanzaCipher::StanzaCipher(CipherParameters parameters)
    : m_params(std::move(parameters))
{
}

StanzaCipher::~StanzaCipher()
{
    terminate();
}

void StanzaCipher::terminate()
{
    m_terminated = true;
    wipe(m_params.send.cipherKey);
    wipe(m_params.send.macKey);
    wipe(m_params.receive.cipherKey);
    wipe(m_params.receive.macKey);
}

CipherError StanzaCipher::fail(CipherError error)
{
    qCInfo(lcEsession) << "encrypted session ends:" << describe(error);
    terminate();
    return error;
}

QByteArray StanzaCipher::macInput(const QDomElement &c, const BlockCounter &counter)
{
    QByteArray input;
    for (QDomElement child = c.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (child.localName() == Xep0200::Mac)
            continue;
        const QByteArray name = child.localName().toUtf8();
        input += '<' + name + '>' + child.text().toUtf8() + "</" + name + '>';
    }
    return input + counter.mpi();
}

std::variant<QDomElement, CipherError> StanzaCipher::encrypt(QDomDocument &doc, const QByteArray &content)
{
    if (m_terminated)
        return CipherError::Terminated;
    if (content.size() > Xep0200::MaxPlaintext)
        return CipherError::TooLarge; // the caller's input; the session itself is fine
    // An empty stanza still uses one counter value (replay protection).
    const quint64 blocks = qMax<quint64>(1, blocksFor(content.size()));
    if (m_blocksSent + blocks > Xep0200::MaxBlocksPerKey)
        return fail(CipherError::KeyExhausted);

    const BlockCounter before = m_params.send.counter;
    QDomElement c = doc.createElementNS(Xep0200::Namespace, Xep0200::CElement);
    if (!content.isEmpty()) {
        const auto encrypted = Crypto::aesCtr(m_params.cipher, m_params.send.cipherKey, before.block(), content);
        if (!encrypted)
            return fail(CipherError::CryptoFailure);
        appendText(doc, c, Xep0200::Data, QString::fromLatin1(encrypted->toBase64()));
    }
    const QByteArray mac = Crypto::hmacSha256(m_params.send.macKey, macInput(c, before));
    if (mac.size() != 32)
        return fail(CipherError::CryptoFailure);
    appendText(doc, c, Xep0200::Mac, QString::fromLatin1(mac.toBase64()));

    m_params.send.counter.advance(blocks);
    m_blocksSent += blocks;
    return c;
}

std::variant<QByteArray, CipherError> StanzaCipher::decrypt(const QDomElement &c)
{
    if (m_terminated)
        return CipherError::Terminated;
    if (c.namespaceURI() != Xep0200::Namespace || c.localName() != Xep0200::CElement)
        return fail(CipherError::MalformedElement);

    QDomElement dataElement, macElement;
    for (QDomElement child = c.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        const QString name = child.localName();
        if (child.namespaceURI() != Xep0200::Namespace || child.firstChildElement().isElement())
            return fail(CipherError::MalformedElement);
        if (name == Xep0200::Data || name == Xep0200::Mac) {
            QDomElement &slot = name == Xep0200::Data ? dataElement : macElement;
            if (!slot.isNull())
                return fail(CipherError::MalformedElement);
            slot = child;
        } else if (name == Xep0200::Key) {
            // Checked before the MAC on purpose: a session that never negotiated re-keying ends either way.
            return fail(CipherError::RekeyUnsupported);
        } else if (name == Xep0200::New || name == Xep0200::Old) {
            // <new/> only counts our own re-keys, which we never send; <old/> SHOULD be ignored. Both
            // are covered by the MAC like every other child.
        } else {
            return fail(CipherError::MalformedElement);
        }
    }
    if (macElement.isNull())
        return fail(CipherError::MalformedElement);
    const auto mac = decodeBase64(macElement.text());
    if (!mac)
        return fail(CipherError::MalformedElement);
    std::optional<QByteArray> ciphertext = QByteArray();
    if (!dataElement.isNull()) {
        ciphertext = decodeBase64(dataElement.text());
        if (!ciphertext)
            return fail(CipherError::MalformedElement);
    }
    if (ciphertext->size() > Xep0200::MaxPlaintext)
        return fail(CipherError::TooLarge);

    // Verify before decrypting. A full 32-byte tag only: a truncated one never matches.
    const BlockCounter before = m_params.receive.counter;
    if (!Crypto::verifyHmacSha256(m_params.receive.macKey, macInput(c, before), *mac))
        return fail(CipherError::BadMac);

    const quint64 blocks = qMax<quint64>(1, blocksFor(ciphertext->size()));
    if (m_blocksReceived + blocks > Xep0200::MaxBlocksPerKey)
        return fail(CipherError::KeyExhausted);
    QByteArray plaintext;
    if (!ciphertext->isEmpty()) {
        auto decrypted = Crypto::aesCtr(m_params.cipher, m_params.receive.cipherKey, before.block(), *ciphertext);
        if (!decrypted)
            return fail(CipherError::CryptoFailure);
        plaintext = std::move(*decrypted);
    }
    m_params.receive.counter.advance(blocks);
    m_blocksReceived += blocks;
    return plaintext;
}

} // namespace Esession
