#pragma once

#include <QByteArray>
#include <QDomElement>
#include <QList>
#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <optional>

#include "DataForm.h"
#include "EsessionPolicy.h"
#include "SsnNegotiation.h"
#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"

// The codecs of the ESession negotiation forms (XEP-0116 §4.3 "ESession Request", §4.4 "ESession Rejection",
// §4.5.2 "Response Form", §11.2 for the registered fields; XEP-0217 §4.1–4.3.2 for its fixed values): the values our
// fields take, how they are built into an offer or an answer, and how a received field is read and checked. Field names
// live in FormConstants.h. Nothing here keeps state, draws random numbers or touches a key: forms and the local policy
// in, values out. The handshake (EsessionHandshake.cpp) owns the order in which these run and everything secret.
namespace Esession {

// Values of the XEP-0116/0217 fields. XEP-0217 fixes all but the cipher; XEP-0116 lets them be negotiated, and this
// engine accepts nothing else.
namespace FieldValue {

inline const QString Aes128Ctr = QStringLiteral("aes128-ctr");
inline const QString Aes256Ctr = QStringLiteral("aes256-ctr");
inline const QString Sha256 = QStringLiteral("sha256");
inline const QString NoCompression = QStringLiteral("none");
/// init_pubkey / resp_pubkey: the party presents no public key (always so in XEP-0217).
inline const QString NoPublicKey = QStringLiteral("none");
/// init_pubkey / resp_pubkey: the party presents its public key (XEP-0116 §4.3).
inline const QString PublicKey = QStringLiteral("key");
/// XEP-0116's name for RSASSA-PKCS1-v1_5 with SHA-256 (not the W3C/RFC 4051 URI, brief part 2 §1.6).
inline const QString RsaSha256 = QStringLiteral("http://www.w3.org/2000/09/xmldsig#rsa-sha256");
/// XEP-0116 describes version 1.0 (its text and registry); the 1.3/1.2 of the examples are never offered.
inline const QString ProtocolVersion = QStringLiteral("1.0");
/// rekey_freq of a session that never re-keys: the XEP-0217 value, the largest below 2^32.
inline constexpr quint32 NoRekey = 4294967295u;

} // namespace FieldValue

// Nonces are opaque; we send 32 bytes and accept what is long enough to be unique and short enough to be sane.
inline constexpr int MinimumNonceBytes = 16;
inline constexpr int MaximumNonceBytes = 64;
/// SHA-256 and HMAC-SHA-256 outputs: He, rshashes, srshash, M, mac, the SAS commitment.
inline constexpr int HashBytes = 32;

// ---- Values

/// Base64 as sent in every binary field.
[[nodiscard]] QString b64(const QByteArray &bytes);
/// Strict Base64 (RFC 4648 §4, padded); whitespace is dropped first (brief part 1 §1.1). Empty is never valid here.
[[nodiscard]] std::optional<QByteArray> fromB64(const QString &text);
/// A `rekey_freq` value (XEP-0116 §4.3): decimal digits only, 1 to 2^32-1.
[[nodiscard]] std::optional<quint32> readRekeyFrequency(const QString &text);
/// The `crypt_algs` name of @p cipher.
[[nodiscard]] QString cipherName(Crypto::CtrCipher cipher);
/// (Inline: GCC's -Wmaybe-uninitialized misreads the optional when this comes back from another unit.)
[[nodiscard]] inline std::optional<Crypto::CtrCipher> cipherFromName(const QString &name)
{
    if (name == FieldValue::Aes128Ctr)
        return Crypto::CtrCipher::Aes128;
    if (name == FieldValue::Aes256Ctr)
        return Crypto::CtrCipher::Aes256;
    return std::nullopt;
}

// ---- Fields

/// A field offering @p options (an XEP-0116 list), no value.
[[nodiscard]] FormField makeOffer(const QString &var, const QStringList &options, FieldType type);
/// What an offer proposes for a field: its options, or the values of a field without options (XEP-0217 sends
/// its fixed parameters as hidden single values). Empty for a null @p field.
[[nodiscard]] QStringList offeredValues(const FormField *field);
/// The only value of @p var; nullopt when the field is absent or has no value or several.
[[nodiscard]] std::optional<QString> singleValue(const DataForm &form, const QString &var);
/// The only value of @p var, decoded from Base64; nullopt as for singleValue(), or when it does not decode.
[[nodiscard]] std::optional<QByteArray> singleBytes(const DataForm &form, const QString &var);
/// Appends @p value unless @p list holds it already.
void addUnique(QStringList &list, const QString &value);

// ---- Messages

/// The only <x/> inside the only wrapper (<feature/> or <init/>) of @p message; null otherwise.
[[nodiscard]] QDomElement wrappedForm(
    const QDomElement &message, const QString &wrapper, const QString &wrapperNamespace);
/// A stanza error for the log: its condition and the fields it names.
[[nodiscard]] QString describeStanzaError(const std::optional<SsnStanzaError> &error);

// ---- What the policy offers and accepts

/// The policy's groups that clear its floor, without repetitions, in the policy's order.
[[nodiscard]] QList<Crypto::ModpGroup> allowedGroups(const EsessionPolicy &policy);
/// The identification methods we can present (init_pubkey for the initiator, resp_pubkey for the responder),
/// preferred first. XEP-0116: 'none' MUST NOT be used in a 3-message negotiation.
[[nodiscard]] QStringList ownKeyModes(const EsessionPolicy &policy, bool threeMessage = false);
/// The identification methods we accept from the peer, preferred first.
[[nodiscard]] QStringList peerKeyModes(const EsessionPolicy &policy, bool threeMessage = false);
/// Whether this side takes part in a 3-message negotiation (EsessionPolicy::allowThreeMessage): keys both ways,
/// since 'none' is not allowed there, and no other shared secret, which that flow cannot check (it has no final
/// key): a password the user set is never silently left out.
[[nodiscard]] bool threeMessagePossible(const EsessionPolicy &policy);
/// The `sas_algs` names of the policy, preferred first (never empty: the committed SAS when the list is).
[[nodiscard]] QStringList sasNames(const EsessionPolicy &policy);
/// Whether the policy goes beyond 'none'/'none' (only then do the forms differ from XEP-0217's).
[[nodiscard]] bool usesPublicKeys(const EsessionPolicy &policy);
/// Our preferred mode that the peer listed too.
[[nodiscard]] std::optional<QString> pickKeyMode(const QStringList &ours, const QStringList &offered);

} // namespace Esession
