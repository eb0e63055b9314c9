#pragma once

#include <QByteArray>

#include <memory>
#include <optional>

// An RSA signing key for XEP-0116 public-key identities, through QCA like every other primitive here. Signatures
// are RSASSA-PKCS1-v1_5 with SHA-256 (QCA's EMSA3_SHA256): the `http://www.w3.org/2000/09/xmldsig#rsa-sha256` of
// XEP-0116's sign_algs. Public keys travel between callers as DER (SubjectPublicKeyInfo); the modulus and exponent
// helpers exist for the XML-DSig <RSAKeyValue/> that goes on the wire.
namespace Crypto {

/// The shortest modulus generated or accepted (NIST SP 800-57: 2048 bits until 2030).
inline constexpr int MinimumRsaBits = 2048;

/// n and e of an RSA public key, as XML-DSig CryptoBinary wants them: big-endian, no leading zero octet.
struct RsaPublicComponents
{
    QByteArray modulus;
    QByteArray exponent;
};

/// Our private key. Copies share the same key (it is immutable); the QCA object never leaves RsaKey.cpp.
class RsaKey
{
public:
    /// A fresh key of @p bits (at least MinimumRsaBits), exponent 65537; nullopt when the provider fails.
    [[nodiscard]] static std::optional<RsaKey> generate(int bits = MinimumRsaBits);
    /// A key exported with privateKeyDer() (PKCS#8, unencrypted: the caller seals it at rest).
    [[nodiscard]] static std::optional<RsaKey> fromPrivateKeyDer(const QByteArray &der);

    [[nodiscard]] QByteArray privateKeyDer() const;
    [[nodiscard]] QByteArray publicKeyDer() const;
    int bits() const;

    /// RSASSA-PKCS1-v1_5 over SHA-256(@p data); nullopt when the provider fails.
    [[nodiscard]] std::optional<QByteArray> sign(const QByteArray &data) const;

    /// Whether @p signature is a valid RSASSA-PKCS1-v1_5/SHA-256 signature of @p data under @p publicKeyDer. A key
    /// that does not parse, is not RSA or is shorter than MinimumRsaBits never verifies anything.
    [[nodiscard]] static bool verify(
        const QByteArray &publicKeyDer, const QByteArray &data, const QByteArray &signature);

    /// n and e of an RSA public key in DER; nullopt for anything else.
    [[nodiscard]] static std::optional<RsaPublicComponents> publicComponents(const QByteArray &publicKeyDer);
    /// The DER of the RSA public key (n, e); nullopt for a zero or even modulus, or one the provider refuses.
    [[nodiscard]] static std::optional<QByteArray> publicKeyDerFromComponents(const RsaPublicComponents &components);

private:
    struct Private;
    explicit RsaKey(std::shared_ptr<const Private> d);
    std::shared_ptr<const Private> d;
};

} // namespace Crypto
