// XEP-0217 ESession negotiation through a local Prosody, per MODP group, against two baselines measured in the
// same run between the same two clients:
//
//   negotiation  Alice (core Account + EsessionExtension + MemoryRetainedSecretStore) negotiates with Bob in a new
//                thread; from her negotiate() call until BOTH sides emitted esessionEstablished. Four messages
//                (two round trips) plus, in the chosen group: one DH key per side, the peer checks and both derives,
//                the hash commitment, key derivation and the identity MACs. Each policy lists that group alone, so
//                Alice's offer carries exactly one DH value.
//   round trip   A direct send/receive pair, not the Messenger: Alice's QXmppClient sends a plaintext chat message
//                in a thread that never had an ESession; on Bob's side a client extension sitting right behind
//                EsessionExtension answers it at once, and on Alice's side the same catches the answer. Both
//                messages take the path the handshake messages take (QXmpp, then EsessionExtension, which passes
//                them on) and skip the Messenger and its database. The handshake does reach both once per side when
//                the session starts (the outbox looks for waiting messages): that stays in the negotiation's time,
//                as it does in the app.
//   raw DH       Crypto::DhKeyPair alone: generate two key pairs, then both deriveSharedSecret() calls (peer value
//                checks included): the least any negotiation in that group has to compute.
//
// Retained secrets: the first negotiation of the run is first contact (no retained secret on either side); its
// time is printed on its own and kept out of the figures. Both sides then mark its SAS verified, as users would
// after comparing it, so every later negotiation must come back verified with no identity change: proof that it
// used, and replaced, the retained secret the previous one left. Every figure is therefore for a contact already
// known, with no SAS to compare.
//
// Network: Prosody's default network settings keep Nagle's algorithm on, so a small stanza it writes while an earlier
// one is unacknowledged waits for the client's delayed ACK (about 40 ms on Linux). Account::tuneSocket() sets
// TCP_NODELAY and acknowledges every read at once (TCP_QUICKACK), so neither figure pays that any more: the round
// trip is about 0.5 ms on this machine. The negotiation computes exactly the exponentiations of the raw DH line
// (each side checks the peer's value once, with the derive reusing that check); the rest of its time is Prosody
// relaying its four messages, QXmpp parsing and serialising them, and the session start in the app.
//
// Each group starts with one untimed round of all three (for the first group that round is the first contact);
// within an iteration the order of the three rotates, so drift on the machine hits all of them alike. Exits
// non-zero when a negotiation fails or times out, a message is lost, or the two DH sides disagree; never because
// of a figure.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDomElement>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QLoggingCategory>
#include <QTimer>

#include <QXmppClient.h>
#include <QXmppClientExtension.h>
#include <QXmppMessage.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <variant>
#include <vector>

#include "LocalServer.h"
#include "TestClient.h"
#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"
#include "esession/EsessionHandshake.h"
#include "esession/RetainedSecretStore.h"
#include "xmpp/EsessionExtension.h"

namespace {

const QString AliceJid = QStringLiteral("alice@localhost");
const QString BobJid = QStringLiteral("bob@localhost");
// The baseline's thread: never negotiated, so its messages travel in plaintext.
const QString PlainThread = QStringLiteral("bench-negotiation-plain");
constexpr int ConnectTimeoutMs = 20000;
constexpr int MessageTimeoutMs = 10000;

// Thrown on the main loop only (never from a slot), so that main() unwinds: the clients disconnect and the
// server stops even when the benchmark fails.
struct BenchFailure : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const QString &what)
{
    throw BenchFailure(what.toStdString());
}

bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    // Sleeps in the event loop until something happens, as the app's event loop does. processEvents() with a time
    // limit never waits for events (it returns when none are pending), so calling it in a loop spins, and a spinning
    // wait takes a core from Prosody: on a loaded 2-core machine every stanza it relays came later, the negotiation's
    // four more than the round trip's two. The tick only bounds how late a timeout is noticed.
    QTimer tick;
    tick.start(5);
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

QString newThread()
{
    return QString::fromLatin1(Crypto::randomBytes(16).toHex());
}

double msSince(const QElapsedTimer &timer)
{
    return double(timer.nsecsElapsed()) / 1e6;
}

double median(std::vector<double> values)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double mean(const std::vector<double> &values)
{
    return values.empty() ? 0 : std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

// The round-trip baseline's two ends (see the top of the file). Claims every message of PlainThread, so none of
// them reaches the Messenger; the rest passes on untouched.
class PingHandler : public QXmppClientExtension
{
public:
    explicit PingHandler(bool answers)
        : m_answers(answers)
    {
    }

    bool handleStanza(const QDomElement &element) override
    {
        if (element.tagName() != u"message"
            || element.firstChildElement(QStringLiteral("thread")).text() != PlainThread)
            return false;
        const QString body = element.firstChildElement(QStringLiteral("body")).text();
        if (m_answers && body.startsWith(u"ping ")) {
            QXmppMessage pong(
                QString(), element.attribute(QStringLiteral("from")), QStringLiteral("pong ") + body.mid(5));
            pong.setType(QXmppMessage::Chat);
            pong.setThread(PlainThread);
            client()->send(std::move(pong));
        } else if (!m_answers && body.startsWith(u"pong ")) {
            lastPong = body.mid(5).toInt();
        }
        return true;
    }

    int lastPong = -1;

private:
    bool m_answers;
};

// What one side's esessionEstablished said, by thread.
struct Established
{
    QString sas;
    bool verified = false;
    bool identityChanged = false;
};

struct Side
{
    QHash<QString, Established> established;
    QString failure; ///< the first negotiationFailed, with its thread
};

class Pair
{
public:
    explicit Pair(const LocalServer &server)
        : m_alice(server, QStringLiteral("alice"))
        , m_bob(server, QStringLiteral("bob"))
    {
        for (auto [client, store, side] :
            { std::tuple { &m_alice, &m_aliceStore, &m_aliceSide }, std::tuple { &m_bob, &m_bobStore, &m_bobSide } }) {
            EsessionExtension *esession = client->account.esession();
            esession->setRetainedSecretStore(store);
            // Replaces the Account's policy: only the group under test, and the contact may see our presence, so
            // Bob answers at once instead of asking his user (the accounts are not subscribed to each other).
            esession->setHandshakePolicyFunction([this](const QString &) -> std::optional<Esession::EsessionPolicy> {
                Esession::EsessionPolicy policy;
                policy.groups = { m_group };
                policy.mayRevealPresence = true;
                policy.ssn.mayRevealPresence = true;
                return policy;
            });
            QObject::connect(esession, &EsessionExtension::esessionEstablished, esession,
                [side](
                    const QString &, const QString &thread, const QString &sas, bool verified, bool identityChanged) {
                    side->established.insert(thread, Established { sas, verified, identityChanged });
                });
            QObject::connect(esession, &EsessionExtension::negotiationFailed, esession,
                [side](const QString &, const QString &thread, const QString &code) {
                    if (side->failure.isEmpty())
                        side->failure = QStringLiteral("thread %1: %2").arg(thread, code);
                });
        }
        // Behind EsessionExtension (index 0), ahead of everything else.
        m_alice.account.client()->insertExtension(1, m_pongs);
        m_bob.account.client()->insertExtension(1, new PingHandler(true));

        m_alice.account.connectToServer();
        m_bob.account.connectToServer();
        if (!waitFor(
                [this] {
                    return m_alice.account.state() == Account::State::Online
                        && m_bob.account.state() == Account::State::Online;
                },
                ConnectTimeoutMs))
            fail(QStringLiteral("the two accounts could not connect"));
    }

    void setGroup(Crypto::ModpGroup group) { m_group = group; }

    /// One negotiation in a new thread; its wall time in ms. @p firstContact: no retained secret may exist yet.
    double negotiate(int timeoutMs, bool firstContact)
    {
        const QString thread = newThread();
        QElapsedTimer timer;
        timer.start();
        if (!m_alice.account.esession()->negotiate(BobJid, thread))
            fail(QStringLiteral("negotiate() refused to start"));
        const bool done = waitFor(
            [&] {
                return !m_aliceSide.failure.isEmpty() || !m_bobSide.failure.isEmpty()
                    || (m_aliceSide.established.contains(thread) && m_bobSide.established.contains(thread));
            },
            timeoutMs);
        const double ms = msSince(timer);
        if (!m_aliceSide.failure.isEmpty())
            fail(QStringLiteral("Alice's negotiation failed (%1)").arg(m_aliceSide.failure));
        if (!m_bobSide.failure.isEmpty())
            fail(QStringLiteral("Bob's negotiation failed (%1)").arg(m_bobSide.failure));
        if (!done)
            fail(QStringLiteral("the negotiation did not complete within %1 ms").arg(timeoutMs));

        const Established alice = m_aliceSide.established.value(thread);
        const Established bob = m_bobSide.established.value(thread);
        if (alice.sas.isEmpty() || alice.sas != bob.sas)
            fail(QStringLiteral("the two sides computed different SAS"));
        if (alice.identityChanged || bob.identityChanged)
            fail(QStringLiteral("a retained secret was expected and none matched"));
        // First contact has nothing to be verified by; every later one must have used the verified secret.
        if (alice.verified != !firstContact || bob.verified != !firstContact)
            fail(firstContact ? QStringLiteral("first contact came back verified")
                              : QStringLiteral("the negotiation did not use the retained secret"));
        if (m_aliceStore.secrets(BobJid).size() != 1 || m_bobStore.secrets(AliceJid).size() != 1)
            fail(QStringLiteral("each side should hold exactly one retained secret"));
        if (firstContact) {
            // As both users would after reading the SAS to each other: later sessions are then authenticated
            // by the retained secret alone, and report it.
            if (!m_alice.account.esession()->verifySas(BobJid, alice.sas)
                || !m_bob.account.esession()->verifySas(AliceJid, bob.sas))
                fail(QStringLiteral("the first contact's SAS could not be marked verified"));
        }
        return ms;
    }

    /// One plaintext message Alice -> Bob -> Alice; its wall time in ms.
    double roundTrip()
    {
        const int sequence = ++m_pings;
        QXmppMessage ping(QString(), BobJid, QStringLiteral("ping %1").arg(sequence));
        ping.setType(QXmppMessage::Chat);
        ping.setThread(PlainThread);
        QElapsedTimer timer;
        timer.start();
        m_alice.account.client()->send(std::move(ping));
        if (!waitFor([&] { return m_pongs->lastPong == sequence; }, MessageTimeoutMs))
            fail(QStringLiteral("plaintext round trip %1 lost").arg(sequence));
        return msSince(timer);
    }

private:
    // Declared before the clients, which hold pointers to them: destroyed after.
    Esession::MemoryRetainedSecretStore m_aliceStore, m_bobStore;
    Side m_aliceSide, m_bobSide;
    TestClient m_alice;
    TestClient m_bob;
    PingHandler *m_pongs = new PingHandler(false); ///< owned by Alice's QXmppClient once inserted
    Crypto::ModpGroup m_group = Crypto::ModpGroup::Group14;
    int m_pings = 0;
};

/// Two key pairs and both derives for @p group; wall time in ms.
double rawDh(Crypto::ModpGroup group)
{
    QElapsedTimer timer;
    timer.start();
    auto a = Crypto::DhKeyPair::generate(group);
    auto b = Crypto::DhKeyPair::generate(group);
    if (!std::holds_alternative<Crypto::DhKeyPair>(a) || !std::holds_alternative<Crypto::DhKeyPair>(b))
        fail(QStringLiteral("DhKeyPair::generate failed"));
    const auto &alice = std::get<Crypto::DhKeyPair>(a);
    const auto &bob = std::get<Crypto::DhKeyPair>(b);
    const auto aliceK = alice.deriveSharedSecret(bob.publicValue());
    const auto bobK = bob.deriveSharedSecret(alice.publicValue());
    const double ms = msSince(timer);
    if (!std::holds_alternative<QByteArray>(aliceK) || aliceK != bobK)
        fail(QStringLiteral("the two DH sides derived different keys"));
    return ms;
}

QList<Crypto::ModpGroup> parseGroups(const QString &list)
{
    QList<Crypto::ModpGroup> groups;
    for (const QString &value : list.split(QLatin1Char(','))) {
        const auto group = Crypto::modpGroupFromFieldValue(value.trimmed());
        // Below 14 the policy's floor refuses the group: the negotiation could only fail.
        if (!group || Crypto::modpGroupNumber(*group) < Crypto::modpGroupNumber(Crypto::ModpGroup::Group14))
            return {};
        groups << *group;
    }
    return groups;
}

} // namespace

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("XEP-0217 negotiation per MODP group, against a plaintext round trip and the raw DH cost."));
    parser.addHelpOption();
    const QCommandLineOption iterationsOption(QStringLiteral("iterations"),
        QStringLiteral("Timed iterations per group, after one untimed (default 15)."), QStringLiteral("n"),
        QStringLiteral("15"));
    const QCommandLineOption groupsOption(QStringLiteral("groups"),
        QStringLiteral("Comma-separated groups, 14 to 18 (default 14,15,16)."), QStringLiteral("list"));
    const QCommandLineOption allGroupsOption(
        QStringLiteral("all-groups"), QStringLiteral("Also 17 and 18 (6144- and 8192-bit: seconds per negotiation)."));
    const QCommandLineOption timeoutOption(QStringLiteral("timeout-ms"),
        QStringLiteral("Longest a negotiation may take before the run fails (default 60000)."), QStringLiteral("ms"),
        QStringLiteral("60000"));
    parser.addOptions({ iterationsOption, groupsOption, allGroupsOption, timeoutOption });
    parser.process(app);
    bool iterationsOk = false, timeoutOk = false;
    const int iterations = parser.value(iterationsOption).toInt(&iterationsOk);
    const int timeoutMs = parser.value(timeoutOption).toInt(&timeoutOk);
    if (!iterationsOk || iterations <= 0 || !timeoutOk || timeoutMs <= 0
        || (parser.isSet(groupsOption) && parser.isSet(allGroupsOption)))
        parser.showHelp(2);
    QString groupList = QStringLiteral("14,15,16");
    if (parser.isSet(groupsOption))
        groupList = parser.value(groupsOption);
    else if (parser.isSet(allGroupsOption))
        groupList = QStringLiteral("14,15,16,17,18");
    const QList<Crypto::ModpGroup> groups = parseGroups(groupList);
    if (groups.isEmpty())
        parser.showHelp(2);

    // "encrypted session started" and the like, once per negotiation, would only blur the table.
    QLoggingCategory::setFilterRules(QStringLiteral("sotto.*.info=false"));

    LocalServer server;
    QString error;
    if (!server.start(&error)) {
        std::fprintf(stderr, "bench_negotiation: %s\n", qPrintable(error));
        return 1;
    }

    try {
        Pair pair(server);
        std::printf(
            "XEP-0217 negotiation Alice -> Bob through a local Prosody; %d timed iteration(s) per group\n", iterations);
        std::printf(
            "  round trip: plaintext chat message Alice -> Bob -> Alice, answered by a client extension behind\n"
            "              EsessionExtension (a direct send/receive pair: no Messenger, no database)\n");
        std::printf("  raw DH:     Crypto::DhKeyPair, two generate() + both deriveSharedSecret()\n");
        std::fflush(stdout);

        bool firstContact = true;
        for (const Crypto::ModpGroup group : groups) {
            const int number = Crypto::modpGroupNumber(group);
            pair.setGroup(group);
            // The untimed round; for the first group its negotiation is also the first contact, which comes after
            // a round trip so that it meets the connections in the state the timed ones do (a fresh TCP
            // connection acknowledges at once; a busy one delays its ACKs).
            (void)pair.roundTrip();
            (void)rawDh(group);
            const double warmNegotiation = pair.negotiate(timeoutMs, firstContact);
            if (firstContact) {
                std::printf(
                    "  first contact (modp%d, one sample): %.1f ms, no retained secret, SAS then marked verified on\n"
                    "  both sides; not in the figures: every timed negotiation below used, and replaced,\n"
                    "  the retained secret of the one before it (SAS-free)\n\n",
                    number, warmNegotiation);
                firstContact = false;
            }

            std::vector<double> negotiation, roundTrip, dh;
            for (int i = 0; i < iterations; ++i) {
                const std::function<void()> steps[] = {
                    [&] { negotiation.push_back(pair.negotiate(timeoutMs, false)); },
                    [&] { roundTrip.push_back(pair.roundTrip()); },
                    [&] { dh.push_back(rawDh(group)); },
                };
                for (int step = 0; step < 3; ++step)
                    steps[(i + step) % 3]();
            }

            if (group == groups.first())
                std::printf("%-7s %5s %22s %14s %10s %8s %8s\n", "group", "bits", "negotiation ms med/mean",
                    "round trip ms", "raw DH ms", "neg/rt", "neg/DH");
            const double negotiationMs = median(negotiation), roundTripMs = median(roundTrip), dhMs = median(dh);
            std::printf("modp%-3d %5d %11.1f / %8.1f %14.2f %10.1f %8.1f %8.2f\n", number, Crypto::modpPrimeBits(group),
                negotiationMs, mean(negotiation), roundTripMs, dhMs, negotiationMs / roundTripMs, negotiationMs / dhMs);
            std::fflush(stdout);
        }
    } catch (const BenchFailure &failure) {
        std::fprintf(stderr, "bench_negotiation: %s\n", failure.what());
        return 1;
    }
    return 0;
}
