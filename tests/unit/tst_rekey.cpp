// XEP-0200 re-keying: two engines back to back re-keying mid-conversation (one side, both, crossing,
// several unconfirmed), the formulas recomputed with raw OpenSSL, forward secrecy across a re-key,
// publication of expired MAC keys, and every refused <key/>.
#include <QDomDocument>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTest>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"
#include "esession/Constants.h"
#include "esession/StanzaCipher.h"

using namespace Esession;
using Crypto::DhKeyPair;
using Crypto::ModpGroup;

namespace {

constexpr ModpGroup Group = ModpGroup::Group14;
const BlockCounter InitialCounter(0x0011223344556677ULL, 0x8899aabbccddeeffULL);

std::shared_ptr<const DhKeyPair> freshKey()
{
    auto key = DhKeyPair::generate(Group);
    if (!std::holds_alternative<DhKeyPair>(key))
        qFatal("DH key generation failed");
    return std::make_shared<const DhKeyPair>(std::move(std::get<DhKeyPair>(key)));
}

// A key whose private exponent the test knows, so K can be recomputed without the engine.
std::shared_ptr<const DhKeyPair> knownKey(const QByteArray &x)
{
    auto key = DhKeyPair::fromPrivateExponent(Group, x);
    if (!std::holds_alternative<DhKeyPair>(key))
        qFatal("DH key import failed");
    return std::make_shared<const DhKeyPair>(std::move(std::get<DhKeyPair>(key)));
}

struct Session
{
    CipherParameters aliceInitial; // without the DH part, for the "stale copy" of an eavesdropper
    std::shared_ptr<const DhKeyPair> aliceKey, bobKey;
    std::unique_ptr<StanzaCipher> alice, bob;
};

Session makeSession(quint32 aliceFrequency = 1, quint32 bobFrequency = 1,
                    std::shared_ptr<const DhKeyPair> bobKey = nullptr)
{
    Session s;
    s.aliceKey = freshKey();
    s.bobKey = bobKey ? std::move(bobKey) : freshKey();
    CipherParameters a;
    a.send = {Crypto::randomBytes(16), Crypto::randomBytes(32), InitialCounter};
    a.receive = {Crypto::randomBytes(16), Crypto::randomBytes(32), InitialCounter.withTopBitFlipped()};
    s.aliceInitial = a;
    CipherParameters b = a;
    std::swap(b.send, b.receive);
    a.rekey = RekeyParameters{s.aliceKey, s.bobKey->publicValue(), aliceFrequency};
    b.rekey = RekeyParameters{s.bobKey, s.aliceKey->publicValue(), bobFrequency};
    s.alice = std::make_unique<StanzaCipher>(a);
    s.bob = std::make_unique<StanzaCipher>(b);
    return s;
}

QDomElement seal(StanzaCipher &cipher, QDomDocument &doc, const QByteArray &content)
{
    auto result = cipher.encrypt(doc, content);
    if (!std::holds_alternative<QDomElement>(result))
        qFatal("encrypt failed: %s", qPrintable(cipherErrorCode(std::get<CipherError>(result))));
    return std::get<QDomElement>(result);
}

QStringList childNames(const QDomElement &c)
{
    QStringList names;
    for (QDomElement e = c.firstChildElement(); !e.isNull(); e = e.nextSiblingElement())
        names << e.localName();
    return names;
}

QByteArray content(int i)
{
    const int size = int(QRandomGenerator::global()->bounded(600));
    return "<body>" + QByteArray::number(i) + ' ' + QByteArray(size, 'x') + "</body>";
}

// Raw OpenSSL, not the engine's helpers: HMAC-SHA-256, AES-CTR and y^x mod p.
QByteArray rawHmac(const QByteArray &key, const QByteArray &data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.constData(), int(key.size()), reinterpret_cast<const unsigned char *>(data.constData()),
         size_t(data.size()), out, &length);
    return QByteArray(reinterpret_cast<const char *>(out), int(length));
}

QByteArray rawAesCtr(const QByteArray &key, const QByteArray &iv, const QByteArray &data)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    QByteArray out(data.size(), '\0');
    int length = 0;
    EVP_EncryptInit_ex(ctx, key.size() == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(), nullptr,
                       reinterpret_cast<const unsigned char *>(key.constData()),
                       reinterpret_cast<const unsigned char *>(iv.constData()));
    EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char *>(out.data()), &length,
                      reinterpret_cast<const unsigned char *>(data.constData()), int(data.size()));
    EVP_CIPHER_CTX_free(ctx);
    return out;
}

QByteArray rawModExp(const QByteArray &base, const QByteArray &exponent)
{
    const QByteArray prime = *Crypto::modpPrime(Group);
    auto bn = [](const QByteArray &bytes) {
        return BN_bin2bn(reinterpret_cast<const unsigned char *>(bytes.constData()), int(bytes.size()), nullptr);
    };
    BIGNUM *b = bn(base), *e = bn(exponent), *p = bn(prime), *r = BN_new();
    BN_CTX *ctx = BN_CTX_new();
    BN_mod_exp(r, b, e, p, ctx);
    QByteArray out(BN_num_bytes(r), '\0');
    BN_bn2bin(r, reinterpret_cast<unsigned char *>(out.data()));
    BN_free(b);
    BN_free(e);
    BN_free(p);
    BN_free(r);
    BN_CTX_free(ctx);
    return out; // minimal big-endian: BN_bn2bin writes no leading zero octet
}

// A <c/> that carries only <key>value</key>, MACed with @p macKey at @p counter: valid except for the value.
QDomElement handMadeKeyStanza(QDomDocument &doc, const QByteArray &macKey, const BlockCounter &counter,
                              const QString &keyText)
{
    QDomElement c = doc.createElementNS(Xep0200::Namespace, Xep0200::CElement);
    QDomElement key = doc.createElementNS(Xep0200::Namespace, Xep0200::Key);
    key.appendChild(doc.createTextNode(keyText));
    c.appendChild(key);
    QDomElement mac = doc.createElementNS(Xep0200::Namespace, Xep0200::Mac);
    mac.appendChild(doc.createTextNode(
        QString::fromLatin1(rawHmac(macKey, StanzaCipher::macInput(c, counter)).toBase64())));
    c.appendChild(mac);
    return c;
}

} // namespace

class TestRekey : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rekeyMidConversationLosesNothing()
    {
        Session s = makeSession();
        QDomDocument doc;
        int keysSeen = 0;
        for (int i = 0; i < 240; ++i) {
            const bool fromAlice = i % 3 != 2;
            StanzaCipher &sender = fromAlice ? *s.alice : *s.bob;
            StanzaCipher &receiver = fromAlice ? *s.bob : *s.alice;
            if (i == 40 || i == 100)
                QVERIFY(s.alice->requestRekey());
            if (i == 70 || i == 100 || i == 104) // 100: Alice's and Bob's re-keys one stanza apart
                QVERIFY(s.bob->requestRekey());
            const QByteArray m = content(i);
            const QDomElement c = seal(sender, doc, m);
            keysSeen += childNames(c).count(Xep0200::Key);
            auto opened = receiver.decrypt(c);
            if (!std::holds_alternative<QByteArray>(opened))
                QFAIL(qPrintable(QStringLiteral("stanza %1: %2").arg(i).arg(cipherErrorCode(std::get<CipherError>(opened)))));
            QCOMPARE(std::get<QByteArray>(opened), m);
        }
        QCOMPARE(keysSeen, 5);
        QCOMPARE(s.alice->rekeyCount(), 5);
        QCOMPARE(s.bob->rekeyCount(), 5);
        QCOMPARE(s.alice->pendingReceiveSets(), 1);
        QCOMPARE(s.bob->pendingReceiveSets(), 1);
        // Counters carry on across re-keys (they are never reset).
        QCOMPARE(s.alice->sendCounter(), s.bob->receiveCounter());
        QCOMPARE(s.bob->sendCounter(), s.alice->receiveCounter());
    }

    void crossingRekeysInFlight()
    {
        Session s = makeSession();
        QDomDocument doc;
        QVERIFY(s.alice->requestRekey());
        QVERIFY(s.bob->requestRekey());
        // Both <key/> stanzas are on the wire at once, plus one more each before anything arrives.
        const QDomElement a1 = seal(*s.alice, doc, "<body>a1</body>");
        const QDomElement a2 = seal(*s.alice, doc, "<body>a2</body>");
        const QDomElement b1 = seal(*s.bob, doc, "<body>b1</body>");
        const QDomElement b2 = seal(*s.bob, doc, "<body>b2</body>");
        QVERIFY(childNames(a1).contains(Xep0200::Key));
        QVERIFY(childNames(b1).contains(Xep0200::Key));
        QCOMPARE(std::get<QByteArray>(s.bob->decrypt(a1)), QByteArray("<body>a1</body>"));
        QCOMPARE(std::get<QByteArray>(s.bob->decrypt(a2)), QByteArray("<body>a2</body>"));
        QCOMPARE(std::get<QByteArray>(s.alice->decrypt(b1)), QByteArray("<body>b1</body>"));
        QCOMPARE(std::get<QByteArray>(s.alice->decrypt(b2)), QByteArray("<body>b2</body>"));
        // Each side now answers with <new>1</new> and the conversation goes on.
        for (int i = 0; i < 6; ++i) {
            const QByteArray m = content(i);
            StanzaCipher &sender = i % 2 ? *s.alice : *s.bob;
            StanzaCipher &receiver = i % 2 ? *s.bob : *s.alice;
            const QDomElement c = seal(sender, doc, m);
            if (i < 2)
                QCOMPARE(c.firstChildElement(Xep0200::New).text(), QStringLiteral("1"));
            auto opened = receiver.decrypt(c);
            QVERIFY(std::holds_alternative<QByteArray>(opened));
            QCOMPARE(std::get<QByteArray>(opened), m);
        }
        QCOMPARE(s.alice->pendingReceiveSets(), 1);
        QCOMPARE(s.bob->pendingReceiveSets(), 1);
    }

    void severalUnconfirmedRekeys()
    {
        Session s = makeSession();
        QDomDocument doc;
        // Bob writes before any of Alice's keys reach him: she must still open it with her oldest set.
        const QDomElement early = seal(*s.bob, doc, "<body>early</body>");
        QList<QDomElement> fromAlice;
        for (int i = 0; i < 3; ++i) {
            QVERIFY(s.alice->requestRekey());
            fromAlice << seal(*s.alice, doc, "<body>k" + QByteArray::number(i) + "</body>");
        }
        QCOMPARE(s.alice->pendingReceiveSets(), 4);
        QCOMPARE(std::get<QByteArray>(s.alice->decrypt(early)), QByteArray("<body>early</body>"));
        QCOMPARE(s.alice->pendingReceiveSets(), 4);
        for (const QDomElement &c : std::as_const(fromAlice))
            QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(c)));
        const QDomElement reply = seal(*s.bob, doc, "<body>got all three</body>");
        QCOMPARE(reply.firstChildElement(Xep0200::New).text(), QStringLiteral("3"));
        QCOMPARE(std::get<QByteArray>(s.alice->decrypt(reply)), QByteArray("<body>got all three</body>"));
        QCOMPARE(s.alice->pendingReceiveSets(), 1);
        const QDomElement next = seal(*s.alice, doc, "<body>next</body>");
        QCOMPARE(std::get<QByteArray>(s.bob->decrypt(next)), QByteArray("<body>next</body>"));
    }

    void formulasMatchAnIndependentComputation()
    {
        // Bob's private exponent is known to the test: y = 2^2047 + 12345 (inside 2^255 < y < p-1).
        QByteArray y(256, '\0');
        y[0] = char(0x80);
        y[254] = char(0x30);
        y[255] = char(0x39);
        Session s = makeSession(1, 1, knownKey(y));
        QDomDocument doc;
        QVERIFY(s.alice->requestRekey());
        const QDomElement keyStanza = seal(*s.alice, doc, "<body>switching</body>");
        QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(keyStanza)));
        const QByteArray e = QByteArray::fromBase64(keyStanza.firstChildElement(Xep0200::Key).text().toLatin1());
        QVERIFY(e.size() > 200 && e[0] != '\0');

        // K = e^y mod p, no hash; keys from HMAC(K, label), cipher keys the last 16 octets.
        const QByteArray K = rawModExp(e, y);
        const QByteArray kcA = rawHmac(K, "Rekey Initiator Crypt").right(16);
        const QByteArray kmA = rawHmac(K, "Rekey Initiator MAC");
        const QByteArray kcB = rawHmac(K, "Rekey Acceptor Crypt").right(16);
        const QByteArray kmB = rawHmac(K, "Rekey Acceptor MAC");

        // Alice's next stanza: MAC with KM_A' over <data/> and the counter, AES-CTR with KC_A'.
        const BlockCounter ca = s.alice->sendCounter();
        const QByteArray plain = "<body>after the re-key, 37 bytes..</body>";
        const QDomElement c = seal(*s.alice, doc, plain);
        const QByteArray data = QByteArray::fromBase64(c.firstChildElement(Xep0200::Data).text().toLatin1());
        const QByteArray mac = QByteArray::fromBase64(c.firstChildElement(Xep0200::Mac).text().toLatin1());
        const QByteArray macInput = "<data>" + c.firstChildElement(Xep0200::Data).text().toLatin1() + "</data>" + ca.mpi();
        QCOMPARE(mac.toHex(), rawHmac(kmA, macInput).toHex());
        QCOMPARE(rawAesCtr(kcA, ca.block(), data), plain);
        QCOMPARE(std::get<QByteArray>(s.bob->decrypt(c)), plain);

        // Bob held one set, so his own send keys became the acceptor keys.
        const BlockCounter cb = s.bob->sendCounter();
        const QByteArray answer = "<body>ack</body>";
        const QDomElement r = seal(*s.bob, doc, answer);
        QCOMPARE(childNames(r), (QStringList{Xep0200::Data, Xep0200::New, Xep0200::Old, Xep0200::Mac}));
        const QByteArray rData = QByteArray::fromBase64(r.firstChildElement(Xep0200::Data).text().toLatin1());
        QCOMPARE(rawAesCtr(kcB, cb.block(), rData), answer);
        QCOMPARE(QByteArray::fromBase64(r.firstChildElement(Xep0200::Mac).text().toLatin1()).toHex(),
                 rawHmac(kmB, StanzaCipher::macInput(r, cb)).toHex());
    }

    void eavesdropperWithTheOldKeysLosesTrackAfterARekey()
    {
        // Someone who stole the session keys (KC, KM, counters) but not Alice's or Bob's DH exponent
        // follows the conversation only until the next re-key: forward secrecy inside the session.
        Session s = makeSession();
        CipherParameters stolen = s.aliceInitial;
        std::swap(stolen.send, stolen.receive);
        stolen.rekey = RekeyParameters{freshKey(), s.aliceKey->publicValue(), 1}; // not Bob's y
        StanzaCipher eve(stolen);
        QDomDocument doc;
        const QDomElement before = seal(*s.alice, doc, "<body>before</body>");
        QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(before)));
        QCOMPARE(std::get<QByteArray>(eve.decrypt(before)), QByteArray("<body>before</body>"));
        QVERIFY(s.alice->requestRekey());
        const QDomElement keyStanza = seal(*s.alice, doc, "<body>new key</body>");
        QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(keyStanza)));
        QVERIFY(std::holds_alternative<QByteArray>(eve.decrypt(keyStanza))); // still the old keys
        const QDomElement after = seal(*s.alice, doc, "<body>after</body>");
        QCOMPARE(std::get<QByteArray>(s.bob->decrypt(after)), QByteArray("<body>after</body>"));
        QCOMPARE(std::get<CipherError>(eve.decrypt(after)), CipherError::BadMac);
    }

    void expiredMacKeysArePublishedOnlyWhenSafe()
    {
        Session s = makeSession();
        QDomDocument doc;
        const BlockCounter c0 = s.alice->sendCounter();
        const QDomElement first = seal(*s.alice, doc, "<body>signed by the first key</body>");
        QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(first)));
        QVERIFY(s.alice->requestRekey());
        const QDomElement keyStanza = seal(*s.alice, doc, "<body>k</body>");
        const QDomElement more = seal(*s.alice, doc, "<body>still unconfirmed</body>");
        QVERIFY(!childNames(keyStanza).contains(Xep0200::Old));
        QVERIFY(!childNames(more).contains(Xep0200::Old));
        QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(keyStanza)));
        QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(more)));

        auto verifiesFirst = [&](const QDomElement &c) {
            for (QDomElement old = c.firstChildElement(Xep0200::Old); !old.isNull();
                 old = old.nextSiblingElement(Xep0200::Old)) {
                const QByteArray key = QByteArray::fromBase64(old.text().toLatin1());
                const QByteArray mac = QByteArray::fromBase64(first.firstChildElement(Xep0200::Mac).text().toLatin1());
                if (rawHmac(key, StanzaCipher::macInput(first, c0)) == mac)
                    return true;
            }
            return false;
        };
        // Bob, having received the re-key, may publish Alice's retired MAC key...
        const QDomElement reply = seal(*s.bob, doc, "<body>ok</body>");
        QVERIFY(verifiesFirst(reply));
        QVERIFY(std::holds_alternative<QByteArray>(s.alice->decrypt(reply)));
        // ... and Alice publishes it (and Bob's old one) once Bob confirmed with <new/>. With it anyone
        // can forge a stanza like the first one: the transcript proves nothing.
        const QDomElement confirmedByAlice = seal(*s.alice, doc, "<body>done</body>");
        QVERIFY(verifiesFirst(confirmedByAlice));
        QCOMPARE(childNames(confirmedByAlice).count(Xep0200::Old), 2);
        QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(confirmedByAlice)));
        // Published once, not again.
        QVERIFY(!childNames(seal(*s.alice, doc, "<body>later</body>")).contains(Xep0200::Old));
    }

    void rekeyFrequencyIsRespected()
    {
        Session s = makeSession(3, 3);
        QDomDocument doc;
        QVERIFY(s.alice->requestRekey());
        // rekey_freq 3: the key rides on the third stanza of this key's life, not earlier.
        QStringList carriers;
        for (int i = 0; i < 5; ++i) {
            const QDomElement c = seal(*s.alice, doc, content(i));
            carriers << (childNames(c).contains(Xep0200::Key) ? QStringLiteral("K") : QStringLiteral("-"));
            QVERIFY(std::holds_alternative<QByteArray>(s.bob->decrypt(c)));
        }
        QCOMPARE(carriers.join(QString()), QStringLiteral("--K--"));

        // A peer that re-keys sooner than agreed ends the session.
        Session t = makeSession(1, 3);
        QVERIFY(t.alice->requestRekey());
        QCOMPARE(std::get<CipherError>(t.bob->decrypt(seal(*t.alice, doc, "<body>too soon</body>"))),
                 CipherError::RekeyTooSoon);
        QVERIFY(t.bob->isTerminated());
    }

    void refusedKeyValues_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<bool>("acceptable");
        const QByteArray p = *Crypto::modpPrime(Group);
        QByteArray pMinus1 = p;
        pMinus1[pMinus1.size() - 1] = char(pMinus1[pMinus1.size() - 1] - 1);
        // Every MODP prime ends in 64 one bits, so p+1 carries: computed as a number, not by octet.
        BIGNUM *bn = BN_bin2bn(reinterpret_cast<const unsigned char *>(p.constData()), int(p.size()), nullptr);
        BN_add_word(bn, 1);
        QByteArray pPlus1(BN_num_bytes(bn), '\0');
        BN_bn2bin(bn, reinterpret_cast<unsigned char *>(pPlus1.data()));
        BN_free(bn);
        QVERIFY(pPlus1.size() == p.size() + 1 || pPlus1 > p);
        QTest::newRow("a real public value (control)") << freshKey()->publicValue() << true;
        QTest::newRow("0") << QByteArray(1, '\0') << false;
        QTest::newRow("1") << QByteArray(1, '\1') << false;
        QTest::newRow("p-1") << pMinus1 << false;
        QTest::newRow("p") << p << false;
        QTest::newRow("p+1") << pPlus1 << false;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("10 kB") << QByteArray(10240, '\x5a') << false;
        QTest::newRow("leading zero octet") << QByteArray(1, '\0') + freshKey()->publicValue() << false;
    }

    void refusedKeyValues()
    {
        QFETCH(QByteArray, value);
        QFETCH(bool, acceptable);
        Session s = makeSession();
        QDomDocument doc;
        // MACed correctly with Alice's current key: only the value itself can be wrong.
        const QDomElement c = handMadeKeyStanza(doc, s.aliceInitial.send.macKey, s.alice->sendCounter(),
                                                QString::fromLatin1(value.toBase64()));
        auto result = s.bob->decrypt(c);
        QCOMPARE(std::holds_alternative<QByteArray>(result), acceptable);
        if (acceptable) {
            QVERIFY(std::holds_alternative<QByteArray>(result));
            QCOMPARE(s.bob->rekeyCount(), 1);
        } else {
            QCOMPARE(std::get<CipherError>(result), CipherError::BadRekeyValue);
            QVERIFY(s.bob->isTerminated());
        }
    }

    void tamperedKeyFailsTheMac()
    {
        Session s = makeSession();
        QDomDocument doc;
        QVERIFY(s.alice->requestRekey());
        QDomElement c = seal(*s.alice, doc, "<body>x</body>");
        QDomElement key = c.firstChildElement(Xep0200::Key);
        QByteArray e = QByteArray::fromBase64(key.text().toLatin1());
        e[e.size() / 2] = char(e[e.size() / 2] ^ 0x01);
        key.firstChild().setNodeValue(QString::fromLatin1(e.toBase64()));
        QCOMPARE(std::get<CipherError>(s.bob->decrypt(c)), CipherError::BadMac);
    }

    void sessionWithoutRekeyingRefusesToRekey()
    {
        CipherParameters p;
        p.send = {Crypto::randomBytes(16), Crypto::randomBytes(32), InitialCounter};
        p.receive = {Crypto::randomBytes(16), Crypto::randomBytes(32), InitialCounter.withTopBitFlipped()};
        StanzaCipher cipher(p);
        QVERIFY(!cipher.canRekey());
        QVERIFY(!cipher.requestRekey());
        QDomDocument doc;
        QVERIFY(!childNames(seal(cipher, doc, "<body/>")).contains(Xep0200::Key));
    }
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("sotto.esession.info=false"));
    TestRekey test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_rekey.moc"
