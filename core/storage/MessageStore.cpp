#include "MessageStore.h"

#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "Logging.h"

namespace {

const QString selectColumns = QStringLiteral(
    "SELECT id, peer, resource, thread, direction, body, timestamp, state, stanza_id, is_read, encrypted FROM messages ");

StoredMessage fromQuery(const QSqlQuery &q)
{
    StoredMessage m;
    m.id = q.value(0).toLongLong();
    m.peer = q.value(1).toString();
    m.resource = q.value(2).toString();
    m.thread = q.value(3).toString();
    m.direction = MessageDirection(q.value(4).toInt());
    m.body = q.value(5).toString();
    m.timestamp = QDateTime::fromMSecsSinceEpoch(q.value(6).toLongLong(), Qt::UTC);
    m.state = MessageState(q.value(7).toInt());
    m.stanzaId = q.value(8).toString();
    m.read = q.value(9).toBool();
    m.encrypted = q.value(10).toBool();
    return m;
}

} // namespace

MessageStore::MessageStore(Database *database, QObject *parent)
    : QObject(parent)
    , m_database(database)
{
    qRegisterMetaType<StoredMessage>();
}

std::optional<StoredMessage> MessageStore::addOutgoing(const QString &peer, const QString &thread,
                                                       const QString &body, const QString &stanzaId, bool encrypted)
{
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

    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("INSERT INTO messages (peer, resource, thread, direction, body, timestamp, state,"
                             " stanza_id, is_read, encrypted) VALUES (?, '', ?, 1, ?, ?, ?, ?, 1, ?)"));
    q.addBindValue(peer);
    q.addBindValue(thread);
    q.addBindValue(body);
    q.addBindValue(m.timestamp.toMSecsSinceEpoch());
    q.addBindValue(int(m.state));
    q.addBindValue(stanzaId);
    q.addBindValue(encrypted);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store an outgoing message:" << q.lastError().text();
        return std::nullopt;
    }
    m.id = q.lastInsertId().toLongLong();
    Q_EMIT messageAdded(m);
    return m;
}

std::optional<StoredMessage> MessageStore::addIncoming(const QString &peer, const QString &resource,
                                                       const QString &thread, const QString &body,
                                                       const QString &stanzaId, const QDateTime &timestamp,
                                                       bool encrypted, MessageState state)
{
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

    QSqlQuery q(m_database->connection());
    // A resend after a lost acknowledgement carries the same id: it is stored (and shown) once.
    q.prepare(QStringLiteral("INSERT OR IGNORE INTO messages (peer, resource, thread, direction, body, timestamp,"
                             " state, stanza_id, is_read, encrypted) VALUES (?, ?, ?, 0, ?, ?, ?, ?, 0, ?)"));
    q.addBindValue(peer);
    q.addBindValue(resource);
    q.addBindValue(thread);
    q.addBindValue(body);
    q.addBindValue(m.timestamp.toMSecsSinceEpoch());
    q.addBindValue(int(m.state));
    q.addBindValue(stanzaId.isEmpty() ? QVariant() : QVariant(stanzaId));
    q.addBindValue(encrypted);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store an incoming message:" << q.lastError().text();
        return std::nullopt;
    }
    if (q.numRowsAffected() == 0) {
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
                up.prepare(QStringLiteral("UPDATE messages SET body = ?, resource = ?, state = ?, encrypted = ?,"
                                          " is_read = 0 WHERE id = ?"));
                up.addBindValue(body);
                up.addBindValue(resource);
                up.addBindValue(int(MessageState::Received));
                up.addBindValue(encrypted);
                up.addBindValue(m.id);
                if (up.exec()) {
                    Q_EMIT messageReplaced(m);
                    Q_EMIT unreadChanged(peer, unreadCount(peer));
                    return m;
                }
                qCWarning(lcStorage) << "could not replace an undecryptable message:" << up.lastError().text();
            }
        }
        qCDebug(lcStorage) << "dropped a duplicate incoming message";
        return std::nullopt;
    }
    m.id = q.lastInsertId().toLongLong();
    Q_EMIT messageAdded(m);
    Q_EMIT unreadChanged(peer, unreadCount(peer));
    return m;
}

QList<StoredMessage> MessageStore::history(const QString &peer, int limit, qint64 beforeId) const
{
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
    if (q.exec()) {
        while (q.next())
            result << fromQuery(q);
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

bool MessageStore::markDelivered(const QString &peer, const QString &stanzaId)
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT id FROM messages WHERE peer = ? AND stanza_id = ? AND direction = 1 AND state != ?"));
    q.addBindValue(peer);
    q.addBindValue(stanzaId);
    q.addBindValue(int(MessageState::Delivered));
    if (!q.exec() || !q.next())
        return false;
    return setState(q.value(0).toLongLong(), MessageState::Delivered);
}

int MessageStore::requeueUndelivered(const QString &peer, const QString &thread)
{
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

int MessageStore::unreadCount(const QString &peer) const
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM messages WHERE peer = ? AND direction = 0 AND is_read = 0"));
    q.addBindValue(peer);
    return q.exec() && q.next() ? q.value(0).toInt() : 0;
}

void MessageStore::markRead(const QString &peer)
{
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
