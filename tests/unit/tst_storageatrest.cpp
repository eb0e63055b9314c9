// What the account database holds at rest: no message text, password, retained secret or offline private
// key in the file, its WAL or its shared-memory index (not while open, not after closing, not after an
// old plaintext history was sealed). The sealed password (CredentialStore) and the sealed XEP-0187
// private keys (OfflineKeyStore): bound to their rows, unavailable while the vault is locked.
#include <QFile>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "crypto/Crypto.h"
#include "storage/CredentialStore.h"
#include "storage/Database.h"
#include "storage/KeyVault.h"
#include "storage/MessageStore.h"
#include "storage/OfflineKeyStore.h"
#include "storage/SqlRetainedSecretStore.h"

namespace {

const QString Bob = QStringLiteral("bob@example.org");
const QString Carol = QStringLiteral("carol@example.org");

QByteArray utf16le(const QString &text)
{
    QByteArray out;
    for (QChar c : text) {
        out += char(c.unicode() & 0xff);
        out += char(c.unicode() >> 8);
    }
    return out;
}

QByteArray utf16be(const QString &text)
{
    QByteArray out;
    for (QChar c : text) {
        out += char(c.unicode() >> 8);
        out += char(c.unicode() & 0xff);
    }
    return out;
}

// The database file with its WAL and shared-memory index, as they are on disk now.
QByteArray filesOf(const QString &path, QStringList *seen = nullptr)
{
    QByteArray bytes;
    for (const QString &name :
        { path, path + QStringLiteral("-wal"), path + QStringLiteral("-shm"), path + QStringLiteral("-journal") }) {
        QFile file(name);
        if (file.open(QIODevice::ReadOnly)) {
            bytes += file.readAll();
            if (seen)
                *seen << name;
        }
    }
    return bytes;
}

// Every way a text or secret could show up in the bytes; empty when none does.
QString findLeak(const QByteArray &bytes, const QStringList &texts, const QList<QByteArray> &secrets)
{
    for (const QString &text : texts) {
        if (bytes.contains(text.toUtf8()) || bytes.contains(utf16le(text)) || bytes.contains(utf16be(text))
            || bytes.contains(text.toLatin1()))
            return text;
    }
    for (const QByteArray &secret : secrets) {
        if (bytes.contains(secret) || bytes.contains(secret.toHex()) || bytes.contains(secret.toBase64()))
            return QString::fromLatin1(secret.toHex());
    }
    return {};
}

} // namespace

class TestStorageAtRest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        ++m_counter;
        m_path = m_dir.filePath(QStringLiteral("db-%1.sqlite").arg(m_counter));
        m_vault = std::make_unique<KeyVault>(m_dir.filePath(QStringLiteral("vault-%1.json").arg(m_counter)),
            QStringLiteral("Sotto test"), QStringLiteral("me@example.org"));
        QVERIFY(m_vault->createWithPassphrase(QStringLiteral("pw"), nullptr, 20));
    }

    void cleanup() { m_vault.reset(); }

    void noPlaintextOrSecretInTheFiles()
    {
        // Distinct texts, non-ASCII too, long enough that a chance match is out of the question.
        const QStringList bodies { QStringLiteral("written-before-unlock zebra 4711"),
            QStringLiteral("outgoing-after-unlock grünes Känguru ✓"),
            QStringLiteral("incoming reply: meet at the old lighthouse at nine") };
        const QString password = QStringLiteral("correct horse battery staple ß");
        const QByteArray retained = Crypto::randomBytes(32);
        const QByteArray offlinePrivate = Crypto::randomBytes(256);
        const QByteArray masterKey = m_vault->masterKey();
        QByteArray whileOpen;
        QStringList seen;
        {
            Database db(m_path);
            QVERIFY(db.open());
            MessageStore store(&db);
            QVERIFY(store.addOutgoing(Bob, QStringLiteral("t"), bodies[0], QStringLiteral("a")));
            QVERIFY(store.setMasterKey(masterKey));
            QVERIFY(store.addOutgoing(Bob, QStringLiteral("t"), bodies[1], QStringLiteral("b")));
            QVERIFY(store.addIncoming(Bob, QStringLiteral("r"), QStringLiteral("t"), bodies[2], QStringLiteral("c"),
                QDateTime::currentDateTimeUtc(), true));
            CredentialStore credentials(&db, m_vault.get());
            QVERIFY(credentials.setPassword(QStringLiteral("me@example.org"), password));
            SqlRetainedSecretStore secrets(&db, m_vault.get());
            QVERIFY(secrets.replace(Bob, std::nullopt, retained));
            OfflineKeyStore offline(&db, m_vault.get());
            QVERIFY(offline.add(
                Bob, 14, QByteArray(256, '\x07'), offlinePrivate, QDateTime::currentDateTimeUtc().addDays(7)));
            // Everything is readable through the stores...
            QCOMPARE(store.history(Bob).size(), 3);
            QCOMPARE(store.history(Bob).first().body, bodies[0]);
            QCOMPARE(credentials.password(QStringLiteral("me@example.org")), password);
            // ...and nowhere on disk while the database is open (the WAL holds the recent writes).
            whileOpen = filesOf(m_path, &seen);
        }
        QVERIFY2(seen.contains(m_path + QStringLiteral("-wal")), qPrintable(seen.join(u',')));
        QVERIFY(whileOpen.contains(Bob.toUtf8())); // the scan does read the rows
        const QList<QByteArray> secretBytes { retained, offlinePrivate, masterKey };
        QString leak = findLeak(whileOpen, bodies + QStringList { password }, secretBytes);
        QVERIFY2(leak.isEmpty(), qPrintable(QStringLiteral("found while open: ") + leak));
        const QByteArray closed = filesOf(m_path);
        QVERIFY(closed.contains(Bob.toUtf8()));
        leak = findLeak(closed, bodies + QStringList { password }, secretBytes);
        QVERIFY2(leak.isEmpty(), qPrintable(QStringLiteral("found after closing: ") + leak));
    }

    // An old plaintext history: its text is in the file before, and gone from every file after sealing.
    void legacyPlaintextGoneFromTheFilesAfterSealing()
    {
        QStringList bodies;
        {
            Database old(m_path);
            QVERIFY(old.openAtVersion(3));
            QSqlQuery q(old.connection());
            // Enough rows to fill several pages, so that free pages and overflow would show.
            for (int i = 0; i < 300; ++i) {
                bodies << QStringLiteral("legacy plaintext number %1 with a tail of text %2")
                              .arg(i)
                              .arg(QString(i % 7 + 1, u'q'));
                q.prepare(QStringLiteral(
                    "INSERT INTO messages (peer, direction, body, timestamp, state) VALUES (?, 0, ?, ?, 3)"));
                q.addBindValue(i % 2 ? Bob : Carol);
                q.addBindValue(bodies.last());
                q.addBindValue(i);
                QVERIFY(q.exec());
            }
            // One long body spills into overflow pages.
            bodies << QStringLiteral("long legacy body ") + QString(5000, u'L')
                    + QStringLiteral(" end of the long body");
            q.prepare(QStringLiteral(
                "INSERT INTO messages (peer, direction, body, timestamp, state) VALUES (?, 0, ?, 9999, 3)"));
            q.addBindValue(Bob);
            q.addBindValue(bodies.last());
            QVERIFY(q.exec());
        }
        // The positive control: the scan finds plaintext where there is some.
        QVERIFY(!findLeak(filesOf(m_path), bodies, {}).isEmpty());
        QByteArray whileOpen;
        {
            Database db(m_path);
            QVERIFY(db.open());
            MessageStore store(&db);
            QVERIFY(store.setMasterKey(m_vault->masterKey()));
            QCOMPARE(store.history(Bob, 1000).size(), 151);
            QCOMPARE(store.history(Bob, 1000).last().body, bodies.last());
            whileOpen = filesOf(m_path);
        }
        QString leak = findLeak(whileOpen, bodies, {});
        QVERIFY2(leak.isEmpty(), qPrintable(QStringLiteral("found while open: ") + leak.left(60)));
        leak = findLeak(filesOf(m_path), bodies, {});
        QVERIFY2(leak.isEmpty(), qPrintable(QStringLiteral("found after closing: ") + leak.left(60)));
        // And the history reads back in a later run with the same key.
        Database db(m_path);
        QVERIFY(db.open());
        MessageStore store(&db);
        QVERIFY(store.setMasterKey(m_vault->masterKey()));
        const auto carol = store.history(Carol, 1000);
        QCOMPARE(carol.size(), 150);
        QCOMPARE(carol.first().body, bodies.first());
    }

    // secure_delete: a deleted row's bytes are overwritten, not left in a free block of its page.
    void deletedRowsAreOverwritten()
    {
        const QString marker = QStringLiteral("deleted-row-marker-0123456789");
        Database db(m_path);
        QVERIFY(db.open());
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("PRAGMA secure_delete")) && q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        q.finish();
        for (int i = 0; i < 3; ++i) {
            q.prepare(QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?)"));
            q.addBindValue(QStringLiteral("k%1").arg(i));
            q.addBindValue(i == 1 ? marker : QStringLiteral("kept value %1").arg(i));
            QVERIFY(q.exec());
        }
        QVERIFY(q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        q.finish();
        QVERIFY(filesOf(m_path).contains(marker.toUtf8()));
        QVERIFY(q.exec(QStringLiteral("DELETE FROM settings WHERE key = 'k1'")));
        QVERIFY(q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        q.finish();
        const QByteArray bytes = filesOf(m_path);
        QVERIFY(bytes.contains("kept value 2"));
        QVERIFY(!bytes.contains(marker.toUtf8()));
    }

    void credentialsSealedAndBound()
    {
        const QString me = QStringLiteral("me@example.org");
        const QString other = QStringLiteral("other@example.org");
        {
            Database db(m_path);
            QVERIFY(db.open());
            CredentialStore store(&db, m_vault.get());
            QVERIFY(store.isAvailable());
            QVERIFY(!store.password(me));
            QVERIFY(!store.contains(me));
            QVERIFY(store.setPassword(me, QStringLiteral("first")));
            QVERIFY(store.setPassword(me, QStringLiteral("second ü")));
            QCOMPARE(store.password(me), QStringLiteral("second ü"));
            QVERIFY(store.setPassword(other, QStringLiteral("other's")));
            QVERIFY(store.contains(me));
        }
        QVERIFY(CredentialStore::isRememberedIn(m_path, me));
        QVERIFY(!CredentialStore::isRememberedIn(m_path, QStringLiteral("nobody@example.org")));
        const QString missing = m_dir.filePath(QStringLiteral("missing.sqlite"));
        QVERIFY(!CredentialStore::isRememberedIn(missing, me));
        QVERIFY(!QFile::exists(missing)); // asking does not create a database
        {
            Database old(m_dir.filePath(QStringLiteral("old-%1.sqlite").arg(m_counter)));
            QVERIFY(old.openAtVersion(5));
        }
        QVERIFY(!CredentialStore::isRememberedIn(m_dir.filePath(QStringLiteral("old-%1.sqlite").arg(m_counter)), me));

        Database db(m_path);
        QVERIFY(db.open());
        CredentialStore store(&db, m_vault.get());
        QCOMPARE(store.password(me), QStringLiteral("second ü"));
        // Another vault's key opens nothing.
        KeyVault otherVault(m_dir.filePath(QStringLiteral("other-%1.json").arg(m_counter)),
            QStringLiteral("Sotto test"), QStringLiteral("x"));
        QVERIFY(otherVault.createWithPassphrase(QStringLiteral("other"), nullptr, 20));
        QVERIFY(!CredentialStore(&db, &otherVault).password(me));
        // The other account's ciphertext copied into this row: bound to its account, it does not open here.
        QSqlQuery q(db.connection());
        QVERIFY(
            q.exec(QStringLiteral("UPDATE credentials SET sealed = (SELECT sealed FROM credentials WHERE jid = '%1')"
                                  " WHERE jid = '%2'")
                       .arg(other, me)));
        QVERIFY(!store.password(me));
        QCOMPARE(store.password(other), QStringLiteral("other's"));
        // Locked: nothing read or written; forgetting still works.
        m_vault->lock();
        QVERIFY(!store.isAvailable());
        QVERIFY(!store.password(other));
        QVERIFY(!store.setPassword(other, QStringLiteral("new")));
        QVERIFY(store.contains(other));
        QVERIFY(store.forget(other));
        QVERIFY(!store.forget(other));
        QVERIFY(!store.contains(other));
    }

    void offlineKeysUsedOnceAndExpire()
    {
        Database db(m_path);
        QVERIFY(db.open());
        OfflineKeyStore store(&db, m_vault.get());
        const QDateTime now = QDateTime::fromMSecsSinceEpoch(1'800'000'000'000, Qt::UTC);
        const QByteArray x1 = Crypto::randomBytes(256);
        const QByteArray x2 = Crypto::randomBytes(384);
        const QByteArray x3 = Crypto::randomBytes(256);
        const auto id1 = store.add(Bob, 14, QByteArray("e1"), x1, now.addDays(2));
        const auto id2 = store.add(Bob, 15, QByteArray("e2"), x2, now.addSecs(60));
        const auto id3 = store.add(Carol, 14, QByteArray("e3"), x3, now.addDays(2));
        QVERIFY(id1 && id2 && id3);
        const auto entries = store.entries(Bob);
        QCOMPARE(entries.size(), 2);
        QCOMPARE(entries[0].id, *id1);
        QCOMPARE(entries[0].modp, 14);
        QCOMPARE(entries[0].publicValue, QByteArray("e1"));
        QCOMPARE(entries[1].expires, now.addSecs(60));

        // Another contact's id, or an id that does not exist: nothing, and nothing deleted.
        QVERIFY(!store.take(*id3, Bob, now));
        QVERIFY(!store.take(*id3 + 100, Bob, now));
        QCOMPARE(store.entries(Carol).size(), 1);
        // Used once.
        QCOMPARE(store.take(*id1, Bob, now), x1);
        QVERIFY(!store.take(*id1, Bob, now));
        QCOMPARE(store.entries(Bob).size(), 1);
        // Locked: not handed out and not consumed.
        m_vault->lock();
        QVERIFY(!store.add(Bob, 14, QByteArray("e4"), x1, now.addDays(1)));
        QVERIFY(!store.take(*id3, Carol, now));
        QCOMPARE(store.entries(Carol).size(), 1);
        QVERIFY(m_vault->unlockWithPassphrase(QStringLiteral("pw")));
        // Expired at the time of use: refused and gone.
        QVERIFY(!store.take(*id2, Bob, now.addSecs(61)));
        QVERIFY(store.entries(Bob).isEmpty());

        // A ciphertext moved to another row does not open there (and that row cannot be used any more).
        const auto id4 = store.add(Carol, 14, QByteArray("e4"), Crypto::randomBytes(256), now.addDays(2));
        QVERIFY(id4);
        QSqlQuery q(db.connection());
        QVERIFY(
            q.exec(QStringLiteral("UPDATE offline_keys SET sealed_private = (SELECT sealed_private FROM offline_keys"
                                  " WHERE id = %1) WHERE id = %2")
                       .arg(*id3)
                       .arg(*id4)));
        q.finish();
        QVERIFY(!store.take(*id4, Carol, now));
        QCOMPARE(store.take(*id3, Carol, now), x3);

        // purgeExpired removes exactly what expired by then.
        QVERIFY(store.add(Bob, 14, QByteArray("a"), x1, now.addSecs(10)));
        QVERIFY(store.add(Bob, 14, QByteArray("b"), x1, now.addSecs(20)));
        QVERIFY(store.add(Bob, 14, QByteArray("c"), x1, now.addSecs(30)));
        QCOMPARE(store.purgeExpired(now), 0);
        QCOMPARE(store.purgeExpired(now.addSecs(20)), 2);
        QCOMPARE(store.entries(Bob).size(), 1);
        QCOMPARE(store.entries(Bob).first().publicValue, QByteArray("c"));
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    int m_counter = 0;
    std::unique_ptr<KeyVault> m_vault;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestStorageAtRest test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_storageatrest.moc"
