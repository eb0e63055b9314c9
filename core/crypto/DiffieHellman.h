#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <optional>
#include <utility>
#include <variant>

// Diffie-Hellman over the MODP groups XEP-0116/XEP-0217 negotiate in their `modp` field. Every big-number
// operation goes to QCA (DLGroup, DHPrivateKey/DHPublicKey, PKey::deriveKey, BigInteger); nothing here is a
// hand-written modular exponentiation. Integers cross this API as XEP-0116 MPIs: big-endian octets with no
// leading zero octet.
namespace Crypto {

/// The `modp` group numbers of RFC 2409 §6 and RFC 3526. 3 and 4 are missing on purpose: RFC 2409 defines
/// them as elliptic-curve (EC2N) groups, not MODP groups, although XEP-0116 lists them as "valid".
enum class ModpGroup {
    Group1 = 1, ///< RFC 2409 §6.1, 768-bit
    Group2 = 2, ///< RFC 2409 §6.2, 1024-bit
    Group5 = 5, ///< RFC 3526 §2, 1536-bit
    Group14 = 14, ///< RFC 3526 §3, 2048-bit
    Group15, ///< RFC 3526 §4, 3072-bit
    Group16, ///< RFC 3526 §5, 4096-bit
    Group17, ///< RFC 3526 §6, 6144-bit
    Group18, ///< RFC 3526 §7, 8192-bit
};

/// Every group, strongest first (the order an offer lists them in when policy allows them all).
[[nodiscard]] QList<ModpGroup> allModpGroups();

/// The group with RFC/`modp` number @p number; nullopt for 3, 4 and anything else unknown.
[[nodiscard]] std::optional<ModpGroup> modpGroupFromNumber(int number);

/// Parses a `modp` field value: exactly the decimal group number ("14"), no sign, spaces or leading zeros.
[[nodiscard]] std::optional<ModpGroup> modpGroupFromFieldValue(const QString &value);

/// The `modp` field value for @p group: its number in decimal.
[[nodiscard]] QString modpFieldValue(ModpGroup group);

[[nodiscard]] int modpGroupNumber(ModpGroup group);

/// Size of the prime p in bits (768 … 8192).
[[nodiscard]] int modpPrimeBits(ModpGroup group);

/// The generator of every MODP group (it generates the subgroup of prime order q = (p-1)/2).
inline constexpr int modpGenerator = 2;

/// The prime p, big-endian, modpPrimeBits()/8 octets. nullopt only when QCA has no DH support.
[[nodiscard]] std::optional<QByteArray> modpPrime(ModpGroup group);

enum class DhError {
    NoDhSupport, ///< QCA has no provider for "dh" (or cannot supply the group)
    InvalidBlockSize, ///< the cipher block size n leaves no room for 2^(2n-1) < x < p-1
    RandomnessFailed, ///< QCA has no secure random source, or no exponent in range after many draws
    KeyGenerationFailed, ///< QCA could not build the key or compute e = g^x mod p
    InvalidPrivateExponent, ///< an imported x outside 2^(2n-1) < x < p-1, or not an MPI
    EmptyValue, ///< the peer's value has no octets
    NonMinimalEncoding, ///< the peer's value starts with a zero octet (not an XEP-0116 MPI)
    ValueTooLong, ///< more octets than p: cannot be below p
    OutOfRange, ///< not in [2, p-2]: 1, p-1, p, p+1, … (as received, never reduced mod p)
    NotInSubgroup, ///< y^q != 1 (mod p): not in the prime-order subgroup (a quadratic non-residue)
    DeriveFailed, ///< QCA's derive failed on a value that passed every check
};

/// A short English name for logs and error messages (never contains key material).
[[nodiscard]] QString dhErrorText(DhError error);

/// Why the peer's public value @p value (an MPI, as decoded from Base64) is refused for @p group, or nullopt
/// when it is acceptable: 2 <= y <= p-2 and y^q == 1 (mod p), q = (p-1)/2. Values are compared as they are,
/// never reduced mod p. An encoding with a leading zero octet is refused too: the MPI rule forbids it, and
/// the hash commitment (He) and the identity MACs cover the octets, so one integer must have one encoding.
[[nodiscard]] std::optional<DhError> peerValueError(ModpGroup group, const QByteArray &value);

/// A peer's public value that passed every check of peerValueError() for group(). Only checkPeerValue() makes
/// one, so DhKeyPair::deriveSharedSecret() can take it without running the checks a second time: the subgroup
/// check is a full-size exponentiation, as costly as the derive itself. Holds the value's octets only (public).
class CheckedPeerValue
{
public:
    [[nodiscard]] ModpGroup group() const { return m_group; }
    /// The value as received and checked: an MPI, 2 <= y <= p-2, y^q == 1 (mod p).
    [[nodiscard]] const QByteArray &bytes() const { return m_bytes; }

private:
    friend std::variant<CheckedPeerValue, DhError> checkPeerValue(ModpGroup group, const QByteArray &value);
    CheckedPeerValue(ModpGroup group, QByteArray bytes)
        : m_group(group)
        , m_bytes(std::move(bytes))
    {
    }
    ModpGroup m_group;
    QByteArray m_bytes;
};

/// peerValueError()'s checks, keeping their verdict: the accepted value, or why it is refused.
[[nodiscard]] std::variant<CheckedPeerValue, DhError> checkPeerValue(ModpGroup group, const QByteArray &value);

/// One side's Diffie-Hellman key for one group: the private exponent x (inside QCA, never exported, wiped
/// when the object goes) and e = g^x mod p. Move-only; a moved-from object refuses every operation.
/// Like every QCA object, destroy it before the Crypto::Library.
class DhKeyPair
{
public:
    /// A fresh key: x drawn uniformly from 2^(2n-1) < x < p-1 with QCA's random source, n = @p blockBits
    /// (XEP-0116: the cipher's block size; 128 for AES), so x has about as many bits as p, never the short
    /// exponent OpenSSL picks for named groups. e = g^x mod p through QCA.
    [[nodiscard]] static std::variant<DhKeyPair, DhError> generate(ModpGroup group, int blockBits = 128);

    /// A key with a given private exponent @p x (an MPI), for known-answer tests and for keys restored from
    /// encrypted storage (XEP-0187). Refuses an x outside 2^(2n-1) < x < p-1.
    [[nodiscard]] static std::variant<DhKeyPair, DhError> fromPrivateExponent(ModpGroup group, const QByteArray &x,
                                                                              int blockBits = 128);

    DhKeyPair(DhKeyPair &&other) noexcept;
    DhKeyPair &operator=(DhKeyPair &&other) noexcept;
    DhKeyPair(const DhKeyPair &) = delete;
    DhKeyPair &operator=(const DhKeyPair &) = delete;
    ~DhKeyPair();

    [[nodiscard]] ModpGroup group() const;

    /// e = g^x mod p as an MPI (empty for a moved-from object).
    [[nodiscard]] QByteArray publicValue() const;

    /// Bit length of x, for tests and diagnostics; the value of x never leaves this object.
    [[nodiscard]] int privateExponentBits() const;

    /// K = y^x mod p as an MPI (leading zero octets removed), after peerValueError() accepted @p peerValue;
    /// a refused value never reaches the derive.
    [[nodiscard]] std::variant<QByteArray, DhError> deriveSharedSecret(const QByteArray &peerValue) const;

    /// The same K for a value checkPeerValue() accepted for this key's group, without checking it again. A value
    /// checked for another group is checked here as an unchecked one would be.
    [[nodiscard]] std::variant<QByteArray, DhError> deriveSharedSecret(const CheckedPeerValue &peerValue) const;

    /// How many derives with x this object has run (a refused peer value must leave it unchanged).
    [[nodiscard]] int derivationCount() const;

private:
    struct Private;
    DhKeyPair(ModpGroup group, std::unique_ptr<Private> d);
    /// The derive alone, for a value already checked for m_group.
    [[nodiscard]] std::variant<QByteArray, DhError> deriveChecked(const QByteArray &peerValue) const;
    ModpGroup m_group;
    std::unique_ptr<Private> d;
};

} // namespace Crypto
