// EsessionEngine: the ESession negotiations of whole accounts, engine against engine with no server between them.
// Every stanza is serialised and parsed again on its way (no DOM is shared) and gets the `from` a server would
// stamp on it; the wire can lose, repeat or reorder stanzas. Time is only what the test says it is: each engine is
// handed time points on its own steady clock, starting at T0.
#include <QDomDocument>
#include <QLoggingCategory>
#include <QSet>
#include <QTest>
#include <QElapsedTimer>
#include <QTextStream>

#include <algorithm>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <numeric>
#include <optional>

#include "crypto/Crypto.h"
#include "esession/EsessionEngine.h"
#include "esession/EsessionHandshake.h"
#include "esession/FormNormalizer.h"
#include "esession/RetainedSecretStore.h"
#include "esession/SsnNegotiation.h"

using namespace Esession;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

const QString AliceFull = u"alice@example.org/pda"_s;
const QString AliceBare = u"alice@example.org"_s;
const QString BobFull = u"bob@example.com/laptop"_s;
const QString BobBare = u"bob@example.com"_s;
const QString CarolFull = u"carol@example.net/desk"_s;
const QString CarolBare = u"carol@example.net"_s;
const QString DaveFull = u"dave@example.com/tablet"_s;
const QString MalloryFull = u"mallory@example.net/van"_s;
const QString MalloryBare = u"mallory@example.net"_s;

/// The origin of the test's clock (any steady time point will do; not the epoch, so that "before" exists).
const EngineTime T0 = EngineTime {} + 1h;
/// Time between two deliveries in a scripted exchange.
constexpr std::chrono::milliseconds Step = 100ms;

EngineTime at(qint64 ms)
{
    return T0 + std::chrono::milliseconds(ms);
}

/// A deadline as milliseconds after T0 (-1: none), so that QCOMPARE can print it.
qint64 sinceT0(const std::optional<EngineTime> &time)
{
    return time ? std::chrono::duration_cast<std::chrono::milliseconds>(*time - T0).count() : -1;
}

/// What the addressee's client parses: the stanza as text, namespaces processed, `from` set by the server.
QDomDocument onTheWire(const QDomElement &stanza, const QString &from)
{
    QString text;
    QTextStream stream(&text);
    stanza.save(stream, -1);
    stream.flush();
    QDomDocument doc;
    if (!doc.setContent(text, true))
        return {};
    doc.documentElement().setAttribute(u"from"_s, from);
    return doc;
}

/// Only group 14: one 2048-bit key per negotiation keeps the many negotiations below quick.
EsessionPolicy quickPolicy(bool mayRevealPresence = true)
{
    EsessionPolicy rules;
    rules.groups = { Crypto::ModpGroup::Group14 };
    rules.mayRevealPresence = mayRevealPresence;
    return rules;
}

/// One account: its engine, its retained secrets, what its policy was asked and what it was told.
struct Account
{
    explicit Account(const QString &fullJid)
        : jid(fullJid)
    {
        engine.setRetainedSecretStore(&store);
        setRules([](const QString &) { return std::optional<EsessionPolicy>(quickPolicy()); });
    }
    Account(const Account &) = delete;
    Account &operator=(const Account &) = delete;

    void setRules(EsessionEngine::PolicyFunction rules)
    {
        engine.setPolicyFunction([this, rules = std::move(rules)](const QString &bareJid) {
            asked << bareJid;
            return rules(bareJid);
        });
    }

    QString jid;
    MemoryRetainedSecretStore store; // declared before the engine: outlives it
    EsessionEngine engine;
    QStringList asked; ///< every JID the policy function was called with
    QList<EngineEvent> events; ///< everything the engine reported, in order
    QList<ChannelEnded> ended; ///< every live session that ended, in order
    QStringList opened; ///< the <body/> of every stanza a live session opened, in order
    QStringList openErrors; ///< why a stanza with a <c/> did not open, in order
};

template <typename T> QList<T> eventsOf(const Account &account, const QString &thread)
{
    QList<T> found;
    for (const EngineEvent &event : account.events) {
        if (event.thread != thread)
            continue;
        if (const auto *typed = std::get_if<T>(&event.event))
            found << *typed;
    }
    return found;
}

QString describe(const QList<EngineEvent> &events)
{
    QStringList names;
    for (const EngineEvent &event : events) {
        QString name;
        if (const auto *failed = std::get_if<EsessionFailed>(&event.event))
            name = u"Failed(%1 %2)"_s.arg(int(failed->failure)).arg(failed->detail);
        else if (std::holds_alternative<EsessionEstablished>(event.event))
            name = u"Established"_s;
        else if (const auto *error = std::get_if<SsnError>(&event.event))
            name = u"SsnError(%1 %2)"_s.arg(problemName(error->problem), error->detail);
        else
            name = u"Requested"_s;
        names << event.thread + u':' + name;
    }
    return names.join(u", ");
}

/// Every stanza any account sent, routed by its `to` to the account with that bare JID.
class Network
{
public:
    struct Parcel
    {
        QString from;
        QDomDocument doc;
        QString thread;
        bool error = false; ///< type='error': not one of the numbered negotiation messages
        bool delivered = false;
    };

    explicit Network(std::initializer_list<Account *> accounts)
        : m_accounts(accounts)
    {
    }

    /// Takes an engine's output: its stanzas onto the wire, its events into the account's log.
    void post(Account &from, const EngineOutput &out)
    {
        for (const QDomElement &stanza : out.stanzas) {
            QDomDocument doc = onTheWire(stanza, from.jid);
            if (doc.documentElement().isNull() && problem.isEmpty())
                problem = u"a stanza of %1 does not parse"_s.arg(from.jid);
            const QString thread = SsnNegotiation::threadOf(doc.documentElement()).value_or(QString());
            const bool error = doc.documentElement().attribute(u"type"_s) == u"error"_s;
            parcels << Parcel { from.jid, doc, thread, error };
        }
        from.events << out.events;
        from.ended << out.ended;
    }

    std::optional<EngineOutput> negotiate(Account &from, const QString &peer, const QString &thread, EngineTime now)
    {
        std::optional<EngineOutput> out = from.engine.negotiate(peer, thread, now);
        if (out)
            post(from, *out);
        return out;
    }

    /// The @p n-th stanza (from 0) that @p from sent in @p thread, error stanzas not counted; -1 when it sent fewer.
    qsizetype find(const Account &from, const QString &thread, int n) const
    {
        for (qsizetype i = 0; i < parcels.size(); ++i) {
            const Parcel &parcel = parcels.at(i);
            if (parcel.from == from.jid && parcel.thread == thread && !parcel.error && n-- == 0)
                return i;
        }
        return -1;
    }

    /// Hands parcel @p index to its addressee (again, if it was delivered before) and posts the answer.
    EngineOutput deliver(qsizetype index, EngineTime now)
    {
        parcels[index].delivered = true;
        const QString from = parcels.at(index).from;
        const QDomDocument copy = onTheWire(parcels.at(index).doc.documentElement(), from);
        Account *to = addressee(copy.documentElement().attribute(u"to"_s));
        if (!to) {
            if (problem.isEmpty())
                problem = u"nobody to deliver to: "_s + copy.documentElement().attribute(u"to"_s);
            return {};
        }
        const QDomElement stanza = copy.documentElement();
        // What a client does with it: a <c/> goes to the live sessions, an error without one may be a
        // not-acceptable, the rest to the negotiations.
        EngineOutput out;
        if (!childElements(stanza, u"c"_s, u"http://www.xmpp.org/extensions/xep-0200.html#ns"_s).isEmpty()) {
            out = to->engine.openStanza(stanza, now);
            if (!out.error.isEmpty())
                to->openErrors << out.error;
            else if (!out.stanza.isNull())
                to->opened << out.stanza.firstChildElement(u"body"_s).text();
        } else if (stanza.attribute(u"type"_s) == u"error"_s && SsnNegotiation::threadOf(stanza)
                   && !SsnNegotiation::isNegotiationMessage(stanza)
                   && childElements(stanza, u"init"_s, u"http://www.xmpp.org/extensions/xep-0116.html#ns-init"_s).isEmpty()) {
            out = to->engine.handleNotAcceptable(stanza);
        } else {
            out = to->engine.handleMessage(stanza, now);
        }
        post(*to, out);
        return out;
    }

    void lose(qsizetype index) { parcels[index].delivered = true; }

    /// Delivers everything not delivered yet (of @p thread, or of every thread), oldest first, until the wire is
    /// quiet.
    void pump(EngineTime now, const QString &thread = {})
    {
        for (int round = 0; round < 64; ++round) {
            qsizetype next = -1;
            for (qsizetype i = 0; i < parcels.size() && next < 0; ++i) {
                if (!parcels.at(i).delivered && (thread.isEmpty() || parcels.at(i).thread == thread))
                    next = i;
            }
            if (next < 0)
                return;
            deliver(next, now);
        }
        if (problem.isEmpty())
            problem = u"the engines keep talking"_s;
    }

    QList<Parcel> parcels;
    QString problem; ///< the first thing that went wrong on the wire

private:
    Account *addressee(const QString &to) const
    {
        for (Account *account : m_accounts) {
            if (sameBare(account->jid, to))
                return account;
        }
        return nullptr;
    }

    QList<Account *> m_accounts;
};

/// Runs messages 1 to 4 of @p thread in order, message k arriving at @p start + k * Step; message @p lost (1–4)
/// never arrives. Stops where the next message was not sent (a request that waits for the user).
void exchange(
    Network &net, Account &initiator, Account &responder, const QString &thread, int lost = 0, EngineTime start = T0)
{
    for (int k = 1; k <= 4; ++k) {
        const qsizetype index = net.find(k % 2 ? initiator : responder, thread, (k - 1) / 2);
        if (index < 0)
            return;
        if (k == lost)
            net.lose(index);
        else
            net.deliver(index, start + k * Step);
    }
}

/// Both sides computed the same session: one's sending keys are the other's receiving keys, and the same SAS.
void checkSameSession(const EsessionEstablished &a, const EsessionEstablished &b)
{
    QCOMPARE(a.sas, b.sas);
    QCOMPARE(a.sas.size(), 5);
    QVERIFY(a.parameters.cipher == b.parameters.cipher);
    QVERIFY(!a.parameters.send.cipherKey.isEmpty());
    QCOMPARE(a.parameters.send.cipherKey, b.parameters.receive.cipherKey);
    QCOMPARE(a.parameters.send.macKey, b.parameters.receive.macKey);
    QVERIFY(a.parameters.send.counter == b.parameters.receive.counter);
    QCOMPARE(a.parameters.receive.cipherKey, b.parameters.send.cipherKey);
    QCOMPARE(a.parameters.receive.macKey, b.parameters.send.macKey);
    QVERIFY(a.parameters.receive.counter == b.parameters.send.counter);
    QVERIFY(a.parameters.send.cipherKey != a.parameters.receive.cipherKey);
}

/// The engine has no negotiation under way and none holds a secret (live sessions may hold their keys).
void checkIdle(const Account &account)
{
    QVERIFY2(!account.engine.negotiationsHoldSecrets(), qPrintable(account.jid));
    QCOMPARE(account.engine.pendingCount(), 0);
    QCOMPARE(sinceT0(account.engine.deadline()), qint64(-1));
}


/// A chat message from @p from to @p to in @p thread with @p body, as a client would hand it to the engine to seal.
QDomDocument chat(const QString &to, const QString &thread, const QString &body)
{
    QDomDocument doc;
    QDomElement message = doc.createElementNS(u"jabber:client"_s, u"message"_s);
    message.setAttribute(u"to"_s, to);
    message.setAttribute(u"type"_s, u"chat"_s);
    doc.appendChild(message);
    QDomElement threadElement = doc.createElementNS(u"jabber:client"_s, u"thread"_s);
    threadElement.appendChild(doc.createTextNode(thread));
    message.appendChild(threadElement);
    QDomElement bodyElement = doc.createElementNS(u"jabber:client"_s, u"body"_s);
    bodyElement.appendChild(doc.createTextNode(body));
    message.appendChild(bodyElement);
    return doc;
}

/// Negotiates a session between @p a (initiator) and @p b in @p thread; true when both sides hold it.
bool establish(Network &net, Account &a, Account &b, const QString &thread, EngineTime start = T0)
{
    if (!net.negotiate(a, bareOf(b.jid), thread, start))
        return false;
    exchange(net, a, b, thread, 0, start);
    const EsessionChannel *ours = a.engine.channel(b.jid, thread);
    const EsessionChannel *theirs = b.engine.channel(a.jid, thread);
    return net.problem.isEmpty() && ours && ours->isActive() && theirs && theirs->isActive();
}

/// @p from seals a chat message with @p body in its session with @p to and posts it; the parcel's index, -1 when
/// nothing was sealed.
qsizetype say(Network &net, Account &from, const Account &to, const QString &thread, const QString &body)
{
    EsessionChannel *channel = from.engine.channel(to.jid, thread);
    if (!channel)
        return -1;
    const QDomDocument doc = chat(to.jid, thread, body);
    EngineOutput out = from.engine.sealStanza(*channel, doc.documentElement());
    if (!out.error.isEmpty())
        return -1;
    out.stanzas.prepend(out.stanza);
    net.post(from, out);
    return net.parcels.size() - qsizetype(out.stanzas.size());
}

/// Records what a source handed out; fails on demand.
class RecordingRandom final : public RandomSource
{
public:
    QByteArray bytes(int size) override
    {
        if (failing)
            return {};
        QByteArray out = systemRandom().bytes(size);
        given << out;
        return out;
    }
    QList<QByteArray> given;
    bool failing = false;
};

} // namespace

class TestEsessionEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fullNegotiation_data();
    void fullNegotiation();
    void timeOut_data();
    void timeOut();
    void earliestDeadline_data();
    void earliestDeadline();
    void duplicatesAndReordering_data();
    void duplicatesAndReordering();
    void threadUsedOnce_data();
    void threadUsedOnce();
    void abandonAll_data();
    void abandonAll();
    void policyRefusesPeer_data();
    void policyRefusesPeer();
    void ignoredRequestLeavesNothing_data();
    void ignoredRequestLeavesNothing();
    void sessionCarriesStanzasBothWays();
    void terminateAndAcknowledgement_data();
    void terminateAndAcknowledgement();
    void lostDuplicatedOrReorderedStanza_data();
    void lostDuplicatedOrReorderedStanza();
    void notAcceptableOnlyWhereItMeansSomething_data();
    void notAcceptableOnlyWhereItMeansSomething();
    void refusalAfterEstablishment_data();
    void refusalAfterEstablishment();
    void finishedEntriesArePruned();
    void randomnessComesFromTheInjectedSource();
    void comparingTheCodeMarksTheSecretVerified();
    void closeAllWipesEverything_data();
    void closeAllWipesEverything();
    void strangerLearnsNothingFromAnswers();
    void whatOthersCanMakeUsKeepIsBounded();
    void liveSessionsPerContactAreBounded();
    void failingRandomSourceStopsTheResponder();
    void endedSessionsKeepGuardingTheirResource();
    void endingSessionIsNoAmbiguityForResource();
    void bareJidReachesNoSession();
};

// ---------------------------------------------------------------------------------------------------------------
// 1. A whole negotiation

void TestEsessionEngine::fullNegotiation_data()
{
    QTest::addColumn<QString>("peer"); // what Alice's client passes to negotiate()
    QTest::addColumn<bool>("defaultGroups");
    QTest::addColumn<int>("sessions"); // one after the other, each in a new thread

    QTest::newRow("bare JID, group 14") << BobBare << false << 1;
    QTest::newRow("full JID") << BobFull << false << 1;
    QTest::newRow("default groups 15 and 14") << BobBare << true << 1;
    QTest::newRow("second session uses the retained secret") << BobBare << false << 2;
}

void TestEsessionEngine::fullNegotiation()
{
    QFETCH(QString, peer);
    QFETCH(bool, defaultGroups);
    QFETCH(int, sessions);

    Account alice(AliceFull);
    Account bob(BobFull);
    if (defaultGroups) {
        alice.setRules([](const QString &) {
            EsessionPolicy rules;
            rules.mayRevealPresence = true;
            return std::optional<EsessionPolicy>(rules);
        });
    }
    Network net { &alice, &bob };

    for (int session = 0; session < sessions; ++session) {
        const QString thread = u"full-%1"_s.arg(session);
        const EngineTime begin = T0 + session * 1h;
        const std::optional<EngineOutput> request = net.negotiate(alice, peer, thread, begin);
        QVERIFY(request);
        QCOMPARE(request->stanzas.size(), 1);
        QVERIFY(alice.engine.isNegotiating(BobBare, thread));
        QCOMPARE(alice.engine.pendingCount(), 1);
        QVERIFY(alice.engine.holdsSecrets());
        QCOMPARE(sinceT0(alice.engine.deadline()), sinceT0(begin + 60s));

        exchange(net, alice, bob, thread, 0, begin);
        QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
        // Negotiation messages are for the two resources only, like the session's (review L10): no copies to other
        // devices, no archive on the server.
        int negotiationMessages = 0;
        for (const Network::Parcel &parcel : std::as_const(net.parcels)) {
            if (parcel.thread != thread)
                continue;
            ++negotiationMessages;
            const QDomElement message = parcel.doc.documentElement();
            for (const auto &[name, ns] : { std::pair { u"no-copy"_s, u"urn:xmpp:hints"_s },
                                            std::pair { u"no-permanent-store"_s, u"urn:xmpp:hints"_s },
                                            std::pair { u"private"_s, u"urn:xmpp:carbons:2"_s } })
                QVERIFY2(childElements(message, name, ns).size() == 1, qPrintable(name + u" in "_s + parcel.doc.toString(-1)));
        }
        QCOMPARE(negotiationMessages, 4);

        const QList<EsessionEstablished> ofAlice = eventsOf<EsessionEstablished>(alice, thread);
        const QList<EsessionEstablished> ofBob = eventsOf<EsessionEstablished>(bob, thread);
        QVERIFY2(ofAlice.size() == 1, qPrintable(describe(alice.events)));
        QVERIFY2(ofBob.size() == 1, qPrintable(describe(bob.events)));
        QVERIFY(eventsOf<EsessionFailed>(alice, thread).isEmpty());
        QVERIFY(eventsOf<EsessionFailed>(bob, thread).isEmpty());
        checkSameSession(ofAlice.first(), ofBob.first());
        QCOMPARE(ofAlice.first().peerJid, BobFull);
        QCOMPARE(ofBob.first().peerJid, AliceFull);
        QCOMPARE(ofAlice.first().retainedSecretMatched, session > 0);
        QCOMPARE(ofBob.first().retainedSecretMatched, session > 0);

        // The events name the conversation they belong to.
        for (const EngineEvent &event : std::as_const(alice.events))
            QCOMPARE(bareOf(event.peer), BobBare);
        for (const EngineEvent &event : std::as_const(bob.events))
            QCOMPARE(event.peer, AliceFull);

        for (Account *side : { &alice, &bob }) {
            QVERIFY(!side->engine.isNegotiating(side == &alice ? BobBare : AliceBare, thread));
            QVERIFY(side->engine.hasNegotiated(side == &alice ? BobBare : AliceBare, thread));
            checkIdle(*side);
            // Nothing is left for a time-out to do.
            const EngineOutput late = side->engine.handleTimeout(begin + 10min);
            QVERIFY(late.events.isEmpty());
            QVERIFY(late.stanzas.isEmpty());
        }
    }
    // The policies were asked about bare JIDs only.
    QCOMPARE(QSet<QString>(alice.asked.cbegin(), alice.asked.cend()), QSet<QString> { BobBare });
    QCOMPARE(QSet<QString>(bob.asked.cbegin(), bob.asked.cend()), QSet<QString> { AliceBare });
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Time-outs

void TestEsessionEngine::timeOut_data()
{
    QTest::addColumn<int>("lost"); // the message (1–4) lost on the way, 0 none
    QTest::addColumn<bool>("bobAsksUser"); // Bob's policy hides his presence: the request waits for the user
    QTest::addColumn<int>("timeoutMs"); // 0: the default (60 s)
    QTest::addColumn<bool>("aliceStuck");
    QTest::addColumn<bool>("bobStuck");
    QTest::addColumn<bool>("bobEstablished");

    QTest::newRow("message 1 lost") << 1 << false << 0 << true << false << false;
    QTest::newRow("message 2 lost") << 2 << false << 0 << true << true << false;
    QTest::newRow("message 2 lost, 5 s") << 2 << false << 5000 << true << true << false;
    QTest::newRow("message 2 lost, 1 ms") << 2 << false << 1 << true << true << false;
    QTest::newRow("message 3 lost") << 3 << false << 0 << true << true << false;
    QTest::newRow("message 4 lost") << 4 << false << 2500 << true << false << true;
    QTest::newRow("request waits for the user") << 0 << true << 0 << true << true << false;
    QTest::newRow("request waits for the user, 30 s") << 0 << true << 30000 << true << true << false;
}

void TestEsessionEngine::timeOut()
{
    QFETCH(int, lost);
    QFETCH(bool, bobAsksUser);
    QFETCH(int, timeoutMs);
    QFETCH(bool, aliceStuck);
    QFETCH(bool, bobStuck);
    QFETCH(bool, bobEstablished);

    Account alice(AliceFull);
    Account bob(BobFull);
    if (bobAsksUser)
        bob.setRules([](const QString &) { return std::optional<EsessionPolicy>(quickPolicy(false)); });
    const std::chrono::milliseconds timeout = timeoutMs ? std::chrono::milliseconds(timeoutMs) : 60000ms;
    if (timeoutMs) {
        alice.engine.setNegotiationTimeout(timeout);
        bob.engine.setNegotiationTimeout(timeout);
    }
    QCOMPARE(alice.engine.negotiationTimeout(), timeout);
    Network net { &alice, &bob };
    const QString thread = u"lost-%1"_s.arg(lost);

    QVERIFY(net.negotiate(alice, BobBare, thread, T0));
    exchange(net, alice, bob, thread, lost);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    QCOMPARE(eventsOf<SsnRequested>(bob, thread).size(), bobAsksUser ? 1 : 0);
    QCOMPARE(eventsOf<EsessionEstablished>(bob, thread).size(), bobEstablished ? 1 : 0);
    QVERIFY2(eventsOf<EsessionEstablished>(alice, thread).isEmpty(), qPrintable(describe(alice.events)));

    struct Case
    {
        Account *side;
        QString peerBare;
        bool stuck;
        EngineTime started; // message 1 sent (Alice) or received (Bob)
    };
    const Case cases[] = { { &alice, BobBare, aliceStuck, T0 }, { &bob, AliceBare, bobStuck, T0 + Step } };
    for (const Case &c : cases) {
        EsessionEngine &engine = c.side->engine;
        const QString who = c.side->jid;
        if (!c.stuck) {
            checkIdle(*c.side);
            QVERIFY(!engine.isNegotiating(c.peerBare, thread));
            const EngineOutput nothing = engine.handleTimeout(c.started + 10 * timeout);
            QVERIFY(nothing.events.isEmpty());
            continue;
        }
        QVERIFY2(engine.isNegotiating(c.peerBare, thread), qPrintable(who));
        QCOMPARE(engine.pendingCount(), 1);
        QVERIFY2(engine.holdsSecrets(), qPrintable(who));
        QCOMPARE(sinceT0(engine.deadline()), sinceT0(c.started + timeout));

        // A millisecond early: nothing happens.
        const EngineOutput early = engine.handleTimeout(c.started + timeout - 1ms);
        QVERIFY2(early.events.isEmpty(), qPrintable(describe(early.events)));
        QVERIFY(early.stanzas.isEmpty());
        QVERIFY(engine.isNegotiating(c.peerBare, thread));
        QVERIFY(engine.holdsSecrets());
        QCOMPARE(sinceT0(engine.deadline()), sinceT0(c.started + timeout));

        // On time: abandoned, silently, and wiped.
        const EngineOutput due = engine.handleTimeout(c.started + timeout);
        QVERIFY(due.stanzas.isEmpty());
        QVERIFY2(due.events.size() == 1, qPrintable(describe(due.events)));
        const EngineEvent &event = due.events.first();
        QCOMPARE(event.thread, thread);
        QCOMPARE(bareOf(event.peer), c.peerBare);
        const auto *failed = std::get_if<EsessionFailed>(&event.event);
        QVERIFY2(failed, qPrintable(describe(due.events)));
        QVERIFY(failed->failure == EsessionFailure::Abandoned);
        QVERIFY(!failed->sent);
        QVERIFY2(!engine.holdsSecrets(), "after handleTimeout no secret is held");
        QCOMPARE(sinceT0(engine.deadline()), qint64(-1));
        QCOMPARE(engine.pendingCount(), 0);
        QVERIFY(!engine.isNegotiating(c.peerBare, thread));
        // The thread stays used where this side spoke in it; a request never answered leaves nothing behind.
        QCOMPARE(engine.hasNegotiated(c.peerBare, thread), c.side == &alice || !bobAsksUser);

        // Once is enough.
        const EngineOutput again = engine.handleTimeout(c.started + 10 * timeout);
        QVERIFY(again.events.isEmpty());
    }
    if (bobAsksUser) {
        // The user answers too late: there is nothing left to accept or decline.
        QVERIFY(!bob.engine.accept(AliceBare, thread, T0 + Step + timeout + 1s));
        QVERIFY(!bob.engine.decline(AliceBare, thread, T0 + Step + timeout + 1s));
        QVERIFY(!bob.engine.holdsSecrets());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Several negotiations: the earliest deadline first

void TestEsessionEngine::earliestDeadline_data()
{
    QTest::addColumn<QList<int>>("startsMs"); // negotiation i ("t<i>") starts at T0 + startsMs[i]
    // role 0: Alice asks; 1: Alice answers and waits for message 3; 2: Alice waits for her user to decide.
    QTest::addColumn<int>("role");
    QTest::addColumn<int>("established"); // this negotiation completes (Alice asking) and has no deadline; -1 none

    QTest::newRow("in order") << QList<int> { 0, 1000, 2000 } << 0 << -1;
    QTest::newRow("reverse order") << QList<int> { 5000, 3000, 0 } << 0 << -1;
    QTest::newRow("shuffled") << QList<int> { 700, 0, 300, 1200 } << 0 << -1;
    QTest::newRow("ties") << QList<int> { 200, 200, 0, 900, 0 } << 0 << -1;
    QTest::newRow("a single one") << QList<int> { 400 } << 0 << -1;
    QTest::newRow("the earliest is established") << QList<int> { 0, 400, 200 } << 0 << 0;
    QTest::newRow("answering, reverse") << QList<int> { 900, 100, 500 } << 1 << -1;
    QTest::newRow("waiting for the user, shuffled") << QList<int> { 300, 0, 600, 300 } << 2 << -1;
}

void TestEsessionEngine::earliestDeadline()
{
    QFETCH(QList<int>, startsMs);
    QFETCH(int, role);
    QFETCH(int, established);

    constexpr qint64 timeout = 10000;
    Account alice(AliceFull);
    Account bob(BobFull);
    Account carol(CarolFull);
    alice.engine.setNegotiationTimeout(std::chrono::milliseconds(timeout));
    if (role == 2)
        alice.setRules([](const QString &) { return std::optional<EsessionPolicy>(quickPolicy(false)); });
    Network net { &alice, &bob, &carol };

    // Threads are named in the row's order but started in time order, so that the table's order (by name) is not
    // the deadlines' order.
    QList<int> order(startsMs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return startsMs.at(a) < startsMs.at(b); });
    QHash<QString, int> startOf;
    QHash<QString, QString> peerOf; // thread -> the bare JID Alice's engine files it under
    for (const int i : std::as_const(order)) {
        const QString thread = u"t%1"_s.arg(i);
        startOf.insert(thread, startsMs.at(i));
        if (role == 0) {
            // Alternate peers: the table is keyed by peer and thread.
            Account &peer = (i % 2 && i != established) ? carol : bob;
            peerOf.insert(thread, bareOf(peer.jid));
            QVERIFY(net.negotiate(alice, bareOf(peer.jid), thread, at(startsMs.at(i))));
            if (i == established) {
                net.pump(at(startsMs.at(i)), thread);
                QCOMPARE(eventsOf<EsessionEstablished>(alice, thread).size(), 1);
            }
        } else {
            // Bob asks (his clock is not Alice's: any time will do); Alice gets the request at her start time.
            peerOf.insert(thread, BobBare);
            QVERIFY(net.negotiate(bob, AliceBare, thread, T0 - 1h));
            const EngineOutput answer = net.deliver(net.find(bob, thread, 0), at(startsMs.at(i)));
            QVERIFY(answer.consumed);
            QCOMPARE(answer.stanzas.size(), role == 1 ? 1 : 0); // message 2, not delivered
            QCOMPARE(eventsOf<SsnRequested>(alice, thread).size(), role == 2 ? 1 : 0);
        }
    }
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    if (established >= 0)
        startOf.remove(u"t%1"_s.arg(established));

    QList<int> times = startOf.values();
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    qsizetype remaining = startOf.size();
    QCOMPARE(alice.engine.pendingCount(), int(remaining));
    for (const int start : std::as_const(times)) {
        QCOMPARE(sinceT0(alice.engine.deadline()), start + timeout);
        const EngineOutput early = alice.engine.handleTimeout(at(start + timeout - 1));
        QVERIFY2(early.events.isEmpty(), qPrintable(describe(early.events)));
        QCOMPARE(alice.engine.pendingCount(), int(remaining));

        const EngineOutput due = alice.engine.handleTimeout(at(start + timeout));
        QVERIFY(due.stanzas.isEmpty());
        QSet<QString> expected;
        for (auto it = startOf.cbegin(); it != startOf.cend(); ++it) {
            if (it.value() == start)
                expected << it.key();
        }
        QSet<QString> abandoned;
        for (const EngineEvent &event : due.events) {
            const auto *failed = std::get_if<EsessionFailed>(&event.event);
            QVERIFY2(failed && failed->failure == EsessionFailure::Abandoned, qPrintable(describe(due.events)));
            QCOMPARE(bareOf(event.peer), peerOf.value(event.thread));
            abandoned << event.thread;
        }
        QCOMPARE(due.events.size(), expected.size());
        QCOMPARE(abandoned, expected);
        remaining -= expected.size();
        QCOMPARE(alice.engine.pendingCount(), int(remaining));
        for (auto it = startOf.cbegin(); it != startOf.cend(); ++it)
            QCOMPARE(alice.engine.isNegotiating(peerOf.value(it.key()), it.key()), it.value() > start);
        QCOMPARE(alice.engine.negotiationsHoldSecrets(), remaining > 0);
    }
    checkIdle(alice);
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Duplicated and reordered stanzas

void TestEsessionEngine::duplicatesAndReordering_data()
{
    // The script: negotiation messages by number (1 and 3 Alice's, 2 and 4 Bob's; error stanzas are not numbered),
    // delivered in that order, repeats included; a message not sent yet when its turn comes is skipped. Whatever is
    // still on the wire afterwards (error stanzas too) is delivered oldest first, as a server would. "x": Bob also
    // asks Alice, on the same thread, before anything is delivered (the requests cross).
    QTest::addColumn<QString>("script");
    QTest::addColumn<int>("expect"); // 1: both established; 2: both failed; 0: either

    QTest::newRow("in order") << u"1 2 3 4"_s << 1;
    QTest::newRow("message 1 twice, its error last") << u"1 1 2 3 4"_s << 1;
    QTest::newRow("message 1 twice, the rest in order") << u"1 1"_s << 1;
    QTest::newRow("message 2 twice") << u"1 2 2 3 4"_s << 1;
    QTest::newRow("message 2 twice, the rest in order") << u"1 2 2"_s << 1;
    QTest::newRow("message 3 twice") << u"1 2 3 3 4"_s << 1;
    QTest::newRow("message 3 twice, the rest in order") << u"1 2 3 3"_s << 1;
    QTest::newRow("message 4 twice") << u"1 2 3 4 4"_s << 1;
    QTest::newRow("everything twice") << u"1 1 2 2 3 3 4 4"_s << 1;
    QTest::newRow("message 1 again after 3") << u"1 2 3 1 4"_s << 1;
    QTest::newRow("message 1 again at the end") << u"1 2 3 4 1"_s << 1;
    QTest::newRow("message 2 again after 3") << u"1 2 3 2 4"_s << 1;
    QTest::newRow("message 2 again at the end") << u"1 2 3 4 2"_s << 1;
    QTest::newRow("message 3 again at the end") << u"1 2 3 4 3"_s << 1;
    QTest::newRow("3 and 4 asked for before they exist") << u"3 4 1 2 3 4"_s << 1;
    QTest::newRow("messages 1 to 3 again, backwards") << u"1 2 3 4 3 2 1"_s << 1;
    QTest::newRow("crossed requests") << u"x"_s << 2;
}

void TestEsessionEngine::duplicatesAndReordering()
{
    QFETCH(QString, script);
    QFETCH(int, expect);

    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    const QString thread = u"dup"_s;

    QVERIFY(net.negotiate(alice, BobBare, thread, T0));
    qint64 clock = 0;
    for (const QString &token : script.split(u' ', Qt::SkipEmptyParts)) {
        clock += 10;
        if (token == u"x"_s) {
            QVERIFY(net.negotiate(bob, AliceBare, thread, at(clock)));
            continue;
        }
        const int k = token.toInt();
        QVERIFY(k >= 1 && k <= 4);
        const qsizetype index = net.find(k % 2 ? alice : bob, thread, (k - 1) / 2);
        if (index >= 0)
            net.deliver(index, at(clock));
    }
    net.pump(at(clock + 10));
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    // Whatever still waits for a message that will not come ends at its deadline.
    for (Account *side : { &alice, &bob })
        side->events << side->engine.handleTimeout(at(clock + 10) + DefaultNegotiationTimeout).events;

    const QString history = u"alice: "_s + describe(alice.events) + u"\nbob: "_s + describe(bob.events);
    const QList<EsessionEstablished> ofAlice = eventsOf<EsessionEstablished>(alice, thread);
    const QList<EsessionEstablished> ofBob = eventsOf<EsessionEstablished>(bob, thread);
    const QList<EsessionFailed> failedAlice = eventsOf<EsessionFailed>(alice, thread);
    const QList<EsessionFailed> failedBob = eventsOf<EsessionFailed>(bob, thread);

    // Never a second session out of a repeated message, and one ending each.
    QVERIFY2(ofAlice.size() <= 1 && ofBob.size() <= 1, qPrintable(history));
    QVERIFY2(failedAlice.size() <= 1 && failedBob.size() <= 1, qPrintable(history));
    QVERIFY2(ofAlice.size() + failedAlice.size() == 1, qPrintable(history));
    QVERIFY2(ofBob.size() + failedBob.size() >= 1, qPrintable(history));
    // Never established with different keys.
    if (!ofAlice.isEmpty() && !ofBob.isEmpty())
        checkSameSession(ofAlice.first(), ofBob.first());
    // Nothing is held, whatever the ending.
    checkIdle(alice);
    checkIdle(bob);
    if (expect == 1)
        QVERIFY2(ofAlice.size() == 1 && ofBob.size() == 1 && failedBob.isEmpty(), qPrintable(history));
    else if (expect == 2)
        QVERIFY2(ofAlice.isEmpty() && ofBob.isEmpty(), qPrintable(history));

    // Nothing was lost, so the two sides agree on the ending: Alice failed means Bob has no session either (or
    // voided the one he had). A repeated message 1 makes Bob's responder answer it with an <unexpected-request/>
    // error echoing the request and carry on; that error must not fail Alice once her message 3 is on its way.
    QVERIFY2(!ofAlice.isEmpty() || ofBob.isEmpty() || !failedBob.isEmpty(), qPrintable(history));
}

// ---------------------------------------------------------------------------------------------------------------
// 5. One negotiation per thread

void TestEsessionEngine::threadUsedOnce_data()
{
    QTest::addColumn<QString>("ending"); // how the first negotiation of the thread went

    QTest::newRow("under way") << u"under way"_s;
    QTest::newRow("established") << u"established"_s;
    QTest::newRow("timed out") << u"timed out"_s;
    QTest::newRow("declined by Bob's user") << u"declined"_s;
    QTest::newRow("refused by Bob's policy") << u"refused"_s;
    QTest::newRow("abandonAll") << u"abandonAll"_s;
}

void TestEsessionEngine::threadUsedOnce()
{
    QFETCH(QString, ending);

    Account alice(AliceFull);
    Account bob(BobFull);
    if (ending == u"declined"_s) {
        bob.setRules([](const QString &) { return std::optional<EsessionPolicy>(quickPolicy(false)); });
    } else if (ending == u"refused"_s) {
        bob.setRules([](const QString &) {
            EsessionPolicy rules = quickPolicy();
            rules.groups = { Crypto::ModpGroup::Group15 };
            rules.minimumGroup = Crypto::ModpGroup::Group15; // Alice offers only group 14
            return std::optional<EsessionPolicy>(rules);
        });
    }
    Network net { &alice, &bob };
    const QString thread = u"once"_s;

    QVERIFY(net.negotiate(alice, BobBare, thread, T0));
    if (ending == u"under way"_s) {
        net.deliver(net.find(alice, thread, 0), T0 + Step); // Bob answers; his message 2 is still on the wire
    } else if (ending == u"established"_s) {
        exchange(net, alice, bob, thread);
        QCOMPARE(eventsOf<EsessionEstablished>(alice, thread).size(), 1);
    } else if (ending == u"timed out"_s) {
        exchange(net, alice, bob, thread, 3);
        for (Account *side : { &alice, &bob })
            side->events << side->engine.handleTimeout(T0 + 2 * DefaultNegotiationTimeout).events;
    } else if (ending == u"declined"_s) {
        net.deliver(net.find(alice, thread, 0), T0 + Step);
        const std::optional<EngineOutput> no = bob.engine.decline(AliceBare, thread, T0 + 2 * Step);
        QVERIFY(no);
        net.post(bob, *no);
        net.pump(T0 + 3 * Step);
    } else if (ending == u"refused"_s) {
        net.pump(T0 + Step);
    } else if (ending == u"abandonAll"_s) {
        exchange(net, alice, bob, thread, 3);
        for (Account *side : { &alice, &bob })
            side->events << side->engine.abandonAll().events;
    }
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    const bool underWay = ending == u"under way"_s;
    if (!underWay) {
        QVERIFY2(!alice.engine.isNegotiating(BobBare, thread), qPrintable(describe(alice.events)));
        QVERIFY2(!bob.engine.isNegotiating(AliceBare, thread), qPrintable(describe(bob.events)));
        if (ending != u"established"_s)
            QCOMPARE(eventsOf<EsessionFailed>(alice, thread).size(), 1);
    }
    QVERIFY(alice.engine.hasNegotiated(BobBare, thread));
    QVERIFY(bob.engine.hasNegotiated(AliceBare, thread));

    // Neither side can open the thread again, whatever JID form it is given.
    const int alicePending = alice.engine.pendingCount();
    for (const QString &peer : { BobBare, BobFull, u"Bob@Example.COM"_s })
        QVERIFY2(!alice.engine.negotiate(peer, thread, T0 + 1h), qPrintable(peer));
    QVERIFY(!bob.engine.negotiate(AliceBare, thread, T0 + 1h));
    QCOMPARE(alice.engine.pendingCount(), alicePending);

    // A replayed message 1 does not start a second responder in Bob's engine.
    const int bobPending = bob.engine.pendingCount();
    const int requestsBefore = int(eventsOf<SsnRequested>(bob, thread).size());
    const int establishedBefore = int(eventsOf<EsessionEstablished>(bob, thread).size());
    const qsizetype parcelsBefore = net.parcels.size();
    net.deliver(net.find(alice, thread, 0), T0 + 1h);
    QCOMPARE(eventsOf<SsnRequested>(bob, thread).size(), requestsBefore);
    QCOMPARE(eventsOf<EsessionEstablished>(bob, thread).size(), establishedBefore);
    QVERIFY(bob.engine.pendingCount() <= bobPending);
    if (!underWay) {
        QCOMPARE(net.parcels.size(), parcelsBefore); // no message 2, no error either
        checkIdle(alice);
        checkIdle(bob);
    }
    // Either way, once every clock ran out nothing is left.
    for (Account *side : { &alice, &bob })
        std::ignore = side->engine.handleTimeout(T0 + 3h);
    checkIdle(alice);
    checkIdle(bob);
}

// ---------------------------------------------------------------------------------------------------------------
// 6. abandonAll()

void TestEsessionEngine::abandonAll_data()
{
    // What Alice's engine has going when she goes offline, one thread each:
    //   requested   Alice asked Bob; message 2 lost
    //   identified  Alice asked Bob; message 4 lost
    //   responded   Bob asked Alice, she answered; message 3 lost
    //   awaiting    Carol asked Alice, whose user has not decided (Alice hides her presence from Carol)
    //   established / failed   finished ones, which abandonAll() leaves alone (failed: Dave refused Alice's
    //                          request, his policy wanting a larger group than she offers)
    QTest::addColumn<QStringList>("states");

    QTest::newRow("nothing") << QStringList {};
    QTest::newRow("only finished ones") << QStringList { u"established"_s, u"failed"_s };
    QTest::newRow("one request") << QStringList { u"requested"_s };
    QTest::newRow("one waiting for the user") << QStringList { u"awaiting"_s };
    QTest::newRow("every state") << QStringList { u"requested"_s, u"identified"_s, u"responded"_s, u"awaiting"_s,
        u"established"_s, u"failed"_s };
    QTest::newRow("two of each under way") << QStringList { u"requested"_s, u"requested"_s, u"identified"_s,
        u"identified"_s, u"responded"_s, u"responded"_s, u"awaiting"_s, u"awaiting"_s };
}

void TestEsessionEngine::abandonAll()
{
    QFETCH(QStringList, states);

    Account alice(AliceFull);
    Account bob(BobFull);
    Account carol(CarolFull);
    Account dave(DaveFull);
    alice.setRules(
        [](const QString &bareJid) { return std::optional<EsessionPolicy>(quickPolicy(bareJid != CarolBare)); });
    dave.setRules([](const QString &) {
        EsessionPolicy rules = quickPolicy();
        rules.groups = { Crypto::ModpGroup::Group15 };
        rules.minimumGroup = Crypto::ModpGroup::Group15;
        return std::optional<EsessionPolicy>(rules);
    });
    Network net { &alice, &bob, &carol, &dave };

    QSet<QString> underWay;
    QHash<QString, QString> peerOf;
    for (int i = 0; i < states.size(); ++i) {
        const QString &state = states.at(i);
        const QString thread = u"%1-%2"_s.arg(state).arg(i);
        peerOf.insert(thread, state == u"awaiting"_s ? CarolBare : state == u"failed"_s ? bareOf(DaveFull) : BobBare);
        if (state == u"requested"_s) {
            QVERIFY(net.negotiate(alice, BobBare, thread, T0));
            exchange(net, alice, bob, thread, 2);
        } else if (state == u"identified"_s) {
            QVERIFY(net.negotiate(alice, BobBare, thread, T0));
            exchange(net, alice, bob, thread, 4);
        } else if (state == u"established"_s) {
            QVERIFY(net.negotiate(alice, BobBare, thread, T0));
            exchange(net, alice, bob, thread);
        } else if (state == u"failed"_s) {
            QVERIFY(net.negotiate(alice, bareOf(DaveFull), thread, T0));
            net.pump(T0 + Step, thread);
            QCOMPARE(eventsOf<EsessionFailed>(alice, thread).size(), 1);
        } else if (state == u"responded"_s) {
            QVERIFY(net.negotiate(bob, AliceBare, thread, T0));
            exchange(net, bob, alice, thread, 3);
        } else if (state == u"awaiting"_s) {
            QVERIFY(net.negotiate(carol, AliceBare, thread, T0));
            exchange(net, carol, alice, thread);
            QCOMPARE(eventsOf<SsnRequested>(alice, thread).size(), 1);
        }
        const bool pending = state != u"established"_s && state != u"failed"_s;
        QCOMPARE(alice.engine.isNegotiating(peerOf.value(thread), thread), pending);
        if (pending)
            underWay << thread;
    }
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    QCOMPARE(alice.engine.pendingCount(), int(underWay.size()));
    QCOMPARE(alice.engine.negotiationsHoldSecrets(), !underWay.isEmpty());

    const EngineOutput out = alice.engine.abandonAll();
    QVERIFY(out.stanzas.isEmpty()); // going offline: nothing can be sent
    QSet<QString> abandoned;
    for (const EngineEvent &event : out.events) {
        const auto *failed = std::get_if<EsessionFailed>(&event.event);
        QVERIFY2(failed && failed->failure == EsessionFailure::Abandoned, qPrintable(describe(out.events)));
        QCOMPARE(bareOf(event.peer), peerOf.value(event.thread));
        abandoned << event.thread;
    }
    QCOMPARE(out.events.size(), underWay.size());
    QCOMPARE(abandoned, underWay);
    QVERIFY2(!alice.engine.negotiationsHoldSecrets(), "abandonAll left a secret");
    checkIdle(alice);
    for (const QString &thread : std::as_const(underWay))
        QVERIFY(alice.engine.hasNegotiated(peerOf.value(thread), thread));

    // Nothing can be resumed, and a second call has nothing to do.
    for (int i = 0; i < states.size(); ++i) {
        const QString thread = u"%1-%2"_s.arg(states.at(i)).arg(i);
        QVERIFY(!alice.engine.accept(peerOf.value(thread), thread, T0 + 1s));
    }
    const EngineOutput again = alice.engine.abandonAll();
    QVERIFY(again.events.isEmpty());
    QVERIFY(again.stanzas.isEmpty());
    QVERIFY(alice.engine.handleTimeout(T0 + 1h).events.isEmpty());
}

// ---------------------------------------------------------------------------------------------------------------
// 7. The policy function

void TestEsessionEngine::policyRefusesPeer_data()
{
    QTest::addColumn<QString>("peerJid"); // the other account
    QTest::addColumn<bool>("withStore"); // Alice's engine has a retained-secret store
    QTest::addColumn<bool>("allowed"); // Alice's engine negotiates with that peer at all

    QTest::newRow("refused peer") << MalloryFull << true << false;
    QTest::newRow("refused peer, other resource") << u"mallory@example.net/phone"_s << true << false;
    QTest::newRow("allowed peer") << BobFull << true << true;
    QTest::newRow("allowed peer, no store") << BobFull << false << false;
}

void TestEsessionEngine::policyRefusesPeer()
{
    QFETCH(QString, peerJid);
    QFETCH(bool, withStore);
    QFETCH(bool, allowed);

    Account alice(AliceFull);
    Account peer(peerJid);
    alice.setRules([](const QString &bareJid) {
        return bareJid == MalloryBare ? std::nullopt : std::optional<EsessionPolicy>(quickPolicy());
    });
    if (!withStore)
        alice.engine.setRetainedSecretStore(nullptr);
    Network net { &alice, &peer };
    const QString peerBare = bareOf(peerJid);

    // Alice asks.
    const std::optional<EngineOutput> asked = net.negotiate(alice, peerBare, u"ours"_s, T0);
    QCOMPARE(bool(asked), allowed);
    QCOMPARE(alice.engine.hasNegotiated(peerBare, u"ours"_s), allowed);
    QCOMPARE(alice.engine.pendingCount(), allowed ? 1 : 0);
    if (!allowed) {
        QVERIFY(net.parcels.isEmpty());
        QCOMPARE(sinceT0(alice.engine.deadline()), qint64(-1));
    }

    // The peer asks.
    const QString theirs = u"theirs"_s;
    QVERIFY(net.negotiate(peer, AliceBare, theirs, T0));
    const qsizetype parcelsBefore = net.parcels.size();
    const qsizetype eventsBefore = alice.events.size();
    const EngineOutput answer = net.deliver(net.find(peer, theirs, 0), T0 + Step);
    QCOMPARE(answer.consumed, allowed);
    QCOMPARE(answer.stanzas.isEmpty(), !allowed);
    QCOMPARE(net.parcels.size(), parcelsBefore + (allowed ? 1 : 0));
    QCOMPARE(alice.engine.hasNegotiated(peerBare, theirs), allowed);
    QCOMPARE(alice.engine.isNegotiating(peerBare, theirs), allowed);
    QCOMPARE(alice.engine.pendingCount(), allowed ? 2 : 0);
    if (!allowed) {
        QCOMPARE(alice.events.size(), eventsBefore);
        checkIdle(alice);
    }
    if (withStore) // the policy is told bare JIDs, never the resource
        QCOMPARE(alice.asked.last(), peerBare);
}

// ---------------------------------------------------------------------------------------------------------------
// 8. A request the handshake does not take is left alone entirely

void TestEsessionEngine::ignoredRequestLeavesNothing_data()
{
    QTest::addColumn<QString>("type"); // message 1 arrives with this type

    QTest::newRow("headline") << u"headline"_s;
    QTest::newRow("groupchat") << u"groupchat"_s;
    QTest::newRow("error") << u"error"_s;
}

void TestEsessionEngine::ignoredRequestLeavesNothing()
{
    QFETCH(QString, type);

    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    const QString thread = u"odd"_s;

    QVERIFY(net.negotiate(alice, BobBare, thread, T0));
    QDomDocument odd = onTheWire(net.parcels.at(net.find(alice, thread, 0)).doc.documentElement(), AliceFull);
    odd.documentElement().setAttribute(u"type"_s, type);
    const EngineOutput out = bob.engine.handleMessage(odd.documentElement(), T0 + Step);
    QVERIFY(!out.consumed);
    QVERIFY(out.stanzas.isEmpty());
    QVERIFY2(out.events.isEmpty(), qPrintable(describe(out.events)));
    QVERIFY(!bob.engine.hasNegotiated(AliceBare, thread));
    QVERIFY(!bob.engine.isNegotiating(AliceBare, thread));
    checkIdle(bob);
    // Nothing to time out later (and no failure reported for a negotiation the client never heard of).
    const EngineOutput later = bob.engine.handleTimeout(T0 + Step + DefaultNegotiationTimeout);
    QVERIFY2(later.events.isEmpty(), qPrintable(describe(later.events)));

    // The real request on that thread is still welcome, and its clock starts when it arrives.
    exchange(net, alice, bob, thread, 3);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    QVERIFY(bob.engine.isNegotiating(AliceBare, thread));
    QCOMPARE(sinceT0(bob.engine.deadline()), sinceT0(T0 + Step + DefaultNegotiationTimeout));
    net.deliver(net.find(alice, thread, 1), T0 + 5 * Step); // message 3, late but in time
    net.pump(T0 + 6 * Step);
    QCOMPARE(eventsOf<EsessionEstablished>(alice, thread).size(), 1);
    QCOMPARE(eventsOf<EsessionEstablished>(bob, thread).size(), 1);
    checkSameSession(
        eventsOf<EsessionEstablished>(alice, thread).first(), eventsOf<EsessionEstablished>(bob, thread).first());
    checkIdle(alice);
    checkIdle(bob);
}

// ---------------------------------------------------------------------------------------------------------------
// 8. Live sessions: what the engine does with the keys a negotiation produced

void TestEsessionEngine::sessionCarriesStanzasBothWays()
{
    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    const QString thread = u"talk"_s;
    QVERIFY(establish(net, alice, bob, thread));
    QVERIFY(alice.engine.holdsSecrets());
    QVERIFY(!alice.engine.negotiationsHoldSecrets());

    QVERIFY(say(net, alice, bob, thread, u"one"_s) >= 0);
    QVERIFY(say(net, alice, bob, thread, u"two"_s) >= 0);
    QVERIFY(say(net, bob, alice, thread, u"three"_s) >= 0);
    net.pump(T0 + 1s);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    QCOMPARE(bob.opened, QStringList({ u"one"_s, u"two"_s }));
    QCOMPARE(alice.opened, QStringList { u"three"_s });
    QVERIFY(alice.openErrors.isEmpty() && bob.openErrors.isEmpty());
    // Nothing of the text is on the wire in the clear.
    for (const Network::Parcel &parcel : std::as_const(net.parcels)) {
        const QString text = parcel.doc.toString(-1);
        QVERIFY2(!text.contains(u"three"_s) && !text.contains(u">one<"_s), qPrintable(text));
    }

    // The session is bound to the resource it was negotiated with; the bare JID is compared as XMPP does.
    QVERIFY(alice.engine.channel(u"BOB@Example.COM/laptop"_s, thread));
    QVERIFY(alice.engine.channel(u"Bob@example.com"_s, thread));
    QVERIFY(!alice.engine.channel(u"bob@example.com/phone"_s, thread));
    QVERIFY(!alice.engine.channel(u"bob@example.com/Laptop"_s, thread)); // resources keep their case
    QCOMPARE(alice.engine.channelForResource(u"bob@EXAMPLE.com/laptop"_s), alice.engine.channel(BobFull, thread));
    QVERIFY(!alice.engine.channelForResource(u"bob@example.com/phone"_s));
    QCOMPARE(alice.engine.deadline(), std::nullopt);
}

void TestEsessionEngine::terminateAndAcknowledgement_data()
{
    QTest::addColumn<QString>("fault"); // what happens to the termination on the wire

    QTest::newRow("acknowledged") << u""_s;
    QTest::newRow("acknowledgement lost") << u"ack lost"_s;
    QTest::newRow("terminate form lost") << u"form lost"_s;
    QTest::newRow("terminate form repeated") << u"form repeated"_s;
}

void TestEsessionEngine::terminateAndAcknowledgement()
{
    QFETCH(QString, fault);

    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    const QString thread = u"bye"_s;
    QVERIFY(establish(net, alice, bob, thread));
    QVERIFY(say(net, alice, bob, thread, u"before"_s) >= 0);
    net.pump(T0 + 1s);
    // Bob writes at the moment Alice ends the session: it crosses her terminate form.
    const qsizetype crossing = say(net, bob, alice, thread, u"crossing"_s);
    QVERIFY(crossing >= 0);

    const EngineTime t = T0 + 2s;
    const std::optional<EngineOutput> terminated = alice.engine.terminate(BobBare, thread, t);
    QVERIFY(terminated);
    QCOMPARE(terminated->stanzas.size(), 1);
    net.post(alice, *terminated);
    const qsizetype form = net.parcels.size() - 1;
    QVERIFY(alice.ended.isEmpty());
    QVERIFY(!alice.engine.terminate(BobBare, thread, t)); // once
    // Nothing more leaves in the session; the deadline is the wait for the acknowledgement.
    QCOMPARE(say(net, alice, bob, thread, u"after"_s), qsizetype(-1));
    QCOMPARE(sinceT0(alice.engine.deadline()), sinceT0(t + EsessionChannel::DefaultTerminationTimeout));
    net.deliver(crossing, t + Step);
    QCOMPARE(alice.opened, QStringList { u"crossing"_s }); // still read while waiting

    if (fault == u"form lost"_s)
        net.lose(form);
    else
        net.deliver(form, t + 2 * Step);
    if (fault == u"form repeated"_s)
        net.deliver(form, t + 3 * Step);
    if (fault != u"form lost"_s) {
        // Bob acknowledged at once, and his keys are gone.
        QCOMPARE(bob.ended.size(), 1);
        QCOMPARE(bob.ended.first().code, ChannelEnd::ByContact);
        QVERIFY(bob.ended.first().orderly);
        QVERIFY(!bob.engine.holdsSecrets());
        const qsizetype ack = net.find(bob, thread, 3); // after messages 2 and 4 and "crossing"
        QVERIFY(ack >= 0);
        if (fault == u"ack lost"_s)
            net.lose(ack);
        else
            net.deliver(ack, t + 4 * Step);
    } else {
        QVERIFY(bob.ended.isEmpty());
        QVERIFY(bob.engine.channel(AliceFull, thread)->isActive());
    }

    if (fault.isEmpty() || fault == u"form repeated"_s) {
        QCOMPARE(alice.ended.size(), 1);
        QCOMPARE(alice.ended.first().code, ChannelEnd::ByUs);
        QVERIFY(alice.ended.first().orderly);
        QVERIFY(!alice.engine.holdsSecrets());
        QCOMPARE(sinceT0(alice.engine.deadline()), qint64(-1));
    } else {
        // No acknowledgement: the keys wait until the deadline, not a moment longer.
        QVERIFY(alice.engine.holdsSecrets());
        const EngineOutput early = alice.engine.handleTimeout(t + EsessionChannel::DefaultTerminationTimeout - 1ms);
        QVERIFY(early.ended.isEmpty());
        QVERIFY(alice.engine.holdsSecrets());
        const EngineOutput due = alice.engine.handleTimeout(t + EsessionChannel::DefaultTerminationTimeout);
        QCOMPARE(due.ended.size(), 1);
        QCOMPARE(due.ended.first().code, ChannelEnd::Unacknowledged);
        QVERIFY2(!alice.engine.holdsSecrets(), "after handleTimeout no secret is held");
        QCOMPARE(sinceT0(alice.engine.deadline()), qint64(-1));
    }
    QCOMPARE(bob.opened, QStringList { u"before"_s });
    net.pump(t + 1min);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    // Whatever came late changed nothing on Alice's side: one end, no keys.
    QVERIFY(alice.ended.size() <= 1);
    QVERIFY(!alice.engine.holdsSecrets());
}

void TestEsessionEngine::lostDuplicatedOrReorderedStanza_data()
{
    QTest::addColumn<QList<int>>("order"); // Alice's stanzas 0, 1, 2 as the wire hands them to Bob
    QTest::addColumn<QStringList>("opened"); // what Bob reads before the session breaks

    QTest::newRow("in order") << QList<int> { 0, 1, 2 } << QStringList { u"m0"_s, u"m1"_s, u"m2"_s };
    QTest::newRow("second lost") << QList<int> { 0, 2 } << QStringList { u"m0"_s };
    QTest::newRow("first repeated") << QList<int> { 0, 0, 1, 2 } << QStringList { u"m0"_s };
    QTest::newRow("last two swapped") << QList<int> { 0, 2, 1 } << QStringList { u"m0"_s };
    QTest::newRow("first lost") << QList<int> { 1, 2 } << QStringList {};
}

void TestEsessionEngine::lostDuplicatedOrReorderedStanza()
{
    QFETCH(QList<int>, order);
    QFETCH(QStringList, opened);

    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    const QString thread = u"wire"_s;
    QVERIFY(establish(net, alice, bob, thread));
    QList<qsizetype> sent;
    for (int i = 0; i < 3; ++i)
        sent << say(net, alice, bob, thread, u"m%1"_s.arg(i));
    for (qsizetype index : std::as_const(sent)) {
        QVERIFY(index >= 0);
        net.lose(index);
    }
    EngineTime now = T0 + 1s;
    for (int i : std::as_const(order))
        net.deliver(sent.at(i), now += Step);
    QCOMPARE(bob.opened, opened);
    const bool broken = opened.size() < 3;
    if (!broken) {
        QVERIFY(bob.ended.isEmpty() && bob.openErrors.isEmpty());
        return;
    }
    // XEP-0200: the stanza that does not open ends Bob's session (no key is left), and Alice is told.
    QCOMPARE(bob.openErrors.first(), u"bad-mac"_s);
    QCOMPARE(bob.ended.size(), 1);
    QCOMPARE(bob.ended.first().code, ChannelEnd::OpenFailed);
    QVERIFY(!bob.engine.holdsSecrets());
    net.pump(now += Step);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    QCOMPARE(alice.ended.size(), 1);
    QCOMPARE(alice.ended.first().code, ChannelEnd::OutOfStep);
    QVERIFY(!alice.engine.holdsSecrets());
    // Nothing goes through the broken session any more, in either direction.
    QCOMPARE(say(net, alice, bob, thread, u"more"_s), qsizetype(-1));
    QCOMPARE(say(net, bob, alice, thread, u"more"_s), qsizetype(-1));
    QCOMPARE(bob.opened, opened);
}

void TestEsessionEngine::notAcceptableOnlyWhereItMeansSomething_data()
{
    QTest::addColumn<QString>("situation");
    QTest::addColumn<bool>("answered"); // the receiver answers not-acceptable

    QTest::newRow("a stranger's <c/> in someone else's thread") << u"stranger"_s << false;
    QTest::newRow("message 4 lost: the responder's first stanza") << u"message 4 lost"_s << true;
    QTest::newRow("a <c/> in a session that ended") << u"ended"_s << true;
}

void TestEsessionEngine::notAcceptableOnlyWhereItMeansSomething()
{
    QFETCH(QString, situation);
    QFETCH(bool, answered);

    Account alice(AliceFull);
    Account bob(BobFull);
    Account mallory(MalloryFull);
    Network net { &alice, &bob, &mallory };
    const QString thread = u"answers"_s;
    QVERIFY(net.negotiate(alice, BobBare, thread, T0));
    exchange(net, alice, bob, thread, situation == u"message 4 lost"_s ? 4 : 0);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    QVERIFY(bob.engine.channel(AliceFull, thread)); // Bob has his keys in every case
    const qsizetype sent = say(net, bob, alice, thread, u"hello"_s);
    QVERIFY(sent >= 0);
    net.lose(sent);
    QDomDocument stanza = onTheWire(net.parcels.at(sent).doc.documentElement(), BobFull);
    Account *receiver = &alice;
    if (situation == u"stranger"_s) {
        // Mallory replays Bob's stanza to Alice as her own: Alice never negotiated that thread with her.
        stanza.documentElement().setAttribute(u"from"_s, MalloryFull);
    } else if (situation == u"ended"_s) {
        QVERIFY(alice.engine.endChannel(BobFull, thread, ChannelEnd::Locally));
        QVERIFY(!alice.engine.holdsSecrets());
    }
    const EngineOutput out = receiver->engine.openStanza(stanza.documentElement(), T0 + 1s);
    QVERIFY(out.stanza.isNull());
    QVERIFY(!out.error.isEmpty());
    QCOMPARE(out.stanzas.size(), answered ? 1 : 0);
    if (!answered)
        return;
    const QDomElement error = out.stanzas.first();
    QCOMPARE(error.attribute(u"type"_s), u"error"_s);
    QCOMPARE(error.attribute(u"to"_s), BobFull);
    QCOMPARE(SsnNegotiation::threadOf(error).value_or(QString()), thread);
    // Bob hears it, and his side ends too: what he sent goes again in a new session.
    net.post(alice, out);
    net.pump(T0 + 2s);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    QCOMPARE(bob.ended.size(), 1);
    QCOMPARE(bob.ended.first().code, ChannelEnd::OutOfStep);
    QVERIFY(!bob.engine.holdsSecrets());
}

void TestEsessionEngine::refusalAfterEstablishment_data()
{
    QTest::addColumn<bool>("aliceSpokeFirst");

    QTest::newRow("before Alice used the session: the session is void") << false;
    QTest::newRow("after Alice used the session: a forged refusal changes nothing") << true;
}

void TestEsessionEngine::refusalAfterEstablishment()
{
    QFETCH(bool, aliceSpokeFirst);

    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    const QString thread = u"refused"_s;
    QVERIFY(establish(net, alice, bob, thread));
    if (aliceSpokeFirst) {
        QVERIFY(say(net, alice, bob, thread, u"it works"_s) >= 0);
        net.pump(T0 + 1s);
        QCOMPARE(bob.opened, QStringList { u"it works"_s });
    }
    // An error stanza "from Alice" that echoes Bob's message 4, as a refusal of it would (anyone on the path can
    // write one: error stanzas are not authenticated).
    const qsizetype message4 = net.find(bob, thread, 1);
    QVERIFY(message4 >= 0);
    QDomDocument refusal = onTheWire(net.parcels.at(message4).doc.documentElement(), AliceFull);
    refusal.documentElement().setAttribute(u"type"_s, u"error"_s);
    refusal.documentElement().setAttribute(u"to"_s, BobFull);
    const EngineOutput out = bob.engine.handleMessage(refusal.documentElement(), T0 + 2s);
    net.post(bob, out);
    if (!aliceSpokeFirst) {
        // Alice never opened the session on her side (review M5): Bob's ends, visibly.
        QCOMPARE(bob.ended.size(), 1);
        QCOMPARE(bob.ended.first().code, ChannelEnd::RefusedAfterEstablishment);
        QCOMPARE(eventsOf<EsessionFailed>(bob, thread).size(), 1);
        QVERIFY(!bob.engine.holdsSecrets());
        return;
    }
    // Alice's stanza proved she has the keys: the "refusal" is stale or forged, and the session stands.
    QVERIFY(bob.ended.isEmpty());
    QVERIFY(eventsOf<EsessionFailed>(bob, thread).isEmpty());
    QVERIFY(bob.engine.channel(AliceFull, thread)->isActive());
    QVERIFY(say(net, alice, bob, thread, u"still"_s) >= 0);
    net.pump(T0 + 3s);
    QCOMPARE(bob.opened, QStringList({ u"it works"_s, u"still"_s }));
}

void TestEsessionEngine::finishedEntriesArePruned()
{
    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    constexpr int Sessions = 6;
    for (int i = 0; i < Sessions; ++i) {
        const QString thread = u"pruned-%1"_s.arg(i);
        const EngineTime start = T0 + i * 1min;
        QVERIFY(establish(net, alice, bob, thread, start));
        QVERIFY(say(net, alice, bob, thread, u"hi"_s) >= 0);
        QVERIFY(say(net, bob, alice, thread, u"hi"_s) >= 0);
        net.pump(start + 1s);
        // Each side opened a stanza of the other: no refusal can matter any more, so the negotiation is gone.
        QCOMPARE(alice.engine.keptNegotiations(), 0);
        QCOMPARE(bob.engine.keptNegotiations(), 0);
        const std::optional<EngineOutput> bye = alice.engine.terminate(BobFull, thread, start + 2s);
        QVERIFY(bye);
        net.post(alice, *bye);
        net.pump(start + 3s);
        QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
        // The ended session stays (a late stanza there is still recognised) until a newer one starts.
        QCOMPARE(alice.engine.keptChannels(), 1);
        QCOMPARE(bob.engine.keptChannels(), 1);
    }
    QCOMPARE(alice.ended.size(), Sessions);
    QCOMPARE(bob.ended.size(), Sessions);
    // A negotiation that failed goes at once; one that ran out of time at its deadline.
    QVERIFY(net.negotiate(alice, BobBare, u"declined"_s, T0 + 1h));
    bob.setRules([](const QString &) { return std::optional<EsessionPolicy>(); });
    QVERIFY(net.negotiate(alice, MalloryBare, u"unanswered"_s, T0 + 1h));
    QCOMPARE(alice.engine.keptNegotiations(), 2);
    std::ignore = alice.engine.handleTimeout(T0 + 1h + DefaultNegotiationTimeout);
    QCOMPARE(alice.engine.keptNegotiations(), 0);

    // Every thread is still remembered as used, and what arrives there again is dropped without an answer.
    for (int i = 0; i < Sessions; ++i)
        QVERIFY(bob.engine.hasNegotiated(AliceBare, u"pruned-%1"_s.arg(i)));
    const qsizetype first = net.find(alice, u"pruned-0"_s, 0);
    QDomDocument replay = onTheWire(net.parcels.at(first).doc.documentElement(), AliceFull);
    const EngineOutput replayed = bob.engine.handleMessage(replay.documentElement(), T0 + 2h);
    QVERIFY(replayed.consumed);
    QVERIFY(replayed.stanzas.isEmpty());
    QVERIFY(replayed.events.isEmpty());
    QCOMPARE(bob.engine.keptNegotiations(), 0);
    QVERIFY(!alice.engine.negotiate(BobBare, u"pruned-0"_s, T0 + 2h)); // a thread carries one negotiation
}

void TestEsessionEngine::randomnessComesFromTheInjectedSource()
{
    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    RecordingRandom random;
    alice.engine.setRandomSource(random);

    const std::optional<EngineOutput> request = net.negotiate(alice, BobBare, u"drawn"_s, T0);
    QVERIFY(request);
    QCOMPARE(request->stanzas.size(), 1);
    QByteArray nonce;
    const QDomNodeList fields = request->stanzas.first().elementsByTagName(u"field"_s);
    for (int i = 0; i < fields.size(); ++i) {
        const QDomElement field = fields.at(i).toElement();
        if (field.attribute(u"var"_s) == u"my_nonce"_s)
            nonce = QByteArray::fromBase64(field.firstChildElement(u"value"_s).text().toLatin1());
    }
    QCOMPARE(nonce.size(), 32);
    QVERIFY(random.given.contains(nonce));
    exchange(net, alice, bob, u"drawn"_s);
    QCOMPARE(eventsOf<EsessionEstablished>(alice, u"drawn"_s).size(), 1);

    // A source that fails: no negotiation starts on weaker values, and the failure is named.
    random.failing = true;
    const std::optional<EngineOutput> refused = net.negotiate(alice, BobBare, u"no-random"_s, T0 + 1s);
    QVERIFY(refused);
    QVERIFY(refused->stanzas.isEmpty());
    const QList<EsessionFailed> failed = eventsOf<EsessionFailed>(alice, u"no-random"_s);
    QCOMPARE(failed.size(), 1);
    QCOMPARE(failed.first().detail, u"random"_s);
    QVERIFY(!alice.engine.negotiationsHoldSecrets());
}

// The SAS comparison: only the code of the last session with the contact marks the secret it left verified, under
// the contact's JID in any case; a wrong code, or none, changes nothing.
void TestEsessionEngine::comparingTheCodeMarksTheSecretVerified()
{
    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    QVERIFY(alice.engine.lastSas(BobBare).isEmpty());
    QVERIFY(!alice.engine.verifySas(BobBare, u"abcde"_s));
    QVERIFY(establish(net, alice, bob, u"first"_s));
    const QString sas = eventsOf<EsessionEstablished>(alice, u"first"_s).first().sas;
    QCOMPARE(alice.engine.lastSas(u"BOB@example.com"_s), sas);
    QCOMPARE(bob.engine.lastSas(AliceFull), sas);
    QString wrong = sas;
    wrong[0] = wrong[0] == u'a' ? u'b' : u'a';
    QVERIFY(!alice.engine.verifySas(BobBare, wrong));
    QVERIFY(!alice.store.secrets(BobBare).first().verified);
    QVERIFY(!alice.engine.verifySas(CarolBare, sas)); // another contact's code is not this one
    QVERIFY(alice.engine.verifySas(u"Bob@Example.com"_s, sas));
    QVERIFY(alice.store.secrets(BobBare).first().verified);
    QVERIFY(!bob.store.secrets(AliceBare).first().verified); // each side confirms for itself
    QVERIFY(bob.engine.verifySas(AliceBare, sas));
    QVERIFY(bob.store.secrets(AliceBare).first().verified);
    // The next session (authenticated by the verified secret) comes back verified.
    QVERIFY(establish(net, alice, bob, u"second"_s, T0 + 1min));
    const EsessionEstablished second = eventsOf<EsessionEstablished>(alice, u"second"_s).first();
    QVERIFY(second.retainedSecretMatched && second.retainedSecretWasVerified);
}

void TestEsessionEngine::closeAllWipesEverything_data()
{
    QTest::addColumn<bool>("canSend");

    QTest::newRow("online: the contacts are told") << true;
    QTest::newRow("the connection is gone") << false;
}

void TestEsessionEngine::closeAllWipesEverything()
{
    QFETCH(bool, canSend);

    Account alice(AliceFull);
    Account bob(BobFull);
    Account carol(CarolFull);
    Network net { &alice, &bob, &carol };
    QVERIFY(establish(net, alice, bob, u"one"_s));
    QVERIFY(establish(net, alice, carol, u"two"_s));
    QVERIFY(alice.engine.terminate(CarolFull, u"two"_s, T0 + 1s)); // already ending: told once only
    QVERIFY(net.negotiate(alice, BobBare, u"three"_s, T0 + 2s)); // under way
    const qsizetype before = net.parcels.size();

    const EngineOutput out = alice.engine.closeAll(canSend);
    QCOMPARE(out.stanzas.size(), canSend ? 1 : 0);
    QCOMPARE(out.ended.size(), 2);
    for (const ChannelEnded &ended : out.ended) {
        QCOMPARE(ended.code, ChannelEnd::Offline);
        QVERIFY(ended.orderly);
    }
    QCOMPARE(out.events.size(), 1); // the negotiation under way, abandoned
    QVERIFY(std::holds_alternative<EsessionFailed>(out.events.first().event));
    QVERIFY(!alice.engine.holdsSecrets());
    QCOMPARE(sinceT0(alice.engine.deadline()), qint64(-1));
    net.post(alice, out);
    net.pump(T0 + 3s, u"one"_s);
    QCOMPARE(net.parcels.size() > before, canSend);
    // Bob, told, ended his side with his acknowledgement (which nobody reads now).
    QCOMPARE(bob.ended.size(), canSend ? 1 : 0);
}


namespace {
QDomDocument forgedC(const QString &from, const QString &to, const QString &thread)
{
    QDomDocument doc;
    doc.setContent(u"<message xmlns='jabber:client' type='chat' from='%1' to='%2' id='x1'><thread>%3</thread>"
                   "<c xmlns='http://www.xmpp.org/extensions/xep-0200.html#ns'><data>AAAA</data><mac>AAAA</mac></c>"
                   "</message>"_s.arg(from, to, thread), true);
    return doc;
}
} // namespace

// A stranger (our policy may not reveal presence to them) opens a thread with a request that waits for the user,
// then sends a <c/> there: no answer while the request waits, nor after it timed out (XEP-0155 presence leaks).
// A thread where we never spoke gets none either.
void TestEsessionEngine::strangerLearnsNothingFromAnswers()
{
    Account alice(AliceFull);
    Account mallory(MalloryFull);
    alice.setRules([](const QString &bare) {
        return std::optional<EsessionPolicy>(quickPolicy(/*mayRevealPresence*/ !sameBare(bare, MalloryBare)));
    });
    Network net { &alice, &mallory };
    // Control: a <c/> in a thread never seen gets no answer.
    QDomDocument control = forgedC(MalloryFull, AliceFull, u"never"_s);
    QCOMPARE(alice.engine.openStanza(control.documentElement(), T0).stanzas.size(), 0);

    QVERIFY(net.negotiate(mallory, AliceBare, u"probe"_s, T0));
    const qsizetype before = net.parcels.size();
    net.deliver(net.find(mallory, u"probe"_s, 0), T0 + Step);
    QCOMPARE(net.parcels.size(), before); // Alice said nothing: the request waits for the user
    qInfo() << "events at Alice:" << describe(alice.events);

    QDomDocument probe = forgedC(MalloryFull, AliceFull, u"probe"_s);
    const EngineOutput out = alice.engine.openStanza(probe.documentElement(), T0 + 2 * Step);
    qInfo() << "answers to the stranger's <c/> while the request waits:" << out.stanzas.size();
    std::ignore = alice.engine.handleTimeout(T0 + 10min);
    const EngineOutput later = alice.engine.openStanza(probe.documentElement(), T0 + 11min);
    qInfo() << "answers after the request timed out and was pruned:" << later.stanzas.size()
            << (later.stanzas.isEmpty() ? QString() : later.stanzas.first().attribute(u"to"_s));
    QVERIFY2(out.stanzas.isEmpty() && later.stanzas.isEmpty(), "presence leaked to a stranger");
}

// Requests replayed from many JIDs with long threads: only a bounded number waits at once, and nothing of them is
// remembered once they are gone (we never spoke there).
void TestEsessionEngine::whatOthersCanMakeUsKeepIsBounded()
{
    Account alice(AliceFull);
    Account mallory(MalloryFull);
    alice.setRules([](const QString &) { return std::optional<EsessionPolicy>(quickPolicy(false)); });
    Network net { &alice, &mallory };
    QVERIFY(net.negotiate(mallory, AliceBare, u"seed"_s, T0));
    const QDomElement request = net.parcels.at(net.find(mallory, u"seed"_s, 0)).doc.documentElement();
    auto replay = [&](const QString &from, const QString &thread) {
        QDomDocument copy = onTheWire(request, from);
        copy.documentElement().firstChildElement(u"thread"_s).firstChild().setNodeValue(thread);
        return alice.engine.handleMessage(copy.documentElement(), T0 + 1s);
    };
    constexpr int N = 500;
    // Threads far longer than any client makes: dropped, nothing kept, nothing asked.
    const QString pad(EngineLimits::MaxThreadLength + 1, u'x');
    for (int i = 0; i < 20; ++i) {
        const EngineOutput out = replay(u"m%1@evil.example/r"_s.arg(i), pad + QString::number(i));
        QVERIFY(out.consumed && out.stanzas.isEmpty() && out.events.isEmpty());
    }
    QCOMPARE(alice.engine.keptNegotiations(), 0);
    // Sane threads from many JIDs: a bounded number waits for the user at once, a few per contact.
    int asked = 0;
    for (int i = 0; i < N; ++i)
        asked += replay(u"m%1@evil.example/r"_s.arg(i), u"t%1"_s.arg(i)).events.size();
    for (int i = 0; i < 10; ++i)
        asked += replay(MalloryFull, u"same-%1"_s.arg(i)).events.size();
    QCOMPARE(alice.engine.pendingCount(), EngineLimits::MaxPending);
    QCOMPARE(asked, EngineLimits::MaxPending); // the user is not flooded beyond it either
    std::ignore = alice.engine.handleTimeout(T0 + 10min);
    QCOMPARE(alice.engine.keptNegotiations(), 0);
    // We never spoke in those threads: none of them is remembered.
    int remembered = 0;
    for (int i = 0; i < N; ++i)
        remembered += alice.engine.hasNegotiated(u"m%1@evil.example"_s.arg(i), u"t%1"_s.arg(i)) ? 1 : 0;
    QCOMPARE(remembered, 0);
    // One contact alone cannot take every place.
    for (int i = 0; i < 10; ++i)
        std::ignore = replay(MalloryFull, u"later-%1"_s.arg(i));
    QCOMPARE(alice.engine.pendingCount(), EngineLimits::MaxPendingPerContact);
}

// Someone who can write as a roster contact (its server) completes negotiations on as many threads as it likes:
// the live sessions it can make us keep are bounded per resource and per contact.
void TestEsessionEngine::liveSessionsPerContactAreBounded()
{
    Account alice(AliceFull);
    Account impostor(u"bob@example.com/evil"_s);
    Network net { &alice, &impostor };
    auto activeWith = [&alice](const QString &jid, bool sameResource) {
        int active = 0;
        for (const EsessionChannel *channel : alice.engine.channels())
            active += channel->isActive() && (sameResource ? sameJid(channel->peer(), jid) : sameBare(channel->peer(), jid));
        return active;
    };
    // Two at once with one resource (both sides starting at the same moment); a third ends the oldest, the
    // ESession way.
    for (int i = 0; i < 3; ++i)
        QVERIFY(establish(net, impostor, alice, u"flood-%1"_s.arg(i), T0 + i * 1s));
    QCOMPARE(activeWith(impostor.jid, true), EngineLimits::MaxActivePerResource);
    QCOMPARE(alice.engine.channel(impostor.jid, u"flood-0"_s)->state(), EsessionChannel::State::Terminating);
    net.pump(T0 + 5s);
    QVERIFY2(net.problem.isEmpty(), qPrintable(net.problem));
    // Both sides ended flood-0 (their forms crossed): orderly, whichever arrived first.
    QCOMPARE(alice.ended.size(), 1);
    QCOMPARE(alice.ended.first().thread, u"flood-0"_s);
    QVERIFY(alice.ended.first().orderly);
    // Other resources of the same contact: never more than the per-contact limit active at once.
    for (int i = 0; i < 6; ++i) {
        Account other(u"bob@example.com/evil-%1"_s.arg(i));
        Network side { &alice, &other };
        QVERIFY(establish(side, other, alice, u"flood-r%1"_s.arg(i), T0 + 10s + i * 1s));
        QVERIFY(activeWith(BobBare, false) <= EngineLimits::MaxActivePerContact);
    }
    QCOMPARE(activeWith(BobBare, false), EngineLimits::MaxActivePerContact);
    // The newest one is always among them.
    QVERIFY(alice.engine.channel(u"bob@example.com/evil-5"_s, u"flood-r5"_s)->isActive());
    // Terminations not acknowledged (those clients are gone) free their keys at the deadline.
    std::ignore = alice.engine.handleTimeout(T0 + 1min);
    int holding = 0;
    for (const EsessionChannel *channel : alice.engine.channels())
        holding += channel->holdsKeys() ? 1 : 0;
    QCOMPARE(holding, EngineLimits::MaxActivePerContact);
}

// A source that fails only for the 16-byte counter: the responder refuses instead of going on with a counter made
// of nothing.
void TestEsessionEngine::failingRandomSourceStopsTheResponder()
{
    class CounterFails final : public RandomSource
    {
    public:
        QByteArray bytes(int size) override { return size == 16 ? QByteArray() : systemRandom().bytes(size); }
    } random;
    Account alice(AliceFull);
    Account bob(BobFull);
    bob.engine.setRandomSource(random);
    Network net { &alice, &bob };
    const bool up = establish(net, alice, bob, u"zero"_s);
    qInfo() << "established with a failed source:" << up << describe(bob.events);
    if (up) {
        const EsessionEstablished e = eventsOf<EsessionEstablished>(bob, u"zero"_s).first();
        qInfo() << "bob send counter" << Qt::hex << e.parameters.send.counter.high() << e.parameters.send.counter.low()
                << "receive counter" << e.parameters.receive.counter.high() << e.parameters.receive.counter.low();
    }
    QVERIFY2(!up, "the negotiation went on with a counter from an empty random value");
}

// A newer session with another resource of the contact does not erase the ended one: it still refuses to let a
// thread-less stanza to its resource leave in plaintext.
void TestEsessionEngine::endedSessionsKeepGuardingTheirResource()
{
    Account alice(AliceFull);
    Account bob(BobFull);
    Account bobPhone(u"bob@example.com/phone"_s);
    Network net { &alice, &bob };
    QVERIFY(establish(net, alice, bob, u"t1"_s));
    QVERIFY(alice.engine.endChannel(BobFull, u"t1"_s, ChannelEnd::OutOfStep));
    QVERIFY(alice.engine.channelForResource(BobFull)); // ended: guards the resource
    QVERIFY(alice.engine.channel(BobBare, u"t1"_s));
    Network net2 { &alice, &bobPhone };
    QVERIFY(establish(net2, alice, bobPhone, u"t2"_s, T0 + 1min));
    qInfo() << "after a session with /phone: channelForResource(/laptop)" << (void *)alice.engine.channelForResource(BobFull)
            << "channel(bob, t1)" << (void *)alice.engine.channel(BobBare, u"t1"_s)
            << "hasNegotiated(t1)" << alice.engine.hasNegotiated(BobBare, u"t1"_s);
    QVERIFY2(alice.engine.channelForResource(BobFull), "the ended session no longer guards /laptop");
}

// A session waiting for its terminate acknowledgement and an active one with the same resource: thread-less stanzas
// go in the active one.
void TestEsessionEngine::endingSessionIsNoAmbiguityForResource()
{
    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    QVERIFY(establish(net, alice, bob, u"old"_s));
    QVERIFY(establish(net, alice, bob, u"new"_s, T0 + 10s));
    QVERIFY(alice.engine.terminate(BobFull, u"old"_s, T0 + 20s)); // ack not yet in
    qInfo() << "channelForResource with one terminating and one active:"
            << (void *)alice.engine.channelForResource(BobFull);
    QVERIFY2(alice.engine.channelForResource(BobFull) == alice.engine.channel(BobFull, u"new"_s),
             "presence would go in plaintext while the old session waits for its acknowledgement");
}

// Sessions are bound to a resource: a <c/> from the contact's bare JID neither opens nor ends one.
void TestEsessionEngine::bareJidReachesNoSession()
{
    Account alice(AliceFull);
    Account bob(BobFull);
    Network net { &alice, &bob };
    QVERIFY(establish(net, alice, bob, u"bare"_s));
    const qsizetype sent = say(net, bob, alice, u"bare"_s, u"hi"_s);
    net.lose(sent);
    QDomDocument stanza = onTheWire(net.parcels.at(sent).doc.documentElement(), BobBare);
    const EngineOutput out = alice.engine.openStanza(stanza.documentElement(), T0 + 1s);
    qInfo() << "opened from the bare JID:" << out.error << !out.stanza.isNull() << out.stanza.attribute(u"from"_s);
    QDomDocument forged = forgedC(BobBare, AliceFull, u"bare"_s);
    const EngineOutput broken = alice.engine.openStanza(forged.documentElement(), T0 + 2s);
    qInfo() << "garbage from the bare JID:" << broken.error << "ended:" << broken.ended.size();
    QVERIFY2(out.stanza.isNull(), "a <c/> from the bare JID was opened by the resource's session");
}

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    // Refusals and abandonments log a line each; many of them here on purpose.
    QLoggingCategory::setFilterRules(QStringLiteral("sotto.esession.info=false"));
    TestEsessionEngine test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_esessionengine.moc"
