#include "RsaKey.h"

#include <QtCrypto>

namespace Crypto {

namespace {

/// QCA's BigInteger speaks two's complement: a leading 0x00 marks a positive value whose top bit is set.
QByteArray unsignedBytes(const QCA::BigInteger &value)
{
    QByteArray bytes = value.toArray().toByteArray();
    qsizetype zeros = 0;
    while (zeros < bytes.size() && bytes.at(zeros) == '\0')
        ++zeros;
    return bytes.mid(zeros);
}

QCA::BigInteger fromUnsignedBytes(const QByteArray &bytes)
{
    QByteArray positive = bytes;
    if (!positive.isEmpty() && (quint8(positive.at(0)) & 0x80))
        positive.prepend('\0');
    return QCA::BigInteger(QCA::SecureArray(positive));
}

std::optional<QCA::PublicKey> rsaPublicKey(const QByteArray &der)
{
    if (der.isEmpty())
        return std::nullopt;
    QCA::ConvertResult result = QCA::ErrorDecode;
    QCA::PublicKey key = QCA::PublicKey::fromDER(der, &result);
    if (result != QCA::ConvertGood || key.isNull() || !key.isRSA() || key.bitSize() < MinimumRsaBits)
        return std::nullopt;
    return key;
}

} // namespace

struct RsaKey::Private
{
    QCA::PrivateKey key;
};

RsaKey::RsaKey(std::shared_ptr<const Private> d)
    : d(std::move(d))
{
}

std::optional<RsaKey> RsaKey::generate(int bits)
{
    if (bits < MinimumRsaBits || !QCA::isSupported("pkey") || !QCA::PKey::supportedIOTypes().contains(QCA::PKey::RSA))
        return std::nullopt;
    QCA::KeyGenerator generator;
    QCA::PrivateKey key = generator.createRSA(bits);
    if (key.isNull() || !key.isRSA() || !key.canSign())
        return std::nullopt;
    return RsaKey(std::make_shared<const Private>(Private { key }));
}

std::optional<RsaKey> RsaKey::fromPrivateKeyDer(const QByteArray &der)
{
    QCA::ConvertResult result = QCA::ErrorDecode;
    QCA::PrivateKey key = QCA::PrivateKey::fromDER(QCA::SecureArray(der), QCA::SecureArray(), &result);
    if (result != QCA::ConvertGood || key.isNull() || !key.isRSA() || !key.canSign() || key.bitSize() < MinimumRsaBits)
        return std::nullopt;
    return RsaKey(std::make_shared<const Private>(Private { key }));
}

QByteArray RsaKey::privateKeyDer() const
{
    return d->key.toDER().toByteArray();
}

QByteArray RsaKey::publicKeyDer() const
{
    return d->key.toPublicKey().toDER();
}

int RsaKey::bits() const
{
    return d->key.bitSize();
}

std::optional<QByteArray> RsaKey::sign(const QByteArray &data) const
{
    // signMessage() is not const in QCA; the key is implicitly shared, so a copy costs nothing.
    QCA::PrivateKey key = d->key;
    const QByteArray signature = key.signMessage(QCA::MemoryRegion(data), QCA::EMSA3_SHA256);
    if (signature.isEmpty())
        return std::nullopt;
    return signature;
}

bool RsaKey::verify(const QByteArray &publicKeyDer, const QByteArray &data, const QByteArray &signature)
{
    std::optional<QCA::PublicKey> key = rsaPublicKey(publicKeyDer);
    if (!key || signature.isEmpty())
        return false;
    return key->verifyMessage(QCA::MemoryRegion(data), signature, QCA::EMSA3_SHA256);
}

std::optional<RsaPublicComponents> RsaKey::publicComponents(const QByteArray &publicKeyDer)
{
    const std::optional<QCA::PublicKey> key = rsaPublicKey(publicKeyDer);
    if (!key)
        return std::nullopt;
    const QCA::RSAPublicKey rsa = key->toRSA();
    RsaPublicComponents components { unsignedBytes(rsa.n()), unsignedBytes(rsa.e()) };
    if (components.modulus.isEmpty() || components.exponent.isEmpty())
        return std::nullopt;
    return components;
}

std::optional<QByteArray> RsaKey::publicKeyDerFromComponents(const RsaPublicComponents &components)
{
    const QByteArray &n = components.modulus;
    const QByteArray &e = components.exponent;
    if (n.isEmpty() || e.isEmpty() || n.at(0) == '\0' || e.at(0) == '\0' || !(quint8(n.back()) & 1)
        || !(quint8(e.back()) & 1))
        return std::nullopt;
    const QCA::RSAPublicKey key(fromUnsignedBytes(n), fromUnsignedBytes(e));
    if (key.isNull())
        return std::nullopt;
    const QByteArray der = key.toDER();
    // The round trip through the provider is the check that it took the key as given.
    if (!rsaPublicKey(der))
        return std::nullopt;
    return der;
}

} // namespace Crypto
