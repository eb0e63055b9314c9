// One security state per conversation (ConversationSecurity), played against the network through a real Prosody
// that logs every stanza it routes and can drop or corrupt one: once encryption was asked for, nothing the user
// writes reaches the wire (or the server's offline store) in plaintext, whatever arrives or fails to arrive, and
// after the user's Retry every message arrives exactly once, encrypted. Each event runs under the policies Ask and
// Always.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QSignalSpy>
#include <QTest>

#include <QXmppClient.h>
#include <QXmppMessage.h>
#include <QXmppStanza.h>

#include <memory>

#include "LocalServer.h"
#include "LogCapture.h"
#include "TestClient.h"
#include "crypto/Crypto.h"
#include "esession/RetainedSecretStore.h"
#include "session/ConversationSecurity.h"
#include "session/Messenger.h"
#include "session/Outbox.h"
#include "storage/ContactSettings.h"
#include "xmpp/EsessionExtension.h"

using namespace std::chrono_literals;
using Phase = ConversationSecurity::Phase;

namespace {

constexpr int NetTimeout = 20000;
const QString Alice = QStringLiteral("alice@localhost");
const QString Bob = QStringLiteral("bob@localhost");
const QString BobFull = QStringLiteral("bob@localhost/sotto");
const QString AliceFull = QStringLiteral("alice@localhost/sotto");
/// Every secret starts so; none may ever be seen by the server.
const QByteArray SecretMark = "whisper-";

QString newThread()
{
    return QString::fromLatin1(Crypto::randomBytes(16).toHex());
}

} // namespace

class TestConversationSecurity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        LogCapture::install();
        qputenv("SOTTO_SERVER_DEBUG", "1"); // every stanza in the server's log
        qputenv("SOTTO_SERVER_TEST_MODULES", "1");
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
    }

    void init()
    {
        setFault(QString());
        m_bobStore = std::make_unique<Esession::MemoryRetainedSecretStore>();
        m_aliceStore = std::make_unique<Esession::MemoryRetainedSecretStore>();
        m_alice = openAlice();
        m_bob = std::make_unique<TestClient>(m_server, QStringLiteral("bob"));
        prepare(*m_bob, m_bobStore.get());
        m_bob->account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.state() == Account::State::Online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(m_bob->account.state() == Account::State::Online, NetTimeout);
        subscribeBothWays();
        m_sent.clear();
    }

    void cleanup()
    {
        setFault(QString());
        m_bobOther.reset();
        closeAlice();
        m_bobSettings.reset();
        m_bob.reset();
        m_aliceStore.reset();
        m_bobStore.reset();
        if (!m_leftoverDir.isEmpty())
            QDir(m_leftoverDir).removeRecursively();
        m_leftoverDir.clear();
    }

    void noPlaintextOnTheWire_data()
    {
        QTest::addColumn<int>("policy");
        QTest::addColumn<QString>("event");
        const QStringList events { QStringLiteral("plaintext on a new thread"),
            QStringLiteral("plaintext without a thread"), QStringLiteral("plaintext from another resource"),
            QStringLiteral("forged error during the negotiation"), QStringLiteral("message 2 dropped"),
            QStringLiteral("message 3 dropped"), QStringLiteral("message 4 dropped"),
            QStringLiteral("message 4 refused"), QStringLiteral("contact ends the session"),
            QStringLiteral("reconnect"), QStringLiteral("restart"), QStringLiteral("contact's client vanishes") };
        for (const SessionPolicy policy : { SessionPolicy::Ask, SessionPolicy::Always }) {
            for (const QString &event : events) {
                const QString row = (policy == SessionPolicy::Ask ? u"ask: "_qs : u"always: "_qs) + event;
                QTest::newRow(qPrintable(row)) << int(policy) << event;
            }
        }
    }

    void noPlaintextOnTheWire()
    {
        QFETCH(int, policy);
        QFETCH(QString, event);
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy(policy)));
        ConversationSecurity *security = m_alice->messenger->security();
        QCOMPARE(security->phase(Bob), SessionPolicy(policy) == SessionPolicy::Always ? Phase::Ready : Phase::Plain);

        if (event.startsWith(u"plaintext")) {
            establish();
            const QString thread = security->thread(Bob);
            QXmppMessage plain;
            plain.setType(QXmppMessage::Chat);
            plain.setBody(QStringLiteral("an unencrypted hello"));
            if (event.endsWith(u"new thread")) {
                plain.setTo(AliceFull);
                plain.setThread(newThread());
                m_bob->account.client()->send(std::move(plain));
            } else if (event.endsWith(u"without a thread")) {
                plain.setTo(AliceFull);
                m_bob->account.client()->send(std::move(plain));
            } else {
                m_bobOther = std::make_unique<TestClient>(m_server, QStringLiteral("bob"), QString(), QString(),
                                                          QStringLiteral("phone"));
                m_bobOther->account.connectToServer();
                QTRY_VERIFY_WITH_TIMEOUT(m_bobOther->account.state() == Account::State::Online, NetTimeout);
                plain.setTo(Alice);
                plain.setThread(thread);
                m_bobOther->account.client()->send(std::move(plain));
            }
            QTRY_VERIFY_WITH_TIMEOUT(lastReceivedBody() == u"an unencrypted hello", NetTimeout);
            // Shown with its mark; nothing changed.
            QVERIFY(m_alice->received.last().arrivedUnencrypted);
            QVERIFY(!m_alice->received.last().encrypted);
            QCOMPARE(security->phase(Bob), Phase::Encrypted);
            QCOMPARE(security->thread(Bob), thread);
            sendSecret();
            QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
            checkNoPlaintext();
            return;
        }

        if (event == u"forged error during the negotiation" || event.startsWith(u"message ")) {
            QSignalSpy failed(m_alice->account.esession(), &EsessionExtension::negotiationFailed);
            QSignalSpy bobEnded(m_bob->account.esession(), &EsessionExtension::sessionEnded);
            QSignalSpy bobUp(m_bob->account.esession(), &EsessionExtension::sessionStarted);
            if (event == u"forged error during the negotiation" || event == u"message 2 dropped")
                setFault(QStringLiteral("drop 1 alice@localhost neg"));
            else if (event == u"message 3 dropped")
                setFault(QStringLiteral("drop 2 bob@localhost neg"));
            else if (event == u"message 4 dropped")
                setFault(QStringLiteral("drop 2 alice@localhost neg"));
            else
                setFault(QStringLiteral("corrupt 2 alice@localhost neg"));
            QVERIFY(security->startEncryption(Bob));
            QCOMPARE(security->phase(Bob), Phase::Negotiating);
            sendSecret(); // written while the negotiation is under way: it waits
            if (event == u"forged error during the negotiation") {
                QTest::qWait(300);
                QXmppMessage forged;
                forged.setTo(AliceFull);
                forged.setType(QXmppMessage::Error);
                forged.setThread(security->thread(Bob));
                forged.setError(QXmppStanza::Error(QXmppStanza::Error::Cancel,
                                                   QXmppStanza::Error::ServiceUnavailable));
                m_bob->account.client()->send(std::move(forged));
            }
            QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, NetTimeout);
            // The code says why: a lost message leaves the negotiation to time out (a forged error without a form
            // is no answer of the contact's), a corrupted message 4 fails Alice's check of Bob's identity.
            const QString expected = event == u"message 4 refused" ? QStringLiteral("identity-mac")
                                                                   : EsessionExtension::NegotiationTimeout;
            QCOMPARE(failed.first().at(2).toString(), expected);
            QCOMPARE(security->phase(Bob), Phase::Held);
            QCOMPARE(security->failure(Bob), expected);
            if (event == u"message 4 refused") {
                // Bob had his keys when Alice refused message 4: his session ends too (review M5).
                QTRY_COMPARE_WITH_TIMEOUT(bobUp.count(), 1, NetTimeout);
                QTRY_COMPARE_WITH_TIMEOUT(bobEnded.count(), 1, NetTimeout);
                QCOMPARE(bobEnded.first().at(2).toString(), EsessionExtension::RefusedAfterEstablishment);
                QCOMPARE(m_bob->account.esession()->sessionState(AliceFull, security->thread(Bob)),
                         EsessionExtension::SessionState::Ended);
                QCOMPARE(security->failure(Bob), QStringLiteral("identity-mac"));
            }
            sendSecret(); // after the failure: waits too
            QTest::qWait(300);
            checkNoPlaintext();
            QVERIFY(bobSecrets().isEmpty());
            setFault(QString());
            retryAndDeliver();
            return;
        }

        if (event == u"contact ends the session") {
            establish();
            sendSecret();
            QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
            QVERIFY(m_bob->account.esession()->terminateSession(AliceFull, security->thread(Bob)));
            QTRY_COMPARE_WITH_TIMEOUT(security->phase(Bob), Phase::Held, NetTimeout);
            QCOMPARE(security->failure(Bob), EsessionExtension::EndedByContact);
            sendSecret();
            QTest::qWait(300);
            checkNoPlaintext();
            QCOMPARE(bobSecrets().size(), 1);
            retryAndDeliver();
            return;
        }

        if (event == u"reconnect") {
            establish();
            m_alice->account.disconnectFromServer();
            QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.isConnectionClosed(), NetTimeout);
            sendSecret(); // offline: waits in the outbox
            m_alice->account.connectToServer();
            QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.state() == Account::State::Online, NetTimeout);
            sendSecret();
            QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
            checkNoPlaintext();
            return;
        }

        if (event == u"restart") {
            establish();
            sendSecret();
            QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
            // The same database, a new process: the conversation is still one to encrypt.
            m_leftoverDir = m_alice->dataDir;
            m_alice->dir.setAutoRemove(false);
            closeAlice();
            m_alice = openAlice(m_leftoverDir);
            QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.state() == Account::State::Online, NetTimeout);
            security = m_alice->messenger->security();
            QCOMPARE(security->phase(Bob), Phase::Ready);
            QVERIFY(security->encryptionWanted(Bob));
            sendSecret(); // negotiates a new session first
            QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
            QCOMPARE(security->phase(Bob), Phase::Encrypted);
            checkNoPlaintext();
            return;
        }

        if (event == u"contact's client vanishes") {
            establish();
            m_bob->account.disconnectFromServer();
            // Bob's resource is gone: the session bound to it ends, and the header stops saying "encrypted".
            QTRY_COMPARE_WITH_TIMEOUT(security->phase(Bob) == Phase::Encrypted, false, NetTimeout);
            sendSecret();
            QTest::qWait(500);
            checkNoPlaintext();
            m_bob->account.connectToServer();
            QTRY_VERIFY_WITH_TIMEOUT(m_bob->account.state() == Account::State::Online, NetTimeout);
            QTest::qWait(300);
            retryAndDeliver();
            return;
        }
        QFAIL("unknown event");
    }

    // After the user's explicit choice, and only then, a message leaves unencrypted: the waiting one included.
    void sendUnencryptedIsTheUsersChoice()
    {
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Ask));
        ConversationSecurity *security = m_alice->messenger->security();
        setFault(QStringLiteral("drop 1 alice@localhost neg"));
        QVERIFY(security->startEncryption(Bob));
        m_alice->messenger->send(Bob, QStringLiteral("waited, then sent plainly"));
        QSignalSpy failed(m_alice->account.esession(), &EsessionExtension::negotiationFailed);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, NetTimeout);
        QCOMPARE(security->phase(Bob), Phase::Held);
        setFault(QString());
        QVERIFY(!m_server.storedBytes().contains("waited, then sent plainly"));
        QVERIFY(security->sendUnencrypted(Bob));
        QCOMPARE(security->phase(Bob), Phase::Plain);
        QTRY_VERIFY_WITH_TIMEOUT(m_bob->bodies().contains(QStringLiteral("waited, then sent plainly")), NetTimeout);
        QVERIFY(!m_bob->received.last().encrypted);
        QVERIFY(m_server.storedBytes().contains("waited, then sent plainly"));

        // Under Always the choice does not exist.
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Always));
        QVERIFY(!security->sendUnencrypted(Bob));
        QVERIFY(!security->endEncryption(Bob));
    }

    // "End encryption": the session is terminated the ESession way and the next message is plain.
    void endEncryptionIsTheUsersChoice()
    {
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Ask));
        ConversationSecurity *security = m_alice->messenger->security();
        establish();
        QSignalSpy bobEnded(m_bob->account.esession(), &EsessionExtension::sessionEnded);
        QVERIFY(security->endEncryption(Bob));
        QCOMPARE(security->phase(Bob), Phase::Plain);
        QTRY_COMPARE_WITH_TIMEOUT(bobEnded.count(), 1, NetTimeout);
        QCOMPARE(bobEnded.first().at(2).toString(), EsessionExtension::EndedByContact);
        QVERIFY(m_alice->messenger->send(Bob, QStringLiteral("plain by choice")));
        QTRY_VERIFY_WITH_TIMEOUT(m_bob->bodies().contains(QStringLiteral("plain by choice")), NetTimeout);
        QVERIFY(!m_bob->received.last().encrypted);
    }

    // Logging out (closeAll) tells the contact and destroys every key at once, acknowledged or not.
    void goingOfflineTerminatesAndDestroysKeys()
    {
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Ask));
        establish();
        QSignalSpy bobEnded(m_bob->account.esession(), &EsessionExtension::sessionEnded);
        EsessionExtension *esession = m_alice->account.esession();
        QVERIFY(esession->holdsKeys());
        QCOMPARE(esession->closeAll(), 1);
        QVERIFY(!esession->holdsKeys());
        m_alice->account.disconnectFromServer();
        QTRY_COMPARE_WITH_TIMEOUT(bobEnded.count(), 1, NetTimeout);
        QCOMPARE(bobEnded.first().at(2).toString(), EsessionExtension::EndedByContact);
        // Not a failure: the next message after logging in again simply negotiates.
        QCOMPARE(m_alice->messenger->security()->phase(Bob), Phase::Ready);
    }

    // An encrypted message counts as sent exactly when a plain one does: with XEP-0198 when the server acknowledged
    // it, without when it was written to the stream.
    void encryptedMessageCountsAsSentLikeAPlainOne_data()
    {
        QTest::addColumn<bool>("streamManagement");
        QTest::newRow("with stream management") << true;
        QTest::newRow("without stream management") << false;
    }

    void encryptedMessageCountsAsSentLikeAPlainOne()
    {
        QFETCH(bool, streamManagement);
        LocalServer plainServer;
        LocalServer *server = &m_server;
        if (!streamManagement) {
            // A second server, identical but for mod_smacks; this program's clients move to it.
            cleanup();
            qputenv("SOTTO_SERVER_NO_SMACKS", "1");
            QString error;
            const bool started = plainServer.start(&error);
            qunsetenv("SOTTO_SERVER_NO_SMACKS");
            QVERIFY2(started, qPrintable(error));
            server = &plainServer;
            m_aliceStore = std::make_unique<Esession::MemoryRetainedSecretStore>();
            m_bobStore = std::make_unique<Esession::MemoryRetainedSecretStore>();
            m_alice = std::make_unique<TestClient>(*server, QStringLiteral("alice"));
            m_aliceSettings = std::make_unique<ContactSettings>(m_alice->db.get());
            m_alice->messenger->setContactSettings(m_aliceSettings.get());
            prepare(*m_alice, m_aliceStore.get());
            m_bob = std::make_unique<TestClient>(*server, QStringLiteral("bob"));
            prepare(*m_bob, m_bobStore.get());
            m_alice->account.connectToServer();
            m_bob->account.connectToServer();
            QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.state() == Account::State::Online, NetTimeout);
            QTRY_VERIFY_WITH_TIMEOUT(m_bob->account.state() == Account::State::Online, NetTimeout);
            subscribeBothWays();
        }
        QCOMPARE(m_alice->account.client()->streamManagementState() != QXmppClient::NoStreamManagement,
                 streamManagement);
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Ask));
        QSignalSpy acknowledged(m_alice->messenger->outbox(), &Outbox::acknowledged);
        const auto plain = m_alice->messenger->send(Bob, QStringLiteral("a plain one"));
        QVERIFY(plain && !plain->encrypted);
        QTRY_COMPARE_WITH_TIMEOUT(acknowledged.count(), 1, NetTimeout);
        establish();
        sendSecret();
        QTRY_COMPARE_WITH_TIMEOUT(acknowledged.count(), 2, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
        const QByteArray seen = server->storedBytes();
        for (const QString &secret : std::as_const(m_sent))
            QVERIFY(!seen.contains(secret.toUtf8()));
        if (!streamManagement) {
            cleanup(); // before plainServer goes
            init();
        }
    }

    // A terminate whose acknowledgement never comes does not keep the keys: after the limit they are destroyed
    // (XEP-0217 §terminate MUST), and the user's choice of plaintext stands.
    void unacknowledgedTerminateDestroysTheKeys()
    {
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Ask));
        establish();
        EsessionExtension *esession = m_alice->account.esession();
        esession->setTerminationTimeout(1500ms);
        QSignalSpy ended(esession, &EsessionExtension::sessionEnded);
        setFault(QStringLiteral("drop 1 alice@localhost c")); // Bob's encrypted acknowledgement
        QVERIFY(m_alice->messenger->security()->endEncryption(Bob));
        QTest::qWait(500);
        QCOMPARE(ended.count(), 0);
        QVERIFY(esession->holdsKeys());
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, NetTimeout);
        QCOMPARE(ended.first().at(2).toString(), EsessionExtension::EndedUnacknowledged);
        QVERIFY(!esession->holdsKeys());
        QCOMPARE(m_alice->messenger->security()->phase(Bob), Phase::Plain);
    }

    // After "They don't match", a session that comes up on the contact's side (or whoever plays it) does not take
    // what the user wrote meanwhile; only Retry does (the review of this change, F2).
    void codesDifferHoldsAgainstASessionFromTheOtherSide()
    {
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Ask));
        establish();
        ConversationSecurity *security = m_alice->messenger->security();
        security->codesDiffer(Bob);
        QTRY_COMPARE_WITH_TIMEOUT(security->phase(Bob), Phase::Held, NetTimeout);
        sendSecret();
        Esession::MemoryRetainedSecretStore otherStore;
        m_bobOther = std::make_unique<TestClient>(m_server, QStringLiteral("bob"), QString(), QString(),
                                                  QStringLiteral("phone"));
        prepare(*m_bobOther, &otherStore);
        m_bobOther->account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(m_bobOther->account.state() == Account::State::Online, NetTimeout);
        QSignalSpy up(m_bobOther->account.esession(), &EsessionExtension::esessionEstablished);
        QVERIFY(m_bobOther->account.esession()->negotiate(Alice, newThread()));
        QTRY_COMPARE_WITH_TIMEOUT(up.count(), 1, NetTimeout);
        QTest::qWait(700);
        QCOMPARE(security->phase(Bob), Phase::Held);
        QCOMPARE(security->failure(Bob), ConversationSecurity::CodesDiffer);
        QVERIFY(m_bobOther->bodies().isEmpty());
        QVERIFY(bobSecrets().isEmpty());
        checkNoPlaintext();
        m_bobOther.reset();
    }

    // A plain message written offline has not left when the user asks for encryption: it waits for the session
    // too (the review of this change, F7).
    void plainMessageStillQueuedWaitsForEncryption()
    {
        QVERIFY(m_aliceSettings->setSessionPolicy(Bob, SessionPolicy::Ask));
        ConversationSecurity *security = m_alice->messenger->security();
        m_alice->account.disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.isConnectionClosed(), NetTimeout);
        QCOMPARE(security->phase(Bob), Phase::Plain);
        sendSecret(); // plain, queued while offline
        QVERIFY(!m_alice->store->history(Bob).last().encrypted);
        QVERIFY(!security->startEncryption(Bob)); // offline: wanted, the session starts once online
        QVERIFY(m_alice->store->history(Bob).last().encrypted);
        m_alice->account.connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(security->phase(Bob), Phase::Encrypted, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
        checkNoPlaintext();
    }

    void logHoldsNoSecret()
    {
        QVERIFY(LogCapture::text().contains("sotto."));
        const QString found = LogCapture::findAny({ SecretMark, "waited, then sent plainly",
            m_server.password(QStringLiteral("alice")).toUtf8(), m_server.password(QStringLiteral("bob")).toUtf8() });
        QVERIFY2(found.isEmpty(), qPrintable(found));
    }

private:
    std::unique_ptr<TestClient> openAlice(const QString &dataDir = {})
    {
        auto alice = std::make_unique<TestClient>(m_server, QStringLiteral("alice"), QString(), dataDir);
        m_aliceSettings = std::make_unique<ContactSettings>(alice->db.get());
        alice->messenger->setContactSettings(m_aliceSettings.get());
        prepare(*alice, m_aliceStore.get());
        alice->account.connectToServer();
        return alice;
    }

    void closeAlice()
    {
        if (!m_alice)
            return;
        m_alice->messenger->setContactSettings(nullptr);
        m_alice.reset();
        m_aliceSettings.reset();
    }

    void prepare(TestClient &client, Esession::RetainedSecretStore *store)
    {
        client.account.esession()->setRetainedSecretStore(store);
        client.account.esession()->setNegotiationTimeout(3s);
        client.account.setAutoApproveSubscriptions(true);
    }

    void subscribeBothWays()
    {
        m_alice->account.addContact(Bob);
        m_bob->account.addContact(Alice);
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->account.contact(Bob).subscription, QStringLiteral("both"), NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->account.contact(Alice).subscription, QStringLiteral("both"), NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.contact(Bob).online, NetTimeout);
    }

    void establish()
    {
        ConversationSecurity *security = m_alice->messenger->security();
        QVERIFY(security->startEncryption(Bob));
        QTRY_COMPARE_WITH_TIMEOUT(security->phase(Bob), Phase::Encrypted, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->account.esession()->sessionState(AliceFull, security->thread(Bob)),
                                  EsessionExtension::SessionState::Active, NetTimeout);
    }

    void sendSecret()
    {
        const QString body = QString::fromLatin1(SecretMark) + QString::number(m_sent.size() + 1) + u' '
            + QString::fromLatin1(Crypto::randomBytes(4).toHex());
        m_sent << body;
        QVERIFY(m_alice->messenger->send(Bob, body));
    }

    /// The user's Retry: a new negotiation, then everything that waited arrives, encrypted, exactly once.
    void retryAndDeliver()
    {
        ConversationSecurity *security = m_alice->messenger->security();
        QVERIFY(security->startEncryption(Bob));
        QTRY_COMPARE_WITH_TIMEOUT(security->phase(Bob), Phase::Encrypted, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(bobSecrets(), m_sent, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->messenger->outbox()->pendingCount(), 0, NetTimeout);
        QTest::qWait(500); // a late duplicate would show now
        QCOMPARE(bobSecrets(), m_sent);
        checkNoPlaintext();
    }

    /// What Bob shows of the secrets, in order; each must have arrived encrypted.
    QStringList bobSecrets() const
    {
        QStringList bodies;
        for (const StoredMessage &m : std::as_const(m_bob->received)) {
            if (m.state == MessageState::Received && m.body.startsWith(QString::fromLatin1(SecretMark))) {
                bodies << (m.encrypted ? m.body : QStringLiteral("PLAINTEXT ") + m.body);
            }
        }
        return bodies;
    }

    QString lastReceivedBody() const { return m_alice->received.isEmpty() ? QString() : m_alice->received.last().body; }

    void checkNoPlaintext()
    {
        const QByteArray seen = m_server.storedBytes();
        for (const QString &secret : std::as_const(m_sent))
            QVERIFY2(!seen.contains(secret.toUtf8()), qPrintable(u"on the wire in plaintext: "_qs + secret));
    }

    void setFault(const QString &spec)
    {
        QFile file(m_server.dir() + QStringLiteral("/server/fault"));
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(spec.toUtf8());
    }

    LocalServer m_server;
    std::unique_ptr<Esession::MemoryRetainedSecretStore> m_aliceStore, m_bobStore;
    std::unique_ptr<ContactSettings> m_aliceSettings, m_bobSettings;
    std::unique_ptr<TestClient> m_alice, m_bob, m_bobOther;
    QString m_leftoverDir; ///< the restart's database dir, removed in cleanup()
    QStringList m_sent;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestConversationSecurity test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_conversationsecurity.moc"
