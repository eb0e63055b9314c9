#pragma once

#include <QByteArray>
#include <QString>

#include <functional>
#include <optional>

#include "BlockCounter.h"
#include "EsessionKeys.h"
#include "crypto/Crypto.h"
#include "crypto/RsaKey.h"

// The identities of an ESession negotiation (XEP-0116 §4.5.4 "Hiding Bob", §4.6.2 "Verifying Bob", §4.6.3 "Hiding
// Alice", §4.7.1 "Verifying Alice", §4.7.3 "Generating Bob", §4.8.2; keys and signatures as in its §8.2–8.3;
// XEP-0217 §4.4.3–4.6.2 for the 'none' case): what a party's encrypted identity holds, how it is sealed for the
// `identity` and `mac` fields, and how the peer's is opened and checked. mac_A / mac_B themselves and the cipher under
// them are in EsessionKeys.h; here they are put together with the public keys and signatures of XEP-0116. Pure
// functions: keys, transcript and policy callbacks come in explicitly; the handshake decides when each runs.
namespace Esession {

/// Whether a peer's public key (DER, its signature already verified) is acceptable for its bare JID
/// (EsessionPolicy::trustPeerKey).
using PeerKeyTrust = std::function<bool(const QString &bareJid, const QByteArray &publicKeyDer)>;

/// pubKey of XEP-0116: the normalised XML-DSig <KeyValue><RSAKeyValue/></KeyValue> of an RSA key, n and e as
/// CryptoBinary (big-endian without leading zero octets, Base64). Built as a DOM and normalised like the forms, so
/// both sides go through the same bytes. Empty when @p publicKeyDer is not an RSA public key.
[[nodiscard]] QByteArray keyValueOf(const QByteArray &publicKeyDer);

/// What a decrypted 'key' identity holds: pubKey (normalised again here, P-0116-15), the key it names and sign.
struct PresentedKey
{
    QByteArray keyValue;
    QByteArray publicKeyDer;
    QByteArray signature;
};

/// Reads pubKey | sign: exactly a <KeyValue/> holding an <RSAKeyValue/>, then a <SignatureValue/>. Anything else
/// (DSA, a <fingerprint/>, other elements, bad Base64) is nullopt.
[[nodiscard]] std::optional<PresentedKey> readPresentedKey(const QByteArray &plaintext);

/// ID plaintext of @p party: mac_X alone ('none', @p key unset), or pubKey_X | <SignatureValue>b64(SIGN(signKey_X,
/// mac_X))</SignatureValue> ('key'; the signature of the raw mac octets, no <SignedInfo/>). @p input.publicKey is
/// filled here from @p key. nullopt when signing fails.
[[nodiscard]] std::optional<QByteArray> identityPlaintext(
    Party party, const QByteArray &sigmaKey, IdentityMacInput input, const std::optional<Crypto::RsaKey> &key);

/// The check of a decrypted identity. 'none' (@p withKey false): it equals mac_X. 'key': it is pubKey_X | sign_X,
/// sign_X verifies over mac_X recomputed with that pubKey, and @p trustPeerKey accepts the key for @p bareJid.
/// Returns the failure's detail (a FailureCode), or nullopt with @p peerKey set to the key's DER ('key') or left
/// as it was ('none').
[[nodiscard]] std::optional<QString> checkIdentity(Party party, const QByteArray &sigmaKey, IdentityMacInput input,
    const QByteArray &received, bool withKey, const PeerKeyTrust &trustPeerKey, const QString &bareJid,
    QByteArray &peerKey);

/// Our identity as @p party, sealed for the `identity` and `mac` fields: identityPlaintext() under KS of @p keys,
/// then ID = CIPHER(KC, C, plaintext) and M = HMAC(KM, C | ID); @p counter moves on past it. The plaintext is wiped.
/// nullopt (counter unchanged) when signing or sealing fails.
[[nodiscard]] std::optional<SealedIdentity> sealOwnIdentity(Party party, Crypto::CtrCipher cipher, const KeySet &keys,
    BlockCounter &counter, const IdentityMacInput &input, const std::optional<Crypto::RsaKey> &key);

/// Opens the @p peer's sealed identity (M_X checked before anything is decrypted) and checks it against mac_X over
/// @p input (checkIdentity()). Nullopt when it verified (@p counter then advanced past it, @p peerKey set for
/// 'key'); else the failure's detail: FailureCode::IdentityMac for a wrong M_X, or what checkIdentity() found.
/// @p counter moves on as soon as M_X matched, even when the check after it fails: pass a copy and keep it only
/// on success.
[[nodiscard]] std::optional<QString> openPeerIdentity(Party peer, Crypto::CtrCipher cipher, const KeySet &keys,
    BlockCounter &counter, const SealedIdentity &sealed, const IdentityMacInput &input, bool withKey,
    const PeerKeyTrust &trustPeerKey, const QString &bareJid, QByteArray &peerKey);

} // namespace Esession
