// Message send -> receive through a local Prosody: Sotto against raw QXmpp, measured in the same run.
//
//   warm: two connected clients, one message at a time, time until the peer has it
//         (Sotto: Messenger + outbox + store on both sides; baseline: bare QXmppClient)
//   cold: a fresh sender each time (connect, send, peer receives)
//         (Sotto: a `sotto-cli send` process against a running `sotto-cli listen`; baseline: a new
//          QXmppClient in this process against a raw receiver)
// The server keeps Prosody's default of Nagle's algorithm. Sotto answers every message with a receipt and
// QXmpp follows each sent stanza with a stream-management <r/>, so the server's <a/> reaches the receiver
// just before the next message, which Nagle then holds until the receiver ACKs the <a/>; the TLS handshake
// meets the same stall (two session tickets). Account::tuneSocket acknowledges every read at once; without it
// the warm figure here was about 36 ms/msg (ratio about 27) and the cold one about 130 ms (ratio about 2.3).
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTimer>

#include <QXmppClient.h>
#include <QXmppConfiguration.h>
#include <QXmppMessage.h>

#include <cstdio>
#include <functional>
#include <memory>

#include "LocalServer.h"
#include "crypto/Crypto.h"
#include "session/Messenger.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"
#include "xmpp/Account.h"

namespace {

bool waitFor(const std::function<bool()> &done, int timeoutMs = 20000)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    }
    return true;
}

QXmppConfiguration rawConfig(const LocalServer &server, const QString &user, const QString &resource)
{
    QXmppConfiguration config;
    config.setJid(user + QStringLiteral("@localhost"));
    config.setPassword(server.password(user));
    config.setHost(server.host());
    config.setPort(server.port());
    config.setResource(resource);
    config.setStreamSecurityMode(QXmppConfiguration::TLSRequired);
    config.setCaCertificates(QSslCertificate::fromPath(server.certPath()));
    return config;
}

struct CoreClient
{
    QTemporaryDir dir;
    Account account;
    Database db{dir.filePath(QStringLiteral("sotto.sqlite"))};
    std::unique_ptr<MessageStore> store;
    std::unique_ptr<Messenger> messenger;

    CoreClient(const LocalServer &server, const QString &user)
    {
        AccountConfig config;
        config.jid = user + QStringLiteral("@localhost");
        config.password = server.password(user);
        config.host = server.host();
        config.port = server.port();
        config.trustedCertPath = server.certPath();
        account.setConfig(config);
        if (!db.open())
            qFatal("cannot open the database");
        store = std::make_unique<MessageStore>(&db);
        messenger = std::make_unique<Messenger>(&account, store.get());
    }
};

void fatal(const char *what)
{
    std::fprintf(stderr, "bench_roundtrip: %s\n", what);
    std::exit(1);
}

double warmRaw(const LocalServer &server, int n)
{
    QXmppClient alice, bob;
    int received = 0;
    QObject::connect(&bob, &QXmppClient::messageReceived, &bob, [&](const QXmppMessage &m) {
        if (!m.body().isEmpty())
            ++received;
    });
    alice.connectToServer(rawConfig(server, QStringLiteral("alice"), QStringLiteral("raw")));
    bob.connectToServer(rawConfig(server, QStringLiteral("bob"), QStringLiteral("raw")));
    if (!waitFor([&] { return alice.isConnected() && bob.isConnected(); }))
        fatal("raw clients could not connect");
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < n; ++i) {
        QXmppMessage m(QString(), QStringLiteral("bob@localhost/raw"), QStringLiteral("warm %1").arg(i));
        m.setType(QXmppMessage::Chat);
        alice.send(std::move(m));
        if (!waitFor([&] { return received > i; }))
            fatal("raw message lost");
    }
    const double ms = double(timer.nsecsElapsed()) / 1e6 / n;
    alice.disconnectFromServer();
    bob.disconnectFromServer();
    return ms;
}

double warmCore(const LocalServer &server, int n)
{
    CoreClient alice(server, QStringLiteral("alice"));
    CoreClient bob(server, QStringLiteral("bob"));
    int received = 0;
    QObject::connect(bob.messenger.get(), &Messenger::messageReceived, bob.messenger.get(),
                     [&](const StoredMessage &) { ++received; });
    alice.account.connectToServer();
    bob.account.connectToServer();
    if (!waitFor([&] {
            return alice.account.state() == Account::State::Online && bob.account.state() == Account::State::Online;
        }))
        fatal("Sotto accounts could not connect");
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < n; ++i) {
        alice.messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("warm %1").arg(i));
        if (!waitFor([&] { return received > i; }))
            fatal("Sotto message lost");
    }
    const double ms = double(timer.nsecsElapsed()) / 1e6 / n;
    alice.account.disconnectFromServer();
    bob.account.disconnectFromServer();
    return ms;
}

double coldRaw(const LocalServer &server, int n)
{
    QXmppClient bob;
    int received = 0;
    QObject::connect(&bob, &QXmppClient::messageReceived, &bob, [&](const QXmppMessage &m) {
        if (!m.body().isEmpty())
            ++received;
    });
    bob.connectToServer(rawConfig(server, QStringLiteral("bob"), QStringLiteral("raw-cold")));
    if (!waitFor([&] { return bob.isConnected(); }))
        fatal("raw receiver could not connect");
    qint64 total = 0;
    for (int i = 0; i < n; ++i) {
        QElapsedTimer timer;
        timer.start();
        auto alice = std::make_unique<QXmppClient>();
        alice->connectToServer(rawConfig(server, QStringLiteral("alice"), QStringLiteral("raw-cold")));
        if (!waitFor([&] { return alice->isConnected(); }))
            fatal("raw sender could not connect");
        QXmppMessage m(QString(), QStringLiteral("bob@localhost/raw-cold"), QStringLiteral("cold %1").arg(i));
        m.setType(QXmppMessage::Chat);
        alice->send(std::move(m));
        if (!waitFor([&] { return received > i; }))
            fatal("raw cold message lost");
        total += timer.nsecsElapsed();
        alice->disconnectFromServer();
        waitFor([&] { return !alice->isConnected(); }, 2000);
    }
    bob.disconnectFromServer();
    return double(total) / 1e6 / n;
}

double coldCli(const LocalServer &server, int n)
{
    QTemporaryDir data;
    auto args = [&](const QString &user) {
        return QStringList{QStringLiteral("--jid"), user + QStringLiteral("@localhost"), QStringLiteral("--password-file"),
                           server.passwordFile(user), QStringLiteral("--host"), server.host(), QStringLiteral("--port"),
                           QString::number(server.port()), QStringLiteral("--trust-cert"), server.certPath(),
                           QStringLiteral("--data-dir"), data.filePath(user)};
    };
    QProcess bob;
    QByteArray bobOut;
    QObject::connect(&bob, &QProcess::readyReadStandardOutput, &bob, [&] { bobOut += bob.readAllStandardOutput(); });
    bob.start(QStringLiteral(SOTTO_CLI_PATH),
              args(QStringLiteral("bob")) << QStringLiteral("listen") << QStringLiteral("--count") << QString::number(n));
    if (!waitFor([&] { return bobOut.contains("\"connected\""); }))
        fatal("sotto-cli listen did not connect");
    qint64 total = 0;
    for (int i = 0; i < n; ++i) {
        const QByteArray marker = QStringLiteral("cold %1 end").arg(i).toUtf8();
        QElapsedTimer timer;
        timer.start();
        QProcess alice;
        alice.start(QStringLiteral(SOTTO_CLI_PATH), args(QStringLiteral("alice")) << QStringLiteral("send")
                                                        << QStringLiteral("bob@localhost") << QString::fromUtf8(marker));
        if (!waitFor([&] { return bobOut.contains(marker); }))
            fatal("sotto-cli message lost");
        total += timer.nsecsElapsed();
        alice.waitForFinished(10000);
    }
    bob.waitForFinished(10000);
    return double(total) / 1e6 / n;
}

} // namespace

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption messages(QStringLiteral("messages"), QStringLiteral("Warm round trips."), QStringLiteral("N"),
                                      QStringLiteral("200"));
    const QCommandLineOption cold(QStringLiteral("cold"), QStringLiteral("Cold sends."), QStringLiteral("N"),
                                  QStringLiteral("5"));
    parser.addOptions({messages, cold});
    parser.addHelpOption();
    parser.process(app);
    const int n = qMax(1, parser.value(messages).toInt());
    const int k = qMax(1, parser.value(cold).toInt());

    LocalServer server;
    QString error;
    if (!server.start(&error))
        fatal(qPrintable(error));

    // Interleave baseline and candidate so drift on the machine hits both alike.
    const double raw1 = warmRaw(server, n);
    const double core1 = warmCore(server, n);
    const double raw2 = warmRaw(server, n);
    const double core2 = warmCore(server, n);
    const double raw = (raw1 + raw2) / 2, core = (core1 + core2) / 2;
    std::printf("warm send->receive  raw QXmpp %8.3f ms/msg   Sotto core %8.3f ms/msg   ratio %.2f  (n=%d x2)\n", raw,
                core, core / raw, n);

    const double coldRawMs = coldRaw(server, k);
    const double coldCliMs = coldCli(server, k);
    std::printf("cold connect+send->receive  raw QXmpp %8.1f ms   sotto-cli %8.1f ms   ratio %.2f  (n=%d)\n",
                coldRawMs, coldCliMs, coldCliMs / coldRawMs, k);
    return 0;
}
