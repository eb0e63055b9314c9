// The ESession key schedule (EsessionKeys: XEP-0217 and the XEP-0116 formulas it shares) against known answers
// written by scripts/gen-esession-vectors.py, a separate Python implementation (hashlib, hmac, pow(), AES-CTR
// from python3-cryptography or openssl), then properties a wrong implementation would break: tampered
// identities refused, nonce order, SAS shape, counter movement.
#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"
#include "esession/BlockCounter.h"
#include "esession/EsessionKeys.h"

using namespace Esession;
using namespace Qt::StringLiterals;
using Crypto::CtrCipher;

namespace {

QString vectorsPath()
{
    return QStringLiteral(SOTTO_ESESSION_VECTORS);
}

// The whole file, read once. Problems are reported by the test that needs the file, not here.
const QJsonObject &vectorFile()
{
    static const QJsonObject root = [] {
        QFile file(vectorsPath());
        if (!file.open(QIODevice::ReadOnly))
            return QJsonObject();
        return QJsonDocument::fromJson(file.readAll()).object();
    }();
    return root;
}

QList<QJsonObject> cases()
{
    QList<QJsonObject> out;
    for (const QJsonValue &value : vectorFile().value("cases"_L1).toArray())
        out.append(value.toObject());
    return out;
}

// A hex field as bytes; empty (and so a failed comparison further on) when missing or not clean hex.
QByteArray bytesOf(const QJsonObject &object, QLatin1StringView key)
{
    const QByteArray text = object.value(key).toString().toLatin1();
    const QByteArray bytes = QByteArray::fromHex(text);
    return bytes.toHex() == text ? bytes : QByteArray();
}

// A form field: the normalised text as UTF-8 bytes.
QByteArray formOf(const QJsonObject &object, QLatin1StringView key)
{
    return object.value(key).toString().toUtf8();
}

BlockCounter counterOf(const QJsonObject &object, QLatin1StringView key)
{
    return BlockCounter::fromBigEndian(bytesOf(object, key)).value_or(BlockCounter());
}

std::optional<CtrCipher> cipherOf(const QJsonObject &vector)
{
    const QString name = vector.value("cipher"_L1).toString();
    if (name == "aes128-ctr"_L1)
        return CtrCipher::Aes128;
    if (name == "aes256-ctr"_L1)
        return CtrCipher::Aes256;
    return std::nullopt;
}

Crypto::DhKeyPair keyOrFail(const QByteArray &exponent)
{
    auto result = Crypto::DhKeyPair::fromPrivateExponent(Crypto::ModpGroup::Group14, exponent);
    if (auto *error = std::get_if<Crypto::DhError>(&result))
        qFatal("fromPrivateExponent failed: %s", qPrintable(Crypto::dhErrorText(*error)));
    return std::move(std::get<Crypto::DhKeyPair>(result));
}

IdentityMacInput initiatorMacInput(const QJsonObject &in, const QJsonObject &out)
{
    return { bytesOf(in, "N_A"_L1), bytesOf(in, "N_B"_L1), bytesOf(out, "e"_L1), {}, formOf(in, "form_A"_L1),
        formOf(in, "form_A2"_L1) };
}

IdentityMacInput responderMacInput(const QJsonObject &in, const QJsonObject &out)
{
    return { bytesOf(in, "N_A"_L1), bytesOf(in, "N_B"_L1), bytesOf(out, "d"_L1), {}, formOf(in, "form_B"_L1),
        formOf(in, "form_B2"_L1) };
}

QByteArray flipBit(QByteArray bytes, int bit)
{
    bytes[bit / 8] = char(bytes.at(bit / 8) ^ (1 << (bit % 8)));
    return bytes;
}

// Everything needed to seal and open Alice's identity of the first vector (aes128-ctr).
struct AliceIdentity
{
    CtrCipher cipher = CtrCipher::Aes128;
    KeySet keys;
    BlockCounter counter;
    QByteArray mac;
    SealedIdentity sealed;
};

AliceIdentity aliceIdentity()
{
    AliceIdentity a;
    const QJsonObject vector = cases().value(0);
    const QJsonObject in = vector.value("inputs"_L1).toObject();
    const QJsonObject out = vector.value("outputs"_L1).toObject();
    a.cipher = cipherOf(vector).value_or(CtrCipher::Aes128);
    a.keys = deriveKeySet(Party::Initiator, a.cipher, bytesOf(out, "K0"_L1));
    a.counter = counterOf(in, "C_A"_L1);
    a.mac = identityMac(Party::Initiator, a.keys.sigmaKey, initiatorMacInput(in, out));
    a.sealed = { bytesOf(out, "ID_A"_L1), bytesOf(out, "M_A"_L1) };
    return a;
}

} // namespace

class TestEsessionKdf : public QObject
{
    Q_OBJECT

private:
    static void addCaseRows()
    {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonObject &vector : cases())
            QTest::newRow(qPrintable(vector.value("name"_L1).toString())) << vector;
    }

private Q_SLOTS:
    void vectorFileIsComplete()
    {
        QVERIFY2(!vectorFile().isEmpty(), qPrintable(u"cannot read or parse %1"_s.arg(vectorsPath())));
        const QList<QJsonObject> all = cases();
        QCOMPARE(all.size(), 3);
        static const char *const inputs[] = { "x", "y", "N_A", "N_B", "C_A", "form_A", "form_B", "form_A2", "form_B2" };
        static const char *const outputs[]
            = { "e", "d", "He", "shared_secret", "K0", "K_dh_only", "K", "provisory_keys", "final_keys", "C_B", "mac_A",
                  "ID_A", "M_A", "C_A_after", "mac_B", "ID_B", "M_B", "C_B_after", "RS_new", "sas_value", "sas",
                  "committed_sas_value", "committed_sas" };
        bool sawAes256 = false, sawPadding = false, sawWithoutSrs = false;
        for (const QJsonObject &vector : all) {
            const QString name = vector.value("name"_L1).toString();
            QVERIFY2(cipherOf(vector).has_value(), qPrintable(name));
            QCOMPARE(vector.value("modp"_L1).toInt(), 14);
            const QJsonObject in = vector.value("inputs"_L1).toObject();
            const QJsonObject out = vector.value("outputs"_L1).toObject();
            for (const char *key : inputs)
                QVERIFY2(
                    in.contains(QLatin1StringView(key)), qPrintable(name + u": no input "_s + QLatin1StringView(key)));
            for (const char *key : outputs)
                QVERIFY2(out.contains(QLatin1StringView(key)),
                    qPrintable(name + u": no output "_s + QLatin1StringView(key)));
            sawAes256 = sawAes256 || cipherOf(vector) == CtrCipher::Aes256;
            sawPadding = sawPadding || out.value("sas_value"_L1).toInt(-1) < 28 * 28 * 28 * 28;
            sawWithoutSrs = sawWithoutSrs || !in.contains("RS"_L1);
        }
        QVERIFY(sawAes256);
        QVERIFY(sawPadding);
        QVERIFY(sawWithoutSrs);
    }

    void diffieHellman_data() { addCaseRows(); }
    void diffieHellman()
    {
        QFETCH(QJsonObject, vector);
        const QJsonObject in = vector.value("inputs"_L1).toObject();
        const QJsonObject out = vector.value("outputs"_L1).toObject();
        const Crypto::DhKeyPair alice = keyOrFail(bytesOf(in, "x"_L1));
        const Crypto::DhKeyPair bob = keyOrFail(bytesOf(in, "y"_L1));
        QCOMPARE(alice.publicValue().toHex(), bytesOf(out, "e"_L1).toHex());
        QCOMPARE(bob.publicValue().toHex(), bytesOf(out, "d"_L1).toHex());
        QCOMPARE(dhCommitment(alice.publicValue()).toHex(), bytesOf(out, "He"_L1).toHex());

        const auto aliceSecret = alice.deriveSharedSecret(bob.publicValue());
        const auto bobSecret = bob.deriveSharedSecret(alice.publicValue());
        QVERIFY(std::holds_alternative<QByteArray>(aliceSecret) && std::holds_alternative<QByteArray>(bobSecret));
        QCOMPARE(std::get<QByteArray>(aliceSecret).toHex(), bytesOf(out, "shared_secret"_L1).toHex());
        QCOMPARE(std::get<QByteArray>(bobSecret).toHex(), bytesOf(out, "shared_secret"_L1).toHex());
        QCOMPARE(initialKey(std::get<QByteArray>(aliceSecret)).toHex(), bytesOf(out, "K0"_L1).toHex());
    }

    void keySchedule_data() { addCaseRows(); }
    void keySchedule()
    {
        QFETCH(QJsonObject, vector);
        const QJsonObject in = vector.value("inputs"_L1).toObject();
        const QJsonObject out = vector.value("outputs"_L1).toObject();
        const CtrCipher cipher = cipherOf(vector).value_or(CtrCipher::Aes128);
        const QByteArray k0 = initialKey(bytesOf(out, "shared_secret"_L1));
        QCOMPARE(k0.toHex(), bytesOf(out, "K0"_L1).toHex());
        QCOMPARE(finalKey(k0).toHex(), bytesOf(out, "K_dh_only"_L1).toHex());
        const QByteArray k = finalKey(k0, bytesOf(in, "RS"_L1), bytesOf(in, "OSS"_L1));
        QCOMPARE(k.toHex(), bytesOf(out, "K"_L1).toHex());
        if (!in.contains("RS"_L1) && !in.contains("OSS"_L1))
            QCOMPARE(k.toHex(), bytesOf(out, "K_dh_only"_L1).toHex());
        else
            QVERIFY(k != bytesOf(out, "K_dh_only"_L1));

        const struct
        {
            const char *set;
            QByteArray key;
        } sets[] = { { "provisory_keys", k0 }, { "final_keys", k } };
        for (const auto &set : sets) {
            const QJsonObject expected = out.value(QLatin1StringView(set.set)).toObject();
            const KeySet a = deriveKeySet(Party::Initiator, cipher, set.key);
            const KeySet b = deriveKeySet(Party::Responder, cipher, set.key);
            QCOMPARE(a.cipherKey.toHex(), bytesOf(expected, "KC_A"_L1).toHex());
            QCOMPARE(a.macKey.toHex(), bytesOf(expected, "KM_A"_L1).toHex());
            QCOMPARE(a.sigmaKey.toHex(), bytesOf(expected, "KS_A"_L1).toHex());
            QCOMPARE(b.cipherKey.toHex(), bytesOf(expected, "KC_B"_L1).toHex());
            QCOMPARE(b.macKey.toHex(), bytesOf(expected, "KM_B"_L1).toHex());
            QCOMPARE(b.sigmaKey.toHex(), bytesOf(expected, "KS_B"_L1).toHex());
            QCOMPARE(int(a.cipherKey.size()), Crypto::keyLength(cipher));
            QCOMPARE(int(a.macKey.size()), MacKeyLength);
            QCOMPARE(int(b.sigmaKey.size()), MacKeyLength);
        }
    }

    void identities_data() { addCaseRows(); }
    void identities()
    {
        QFETCH(QJsonObject, vector);
        const QJsonObject in = vector.value("inputs"_L1).toObject();
        const QJsonObject out = vector.value("outputs"_L1).toObject();
        const CtrCipher cipher = cipherOf(vector).value_or(CtrCipher::Aes128);
        const QByteArray k0 = bytesOf(out, "K0"_L1);
        const QByteArray k = bytesOf(out, "K"_L1);

        // Alice (message 3), provisory keys from K0.
        const KeySet provisory = deriveKeySet(Party::Initiator, cipher, k0);
        const QByteArray macA = identityMac(Party::Initiator, provisory.sigmaKey, initiatorMacInput(in, out));
        QCOMPARE(macA.toHex(), bytesOf(out, "mac_A"_L1).toHex());
        BlockCounter aliceSend = counterOf(in, "C_A"_L1);
        const auto idA = sealIdentity(cipher, provisory.cipherKey, provisory.macKey, aliceSend, macA);
        QVERIFY(idA.has_value());
        QCOMPARE(idA->identity.toHex(), bytesOf(out, "ID_A"_L1).toHex());
        QCOMPARE(idA->mac.toHex(), bytesOf(out, "M_A"_L1).toHex());
        QCOMPARE(aliceSend.block().toHex(), bytesOf(out, "C_A_after"_L1).toHex());

        // Bob checks it with his own provisory keys and his copy of the counter.
        const KeySet bobProvisory = deriveKeySet(Party::Initiator, cipher, k0);
        BlockCounter bobReceive = counterOf(in, "C_A"_L1);
        const QByteArray macAByBob = identityMac(Party::Initiator, bobProvisory.sigmaKey, initiatorMacInput(in, out));
        QVERIFY(verifyIdentity(cipher, bobProvisory.cipherKey, bobProvisory.macKey, bobReceive, *idA, macAByBob));
        QCOMPARE(bobReceive, aliceSend);

        // Bob (message 4), final keys; C_B = C_A XOR 2^127.
        BlockCounter bobSend = counterOf(in, "C_A"_L1).withTopBitFlipped();
        QCOMPARE(bobSend.block().toHex(), bytesOf(out, "C_B"_L1).toHex());
        const KeySet bobFinal = deriveKeySet(Party::Responder, cipher, k);
        const QByteArray macB = identityMac(Party::Responder, bobFinal.sigmaKey, responderMacInput(in, out));
        QCOMPARE(macB.toHex(), bytesOf(out, "mac_B"_L1).toHex());
        const auto idB = sealIdentity(cipher, bobFinal.cipherKey, bobFinal.macKey, bobSend, macB);
        QVERIFY(idB.has_value());
        QCOMPARE(idB->identity.toHex(), bytesOf(out, "ID_B"_L1).toHex());
        QCOMPARE(idB->mac.toHex(), bytesOf(out, "M_B"_L1).toHex());
        QCOMPARE(bobSend.block().toHex(), bytesOf(out, "C_B_after"_L1).toHex());

        // Alice opens it: M first, then the decrypted identity must be her own recomputation of mac_B.
        BlockCounter aliceReceive = counterOf(in, "C_A"_L1).withTopBitFlipped();
        const auto opened = openIdentity(cipher, bobFinal.cipherKey, bobFinal.macKey, aliceReceive, *idB);
        QVERIFY(opened.has_value());
        QCOMPARE(opened->toHex(), macB.toHex());
        QCOMPARE(aliceReceive, bobSend);

        // XEP-0116 with public keys: pubKey between the DH value and the first form.
        if (in.contains("pubKey_A"_L1)) {
            IdentityMacInput withKeyA = initiatorMacInput(in, out);
            withKeyA.publicKey = formOf(in, "pubKey_A"_L1);
            QCOMPARE(identityMac(Party::Initiator, provisory.sigmaKey, withKeyA).toHex(),
                bytesOf(out, "mac_A_with_pubKey"_L1).toHex());
            IdentityMacInput withKeyB = responderMacInput(in, out);
            withKeyB.publicKey = formOf(in, "pubKey_B"_L1);
            QCOMPARE(identityMac(Party::Responder, bobFinal.sigmaKey, withKeyB).toHex(),
                bytesOf(out, "mac_B_with_pubKey"_L1).toHex());
        }
    }

    void retainedSecrets_data() { addCaseRows(); }
    void retainedSecrets()
    {
        QFETCH(QJsonObject, vector);
        const QJsonObject in = vector.value("inputs"_L1).toObject();
        const QJsonObject out = vector.value("outputs"_L1).toObject();
        QCOMPARE(newRetainedSecret(bytesOf(out, "K"_L1)).toHex(), bytesOf(out, "RS_new"_L1).toHex());
        if (!in.contains("RS"_L1)) {
            QVERIFY(!out.contains("rshash"_L1) && !out.contains("srshash"_L1));
            return;
        }
        const QByteArray nonceA = bytesOf(in, "N_A"_L1);
        const QByteArray rs = bytesOf(in, "RS"_L1);
        const QByteArray rshash = retainedSecretHash(nonceA, rs);
        const QByteArray srshash = sharedRetainedSecretHash(rs);
        QCOMPARE(rshash.toHex(), bytesOf(out, "rshash"_L1).toHex());
        QCOMPARE(srshash.toHex(), bytesOf(out, "srshash"_L1).toHex());
        // The generator's forms carry what they claim to: mac_A and mac_B cover these very values.
        QVERIFY(formOf(in, "form_A2"_L1).contains("<value>" + rshash.toBase64() + "</value>"));
        QVERIFY(formOf(in, "form_B2"_L1).contains("<value>" + srshash.toBase64() + "</value>"));

        QVERIFY(matchesRetainedSecretHash(nonceA, rs, rshash));
        QVERIFY(!matchesRetainedSecretHash(bytesOf(in, "N_B"_L1), rs, rshash));
        QVERIFY(!matchesRetainedSecretHash(nonceA, flipBit(rs, 0), rshash));
        QVERIFY(!matchesRetainedSecretHash(nonceA, rs, flipBit(rshash, 255)));
        QVERIFY(!matchesRetainedSecretHash(nonceA, rs, rshash.left(16)));
        QVERIFY(matchesSharedRetainedSecretHash(rs, srshash));
        QVERIFY(!matchesSharedRetainedSecretHash(flipBit(rs, 7), srshash));
        QVERIFY(!matchesSharedRetainedSecretHash(rs, flipBit(srshash, 100)));
        QVERIFY(!matchesSharedRetainedSecretHash(rs, srshash.left(31)));
    }

    void sas_data() { addCaseRows(); }
    void sas()
    {
        QFETCH(QJsonObject, vector);
        const QJsonObject in = vector.value("inputs"_L1).toObject();
        const QJsonObject out = vector.value("outputs"_L1).toObject();
        const QString expected = out.value("sas"_L1).toString();
        QCOMPARE(sas28x5(bytesOf(out, "M_A"_L1), formOf(in, "form_B"_L1)), expected);
        QCOMPARE(sasFromValue(quint32(out.value("sas_value"_L1).toInt())), expected);
    }

    void committedSas_data() { addCaseRows(); }
    void committedSas()
    {
        QFETCH(QJsonObject, vector);
        const QJsonObject in = vector.value("inputs"_L1).toObject();
        const QJsonObject out = vector.value("outputs"_L1).toObject();
        SasTranscript transcript;
        transcript.initialKey = bytesOf(out, "K0"_L1);
        transcript.initiatorNonce = bytesOf(in, "N_A"_L1);
        transcript.responderNonce = bytesOf(in, "N_B"_L1);
        transcript.requestForm = formOf(in, "form_A"_L1);
        transcript.responseForm = formOf(in, "form_B"_L1);
        transcript.initiatorTag = bytesOf(out, "M_A"_L1);
        transcript.responderSecret = bytesOf(in, "r_B"_L1);
        QCOMPARE(sasCommitment(transcript.responderSecret), bytesOf(out, "sas_commitment"_L1));
        const quint32 expected = quint32(out.value("committed_sas_value"_L1).toInt(-1));
        QCOMPARE(sasValue(SasAlgorithm::Committed, transcript), expected);
        QCOMPARE(sasFromValue(expected), out.value("committed_sas"_L1).toString());
        QCOMPARE(sasValue(SasAlgorithm::Sas28x5, transcript), quint32(out.value("sas_value"_L1).toInt(-1)));
    }

    // The property that makes the committed SAS worth having (C1 of the security review): whoever sends
    // message 3 chooses M_A after every commitment is open, so nothing of it may reach the code. Every other input
    // must reach it, r_B included: the responder's secret, opened only in message 4, is what keeps an initiator
    // (a relay opening many negotiations) from computing a responder's code before it is too late to choose.
    // sas28x5 fails the first half: that is the attack.
    void committedSasReadsOnlyCommittedValues()
    {
        QRandomGenerator rng(0xc0de);
        const auto randomBytes = [&rng](int size) {
            QByteArray bytes(size, Qt::Uninitialized);
            for (char &c : bytes)
                c = char(rng.bounded(256));
            return bytes;
        };
        int sas28x5Moved = 0;
        for (int i = 0; i < 200; ++i) {
            SasTranscript base;
            base.initialKey = randomBytes(32);
            base.initiatorNonce = randomBytes(32);
            base.responderNonce = randomBytes(32);
            base.requestForm = randomBytes(100 + rng.bounded(200));
            base.responseForm = randomBytes(100 + rng.bounded(200));
            base.initiatorTag = randomBytes(32);
            base.responderSecret = randomBytes(32);
            const quint32 committed = sasValue(SasAlgorithm::Committed, base);
            QVERIFY(committed < (1u << 24));

            SasTranscript otherMessage3 = base;
            otherMessage3.initiatorTag = randomBytes(32);
            QCOMPARE(sasValue(SasAlgorithm::Committed, otherMessage3), committed);
            sas28x5Moved += sasValue(SasAlgorithm::Sas28x5, otherMessage3) != sasValue(SasAlgorithm::Sas28x5, base);

            // Each committed input moves the code (a 24-bit code stays put by chance once in 2^24).
            const QList<QByteArray SasTranscript::*> inputs { &SasTranscript::initialKey,
                &SasTranscript::initiatorNonce, &SasTranscript::responderNonce, &SasTranscript::requestForm,
                &SasTranscript::responseForm, &SasTranscript::responderSecret };
            for (QByteArray SasTranscript::*input : inputs) {
                SasTranscript changed = base;
                (changed.*input)[0] = char((changed.*input).at(0) ^ 0x01);
                QVERIFY(sasValue(SasAlgorithm::Committed, changed) != committed);
            }
            // Moving a byte from one field to the next is not the same transcript (length prefixes).
            SasTranscript shifted = base;
            shifted.requestForm += shifted.responseForm.left(1);
            shifted.responseForm.remove(0, 1);
            QVERIFY(sasValue(SasAlgorithm::Committed, shifted) != committed);
        }
        QVERIFY(sas28x5Moved > 190);
    }

    void sasAlgorithmNames()
    {
        QCOMPARE(sasAlgorithmName(SasAlgorithm::Sas28x5), u"sas28x5"_s);
        QVERIFY(sasAlgorithmName(SasAlgorithm::Committed) != sasAlgorithmName(SasAlgorithm::Sas28x5));
        QVERIFY(sasAlgorithmName(SasAlgorithm::Committed).startsWith(u"urn:x-sotto:"_s));
        for (const SasAlgorithm algorithm : { SasAlgorithm::Committed, SasAlgorithm::Sas28x5 })
            QCOMPARE(sasAlgorithmFromName(sasAlgorithmName(algorithm)), std::optional<SasAlgorithm>(algorithm));
        QCOMPARE(sasAlgorithmFromName(u"SAS28X5"_s), std::nullopt);
        QCOMPARE(sasAlgorithmFromName(QString()), std::nullopt);
    }

    // Part 2 §8 of the brief: values computed there from the spec text, a second source besides the generator.
    void briefReferenceValues()
    {
        const QByteArray k0 = Crypto::sha256("test-dh-shared-value");
        QCOMPARE(k0.toHex(), "2e8712e8b010dcd2c5f9dbaedb2affe70927d6705f752b54374e150fe9ed2a44");
        const KeySet a = deriveKeySet(Party::Initiator, CtrCipher::Aes128, k0);
        const KeySet b = deriveKeySet(Party::Responder, CtrCipher::Aes128, k0);
        QCOMPARE(a.cipherKey.toHex(), "96ec479ccde6a3f01a11b173e890ff16");
        QCOMPARE(a.macKey.toHex(), "5ddf3d53afb8d16c5d626bf7e6ac3bc0d92054fe5f81c81cd2b058f690133ef1");
        QCOMPARE(a.sigmaKey.toHex(), "be835da439043a5230d8a21bff8961d8b599315933cff409d5bfe488e055c280");
        QCOMPARE(b.cipherKey.toHex(), "c45ec650d98f20c32343a4952805f005");
        QCOMPARE(b.macKey.toHex(), "4ac5a4c5867cdd07a7dfa0743d2bb7d6e5b4f55526dff2ddf5326e64cd906a0f");
        QCOMPARE(b.sigmaKey.toHex(), "868ab37f99a96db73ef7cf18c8ca508970c3d8618497a26b3a11cdaa18572496");
        const KeySet a256 = deriveKeySet(Party::Initiator, CtrCipher::Aes256, k0);
        QCOMPARE(a256.cipherKey.toHex(), "58f06f1c14fceae6c144cfc51812e57e96ec479ccde6a3f01a11b173e890ff16");

        QByteArray nonceA;
        for (char i = 0; i < 16; ++i)
            nonceA += i;
        const QByteArray srs(32, char(0xaa));
        QCOMPARE(retainedSecretHash(nonceA, srs).toBase64(), "kCTggumi3hVQ1kruvL6BqOP2J6IOFHnUg40M1w+el2Q=");
        QCOMPARE(sharedRetainedSecretHash(srs).toBase64(), "PMV9Uc+WIsFWyMhK7Ljx/MDPUEoB+6+RZrjfuFedwuA=");
        const QByteArray k = finalKey(k0, srs, u"p\u00e4ssword"_s.toUtf8());
        QCOMPARE(k.toHex(), "b32dac08a819bd5c00b321285aaa30793f13352a7fe16bd4c1536d4616460cff");
        QCOMPARE(newRetainedSecret(k).toHex(), "1fad00e4ac4f49417303e842b423a0fa4766834256c4547ba8b4cc64f6a71b0d");

        QByteArray tagA;
        for (char i = 0; i < 32; ++i)
            tagA += i;
        QCOMPARE(sas28x5(tagA,
                     "<field var=\"FORM_TYPE\"><value>urn:xmpp:ssn</value></field>"
                     "<field var=\"accept\"><value>1</value></field>"),
            u"6dxp5"_s);
        QCOMPARE(sasFromValue(757), u"aaa9c"_s);
    }

    void sasDigits_data()
    {
        QTest::addColumn<quint32>("value");
        QTest::addColumn<QString>("sas");
        QTest::newRow("zero") << quint32(0) << u"aaaaa"_s;
        QTest::newRow("27") << quint32(27) << u"aaaa9"_s;
        QTest::newRow("28") << quint32(28) << u"aaaca"_s;
        QTest::newRow("28^4 - 1") << quint32(614655) << u"a9999"_s;
        QTest::newRow("28^4") << quint32(614656) << u"caaaa"_s;
        QTest::newRow("2^23") << quint32(0x800000) << u"rye3f"_s;
        QTest::newRow("2^24 - 1") << quint32(0xffffff) << u"9kiui"_s;
        QTest::newRow("bits above 24 ignored") << quint32(0x7f000000) << u"aaaaa"_s;
        QTest::newRow("2^24 + 1") << quint32(0x1000001) << u"aaaac"_s;
    }

    void sasDigits()
    {
        QFETCH(quint32, value);
        QFETCH(QString, sas);
        QCOMPARE(sasFromValue(value), sas);
    }

    // 10 000 pseudo-random inputs (fixed seed): always 5 characters of the alphabet, and reading the
    // digits back (most significant first) gives the last 24 bits of the hash.
    void sasIsAlwaysFiveDigitsOfTheAlphabet()
    {
        const QByteArray alphabet(SasAlphabet);
        QCOMPARE(int(alphabet.size()), 28);
        QRandomGenerator rng(0x5a5);
        int padded = 0;
        for (int i = 0; i < 10000; ++i) {
            QByteArray tag(32, Qt::Uninitialized);
            for (char &c : tag)
                c = char(rng.bounded(256));
            QByteArray form(rng.bounded(200), Qt::Uninitialized);
            for (char &c : form)
                c = char(rng.bounded(256));
            const QString sas = sas28x5(tag, form);
            QCOMPARE(int(sas.size()), SasLength);
            quint32 decoded = 0;
            for (const QChar ch : sas) {
                const qsizetype digit = ch.unicode() < 128 ? alphabet.indexOf(char(ch.unicode())) : -1;
                QVERIFY2(digit >= 0, qPrintable(sas));
                decoded = decoded * 28 + quint32(digit);
            }
            const QByteArray h = Crypto::sha256(tag + form + "Short Authentication String");
            const quint32 low24
                = (quint32(quint8(h.at(29))) << 16) | (quint32(quint8(h.at(30))) << 8) | quint8(h.at(31));
            QCOMPARE(decoded, low24);
            padded += sas.startsWith(u'a') ? 1 : 0;
        }
        QVERIFY(padded > 0); // about 1 in 27 values is below 28^4
    }

    void flippedBitInIdentityIsRefused()
    {
        const AliceIdentity a = aliceIdentity();
        QVERIFY(!a.sealed.identity.isEmpty());
        for (int bit = 0; bit < int(a.sealed.identity.size()) * 8; ++bit) {
            BlockCounter counter = a.counter;
            const SealedIdentity tampered { flipBit(a.sealed.identity, bit), a.sealed.mac };
            QVERIFY2(!openIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, counter, tampered).has_value(),
                qPrintable(QString::number(bit)));
            QVERIFY(!verifyIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, counter, tampered, a.mac));
            QCOMPARE(counter, a.counter);
        }
        BlockCounter counter = a.counter;
        QVERIFY(verifyIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, counter, a.sealed, a.mac));
    }

    void flippedBitInMacIsRefused()
    {
        const AliceIdentity a = aliceIdentity();
        QVERIFY(!a.sealed.mac.isEmpty());
        for (int bit = 0; bit < int(a.sealed.mac.size()) * 8; ++bit) {
            BlockCounter counter = a.counter;
            const SealedIdentity tampered { a.sealed.identity, flipBit(a.sealed.mac, bit) };
            QVERIFY2(!openIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, counter, tampered).has_value(),
                qPrintable(QString::number(bit)));
            QCOMPARE(counter, a.counter);
        }
        const QList<QByteArray> wrongLengths
            = { {}, a.sealed.mac.left(16), a.sealed.mac.left(31), a.sealed.mac + '\0' };
        for (const QByteArray &mac : wrongLengths) {
            BlockCounter counter = a.counter;
            QVERIFY(
                !verifyIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, counter, { a.sealed.identity, mac }, a.mac));
            QCOMPARE(counter, a.counter);
        }
    }

    // Right bytes, wrong context: another counter value, the other direction's keys, a shortened identity.
    void identityOutOfContextIsRefused()
    {
        const AliceIdentity a = aliceIdentity();
        const QByteArray k0 = bytesOf(cases().value(0).value("outputs"_L1).toObject(), "K0"_L1);
        const KeySet bobKeys = deriveKeySet(Party::Responder, a.cipher, k0);

        BlockCounter next = a.counter;
        next.advance(1);
        BlockCounter flipped = a.counter.withTopBitFlipped();
        QVERIFY(!verifyIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, next, a.sealed, a.mac));
        QVERIFY(!verifyIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, flipped, a.sealed, a.mac));
        BlockCounter counter = a.counter;
        QVERIFY(!verifyIdentity(a.cipher, bobKeys.cipherKey, bobKeys.macKey, counter, a.sealed, a.mac));
        QVERIFY(!verifyIdentity(
            a.cipher, a.keys.cipherKey, a.keys.macKey, counter, { a.sealed.identity.left(16), a.sealed.mac }, a.mac));
        QCOMPARE(counter, a.counter);

        // M checks out but the identity is not the expected mac: openIdentity accepts, verifyIdentity must not.
        BlockCounter sealing = a.counter;
        const auto other = sealIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, sealing, flipBit(a.mac, 3));
        QVERIFY(other.has_value());
        BlockCounter opening = a.counter;
        QVERIFY(openIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, opening, *other).has_value());
        counter = a.counter;
        QVERIFY(!verifyIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, counter, *other, a.mac));
        QCOMPARE(counter, a.counter);
    }

    void nonceOrderMatters()
    {
        const QJsonObject vector = cases().value(0);
        const QJsonObject in = vector.value("inputs"_L1).toObject();
        const QJsonObject out = vector.value("outputs"_L1).toObject();
        const QByteArray nonceA = bytesOf(in, "N_A"_L1), nonceB = bytesOf(in, "N_B"_L1);
        QVERIFY(!nonceA.isEmpty() && nonceA != nonceB);
        const KeySet provisory = deriveKeySet(Party::Initiator, CtrCipher::Aes128, bytesOf(out, "K0"_L1));
        const KeySet final = deriveKeySet(Party::Responder, CtrCipher::Aes128, bytesOf(out, "K"_L1));
        const IdentityMacInput inA = initiatorMacInput(in, out);
        const IdentityMacInput inB = responderMacInput(in, out);
        const QByteArray macA = identityMac(Party::Initiator, provisory.sigmaKey, inA);
        const QByteArray macB = identityMac(Party::Responder, final.sigmaKey, inB);
        QCOMPARE(macA.toHex(), bytesOf(out, "mac_A"_L1).toHex());
        QCOMPARE(macB.toHex(), bytesOf(out, "mac_B"_L1).toHex());

        // The formulas spelt out: N_B first for mac_A, N_A first for mac_B.
        QCOMPARE(
            Crypto::hmacSha256(provisory.sigmaKey, nonceB + nonceA + inA.publicValue + inA.form + inA.form2), macA);
        QCOMPARE(Crypto::hmacSha256(final.sigmaKey, nonceA + nonceB + inB.publicValue + inB.form + inB.form2), macB);

        // Swapped nonces, or the other party's order, give another MAC.
        IdentityMacInput swappedA = inA;
        std::swap(swappedA.initiatorNonce, swappedA.responderNonce);
        QVERIFY(identityMac(Party::Initiator, provisory.sigmaKey, swappedA) != macA);
        QVERIFY(identityMac(Party::Responder, provisory.sigmaKey, inA) != macA);
        IdentityMacInput swappedB = inB;
        std::swap(swappedB.initiatorNonce, swappedB.responderNonce);
        QVERIFY(identityMac(Party::Responder, final.sigmaKey, swappedB) != macB);
        QVERIFY(identityMac(Party::Initiator, final.sigmaKey, inB) != macB);

        // A mac_A made with swapped nonces, sealed correctly, fails Bob's check (brief N18).
        BlockCounter sealing = counterOf(in, "C_A"_L1);
        const auto forged = sealIdentity(CtrCipher::Aes128, provisory.cipherKey, provisory.macKey, sealing,
            identityMac(Party::Initiator, provisory.sigmaKey, swappedA));
        QVERIFY(forged.has_value());
        BlockCounter receiving = counterOf(in, "C_A"_L1);
        QVERIFY(!verifyIdentity(CtrCipher::Aes128, provisory.cipherKey, provisory.macKey, receiving, *forged, macA));
    }

    void counterAdvance_data()
    {
        QTest::addColumn<int>("length");
        QTest::addColumn<int>("blocks");
        QTest::newRow("empty") << 0 << 0;
        QTest::newRow("1 byte") << 1 << 1;
        QTest::newRow("16 bytes") << 16 << 1;
        QTest::newRow("17 bytes") << 17 << 2;
        QTest::newRow("mac: 32 bytes") << 32 << 2;
        QTest::newRow("33 bytes") << 33 << 3;
        QTest::newRow("pubKey | sign: 300 bytes") << 300 << 19;
    }

    void counterAdvance()
    {
        QFETCH(int, length);
        QFETCH(int, blocks);
        const QByteArray key(16, char(0x42)), macKey(32, char(0x17));
        const QByteArray plaintext(length, char(0x5c));
        const struct
        {
            const char *what;
            BlockCounter start;
        } starts[] = {
            { "small", BlockCounter(0, 5) },
            { "carry into the high half", BlockCounter(0x0123456789abcdefULL, ~quint64(0)) },
            { "wrap at 2^128", BlockCounter(~quint64(0), ~quint64(0) - 1) },
        };
        for (const auto &start : starts) {
            BlockCounter counter = start.start;
            const auto sealed = sealIdentity(CtrCipher::Aes128, key, macKey, counter, plaintext);
            QVERIFY2(sealed.has_value(), start.what);
            BlockCounter expected = start.start;
            expected.advance(quint64(blocks));
            QVERIFY2(counter == expected, start.what);
            // Plain CTR from the starting block; M over the counter before encryption.
            QCOMPARE(sealed->identity, Crypto::aesCtr(CtrCipher::Aes128, key, start.start.block(), plaintext).value());
            QCOMPARE(sealed->mac, identityTag(macKey, start.start, sealed->identity));
            QCOMPARE(sealed->mac, Crypto::hmacSha256(macKey, start.start.mpi() + sealed->identity));

            BlockCounter opening = start.start;
            const auto opened = openIdentity(CtrCipher::Aes128, key, macKey, opening, *sealed);
            QVERIFY2(opened.has_value(), start.what);
            QCOMPARE(*opened, plaintext);
            QVERIFY2(opening == expected, start.what);
        }
    }

    // The identity blocks run on from C: block i of a 32-byte ID is AES-CTR at C + i, the second block included.
    void identityUsesTwoConsecutiveCounterValues()
    {
        const AliceIdentity a = aliceIdentity();
        BlockCounter second = a.counter;
        second.advance(1);
        const auto firstBlock = Crypto::aesCtr(a.cipher, a.keys.cipherKey, a.counter.block(), a.mac.left(16));
        const auto secondBlock = Crypto::aesCtr(a.cipher, a.keys.cipherKey, second.block(), a.mac.mid(16));
        QVERIFY(firstBlock && secondBlock);
        QCOMPARE((*firstBlock + *secondBlock).toHex(), a.sealed.identity.toHex());
        BlockCounter counter = a.counter;
        QVERIFY(verifyIdentity(a.cipher, a.keys.cipherKey, a.keys.macKey, counter, a.sealed, a.mac));
        BlockCounter expected = a.counter;
        expected.advance(2);
        QCOMPARE(counter, expected);
    }

    void badKeysAreRefused()
    {
        BlockCounter counter(0, 1);
        const QByteArray plaintext(32, 'p');
        QVERIFY(!sealIdentity(CtrCipher::Aes128, QByteArray(32, 'k'), QByteArray(32, 'm'), counter, plaintext));
        QVERIFY(!sealIdentity(CtrCipher::Aes256, QByteArray(16, 'k'), QByteArray(32, 'm'), counter, plaintext));
        QVERIFY(!sealIdentity(CtrCipher::Aes128, QByteArray(16, 'k'), QByteArray(), counter, plaintext));
        QCOMPARE(counter, BlockCounter(0, 1));
        QVERIFY(deriveKeySet(Party::Initiator, CtrCipher::Aes128, {}).cipherKey.isEmpty());
    }

    void keySetIsWipedAndMoveOnly()
    {
        static_assert(!std::is_copy_constructible_v<KeySet> && !std::is_copy_assignable_v<KeySet>);
        static_assert(std::is_nothrow_move_constructible_v<KeySet>);
        KeySet keys = deriveKeySet(Party::Responder, CtrCipher::Aes256, QByteArray(32, 'K'));
        QCOMPARE(int(keys.cipherKey.size()), 32);
        KeySet moved = std::move(keys);
        QVERIFY(keys.cipherKey.isEmpty() && keys.macKey.isEmpty()
            && keys.sigmaKey.isEmpty()); // NOLINT(bugprone-use-after-move)
        QCOMPARE(int(moved.macKey.size()), MacKeyLength);
        moved.wipe();
        QVERIFY(moved.cipherKey.isEmpty() && moved.macKey.isEmpty() && moved.sigmaKey.isEmpty());
    }
};

int main(int argc, char **argv)
{
    Crypto::Library crypto; // outlives every QCA object the tests create
    QCoreApplication app(argc, argv);
    TestEsessionKdf test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_esessionkdf.moc"
