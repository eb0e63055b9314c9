#include "MessageStore.h"

#include <QSqlError>
#include <QSqlQuery>

#include <cstring>
#include <limits>

#include "Database.h"
#include "Logging.h"
#include "crypto/Aead.h"
#include "crypto/Crypto.h"
#include "esession/FormNormalizer.h"

namespace {

const QString selectColumns = QStringLiteral(
    "SELECT id, peer, resource, thread, direction, body, timestamp, state, stanza_id, is_read, encrypted,"
    " body_sealed, body_key, arrived_unencrypted, sealed_peer FROM messages ");

// body_key of a row sealed under the vault's master key; any other value names one run's key.
constexpr qint64 MasterKeyId = 0;

QByteArray bodyAssociatedData(qint64 id, const QString &peer)
{
    return "messages.body:" + QByteArray::number(id) + ':' + peer.toUtf8();
}

// Messages are filed under the contact's bare JID as XMPP compares it (security review F6): whatever spelling a
// caller gives, the store writes and looks up this one.
QString keyOf(const QString &peer)
{
    return Esession::normalizedBareJid(peer);
}

// The JID a row's body is bound to: its peer, or, for a row schema 9 moved from another spelling, the spelling it was
// sealed under (sealed_peer), as long as that is a spelling of the same contact: a row moved to another contact must
// not open there.
QString sealedFor(const QString &peer, const QVariant &sealedPeer)
{
    if (sealedPeer.isNull())
        return peer;
    const QString spelling = sealedPeer.toString();
    return keyOf(spelling) == peer ? spelling : peer;
}

// One key per run of the program, shared by every store in it: logging out and opening the account again
// keeps this run's history readable; the next run has another key and cannot read it. Made on first use
// (QCA is initialised by then), wiped when the program ends.
struct RunKey
{
    QByteArray key;
    qint64 id = MasterKeyId; ///< names the key in body_key: random, 63 bits, never MasterKeyId

    RunKey()
        : key(Crypto::randomBytes(Crypto::Aes256GcmKeyLength))
    {
        if (key.size() != Crypto::Aes256GcmKeyLength)
            qFatal("no random bytes for the run key");
        while (id == MasterKeyId) {
            const QByteArray bytes = Crypto::randomBytes(int(sizeof(id)));
            if (bytes.size() != int(sizeof(id)))
                qFatal("no random bytes for the run key");
            std::memcpy(&id, bytes.constData(), sizeof(id));
            id &= std::numeric_limits<qint64>::max();
        }
    }
    ~RunKey() { key.fill('\0'); }
};

const RunKey &runKey()
{
    static const RunKey instance;
    return instance;
}

} // namespace

StoredMessage MessageStore::fromQuery(const QSqlQuery &q, BodyStatus *status) const
{
    StoredMessage m;
    m.id = q.value(0).toLongLong();
    m.peer = q.value(1).toString();
    m.resource = q.value(2).toString();
    m.thread = q.value(3).toString();
    m.direction = MessageDirection(q.value(4).toInt());
    m.timestamp = QDateTime::fromMSecsSinceEpoch(q.value(6).toLongLong(), Qt::UTC);
    m.state = MessageState(q.value(7).toInt());
    m.stanzaId = q.value(8).toString();
    m.read = q.value(9).toBool();
    m.encrypted = q.value(10).toBool();
    m.arrivedUnencrypted = q.value(13).toBool();

    BodyStatus result = BodyStatus::Readable;
    const QVariant sealed = q.value(11);
    if (sealed.isNull()) {
        // Written before schema 6 and not sealed yet (the vault has not been opened since).
        m.body = q.value(5).toString();
    } else {
        const qint64 keyId = q.value(12).toLongLong();
        const QByteArray &key = keyId == MasterKeyId ? m_masterKey : keyId == m_runId ? m_runKey : QByteArray();
        if (keyId == MasterKeyId && key.isEmpty()) {
            result = BodyStatus::Locked;
        } else if (key.isEmpty()) {
            // Another run's key: it was never stored anywhere, so this body is gone for good.
            result = BodyStatus::Lost;
        } else if (auto plain = Crypto::openRecord(key, bodyAssociatedData(m.id, sealedFor(m.peer, q.value(14))),
                                                   sealed.toByteArray())) {
            m.body = QString::fromUtf8(*plain);
        } else {
            qCDebug(lcStorage) << "the body of message" << m.id << "did not open";
            result = BodyStatus::Lost;
        }
    }
    m.unreadable = result != BodyStatus::Readable;
    if (status)
        *status = result;
    return m;
}

MessageStore::MessageStore(Database *database, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_runKey(runKey().key)
    , m_runId(runKey().id)
{
    qRegisterMetaType<StoredMessage>();
}

MessageStore::~MessageStore()
{
    m_masterKey.fill('\0');
}

bool MessageStore::writeSealedBody(qint64 id, const QString &peer, const QString &body)
{
    const bool master = !m_masterKey.isEmpty();
    const auto sealed = Crypto::sealRecord(master ? m_masterKey : m_runKey, bodyAssociatedData(id, peer), body.toUtf8());
    if (!sealed) {
        qCWarning(lcStorage) << "could not seal the body of message" << id;
        return false;
    }
    QSqlQuery q(m_database->connection());
    // Sealed again, the body is bound to the row's peer: the spelling it had before schema 9 is no longer needed.
    q.prepare(QStringLiteral("UPDATE messages SET body = '', body_sealed = ?, body_key = ?, sealed_peer = NULL"
                             " WHERE id = ?"));
    q.addBindValue(*sealed);
    q.addBindValue(master ? MasterKeyId : m_runId);
    q.addBindValue(id);
    if (!q.exec() || q.numRowsAffected() != 1) {
        qCWarning(lcStorage) << "could not store the sealed body of message" << id << ":" << q.lastError().text();
        return false;
    }
    return true;
}

bool MessageStore::setMasterKey(const QByteArray &key)
{
    m_masterKey.fill('\0');
    m_masterKey.clear();
    if (key.isEmpty()) {
        Q_EMIT masterKeyChanged();
        return true;
    }
    if (key.size() != Crypto::Aes256GcmKeyLength) {
        qCWarning(lcStorage) << "refused a master key of the wrong size";
        Q_EMIT masterKeyChanged();
        return false;
    }
    // A deep copy: wiping ours later must not touch (or be shared with) the vault's buffer.
    m_masterKey = QByteArray(key.constData(), key.size());
    const bool sealed = sealUnderMasterKey();
    Q_EMIT masterKeyChanged();
    return sealed;
}

bool MessageStore::sealUnderMasterKey()
{
    QSqlDatabase db = m_database->connection();
    struct Row
    {
        qint64 id;
        QString peer;
        QByteArray plain;
    };
    QList<Row> rows;
    int legacy = 0;
    if (!db.transaction()) {
        qCWarning(lcStorage) << "could not start sealing history:" << db.lastError().text();
        return false;
    }
    {
        // Read everything first: rewriting rows while a statement walks the same table could visit
        // a row twice.
        QSqlQuery q(db);
        q.setForwardOnly(true);
        q.prepare(QStringLiteral("SELECT id, peer, body, body_sealed, sealed_peer FROM messages"
                                 " WHERE body_sealed IS NULL OR body_key = ?"));
        q.addBindValue(m_runId);
        if (!q.exec()) {
            qCWarning(lcStorage) << "could not read history to seal:" << q.lastError().text();
            db.rollback();
            return false;
        }
        while (q.next()) {
            Row row{q.value(0).toLongLong(), q.value(1).toString(), {}};
            if (q.value(3).isNull()) {
                row.plain = q.value(2).toString().toUtf8();
                ++legacy;
            } else if (auto plain = Crypto::openRecord(
                           m_runKey, bodyAssociatedData(row.id, sealedFor(row.peer, q.value(4))), q.value(3).toByteArray())) {
                row.plain = std::move(*plain);
            } else {
                // Damaged: it stays as it is, unreadable either way.
                continue;
            }
            rows << std::move(row);
        }
    }
    for (Row &row : rows) {
        const bool written = writeSealedBody(row.id, row.peer, QString::fromUtf8(row.plain));
        row.plain.fill('\0');
        if (!written) {
            // Nothing is half done: every row keeps its old, readable form.
            db.rollback();
            qCWarning(lcStorage) << "sealing history under the master key failed, rolled back";
            return false;
        }
    }
    if (!db.commit()) {
        qCWarning(lcStorage) << "could not commit sealed history:" << db.lastError().text();
        db.rollback();
        return false;
    }
    if (legacy > 0) {
        // secure_delete already zeroed the old cells; VACUUM rewrites the file without any free page
        // and the checkpoint moves everything out of the WAL and truncates it, old page images included.
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("VACUUM")))
            qCWarning(lcStorage) << "could not vacuum after sealing history:" << q.lastError().text();
        if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")))
            qCWarning(lcStorage) << "could not checkpoint after sealing history:" << q.lastError().text();
        q.finish();
        qCInfo(lcStorage) << "sealed" << legacy << "messages written before history was encrypted";
    }
    return true;
}

std::optional<StoredMessage> MessageStore::addOutgoing(const QString &peerJid, const QString &thread,
                                                       const QString &body, const QString &stanzaId, bool encrypted)
{
    const QString peer = keyOf(peerJid);
    StoredMessage m;
    m.peer = peer;
    m.thread = thread;
    m.direction = MessageDirection::Outgoing;
    m.body = body;
    m.timestamp = QDateTime::currentDateTimeUtc();
    m.state = MessageState::Queued;
    m.stanzaId = stanzaId;
    m.read = true;
    m.encrypted = encrypted;

    // The row id is part of what the body is bound to: insert an empty row, then seal into it, both in
    // one transaction so that no row is ever left without its body.
    QSqlDatabase db = m_database->connection();
    if (!db.transaction()) {
        qCWarning(lcStorage) << "could not store an outgoing message:" << db.lastError().text();
        return std::nullopt;
    }
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO messages (peer, resource, thread, direction, body, timestamp, state,"
                             " stanza_id, is_read, encrypted, body_sealed) VALUES (?, '', ?, 1, '', ?, ?, ?, 1, ?, x'')"));
    q.addBindValue(peer);
    q.addBindValue(thread);
    q.addBindValue(m.timestamp.toMSecsSinceEpoch());
    q.addBindValue(int(m.state));
    q.addBindValue(stanzaId);
    q.addBindValue(encrypted);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store an outgoing message:" << q.lastError().text();
        db.rollback();
        return std::nullopt;
    }
    m.id = q.lastInsertId().toLongLong();
    q.finish();
    if (!writeSealedBody(m.id, peer, body) || !db.commit()) {
        db.rollback();
        return std::nullopt;
    }
    Q_EMIT messageAdded(m);
    return m;
}

std::optional<StoredMessage> MessageStore::addIncoming(const QString &peerJid, const QString &resource,
                                                       const QString &thread, const QString &body,
                                                       const QString &stanzaId, const QDateTime &timestamp,
                                                       bool encrypted, MessageState state,
                                                       bool arrivedUnencrypted)
{
    const QString peer = keyOf(peerJid);
    StoredMessage m;
    m.peer = peer;
    m.resource = resource;
    m.thread = thread;
    m.direction = MessageDirection::Incoming;
    m.body = body;
    m.timestamp = timestamp.isValid() ? timestamp.toUTC() : QDateTime::currentDateTimeUtc();
    m.state = state;
    m.stanzaId = stanzaId;
    m.read = false;
    m.encrypted = encrypted;
    m.arrivedUnencrypted = arrivedUnencrypted && !encrypted;

    QSqlDatabase db = m_database->connection();
    if (!db.transaction()) {
        qCWarning(lcStorage) << "could not store an incoming message:" << db.lastError().text();
        return std::nullopt;
    }
    QSqlQuery q(db);
    // A resend after a lost acknowledgement carries the same id: it is stored (and shown) once.
    q.prepare(QStringLiteral("INSERT OR IGNORE INTO messages (peer, resource, thread, direction, body, timestamp,"
                             " state, stanza_id, is_read, encrypted, body_sealed, arrived_unencrypted)"
                             " VALUES (?, ?, ?, 0, '', ?, ?, ?, 0, ?, x'', ?)"));
    q.addBindValue(peer);
    q.addBindValue(resource);
    q.addBindValue(thread);
    q.addBindValue(m.timestamp.toMSecsSinceEpoch());
    q.addBindValue(int(m.state));
    q.addBindValue(stanzaId.isEmpty() ? QVariant() : QVariant(stanzaId));
    q.addBindValue(encrypted);
    q.addBindValue(m.arrivedUnencrypted ? 1 : 0);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store an incoming message:" << q.lastError().text();
        db.rollback();
        return std::nullopt;
    }
    if (q.numRowsAffected() == 0) {
        q.finish();
        // A message first seen as undecryptable (its session fell out of step) and sent again in a
        // new session takes the place of its placeholder instead of being dropped as a duplicate.
        if (state == MessageState::Received && encrypted && !stanzaId.isEmpty()) {
            QSqlQuery find(m_database->connection());
            find.prepare(QStringLiteral("SELECT id, thread, timestamp FROM messages"
                                        " WHERE peer = ? AND stanza_id = ? AND direction = 0 AND state = ?"));
            find.addBindValue(peer);
            find.addBindValue(stanzaId);
            find.addBindValue(int(MessageState::Undecryptable));
            if (find.exec() && find.next()) {
                m.id = find.value(0).toLongLong();
                m.thread = find.value(1).toString();
                m.timestamp = QDateTime::fromMSecsSinceEpoch(find.value(2).toLongLong(), Qt::UTC);
                find.finish();
                QSqlQuery up(m_database->connection());
                up.prepare(QStringLiteral("UPDATE messages SET resource = ?, state = ?, encrypted = ?,"
                                          " is_read = 0 WHERE id = ?"));
                up.addBindValue(resource);
                up.addBindValue(int(MessageState::Received));
                up.addBindValue(encrypted);
                up.addBindValue(m.id);
                if (up.exec() && writeSealedBody(m.id, peer, body) && db.commit()) {
                    Q_EMIT messageReplaced(m);
                    Q_EMIT unreadChanged(peer, unreadCount(peer));
                    return m;
                }
                qCWarning(lcStorage) << "could not replace an undecryptable message:" << up.lastError().text();
            }
        }
        db.rollback();
        qCDebug(lcStorage) << "dropped a duplicate incoming message";
        return std::nullopt;
    }
    m.id = q.lastInsertId().toLongLong();
    q.finish();
    if (!writeSealedBody(m.id, peer, body) || !db.commit()) {
        db.rollback();
        return std::nullopt;
    }
    Q_EMIT messageAdded(m);
    Q_EMIT unreadChanged(peer, unreadCount(peer));
    return m;
}

QList<StoredMessage> MessageStore::history(const QString &peerJid, int limit, qint64 beforeId) const
{
    const QString peer = keyOf(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(selectColumns + QStringLiteral("WHERE peer = ? AND id < ? ORDER BY id DESC LIMIT ?"));
    q.addBindValue(peer);
    q.addBindValue(beforeId > 0 ? beforeId : std::numeric_limits<qint64>::max());
    q.addBindValue(limit);
    QList<StoredMessage> result;
    if (!q.exec()) {
        qCWarning(lcStorage) << "history query failed:" << q.lastError().text();
        return result;
    }
    while (q.next())
        result.prepend(fromQuery(q));
    return result;
}

QList<StoredMessage> MessageStore::pendingOutgoing() const
{
    QSqlQuery q(m_database->connection());
    q.prepare(selectColumns + QStringLiteral("WHERE direction = 1 AND state IN (?, ?) ORDER BY id"));
    q.addBindValue(int(MessageState::Queued));
    q.addBindValue(int(MessageState::Sending));
    QList<StoredMessage> result;
    QList<qint64> lost;
    if (q.exec()) {
        while (q.next()) {
            BodyStatus status = BodyStatus::Readable;
            StoredMessage m = fromQuery(q, &status);
            if (status == BodyStatus::Readable)
                result << std::move(m);
            else if (status == BodyStatus::Lost)
                lost << m.id;
        }
    }
    q.finish();
    // Listing the outbox is where a message that can never be sent is noticed; the change of state
    // reaches the views like any other.
    for (qint64 id : lost) {
        qCInfo(lcStorage) << "queued message" << id << "cannot be opened any more: marked failed";
        const_cast<MessageStore *>(this)->setState(id, MessageState::Failed);
    }
    return result;
}

std::optional<StoredMessage> MessageStore::message(qint64 id) const
{
    QSqlQuery q(m_database->connection());
    q.prepare(selectColumns + QStringLiteral("WHERE id = ?"));
    q.addBindValue(id);
    if (q.exec() && q.next())
        return fromQuery(q);
    return std::nullopt;
}

bool MessageStore::setState(qint64 id, MessageState state)
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("UPDATE messages SET state = ? WHERE id = ? AND state != ?"));
    q.addBindValue(int(state));
    q.addBindValue(id);
    q.addBindValue(int(state));
    if (!q.exec())
        return false;
    if (q.numRowsAffected() > 0)
        Q_EMIT messageStateChanged(id, state);
    return true;
}

void MessageStore::requeueInFlight()
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("UPDATE messages SET state = ? WHERE direction = 1 AND state = ?"));
    q.addBindValue(int(MessageState::Queued));
    q.addBindValue(int(MessageState::Sending));
    q.exec();
}

bool MessageStore::markDelivered(const QString &peerJid, const QString &stanzaId)
{
    const QString peer = keyOf(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT id FROM messages WHERE peer = ? AND stanza_id = ? AND direction = 1 AND state != ?"));
    q.addBindValue(peer);
    q.addBindValue(stanzaId);
    q.addBindValue(int(MessageState::Delivered));
    if (!q.exec() || !q.next())
        return false;
    return setState(q.value(0).toLongLong(), MessageState::Delivered);
}

int MessageStore::requeueUndelivered(const QString &peerJid, const QString &thread)
{
    const QString peer = keyOf(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT id FROM messages WHERE peer = ? AND thread = ? AND direction = 1 AND encrypted = 1"
                             " AND state IN (?, ?) ORDER BY id"));
    q.addBindValue(peer);
    q.addBindValue(thread);
    q.addBindValue(int(MessageState::Sending));
    q.addBindValue(int(MessageState::Sent));
    QList<qint64> ids;
    if (q.exec()) {
        while (q.next())
            ids << q.value(0).toLongLong();
    }
    for (qint64 id : ids)
        setState(id, MessageState::Queued);
    return int(ids.size());
}

namespace {

const QString WaitingEncrypted
    = QStringLiteral(" WHERE peer = ? AND direction = 1 AND encrypted = 1 AND state IN (%1, %2)")
          .arg(int(MessageState::Queued))
          .arg(int(MessageState::Sending));

} // namespace

int MessageStore::waitingEncryptedCount(const QString &peerJid) const
{
    const QString peer = keyOf(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM messages") + WaitingEncrypted);
    q.addBindValue(peer);
    return q.exec() && q.next() ? q.value(0).toInt() : 0;
}

int MessageStore::moveWaitingEncrypted(const QString &peerJid, const QString &thread)
{
    const QString peer = keyOf(peerJid);
    QSqlQuery q(m_database->connection());
    // Queued rows only: one being sent belongs to the session it was handed to; if that session ends before the
    // contact confirmed it, requeueUndelivered() puts it back in the queue and it moves on from there.
    q.prepare(QStringLiteral("UPDATE messages SET thread = ? WHERE peer = ? AND direction = 1 AND encrypted = 1"
                             " AND state = ?"));
    q.addBindValue(thread);
    q.addBindValue(peer);
    q.addBindValue(int(MessageState::Queued));
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not move waiting messages:" << q.lastError().text();
        return 0;
    }
    return q.numRowsAffected();
}

int MessageStore::releaseWaitingEncrypted(const QString &peerJid, const QString &thread)
{
    const QString peer = keyOf(peerJid);
    QSqlQuery find(m_database->connection());
    find.prepare(QStringLiteral("SELECT id FROM messages") + WaitingEncrypted);
    find.addBindValue(peer);
    QList<qint64> ids;
    if (find.exec()) {
        while (find.next())
            ids << find.value(0).toLongLong();
    }
    find.finish();
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("UPDATE messages SET thread = ?, encrypted = 0, state = ?") + WaitingEncrypted);
    q.addBindValue(thread);
    q.addBindValue(int(MessageState::Queued));
    q.addBindValue(peer);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not release waiting messages:" << q.lastError().text();
        return 0;
    }
    for (qint64 id : std::as_const(ids))
        Q_EMIT messageStateChanged(id, MessageState::Queued);
    return int(ids.size());
}

int MessageStore::holdQueuedPlain(const QString &peerJid)
{
    const QString peer = keyOf(peerJid);
    QSqlQuery find(m_database->connection());
    find.prepare(QStringLiteral("SELECT id FROM messages WHERE peer = ? AND direction = 1 AND encrypted = 0 AND state = ?"));
    find.addBindValue(peer);
    find.addBindValue(int(MessageState::Queued));
    QList<qint64> ids;
    if (find.exec()) {
        while (find.next())
            ids << find.value(0).toLongLong();
    }
    find.finish();
    for (qint64 id : std::as_const(ids)) {
        QSqlQuery q(m_database->connection());
        q.prepare(QStringLiteral("UPDATE messages SET encrypted = 1 WHERE id = ? AND state = ?"));
        q.addBindValue(id);
        q.addBindValue(int(MessageState::Queued));
        if (q.exec())
            Q_EMIT messageStateChanged(id, MessageState::Queued);
    }
    return int(ids.size());
}

QStringList MessageStore::peersWithWaitingEncrypted() const
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT DISTINCT peer FROM messages WHERE direction = 1 AND encrypted = 1"
                             " AND state IN (?, ?)"));
    q.addBindValue(int(MessageState::Queued));
    q.addBindValue(int(MessageState::Sending));
    QStringList peers;
    if (q.exec()) {
        while (q.next())
            peers << q.value(0).toString();
    }
    return peers;
}

int MessageStore::unreadCount(const QString &peerJid) const
{
    const QString peer = keyOf(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM messages WHERE peer = ? AND direction = 0 AND is_read = 0"));
    q.addBindValue(peer);
    return q.exec() && q.next() ? q.value(0).toInt() : 0;
}

void MessageStore::markRead(const QString &peerJid)
{
    const QString peer = keyOf(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("UPDATE messages SET is_read = 1 WHERE peer = ? AND is_read = 0"));
    q.addBindValue(peer);
    if (q.exec() && q.numRowsAffected() > 0)
        Q_EMIT unreadChanged(peer, 0);
}

QStringList MessageStore::peers() const
{
    QSqlQuery q(m_database->connection());
    QStringList result;
    if (q.exec(QStringLiteral("SELECT peer FROM messages GROUP BY peer ORDER BY MAX(id) DESC"))) {
        while (q.next())
            result << q.value(0).toString();
    }
    return result;
}
