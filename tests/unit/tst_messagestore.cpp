// History round trip, deduplication, outbox rows, per-contact settings and the upgrade from an older schema; bodies sealed at
// rest: the run key, the master key, legacy plaintext rows sealed in one transaction, rows that do not open.
#include <QProcess>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

#include "crypto/Crypto.h"
#include "crypto/Aead.h"
#include "storage/ContactSettings.h"
#include "storage/ConversationStateStore.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"

namespace {

// Stands for the vault's key: the same in every "run" of a test.
const QByteArray TestMasterKey = QByteArray::fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

// The next run of the program is another process: this test binary again, told by the environment to open
// the database, optionally give the master key, list the outbox, and print every message.
struct NextRunRow
{
    qint64 id = 0;
    bool unreadable = false;
    QString body;
    int pending = 0; ///< how many messages the outbox listed (the same on every row)
};

const char *const NextRunDatabase = "SOTTO_TST_NEXT_RUN_DB";
const char *const NextRunWithKey = "SOTTO_TST_NEXT_RUN_WITH_KEY";

QList<NextRunRow> nextRun(const QString &path, bool withMasterKey)
{
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(NextRunDatabase), path);
    env.insert(QString::fromLatin1(NextRunWithKey), withMasterKey ? QStringLiteral("1") : QStringLiteral("0"));
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(), {});
    QList<NextRunRow> rows;
    if (!child.waitForFinished(30000) || child.exitCode() != 0) {
        qWarning() << "the next run failed:" << child.readAllStandardError();
        return rows;
    }
    for (const QByteArray &line : child.readAllStandardOutput().split('\n')) {
        const QList<QByteArray> fields = line.split('\t');
        if (fields.size() == 4)
            rows << NextRunRow{fields[0].toLongLong(), fields[1] == "1", QString::fromUtf8(QByteArray::fromHex(fields[2])),
                               fields[3].toInt()};
    }
    return rows;
}

int runAsNextRun(const QString &path, bool withMasterKey)
{
    Database db(path);
    if (!db.open())
        return 2;
    MessageStore store(&db);
    if (withMasterKey && !store.setMasterKey(TestMasterKey))
        return 3;
    const int pending = int(store.pendingOutgoing().size());
    QSqlQuery q(db.connection());
    if (!q.exec(QStringLiteral("SELECT id FROM messages ORDER BY id")))
        return 4;
    while (q.next()) {
        const auto m = store.message(q.value(0).toLongLong());
        std::printf("%lld\t%d\t%s\t%d\n", static_cast<long long>(m->id), m->unreadable ? 1 : 0,
                    m->body.toUtf8().toHex().constData(), pending);
    }
    return 0;
}

QVariant column(Database &db, const QString &expression, qint64 id)
{
    QSqlQuery q(db.connection());
    q.prepare(QStringLiteral("SELECT %1 FROM messages WHERE id = ?").arg(expression));
    q.addBindValue(id);
    return q.exec() && q.next() ? q.value(0) : QVariant();
}

} // namespace

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
            QVERIFY(store.setMasterKey(TestMasterKey));
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
        QVERIFY(store.setMasterKey(TestMasterKey));
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
        QVERIFY(!history[0].unreadable);
        QVERIFY(!history[1].unreadable);
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
            QVERIFY(q.exec(QStringLiteral("INSERT INTO contact_settings (peer, esession_policy) VALUES ('dave@example.org', 7)")));
        }
        Database db(m_path);
        QVERIFY(db.open());
        ContactSettings settings(&db);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("bob@example.org")), SessionPolicy::Always);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("carol@example.org")), SessionPolicy::Ask);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("dave@example.org")), SessionPolicy::Always);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("erin@example.org")), SessionPolicy::Ask);
    }

    // Compatibility with other ESession clients (sas28x5): off unless set, per contact, independent of the
    // policy in both directions, kept across reopening.
    void weakSasCompatibilityPerContact_data()
    {
        QTest::addColumn<bool>("policyFirst"); // a row for the contact exists before the switch is set
        QTest::addColumn<bool>("allowed");
        QTest::newRow("new row, on") << false << true;
        QTest::newRow("new row, off") << false << false;
        QTest::newRow("existing row, on") << true << true;
        QTest::newRow("existing row, off") << true << false;
    }

    void weakSasCompatibilityPerContact()
    {
        QFETCH(bool, policyFirst);
        QFETCH(bool, allowed);
        const QString bob = QStringLiteral("bob@example.org");
        const QString carol = QStringLiteral("carol@example.org");
        {
            Database db(m_path);
            QVERIFY(db.open());
            ContactSettings settings(&db);
            QVERIFY(!settings.weakSasAllowed(bob));
            if (policyFirst) {
                QVERIFY(settings.setSessionPolicy(bob, SessionPolicy::Always));
                QVERIFY(!settings.weakSasAllowed(bob)); // a policy alone does not switch it on
            }
            QSignalSpy changed(&settings, &ContactSettings::weakSasAllowedChanged);
            QVERIFY(settings.setWeakSasAllowed(bob, !allowed));
            QCOMPARE(settings.weakSasAllowed(bob), !allowed);
            QVERIFY(settings.setWeakSasAllowed(bob, allowed));
            QCOMPARE(settings.weakSasAllowed(bob), allowed);
            QCOMPARE(changed.count(), 2);
            QCOMPARE(changed.last().at(0).toString(), bob);
            QCOMPARE(changed.last().at(1).toBool(), allowed);
            // Per contact: nobody else's switch moved.
            QVERIFY(!settings.weakSasAllowed(carol));
            // The switch leaves the policy as it was (the default for a row it created).
            QCOMPARE(settings.sessionPolicy(bob), policyFirst ? SessionPolicy::Always : ContactSettings::DefaultPolicy);
            // ... and a policy set later leaves the switch.
            QVERIFY(settings.setSessionPolicy(bob, SessionPolicy::Off));
            QCOMPARE(settings.weakSasAllowed(bob), allowed);
            // A value from a newer version is read the cautious way.
            QSqlQuery q(db.connection());
            QVERIFY(q.exec(QStringLiteral(
                "INSERT INTO contact_settings (peer, esession_policy, allow_sas28x5) VALUES ('dave@example.org', 1, 7)")));
        }
        Database db(m_path);
        QVERIFY(db.open());
        ContactSettings settings(&db);
        QCOMPARE(settings.weakSasAllowed(bob), allowed);
        QCOMPARE(settings.sessionPolicy(bob), SessionPolicy::Off);
        QVERIFY(!settings.weakSasAllowed(carol));
        QVERIFY(!settings.weakSasAllowed(QStringLiteral("dave@example.org")));
    }

    // Schema 7 adds the switch to contact_settings: the policies of an older file stay, every contact starts
    // with compatibility off, and the switch works on the upgraded file.
    void migrationToVersion7KeepsContactSettings()
    {
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(6));
            QCOMPARE(old.schemaVersion(), 6);
            QSqlQuery q(old.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO contact_settings (peer, esession_policy) VALUES "
                                          "('bob@example.org', 2), ('carol@example.org', 0)")));
            QVERIFY(!q.exec(QStringLiteral("SELECT allow_sas28x5 FROM contact_settings")));
        }
        Database db(m_path);
        QString error;
        QVERIFY2(db.open(&error), qPrintable(error));
        QCOMPARE(db.schemaVersion(), Database::CurrentVersion);
        ContactSettings settings(&db);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("bob@example.org")), SessionPolicy::Always);
        QCOMPARE(settings.sessionPolicy(QStringLiteral("carol@example.org")), SessionPolicy::Off);
        QVERIFY(!settings.weakSasAllowed(QStringLiteral("bob@example.org")));
        QVERIFY(!settings.weakSasAllowed(QStringLiteral("carol@example.org")));
        QVERIFY(settings.setWeakSasAllowed(QStringLiteral("carol@example.org"), true));
        QVERIFY(settings.weakSasAllowed(QStringLiteral("carol@example.org")));
        QCOMPARE(settings.sessionPolicy(QStringLiteral("carol@example.org")), SessionPolicy::Off);
    }

    // Security review F6: the store files every message under the contact's bare JID as XMPP compares it
    // (Esession::normalizedBareJid(): local part and domain without case), whatever spelling it is given; every
    // lookup by contact finds it under any spelling.
    void peerIsTheJidAsXmppComparesIt_data()
    {
        QTest::addColumn<QString>("written");
        QTest::addColumn<QString>("asked");
        QTest::newRow("written with capitals") << QStringLiteral("Bob@Example.ORG")
                                               << QStringLiteral("bob@example.org");
        QTest::newRow("asked with capitals") << QStringLiteral("bob@example.org") << QStringLiteral("BOB@example.org");
        QTest::newRow("two other spellings") << QStringLiteral("bOb@example.Org") << QStringLiteral("Bob@Example.org");
        QTest::newRow("beyond ASCII") << QStringLiteral("ÉLODIE@Ünï.example")
                                      << QStringLiteral("élodie@ünï.EXAMPLE");
    }

    void peerIsTheJidAsXmppComparesIt()
    {
        QFETCH(QString, written);
        QFETCH(QString, asked);
        const QString key = written.toLower();
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        QVERIFY(store.setMasterKey(TestMasterKey));
        QSignalSpy unread(&store, &MessageStore::unreadChanged);
        const auto now = QDateTime::currentDateTimeUtc();

        const auto first
            = store.addOutgoing(written, QStringLiteral("t1"), QStringLiteral("one"), QStringLiteral("o1"), true);
        QVERIFY(first);
        QCOMPARE(first->peer, key);
        const auto second
            = store.addOutgoing(asked, QStringLiteral("t1"), QStringLiteral("two"), QStringLiteral("o2"), true);
        QVERIFY(second);
        const auto plain
            = store.addOutgoing(written, QStringLiteral("t0"), QStringLiteral("plain"), QStringLiteral("o3"));
        QVERIFY(plain);
        const auto incoming = store.addIncoming(written, QStringLiteral("Laptop"), QStringLiteral("t1"),
                                                QStringLiteral("reply"), QStringLiteral("i1"), now);
        QVERIFY(incoming);
        QCOMPARE(incoming->peer, key);
        QCOMPARE(incoming->resource, QStringLiteral("Laptop")); // the resource stays as it came
        QCOMPARE(unread.last().at(0).toString(), key);
        // The same incoming message under the other spelling is a duplicate.
        QVERIFY(!store.addIncoming(asked, QStringLiteral("Laptop"), QStringLiteral("t1"), QStringLiteral("reply"),
                                   QStringLiteral("i1"), now));

        // One conversation, readable (the bodies are bound to the JID they are filed under).
        QCOMPARE(store.peers(), QStringList{key});
        const QList<StoredMessage> history = store.history(asked);
        QCOMPARE(history.size(), 4);
        QCOMPARE(history[0].body, QStringLiteral("one"));
        QCOMPARE(history[3].body, QStringLiteral("reply"));
        for (const StoredMessage &m : history) {
            QCOMPARE(m.peer, key);
            QVERIFY(!m.unreadable);
        }
        QCOMPARE(store.unreadCount(asked), 1);
        store.markRead(asked);
        QCOMPARE(store.unreadCount(written), 0);

        // The outbox bookkeeping of encrypted sessions.
        QCOMPARE(store.waitingEncryptedCount(asked), 2);
        QCOMPARE(store.peersWithWaitingEncrypted(), QStringList{key});
        QCOMPARE(store.moveWaitingEncrypted(asked, QStringLiteral("t2")), 2);
        QCOMPARE(store.message(first->id)->thread, QStringLiteral("t2"));
        QVERIFY(store.setState(first->id, MessageState::Sent));
        QVERIFY(store.setState(second->id, MessageState::Sent));
        QVERIFY(store.markDelivered(asked, QStringLiteral("o2")));
        QCOMPARE(store.message(second->id)->state, MessageState::Delivered);
        QCOMPARE(store.requeueUndelivered(asked, QStringLiteral("t2")), 1);
        QCOMPARE(store.message(first->id)->state, MessageState::Queued);
        QCOMPARE(store.holdQueuedPlain(asked), 1);
        QVERIFY(store.message(plain->id)->encrypted);
        QCOMPARE(store.waitingEncryptedCount(written), 2);
        QCOMPARE(store.releaseWaitingEncrypted(asked, QStringLiteral("t3")), 2);
        QCOMPARE(store.waitingEncryptedCount(written), 0);
        QVERIFY(store.peersWithWaitingEncrypted().isEmpty());
        QCOMPARE(store.message(plain->id)->thread, QStringLiteral("t3"));
    }

    // Per-contact settings are the contact's under any spelling too.
    void contactSettingsIgnoreTheJidsCase()
    {
        Database db(m_path);
        QVERIFY(db.open());
        ContactSettings settings(&db);
        QSignalSpy changed(&settings, &ContactSettings::sessionPolicyChanged);
        QVERIFY(settings.setSessionPolicy(QStringLiteral("Bob@Example.org"), SessionPolicy::Always));
        QCOMPARE(changed.last().at(0).toString(), QStringLiteral("bob@example.org"));
        QCOMPARE(settings.sessionPolicy(QStringLiteral("bob@EXAMPLE.org")), SessionPolicy::Always);
        QVERIFY(settings.setWeakSasAllowed(QStringLiteral("BOB@example.org"), true));
        QVERIFY(settings.weakSasAllowed(QStringLiteral("bob@example.org")));
        QVERIFY(settings.setSessionPolicy(QStringLiteral("bob@example.org"), SessionPolicy::Off));
        QCOMPARE(settings.sessionPolicy(QStringLiteral("Bob@Example.org")), SessionPolicy::Off);
        QVERIFY(settings.weakSasAllowed(QStringLiteral("Bob@Example.org")));
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*), MIN(peer) FROM contact_settings")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        QCOMPARE(q.value(1).toString(), QStringLiteral("bob@example.org"));
    }

    // Schema 9 files what earlier versions stored under the JID as received under the JID as XMPP compares it:
    // the history of every spelling becomes one conversation (bodies sealed under the old spelling still open,
    // and only under it), the security states and the settings of the spellings merge the cautious way.
    void migrationToVersion9OneSpellingPerContact()
    {
        const auto seal = [](qint64 id, const QString &peer, const QString &body) {
            return *Crypto::sealRecord(TestMasterKey, "messages.body:" + QByteArray::number(id) + ':' + peer.toUtf8(),
                                       body.toUtf8());
        };
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(8));
            QSqlQuery q(old.connection());
            // id, peer, direction, state, stanza id, encrypted, body (sealed under the master key, bound to peer)
            const struct
            {
                qint64 id;
                const char *peer;
                int direction;
                MessageState state;
                const char *stanzaId;
                int encrypted;
                const char *body;
            } rows[] = {
                {1, "bob@example.org", 1, MessageState::Sent, "o1", 0, "to bob"},
                {2, "Bob@Example.org", 0, MessageState::Received, "i1", 0, "from Bob"},
                {3, "Bob@Example.org", 1, MessageState::Queued, "o2", 1, "waits for encryption"},
                // The same incoming message stored twice, once under each spelling (what this change fixes).
                {4, "bob@example.org", 0, MessageState::Received, "i2", 1, "twice, lower"},
                {5, "BOB@example.org", 0, MessageState::Received, "i2", 1, "twice, upper"},
                {6, "Carol@Example.org", 0, MessageState::Received, "i3", 0, "from Carol"},
                {7, "Élodie@Example.org", 0, MessageState::Received, "i4", 0, "from Élodie"},
                // Will claim to be another contact's row after the upgrade.
                {8, "Dave@Example.org", 0, MessageState::Received, "i5", 0, "from Dave"},
            };
            for (const auto &row : rows) {
                q.prepare(QStringLiteral("INSERT INTO messages (id, peer, resource, thread, direction, body, timestamp,"
                                         " state, stanza_id, is_read, encrypted, body_sealed, body_key)"
                                         " VALUES (?, ?, 'r', 't', ?, '', ?, ?, ?, 1, ?, ?, 0)"));
                q.addBindValue(row.id);
                q.addBindValue(QString::fromUtf8(row.peer));
                q.addBindValue(row.direction);
                q.addBindValue(1000 + row.id);
                q.addBindValue(int(row.state));
                q.addBindValue(QString::fromLatin1(row.stanzaId));
                q.addBindValue(row.encrypted);
                q.addBindValue(seal(row.id, QString::fromUtf8(row.peer), QString::fromUtf8(row.body)));
                QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
            }
            // A legacy plaintext row (schema < 6, never sealed).
            QVERIFY(q.exec(QStringLiteral("INSERT INTO messages (id, peer, direction, body, timestamp, state)"
                                          " VALUES (9, 'BOB@EXAMPLE.ORG', 0, 'legacy', 1009, 3)")));
            QVERIFY(q.exec(QStringLiteral(
                "INSERT INTO conversation_security (peer, encrypt, thread, failure) VALUES"
                " ('bob@example.org', 0, 'plain-thread', ''),"
                " ('Bob@Example.org', 1, 'session-thread', 'codes-differ'),"
                " ('Carol@Example.org', 1, 'carol-thread', ''),"
                " ('carol@example.org', 0, '', '')")));
            QVERIFY(q.exec(QStringLiteral(
                "INSERT INTO contact_settings (peer, esession_policy, allow_sas28x5) VALUES"
                " ('bob@example.org', 0, 1), ('Bob@Example.org', 2, 1),"
                " ('Carol@Example.org', 1, 1), ('carol@example.org', 0, 0),"
                " ('Élodie@Example.org', 0, 1)")));
        }
        {
            Database db(m_path);
            QString error;
            QVERIFY2(db.open(&error), qPrintable(error));
            QCOMPARE(db.schemaVersion(), Database::CurrentVersion);
            QSqlQuery q(db.connection());
            QVERIFY(q.exec(QStringLiteral("SELECT DISTINCT peer FROM messages ORDER BY peer")));
            QStringList stored;
            while (q.next())
                stored << q.value(0).toString();
            QCOMPARE(stored, (QStringList{QStringLiteral("bob@example.org"), QStringLiteral("carol@example.org"),
                                          QStringLiteral("dave@example.org"), QStringLiteral("élodie@example.org")}));
            QVERIFY(q.exec(QStringLiteral("UPDATE messages SET peer = 'mallory@example.org' WHERE id = 8")));
            q.finish();

            MessageStore store(&db);
            QVERIFY(store.setMasterKey(TestMasterKey));
            QCOMPARE(store.peers().size(), 4);
            const QList<StoredMessage> bob = store.history(QStringLiteral("Bob@Example.org"));
            QStringList bodies;
            for (const StoredMessage &m : bob) {
                QVERIFY2(!m.unreadable, qPrintable(QString::number(m.id)));
                QCOMPARE(m.peer, QStringLiteral("bob@example.org"));
                bodies << m.body;
            }
            // Both copies of the duplicate stay (the user saw both); the history keeps its order.
            QCOMPARE(bodies, (QStringList{QStringLiteral("to bob"), QStringLiteral("from Bob"),
                                          QStringLiteral("waits for encryption"), QStringLiteral("twice, lower"),
                                          QStringLiteral("twice, upper"), QStringLiteral("legacy")}));
            QCOMPARE(store.history(QStringLiteral("carol@example.org")).first().body, QStringLiteral("from Carol"));
            QCOMPARE(store.history(QStringLiteral("ÉLODIE@example.org")).first().body, QStringLiteral("from Élodie"));
            // A row moved to another contact does not open there: the old spelling only binds its own contact.
            QVERIFY(store.message(8)->unreadable);
            // The waiting message is found under any spelling.
            QCOMPARE(store.waitingEncryptedCount(QStringLiteral("bob@example.org")), 1);
            QCOMPARE(store.peersWithWaitingEncrypted(), QStringList{QStringLiteral("bob@example.org")});
            // A further copy of the duplicated message is a duplicate.
            QVERIFY(!store.addIncoming(QStringLiteral("Bob@example.org"), QStringLiteral("r"), QStringLiteral("t"),
                                       QStringLiteral("again"), QStringLiteral("i2"), QDateTime::currentDateTimeUtc(),
                                       true));

            // The security states: whatever one spelling wanted (encryption, a failure waiting for Retry) holds.
            ConversationStateStore states(&db);
            const auto bobState = states.load(QStringLiteral("bob@example.org"));
            QVERIFY(bobState);
            QVERIFY(bobState->encrypt);
            QCOMPARE(bobState->failure, QStringLiteral("codes-differ"));
            QCOMPARE(bobState->thread, QStringLiteral("session-thread"));
            const auto carolState = states.load(QStringLiteral("CAROL@example.org"));
            QVERIFY(carolState->encrypt);
            QCOMPARE(carolState->thread, QStringLiteral("carol-thread"));
            QVERIFY(q.exec(QStringLiteral("SELECT peer FROM conversation_security ORDER BY peer")));
            QStringList statePeers;
            while (q.next())
                statePeers << q.value(0).toString();
            QCOMPARE(statePeers, (QStringList{QStringLiteral("bob@example.org"), QStringLiteral("carol@example.org")}));
            q.finish();

            // The settings: the stricter policy, the weaker code only where every spelling allowed it.
            ContactSettings settings(&db);
            QCOMPARE(settings.sessionPolicy(QStringLiteral("bob@example.org")), SessionPolicy::Always);
            QVERIFY(settings.weakSasAllowed(QStringLiteral("bob@example.org")));
            QCOMPARE(settings.sessionPolicy(QStringLiteral("carol@example.org")), SessionPolicy::Ask);
            QVERIFY(!settings.weakSasAllowed(QStringLiteral("carol@example.org")));
            QCOMPARE(settings.sessionPolicy(QStringLiteral("élodie@example.org")), SessionPolicy::Off);
            QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM contact_settings")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 3);
        }
        // A body written again after the upgrade (the legacy row, sealed now) is bound to the new spelling.
        const auto rows = nextRun(m_path, true);
        QCOMPARE(rows.size(), 9);
        for (const NextRunRow &row : rows)
            QCOMPARE(row.unreadable, row.id == 8);
    }

    // Schema 9 merges in code, inside the step's transaction: when that fails, nothing of the step stays.
    void failedMigrationToVersion9RollsBack()
    {
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(8));
            QSqlQuery q(old.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO messages (peer, direction, body, timestamp) VALUES "
                                          "('Bob@Example.org', 1, 'keep me', 1000)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO contact_settings (peer, esession_policy) VALUES "
                                          "('Bob@Example.org', 2)")));
            // Sabotage the last merge: writing the merged settings fails.
            QVERIFY(q.exec(QStringLiteral("CREATE TRIGGER fail_merge BEFORE INSERT ON contact_settings"
                                          " BEGIN SELECT RAISE(ABORT, 'injected failure'); END")));
        }
        {
            Database db(m_path);
            QString error;
            QVERIFY(!db.open(&error));
            QVERIFY2(error.contains(QStringLiteral("schema 9")), qPrintable(error));
            QCOMPARE(db.schemaVersion(), 8);
            QSqlQuery q(db.connection());
            QVERIFY(!q.exec(QStringLiteral("SELECT sealed_peer FROM messages")));
            QVERIFY(q.exec(QStringLiteral("SELECT peer FROM messages UNION ALL SELECT peer FROM contact_settings")));
            QStringList peers;
            while (q.next())
                peers << q.value(0).toString();
            QCOMPARE(peers, (QStringList{QStringLiteral("Bob@Example.org"), QStringLiteral("Bob@Example.org")}));
            QVERIFY(q.exec(QStringLiteral("DROP TRIGGER fail_merge")));
        }
        Database db(m_path);
        QString error;
        QVERIFY2(db.open(&error), qPrintable(error));
        QCOMPARE(db.schemaVersion(), Database::CurrentVersion);
        MessageStore store(&db);
        QCOMPARE(store.history(QStringLiteral("bob@example.org")).first().body, QStringLiteral("keep me"));
        QCOMPARE(ContactSettings(&db).sessionPolicy(QStringLiteral("bob@example.org")), SessionPolicy::Always);
    }

    // A message already handed to an older session (Sending, or Sent and unconfirmed) stays with that session's
    // thread when a newer one comes up: if the older session then ends without the contact confirming it, it is
    // re-queued there and moves on from there; moved early it would sit "sent" in the new thread and never go again.
    void inFlightMessageStaysWithItsSession()
    {
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        QVERIFY(store.setMasterKey(TestMasterKey));
        const QString bob = QStringLiteral("bob@example.org");
        const auto inFlight = store.addOutgoing(bob, QStringLiteral("old"), QStringLiteral("in flight"),
                                                QStringLiteral("f1"), true);
        const auto waiting = store.addOutgoing(bob, QStringLiteral("old"), QStringLiteral("waiting"),
                                               QStringLiteral("f2"), true);
        QVERIFY(inFlight && waiting);
        QVERIFY(store.setState(inFlight->id, MessageState::Sending));

        // A newer session is up: only what waits moves into it.
        QCOMPARE(store.moveWaitingEncrypted(bob, QStringLiteral("new")), 1);
        QCOMPARE(store.message(waiting->id)->thread, QStringLiteral("new"));
        QCOMPARE(store.message(inFlight->id)->thread, QStringLiteral("old"));

        // The older session ends before the contact confirmed it: back in the queue, then into the newer session.
        QVERIFY(store.setState(inFlight->id, MessageState::Sent));
        QCOMPARE(store.requeueUndelivered(bob, QStringLiteral("old")), 1);
        QCOMPARE(store.moveWaitingEncrypted(bob, QStringLiteral("new")), 2); // both wait in the newer session now
        QCOMPARE(store.message(inFlight->id)->thread, QStringLiteral("new"));
        QCOMPARE(store.message(inFlight->id)->state, MessageState::Queued);
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

    // Before the vault opens, bodies live under a key of this run of the program: readable by every store
    // in it (logging out and in again), never in the next run, which is a new process here.
    void runKeyHistoryIsForThisRunOnly()
    {
        const QString bob = QStringLiteral("bob@example.org");
        qint64 id = 0;
        {
            Database db(m_path);
            QVERIFY(db.open());
            MessageStore store(&db);
            QVERIFY(!store.hasMasterKey());
            id = store.addOutgoing(bob, QStringLiteral("t"), QStringLiteral("while locked"), QStringLiteral("s1"))->id;
            QCOMPARE(store.message(id)->body, QStringLiteral("while locked"));
            QVERIFY(!store.message(id)->unreadable);
            QCOMPARE(store.pendingOutgoing().size(), 1);
            // Nothing readable on disk: the body column is blank, the sealed copy names this run's key.
            QCOMPARE(column(db, QStringLiteral("body"), id).toString(), QString());
            QVERIFY(column(db, QStringLiteral("body_key"), id).toLongLong() != 0);
        }
        {
            // The same run, the account opened again.
            Database db(m_path);
            QVERIFY(db.open());
            MessageStore again(&db);
            QCOMPARE(again.message(id)->body, QStringLiteral("while locked"));
        }
        // The next run, with the vault open: another run's key is gone, the master key does not replace it.
        const auto rows = nextRun(m_path, true);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().id, id);
        QVERIFY(rows.first().unreadable);
        QVERIFY(rows.first().body.isEmpty());
        // Its outbox listed nothing and marked the message that can never be sent as failed.
        QCOMPARE(rows.first().pending, 0);
        Database db(m_path);
        QVERIFY(db.open());
        QCOMPARE(column(db, QStringLiteral("state"), id).toInt(), int(MessageState::Failed));
    }

    void masterKeyTakesOverThisRunsRows()
    {
        const QString bob = QStringLiteral("bob@example.org");
        QList<qint64> ids;
        {
            Database db(m_path);
            QVERIFY(db.open());
            MessageStore store(&db);
            QSignalSpy keyChanged(&store, &MessageStore::masterKeyChanged);
            ids << store.addOutgoing(bob, QStringLiteral("t"), QStringLiteral("before unlock"), QStringLiteral("a"))->id;
            ids << store.addIncoming(bob, QStringLiteral("r"), QStringLiteral("t"), QStringLiteral("reply before"),
                                     QStringLiteral("b"), QDateTime::currentDateTimeUtc())->id;
            QVERIFY(store.setMasterKey(TestMasterKey));
            QCOMPARE(keyChanged.count(), 1);
            for (qint64 id : ids)
                QCOMPARE(column(db, QStringLiteral("body_key"), id).toLongLong(), 0);
            ids << store.addOutgoing(bob, QStringLiteral("t"), QStringLiteral("after unlock"), QStringLiteral("c"))->id;
            // Locked again: new rows go under the run key, master-key rows wait.
            QVERIFY(store.setMasterKey({}));
            QVERIFY(store.message(ids[0])->unreadable);
            ids << store.addOutgoing(bob, QStringLiteral("t"), QStringLiteral("locked again"), QStringLiteral("d"))->id;
            QCOMPARE(store.message(ids[3])->body, QStringLiteral("locked again"));
            // Queued under the master key while locked: neither sent nor failed.
            const auto pending = store.pendingOutgoing();
            QCOMPARE(pending.size(), 1);
            QCOMPARE(pending.first().id, ids[3]);
            QCOMPARE(store.message(ids[0])->state, MessageState::Queued);
            QVERIFY(store.setMasterKey(TestMasterKey));
            QCOMPARE(store.pendingOutgoing().size(), 3);
        }
        // The next run: locked, nothing reads (and nothing queued fails)...
        const auto locked = nextRun(m_path, false);
        QCOMPARE(locked.size(), 4);
        for (const auto &row : locked) {
            QVERIFY(row.unreadable);
            QVERIFY(row.body.isEmpty());
        }
        QCOMPARE(locked.first().pending, 0);
        {
            Database db(m_path);
            QVERIFY(db.open());
            QCOMPARE(column(db, QStringLiteral("state"), ids[0]).toInt(), int(MessageState::Queued));
        }
        // ...then with the same master key, all of it.
        const auto opened = nextRun(m_path, true);
        QStringList bodies;
        for (const auto &row : opened) {
            QVERIFY(!row.unreadable);
            bodies << row.body;
        }
        QCOMPARE(bodies, (QStringList{QStringLiteral("before unlock"), QStringLiteral("reply before"),
                                      QStringLiteral("after unlock"), QStringLiteral("locked again")}));
        QCOMPARE(opened.first().pending, 3);
    }

    void wrongKeyTamperedOrMovedBodiesAreUnreadable()
    {
        const QString bob = QStringLiteral("bob@example.org");
        Database db(m_path);
        QVERIFY(db.open());
        QList<qint64> ids;
        {
            MessageStore store(&db);
            QVERIFY(store.setMasterKey(TestMasterKey));
            for (const char *body : {"first", "second", "third", "fourth"})
                ids << store.addOutgoing(bob, QStringLiteral("t"), QString::fromLatin1(body), QString())->id;
        }
        QSqlQuery q(db.connection());
        // A changed byte in the ciphertext of row 0.
        QByteArray sealed = column(db, QStringLiteral("body_sealed"), ids[0]).toByteArray();
        sealed[sealed.size() - 20] = char(sealed.at(sealed.size() - 20) ^ 0x01);
        q.prepare(QStringLiteral("UPDATE messages SET body_sealed = ? WHERE id = ?"));
        q.addBindValue(sealed);
        q.addBindValue(ids[0]);
        QVERIFY(q.exec());
        // Row 2's ciphertext copied over row 1: valid, but bound to another row.
        q.prepare(QStringLiteral("UPDATE messages SET body_sealed = (SELECT body_sealed FROM messages WHERE id = ?)"
                                 " WHERE id = ?"));
        q.addBindValue(ids[2]);
        q.addBindValue(ids[1]);
        QVERIFY(q.exec());
        // Row 3 claims to be another contact's message (the peer is in the binding too).
        q.prepare(QStringLiteral("UPDATE messages SET peer = 'mallory@example.org' WHERE id = ?"));
        q.addBindValue(ids[3]);
        QVERIFY(q.exec());
        q.finish();

        MessageStore store(&db);
        QVERIFY(store.setMasterKey(TestMasterKey));
        QVERIFY(store.message(ids[0])->unreadable);
        QVERIFY(store.message(ids[0])->body.isEmpty());
        QVERIFY(store.message(ids[1])->unreadable);
        QVERIFY(store.message(ids[1])->body.isEmpty());
        QCOMPARE(store.message(ids[2])->body, QStringLiteral("third"));
        QVERIFY(!store.message(ids[2])->unreadable);
        QVERIFY(store.message(ids[3])->unreadable);
        // Truncated and garbage records: unreadable as well, no crash.
        for (const QByteArray &junk : {QByteArray(29, '\x01'), QByteArray("\x01", 1), QByteArray(40, 'x')}) {
            QSqlQuery j(db.connection());
            j.prepare(QStringLiteral("UPDATE messages SET body_sealed = ? WHERE id = ?"));
            j.addBindValue(junk);
            j.addBindValue(ids[2]);
            QVERIFY(j.exec());
            QVERIFY(store.message(ids[2])->unreadable);
            QVERIFY(store.message(ids[2])->body.isEmpty());
        }

        // Another master key opens none of them.
        MessageStore other(&db);
        QVERIFY(other.setMasterKey(Crypto::randomBytes(32)));
        for (const StoredMessage &m : other.history(bob)) {
            QVERIFY(m.unreadable);
            QVERIFY(m.body.isEmpty());
        }
        QVERIFY(!other.setMasterKey(QByteArray(16, 'k'))); // not a 256-bit key
        QVERIFY(!other.hasMasterKey());
    }

    // A version-3 file (plaintext bodies) upgraded: readable before the vault opens, sealed in one go after.
    void legacyPlaintextSealedUnderMasterKey()
    {
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(3));
            QSqlQuery q(old.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO messages (peer, direction, body, timestamp, state) VALUES "
                                          "('bob@example.org', 1, 'legacy one', 1000, 1),"
                                          "('bob@example.org', 0, 'legacy two', 2000, 3),"
                                          "('carol@example.org', 0, 'legacy three', 3000, 3)")));
        }
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        QCOMPARE(store.history(QStringLiteral("bob@example.org")).first().body, QStringLiteral("legacy one"));
        QVERIFY(store.setMasterKey(TestMasterKey));
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM messages WHERE body != '' OR body_sealed IS NULL"
                                      " OR body_key != 0")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 0);
        q.finish();
        const auto bob = store.history(QStringLiteral("bob@example.org"));
        QCOMPARE(bob.size(), 2);
        QCOMPARE(bob[0].body, QStringLiteral("legacy one"));
        QCOMPARE(bob[1].body, QStringLiteral("legacy two"));
        QCOMPARE(store.history(QStringLiteral("carol@example.org")).first().body, QStringLiteral("legacy three"));
        // The queued legacy row is still in the outbox, with its text.
        QCOMPARE(store.pendingOutgoing().size(), 1);
        QCOMPARE(store.pendingOutgoing().first().body, QStringLiteral("legacy one"));
    }

    // Sealing fails half way (a trigger refuses the update of one row): nothing changed, all readable;
    // the next attempt completes.
    void interruptedSealingLeavesEverythingReadable()
    {
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(3));
            QSqlQuery q(old.connection());
            for (int i = 0; i < 10; ++i)
                QVERIFY(q.exec(QStringLiteral("INSERT INTO messages (peer, direction, body, timestamp, state) VALUES "
                                              "('bob@example.org', 0, 'old %1', %1, 3)").arg(i)));
        }
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        // This run's rows too: they must stay readable under the run key.
        const qint64 fresh = store.addOutgoing(QStringLiteral("bob@example.org"), QStringLiteral("t"),
                                               QStringLiteral("this run"), QString())->id;
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("CREATE TEMP TRIGGER fail_sealing BEFORE UPDATE OF body_sealed ON messages"
                                      " WHEN NEW.id = 7 BEGIN SELECT RAISE(ABORT, 'injected failure'); END")));
        QVERIFY(!store.setMasterKey(TestMasterKey));
        auto check = [&](bool sealed) {
            const auto history = store.history(QStringLiteral("bob@example.org"));
            QCOMPARE(history.size(), 11);
            for (int i = 0; i < 10; ++i) {
                QVERIFY(!history[i].unreadable);
                QCOMPARE(history[i].body, QStringLiteral("old %1").arg(i));
            }
            QCOMPARE(history.last().body, QStringLiteral("this run"));
            QSqlQuery c(db.connection());
            QVERIFY(c.exec(QStringLiteral("SELECT COUNT(*) FROM messages WHERE body_sealed IS NULL")));
            QVERIFY(c.next());
            QCOMPARE(c.value(0).toInt(), sealed ? 0 : 10);
        };
        check(false);
        QVERIFY(column(db, QStringLiteral("body_key"), fresh).toLongLong() != 0);
        QVERIFY(q.exec(QStringLiteral("DROP TRIGGER fail_sealing")));
        q.finish();
        QVERIFY(store.setMasterKey(TestMasterKey));
        check(true);
        QCOMPARE(column(db, QStringLiteral("body_key"), fresh).toLongLong(), 0);
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    int m_counter = 0;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto; // bodies are sealed through QCA
    QCoreApplication app(argc, argv);
    if (qEnvironmentVariableIsSet(NextRunDatabase))
        return runAsNextRun(qEnvironmentVariable(NextRunDatabase), qEnvironmentVariable(NextRunWithKey) == u'1');
    TestMessageStore test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_messagestore.moc"
