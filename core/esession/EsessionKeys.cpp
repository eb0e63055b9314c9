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
constexpr char CommittedSasLabel[] = "Sotto committed SAS 1";
/// The `sas_algs` names. The committed one is ours: "urn:x-sotto:" is no registered namespace, so no other
/// client can mean something else by it.
constexpr char Sas28x5Name[] = "sas28x5";
constexpr char CommittedSasName[] = "urn:x-sotto:esession:sas:committed28x5:1";

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

namespace {

quint32 low24Bits(const QByteArray &digest)
{
    if (digest.size() < 3)
        return 0;
    const auto octet = [&digest](qsizetype fromEnd) { return quint32(quint8(digest.at(digest.size() - fromEnd))); };
    return (octet(3) << 16) | (octet(2) << 8) | octet(1);
}

} // namespace

quint32 sas28x5Value(const QByteArray &initiatorTag, const QByteArray &responseForm)
{
    return low24Bits(Crypto::sha256(initiatorTag + responseForm + QByteArray(SasLabel)));
}

QString sas28x5(const QByteArray &initiatorTag, const QByteArray &responseForm)
{
    return sasFromValue(sas28x5Value(initiatorTag, responseForm));
}

QString sasAlgorithmName(SasAlgorithm algorithm)
{
    switch (algorithm) {
    case SasAlgorithm::Committed:
        return QString::fromLatin1(CommittedSasName);
    case SasAlgorithm::Sas28x5:
        return QString::fromLatin1(Sas28x5Name);
    }
    return {};
}

std::optional<SasAlgorithm> sasAlgorithmFromName(const QString &name)
{
    for (const SasAlgorithm algorithm : { SasAlgorithm::Committed, SasAlgorithm::Sas28x5 }) {
        if (name == sasAlgorithmName(algorithm))
            return algorithm;
    }
    return std::nullopt;
}

quint32 committedSasValue(const QByteArray &initialKey, const QByteArray &initiatorNonce,
    const QByteArray &responderNonce, const QByteArray &requestForm, const QByteArray &responseForm,
    const QByteArray &responderSecret)
{
    // Each variable-length part with its length in front, so that no two transcripts give the same input.
    QByteArray input(CommittedSasLabel);
    for (const QByteArray *part : { &initiatorNonce, &responderNonce, &requestForm, &responseForm, &responderSecret }) {
        const quint32 length = quint32(part->size());
        input.append(char(length >> 24)).append(char(length >> 16)).append(char(length >> 8)).append(char(length));
        input.append(*part);
    }
    QByteArray tag = Crypto::hmacSha256(initialKey, input);
    const quint32 value = low24Bits(tag);
    wipeBytes(tag);
    return value;
}

QByteArray sasCommitment(const QByteArray &responderSecret)
{
    return Crypto::sha256(responderSecret);
}

quint32 sasValue(SasAlgorithm algorithm, const SasTranscript &transcript)
{
    switch (algorithm) {
    case SasAlgorithm::Committed:
        return committedSasValue(transcript.initialKey, transcript.initiatorNonce, transcript.responderNonce,
            transcript.requestForm, transcript.responseForm, transcript.responderSecret);
    case SasAlgorithm::Sas28x5:
        return sas28x5Value(transcript.initiatorTag, transcript.responseForm);
    }
    return 0;
}

} // namespace Esession
