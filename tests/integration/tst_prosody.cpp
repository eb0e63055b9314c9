// Two accounts through a real, throwaway Prosody: presence, threads, the outbox across a server crash,
// clear errors for a wrong password, a dead server and an untrusted certificate, and the CLI's JSON.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslSocket>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <QXmppUtils.h>

#include <memory>

#include "LocalServer.h"
#include <QXmppClient.h>

#include "LogCapture.h"
#include "TestClient.h"
#include "crypto/Crypto.h"
#include "session/Messenger.h"
#include "session/Outbox.h"
#include "session/SessionManager.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"
#include "xmpp/Account.h"

namespace {

constexpr int NetTimeout = 20000;

using Client = TestClient;

QList<QJsonObject> jsonLines(const QByteArray &output)
{
    QList<QJsonObject> result;
    for (const QByteArray &line : output.split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            qWarning("not a JSON object line: %s", line.constData());
        else
            result << doc.object();
    }
    return result;
}

} // namespace

class TestProsody : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Every logging category at debug level, captured for logHoldsNoSecret().
        LogCapture::install();
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
        QVERIFY(!m_server.password(QStringLiteral("alice")).isEmpty());
    }

    void subscribeAndSeeEachOtherOnline()
    {
        Client alice(m_server, QStringLiteral("alice"));
        Client bob(m_server, QStringLiteral("bob"));
        QSignalSpy request(&bob.account, &Account::subscriptionRequested);
        alice.account.connectToServer();
        bob.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() == Account::State::Online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(bob.account.state() == Account::State::Online, NetTimeout);

        alice.account.addContact(QStringLiteral("bob@localhost"));
        // Bob was not asked by himself: the request waits for him.
        QTRY_COMPARE_WITH_TIMEOUT(request.count(), 1, NetTimeout);
        QCOMPARE(request.first().first().toString(), QStringLiteral("alice@localhost"));
        QCOMPARE(bob.account.pendingSubscriptionRequests(), QStringList{QStringLiteral("alice@localhost")});
        bob.account.approveSubscription(QStringLiteral("alice@localhost"));

        QTRY_COMPARE_WITH_TIMEOUT(alice.account.contact(QStringLiteral("bob@localhost")).subscription,
                                  QStringLiteral("both"), NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(bob.account.contact(QStringLiteral("alice@localhost")).subscription,
                                  QStringLiteral("both"), NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.contact(QStringLiteral("bob@localhost")).online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(bob.account.contact(QStringLiteral("alice@localhost")).online, NetTimeout);

        // Bob goes away: Alice sees it.
        bob.account.disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(!alice.account.contact(QStringLiteral("bob@localhost")).online, NetTimeout);
    }

    void messageBothWaysThreadMirrored()
    {
        Client alice(m_server, QStringLiteral("alice"));
        Client bob(m_server, QStringLiteral("bob"));
        alice.account.connectToServer();
        bob.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() == Account::State::Online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(bob.account.state() == Account::State::Online, NetTimeout);

        const auto sent = alice.messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("Hi Bob <&> ✓"));
        QVERIFY(sent);
        QCOMPARE(sent->thread.size(), 32);
        QTRY_COMPARE_WITH_TIMEOUT(bob.received.size(), 1, NetTimeout);
        QCOMPARE(bob.received[0].body, QStringLiteral("Hi Bob <&> ✓"));
        QCOMPARE(bob.received[0].thread, sent->thread);
        QCOMPARE(bob.received[0].peer, QStringLiteral("alice@localhost"));
        QTRY_VERIFY_WITH_TIMEOUT(alice.store->message(sent->id)->state == MessageState::Delivered, NetTimeout);

        // Bob answers in the conversation: same thread, and Alice's session locks onto Bob's resource.
        const auto reply = bob.messenger->send(QStringLiteral("alice@localhost"), QStringLiteral("Hi Alice"));
        QVERIFY(reply);
        QCOMPARE(reply->thread, sent->thread);
        QTRY_COMPARE_WITH_TIMEOUT(alice.received.size(), 1, NetTimeout);
        QCOMPARE(alice.received[0].thread, sent->thread);
        ThreadSession *session = alice.messenger->sessions()->currentSession(QStringLiteral("bob@localhost"));
        QVERIFY(session);
        QCOMPARE(session->threadId(), sent->thread);
        QCOMPARE(session->peerJid(), QStringLiteral("bob@localhost/sotto"));
        QCOMPARE(alice.messenger->sessions()->sessionCount(), 1);
    }

    void logInAgainAtOnceSocketSendsAtOnce()
    {
        // Account::tuneSocket: without TCP_NODELAY a small stanza waits for the ACK of the previous one. Checked on
        // the socket itself, on the first connection and after logging out and in again. Logging in again at once
        // must not trip over the connection that is still closing (a spurious "network error", then a retry).
        QTest::failOnWarning(QRegularExpression(QStringLiteral("connectToHost")));
        Client alice(m_server, QStringLiteral("alice"));
        QSignalSpy errors(&alice.account, &Account::errorReasonChanged);
        for (int round = 0; round < 2; ++round) {
            alice.account.connectToServer();
            QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() == Account::State::Online, NetTimeout);
            const auto sockets = alice.account.client()->findChildren<QSslSocket *>();
            QCOMPARE(sockets.size(), 1);
            QCOMPARE(sockets.first()->socketOption(QAbstractSocket::LowDelayOption).toInt(), 1);
            alice.account.disconnectFromServer();
            QCOMPARE(alice.account.state(), Account::State::Offline);
        }
        QCOMPARE(errors.count(), 0);
    }

    void serverCrashLosesNothing()
    {
        Client alice(m_server, QStringLiteral("alice"));
        Client bob(m_server, QStringLiteral("bob"));
        alice.account.connectToServer();
        bob.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() == Account::State::Online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(bob.account.state() == Account::State::Online, NetTimeout);

        QStringList expected;
        // Some messages go out right before the crash, with acknowledgements possibly still missing...
        for (int i = 0; i < 3; ++i) {
            expected << QStringLiteral("before crash %1").arg(i);
            QVERIFY(alice.messenger->send(QStringLiteral("bob@localhost"), expected.last()));
        }
        QVERIFY(m_server.kill());
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() != Account::State::Online, NetTimeout);
        QVERIFY(!alice.account.errorReason().isEmpty());
        // ...and more are written while the server is down: they wait in the outbox.
        for (int i = 0; i < 5; ++i) {
            expected << QStringLiteral("during outage %1").arg(i);
            QVERIFY(alice.messenger->send(QStringLiteral("bob@localhost"), expected.last()));
        }
        QVERIFY(alice.messenger->outbox()->pendingCount() >= 5);
        QTest::qWait(500);

        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() == Account::State::Online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(bob.account.state() == Account::State::Online, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(alice.messenger->outbox()->pendingCount(), 0, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(bob.received.size() >= expected.size(), NetTimeout);
        // Give late duplicates a chance to show up before judging "exactly once".
        QTest::qWait(1500);
        QCOMPARE(bob.bodies(), expected);
        QCOMPARE(bob.store->history(QStringLiteral("alice@localhost"), 100).size(), expected.size());
    }

    void wrongPasswordIsAClearPermanentError()
    {
        Client alice(m_server, QStringLiteral("alice"), QStringLiteral("not-the-password"));
        alice.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(!alice.account.errorReason().isEmpty(), NetTimeout);
        QVERIFY2(alice.account.errorReason().contains(QStringLiteral("password")),
                 qPrintable(alice.account.errorReason()));
        QVERIFY(alice.account.errorIsPermanent());
        QTest::qWait(1500);
        // No retry loop with a password that cannot work.
        QCOMPARE(alice.account.state(), Account::State::Offline);
        QCOMPARE(alice.account.reconnectIn(), -1);
    }

    void deadServerIsAClearErrorAndRetried()
    {
        // A port where nothing listens: reserve one, then close it.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 deadPort = probe.serverPort();
        probe.close();
        Client alice(m_server, QStringLiteral("alice"));
        AccountConfig config = alice.account.config();
        config.port = deadPort;
        alice.account.setConfig(config);
        alice.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(!alice.account.errorReason().isEmpty(), NetTimeout);
        QVERIFY2(alice.account.errorReason().contains(QStringLiteral("refused")),
                 qPrintable(alice.account.errorReason()));
        QVERIFY(!alice.account.errorIsPermanent());
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.reconnectIn() >= 0, NetTimeout);
        QCOMPARE(alice.account.state() == Account::State::Online, false);
    }

    void untrustedCertificateRefused()
    {
        // Trust some other certificate than the server's: the connection must not go through.
        const auto others = QSslConfiguration::systemCaCertificates();
        QVERIFY(!others.isEmpty());
        QTemporaryDir dir;
        const QString pem = dir.filePath(QStringLiteral("other.pem"));
        QFile file(pem);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(others.first().toPem());
        file.close();

        Client alice(m_server, QStringLiteral("alice"));
        AccountConfig config = alice.account.config();
        config.trustedCertPath = pem;
        alice.account.setConfig(config);
        alice.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(!alice.account.errorReason().isEmpty(), NetTimeout);
        QVERIFY2(alice.account.errorReason().contains(QStringLiteral("certificate")),
                 qPrintable(alice.account.errorReason()));
        QVERIFY(alice.account.errorIsPermanent());
        QCOMPARE(alice.account.state(), Account::State::Offline);
    }

    void cliSendAndListenSpeakJson()
    {
        QTemporaryDir data;
        auto cli = [&](const QString &user, const QStringList &command) {
            auto process = std::make_unique<QProcess>();
            QStringList args{QStringLiteral("--jid"), user + QStringLiteral("@localhost"), QStringLiteral("--password-file"),
                             m_server.passwordFile(user), QStringLiteral("--host"), m_server.host(),
                             QStringLiteral("--port"), QString::number(m_server.port()), QStringLiteral("--trust-cert"),
                             m_server.certPath(), QStringLiteral("--data-dir"), data.filePath(user)};
            process->start(QStringLiteral(SOTTO_CLI_PATH), args + command);
            return process;
        };
        auto waitConnected = [](QProcess *process, QByteArray *out) {
            return QTest::qWaitFor(
                [&] {
                    *out += process->readAllStandardOutput();
                    return out->contains("\"connected\"") || process->state() == QProcess::NotRunning;
                },
                NetTimeout);
        };

        // 1. sotto-cli send -> sotto-cli listen.
        auto bob = cli(QStringLiteral("bob"), {QStringLiteral("listen"), QStringLiteral("--count"), QStringLiteral("1"),
                                                QStringLiteral("--timeout"), QStringLiteral("30")});
        QByteArray bobOut;
        QVERIFY(waitConnected(bob.get(), &bobOut));
        QVERIFY2(bobOut.contains("\"connected\""), bobOut.constData());
        auto aliceSend = cli(QStringLiteral("alice"), {QStringLiteral("send"), QStringLiteral("bob@localhost"),
                                                       QStringLiteral("hello"), QStringLiteral("from the CLI")});
        QVERIFY(aliceSend->waitForFinished(NetTimeout + 10000));
        QCOMPARE(aliceSend->exitCode(), 0);
        const QByteArray aliceOut = aliceSend->readAllStandardOutput();
        const QList<QJsonObject> sendEvents = jsonLines(aliceOut);
        QCOMPARE(sendEvents.size(), 2);
        QCOMPARE(sendEvents[0][u"event"].toString(), QStringLiteral("connected"));
        QCOMPARE(sendEvents[1][u"event"].toString(), QStringLiteral("sent"));
        const QString thread = sendEvents[1][u"thread"].toString();
        QCOMPARE(thread.size(), 32);

        QVERIFY(bob->waitForFinished(NetTimeout + 10000));
        QCOMPARE(bob->exitCode(), 0);
        bobOut += bob->readAllStandardOutput();
        const QList<QJsonObject> bobEvents = jsonLines(bobOut);
        QCOMPARE(bobEvents.size(), 2);
        QCOMPARE(bobEvents[1][u"event"].toString(), QStringLiteral("message"));
        QCOMPARE(bobEvents[1][u"body"].toString(), QStringLiteral("hello from the CLI"));
        QCOMPARE(bobEvents[1][u"thread"].toString(), thread);
        QCOMPARE(bobEvents[1][u"encrypted"].toBool(true), false);
        QCOMPARE(QXmppUtils::jidToBareJid(bobEvents[1][u"from"].toString()), QStringLiteral("alice@localhost"));

        // 2. listen --echo answers in the same thread, to the resource that wrote.
        auto echoBob = cli(QStringLiteral("bob"), {QStringLiteral("listen"), QStringLiteral("--echo"), QStringLiteral("--count"),
                                                    QStringLiteral("1"), QStringLiteral("--timeout"), QStringLiteral("30")});
        QByteArray echoOut;
        QVERIFY(waitConnected(echoBob.get(), &echoOut));
        Client alice(m_server, QStringLiteral("alice"));
        alice.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() == Account::State::Online, NetTimeout);
        const auto sent = alice.messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("echo me"));
        QVERIFY(sent);
        QTRY_COMPARE_WITH_TIMEOUT(alice.received.size(), 1, NetTimeout);
        QCOMPARE(alice.received[0].body, QStringLiteral("echo me"));
        QCOMPARE(alice.received[0].thread, sent->thread);
        // The listener may already be done while the loop above ran (waitForFinished() is false for a finished one).
        QVERIFY(echoBob->state() == QProcess::NotRunning || echoBob->waitForFinished(NetTimeout));
        QCOMPARE(echoBob->exitCode(), 0);
        echoOut += echoBob->readAllStandardOutput();

        // Passwords never show up in what the CLI prints.
        const QByteArray everything = bobOut + aliceOut + echoOut;
        QVERIFY(!everything.contains(m_server.password(QStringLiteral("alice")).toUtf8()));
        QVERIFY(!everything.contains(m_server.password(QStringLiteral("bob")).toUtf8()));
    }

    void cliEncryptedSessionsSasAndRetainedSecrets()
    {
        QTemporaryDir data;
        // Each side protects its retained secrets with a passphrase (no keyring in this test).
        QVERIFY(writePassphrases(data, {QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("bob2")}));
        auto cli = [&](const QString &user, const QString &dataName, const QStringList &command) {
            return startCli(m_server, data, user, dataName, command);
        };
        auto eventsOf = [](const QList<QJsonObject> &events, const QString &name) {
            QList<QJsonObject> found;
            for (const QJsonObject &e : events) {
                if (e[u"event"].toString() == name)
                    found << e;
            }
            return found;
        };
        // One round: Bob listens (accepting ESessions, echoing), Alice sends encrypted; both SAS returned.
        auto round = [&](const QString &bobData, const QString &text, QList<QJsonObject> *aliceEvents,
                         QList<QJsonObject> *bobEvents) {
            QByteArray bobOut;
            auto bob = startEsessionListener(m_server, data, bobData, &bobOut);
            QVERIFY(bob);
            auto alice = cli(QStringLiteral("alice"), QStringLiteral("alice"),
                             {QStringLiteral("send"), QStringLiteral("bob@localhost"), text, QStringLiteral("--encrypt")});
            QVERIFY(alice->waitForFinished(NetTimeout + 30000));
            const QByteArray aliceOut = alice->readAllStandardOutput();
            QVERIFY2(alice->exitCode() == 0, aliceOut.constData());
            QVERIFY(bob->waitForFinished(NetTimeout + 30000));
            bobOut += bob->readAllStandardOutput();
            QVERIFY2(bob->exitCode() == 0, bobOut.constData());
            *aliceEvents = jsonLines(aliceOut);
            *bobEvents = jsonLines(bobOut);
        };

        // 1. First session: same SAS on both sides, unverified; the message arrives encrypted.
        QList<QJsonObject> a1, b1;
        round(QStringLiteral("bob"), QStringLiteral("first encrypted words"), &a1, &b1);
        const QList<QJsonObject> aliceSession = eventsOf(a1, QStringLiteral("esession"));
        const QList<QJsonObject> bobSession = eventsOf(b1, QStringLiteral("esession"));
        QVERIFY(!aliceSession.isEmpty() && !bobSession.isEmpty());
        const QString sas = aliceSession.first()[u"sas"].toString();
        QCOMPARE(sas.size(), 5);
        QCOMPARE(bobSession.first()[u"sas"].toString(), sas);
        QCOMPARE(aliceSession.first()[u"verified"].toBool(true), false);
        QCOMPARE(eventsOf(a1, QStringLiteral("sent")).first()[u"encrypted"].toBool(), true);
        const QList<QJsonObject> bobMessages = eventsOf(b1, QStringLiteral("message"));
        QCOMPARE(bobMessages.size(), 1);
        QCOMPARE(bobMessages.first()[u"body"].toString(), QStringLiteral("first encrypted words"));
        QCOMPARE(bobMessages.first()[u"encrypted"].toBool(), true);

        // 2. Verification: a wrong code is refused, the right one marks the secret verified on each side.
        auto verify = [&](const QString &user, const QString &peer, const QString &code) {
            auto process = cli(user, user, {QStringLiteral("verify"), peer, QStringLiteral("--sas"), code});
            process->waitForFinished(30000);
            return process->exitCode();
        };
        QCOMPARE(verify(QStringLiteral("alice"), QStringLiteral("bob@localhost"), QStringLiteral("aaaaa")), 1);
        QCOMPARE(verify(QStringLiteral("alice"), QStringLiteral("bob@localhost"), sas), 0);
        QCOMPARE(verify(QStringLiteral("bob"), QStringLiteral("alice@localhost"), sas), 0);

        // 3. Later: the retained secret authenticates the new session, no SAS comparison needed.
        QList<QJsonObject> a2, b2;
        round(QStringLiteral("bob"), QStringLiteral("second words"), &a2, &b2);
        QCOMPARE(eventsOf(a2, QStringLiteral("esession")).first()[u"verified"].toBool(), true);
        QCOMPARE(eventsOf(b2, QStringLiteral("esession")).first()[u"verified"].toBool(), true);
        QCOMPARE(eventsOf(a2, QStringLiteral("esession")).first()[u"identity_changed"].toBool(true), false);

        // 4. Bob starts over without his secrets (another data directory): Alice is warned.
        QList<QJsonObject> a3, b3;
        round(QStringLiteral("bob2"), QStringLiteral("third words"), &a3, &b3);
        QCOMPARE(eventsOf(a3, QStringLiteral("esession")).first()[u"verified"].toBool(true), false);
        QCOMPARE(eventsOf(a3, QStringLiteral("esession")).first()[u"identity_changed"].toBool(), true);
    }

    // `send --encrypt` counts an encrypted message as sent exactly when `send` counts a plain one: on a server
    // without stream management (XEP-0198) that is when it was written, which happens while it is handed over.
    void cliEncryptedSendWithoutStreamManagement()
    {
        LocalServer server;
        qputenv("SOTTO_SERVER_NO_SMACKS", "1");
        QString error;
        const bool started = server.start(&error);
        qunsetenv("SOTTO_SERVER_NO_SMACKS");
        QVERIFY2(started, qPrintable(error));
        {
            // Contacts of each other first: an ESession request from a stranger waits for the user.
            Client alice(server, QStringLiteral("alice"));
            Client bob(server, QStringLiteral("bob"));
            for (Client *c : {&alice, &bob}) {
                c->account.setAutoApproveSubscriptions(true);
                c->account.connectToServer();
            }
            QTRY_VERIFY_WITH_TIMEOUT(alice.account.state() == Account::State::Online, NetTimeout);
            QTRY_VERIFY_WITH_TIMEOUT(bob.account.state() == Account::State::Online, NetTimeout);
            QCOMPARE(alice.account.client()->streamManagementState(), QXmppClient::NoStreamManagement);
            alice.account.addContact(QStringLiteral("bob@localhost"));
            bob.account.addContact(QStringLiteral("alice@localhost"));
            QTRY_COMPARE_WITH_TIMEOUT(alice.account.contact(QStringLiteral("bob@localhost")).subscription,
                                      QStringLiteral("both"), NetTimeout);
            QTRY_COMPARE_WITH_TIMEOUT(bob.account.contact(QStringLiteral("alice@localhost")).subscription,
                                      QStringLiteral("both"), NetTimeout);
        }
        QTemporaryDir data;
        QVERIFY(writePassphrases(data, {QStringLiteral("alice"), QStringLiteral("bob")}));
        QByteArray bobOut;
        auto bob = startEsessionListener(server, data, QStringLiteral("bob"), &bobOut);
        QVERIFY(bob);
        auto alice = startCli(server, data, QStringLiteral("alice"), QStringLiteral("alice"),
                              {QStringLiteral("send"), QStringLiteral("bob@localhost"),
                               QStringLiteral("counted as sent"), QStringLiteral("--encrypt"), QStringLiteral("--timeout"),
                               QStringLiteral("20")});
        QVERIFY(alice->waitForFinished(NetTimeout + 30000));
        const QByteArray aliceOut = alice->readAllStandardOutput();
        QVERIFY2(alice->exitCode() == 0, aliceOut.constData());
        bool sent = false;
        for (const QJsonObject &e : jsonLines(aliceOut))
            sent = sent || (e[u"event"].toString() == u"sent" && e[u"encrypted"].toBool());
        QVERIFY2(sent, aliceOut.constData());
        QVERIFY(bob->waitForFinished(NetTimeout + 30000));
        bobOut += bob->readAllStandardOutput();
        QVERIFY2(bobOut.contains("counted as sent"), bobOut.constData());
    }

    void cliAddAndRoster()
    {
        const QString carolPassword = m_server.addUser(QStringLiteral("carol"));
        QVERIFY(!carolPassword.isEmpty());
        const QString davePassword = m_server.addUser(QStringLiteral("dave"));
        QVERIFY(!davePassword.isEmpty());
        QTemporaryDir data;
        auto run = [&](const QString &user, const QStringList &command, QList<QJsonObject> *events) {
            QProcess process;
            process.start(QStringLiteral(SOTTO_CLI_PATH),
                          QStringList{QStringLiteral("--jid"), user + QStringLiteral("@localhost"),
                                      QStringLiteral("--password-file"), m_server.passwordFile(user),
                                      QStringLiteral("--host"), m_server.host(), QStringLiteral("--port"),
                                      QString::number(m_server.port()), QStringLiteral("--trust-cert"),
                                      m_server.certPath(), QStringLiteral("--data-dir"), data.filePath(user)}
                              + command);
            if (!process.waitForFinished(NetTimeout + 10000))
                return -1;
            *events = jsonLines(process.readAllStandardOutput());
            return process.exitCode();
        };
        QList<QJsonObject> events;
        // Dave is offline: Carol's request waits on the server.
        QCOMPARE(run(QStringLiteral("carol"), {QStringLiteral("add"), QStringLiteral("dave@localhost")}, &events), 0);
        QCOMPARE(events.last()[u"event"].toString(), QStringLiteral("added"));
        QCOMPARE(run(QStringLiteral("carol"), {QStringLiteral("roster")}, &events), 0);
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[1][u"jid"].toString(), QStringLiteral("dave@localhost"));
        QCOMPARE(events[1][u"subscription"].toString(), QStringLiteral("none+pending"));
        QCOMPARE(events[1][u"online"].toBool(), false);

        // Dave comes online as a listener: he approves and asks back; Carol's side becomes mutual.
        QProcess dave;
        dave.start(QStringLiteral(SOTTO_CLI_PATH),
                   {QStringLiteral("--jid"), QStringLiteral("dave@localhost"), QStringLiteral("--password-file"),
                    m_server.passwordFile(QStringLiteral("dave")), QStringLiteral("--host"), m_server.host(),
                    QStringLiteral("--port"), QString::number(m_server.port()), QStringLiteral("--trust-cert"),
                    m_server.certPath(), QStringLiteral("--data-dir"), data.filePath(QStringLiteral("dave")),
                    QStringLiteral("listen"), QStringLiteral("--timeout"), QStringLiteral("4")});
        QTest::qWait(2000);
        QCOMPARE(run(QStringLiteral("carol"), {QStringLiteral("roster")}, &events), 0);
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[1][u"subscription"].toString(), QStringLiteral("both"));
        QCOMPARE(events[1][u"online"].toBool(), true);
        QVERIFY(dave.waitForFinished(NetTimeout));
        QCOMPARE(dave.exitCode(), 0);
    }

    void cliReportsWrongPasswordAndDeadServer()
    {
        QTemporaryDir data;
        const QString badPassword = data.filePath(QStringLiteral("bad"));
        QFile file(badPassword);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("wrong\n");
        file.close();
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 deadPort = probe.serverPort();
        probe.close();

        struct Case { QString passwordFile; quint16 port; QString expect; };
        const QList<Case> cases{{badPassword, m_server.port(), QStringLiteral("password")},
                                {m_server.passwordFile(QStringLiteral("alice")), deadPort, QStringLiteral("refused")}};
        for (const Case &c : cases) {
            QProcess process;
            process.start(QStringLiteral(SOTTO_CLI_PATH),
                          {QStringLiteral("--jid"), QStringLiteral("alice@localhost"), QStringLiteral("--password-file"),
                           c.passwordFile, QStringLiteral("--host"), m_server.host(), QStringLiteral("--port"),
                           QString::number(c.port), QStringLiteral("--trust-cert"), m_server.certPath(),
                           QStringLiteral("--data-dir"), data.filePath(QStringLiteral("a")), QStringLiteral("roster")});
            QVERIFY(process.waitForFinished(NetTimeout));
            QCOMPARE(process.exitStatus(), QProcess::NormalExit);
            QCOMPARE(process.exitCode(), 1);
            const QList<QJsonObject> events = jsonLines(process.readAllStandardOutput());
            QCOMPARE(events.size(), 1);
            QCOMPARE(events[0][u"event"].toString(), QStringLiteral("error"));
            QVERIFY2(events[0][u"reason"].toString().contains(c.expect), qPrintable(events[0][u"reason"].toString()));
        }
    }

    // Kept last: everything this process logged, at debug level in every category, holds none of the passwords
    // (right or wrong) and none of the message texts used above, although these went through the server in the
    // clear. (The CLI's own output is checked in cliSendAndListenSpeakJson.)
    void logHoldsNoSecret()
    {
        QVERIFY(LogCapture::text().contains("connected as")); // the capture works
        const QList<QByteArray> forbidden{"Hi Bob <&>", "Hi Alice", "before crash", "during outage", "echo me",
                                          "not-the-password", m_server.password(QStringLiteral("alice")).toUtf8(),
                                          m_server.password(QStringLiteral("bob")).toUtf8()};
        const QString found = LogCapture::findAny(forbidden);
        QVERIFY2(found.isEmpty(), qPrintable(found));
    }

private:
    /// A passphrase file NAME.pass in @p data for each name (the CLI protects its retained secrets with it).
    static bool writePassphrases(const QTemporaryDir &data, const QStringList &names)
    {
        for (const QString &name : names) {
            QFile pass(data.filePath(name + QStringLiteral(".pass")));
            if (!pass.open(QIODevice::WriteOnly))
                return false;
            pass.write("passphrase of " + name.toUtf8() + '\n');
        }
        return true;
    }

    /// Bob's `listen --accept-esessions --count 1` on @p dataName, returned once it is online (or gone; null when
    /// neither happened in time); what it printed so far is in @p output.
    std::unique_ptr<QProcess> startEsessionListener(const LocalServer &server, const QTemporaryDir &data,
                                                    const QString &dataName, QByteArray *output)
    {
        auto bob = startCli(server, data, QStringLiteral("bob"), dataName,
                            {QStringLiteral("listen"), QStringLiteral("--accept-esessions"), QStringLiteral("--count"),
                             QStringLiteral("1"), QStringLiteral("--timeout"), QStringLiteral("40")});
        const bool ready = QTest::qWaitFor([&] {
            *output += bob->readAllStandardOutput();
            return output->contains("\"connected\"") || bob->state() == QProcess::NotRunning;
        }, NetTimeout);
        return ready ? std::move(bob) : nullptr;
    }

    std::unique_ptr<QProcess> startCli(const LocalServer &server, const QTemporaryDir &data, const QString &user,
                                       const QString &dataName, const QStringList &command)
    {
        auto process = std::make_unique<QProcess>();
        QStringList args{QStringLiteral("--jid"), user + QStringLiteral("@localhost"), QStringLiteral("--password-file"),
                         server.passwordFile(user), QStringLiteral("--host"), server.host(),
                         QStringLiteral("--port"), QString::number(server.port()), QStringLiteral("--trust-cert"),
                         server.certPath(), QStringLiteral("--data-dir"), data.filePath(dataName),
                         QStringLiteral("--passphrase-file"), data.filePath(dataName + QStringLiteral(".pass"))};
        process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process->start(QStringLiteral(SOTTO_CLI_PATH), args + command);
        return process;
    }

    LocalServer m_server;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestProsody test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_prosody.moc"
