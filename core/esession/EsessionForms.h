#pragma once

#include <QByteArray>
#include <QDomElement>
#include <QList>
#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <optional>
#include <variant>

#include "DataForm.h"
#include "EsessionKeys.h"
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

// ---- The responder's choice (XEP-0116 §4.4 "ESession Rejection (Bob)", §4.5.2 "Response Form")

/// Why we refuse an offer: the condition and the fields of our error stanza, and the FailureCode that ends the
/// negotiation (EsessionFailed::detail; the failure itself is EsessionFailure::RefusedByUs).
struct ParameterRefusal
{
    SsnCondition condition = SsnCondition::NotAcceptable;
    QStringList fields;
    QString code;

    friend bool operator==(const ParameterRefusal &, const ParameterRefusal &) = default;
};

/// What the responder settles on from an offer (message 1): every answer of message 2 that needs no random number,
/// no Diffie-Hellman computation and no stored secret.
struct ChosenParameters
{
    /// The offer asks for the XEP-0116 3-message flow (dhkeys instead of dhhashes, no sas_algs).
    bool threeMessage = false;
    /// `modp`: the initiator's most preferred group that our policy allows.
    Crypto::ModpGroup group = Crypto::ModpGroup::Group14;
    /// Where `group` stands among the offered options, hence which He (or e) of the offer is its.
    qsizetype groupIndex = 0;
    /// 4-message flow: He = SHA256(e) of that group, 32 bytes (checked against e when message 3 arrives).
    QByteArray commitment;
    /// 3-message flow: e of that group as sent; empty when it does not decode. Its range is not checked here.
    QByteArray initiatorValue;
    /// `crypt_algs`: the initiator's most preferred cipher that we allow.
    Crypto::CtrCipher cipher = Crypto::CtrCipher::Aes128;
    /// `stanzas`: what both want encrypted, in the initiator's order.
    QStringList stanzas;
    /// `rekey_freq`: ours or the offer's, whichever is larger.
    quint32 rekeyFrequency = FieldValue::NoRekey;
    /// `init_pubkey`: what the initiator presents ('key' or 'none'); `resp_pubkey`: what we present.
    QString initiatorKeyMode;
    QString responderKeyMode;
    /// The `sign_algs` answer: rsa-sha256 when either side presents a key, else the first offered value (answered
    /// though meaningless); nullopt when none was offered.
    std::optional<QString> signAlgorithm;
    /// `sas_algs`: the first of ours that was offered; nullopt in the 3-message flow, which has no SAS.
    std::optional<SasAlgorithm> sasAlgorithm;
    /// N_A, decoded from `my_nonce`.
    QByteArray initiatorNonce;

    bool initiatorKey() const { return initiatorKeyMode == FieldValue::PublicKey; }
    bool responderKey() const { return responderKeyMode == FieldValue::PublicKey; }

    friend bool operator==(const ChosenParameters &, const ChosenParameters &) = default;
};

/// The refusal of a 3-message request (a `dhkeys` field in message 1) when our policy does not take that flow
/// (threeMessagePossible()): feature-not-implemented naming dhkeys, as XEP-0116 §4.4 has a responder that only
/// does 4 messages answer. Nullopt for any other request. chooseParameters() starts with this check; the handshake
/// makes it before looking at its own state too.
[[nodiscard]] std::optional<ParameterRefusal> threeMessageRefusal(
    const DataForm &request, const EsessionPolicy &policy);

/// The responder's choice from message 1 (@p request) and our @p policy alone: the parameters of message 2, or the
/// refusal. After threeMessageRefusal(), every field is checked and each one we cannot accept is named, in this
/// order: modp, dhhashes/dhkeys, crypt_algs, hash_algs, compress, init_pubkey, resp_pubkey, sign_algs, sas_algs,
/// stanzas, ver, rekey_freq, my_nonce; not-acceptable with FailureCode::OfferNotAcceptable, or
/// FailureCode::Sas28x5NotAllowed when sas_algs alone failed and the offer held sas28x5 (which compatibility with
/// other clients would allow). An absent crypt_algs, hash_algs, compress, init_pubkey, resp_pubkey or sas_algs
/// means the XEP-0217 fixed value.
[[nodiscard]] std::variant<ChosenParameters, ParameterRefusal> chooseParameters(
    const DataForm &request, const EsessionPolicy &policy);

} // namespace Esession
