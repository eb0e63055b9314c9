#pragma once

#include <QByteArray>
#include <QStringList>

#include <optional>

// The only place that talks to QCA. Everything above uses these wrappers; no primitive is written here,
// each call goes to QCA's provider (qca-ossl).
namespace Crypto {

/// Holds QCA's global state; create one before any other call, in main() or a test's main().
class Library
{
public:
    Library();
    ~Library();
    Library(const Library &) = delete;
    Library &operator=(const Library &) = delete;

private:
    struct Private;
    Private *d;
};

/// Algorithms Sotto needs from QCA's providers that are not available here (empty when all are).
QStringList missingFeatures();

/// Cryptographically strong random bytes from QCA's provider.
QByteArray randomBytes(int size);
/// The QCA provider that randomBytes() draws from ("qca-ossl" here). QCA falls back to its built-in "default"
/// provider when no plugin offers randomness, and that one is not a cryptographic generator.
QString randomProvider();
/// Whether randomBytes() comes from a cryptographic generator (a plugin, not QCA's built-in fallback).
bool secureRandomAvailable();

enum class CtrCipher { Aes128, Aes256 };

/// Key length in bytes for @p cipher (16 or 32).
int keyLength(CtrCipher cipher);

/// AES in CTR mode: the 16-byte @p counterBlock is the first counter, incremented big-endian by one per
/// block (mod 2^128), the keystream of a partial last block is discarded. Encryption and decryption are
/// the same operation. Each call uses a fresh cipher context. nullopt on a wrong key or block size.
[[nodiscard]] std::optional<QByteArray> aesCtr(CtrCipher cipher, const QByteArray &key, const QByteArray &counterBlock,
                                               const QByteArray &data);

/// HMAC-SHA-256 (RFC 2104), the full 32-byte tag.
[[nodiscard]] QByteArray hmacSha256(const QByteArray &key, const QByteArray &message);

/// Verifies an HMAC-SHA-256 tag as XEP-0200 uses it: only the full 32-byte tag equal to the one computed over
/// @p message is accepted (a truncated tag is refused, whatever its prefix), compared in constant time.
[[nodiscard]] bool verifyHmacSha256(const QByteArray &key, const QByteArray &message, const QByteArray &tag);

/// SHA-256.
[[nodiscard]] QByteArray sha256(const QByteArray &data);

/// Compares two byte strings in time that depends only on their lengths (for MACs).
[[nodiscard]] bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace Crypto
