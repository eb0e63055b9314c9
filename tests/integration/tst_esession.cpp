// Encrypted sessions (XEP-0200) between two real clients through a throwaway Prosody. Session
// parameters are injected here, in the test binary, until negotiation (XEP-0116/0217) exists.
// The server runs with debug logging, so its log holds every stanza it routed: none of them may
// carry the plaintext.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QSignalSpy>
#include <QTest>

#include <QXmppClient.h>
#include <QXmppE2eeMetadata.h>
#include <QXmppClientExtension.h>
#include <QXmppIq.h>
#include <QXmppMessage.h>
#include <QXmppPresence.h>

#include "LocalServer.h"
#include "LogCapture.h"
#include "TestClient.h"
#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"
#include "esession/StanzaCipher.h"
#include "session/Messenger.h"
#include "session/Outbox.h"
#include "session/SessionManager.h"
#include "xmpp/EsessionExtension.h"

using namespace Esession;

namespace {

constexpr int NetTimeout = 20000;

QList<QByteArray> s_keys; // every session key made here, for logHoldsNoSecret()

CipherParameters randomParameters()
{
    CipherParameters p;
    const QByteArray counter = Crypto::randomBytes(16);
    const QByteArray keys[] = {Crypto::randomBytes(16), Crypto::randomBytes(32), Crypto::randomBytes(16),
                               Crypto::randomBytes(32)};
    s_keys << keys[0] << keys[1] << keys[2] << keys[3];
    p.send = {keys[0], keys[1], *BlockCounter::fromBigEndian(counter)};
    p.receive = {keys[2], keys[3], p.send.counter.withTopBitFlipped()};
    return p;
}

CipherParameters mirrored(const CipherParameters &p)
{
    CipherParameters m = p;
    std::swap(m.send, m.receive);
    return m;
}

// Answers <query xmlns='urn:sotto:test'/> requests that arrived encrypted, echoing their text.
class EncryptedIqEcho : public QXmppClientExtension
{
public:
    static inline const QString Namespace = QStringLiteral("urn:sotto:test");

    bool handleStanza(const QDomElement &element, const std::optional<QXmppE2eeMetadata> &e2eeMetadata) override
    {
        const QDomElement query = element.firstChildElement(QStringLiteral("query"));
        if (element.tagName() != u"iq" || element.attribute(QStringLiteral("type")) != u"get"
            || query.namespaceURI() != Namespace || !e2eeMetadata)
            return false;
        QDomDocument doc;
        QDomElement answer = doc.createElementNS(Namespace, QStringLiteral("query"));
        answer.appendChild(doc.createTextNode(QStringLiteral("echo: ") + query.text()));
        QXmppIq reply(QXmppIq::Result);
        reply.setId(element.attribute(QStringLiteral("id")));
        reply.setTo(element.attribute(QStringLiteral("from")));
        reply.setExtensions({QXmppElement(answer)});
        client()->reply(std::move(reply), e2eeMetadata);
        return true;
    }
};

} // namespace

class TestEsession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Every logging category at debug level, captured for logHoldsNoSecret().
        LogCapture::install();
        qputenv("SOTTO_SERVER_DEBUG", "1");
        qputenv("SOTTO_SERVER_TEST_MODULES", "1"); // the fault injector, idle until told
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
    }

    void init()
    {
        m_alice = std::make_unique<TestClient>(m_server, QStringLiteral("alice"));
        m_bob = std::make_unique<TestClient>(m_server, QStringLiteral("bob"));
        m_alice->account.connectToServer();
        m_bob->account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.state() == Account::State::Online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(m_bob->account.state() == Account::State::Online, NetTimeout);
    }

    void cleanup()
    {
        m_alice.reset();
        m_bob.reset();
    }

    // Alice starts a conversation with Bob's resource and both install the same session keys.
    QString startSession()
    {
        ThreadSession *session = m_alice->messenger->sessions()->startSession(QStringLiteral("bob@localhost/sotto"));
        const CipherParameters p = randomParameters();
        m_alice->account.esession()->startSession(QStringLiteral("bob@localhost/sotto"), session->threadId(), p);
        m_bob->account.esession()->startSession(QStringLiteral("alice@localhost/sotto"), session->threadId(), mirrored(p));
        return session->threadId();
    }

    void messagesBothWaysEncrypted()
    {
        const QString thread = startSession();
        const QString secret = QStringLiteral("the eagle lands at 0600 ") + QString::fromLatin1(Crypto::randomBytes(6).toHex());
        const auto sent = m_alice->messenger->send(QStringLiteral("bob@localhost"), secret);
        QVERIFY(sent);
        QVERIFY(sent->encrypted);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->received.size(), 1, NetTimeout);
        QCOMPARE(m_bob->received[0].body, secret);
        QCOMPARE(m_bob->received[0].thread, thread);
        QVERIFY(m_bob->received[0].encrypted);
        QCOMPARE(m_bob->received[0].state, MessageState::Received);
        QTRY_VERIFY_WITH_TIMEOUT(m_alice->store->message(sent->id)->state == MessageState::Delivered, NetTimeout);

        const QString reply = QStringLiteral("roger, ") + secret;
        const auto answered = m_bob->messenger->send(QStringLiteral("alice@localhost"), reply);
        QVERIFY(answered && answered->encrypted);
        QCOMPARE(answered->thread, thread);
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->received.size(), 1, NetTimeout);
        QCOMPARE(m_alice->received[0].body, reply);
        QVERIFY(m_alice->received[0].encrypted);
        // Alice's receipt travels in the session too. Waiting for it also keeps it from reaching the
        // next test's Bob, who would rightly show it as undecryptable.
        QTRY_VERIFY_WITH_TIMEOUT(m_bob->store->message(answered->id)->state == MessageState::Delivered, NetTimeout);

        // The server saw both stanzas (its debug log has the <c/>), never their text.
        QTRY_VERIFY_WITH_TIMEOUT(m_server.storedBytes().contains("xep-0200.html#ns"), NetTimeout);
        const QByteArray server = m_server.storedBytes();
        QVERIFY(!server.contains(secret.toUtf8()));
        QVERIFY(server.contains(thread.toUtf8()));
    }

    void offlineCopyOnTheServerIsCiphertext()
    {
        const QString thread = startSession();
        m_bob->account.disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(!m_alice->account.contact(QStringLiteral("bob@localhost")).online, NetTimeout);
        const QString secret = QStringLiteral("stored while you were away ") + QString::fromLatin1(Crypto::randomBytes(6).toHex());
        const auto sent = m_alice->messenger->send(QStringLiteral("bob@localhost"), secret);
        QVERIFY(sent && sent->encrypted);
        // Taken by the server, not confirmed by Bob yet.
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->store->message(sent->id)->state, MessageState::Sent, NetTimeout);
        QTest::qWait(300);
        QVERIFY(!m_server.storedBytes().contains(secret.toUtf8()));

        // Bob comes back. His keys went when his stream did (a session is bound to one connection of one
        // resource), so the stored copy cannot be opened: it shows as such, never as text, and Bob's client
        // tells Alice's, whose session ends and whose message waits for the next session.
        QSignalSpy aliceEnded(m_alice->account.esession(), &EsessionExtension::sessionEnded);
        m_bob->account.connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->received.size(), 1, NetTimeout);
        QCOMPARE(m_bob->received[0].state, MessageState::Undecryptable);
        QCOMPARE(m_bob->received[0].thread, thread);
        QCOMPARE(m_bob->received[0].body, QStringLiteral("session-ended")); // its keys went with the stream
        QTRY_COMPARE_WITH_TIMEOUT(aliceEnded.count(), 1, NetTimeout);
        QCOMPARE(aliceEnded.first().at(2).toString(), EsessionExtension::OutOfStep);
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->store->message(sent->id)->state, MessageState::Queued, NetTimeout);

        // A new session (negotiated in the app; injected here) carries it, and the readable copy takes the
        // placeholder's place.
        const QString next = m_alice->messenger->sessions()->startSession(QStringLiteral("bob@localhost/sotto"))->threadId();
        const CipherParameters p = randomParameters();
        m_bob->account.esession()->startSession(QStringLiteral("alice@localhost/sotto"), next, mirrored(p));
        m_alice->account.esession()->startSession(QStringLiteral("bob@localhost/sotto"), next, p);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->store->history(QStringLiteral("alice@localhost")).value(0).body, secret,
                                  NetTimeout);
        QCOMPARE(m_bob->store->history(QStringLiteral("alice@localhost")).size(), 1);
        QVERIFY(m_bob->store->history(QStringLiteral("alice@localhost")).value(0).encrypted);
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->store->message(sent->id)->state, MessageState::Delivered, NetTimeout);
        QVERIFY(!m_server.storedBytes().contains(secret.toUtf8()));
    }

    void presenceAndIqEncrypted()
    {
        startSession();
        // Presence: through the extension's own path, opened on Bob's side.
        QSignalSpy presences(m_bob->account.esession(), &EsessionExtension::presenceDecrypted);
        const QString status = QStringLiteral("in the vault ") + QString::fromLatin1(Crypto::randomBytes(6).toHex());
        QXmppPresence presence;
        presence.setTo(QStringLiteral("bob@localhost/sotto"));
        presence.setStatusText(status);
        m_alice->account.esession()->sendPresence(std::move(presence));
        QTRY_COMPARE_WITH_TIMEOUT(presences.count(), 1, NetTimeout);
        const auto opened = presences.first().first().value<QXmppPresence>();
        QCOMPARE(opened.statusText(), status);
        QVERIFY(opened.e2eeMetadata().has_value());

        // Iq: a request through QXmpp's E2EE hook. Bob's handler answers only requests that arrived
        // encrypted, and QXmpp sends its answer back through the same hook.
        auto *handler = new EncryptedIqEcho;
        m_bob->account.client()->addExtension(handler);
        QDomDocument doc;
        QDomElement query = doc.createElementNS(EncryptedIqEcho::Namespace, QStringLiteral("query"));
        query.appendChild(doc.createTextNode(QStringLiteral("Sotto-secret-question")));
        QXmppIq request(QXmppIq::Get);
        request.setTo(QStringLiteral("bob@localhost/sotto"));
        request.setExtensions({QXmppElement(query)});
        bool answered = false;
        QString answer;
        m_alice->account.client()->sendSensitiveIq(std::move(request)).then(this, [&](QXmppClient::IqResult &&result) {
            answered = true;
            if (auto *element = std::get_if<QDomElement>(&result))
                answer = element->firstChildElement(QStringLiteral("query")).text();
            else
                answer = QStringLiteral("error: ") + std::get<QXmppError>(result).description;
        });
        QTRY_VERIFY_WITH_TIMEOUT(answered, NetTimeout);
        QCOMPARE(answer, QStringLiteral("echo: Sotto-secret-question"));
        QTest::qWait(300);
        const QByteArray server = m_server.storedBytes();
        QVERIFY(!server.contains(status.toUtf8()));
        QVERIFY(!server.contains("Sotto-secret-question"));
    }

    void forgedStanzaEndsTheSessionVisiblyAndNothingGoesOutInPlaintext()
    {
        const QString thread = startSession();
        QSignalSpy ended(m_bob->account.esession(), &EsessionExtension::sessionEnded);
        // Someone sends Bob a <c/> in the session's thread that was not made with the session keys.
        QXmppMessage forged;
        forged.setTo(QStringLiteral("bob@localhost/sotto"));
        forged.setType(QXmppMessage::Chat);
        QDomDocument doc;
        QDomElement threadElement = doc.createElement(QStringLiteral("thread"));
        threadElement.appendChild(doc.createTextNode(thread));
        QDomElement c = doc.createElementNS(QStringLiteral("http://www.xmpp.org/extensions/xep-0200.html#ns"), QStringLiteral("c"));
        for (const auto &[name, value] : {std::pair{QStringLiteral("data"), QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA==")},
                                          std::pair{QStringLiteral("mac"), QString::fromLatin1(QByteArray(32, 'x').toBase64())}}) {
            QDomElement e = doc.createElementNS(QStringLiteral("http://www.xmpp.org/extensions/xep-0200.html#ns"), name);
            e.appendChild(doc.createTextNode(value));
            c.appendChild(e);
        }
        // A plaintext body next to it must never be shown either.
        QDomElement body = doc.createElement(QStringLiteral("body"));
        body.appendChild(doc.createTextNode(QStringLiteral("please trust this plaintext")));
        forged.setExtensions({QXmppElement(threadElement), QXmppElement(c), QXmppElement(body)});
        m_alice->account.client()->send(std::move(forged));

        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->received.size(), 1, NetTimeout);
        QCOMPARE(m_bob->received[0].state, MessageState::Undecryptable);
        QCOMPARE(m_bob->received[0].body, QStringLiteral("bad-mac")); // the code; the front ends word it
        QVERIFY(!m_bob->bodies().contains(QStringLiteral("please trust this plaintext")));
        QCOMPARE(m_bob->account.esession()->sessionState(QStringLiteral("alice@localhost/sotto"), thread),
                 EsessionExtension::SessionState::Ended);

        // Bob writes in that conversation: the session is gone, so nothing leaves in plaintext; the
        // message waits in his outbox.
        const auto pending = m_bob->messenger->send(QStringLiteral("alice@localhost"), QStringLiteral("must not leak"));
        QVERIFY(pending);
        QTest::qWait(1000);
        QVERIFY(m_alice->received.isEmpty());
        QCOMPARE(m_bob->store->message(pending->id)->state, MessageState::Queued);
        QVERIFY(!m_server.storedBytes().contains("must not leak"));
    }

    void rekeyingThroughTheServerLosesNothing()
    {
        // Both sides hold DH keys (as a XEP-0116 negotiation would hand over) and re-key every 2 stanzas.
        auto key = [] {
            auto generated = Crypto::DhKeyPair::generate(Crypto::ModpGroup::Group14);
            return std::make_shared<const Crypto::DhKeyPair>(std::move(std::get<Crypto::DhKeyPair>(generated)));
        };
        const auto aliceKey = key();
        const auto bobKey = key();
        ThreadSession *session = m_alice->messenger->sessions()->startSession(QStringLiteral("bob@localhost/sotto"));
        const QString thread = session->threadId();
        CipherParameters p = randomParameters();
        CipherParameters q = mirrored(p);
        p.rekey = RekeyParameters{aliceKey, bobKey->publicValue(), 1};
        q.rekey = RekeyParameters{bobKey, aliceKey->publicValue(), 1};
        m_alice->account.esession()->startSession(QStringLiteral("bob@localhost/sotto"), thread, p);
        m_bob->account.esession()->startSession(QStringLiteral("alice@localhost/sotto"), thread, q);
        m_alice->account.esession()->setRekeyInterval(2);
        m_bob->account.esession()->setRekeyInterval(2);
        QSignalSpy ended(m_bob->account.esession(), &EsessionExtension::sessionEnded);

        QStringList toBob, toAlice;
        for (int i = 1; i <= 6; ++i) {
            toBob << QStringLiteral("alice's line %1, rekeyed").arg(i);
            QVERIFY(m_alice->messenger->send(QStringLiteral("bob@localhost"), toBob.last()));
            QTRY_COMPARE_WITH_TIMEOUT(m_bob->bodies().size(), i, NetTimeout);
            toAlice << QStringLiteral("bob's line %1, rekeyed").arg(i);
            QVERIFY(m_bob->messenger->send(QStringLiteral("alice@localhost"), toAlice.last()));
            QTRY_COMPARE_WITH_TIMEOUT(m_alice->bodies().size(), i, NetTimeout);
        }
        QCOMPARE(m_bob->bodies(), toBob);
        QCOMPARE(m_alice->bodies(), toAlice);
        QCOMPARE(ended.count(), 0);
        // The new DH values crossed the server inside <c/> (receipts count as stanzas too).
        QTRY_VERIFY_WITH_TIMEOUT(m_server.storedBytes().count("<key>") >= 4, NetTimeout);
        QVERIFY(!m_server.storedBytes().contains("rekeyed"));
    }

    void lostOrDuplicatedStanzaIsNoticedAndNothingIsLost_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::newRow("server drops one") << QStringLiteral("drop");
        QTest::newRow("server duplicates one") << QStringLiteral("duplicate");
    }

    void lostOrDuplicatedStanzaIsNoticedAndNothingIsLost()
    {
        QFETCH(QString, fault);
        const QString thread = startSession();
        QSignalSpy aliceEnded(m_alice->account.esession(), &EsessionExtension::sessionEnded);
        QSignalSpy bobEnded(m_bob->account.esession(), &EsessionExtension::sessionEnded);
        setFault(fault + QStringLiteral(" 3 bob@localhost"));

        QStringList expected;
        for (int i = 1; i <= 5; ++i) {
            expected << QStringLiteral("part %1 of the plan").arg(i);
            QVERIFY(m_alice->messenger->send(QStringLiteral("bob@localhost"), expected.last()));
        }
        // Bob's counters no longer match: his session ends, he tells Alice, hers ends too. Both see why.
        QTRY_COMPARE_WITH_TIMEOUT(bobEnded.count(), 1, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(aliceEnded.count(), 1, NetTimeout);
        QCOMPARE(aliceEnded.first().at(2).toString(), EsessionExtension::OutOfStep);
        bool bobWasTold = false;
        for (const StoredMessage &m : std::as_const(m_bob->received))
            bobWasTold = bobWasTold || m.state == MessageState::Undecryptable;
        QVERIFY(bobWasTold);
        setFault(QString());

        // Nothing went out in plaintext meanwhile, and what Bob did not confirm waits for a new session.
        QTest::qWait(500);
        QVERIFY(!m_server.storedBytes().contains("of the plan"));
        QVERIFY(m_alice->messenger->outbox()->pendingCount() > 0);

        // A new session in the same thread (negotiated; injected here) carries the rest, once each.
        const CipherParameters p = randomParameters();
        m_bob->account.esession()->startSession(QStringLiteral("alice@localhost/sotto"), thread, mirrored(p));
        m_alice->account.esession()->startSession(QStringLiteral("bob@localhost/sotto"), thread, p);
        auto receivedBodies = [this] {
            QStringList bodies;
            for (const StoredMessage &m : std::as_const(m_bob->received)) {
                if (m.state == MessageState::Received)
                    bodies << m.body;
            }
            return bodies;
        };
        QTRY_COMPARE_WITH_TIMEOUT(receivedBodies().size(), expected.size(), NetTimeout);
        QTest::qWait(1000); // late duplicates would show up now
        QCOMPARE(receivedBodies(), expected);
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->messenger->outbox()->pendingCount(), 0, NetTimeout);
        QVERIFY(!m_server.storedBytes().contains("of the plan"));
    }

    // Kept last: everything the program's clients logged, at debug level in every category, holds none of the
    // session keys, plaintexts or passwords used above.
    void logHoldsNoSecret()
    {
        QVERIFY(LogCapture::text().contains("sotto.")); // the capture works
        QVERIFY(!s_keys.isEmpty());
        QList<QByteArray> forbidden{"the eagle lands at 0600", "roger, the eagle", "stored while you were away",
                                    "in the vault", "Sotto-secret-question", "please trust this plaintext",
                                    "must not leak", ", rekeyed", "of the plan",
                                    m_server.password(QStringLiteral("alice")).toUtf8(),
                                    m_server.password(QStringLiteral("bob")).toUtf8()};
        forbidden << s_keys;
        const QString found = LogCapture::findAny(forbidden);
        QVERIFY2(found.isEmpty(), qPrintable(found));
    }

private:
    void setFault(const QString &spec)
    {
        QFile file(m_server.dir() + QStringLiteral("/server/fault"));
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(spec.toUtf8());
    }

    LocalServer m_server;
    std::unique_ptr<TestClient> m_alice;
    std::unique_ptr<TestClient> m_bob;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestEsession test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_esession.moc"
