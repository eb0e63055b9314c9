#include "EsessionKeys.h"

namespace Esession {

namespace {

// XEP-0116/0217 labels: ASCII, no terminator.
constexpr char InitiatorCipherLabel[] = "Initiator Cipher Key";
constexpr char InitiatorMacLabel[] = "Initiator MAC Key";
constexpr char InitiatorSigmaLabel[] = "Initiator SIGMA Key";
constexpr char ResponderCipherLabel[] = "Responder Cipher Key";
constexpr char ResponderMacLabel[] = "Responder MAC Key";
constexpr char ResponderSigmaLabel[] = "Responder SIGMA Key";
constexpr char SharedRetainedSecretLabel[] = "Shared Retained Secret";
constexpr char NewRetainedSecretLabel[] = "New Retained Secret";
constexpr char SasLabel[] = "Short Authentication String";

constexpr int SasBase = 28;
static_assert(sizeof(SasAlphabet) - 1 == SasBase);
// 5 base-28 digits hold any 24-bit value: 28^5 = 17 210 368 > 2^24.
static_assert(qint64(SasBase) * SasBase * SasBase * SasBase * SasBase > (qint64(1) << 24));

void wipeBytes(QByteArray &bytes)
{
    bytes.fill('\0');
    bytes.clear();
}

// A key of @p length bytes from HMAC(K, label): the least significant end of the output (XEP-0116 "As many
// bits of key data as are needed ... MUST be taken from the least significant bits"), i.e. its last bytes.
QByteArray labelledKey(const QByteArray &key, const char *label, int length)
{
    QByteArray full = Crypto::hmacSha256(key, QByteArray(label));
    QByteArray out = full.right(length);
    wipeBytes(full);
    return out;
}

} // namespace

KeySet::~KeySet()
{
    wipe();
}

void KeySet::wipe()
{
    wipeBytes(cipherKey);
    wipeBytes(macKey);
    wipeBytes(sigmaKey);
}

QByteArray dhCommitment(const QByteArray &publicValue)
{
    return Crypto::sha256(publicValue);
}

QByteArray initialKey(const QByteArray &sharedSecret)
{
    return Crypto::sha256(sharedSecret);
}

QByteArray finalKey(
    const QByteArray &initialKey, const QByteArray &sharedRetainedSecret, const QByteArray &otherSharedSecret)
{
    QByteArray input = initialKey + sharedRetainedSecret + otherSharedSecret;
    QByteArray out = Crypto::sha256(input);
    wipeBytes(input);
    return out;
}

KeySet deriveKeySet(Party party, Crypto::CtrCipher cipher, const QByteArray &key)
{
    KeySet keys;
    if (key.isEmpty())
        return keys;
    const bool initiator = party == Party::Initiator;
    keys.cipherKey
        = labelledKey(key, initiator ? InitiatorCipherLabel : ResponderCipherLabel, Crypto::keyLength(cipher));
    keys.macKey = labelledKey(key, initiator ? InitiatorMacLabel : ResponderMacLabel, MacKeyLength);
    keys.sigmaKey = labelledKey(key, initiator ? InitiatorSigmaLabel : ResponderSigmaLabel, MacKeyLength);
    return keys;
}

QByteArray identityMac(Party party, const QByteArray &sigmaKey, const IdentityMacInput &input)
{
    // Each party puts the other's nonce first: mac_A starts with N_B, mac_B with N_A.
    const QByteArray &first = party == Party::Initiator ? input.responderNonce : input.initiatorNonce;
    const QByteArray &second = party == Party::Initiator ? input.initiatorNonce : input.responderNonce;
    const QByteArray message = first + second + input.publicValue + input.publicKey + input.form + input.form2;
    return Crypto::hmacSha256(sigmaKey, message);
}

QByteArray identityTag(const QByteArray &macKey, const BlockCounter &counter, const QByteArray &identity)
{
    return Crypto::hmacSha256(macKey, counter.mpi() + identity);
}

std::optional<SealedIdentity> sealIdentity(Crypto::CtrCipher cipher, const QByteArray &cipherKey,
    const QByteArray &macKey, BlockCounter &counter, const QByteArray &plaintext)
{
    if (macKey.isEmpty())
        return std::nullopt;
    std::optional<QByteArray> identity = Crypto::aesCtr(cipher, cipherKey, counter.block(), plaintext);
    if (!identity)
        return std::nullopt;
    SealedIdentity sealed { std::move(*identity), {} };
    sealed.mac = identityTag(macKey, counter, sealed.identity);
    counter.advance(blocksFor(plaintext.size()));
    return sealed;
}

std::optional<QByteArray> openIdentity(Crypto::CtrCipher cipher, const QByteArray &cipherKey, const QByteArray &macKey,
    BlockCounter &counter, const SealedIdentity &sealed)
{
    if (macKey.isEmpty())
        return std::nullopt;
    // The MAC before anything is decrypted (XEP-0116 "Verifying ... Identity": M first, then DECIPHER).
    if (!Crypto::verifyHmacSha256(macKey, counter.mpi() + sealed.identity, sealed.mac))
        return std::nullopt;
    std::optional<QByteArray> plaintext = Crypto::aesCtr(cipher, cipherKey, counter.block(), sealed.identity);
    if (!plaintext)
        return std::nullopt;
    counter.advance(blocksFor(sealed.identity.size()));
    return plaintext;
}

bool verifyIdentity(Crypto::CtrCipher cipher, const QByteArray &cipherKey, const QByteArray &macKey,
    BlockCounter &counter, const SealedIdentity &sealed, const QByteArray &expectedMac)
{
    BlockCounter working = counter;
    const std::optional<QByteArray> received = openIdentity(cipher, cipherKey, macKey, working, sealed);
    if (!received || !Crypto::constantTimeEquals(*received, expectedMac))
        return false;
    counter = working;
    return true;
}

QByteArray retainedSecretHash(const QByteArray &initiatorNonce, const QByteArray &retainedSecret)
{
    return Crypto::hmacSha256(initiatorNonce, retainedSecret);
}

bool matchesRetainedSecretHash(
    const QByteArray &initiatorNonce, const QByteArray &retainedSecret, const QByteArray &candidate)
{
    return Crypto::verifyHmacSha256(initiatorNonce, retainedSecret, candidate);
}

QByteArray sharedRetainedSecretHash(const QByteArray &sharedRetainedSecret)
{
    return Crypto::hmacSha256(sharedRetainedSecret, QByteArray(SharedRetainedSecretLabel));
}

bool matchesSharedRetainedSecretHash(const QByteArray &retainedSecret, const QByteArray &srshash)
{
    return Crypto::verifyHmacSha256(retainedSecret, QByteArray(SharedRetainedSecretLabel), srshash);
}

QByteArray newRetainedSecret(const QByteArray &finalKey)
{
    return Crypto::hmacSha256(finalKey, QByteArray(NewRetainedSecretLabel));
}

QString sasFromValue(quint32 value)
{
    value &= 0xffffff;
    QString out(SasLength, QLatin1Char(SasAlphabet[0]));
    for (int i = SasLength - 1; i >= 0; --i) {
        out[i] = QLatin1Char(SasAlphabet[value % SasBase]);
        value /= SasBase;
    }
    return out;
}

QString sas28x5(const QByteArray &initiatorTag, const QByteArray &responseForm)
{
    const QByteArray digest = Crypto::sha256(initiatorTag + responseForm + QByteArray(SasLabel));
    if (digest.size() < 3)
        return {};
    const auto octet = [&digest](qsizetype fromEnd) { return quint32(quint8(digest.at(digest.size() - fromEnd))); };
    return sasFromValue((octet(3) << 16) | (octet(2) << 8) | octet(1));
}

} // namespace Esession
