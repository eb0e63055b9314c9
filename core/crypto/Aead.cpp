#include "Aead.h"

#include <QtCrypto>

#include "Crypto.h"

namespace Crypto {

namespace {

constexpr char RecordFormat = 1;

QByteArray recordKey(const QByteArray &masterKey, const QByteArray &associatedData)
{
    // The label keeps these keys apart from any other use of the master key; the zero octet ends it.
    return hmacSha256(masterKey, QByteArray("Sotto record key v1") + '\0' + associatedData);
}

} // namespace

std::optional<QByteArray> aes256GcmSeal(const QByteArray &key, const QByteArray &nonce, const QByteArray &plaintext)
{
    if (key.size() != Aes256GcmKeyLength || nonce.size() != Aes256GcmNonceLength)
        return std::nullopt;
    QCA::Cipher cipher(QStringLiteral("aes256"), QCA::Cipher::GCM, QCA::Cipher::NoPadding, QCA::Encode,
                       QCA::SymmetricKey(key), QCA::InitializationVector(nonce),
                       QCA::AuthTag(Aes256GcmTagLength));
    QByteArray out = cipher.update(QCA::SecureArray(plaintext)).toByteArray();
    out += cipher.final().toByteArray();
    const QByteArray tag = cipher.tag().toByteArray();
    if (!cipher.ok() || out.size() != plaintext.size() || tag.size() != Aes256GcmTagLength)
        return std::nullopt;
    return out + tag;
}

std::optional<QByteArray> aes256GcmOpen(const QByteArray &key, const QByteArray &nonce, const QByteArray &sealed)
{
    if (key.size() != Aes256GcmKeyLength || nonce.size() != Aes256GcmNonceLength
        || sealed.size() < Aes256GcmTagLength)
        return std::nullopt;
    const QByteArray ciphertext = sealed.left(sealed.size() - Aes256GcmTagLength);
    const QByteArray tag = sealed.right(Aes256GcmTagLength);
    QCA::Cipher cipher(QStringLiteral("aes256"), QCA::Cipher::GCM, QCA::Cipher::NoPadding, QCA::Decode,
                       QCA::SymmetricKey(key), QCA::InitializationVector(nonce), QCA::AuthTag(tag));
    QCA::SecureArray plain = cipher.update(QCA::SecureArray(ciphertext));
    plain += cipher.final();
    // The provider hands out plaintext before it has checked the tag: it is dropped unless the tag held.
    if (!cipher.ok() || plain.size() != ciphertext.size()) {
        plain.fill('\0');
        return std::nullopt;
    }
    return plain.toByteArray();
}

std::optional<QByteArray> sealRecord(const QByteArray &masterKey, const QByteArray &associatedData,
                                     const QByteArray &plaintext)
{
    if (masterKey.size() != Aes256GcmKeyLength)
        return std::nullopt;
    QByteArray key = recordKey(masterKey, associatedData);
    const QByteArray nonce = randomBytes(Aes256GcmNonceLength);
    auto sealed = aes256GcmSeal(key, nonce, plaintext);
    key.fill('\0');
    if (!sealed || nonce.size() != Aes256GcmNonceLength)
        return std::nullopt;
    return QByteArray(1, RecordFormat) + nonce + *sealed;
}

std::optional<QByteArray> openRecord(const QByteArray &masterKey, const QByteArray &associatedData,
                                     const QByteArray &record)
{
    if (masterKey.size() != Aes256GcmKeyLength || record.size() < 1 + Aes256GcmNonceLength + Aes256GcmTagLength
        || record.at(0) != RecordFormat)
        return std::nullopt;
    QByteArray key = recordKey(masterKey, associatedData);
    auto plain = aes256GcmOpen(key, record.mid(1, Aes256GcmNonceLength), record.mid(1 + Aes256GcmNonceLength));
    key.fill('\0');
    return plain;
}

} // namespace Crypto
