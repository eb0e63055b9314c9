// XEP-0200 stanza encryption: two engines back to back, the exact bytes on the wire, tampering,
// replays, reordering, counter edge cases, and the stanza layer for message, presence and iq.
#include <QDomDocument>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTest>

#include "crypto/Crypto.h"
#include "esession/Constants.h"
#include "esession/FailureCodes.h"
#include "esession/StanzaCipher.h"
#include "esession/StanzaCodec.h"

using namespace Esession;

namespace {

struct Pair
{
    std::unique_ptr<StanzaCipher> alice;
    std::unique_ptr<StanzaCipher> bob;
};

// Alice sends with (KC_A, KM_A, C_A) and Bob receives with the same; the other way round with the B set.
CipherParameters aliceParameters(const BlockCounter &ca, Crypto::CtrCipher cipher = Crypto::CtrCipher::Aes128)
{
    const int kl = Crypto::keyLength(cipher);
    CipherParameters p;
    p.cipher = cipher;
    p.send = {QByteArray(kl, '\x11'), QByteArray(32, '\x22'), ca};
    p.receive = {QByteArray(kl, '\x33'), QByteArray(32, '\x44'), ca.withTopBitFlipped()};
    return p;
}

CipherParameters mirrored(const CipherParameters &p)
{
    CipherParameters m = p;
    std::swap(m.send, m.receive);
    return m;
}

Pair makePair(const BlockCounter &ca = BlockCounter(0x0123456789abcdefULL, 0xfedcba9876543210ULL),
              Crypto::CtrCipher cipher = Crypto::CtrCipher::Aes128)
{
    const CipherParameters a = aliceParameters(ca, cipher);
    return {std::make_unique<StanzaCipher>(a), std::make_unique<StanzaCipher>(mirrored(a))};
}

QDomElement encryptOrFail(StanzaCipher &cipher, QDomDocument &doc, const QByteArray &content)
{
    auto result = cipher.encrypt(doc, content);
    if (!std::holds_alternative<QDomElement>(result))
        qFatal("encrypt failed");
    return std::get<QDomElement>(result);
}

QDomElement child(const QDomElement &c, const QString &name)
{
    return c.firstChildElement(name);
}

void setText(QDomElement element, const QString &text)
{
    while (element.hasChildNodes())
        element.removeChild(element.firstChild());
    element.appendChild(element.ownerDocument().createTextNode(text));
}

QDomElement parseStanza(QDomDocument &doc, const QString &xml)
{
    if (!doc.setContent(xml, true))
        qFatal("bad test XML");
    return doc.documentElement();
}

QString serialise(const QDomElement &e)
{
    QString s;
    QTextStream ts(&s);
    e.save(ts, -1);
    return s;
}

} // namespace

class TestStanzaCipher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void counterEncodings()
    {
        const BlockCounter c(0x0001020304050607ULL, 0x08090a0b0c0d0e0fULL);
        QCOMPARE(c.block(), QByteArray::fromHex("000102030405060708090a0b0c0d0e0f"));
        // Minimal big-endian: the leading zero octet goes.
        QCOMPARE(c.mpi(), QByteArray::fromHex("0102030405060708090a0b0c0d0e0f"));
        QCOMPARE(BlockCounter(0, 0x80).mpi(), QByteArray::fromHex("80"));
        QCOMPARE(BlockCounter().mpi(), QByteArray::fromHex("00"));
        QCOMPARE(BlockCounter::fromBigEndian(c.block()), std::optional<BlockCounter>(c));
        QCOMPARE(BlockCounter::fromBigEndian(c.mpi()), std::optional<BlockCounter>(c));
        QVERIFY(!BlockCounter::fromBigEndian(QByteArray(17, '\1')));
        BlockCounter top(~0ULL, ~0ULL - 1);
        top.advance(3);
        QCOMPARE(top, BlockCounter(0, 1));
        BlockCounter carry(0, ~0ULL);
        carry.advance(1);
        QCOMPARE(carry, BlockCounter(1, 0));
        QCOMPARE(BlockCounter(0x1234, 5).withTopBitFlipped(), BlockCounter(0x8000000000001234ULL, 5));
        QCOMPARE(blocksFor(0), quint64(0));
        QCOMPARE(blocksFor(1), quint64(1));
        QCOMPARE(blocksFor(16), quint64(1));
        QCOMPARE(blocksFor(17), quint64(2));
    }

    void wireFormatIsExactlyTheSpecsFormula()
    {
        // Recompute everything from the XEP-0200 formulas in the test and compare byte for byte.
        const BlockCounter ca(0x00ff00ff00ff00ffULL, 0x1122334455667788ULL); // leading zero octet
        const CipherParameters a = aliceParameters(ca);
        StanzaCipher alice(a);
        QDomDocument doc;
        const QByteArray m = "<body xmlns=\"jabber:client\">Hello, Bob!</body>";
        const QDomElement c = encryptOrFail(alice, doc, m);

        QCOMPARE(c.namespaceURI(), Xep0200::Namespace);
        const QByteArray expectedData = *Crypto::aesCtr(Crypto::CtrCipher::Aes128, a.send.cipherKey, ca.block(), m);
        QCOMPARE(QByteArray::fromBase64(child(c, Xep0200::Data).text().toLatin1()), expectedData);
        const QByteArray mContent = "<data>" + expectedData.toBase64() + "</data>";
        const QByteArray macInput = mContent + QByteArray::fromHex("ff00ff00ff00ff1122334455667788");
        QCOMPARE(QByteArray::fromBase64(child(c, Xep0200::Mac).text().toLatin1()),
                 Crypto::hmacSha256(a.send.macKey, macInput));
        // <mac/> comes last, as in every example of the XEP.
        QCOMPARE(c.lastChildElement().localName(), Xep0200::Mac);
        // 44 bytes = 3 blocks.
        BlockCounter next = ca;
        next.advance(3);
        QCOMPARE(alice.sendCounter(), next);
    }

    void counterInMacIsMinimalNotSixteenBytes()
    {
        // A peer that put the 16-byte counter into the MAC is refused when the top octet is zero.
        const BlockCounter ca(0x00aa000000000000ULL, 7);
        const CipherParameters a = aliceParameters(ca);
        StanzaCipher bob(mirrored(a));
        QDomDocument doc;
        QDomElement c = doc.createElementNS(Xep0200::Namespace, Xep0200::CElement);
        QDomElement data = doc.createElementNS(Xep0200::Namespace, Xep0200::Data);
        const QByteArray ct = *Crypto::aesCtr(Crypto::CtrCipher::Aes128, a.send.cipherKey, ca.block(), "<x/>");
        data.appendChild(doc.createTextNode(QString::fromLatin1(ct.toBase64())));
        c.appendChild(data);
        QDomElement mac = doc.createElementNS(Xep0200::Namespace, Xep0200::Mac);
        const QByteArray wrongMac = Crypto::hmacSha256(a.send.macKey, "<data>" + ct.toBase64() + "</data>" + ca.block());
        mac.appendChild(doc.createTextNode(QString::fromLatin1(wrongMac.toBase64())));
        c.appendChild(mac);
        auto result = bob.decrypt(c);
        QVERIFY(std::holds_alternative<CipherError>(result));
        QCOMPARE(std::get<CipherError>(result), CipherError::BadMac);
    }

    void roundTripTenThousandRandomSizes()
    {
        auto [alice, bob] = makePair();
        auto *rng = QRandomGenerator::global();
        QList<int> sizes{0, 1, 15, 16, 17, 31, 32, 33, 4096, 5000, 65536};
        while (sizes.size() < 10000)
            sizes << (rng->bounded(10) == 0 ? int(rng->bounded(20000)) : int(rng->bounded(300)));
        QDomDocument doc;
        int i = 0;
        for (int size : sizes) {
            QByteArray m(size, Qt::Uninitialized);
            rng->fillRange(reinterpret_cast<quint32 *>(m.data()), size / 4);
            for (int j = size & ~3; j < size; ++j)
                m[j] = char(rng->bounded(256));
            // Both directions, alternating.
            StanzaCipher &from = (i % 2) ? *bob : *alice;
            StanzaCipher &to = (i % 2) ? *alice : *bob;
            const QDomElement c = encryptOrFail(from, doc, m);
            if (size > 0)
                QVERIFY(!QByteArray::fromBase64(child(c, Xep0200::Data).text().toLatin1()).contains(m.left(64)) || size < 8);
            auto result = to.decrypt(c);
            QVERIFY2(std::holds_alternative<QByteArray>(result), qPrintable(QString::number(size)));
            QCOMPARE(std::get<QByteArray>(result), m);
            ++i;
        }
        QCOMPARE(alice->sendCounter(), bob->receiveCounter());
        QCOMPARE(bob->sendCounter(), alice->receiveCounter());
    }

    void emptyStanzaUsesOneCounterValue()
    {
        auto [alice, bob] = makePair();
        const BlockCounter before = alice->sendCounter();
        QDomDocument doc;
        const QDomElement c = encryptOrFail(*alice, doc, QByteArray());
        QVERIFY(child(c, Xep0200::Data).isNull());
        BlockCounter next = before;
        next.advance(1);
        QCOMPARE(alice->sendCounter(), next);
        auto result = bob->decrypt(c);
        QVERIFY(std::holds_alternative<QByteArray>(result));
        QVERIFY(std::get<QByteArray>(result).isEmpty());
        QCOMPARE(bob->receiveCounter(), next);
    }

    void counterWrapsAt2To128()
    {
        auto [alice, bob] = makePair(BlockCounter(~0ULL, ~0ULL - 1)); // 2^128 - 2
        QDomDocument doc;
        const QByteArray m(40, 'w'); // 3 blocks: 2^128-2, 2^128-1, 0
        const QDomElement c = encryptOrFail(*alice, doc, m);
        QCOMPARE(alice->sendCounter(), BlockCounter(0, 1));
        // The third block's keystream is the one for counter 0.
        const QByteArray ct = QByteArray::fromBase64(child(c, Xep0200::Data).text().toLatin1());
        const QByteArray block0 = *Crypto::aesCtr(Crypto::CtrCipher::Aes128, QByteArray(16, '\x11'), BlockCounter().block(),
                                                  QByteArray(8, 'w'));
        QCOMPARE(ct.mid(32), block0);
        auto result = bob->decrypt(c);
        QVERIFY(std::holds_alternative<QByteArray>(result));
        QCOMPARE(std::get<QByteArray>(result), m);
        // And the session goes on past the wrap.
        auto again = bob->decrypt(encryptOrFail(*alice, doc, "after the wrap"));
        QCOMPARE(std::get<QByteArray>(again), QByteArray("after the wrap"));
    }

    void aes256RoundTrip()
    {
        auto [alice, bob] = makePair(BlockCounter(1, 2), Crypto::CtrCipher::Aes256);
        QDomDocument doc;
        auto result = bob->decrypt(encryptOrFail(*alice, doc, "<body>256</body>"));
        QCOMPARE(std::get<QByteArray>(result), QByteArray("<body>256</body>"));
    }

    void tamperingAnyByteIsRefused_data()
    {
        QTest::addColumn<QString>("part");
        QTest::newRow("data") << Xep0200::Data;
        QTest::newRow("mac") << Xep0200::Mac;
        QTest::newRow("counter") << QStringLiteral("counter");
    }

    void tamperingAnyByteIsRefused()
    {
        QFETCH(QString, part);
        const QByteArray m = "<body xmlns=\"jabber:client\">attack at dawn, 33 bytes+</body>";
        const int length = part == Xep0200::Data ? int(m.size()) : (part == Xep0200::Mac ? 32 : 16);
        for (int position = 0; position < length; ++position) {
            const CipherParameters a = aliceParameters(BlockCounter(0x42, 0x4242));
            StanzaCipher alice(a);
            CipherParameters b = mirrored(a);
            QDomDocument doc;
            QDomElement c = encryptOrFail(alice, doc, m);
            const QByteArray bit(1, char(1 << (position % 8)));
            if (part == QStringLiteral("counter")) {
                QByteArray block = b.receive.counter.block();
                block[position] = char(block[position] ^ bit[0]);
                b.receive.counter = *BlockCounter::fromBigEndian(block);
            } else {
                QDomElement e = child(c, part);
                QByteArray bytes = QByteArray::fromBase64(e.text().toLatin1());
                bytes[position] = char(bytes[position] ^ bit[0]);
                setText(e, QString::fromLatin1(bytes.toBase64()));
            }
            StanzaCipher bob(b);
            auto result = bob.decrypt(c);
            QVERIFY2(std::holds_alternative<CipherError>(result), qPrintable(QStringLiteral("%1 at %2").arg(part).arg(position)));
            QCOMPARE(std::get<CipherError>(result), CipherError::BadMac);
            QVERIFY(bob.isTerminated());
        }
    }

    void replayIsRefusedAndEndsTheSession()
    {
        auto [alice, bob] = makePair();
        QDomDocument doc;
        const QDomElement c = encryptOrFail(*alice, doc, "<body>once</body>");
        QVERIFY(std::holds_alternative<QByteArray>(bob->decrypt(c)));
        auto replay = bob->decrypt(c);
        QCOMPARE(std::get<CipherError>(replay), CipherError::BadMac);
        QVERIFY(bob->isTerminated());
        // Nothing gets through a terminated session, not even a genuine stanza...
        auto next = bob->decrypt(encryptOrFail(*alice, doc, "<body>next</body>"));
        QCOMPARE(std::get<CipherError>(next), CipherError::Terminated);
        // ...and nothing is encrypted by it.
        QCOMPARE(std::get<CipherError>(bob->encrypt(doc, "<body>reply</body>")), CipherError::Terminated);
    }

    void reorderedAndLostStanzasAreRefused()
    {
        {
            auto [alice, bob] = makePair();
            QDomDocument doc;
            const QDomElement first = encryptOrFail(*alice, doc, "<body>1</body>");
            const QDomElement second = encryptOrFail(*alice, doc, "<body>2</body>");
            Q_UNUSED(first);
            QCOMPARE(std::get<CipherError>(bob->decrypt(second)), CipherError::BadMac);
        }
        {
            // A duplicate sent by the server after a stream resumption is a replay.
            auto [alice, bob] = makePair();
            QDomDocument doc;
            const QDomElement first = encryptOrFail(*alice, doc, "<body>1</body>");
            const QDomElement second = encryptOrFail(*alice, doc, "<body>2</body>");
            QVERIFY(std::holds_alternative<QByteArray>(bob->decrypt(first)));
            QVERIFY(std::holds_alternative<QByteArray>(bob->decrypt(second)));
            QCOMPARE(std::get<CipherError>(bob->decrypt(first)), CipherError::BadMac);
        }
    }

    void malformedElementsAreRefused_data()
    {
        QTest::addColumn<QString>("mutation");
        QTest::addColumn<int>("expected");
        QTest::newRow("no mac") << "drop-mac" << int(CipherError::MalformedElement);
        QTest::newRow("no data") << "drop-data" << int(CipherError::BadMac);
        QTest::newRow("two macs") << "dup-mac" << int(CipherError::MalformedElement);
        QTest::newRow("two datas") << "dup-data" << int(CipherError::MalformedElement);
        QTest::newRow("unknown child") << "unknown" << int(CipherError::MalformedElement);
        QTest::newRow("bad base64") << "bad-b64" << int(CipherError::MalformedElement);
        QTest::newRow("truncated data") << "trunc-data" << int(CipherError::BadMac);
        QTest::newRow("truncated mac (128-bit tag)") << "trunc-mac" << int(CipherError::BadMac);
        QTest::newRow("empty mac") << "empty-mac" << int(CipherError::BadMac);
        QTest::newRow("rekey") << "key" << int(CipherError::RekeyUnsupported);
        QTest::newRow("wrong namespace") << "wrong-ns" << int(CipherError::MalformedElement);
        QTest::newRow("nested element") << "nested" << int(CipherError::MalformedElement);
        QTest::newRow("<new/> for a re-key never sent") << "add-new" << int(CipherError::MalformedElement);
    }

    void malformedElementsAreRefused()
    {
        QFETCH(QString, mutation);
        QFETCH(int, expected);
        auto [alice, bob] = makePair();
        QDomDocument doc;
        QDomElement c = encryptOrFail(*alice, doc, "<body>some secret text for the test</body>");
        auto add = [&](const QString &name, const QString &text, const QString &ns = Xep0200::Namespace) {
            QDomElement e = doc.createElementNS(ns, name);
            e.appendChild(doc.createTextNode(text));
            c.insertBefore(e, child(c, Xep0200::Mac));
            return e;
        };
        const QString data = child(c, Xep0200::Data).text();
        const QString mac = child(c, Xep0200::Mac).text();
        if (mutation == u"drop-mac")
            c.removeChild(child(c, Xep0200::Mac));
        else if (mutation == u"drop-data")
            c.removeChild(child(c, Xep0200::Data));
        else if (mutation == u"dup-mac")
            c.appendChild(child(c, Xep0200::Mac).cloneNode(true));
        else if (mutation == u"dup-data")
            add(Xep0200::Data, data);
        else if (mutation == u"unknown")
            add(QStringLiteral("surprise"), QStringLiteral("x"));
        else if (mutation == u"bad-b64")
            setText(child(c, Xep0200::Data), QStringLiteral("!!not base64!!"));
        else if (mutation == u"trunc-data")
            setText(child(c, Xep0200::Data), data.left(8));
        else if (mutation == u"trunc-mac")
            setText(child(c, Xep0200::Mac),
                    QString::fromLatin1(QByteArray::fromBase64(mac.toLatin1()).left(16).toBase64()));
        else if (mutation == u"empty-mac")
            setText(child(c, Xep0200::Mac), QString());
        else if (mutation == u"key")
            add(Xep0200::Key, QStringLiteral("AQID"));
        else if (mutation == u"wrong-ns")
            c = doc.createElementNS(QStringLiteral("urn:example"), Xep0200::CElement);
        else if (mutation == u"nested")
            child(c, Xep0200::Data).appendChild(doc.createElementNS(Xep0200::Namespace, QStringLiteral("x")));
        else if (mutation == u"add-new")
            add(Xep0200::New, QStringLiteral("1"));
        auto result = bob->decrypt(c);
        QVERIFY(std::holds_alternative<CipherError>(result));
        QCOMPARE(int(std::get<CipherError>(result)), expected);
        QVERIFY(bob->isTerminated());
    }

    void whitespaceBetweenChildrenIsNotPartOfTheMac()
    {
        auto [alice, bob] = makePair();
        QDomDocument doc;
        QDomElement c = encryptOrFail(*alice, doc, "<body>pretty</body>");
        // Pretty-printed on the wire, parsed back.
        QString xml = serialise(c);
        xml.replace(QStringLiteral("><"), QStringLiteral(">\n  <"));
        QDomDocument wire;
        QVERIFY(wire.setContent(xml, true));
        QCOMPARE(std::get<QByteArray>(bob->decrypt(wire.documentElement())), QByteArray("<body>pretty</body>"));
    }

    void messageRoundTripKeepsThreadAndHidesBody()
    {
        auto [alice, bob] = makePair();
        QDomDocument doc;
        QDomElement stanza = parseStanza(doc, QStringLiteral(
            "<message xmlns='jabber:client' from='alice@example.org/a' to='bob@example.net/b' type='chat' id='m1'>"
            "<thread>ffd7076498744578d10edabfe7f4a866</thread>"
            "<body>Hello, Bob!</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
            "<no-store xmlns='urn:xmpp:hints'/></message>"));
        QVERIFY(!encryptStanza(*alice, stanza));
        const QString wire = serialise(stanza);
        QVERIFY(!wire.contains(QStringLiteral("Hello")));
        QVERIFY(!wire.contains(QStringLiteral("chatstates")));
        QCOMPARE(stanza.firstChildElement(QStringLiteral("thread")).text(), QStringLiteral("ffd7076498744578d10edabfe7f4a866"));
        QVERIFY(wire.contains(QStringLiteral("urn:xmpp:hints")));
        QCOMPARE(stanza.elementsByTagNameNS(Xep0200::Namespace, Xep0200::CElement).size(), 1);

        // Through a real parse, as a receiver gets it.
        QDomDocument received;
        QVERIFY(received.setContent(wire, true));
        auto result = decryptStanza(*bob, received.documentElement());
        QVERIFY(std::holds_alternative<QDomElement>(result));
        const QDomElement opened = std::get<QDomElement>(result);
        QCOMPARE(opened.attribute(QStringLiteral("id")), QStringLiteral("m1"));
        QCOMPARE(opened.attribute(QStringLiteral("to")), QStringLiteral("bob@example.net/b"));
        QCOMPARE(opened.firstChildElement(QStringLiteral("thread")).text(), QStringLiteral("ffd7076498744578d10edabfe7f4a866"));
        QCOMPARE(opened.firstChildElement(QStringLiteral("body")).text(), QStringLiteral("Hello, Bob!"));
        QCOMPARE(opened.firstChildElement(QStringLiteral("body")).namespaceURI(), QStringLiteral("jabber:client"));
        QCOMPARE(opened.firstChildElement(QStringLiteral("active")).namespaceURI(),
                 QStringLiteral("http://jabber.org/protocol/chatstates"));
        QVERIFY(opened.elementsByTagNameNS(Xep0200::Namespace, Xep0200::CElement).isEmpty());
    }

    void presenceAndIqRoundTrip()
    {
        auto [alice, bob] = makePair();
        const QStringList stanzas{
            QStringLiteral("<presence xmlns='jabber:client' to='bob@example.net/b'><show>dnd</show>"
                           "<status>In a meeting about secrets</status></presence>"),
            QStringLiteral("<iq xmlns='jabber:client' type='get' id='v1' to='bob@example.net/b'>"
                           "<query xmlns='jabber:iq:version'/></iq>"),
            QStringLiteral("<iq xmlns='jabber:client' type='result' id='v1' to='alice@example.org/a'>"
                           "<query xmlns='jabber:iq:version'><name>Sotto</name><version>0.1</version></query></iq>"),
        };
        for (const QString &xml : stanzas) {
            QDomDocument doc;
            QDomElement stanza = parseStanza(doc, xml);
            const QString name = stanza.localName();
            QVERIFY(!encryptStanza(*alice, stanza));
            QCOMPARE(stanza.childNodes().size(), 1);
            QDomDocument received;
            QVERIFY(received.setContent(serialise(stanza), true));
            auto result = decryptStanza(*bob, received.documentElement());
            QVERIFY(std::holds_alternative<QDomElement>(result));
            const QDomElement opened = std::get<QDomElement>(result);
            QCOMPARE(opened.localName(), name);
            QDomDocument original;
            parseStanza(original, xml);
            QCOMPARE(serialise(opened), serialise(original.documentElement()));
        }
    }

    void unencryptedSiblingsAreDropped()
    {
        auto [alice, bob] = makePair();
        QDomDocument doc;
        QDomElement stanza = parseStanza(doc, QStringLiteral(
            "<message xmlns='jabber:client' to='bob@example.net/b'><thread>t</thread><body>real</body></message>"));
        QVERIFY(!encryptStanza(*alice, stanza));
        // Someone on the path adds a plaintext body next to <c/>.
        QDomElement fake = doc.createElementNS(QStringLiteral("jabber:client"), QStringLiteral("body"));
        fake.appendChild(doc.createTextNode(QStringLiteral("send your password to mallory")));
        stanza.insertBefore(fake, stanza.firstChild());
        auto result = decryptStanza(*bob, stanza);
        const QDomElement opened = std::get<QDomElement>(result);
        const QDomNodeList bodies = opened.elementsByTagName(QStringLiteral("body"));
        QCOMPARE(bodies.size(), 1);
        QCOMPARE(bodies.at(0).toElement().text(), QStringLiteral("real"));
    }

    void forbiddenOrBrokenContentEndsTheSession_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("not well-formed") << QByteArray("<body>unclosed");
        QTest::newRow("doctype") << QByteArray("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><body>&a;</body>");
        QTest::newRow("processing instruction") << QByteArray("<?evil?><body>x</body>");
        QTest::newRow("thread inside") << QByteArray("<thread>other</thread><body>x</body>");
        QTest::newRow("amp inside") << QByteArray("<amp xmlns='http://jabber.org/protocol/amp'/>");
        QTest::newRow("nested c") << QByteArray("<x xmlns='urn:y'><c xmlns='http://www.xmpp.org/extensions/xep-0200.html#ns'/></x>");
        QTest::newRow("not utf-8 text") << QByteArray("<body>\xff\xfe</body>");
    }

    void forbiddenOrBrokenContentEndsTheSession()
    {
        QFETCH(QByteArray, content);
        auto [alice, bob] = makePair();
        QDomDocument doc;
        QDomElement stanza = parseStanza(doc, QStringLiteral("<message xmlns='jabber:client' to='b@x/y'/>"));
        stanza.appendChild(encryptOrFail(*alice, doc, content));
        auto result = decryptStanza(*bob, stanza);
        QVERIFY(std::holds_alternative<OpenFailure>(result));
        QCOMPARE(std::get<OpenFailure>(result).error, OpenError::UnparseableContent);
        QVERIFY(bob->isTerminated());
    }

    void stanzaWithoutCIsNotForTheCipher()
    {
        auto [alice, bob] = makePair();
        QDomDocument doc;
        const QDomElement stanza = parseStanza(doc, QStringLiteral("<message xmlns='jabber:client'><body>plain</body></message>"));
        auto result = decryptStanza(*bob, stanza);
        QCOMPARE(std::get<OpenFailure>(result).error, OpenError::NoEncryptedContent);
        QVERIFY(!bob->isTerminated());
    }

    // Each refusal has its own stable code, and the list the front ends word holds exactly these.
    void everyCipherErrorHasItsCode()
    {
        const CipherError errors[] = { CipherError::Terminated, CipherError::MalformedElement, CipherError::BadMac,
            CipherError::RekeyUnsupported, CipherError::BadRekeyValue, CipherError::RekeyTooSoon, CipherError::TooLarge,
            CipherError::KeyExhausted, CipherError::CryptoFailure };
        QStringList codes;
        for (const CipherError error : errors) {
            const QString code = cipherErrorCode(error);
            QVERIFY2(FailureCode::hasCodeShape(code), qPrintable(code));
            QVERIFY2(!codes.contains(code), qPrintable(code));
            codes << code;
        }
        QCOMPARE(codes, FailureCode::cipherCodes());
        QCOMPARE(cipherErrorCode(CipherError::BadMac), QStringLiteral("bad-mac"));
        QCOMPARE(cipherErrorCode(CipherError::Terminated), QStringLiteral("session-ended"));
    }
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    // Every refused stanza logs why the session ended; hundreds of them here on purpose.
    QLoggingCategory::setFilterRules(QStringLiteral("sotto.esession.info=false"));
    TestStanzaCipher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_stanzacipher.moc"
