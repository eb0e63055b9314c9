// Diffie-Hellman over the XEP-0116 MODP groups: the RFC primes checked against digests computed elsewhere,
// key agreement in every group, the private exponent's size, known answers from an independent
// implementation, and the peer-value checks (each refusal happens before the derive).
#include <QElapsedTimer>
#include <QTest>

#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"

using namespace Crypto;

Q_DECLARE_METATYPE(Crypto::ModpGroup)
Q_DECLARE_METATYPE(Crypto::DhError)

namespace {

// Byte-string arithmetic on unsigned big-endian integers, only to build test inputs (p-1, p+1, y+p, p-y):
// the code under test never sees these helpers.
QByteArray minimal(QByteArray a)
{
    while (!a.isEmpty() && a.front() == '\0')
        a.remove(0, 1);
    return a;
}

QByteArray add(const QByteArray &a, const QByteArray &b)
{
    const int n = int(std::max(a.size(), b.size())) + 1;
    QByteArray out(n, '\0');
    unsigned carry = 0;
    for (int i = 0; i < n; ++i) {
        const int ia = int(a.size()) - 1 - i;
        const int ib = int(b.size()) - 1 - i;
        unsigned sum = carry;
        sum += ia >= 0 ? static_cast<unsigned char>(a[ia]) : 0u;
        sum += ib >= 0 ? static_cast<unsigned char>(b[ib]) : 0u;
        out[n - 1 - i] = char(sum & 0xff);
        carry = sum >> 8;
    }
    return minimal(out);
}

// a - b for a >= b.
QByteArray subtract(const QByteArray &a, const QByteArray &b)
{
    QByteArray out = a;
    int borrow = 0;
    for (int i = 0; i < a.size(); ++i) {
        const int ia = int(a.size()) - 1 - i;
        const int ib = int(b.size()) - 1 - i;
        int diff = static_cast<unsigned char>(a[ia]) - borrow - (ib >= 0 ? static_cast<unsigned char>(b[ib]) : 0);
        borrow = diff < 0 ? 1 : 0;
        out[ia] = char(diff + 256 * borrow);
    }
    Q_ASSERT(borrow == 0);
    return minimal(out);
}

int compare(const QByteArray &a, const QByteArray &b)
{
    const QByteArray ma = minimal(a);
    const QByteArray mb = minimal(b);
    if (ma.size() != mb.size())
        return ma.size() < mb.size() ? -1 : 1;
    for (int i = 0; i < ma.size(); ++i) {
        const auto ca = static_cast<unsigned char>(ma[i]);
        const auto cb = static_cast<unsigned char>(mb[i]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return 0;
}

int bitLength(const QByteArray &a)
{
    const QByteArray m = minimal(a);
    if (m.isEmpty())
        return 0;
    int top = 8;
    while (!(static_cast<unsigned char>(m[0]) & (1u << (top - 1))))
        --top;
    return int(m.size() - 1) * 8 + top;
}

QByteArray one(char octet)
{
    return QByteArray(1, octet);
}

QByteArray prime(ModpGroup group)
{
    const auto p = modpPrime(group);
    if (!p)
        qFatal("no prime for group %d", modpGroupNumber(group));
    return *p;
}

DhKeyPair generateOrFail(ModpGroup group, int blockBits = 128)
{
    auto result = DhKeyPair::generate(group, blockBits);
    if (auto *error = std::get_if<DhError>(&result))
        qFatal("generate failed for group %d: %s", modpGroupNumber(group), qPrintable(dhErrorText(*error)));
    return std::move(std::get<DhKeyPair>(result));
}

QByteArray deriveOrFail(const DhKeyPair &key, const QByteArray &peer)
{
    auto result = key.deriveSharedSecret(peer);
    if (auto *error = std::get_if<DhError>(&result))
        qFatal("derive failed: %s", qPrintable(dhErrorText(*error)));
    return std::get<QByteArray>(result);
}

// A 512-bit private exponent from a label, built as the generator in knownAnswers_data() builds it.
QByteArray katExponent(const QString &label)
{
    return sha256((label + QStringLiteral("/1")).toUtf8()) + sha256((label + QStringLiteral("/2")).toUtf8());
}

// Fewer rounds for the big groups: an 8192-bit exponentiation with a full-size exponent costs tens of ms.
int iterationsFor(ModpGroup group)
{
    const int bits = modpPrimeBits(group);
    return bits <= 1024 ? 12 : bits <= 2048 ? 6 : bits <= 4096 ? 3 : 1;
}

void addGroupRows()
{
    QTest::addColumn<ModpGroup>("group");
    for (const ModpGroup group : allModpGroups())
        QTest::newRow(qPrintable(QStringLiteral("modp%1").arg(modpGroupNumber(group)))) << group;
}

} // namespace

class TestDiffieHellman : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void groupNumbersAndFieldValues()
    {
        const QList<ModpGroup> expected = {ModpGroup::Group18, ModpGroup::Group17, ModpGroup::Group16, ModpGroup::Group15,
                                           ModpGroup::Group14, ModpGroup::Group5,  ModpGroup::Group2,  ModpGroup::Group1};
        QCOMPARE(allModpGroups(), expected);
        for (const int number : {1, 2, 5, 14, 15, 16, 17, 18}) {
            const auto group = modpGroupFromNumber(number);
            QVERIFY(group.has_value());
            QCOMPARE(modpGroupNumber(*group), number);
            QCOMPARE(modpFieldValue(*group), QString::number(number));
            QCOMPARE(modpGroupFromFieldValue(QString::number(number)), group);
        }
        // 3 and 4 are elliptic-curve groups in RFC 2409: never a MODP group here, whatever XEP-0116 lists.
        for (const int number : {-14, 0, 3, 4, 6, 13, 19, 24})
            QVERIFY(!modpGroupFromNumber(number));
        for (const char *value : {"", "3", "4", "014", "+14", "-14", " 14", "14 ", "1.0", "0x0e", "141", "fourteen"})
            QVERIFY2(!modpGroupFromFieldValue(QString::fromLatin1(value)), value);
        QVERIFY(!modpGroupFromFieldValue(QStringLiteral("\u0661\u0664"))); // Arabic-Indic "14"
        // The options of the XEP-0116/XEP-0217 request examples.
        for (const char *value : {"5", "14", "2", "1"})
            QVERIFY(modpGroupFromFieldValue(QString::fromLatin1(value)));
        QCOMPARE(modpGenerator, 2);
    }

    void primes_data()
    {
        QTest::addColumn<ModpGroup>("group");
        QTest::addColumn<int>("bits");
        QTest::addColumn<QByteArray>("digest");
        // SHA-256 of each prime's big-endian octets. Computed with Python from the RFCs' formula
        // p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k), pi from Machin's formula in integer
        // arithmetic (k: 149686, 129093 in RFC 2409 §6.1/6.2; 741804, 124476, 1690314, 240904, 929484, 4743158
        // in RFC 3526 §2-7), then compared with OpenSSL's BN_get_rfc2409_prime_768/1024 and
        // BN_get_rfc3526_prime_1536…8192 (equal), and p and (p-1)/2 both declared prime by `openssl prime`.
        QTest::newRow("modp1") << ModpGroup::Group1 << 768
                               << QByteArray::fromHex("b52ba6a3026520a6c49d37e4587601801bee500123b3259b6bf03e7cecc3e63d");
        QTest::newRow("modp2") << ModpGroup::Group2 << 1024
                               << QByteArray::fromHex("3f35a3f5f6c4376a744acad409bb22f8d897f949d2311d885adaa890981b67a0");
        QTest::newRow("modp5") << ModpGroup::Group5 << 1536
                               << QByteArray::fromHex("64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b");
        QTest::newRow("modp14") << ModpGroup::Group14 << 2048
                                << QByteArray::fromHex("d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e");
        QTest::newRow("modp15") << ModpGroup::Group15 << 3072
                                << QByteArray::fromHex("48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c");
        QTest::newRow("modp16") << ModpGroup::Group16 << 4096
                                << QByteArray::fromHex("4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33");
        QTest::newRow("modp17") << ModpGroup::Group17 << 6144
                                << QByteArray::fromHex("d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd");
        QTest::newRow("modp18") << ModpGroup::Group18 << 8192
                                << QByteArray::fromHex("39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf");
    }

    void primes()
    {
        QFETCH(ModpGroup, group);
        QFETCH(int, bits);
        QFETCH(QByteArray, digest);
        QCOMPARE(modpPrimeBits(group), bits);
        const QByteArray p = prime(group);
        QCOMPARE(int(p.size()) * 8, bits);
        QCOMPARE(sha256(p).toHex(), digest.toHex());
        // The shape every one of these primes has: 64 one bits at both ends, pi's digits in between.
        QVERIFY(p.startsWith(QByteArray::fromHex("ffffffffffffffffc90fdaa22168c234")));
        QVERIFY(p.endsWith(QByteArray(8, '\xff')));
        // g = 2 must lie in the subgroup of order q = (p-1)/2: 2^q == 1 (mod p), which the peer-value check
        // computes. It holds because p == 7 (mod 8) makes 2 a quadratic residue; it is also a base-2 Euler
        // probable-prime test of p, so a corrupted digit would most likely be caught here as well.
        QCOMPARE(peerValueError(group, one('\x02')), std::nullopt);
    }

    void keyAgreement_data()
    {
        addGroupRows();
    }

    void keyAgreement()
    {
        QFETCH(ModpGroup, group);
        const QByteArray p = prime(group);
        const QByteArray pMinus1 = subtract(p, one('\x01'));
        qint64 generateNs = 0;
        qint64 deriveNs = 0;
        const int iterations = iterationsFor(group);
        for (int i = 0; i < iterations; ++i) {
            QElapsedTimer timer;
            timer.start();
            const DhKeyPair alice = generateOrFail(group);
            generateNs += timer.nsecsElapsed();
            const DhKeyPair bob = generateOrFail(group);
            QCOMPARE(alice.group(), group);

            for (const DhKeyPair *key : {&alice, &bob}) {
                const QByteArray e = key->publicValue();
                QVERIFY(!e.isEmpty());
                QVERIFY(e.front() != '\0'); // an MPI
                QVERIFY(compare(e, one('\x01')) > 0); // 1 < e < p-1
                QVERIFY(compare(e, pMinus1) < 0);
                QCOMPARE(peerValueError(group, e), std::nullopt); // and in the prime-order subgroup
                QVERIFY(key->privateExponentBits() > 2 * 128 - 1);
                QVERIFY(key->privateExponentBits() <= modpPrimeBits(group));
            }
            QVERIFY(alice.publicValue() != bob.publicValue());

            timer.restart();
            const QByteArray kAlice = deriveOrFail(alice, bob.publicValue());
            deriveNs += timer.nsecsElapsed();
            const QByteArray kBob = deriveOrFail(bob, alice.publicValue());
            QCOMPARE(kAlice, kBob);
            QVERIFY(!kAlice.isEmpty());
            QVERIFY(kAlice.front() != '\0');
            QVERIFY(compare(kAlice, p) < 0);
            QCOMPARE(alice.derivationCount(), 1);
        }
        // deriveSharedSecret includes the peer-value check, itself one exponentiation.
        qInfo("modp%d: generate %.2f ms, check + derive %.2f ms (mean of %d)", modpGroupNumber(group),
              double(generateNs) / iterations / 1e6, double(deriveNs) / iterations / 1e6, iterations);
    }

    void exponentSize_data()
    {
        QTest::addColumn<ModpGroup>("group");
        QTest::addColumn<int>("blockBits");
        QTest::addColumn<int>("keys");
        QTest::newRow("modp1 n=128") << ModpGroup::Group1 << 128 << 300;
        QTest::newRow("modp1 n=256") << ModpGroup::Group1 << 256 << 100;
        QTest::newRow("modp14 n=128") << ModpGroup::Group14 << 128 << 40;
        QTest::newRow("modp15 n=128") << ModpGroup::Group15 << 128 << 10;
    }

    void exponentSize()
    {
        QFETCH(ModpGroup, group);
        QFETCH(int, blockBits);
        QFETCH(int, keys);
        int smallest = modpPrimeBits(group);
        int largest = 0;
        for (int i = 0; i < keys; ++i) {
            const DhKeyPair key = generateOrFail(group, blockBits);
            // x > 2^(2n-1) (XEP-0116), so at least 2n bits.
            QVERIFY(key.privateExponentBits() >= 2 * blockBits);
            smallest = std::min(smallest, key.privateExponentBits());
            largest = std::max(largest, key.privateExponentBits());
        }
        // Drawn from the whole interval up to p-1, not a short exponent: OpenSSL's own generator gives ~225
        // bits for the 2048-bit group. With uniform x the chance that all keys have 8 or more bits fewer than
        // p is 2^-(8 * keys).
        QVERIFY2(largest > modpPrimeBits(group) - 8, qPrintable(QString::number(largest)));
        qInfo("x bits over %d keys: %d … %d", keys, smallest, largest);
    }

    void blockSizeLimits()
    {
        // 2^(2n-1) < x < p-1 needs 2n below the size of p.
        QCOMPARE(std::get<DhError>(DhKeyPair::generate(ModpGroup::Group1, 384)), DhError::InvalidBlockSize);
        QCOMPARE(std::get<DhError>(DhKeyPair::generate(ModpGroup::Group1, 0)), DhError::InvalidBlockSize);
        QCOMPARE(std::get<DhError>(DhKeyPair::generate(ModpGroup::Group1, -128)), DhError::InvalidBlockSize);
        QVERIFY(std::holds_alternative<DhKeyPair>(DhKeyPair::generate(ModpGroup::Group1, 383)));
        QCOMPARE(std::get<DhError>(DhKeyPair::generate(static_cast<ModpGroup>(3))), DhError::NoDhSupport);
    }

    void privateExponentRange()
    {
        const ModpGroup group = ModpGroup::Group1;
        const QByteArray p = prime(group);
        const QByteArray twoTo255 = one('\x80') + QByteArray(31, '\0');
        auto error = [&](const QByteArray &x) -> std::optional<DhError> {
            auto result = DhKeyPair::fromPrivateExponent(group, x);
            if (auto *e = std::get_if<DhError>(&result))
                return *e;
            return std::nullopt;
        };
        QCOMPARE(error(twoTo255), DhError::InvalidPrivateExponent);
        QCOMPARE(error(subtract(twoTo255, one('\x01'))), DhError::InvalidPrivateExponent);
        QCOMPARE(error(add(twoTo255, one('\x01'))), std::nullopt);
        QCOMPARE(error(subtract(p, one('\x02'))), std::nullopt);
        QCOMPARE(error(subtract(p, one('\x01'))), DhError::InvalidPrivateExponent);
        QCOMPARE(error(p), DhError::InvalidPrivateExponent);
        QCOMPARE(error(add(p, one('\x01'))), DhError::InvalidPrivateExponent);
        QCOMPARE(error(QByteArray()), DhError::InvalidPrivateExponent);
        QCOMPARE(error(one('\0') + add(twoTo255, one('\x01'))), DhError::InvalidPrivateExponent);
        QCOMPARE(error(one('\x02')), DhError::InvalidPrivateExponent);
        // n = 256 moves the floor to 2^511.
        auto n256 = DhKeyPair::fromPrivateExponent(group, add(twoTo255, one('\x01')), 256);
        QCOMPARE(std::get<DhError>(n256), DhError::InvalidPrivateExponent);
    }

    void knownAnswers_data()
    {
        QTest::addColumn<ModpGroup>("group");
        QTest::addColumn<int>("bobLabel");
        QTest::addColumn<int>("kOctets");
        QTest::addColumn<QByteArray>("eAliceDigest");
        QTest::addColumn<QByteArray>("eBobDigest");
        QTest::addColumn<QByteArray>("kDigest");
        // Python 3 (pow() over the RFC-formula primes, see primes_data), not this code base:
        //   x_A = SHA256("sotto-dh-kat/alice/<group>/1") || SHA256("…/2"), as an integer
        //   x_B = the same with "sotto-dh-kat/bob/<group>/<label>", label = the first whose K = g^(x_A x_B) mod p
        //         has a zero top octet (so its MPI is shorter than p), labels whose x_B starts with 0x00 skipped
        //   digests: SHA-256 of the MPIs of e_A = g^x_A, e_B = g^x_B and K.
        // Every vector therefore also checks that K loses its leading zero octet. To regenerate:
        //   import hashlib
        //   def pi(bits):  # floor(pi * 2^bits), Machin's formula, 64 guard bits
        //       one = 1 << (bits + 64)
        //       def atan(x):
        //           s, t, k = 0, one // x, 0
        //           while t: s, t, k = s + (-1) ** k * (t // (2 * k + 1)), t // (x * x), k + 1
        //           return s
        //       return (16 * atan(5) - 4 * atan(239)) >> 64
        //   K_ = {1: 149686, 2: 129093, 5: 741804, 14: 124476, 15: 1690314, 16: 240904, 17: 929484, 18: 4743158}
        //   N_ = {1: 768, 2: 1024, 5: 1536, 14: 2048, 15: 3072, 16: 4096, 17: 6144, 18: 8192}
        //   prime = lambda g: 2**N_[g] - 2**(N_[g] - 64) - 1 + 2**64 * (pi(N_[g] - 130) + K_[g])
        //   mpi = lambda n: n.to_bytes((n.bit_length() + 7) // 8, 'big')
        //   sha = lambda b: hashlib.sha256(b).digest()
        //   x = lambda label: sha((label + '/1').encode()) + sha((label + '/2').encode())
        //   (then as described above, with pow(2, x, p) and pow(e, x, p))
        const struct
        {
            ModpGroup group;
            int label;
            int kOctets;
            const char *eA, *eB, *k;
        } vectors[] = {
            {ModpGroup::Group1, 583, 95, "ac0fbf8e0afa749ee8f18498559ac6452d50f7243a30121103a6f0e6e2c3ebcc",
             "c38384bc9a4878deb60eb29ab6af341bf3d1136a53b61572af90e3be2ab57693",
             "b1990fba2ea1dbe595744e5a08b0a13d9421eff7e3a79c5ad421fa85b6b1a5b7"},
            {ModpGroup::Group2, 82, 127, "d5c5a56a4f4b6c589ebd67c9a720612568b061623344c5806adc1b0df9092612",
             "929a4bed2d6fbd31e573c9e48f67b9293f51bab4210936cfa69f63a9b2d79435",
             "2ad2526d66415dfff7e41542bb4c9fb2928876f89db44d7f5f76e98035d90d5c"},
            {ModpGroup::Group5, 177, 191, "0395fbbaafa5849e18fd3eddbc0ad14c6300c42acb82723a1c1a5c0120b35534",
             "7855caa88ac66ea0ba67de4239b64ef02001fc9a59b646ea89acff9b8d5c471b",
             "04bdd4d2993201c456d4f544261804d5eb6564cdb30f30e4e4c3eda68367bed2"},
            {ModpGroup::Group14, 226, 255, "d5a2d7bf516719ad0787106bd3cc853621942d972df6f21e538cd6cfb1ea6e64",
             "9b46a3030f1e42dfb0f07734189ba1c1bb022a859e809f01cdfb09645b138842",
             "cdc57ec4227bce85420fb2f5d3eecc91a882afb6d841805cf73107ae13bc7b28"},
            {ModpGroup::Group15, 74, 383, "5bfec7723f2d251e740a0c63345fccefd2c8ae7d21927b91ab564b095f9fc333",
             "eecdf983896af385b02715dadcbdf82416e5433f0c54402a5fc056ad631feb8b",
             "b331d282d1ce07b8ad849e2262421bd526368e81fd098adc77cafd595da124e7"},
            {ModpGroup::Group16, 28, 511, "7f8fd0cd65ce20156936f1c4e6e02609061fb133b86d73fc095439b023b6349f",
             "1b841e059bc17e61bac5a0452894b2e2641a116a2bc3ebb5c5c97537e264da58",
             "ea53822cde4d0095b68a41959b00a26e3e9fc610f0c8f0b7d65aca6295f726d9"},
            {ModpGroup::Group17, 178, 767, "414963ef8f03b9d5c1a0db3884dfd2b7ed02153af176df57883b2a1c19e79f76",
             "8751b105ac2ebbcf459c266926ba04225dff4f10eab2ee65e7cc52a2834c63b9",
             "3237da5e3aa0121c0fd5a32ff8c944bab1058115a853b6380b2a944ec7e4b93a"},
            {ModpGroup::Group18, 353, 1023, "c2fd9d4c35580cb4cc0b10e9788b3a0a0c329491bff529c8f7e8d41044118c42",
             "900c01c2e10815c04285e92bedf8b01443d0f7af0f79fca4e40333b991b58f6d",
             "865f72b06ac37d5f540b472b8d297ac1fdb61a2e5e3ead77c6e09918f40de5db"},
        };
        for (const auto &v : vectors) {
            QTest::newRow(qPrintable(QStringLiteral("modp%1").arg(modpGroupNumber(v.group))))
                << v.group << v.label << v.kOctets << QByteArray::fromHex(v.eA) << QByteArray::fromHex(v.eB)
                << QByteArray::fromHex(v.k);
        }
    }

    void knownAnswers()
    {
        QFETCH(ModpGroup, group);
        QFETCH(int, bobLabel);
        QFETCH(int, kOctets);
        QFETCH(QByteArray, eAliceDigest);
        QFETCH(QByteArray, eBobDigest);
        QFETCH(QByteArray, kDigest);
        const int number = modpGroupNumber(group);
        const QByteArray xA = katExponent(QStringLiteral("sotto-dh-kat/alice/%1").arg(number));
        const QByteArray xB = katExponent(QStringLiteral("sotto-dh-kat/bob/%1/%2").arg(number).arg(bobLabel));
        auto aliceResult = DhKeyPair::fromPrivateExponent(group, xA);
        auto bobResult = DhKeyPair::fromPrivateExponent(group, xB);
        QVERIFY(std::holds_alternative<DhKeyPair>(aliceResult));
        QVERIFY(std::holds_alternative<DhKeyPair>(bobResult));
        const DhKeyPair &alice = std::get<DhKeyPair>(aliceResult);
        const DhKeyPair &bob = std::get<DhKeyPair>(bobResult);
        QCOMPARE(alice.privateExponentBits(), bitLength(xA));
        QCOMPARE(sha256(alice.publicValue()).toHex(), eAliceDigest.toHex());
        QCOMPARE(sha256(bob.publicValue()).toHex(), eBobDigest.toHex());
        const QByteArray k = deriveOrFail(alice, bob.publicValue());
        QCOMPARE(deriveOrFail(bob, alice.publicValue()), k);
        QCOMPARE(int(k.size()), kOctets);
        QVERIFY(int(k.size()) < modpPrimeBits(group) / 8); // the zero top octet is gone, not kept as padding
        QVERIFY(k.front() != '\0');
        QCOMPARE(sha256(k).toHex(), kDigest.toHex());
    }

    void sharedSecretsWithoutLeadingZero()
    {
        // Random keys until K's top octet would have been zero (1 in 256 per derive in the 768-bit group).
        const DhKeyPair alice = generateOrFail(ModpGroup::Group1);
        int shortOnes = 0;
        int derives = 0;
        for (; derives < 4000 && shortOnes < 2; ++derives) {
            const DhKeyPair bob = generateOrFail(ModpGroup::Group1);
            const QByteArray k = deriveOrFail(alice, bob.publicValue());
            QVERIFY(k.front() != '\0');
            QCOMPARE(deriveOrFail(bob, alice.publicValue()), k);
            if (k.size() < 768 / 8)
                ++shortOnes;
        }
        QVERIFY2(shortOnes == 2, qPrintable(QStringLiteral("%1 short in %2 derives").arg(shortOnes).arg(derives)));
    }

    void refusesInvalidPeerValues_data()
    {
        addGroupRows();
    }

    void refusesInvalidPeerValues()
    {
        QFETCH(ModpGroup, group);
        const QByteArray p = prime(group);
        const DhKeyPair mine = generateOrFail(group);
        const DhKeyPair peer = generateOrFail(group);
        const QByteArray y = peer.publicValue();
        const QByteArray pMinus1 = subtract(p, one('\x01'));

        const struct
        {
            const char *name;
            QByteArray value;
            QList<DhError> expected; // a value may be refused for more than one reason (y+p: length or range)
        } refused[] = {
            {"empty", QByteArray(), {DhError::EmptyValue}},
            {"0 as one zero octet", one('\0'), {DhError::NonMinimalEncoding}},
            {"1", one('\x01'), {DhError::OutOfRange}},
            {"p-1", pMinus1, {DhError::OutOfRange}},
            {"p", p, {DhError::OutOfRange}},
            {"p+1", add(p, one('\x01')), {DhError::OutOfRange}},
            {"p+2 (2 plus p)", add(p, one('\x02')), {DhError::OutOfRange}},
            {"y+p", add(y, p), {DhError::OutOfRange, DhError::ValueTooLong}},
            {"2^bits-1", QByteArray(int(p.size()), '\xff'), {DhError::OutOfRange}},
            {"one octet longer than p", one('\x01') + QByteArray(int(p.size()), '\0'), {DhError::ValueTooLong}},
            {"10 kB", QByteArray(10 * 1024, '\x5a'), {DhError::ValueTooLong}},
            {"y with a leading zero octet", one('\0') + y, {DhError::NonMinimalEncoding}},
            // Quadratic non-residues, in range, so only the subgroup check can catch them. Every p here is a
            // safe prime with p == 3 (mod 4): q = (p-1)/2 is odd, so (-1)^q = -1 and -1 is a non-residue.
            // y = g^x is a residue (y^q = 1), hence (p-y)^q = (-1)^q * y^q = -1: p-y is a non-residue.
            // Likewise p-2 = -2, since g = 2 itself is a residue (2^q = 1, checked in primes()).
            {"p-y (non-residue)", subtract(p, y), {DhError::NotInSubgroup}},
            {"p-2 (non-residue)", subtract(p, one('\x02')), {DhError::NotInSubgroup}},
        };
        for (const auto &c : refused) {
            const auto error = peerValueError(group, c.value);
            QVERIFY2(error && c.expected.contains(*error),
                     qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(c.name),
                                                             error ? dhErrorText(*error) : QStringLiteral("accepted"))));
            auto derived = mine.deriveSharedSecret(c.value);
            QVERIFY2(std::holds_alternative<DhError>(derived), c.name);
            QCOMPARE(std::get<DhError>(derived), *error);
            // checkPeerValue() runs the same checks: no checked value comes out of a refused one.
            const auto checked = checkPeerValue(group, c.value);
            QVERIFY2(std::holds_alternative<DhError>(checked), c.name);
            QCOMPARE(std::get<DhError>(checked), *error);
        }
        // None of them reached the derive with the private exponent.
        QCOMPARE(mine.derivationCount(), 0);

        // The accepted edges and the real value.
        QCOMPARE(peerValueError(group, one('\x02')), std::nullopt);
        QCOMPARE(peerValueError(group, y), std::nullopt);
        QCOMPARE(peerValueError(group, one('\x04')), std::nullopt); // 2^2
        const QByteArray k = deriveOrFail(mine, y);
        QCOMPARE(mine.derivationCount(), 1);
        QCOMPARE(deriveOrFail(peer, mine.publicValue()), k);

        // A checked value derives the same K, once, without a second check.
        const auto checked = checkPeerValue(group, y);
        QVERIFY(std::holds_alternative<CheckedPeerValue>(checked));
        QCOMPARE(std::get<CheckedPeerValue>(checked).group(), group);
        QCOMPARE(std::get<CheckedPeerValue>(checked).bytes(), y);
        const auto viaChecked = mine.deriveSharedSecret(std::get<CheckedPeerValue>(checked));
        QVERIFY(std::holds_alternative<QByteArray>(viaChecked));
        QCOMPARE(std::get<QByteArray>(viaChecked), k);
        QCOMPARE(mine.derivationCount(), 2);
    }

    // A value checked for one group proves nothing in another: a key of another group checks it again.
    void checkedValueOfAnotherGroupIsCheckedAgain()
    {
        const DhKeyPair small = generateOrFail(ModpGroup::Group1);
        const DhKeyPair large = generateOrFail(ModpGroup::Group2);
        // Accepted in group 2 and longer than group 1's prime.
        const auto checked = checkPeerValue(ModpGroup::Group2, large.publicValue());
        QVERIFY(std::holds_alternative<CheckedPeerValue>(checked));
        const auto derived = small.deriveSharedSecret(std::get<CheckedPeerValue>(checked));
        QVERIFY(std::holds_alternative<DhError>(derived));
        QCOMPARE(std::get<DhError>(derived), DhError::ValueTooLong);
        // 7 is a quadratic residue modulo group 2's prime and a non-residue modulo group 1's (Euler's criterion,
        // computed independently in Python): in range in both, so only group 1's subgroup check can refuse it.
        const auto seven = checkPeerValue(ModpGroup::Group2, one('\x07'));
        QVERIFY(std::holds_alternative<CheckedPeerValue>(seven));
        QCOMPARE(peerValueError(ModpGroup::Group1, one('\x07')), std::optional(DhError::NotInSubgroup));
        const auto refused = small.deriveSharedSecret(std::get<CheckedPeerValue>(seven));
        QVERIFY(std::holds_alternative<DhError>(refused));
        QCOMPARE(std::get<DhError>(refused), DhError::NotInSubgroup);
        QCOMPARE(small.derivationCount(), 0);
    }

    void movedFromKeyRefusesWork()
    {
        DhKeyPair key = generateOrFail(ModpGroup::Group1);
        const QByteArray e = key.publicValue();
        DhKeyPair moved = std::move(key);
        QCOMPARE(moved.publicValue(), e);
        QVERIFY(key.publicValue().isEmpty()); // NOLINT(bugprone-use-after-move): the documented state
        QCOMPARE(std::get<DhError>(key.deriveSharedSecret(e)), DhError::DeriveFailed);
        const auto checked = checkPeerValue(ModpGroup::Group1, e);
        QVERIFY(std::holds_alternative<CheckedPeerValue>(checked));
        QCOMPARE(std::get<DhError>(key.deriveSharedSecret(std::get<CheckedPeerValue>(checked))), DhError::DeriveFailed);
        QCOMPARE(key.privateExponentBits(), 0);
    }
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestDiffieHellman test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_diffiehellman.moc"
