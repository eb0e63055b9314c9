#include "Crypto.h"

#include <QtCrypto>

#include <openssl/crypto.h>

namespace Crypto {

struct Library::Private
{
    QCA::Initializer init;
};

Library::Library()
    : d(new Private)
{
}

Library::~Library()
{
    delete d;
}

QStringList missingFeatures()
{
    static const char *const required[] = {"aes128-ctr", "aes256-ctr", "hmac(sha256)", "sha256", "dh", "aes256-gcm", "rsa"};
    QStringList missing;
    for (const char *feature : required) {
        if (!QCA::isSupported(feature))
            missing << QString::fromLatin1(feature);
    }
    if (!secureRandomAvailable())
        missing << QStringLiteral("random (a cryptographic provider, not QCA's built-in one)");
    return missing;
}

QString randomProvider()
{
    return QCA::globalRandomProvider();
}

bool secureRandomAvailable()
{
    // Asked once (the providers do not change while the process runs; looking them up costs a provider scan). A
    // first question before QCA is initialised answers no for good: fail closed.
    static const bool available = QCA::isSupported("random") && randomProvider() != QStringLiteral("default");
    return available;
}

QByteArray randomBytes(int size)
{
    return QCA::Random::randomArray(size).toByteArray();
}

int keyLength(CtrCipher cipher)
{
    return cipher == CtrCipher::Aes128 ? 16 : 32;
}

std::optional<QByteArray> aesCtr(CtrCipher cipher, const QByteArray &key, const QByteArray &counterBlock,
                                 const QByteArray &data)
{
    if (key.size() != keyLength(cipher) || counterBlock.size() != 16)
        return std::nullopt;
    if (data.isEmpty())
        return QByteArray();
    // A new context per call: a context kept across calls would carry a partial block's unused
    // keystream into the next message.
    QCA::Cipher ctr(cipher == CtrCipher::Aes128 ? QStringLiteral("aes128") : QStringLiteral("aes256"),
                    QCA::Cipher::CTR, QCA::Cipher::NoPadding, QCA::Encode, QCA::SymmetricKey(key),
                    QCA::InitializationVector(counterBlock));
    QCA::SecureArray out = ctr.update(QCA::MemoryRegion(data));
    if (!ctr.ok())
        return std::nullopt;
    out += ctr.final();
    if (!ctr.ok() || out.size() != data.size())
        return std::nullopt;
    return out.toByteArray();
}

QByteArray hmacSha256(const QByteArray &key, const QByteArray &message)
{
    // QCA hands an empty key to OpenSSL as a null pointer, which HMAC_Init_ex refuses on a fresh context:
    // the "tag" then came out as 32 zero bytes whatever the message. RFC 2104 pads the key with zeros to the
    // block size, so one zero byte is the same key and gives the same (correct) tag.
    QCA::MessageAuthenticationCode mac(QStringLiteral("hmac(sha256)"),
                                       QCA::SymmetricKey(key.isEmpty() ? QByteArray(1, '\0') : key));
    mac.update(QCA::MemoryRegion(message));
    return mac.final().toByteArray();
}

bool verifyHmacSha256(const QByteArray &key, const QByteArray &message, const QByteArray &tag)
{
    // The length check first: constantTimeEquals would refuse a short tag too, but a tag of the wrong size
    // is never worth computing a MAC for, and the length is not secret.
    constexpr int tagSize = 32;
    if (tag.size() != tagSize)
        return false;
    const QByteArray computed = hmacSha256(key, message);
    return computed.size() == tagSize && constantTimeEquals(computed, tag);
}

QByteArray sha256(const QByteArray &data)
{
    return QCA::Hash(QStringLiteral("sha256")).hash(QCA::MemoryRegion(data)).toByteArray();
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.constData(), b.constData(), size_t(a.size())) == 0;
}

} // namespace Crypto
