// History round trip, deduplication, outbox rows and the upgrade from an older schema.
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "storage/ContactSettings.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"

class TestMessageStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("db-%1.sqlite").arg(++m_counter));
    }

    void roundTrip()
    {
        {
            Database db(m_path);
            QString error;
            QVERIFY2(db.open(&error), qPrintable(error));
            QCOMPARE(db.schemaVersion(), Database::CurrentVersion);
            MessageStore store(&db);
            QVERIFY(store.addOutgoing(QStringLiteral("bob@example.org"), QStringLiteral("t1"),
                                      QStringLiteral("hello Bob, ünïcödé ✓"), QStringLiteral("id-1")));
            const QDateTime stamp = QDateTime::fromMSecsSinceEpoch(1700000000123, Qt::UTC);
            QVERIFY(store.addIncoming(QStringLiteral("bob@example.org"), QStringLiteral("laptop"), QStringLiteral("t1"),
                                      QStringLiteral("hi Alice"), QStringLiteral("id-2"), stamp));
            QVERIFY(store.addIncoming(QStringLiteral("carol@example.org"), QStringLiteral("x"), QStringLiteral("t9"),
                                      QStringLiteral("other contact"), QStringLiteral("id-3"), stamp));
            QVERIFY(store.addOutgoing(QStringLiteral("dave@example.org"), QStringLiteral("t4"), QStringLiteral("sealed"),
                                      QStringLiteral("id-4"), true));
            QVERIFY(store.addIncoming(QStringLiteral("dave@example.org"), QStringLiteral("r"), QStringLiteral("t4"),
                                      QStringLiteral("sealed too"), QStringLiteral("id-5"), stamp, true));
        }
        // Reopened from disk.
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        const QList<StoredMessage> history = store.history(QStringLiteral("bob@example.org"));
        QCOMPARE(history.size(), 2);
        QCOMPARE(history[0].body, QStringLiteral("hello Bob, ünïcödé ✓"));
        QCOMPARE(history[0].direction, MessageDirection::Outgoing);
        QCOMPARE(history[0].state, MessageState::Queued);
        QCOMPARE(history[0].thread, QStringLiteral("t1"));
        QCOMPARE(history[0].stanzaId, QStringLiteral("id-1"));
        QCOMPARE(history[1].body, QStringLiteral("hi Alice"));
        QCOMPARE(history[1].resource, QStringLiteral("laptop"));
        QCOMPARE(history[1].timestamp.toMSecsSinceEpoch(), 1700000000123);
        QCOMPARE(history[1].direction, MessageDirection::Incoming);
        QCOMPARE(store.unreadCount(QStringLiteral("bob@example.org")), 1);
        store.markRead(QStringLiteral("bob@example.org"));
        QCOMPARE(store.unreadCount(QStringLiteral("bob@example.org")), 0);
        QCOMPARE(store.unreadCount(QStringLiteral("carol@example.org")), 1);
        QCOMPARE(store.peers(), (QStringList{QStringLiteral("dave@example.org"), QStringLiteral("carol@example.org"),
                                             QStringLiteral("bob@example.org")}));
        QVERIFY(!history[0].encrypted);
        QVERIFY(!history[1].encrypted);
        const auto sealed = store.history(QStringLiteral("dave@example.org"));
        QCOMPARE(sealed.size(), 2);
        QVERIFY(sealed[0].encrypted);
        QVERIFY(sealed[1].encrypted);
    }

    void historyPaging()
    {
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        for (int i = 0; i < 25; ++i)
            store.addOutgoing(QStringLiteral("bob@example.org"), QStringLiteral("t"), QString::number(i), QString());
        const auto last10 = store.history(QStringLiteral("bob@example.org"), 10);
        QCOMPARE(last10.size(), 10);
        QCOMPARE(last10.first().body, QStringLiteral("15"));
        QCOMPARE(last10.last().body, QStringLiteral("24"));
        const auto before = store.history(QStringLiteral("bob@example.org"), 10, last10.first().id);
        QCOMPARE(before.first().body, QStringLiteral("5"));
        QCOMPARE(before.last().body, QStringLiteral("14"));
    }

    void duplicateIncomingStoredOnce()
    {
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        const auto now = QDateTime::currentDateTimeUtc();
        QVERIFY(store.addIncoming(QStringLiteral("bob@example.org"), QStringLiteral("r"), QStringLiteral("t"),
                                  QStringLiteral("once"), QStringLiteral("same-id"), now));
        QVERIFY(!store.addIncoming(QStringLiteral("bob@example.org"), QStringLiteral("r"), QStringLiteral("t"),
                                   QStringLiteral("once"), QStringLiteral("same-id"), now));
        // The same id from another contact is another message; messages without an id are never merged.
        QVERIFY(store.addIncoming(QStringLiteral("carol@example.org"), QStringLiteral("r"), QStringLiteral("t"),
                                  QStringLiteral("x"), QStringLiteral("same-id"), now));
        QVERIFY(store.addIncoming(QStringLiteral("bob@example.org"), QStringLiteral("r"), QStringLiteral("t"),
                                  QStringLiteral("no id"), QString(), now));
        QVERIFY(store.addIncoming(QStringLiteral("bob@example.org"), QStringLiteral("r"), QStringLiteral("t"),
                                  QStringLiteral("no id"), QString(), now));
        QCOMPARE(store.history(QStringLiteral("bob@example.org")).size(), 3);
    }

    void undecryptablePlaceholderReplacedByEncryptedCopyOnly()
    {
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        QSignalSpy replaced(&store, &MessageStore::messageReplaced);
        const QString bob = QStringLiteral("bob@example.org");
        const auto now = QDateTime::currentDateTimeUtc();
        const auto placeholder = store.addIncoming(bob, QStringLiteral("r"), QStringLiteral("t"),
                                                   QStringLiteral("could not decrypt"), QStringLiteral("m4"), now,
                                                   true, MessageState::Undecryptable);
        QVERIFY(placeholder);
        // Another undecryptable copy, or a plaintext message with the same id, leaves it alone.
        QVERIFY(!store.addIncoming(bob, QStringLiteral("r"), QStringLiteral("t"), QStringLiteral("again"),
                                   QStringLiteral("m4"), now, true, MessageState::Undecryptable));
        QVERIFY(!store.addIncoming(bob, QStringLiteral("r"), QStringLiteral("t"), QStringLiteral("plain forgery"),
                                   QStringLiteral("m4"), now, false, MessageState::Received));
        QCOMPARE(replaced.count(), 0);
        QCOMPARE(store.message(placeholder->id)->state, MessageState::Undecryptable);
        // The copy that opened in a new session takes its place: same row, readable body.
        const auto opened = store.addIncoming(bob, QStringLiteral("r2"), QStringLiteral("t"),
                                              QStringLiteral("the real text"), QStringLiteral("m4"), now, true,
                                              MessageState::Received);
        QVERIFY(opened);
        QCOMPARE(opened->id, placeholder->id);
        QCOMPARE(replaced.count(), 1);
        const auto row = store.message(placeholder->id);
        QCOMPARE(row->state, MessageState::Received);
        QCOMPARE(row->body, QStringLiteral("the real text"));
        QCOMPARE(store.history(bob).size(), 1);
        // Once readable, a further copy is a plain duplicate.
        QVERIFY(!store.addIncoming(bob, QStringLiteral("r"), QStringLiteral("t"), QStringLiteral("the real text"),
                                   QStringLiteral("m4"), now, true, MessageState::Received));
    }

    void sessionPolicyPerContactSurvivesReopen()
    {
        {
            Database db(m_path);
            QVERIFY(db.open());
            ContactSettings settings(&db);
            QSignalSpy changed(&settings, &ContactSettings::sessionPolicyChanged);
            QCOMPARE(settings.sessionPolicy(QStringLiteral("bob@example.org")), SessionPolicy::Ask);
            QVERIFY(settings.setSessionPolicy(QStringLiteral("bob@example.org"), SessionPolicy::Always));
            QVERIFY(settings.setSessionPolicy(QStringLiteral("carol@example.org"), SessionPolicy::Off));
            QVERIFY(settings.setSessionPolicy(QStringLiteral("carol@example.org"), SessionPolicy::Ask));
            QCOMPARE(changed.count(), 3);
            // A value from a newer version is read the cautious way.
            QSqlQuery q(db.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO contact_settings VALUES ('dave@example.org', 7)")));
        }
        Database db(m_path);
        QVERIFY(db.open());
        ContactSettings settings(&db);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("bob@example.org")), SessionPolicy::Always);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("carol@example.org")), SessionPolicy::Ask);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("dave@example.org")), SessionPolicy::Always);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("erin@example.org")), SessionPolicy::Ask);
    }

    void outboxRowsInWriteOrder()
    {
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        QList<qint64> ids;
        for (int i = 0; i < 5; ++i) {
            // Interleave contacts: the outbox keeps the global order in which the user wrote.
            const QString peer = i % 2 ? QStringLiteral("carol@example.org") : QStringLiteral("bob@example.org");
            ids << store.addOutgoing(peer, QStringLiteral("t"), QString::number(i), QStringLiteral("o%1").arg(i))->id;
        }
        QVERIFY(store.setState(ids[1], MessageState::Sent));
        QVERIFY(store.setState(ids[3], MessageState::Sending));
        QList<qint64> pending;
        for (const StoredMessage &m : store.pendingOutgoing())
            pending << m.id;
        QCOMPARE(pending, (QList<qint64>{ids[0], ids[2], ids[3], ids[4]}));
        store.requeueInFlight();
        QCOMPARE(store.message(ids[3])->state, MessageState::Queued);
        QCOMPARE(store.message(ids[1])->state, MessageState::Sent);
    }

    void migrationFromVersion1KeepsHistory()
    {
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(1));
            QCOMPARE(old.schemaVersion(), 1);
            QSqlQuery q(old.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO messages (peer, direction, body, timestamp) VALUES "
                                          "('bob@example.org', 1, 'old outgoing', 1000),"
                                          "('bob@example.org', 0, 'old incoming', 2000)")));
            // A version-1 database has no thread column yet.
            QVERIFY(!q.exec(QStringLiteral("SELECT thread FROM messages")));
        }
        Database db(m_path);
        QString error;
        QVERIFY2(db.open(&error), qPrintable(error));
        QCOMPARE(db.schemaVersion(), Database::CurrentVersion);
        MessageStore store(&db);
        const auto history = store.history(QStringLiteral("bob@example.org"));
        QCOMPARE(history.size(), 2);
        QCOMPARE(history[0].body, QStringLiteral("old outgoing"));
        // Old outgoing rows were delivered: the upgrade must not put them into the outbox.
        QCOMPARE(history[0].state, MessageState::Sent);
        QCOMPARE(history[1].state, MessageState::Received);
        QVERIFY(store.pendingOutgoing().isEmpty());
        QVERIFY(!history[0].encrypted);
        QCOMPARE(store.unreadCount(QStringLiteral("bob@example.org")), 0);
        // And the new schema works on the upgraded file.
        QVERIFY(store.addOutgoing(QStringLiteral("bob@example.org"), QStringLiteral("t"), QStringLiteral("new"),
                                  QStringLiteral("n1")));
        QCOMPARE(store.pendingOutgoing().size(), 1);
    }

    void failedMigrationRollsBack()
    {
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(1));
            QSqlQuery q(old.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO messages (peer, direction, body, timestamp) VALUES "
                                          "('bob@example.org', 1, 'keep me', 1000)")));
            // Sabotage step 2: an index of that name already exists, so its CREATE INDEX fails midway.
            QVERIFY(q.exec(QStringLiteral("CREATE INDEX messages_outbox ON messages (id)")));
        }
        {
            Database db(m_path);
            QString error;
            QVERIFY(!db.open(&error));
            QVERIFY(error.contains(QStringLiteral("schema 2")));
            // Nothing of step 2 stayed: still version 1, no new column, the old row readable.
            QCOMPARE(db.schemaVersion(), 1);
            QSqlQuery q(db.connection());
            QVERIFY(!q.exec(QStringLiteral("SELECT thread FROM messages")));
            QVERIFY(q.exec(QStringLiteral("SELECT body FROM messages")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("keep me"));
        }
    }

    void newerSchemaRefused()
    {
        {
            Database db(m_path);
            QVERIFY(db.open());
            QSqlQuery q(db.connection());
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = %1").arg(Database::CurrentVersion + 1)));
        }
        Database db(m_path);
        QString error;
        QVERIFY(!db.open(&error));
        QVERIFY(error.contains(QStringLiteral("newer")));
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    int m_counter = 0;
};

QTEST_GUILESS_MAIN(TestMessageStore)
#include "tst_messagestore.moc"
