#pragma once

#include <QByteArray>
#include <QString>
#include <QtGlobal>

#include <optional>

#include "BlockCounter.h"
#include "crypto/Crypto.h"

// The key schedule of an ESession negotiation (XEP-0217, and the XEP-0116 formulas it shares), as pure
// functions: bytes in, bytes out, no state, no I/O. HASH is SHA-256 throughout: the only hash 0217 allows
// (a 0116 session on whirlpool would need its own variants). Integers are passed as XEP-0116 MPIs
// (big-endian, no leading zero octet), as Crypto::DhKeyPair and BlockCounter::mpi() produce them; hashes,
// HMACs and nonces are opaque byte strings used at their full length. Forms are the bytes FormNormalizer
// produced. Known answers: tests/data/esession-vectors.json (scripts/gen-esession-vectors.py).
namespace Esession {

/// Length of every HMAC key (KM_*, KS_*). XEP-0116 takes "the maximum length (up to the hash output
/// length)" for variable-length keys, so the whole 32-byte HMAC-SHA-256 output. XEP-0217 alone says "only
/// the 128 least significant bits ... for each key"; set this to 16 to follow that literal reading (only
/// then does a 0217 peer that read it so interoperate, and a 0116 peer no longer does).
inline constexpr int MacKeyLength = 32;

/// Which side of the negotiation a key or MAC belongs to: the initiator (Alice, "A") or the responder (Bob, "B").
enum class Party { Initiator, Responder };

/// One party's keys (XEP-0116 "Generating Session Keys"): KC, KM and KS. Zeroed when destroyed; move-only so
/// that key bytes are not shared with copies by accident.
struct KeySet
{
    QByteArray cipherKey; ///< KC: 16 bytes for aes128-ctr, 32 for aes256-ctr (least significant end of the HMAC)
    QByteArray macKey; ///< KM: MacKeyLength bytes
    QByteArray sigmaKey; ///< KS: MacKeyLength bytes, only used for mac_A / mac_B during the negotiation

    KeySet() = default;
    KeySet(KeySet &&) noexcept = default;
    KeySet &operator=(KeySet &&) noexcept = default;
    KeySet(const KeySet &) = delete;
    KeySet &operator=(const KeySet &) = delete;
    ~KeySet();

    /// Zeroes and empties the three keys.
    void wipe();
};

/// He = SHA256(e): the hash commitment of XEP-0217 message 1, over the MPI @p publicValue. SHA-256 whatever
/// hash is negotiated (XEP-0116).
[[nodiscard]] QByteArray dhCommitment(const QByteArray &publicValue);

/// K0 = SHA256(g^xy mod p), from the shared secret as an MPI (Crypto::DhKeyPair::deriveSharedSecret()).
/// The provisory keys of a 4-message negotiation come from this value.
[[nodiscard]] QByteArray initialKey(const QByteArray &sharedSecret);

/// K = SHA256(K0 | SRS | OSS): the final key. SRS and OSS are appended only when non-empty; with neither,
/// K = SHA256(K0), which is not K0.
[[nodiscard]] QByteArray finalKey(const QByteArray &initialKey, const QByteArray &sharedRetainedSecret = {},
    const QByteArray &otherSharedSecret = {});

/// KC, KM and KS of @p party from @p key (K0 for the provisory keys, the final K otherwise), with the labels
/// "Initiator/Responder Cipher/MAC/SIGMA Key". Empty keys when @p key is empty.
[[nodiscard]] KeySet deriveKeySet(Party party, Crypto::CtrCipher cipher, const QByteArray &key);

/// What mac_A or mac_B covers. The nonces go in by role; identityMac() puts them in the order the formula
/// for that party needs.
struct IdentityMacInput
{
    QByteArray initiatorNonce; ///< N_A, as decoded from Base64
    QByteArray responderNonce; ///< N_B
    QByteArray publicValue; ///< MPI(e) for mac_A, MPI(d) for mac_B
    QByteArray publicKey; ///< XEP-0116 pubKey: the normalised <KeyValue/>; empty for 'none' (always in 0217)
    QByteArray form; ///< form_A (request) for mac_A, form_B (response) for mac_B
    QByteArray form2; ///< form_A2 / form_B2 (completion form without identity and mac); empty for a
                      ///< 3-message mac_B, which has none
};

/// mac_A = HMAC(KS_A, N_B | N_A | e | pubKey_A | form_A | form_A2) for the initiator,
/// mac_B = HMAC(KS_B, N_A | N_B | d | pubKey_B | form_B | form_B2) for the responder (the nonce order differs).
[[nodiscard]] QByteArray identityMac(Party party, const QByteArray &sigmaKey, const IdentityMacInput &input);

/// The encrypted identity and its MAC, as sent in the `identity` and `mac` fields.
struct SealedIdentity
{
    QByteArray identity; ///< ID = CIPHER(KC, C, plaintext)
    QByteArray mac; ///< M = HMAC(KM, C | ID), C as it was before the encryption
};

/// M = HMAC(KM, MPI(C) | ID). The counter comes first here (XEP-0200 stanza MACs put it last).
[[nodiscard]] QByteArray identityTag(const QByteArray &macKey, const BlockCounter &counter, const QByteArray &identity);

/// Encrypts @p plaintext (mac_X, or pubKey_X | sign_X in XEP-0116) with AES-CTR from @p counter and MACs the
/// result; @p counter then moves on by one per block or partial block (2 for a 32-byte mac). nullopt, with
/// @p counter unchanged, on a key of the wrong length.
[[nodiscard]] std::optional<SealedIdentity> sealIdentity(Crypto::CtrCipher cipher, const QByteArray &cipherKey,
    const QByteArray &macKey, BlockCounter &counter, const QByteArray &plaintext);

/// The inverse of sealIdentity(): checks M first (constant time, full 32-byte tag only) and decrypts only when
/// it matches. On success returns the plaintext and advances @p counter as sealIdentity() did; on any failure
/// returns nullopt and leaves @p counter unchanged.
[[nodiscard]] std::optional<QByteArray> openIdentity(Crypto::CtrCipher cipher, const QByteArray &cipherKey,
    const QByteArray &macKey, BlockCounter &counter, const SealedIdentity &sealed);

/// The whole check of an identity without public keys ('none'): M matches, and the decrypted identity equals
/// @p expectedMac (mac_A or mac_B as recomputed by the receiver), compared in constant time. @p counter is
/// advanced only when both hold.
[[nodiscard]] bool verifyIdentity(Crypto::CtrCipher cipher, const QByteArray &cipherKey, const QByteArray &macKey,
    BlockCounter &counter, const SealedIdentity &sealed, const QByteArray &expectedMac);

/// One `rshashes` value: HMAC(key = N_A, RS).
[[nodiscard]] QByteArray retainedSecretHash(const QByteArray &initiatorNonce, const QByteArray &retainedSecret);

/// Whether @p candidate (one received `rshashes` value) is the hash of @p retainedSecret under N_A.
[[nodiscard]] bool matchesRetainedSecretHash(
    const QByteArray &initiatorNonce, const QByteArray &retainedSecret, const QByteArray &candidate);

/// The `srshash` value: HMAC(key = SRS, "Shared Retained Secret").
[[nodiscard]] QByteArray sharedRetainedSecretHash(const QByteArray &sharedRetainedSecret);

/// Whether the received @p srshash proves @p retainedSecret (Alice's search for the SRS).
[[nodiscard]] bool matchesSharedRetainedSecretHash(const QByteArray &retainedSecret, const QByteArray &srshash);

/// RS_new = HMAC(K, "New Retained Secret"), from the final K.
[[nodiscard]] QByteArray newRetainedSecret(const QByteArray &finalKey);

/// The 28 digits of sas28x5, values 0 to 27 in order.
inline constexpr char SasAlphabet[] = "acdefghikmopqruvwxy123456789";
inline constexpr int SasLength = 5;

/// The sas28x5 string of @p value (its 24 least significant bits): 5 base-28 digits, most significant first,
/// left-padded with 'a' (digit 0). Digit order and padding are our reading; the XEPs only say "5-character".
[[nodiscard]] QString sasFromValue(quint32 value);

/// The 24-bit value behind sas28x5: the least significant 24 bits of SHA256(M_A | form_B | "Short
/// Authentication String"). @p initiatorTag is M_A at its full length (an HMAC result keeps leading zero octets);
/// @p responseForm is form_B, the normalised content of Bob's response (message 2).
[[nodiscard]] quint32 sas28x5Value(const QByteArray &initiatorTag, const QByteArray &responseForm);

/// sas28x5 (XEP-0116/0217): sasFromValue(sas28x5Value()). M_A covers message 3, which its sender chooses after
/// every commitment is open, so a man in the middle can grind it (docs/PROTOCOL-NOTES.md, "committed SAS").
[[nodiscard]] QString sas28x5(const QByteArray &initiatorTag, const QByteArray &responseForm);

/// The SAS algorithms of `sas_algs` this engine knows.
enum class SasAlgorithm {
    /// Sotto's own: computed only from values both sides fixed before any commitment opened (committedSasValue()).
    Committed,
    /// XEP-0116/0217 sas28x5: over M_A, which the sender of message 3 can grind. For other ESession clients only.
    Sas28x5,
};

/// The `sas_algs` name of @p algorithm. The committed one lives in a namespace of ours (XEP-0116 lets the
/// algorithms be negotiated and registers only sas28x5).
[[nodiscard]] QString sasAlgorithmName(SasAlgorithm algorithm);
[[nodiscard]] std::optional<SasAlgorithm> sasAlgorithmFromName(const QString &name);

/// Everything a SAS may be computed from once a 4-message negotiation is complete. Which of these an algorithm
/// reads is decided in sasValue() alone, so that a test can vary one input and see which codes move.
struct SasTranscript
{
    QByteArray initialKey; ///< K0 = SHA256(g^xy mod p): fixed once e (committed in message 1) and d (message 2) are
    QByteArray initiatorNonce; ///< N_A (message 1)
    QByteArray responderNonce; ///< N_B (message 2)
    QByteArray requestForm; ///< form_A: message 1, including He
    QByteArray responseForm; ///< form_B: message 2, including d
    QByteArray initiatorTag; ///< M_A: covers form_A2, i.e. message 3, chosen after the commitment opened
    /// r_B: the responder's SAS secret, committed in message 2 (SHA256(r_B) in form_B), opened in message 4.
    QByteArray responderSecret;
};

/// The committed SAS value: the least significant 24 bits of
///   HMAC-SHA256(K0, "Sotto committed SAS 1" | L(N_A) | N_A | L(N_B) | N_B | L(form_A) | form_A | L(form_B) | form_B
///                    | L(r_B) | r_B)
/// where L(x) is the length of x as 4 octets, big-endian. Of messages 3 and 4 only r_B goes in, which the
/// responder committed to in form_B (message 2) and opens in message 4.
[[nodiscard]] quint32 committedSasValue(const QByteArray &initialKey, const QByteArray &initiatorNonce,
    const QByteArray &responderNonce, const QByteArray &requestForm, const QByteArray &responseForm,
    const QByteArray &responderSecret);

/// SHA256(r_B): the responder's commitment to its SAS secret, sent in message 2.
[[nodiscard]] QByteArray sasCommitment(const QByteArray &responderSecret);

/// The 24-bit SAS value of @p algorithm over @p transcript; the displayed code is sasFromValue() of it.
[[nodiscard]] quint32 sasValue(SasAlgorithm algorithm, const SasTranscript &transcript);

} // namespace Esession
