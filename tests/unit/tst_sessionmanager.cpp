// XEP-0201 routing: which session an incoming or outgoing message belongs to.
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include "crypto/Crypto.h"
#include "session/SessionManager.h"

class TestSessionManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void threadIdsAre128RandomBits()
    {
        static const QRegularExpression hex32(QStringLiteral("^[0-9a-f]{32}$"));
        QSet<QString> seen;
        for (int i = 0; i < 1000; ++i) {
            const QString id = SessionManager::newThreadId();
            QVERIFY2(hex32.match(id).hasMatch(), qPrintable(id));
            seen.insert(id);
        }
        QCOMPARE(seen.size(), 1000);
    }

    void sameThreadSameSession()
    {
        SessionManager m;
        ThreadSession *a = m.routeIncoming(QStringLiteral("bob@example.org/laptop"), QStringLiteral("t-1"));
        ThreadSession *b = m.routeIncoming(QStringLiteral("bob@example.org/laptop"), QStringLiteral("t-1"));
        QCOMPARE(a, b);
        QCOMPARE(a->threadId(), QStringLiteral("t-1"));
        QCOMPARE(m.sessionCount(), 1);
    }

    void unknownThreadNewSessionMirrored()
    {
        SessionManager m;
        QSignalSpy started(&m, &SessionManager::sessionStarted);
        ThreadSession *a = m.routeIncoming(QStringLiteral("bob@example.org/laptop"), QStringLiteral("t-1"));
        // The id is kept exactly as the peer sent it, odd characters included.
        const QString odd = QStringLiteral("e0ffe42b28561960c6b12b944a092794b9683a38 <&>");
        ThreadSession *b = m.routeIncoming(QStringLiteral("bob@example.org/laptop"), odd);
        QVERIFY(a != b);
        QCOMPARE(b->threadId(), odd);
        QCOMPARE(started.count(), 2);
        // Same thread id from another resource is another session: sessions are keyed by full JID + thread.
        ThreadSession *c = m.routeIncoming(QStringLiteral("bob@example.org/phone"), odd);
        QVERIFY(c != b);
        QCOMPARE(m.sessionCount(), 3);
    }

    void noThreadNewId()
    {
        SessionManager m;
        ThreadSession *a = m.routeIncoming(QStringLiteral("bob@example.org/laptop"), QString());
        QCOMPARE(a->threadId().size(), 32);
        // Further thread-less messages from that resource stay in the same conversation...
        QCOMPARE(m.routeIncoming(QStringLiteral("bob@example.org/laptop"), QString()), a);
        // ...but another resource gets its own id.
        ThreadSession *b = m.routeIncoming(QStringLiteral("bob@example.org/phone"), QString());
        QVERIFY(b != a);
        QVERIFY(b->threadId() != a->threadId());
    }

    void outgoingUsesCurrentSessionAndBindsToAnsweringResource()
    {
        SessionManager m;
        ThreadSession *out = m.sessionForOutgoing(QStringLiteral("bob@example.org"));
        QCOMPARE(out->peerJid(), QStringLiteral("bob@example.org"));
        QVERIFY(!out->isBound());
        QCOMPARE(m.sessionForOutgoing(QStringLiteral("bob@example.org")), out);

        // The answer from a full JID in our thread lands in our session, which locks onto that resource.
        ThreadSession *in = m.routeIncoming(QStringLiteral("bob@example.org/laptop"), out->threadId());
        QCOMPARE(in, out);
        QCOMPARE(out->peerJid(), QStringLiteral("bob@example.org/laptop"));
        QVERIFY(out->isBound());
        QCOMPARE(m.find(QStringLiteral("bob@example.org/laptop"), out->threadId()), out);
        QCOMPARE(m.find(QStringLiteral("bob@example.org"), out->threadId()), nullptr);

        // A second resource using the same thread does not take over the bound session.
        ThreadSession *other = m.routeIncoming(QStringLiteral("bob@example.org/phone"), out->threadId());
        QVERIFY(other != out);
    }

    void incomingSessionBecomesCurrentForReplies()
    {
        SessionManager m;
        ThreadSession *first = m.sessionForOutgoing(QStringLiteral("bob@example.org"));
        ThreadSession *in = m.routeIncoming(QStringLiteral("bob@example.org/laptop"), QStringLiteral("theirs"));
        QVERIFY(in != first);
        // Replies go into the thread the contact is using now, to the resource that wrote.
        QCOMPARE(m.sessionForOutgoing(QStringLiteral("bob@example.org")), in);
        QCOMPARE(in->peerJid(), QStringLiteral("bob@example.org/laptop"));
    }

    // Security review F6: a contact is its bare JID as XMPP compares it (without case); resources are exact.
    void jidCaseIsOneContact()
    {
        SessionManager m;
        ThreadSession *out = m.sessionForOutgoing(QStringLiteral("bob@example.org"));
        // The answer comes through the contact's server in another case: it is our session, bound to that resource.
        ThreadSession *in = m.routeIncoming(QStringLiteral("Bob@Example.ORG/laptop"), out->threadId());
        QCOMPARE(in, out);
        QCOMPARE(out->peerJid(), QStringLiteral("Bob@Example.ORG/laptop"));
        QCOMPARE(m.find(QStringLiteral("bob@example.org/laptop"), out->threadId()), out);
        QCOMPARE(m.currentSession(QStringLiteral("BOB@example.org")), out);
        QCOMPARE(m.sessionForOutgoing(QStringLiteral("Bob@example.org")), out);
        // Thread-less messages from one resource are one conversation, whatever the case of the bare JID...
        ThreadSession *a = m.routeIncoming(QStringLiteral("bob@example.org/phone"), QString());
        QCOMPARE(m.routeIncoming(QStringLiteral("BOB@EXAMPLE.ORG/phone"), QString()), a);
        QCOMPARE(m.currentSession(QStringLiteral("bob@example.org")), a);
        // ...but another resource is another one, compared exactly.
        QVERIFY(m.routeIncoming(QStringLiteral("bob@example.org/Phone"), QString()) != a);
        QCOMPARE(m.sessionCount(), 3);
    }

    void startSessionMakesNewThread()
    {
        SessionManager m;
        ThreadSession *a = m.sessionForOutgoing(QStringLiteral("bob@example.org"));
        ThreadSession *b = m.startSession(QStringLiteral("bob@example.org"));
        QVERIFY(a != b);
        QVERIFY(a->threadId() != b->threadId());
        QCOMPARE(m.currentSession(QStringLiteral("bob@example.org")), b);
    }
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestSessionManager test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_sessionmanager.moc"
