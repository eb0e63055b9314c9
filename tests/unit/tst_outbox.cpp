// The durable outbox: stored before sent, sent only online, in order, resent until acknowledged.
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <QXmppMessage.h>
#include <QXmppPromise.h>

#include "crypto/Crypto.h"
#include "esession/FailureCodes.h"
#include "session/Outbox.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"

namespace {

const QByteArray TestMasterKey = QByteArray::fromHex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");

// A connection we drive by hand: records what is handed to it; the test decides each outcome.
struct FakeConnection
{
    bool online = false;
    QList<QXmppMessage> sent;
    QList<bool> mustEncrypt;
    QList<std::shared_ptr<QXmppPromise<QXmpp::SendResult>>> pending;

    Outbox::SendFunction sender()
    {
        return [this](QXmppMessage &&message, bool encrypted) {
            sent << message;
            mustEncrypt << encrypted;
            auto promise = std::make_shared<QXmppPromise<QXmpp::SendResult>>();
            pending << promise;
            return promise->task();
        };
    }
    Outbox::OnlineFunction onlineCheck()
    {
        return [this] { return online; };
    }
    QStringList bodies() const
    {
        QStringList result;
        for (const auto &m : sent)
            result << m.body();
        return result;
    }
    void acknowledge(int i) { pending[i]->finish(QXmpp::SendSuccess{true}); }
    void drop(int i) { pending[i]->finish(QXmppError{QStringLiteral("Disconnected"), QXmpp::SendError::Disconnected}); }
    /// The encryption refused the stanza as too large (the session's limit; it would refuse it every time).
    void refuseTooLarge(int i) { pending[i]->finish(QXmppError{Esession::FailureCode::TooLarge, {}}); }
};

} // namespace

class TestOutbox : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_db = std::make_unique<Database>(m_dir.filePath(QStringLiteral("o%1.sqlite").arg(++m_counter)));
        QVERIFY(m_db->open());
        m_store = std::make_unique<MessageStore>(m_db.get());
        // The vault's key (fixed here) is what lets a queued message survive a restart.
        QVERIFY(m_store->setMasterKey(TestMasterKey));
    }
    // The app quits and starts again: a new store on the same file, the vault unlocked again.
    void restart()
    {
        m_store = std::make_unique<MessageStore>(m_db.get());
        QVERIFY(m_store->setMasterKey(TestMasterKey));
    }
    void cleanup()
    {
        m_store.reset();
        m_db.reset();
    }

    void storedBeforeSentAndHeldWhileOffline()
    {
        FakeConnection conn;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        const auto m = outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t1"), QStringLiteral("one"));
        QVERIFY(m);
        QCOMPARE(m_store->message(m->id)->state, MessageState::Queued);
        QVERIFY(conn.sent.isEmpty());
        QCOMPARE(outbox.pendingCount(), 1);
    }

    void sentInOrderWithThreadAndStableId()
    {
        FakeConnection conn;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        for (const char *body : {"one", "two", "three"})
            outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t1"), QString::fromLatin1(body));
        conn.online = true;
        outbox.flush();
        QCOMPARE(conn.bodies(), (QStringList{QStringLiteral("one"), QStringLiteral("two"), QStringLiteral("three")}));
        QCOMPARE(conn.sent[0].thread(), QStringLiteral("t1"));
        QCOMPARE(conn.sent[0].to(), QStringLiteral("bob@example.org"));
        QVERIFY(!conn.sent[0].id().isEmpty());
        QCOMPARE(conn.sent[0].originId(), conn.sent[0].id());
        QVERIFY(conn.sent[0].id() != conn.sent[1].id());

        // A second flush while they are in flight sends nothing twice.
        outbox.flush();
        QCOMPARE(conn.sent.size(), 3);

        QSignalSpy acked(&outbox, &Outbox::acknowledged);
        conn.acknowledge(0);
        conn.acknowledge(1);
        conn.acknowledge(2);
        QCOMPARE(acked.count(), 3);
        QCOMPARE(outbox.pendingCount(), 0);
    }

    // Review L11: a message the session refuses as too large fails at once, says so, and is not sent again at every
    // flush; the next message goes as usual.
    void tooLargeFailsInsteadOfWaitingForEver()
    {
        FakeConnection conn;
        conn.online = true;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        QSignalSpy failed(&outbox, &Outbox::failed);
        const auto big = outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("big"), true);
        QVERIFY(big);
        conn.refuseTooLarge(0);
        QCOMPARE(m_store->message(big->id)->state, MessageState::Failed);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.first().at(0).toLongLong(), big->id);
        outbox.flush();
        QCOMPARE(conn.sent.size(), 1);
        QCOMPARE(outbox.pendingCount(), 0);
        outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("small"), true);
        QCOMPARE(conn.bodies(), (QStringList{QStringLiteral("big"), QStringLiteral("small")}));
    }

    void unacknowledgedAreResentWithSameIdInOrder()
    {
        FakeConnection conn;
        conn.online = true;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("a"));
        outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("b"));
        const QString idA = conn.sent[0].id();
        conn.acknowledge(0);
        // The connection dies before "b" is acknowledged; "c" is written while offline.
        conn.online = false;
        conn.drop(1);
        outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("c"));
        QCOMPARE(conn.sent.size(), 2);
        conn.online = true;
        outbox.flush();
        QCOMPARE(conn.bodies(), (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("b"),
                                            QStringLiteral("c")}));
        QCOMPARE(conn.sent[2].id(), conn.sent[1].id());
        QVERIFY(conn.sent[2].id() != idA);
    }

    void restartResendsWhatWasInFlight()
    {
        {
            FakeConnection conn;
            conn.online = true;
            Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
            outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("x"));
            outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("y"));
            conn.acknowledge(0);
            // The app quits with "y" in flight (its promise never finishes).
        }
        restart();
        FakeConnection conn;
        conn.online = true;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        outbox.flush();
        QCOMPARE(conn.bodies(), QStringList{QStringLiteral("y")});
    }

    void encryptedMessagesStayEncryptedAcrossRestartsAndAskForReceipts()
    {
        {
            FakeConnection conn;
            Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
            outbox.enqueue(QStringLiteral("bob@example.org/laptop"), QStringLiteral("t"), QStringLiteral("sealed"), true);
            outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("plain"), false);
        }
        // After a restart the rows alone say which must be encrypted.
        restart();
        FakeConnection conn;
        conn.online = true;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        outbox.flush();
        QCOMPARE(conn.bodies(), (QStringList{QStringLiteral("sealed"), QStringLiteral("plain")}));
        QCOMPARE(conn.mustEncrypt, (QList<bool>{true, false}));
        QVERIFY(conn.sent[0].isReceiptRequested());
    }

    void undeliveredEncryptedMessagesGoBackToTheQueue()
    {
        FakeConnection conn;
        conn.online = true;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        for (const char *body : {"one", "two", "three"})
            outbox.enqueue(QStringLiteral("bob@example.org/laptop"), QStringLiteral("t"), QString::fromLatin1(body), true);
        outbox.enqueue(QStringLiteral("bob@example.org/laptop"), QStringLiteral("other"), QStringLiteral("elsewhere"), true);
        for (int i = 0; i < 4; ++i)
            conn.acknowledge(i);
        // Bob confirmed "one"; then the session in thread t ended.
        QVERIFY(m_store->markDelivered(QStringLiteral("bob@example.org"), conn.sent[0].id()));
        QVERIFY(!m_store->markDelivered(QStringLiteral("carol@example.org"), conn.sent[1].id()));
        QCOMPARE(m_store->requeueUndelivered(QStringLiteral("bob@example.org"), QStringLiteral("t")), 2);
        outbox.flush();
        QCOMPARE(conn.bodies().mid(4), (QStringList{QStringLiteral("two"), QStringLiteral("three")}));
        QCOMPARE(conn.sent[4].id(), conn.sent[1].id());
    }

    void bounceMarksFailed()
    {
        FakeConnection conn;
        conn.online = true;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        const auto m = outbox.enqueue(QStringLiteral("nobody@example.org"), QStringLiteral("t"), QStringLiteral("z"));
        conn.acknowledge(0);
        QSignalSpy failed(&outbox, &Outbox::failed);
        outbox.handleBounce(conn.sent[0].id(), QStringLiteral("service-unavailable"));
        QCOMPARE(failed.count(), 1);
        QCOMPARE(m_store->message(m->id)->state, MessageState::Failed);
        // An error for an id we never sent changes nothing.
        outbox.handleBounce(QStringLiteral("unknown"), QStringLiteral("x"));
        QCOMPARE(failed.count(), 1);
    }

    // A queued row whose body can never open again (written while the vault was locked, in a run that
    // ended) fails instead of going out empty; one under the master key waits while the vault is locked.
    void unreadableQueuedMessageFailsInsteadOfBeingSent()
    {
        {
            FakeConnection conn;
            QVERIFY(m_store->setMasterKey({}));
            Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
            QVERIFY(outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("run only")));
            QVERIFY(m_store->setMasterKey(TestMasterKey));
            QVERIFY(m_store->setMasterKey({}));
            QVERIFY(outbox.enqueue(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("lost")));
        }
        // Next run, vault still locked: "run only" (now under the master key) waits; "lost" was sealed
        // under the key of a run that ended (here: its row names another run's key) and fails.
        {
            QSqlQuery q(m_db->connection());
            QVERIFY(q.exec(QStringLiteral("UPDATE messages SET body_key = CASE WHEN body_key = 7 THEN 8 ELSE 7 END"
                                          " WHERE body_key != 0")));
            QCOMPARE(q.numRowsAffected(), 1);
        }
        m_store = std::make_unique<MessageStore>(m_db.get());
        QSignalSpy changed(m_store.get(), &MessageStore::messageStateChanged);
        FakeConnection conn;
        conn.online = true;
        Outbox outbox(m_store.get(), conn.sender(), conn.onlineCheck());
        outbox.flush();
        QVERIFY(conn.sent.isEmpty());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().at(1).value<MessageState>(), MessageState::Failed);
        QCOMPARE(outbox.pendingCount(), 0);
        QVERIFY(m_store->setMasterKey(TestMasterKey)); // the vault opens: the outbox goes on by itself
        QCOMPARE(conn.bodies(), QStringList{QStringLiteral("run only")});
        QCOMPARE(changed.count(), 2); // Sending, and nothing more failed
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<MessageStore> m_store;
    int m_counter = 0;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto; // bodies are sealed through QCA
    QCoreApplication app(argc, argv);
    TestOutbox test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_outbox.moc"
