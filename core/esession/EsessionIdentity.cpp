#include "EsessionIdentity.h"

#include <QDomDocument>
#include <QDomElement>

#include "EsessionForms.h"
#include "FailureCodes.h"
#include "FormNormalizer.h"

using namespace Qt::StringLiterals;

namespace Esession {

namespace {

// The XML-DSig names of a presented public key (XEP-0116 pubKey and sign, §8.2–8.3).
const QString XmlDsigNamespace = u"http://www.w3.org/2000/09/xmldsig#"_s;
const QString KeyValueElement = u"KeyValue"_s;
const QString RsaKeyValueElement = u"RSAKeyValue"_s;
const QString ModulusElement = u"Modulus"_s;
const QString ExponentElement = u"Exponent"_s;
const QString SignatureValueElement = u"SignatureValue"_s;

void wipeBytes(QByteArray &bytes)
{
    bytes.fill('\0');
    bytes.clear();
}

/// The only child element of @p parent, when it is named @p name (in XML-DSig or no namespace); null otherwise.
QDomElement onlyChild(const QDomElement &parent, const QString &name)
{
    QDomElement found;
    int count = 0;
    for (QDomElement child = parent.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        ++count;
        const QString ns = namespaceOf(child);
        if (localNameOf(child) == name && (ns.isEmpty() || ns == XmlDsigNamespace))
            found = child;
    }
    return count == 1 ? found : QDomElement();
}

} // namespace

QByteArray keyValueOf(const QByteArray &publicKeyDer)
{
    const std::optional<Crypto::RsaPublicComponents> components = Crypto::RsaKey::publicComponents(publicKeyDer);
    if (!components)
        return {};
    QDomDocument doc;
    QDomElement keyValue = doc.createElementNS(XmlDsigNamespace, KeyValueElement);
    QDomElement rsa = doc.createElementNS(XmlDsigNamespace, RsaKeyValueElement);
    const std::pair<const QString *, const QByteArray *> parts[] = {
        { &ModulusElement, &components->modulus },
        { &ExponentElement, &components->exponent },
    };
    for (const auto &[name, value] : parts) {
        QDomElement element = doc.createElementNS(XmlDsigNamespace, *name);
        element.appendChild(doc.createTextNode(b64(*value)));
        rsa.appendChild(element);
    }
    keyValue.appendChild(rsa);
    doc.appendChild(keyValue);
    return normalizedElement(keyValue);
}

std::optional<PresentedKey> readPresentedKey(const QByteArray &plaintext)
{
    QDomDocument doc;
    if (plaintext.isEmpty() || !doc.setContent("<identity>" + plaintext + "</identity>", true))
        return std::nullopt;
    const QDomElement root = doc.documentElement();
    const QDomElement keyValue = root.firstChildElement();
    const QDomElement signature = keyValue.nextSiblingElement();
    if (keyValue.isNull() || signature.isNull() || !signature.nextSiblingElement().isNull()
        || localNameOf(keyValue) != KeyValueElement || localNameOf(signature) != SignatureValueElement)
        return std::nullopt;
    for (const QDomElement &element : { keyValue, signature }) {
        if (!namespaceOf(element).isEmpty() && namespaceOf(element) != XmlDsigNamespace)
            return std::nullopt;
    }
    const QDomElement rsa = onlyChild(keyValue, RsaKeyValueElement);
    const QDomElement modulus = rsa.firstChildElement();
    const QDomElement exponent = modulus.nextSiblingElement();
    if (rsa.isNull() || modulus.isNull() || exponent.isNull() || !exponent.nextSiblingElement().isNull()
        || localNameOf(modulus) != ModulusElement || localNameOf(exponent) != ExponentElement)
        return std::nullopt;
    const std::optional<QByteArray> n = fromB64(modulus.text());
    const std::optional<QByteArray> e = fromB64(exponent.text());
    const std::optional<QByteArray> sign = fromB64(signature.text());
    if (!n || !e || !sign)
        return std::nullopt;
    const std::optional<QByteArray> der = Crypto::RsaKey::publicKeyDerFromComponents({ *n, *e });
    if (!der)
        return std::nullopt;
    return PresentedKey { normalizedElement(keyValue), *der, *sign };
}

std::optional<QByteArray> identityPlaintext(
    Party party, const QByteArray &sigmaKey, IdentityMacInput input, const std::optional<Crypto::RsaKey> &key)
{
    if (!key)
        return identityMac(party, sigmaKey, input);
    input.publicKey = keyValueOf(key->publicKeyDer());
    if (input.publicKey.isEmpty())
        return std::nullopt;
    QByteArray mac = identityMac(party, sigmaKey, input);
    const std::optional<QByteArray> signature = key->sign(mac);
    wipeBytes(mac);
    if (!signature)
        return std::nullopt;
    return input.publicKey + "<" + SignatureValueElement.toLatin1() + ">" + signature->toBase64() + "</"
        + SignatureValueElement.toLatin1() + ">";
}

std::optional<QString> checkIdentity(Party party, const QByteArray &sigmaKey, IdentityMacInput input,
    const QByteArray &received, bool withKey, const PeerKeyTrust &trustPeerKey, const QString &bareJid,
    QByteArray &peerKey)
{
    if (!withKey) {
        QByteArray expected = identityMac(party, sigmaKey, input);
        const bool matches = Crypto::constantTimeEquals(received, expected);
        wipeBytes(expected);
        return matches ? std::nullopt : std::optional<QString>(FailureCode::Identity);
    }
    const std::optional<PresentedKey> presented = readPresentedKey(received);
    if (!presented)
        return FailureCode::IdentityKey;
    input.publicKey = presented->keyValue;
    QByteArray expected = identityMac(party, sigmaKey, input);
    const bool verified = Crypto::RsaKey::verify(presented->publicKeyDer, expected, presented->signature);
    wipeBytes(expected);
    if (!verified)
        return FailureCode::Signature;
    // Only a key that proved itself is shown to the trust decision.
    if (!trustPeerKey || !trustPeerKey(bareJid, presented->publicKeyDer))
        return FailureCode::UntrustedKey;
    peerKey = presented->publicKeyDer;
    return std::nullopt;
}

std::optional<SealedIdentity> sealOwnIdentity(Party party, Crypto::CtrCipher cipher, const KeySet &keys,
    BlockCounter &counter, const IdentityMacInput &input, const std::optional<Crypto::RsaKey> &key)
{
    std::optional<QByteArray> plaintext = identityPlaintext(party, keys.sigmaKey, input, key);
    const std::optional<SealedIdentity> sealed
        = plaintext ? sealIdentity(cipher, keys.cipherKey, keys.macKey, counter, *plaintext) : std::nullopt;
    if (plaintext)
        wipeBytes(*plaintext);
    return sealed;
}

std::optional<QString> openPeerIdentity(Party peer, Crypto::CtrCipher cipher, const KeySet &keys, BlockCounter &counter,
    const SealedIdentity &sealed, const IdentityMacInput &input, bool withKey, const PeerKeyTrust &trustPeerKey,
    const QString &bareJid, QByteArray &peerKey)
{
    std::optional<QByteArray> received = openIdentity(cipher, keys.cipherKey, keys.macKey, counter, sealed);
    if (!received)
        return FailureCode::IdentityMac;
    const std::optional<QString> problem
        = checkIdentity(peer, keys.sigmaKey, input, *received, withKey, trustPeerKey, bareJid, peerKey);
    wipeBytes(*received);
    return problem;
}

} // namespace Esession
