#include "Database.h"

#include <QAtomicInt>
#include <QDir>
#include <QFileInfo>
#include <QMap>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>
#include <limits>

#include "Logging.h"
#include "esession/FormNormalizer.h"

namespace {

QAtomicInt s_connectionCounter;

// Migration N brings the schema from version N-1 to N: its statements, then migrationCode[N - 1] (below) where SQL
// alone cannot do it, in one transaction. Never edit a released step: add a new one.
const char *const migrationSteps[][8] = {
    // 1: the first history table.
    {
        "CREATE TABLE messages ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " peer TEXT NOT NULL,"
        " direction INTEGER NOT NULL,"
        " body TEXT NOT NULL,"
        " timestamp INTEGER NOT NULL)",
        "CREATE INDEX messages_peer ON messages (peer, id)",
        nullptr,
    },
    // 2: XEP-0201 threads, the sending resource, stanza ids (dedup of incoming, stable ids for resends),
    //    delivery state (the durable outbox) and read markers.
    {
        "ALTER TABLE messages ADD COLUMN resource TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE messages ADD COLUMN thread TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE messages ADD COLUMN stanza_id TEXT",
        // Rows from version 1 were delivered (outgoing) or received (incoming) and read.
        "ALTER TABLE messages ADD COLUMN state INTEGER NOT NULL DEFAULT -1",
        "UPDATE messages SET state = CASE direction WHEN 0 THEN 3 ELSE 2 END WHERE state = -1",
        "ALTER TABLE messages ADD COLUMN is_read INTEGER NOT NULL DEFAULT 1",
        "CREATE UNIQUE INDEX messages_incoming_id ON messages (peer, stanza_id)"
        " WHERE direction = 0 AND stanza_id IS NOT NULL",
        "CREATE INDEX messages_outbox ON messages (state, id) WHERE direction = 1",
    },
    // 3: whether a message travelled inside an encrypted session (XEP-0200). Older rows did not.
    {
        "ALTER TABLE messages ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0",
    },
    // 4: per-contact settings: the encrypted-session policy (0 off, 1 ask, 2 always).
    {
        "CREATE TABLE contact_settings ("
        " peer TEXT PRIMARY KEY,"
        " esession_policy INTEGER NOT NULL)",
    },
    // 5: retained secrets (XEP-0116/0217), the secret sealed with the vault's master key (AES-256-GCM),
    //    bound to its row; the facts the settings page shows beside it.
    {
        "CREATE TABLE retained_secrets ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " peer TEXT NOT NULL,"
        " sealed BLOB NOT NULL,"
        " created INTEGER NOT NULL,"
        " last_used INTEGER,"
        " sessions INTEGER NOT NULL DEFAULT 0,"
        " verified INTEGER NOT NULL DEFAULT 0,"
        " verified_at INTEGER,"
        " sas TEXT)", // the SAS of the session that created the secret (not secret: it is read aloud)
        "CREATE INDEX retained_secrets_peer ON retained_secrets (peer)",
    },
    // 6: everything at rest sealed. Message bodies sealed (AES-256-GCM, bound to their row) under the
    //    master key (body_key 0) or, before the vault is unlocked, under a key that lives for one run
    //    only (body_key = that run's id); body_sealed NULL marks a legacy plaintext row still to seal.
    //    App-wide preferences (nothing secret), the account password sealed under the master key, and
    //    the sealed DH private keys that XEP-0187 offline sessions use once.
    {
        "ALTER TABLE messages ADD COLUMN body_sealed BLOB",
        "ALTER TABLE messages ADD COLUMN body_key INTEGER",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE credentials (jid TEXT PRIMARY KEY, sealed BLOB NOT NULL, updated INTEGER NOT NULL)",
        "CREATE TABLE offline_keys ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " peer TEXT NOT NULL,"
        " modp INTEGER NOT NULL,"
        " public_value BLOB NOT NULL,"
        " sealed_private BLOB NOT NULL,"
        " created INTEGER NOT NULL,"
        " expires INTEGER NOT NULL)",
        "CREATE INDEX offline_keys_peer ON offline_keys (peer, id)",
        nullptr,
    },
    // 7: per-contact compatibility with other ESession clients: whether the older sas28x5 verification code
    //    (which a man in the middle can grind) may be agreed. Off for every contact until the user says so.
    {
        "ALTER TABLE contact_settings ADD COLUMN allow_sas28x5 INTEGER NOT NULL DEFAULT 0",
    },
    // 8: one security state per contact conversation (ConversationSecurity): whether what the user writes to
    //    the contact must leave encrypted, the thread of the contact's last encrypted session, and why the last
    //    attempt failed (a stable code; empty when nothing failed). Incoming messages that arrived unencrypted
    //    while the conversation was encrypted keep a mark.
    {
        "CREATE TABLE conversation_security ("
        " peer TEXT PRIMARY KEY,"
        " encrypt INTEGER NOT NULL DEFAULT 0,"
        " thread TEXT NOT NULL DEFAULT '',"
        " failure TEXT NOT NULL DEFAULT '')",
        "ALTER TABLE messages ADD COLUMN arrived_unencrypted INTEGER NOT NULL DEFAULT 0",
    },
    // 9: every table keyed by contact uses the contact's bare JID as XMPP compares it (Esession::normalizedBareJid():
    //    local part and domain lower-cased); earlier versions stored it as received, so one contact could have
    //    several. The spellings merge in code (normalisedPeers() below: SQLite's lower() folds ASCII only). A sealed
    //    body is bound to the spelling it was sealed under: a row moved to the new spelling keeps the old one in
    //    sealed_peer (NULL: bound to peer) until its body is sealed again.
    {
        "ALTER TABLE messages ADD COLUMN sealed_peer TEXT",
    },
};
static_assert(std::size(migrationSteps) == Database::CurrentVersion);

// A null QString binds as NULL: empty text instead.
QString text(const QString &value)
{
    return value.isNull() ? QStringLiteral("") : value;
}

bool exec(QSqlQuery &q, QString *reason)
{
    if (q.exec())
        return true;
    *reason = q.lastError().text();
    return false;
}

// Schema 9, the messages: every row under the normalised JID. An incoming message stored once under each of two
// spellings (the duplicate check compared the spelling) keeps both rows, as the user saw them; the later copies lose
// their stanza id, which the unique index allows once per contact.
bool normaliseMessagePeers(QSqlDatabase &db, QString *reason)
{
    QSqlQuery q(db);
    QStringList spellings;
    q.prepare(QStringLiteral("SELECT DISTINCT peer FROM messages"));
    if (!exec(q, reason))
        return false;
    while (q.next())
        spellings << q.value(0).toString();
    q.finish();
    for (const QString &spelling : std::as_const(spellings)) {
        const QString peer = Esession::normalizedBareJid(spelling);
        if (peer == spelling)
            continue;
        q.prepare(QStringLiteral("UPDATE messages SET stanza_id = NULL WHERE peer = ? AND direction = 0"
                                 " AND stanza_id IN (SELECT stanza_id FROM messages WHERE peer = ? AND direction = 0"
                                 " AND stanza_id IS NOT NULL)"));
        q.addBindValue(spelling);
        q.addBindValue(peer);
        if (!exec(q, reason))
            return false;
        q.prepare(QStringLiteral("UPDATE messages SET sealed_peer = COALESCE(sealed_peer, peer), peer = ?"
                                 " WHERE peer = ?"));
        q.addBindValue(peer);
        q.addBindValue(spelling);
        if (!exec(q, reason))
            return false;
    }
    return true;
}

// Schema 9, the security states: the spellings of one contact merge the cautious way. Encryption is wanted when any
// spelling wanted it; when any spelling had a failure, the conversation waits for the user's Retry (codes-differ
// first: it alone also keeps a session from the other side from taking what waits); the thread comes with the row
// that supplied the failure, else with one that wanted encryption.
bool mergeConversationStates(QSqlDatabase &db, QString *reason)
{
    struct State
    {
        bool encrypt = false;
        QString thread;
        QString failure;
        int rank = -1;
    };
    QMap<QString, State> merged;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT peer, encrypt, thread, failure FROM conversation_security ORDER BY peer"));
    if (!exec(q, reason))
        return false;
    while (q.next()) {
        State &state = merged[Esession::normalizedBareJid(q.value(0).toString())];
        const bool encrypt = q.value(1).toInt() != 0;
        const QString thread = q.value(2).toString();
        const QString failure = q.value(3).toString();
        const int rank = (failure == u"codes-differ" ? 8 : 0) + (failure.isEmpty() ? 0 : 4) + (encrypt ? 2 : 0)
            + (thread.isEmpty() ? 0 : 1);
        state.encrypt = state.encrypt || encrypt;
        if (rank > state.rank) {
            state.rank = rank;
            state.thread = thread;
            state.failure = failure;
        }
    }
    q.finish();
    q.prepare(QStringLiteral("DELETE FROM conversation_security"));
    if (!exec(q, reason))
        return false;
    for (auto it = merged.cbegin(); it != merged.cend(); ++it) {
        q.prepare(QStringLiteral("INSERT INTO conversation_security (peer, encrypt, thread, failure)"
                                 " VALUES (?, ?, ?, ?)"));
        q.addBindValue(it.key());
        q.addBindValue(it->encrypt ? 1 : 0);
        q.addBindValue(text(it->thread));
        q.addBindValue(text(it->failure));
        if (!exec(q, reason))
            return false;
    }
    return true;
}

// Schema 9, the per-contact settings: the spellings of one contact merge the cautious way. The strictest policy
// (Always over Ask over Off; a value of a newer version, read as Always, is the highest), and the weaker sas28x5 code
// only where every spelling allowed it (only 1 allows it).
bool mergeContactSettings(QSqlDatabase &db, QString *reason)
{
    struct Setting
    {
        int policy = std::numeric_limits<int>::min();
        bool weakSas = true;
    };
    QMap<QString, Setting> merged;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT peer, esession_policy, allow_sas28x5 FROM contact_settings"));
    if (!exec(q, reason))
        return false;
    while (q.next()) {
        Setting &setting = merged[Esession::normalizedBareJid(q.value(0).toString())];
        setting.policy = std::max(setting.policy, q.value(1).toInt());
        setting.weakSas = setting.weakSas && q.value(2).toInt() == 1;
    }
    q.finish();
    q.prepare(QStringLiteral("DELETE FROM contact_settings"));
    if (!exec(q, reason))
        return false;
    for (auto it = merged.cbegin(); it != merged.cend(); ++it) {
        q.prepare(QStringLiteral("INSERT INTO contact_settings (peer, esession_policy, allow_sas28x5)"
                                 " VALUES (?, ?, ?)"));
        q.addBindValue(it.key());
        q.addBindValue(it->policy);
        q.addBindValue(it->weakSas ? 1 : 0);
        if (!exec(q, reason))
            return false;
    }
    return true;
}

// What migration N does in code after its statements, in the same transaction (nullptr: nothing).
using MigrationCode = bool (*)(QSqlDatabase &db, QString *reason);

bool normalisedPeers(QSqlDatabase &db, QString *reason)
{
    return normaliseMessagePeers(db, reason) && mergeConversationStates(db, reason) && mergeContactSettings(db, reason);
}

const MigrationCode migrationCode[] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                       normalisedPeers};
static_assert(std::size(migrationCode) == Database::CurrentVersion);

} // namespace

Database::Database(QString path)
    : m_path(std::move(path))
    , m_connectionName(QStringLiteral("sotto-%1").arg(s_connectionCounter.fetchAndAddRelaxed(1)))
{
}

Database::~Database()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

QSqlDatabase Database::connection() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

bool Database::open(QString *error)
{
    return openAtVersion(CurrentVersion, error);
}

bool Database::openAtVersion(int version, QString *error)
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSqlDatabase db = QSqlDatabase::contains(m_connectionName)
        ? QSqlDatabase::database(m_connectionName, false)
        : QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    db.setDatabaseName(m_path);
    if (!db.isOpen() && !db.open()) {
        if (error)
            *error = QStringLiteral("cannot open the database %1: %2").arg(m_path, db.lastError().text());
        return false;
    }
    {
        QSqlQuery pragma(db);
        pragma.exec(QStringLiteral("PRAGMA foreign_keys = ON"));
        // Deleted rows (plaintext bodies replaced by sealed ones, forgotten secrets, used offline keys)
        // are overwritten with zeros instead of lingering in free pages of the file.
        pragma.exec(QStringLiteral("PRAGMA secure_delete = ON"));
        pragma.exec(QStringLiteral("PRAGMA journal_mode = WAL"));
        // In WAL mode, NORMAL keeps every committed row across a crash of the app; only an OS crash or
        // power loss can take back the last commits. FULL would cost an fsync per message state change.
        pragma.exec(QStringLiteral("PRAGMA synchronous = NORMAL"));
        pragma.finish();
    }

    const int from = schemaVersion();
    if (from > CurrentVersion) {
        if (error)
            *error = QStringLiteral("the database was written by a newer Sotto (schema %1, this one knows %2)")
                         .arg(from)
                         .arg(CurrentVersion);
        return false;
    }
    return migrate(from, version, error);
}

int Database::schemaVersion() const
{
    QSqlQuery query(connection());
    if (!query.exec(QStringLiteral("PRAGMA user_version")) || !query.next())
        return -1;
    return query.value(0).toInt();
}

bool Database::migrate(int from, int to, QString *error)
{
    QSqlDatabase db = connection();
    for (int version = from + 1; version <= to; ++version) {
        if (!db.transaction()) {
            if (error)
                *error = db.lastError().text();
            return false;
        }
        QSqlQuery query(db);
        QString reason;
        bool done = true;
        for (const char *statement : migrationSteps[version - 1]) {
            if (!statement)
                break;
            if (!query.exec(QString::fromLatin1(statement))) {
                reason = query.lastError().text();
                done = false;
                break;
            }
        }
        query.finish();
        if (done && migrationCode[version - 1])
            done = migrationCode[version - 1](db, &reason);
        // PRAGMA user_version is transactional in SQLite: it commits or rolls back with the step.
        if (done && !query.exec(QStringLiteral("PRAGMA user_version = %1").arg(version))) {
            reason = query.lastError().text();
            done = false;
        }
        query.finish();
        if (done && !db.commit()) {
            reason = db.lastError().text();
            done = false;
        }
        if (!done) {
            db.rollback();
            if (error)
                *error = QStringLiteral("migration to schema %1 failed: %2").arg(version).arg(reason);
            qCWarning(lcStorage) << "migration to schema" << version << "failed, rolled back";
            return false;
        }
        qCInfo(lcStorage) << "database migrated to schema" << version;
    }
    return true;
}
