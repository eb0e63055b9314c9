#include "ConversationStateStore.h"

#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "Logging.h"
#include "esession/FormNormalizer.h"

ConversationStateStore::ConversationStateStore(Database *database)
    : m_database(database)
{
}

std::optional<ConversationState> ConversationStateStore::load(const QString &peerBareJid) const
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT encrypt, thread, failure FROM conversation_security WHERE peer = ?"));
    q.addBindValue(Esession::normalizedBareJid(peerBareJid));
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not read a conversation's security state:" << q.lastError().text();
        return std::nullopt;
    }
    ConversationState state;
    if (q.next()) {
        // Anything but 0 reads as "encrypt": a value a newer version wrote is taken the cautious way.
        state.encrypt = q.value(0).toInt() != 0;
        state.thread = q.value(1).toString();
        state.failure = q.value(2).toString();
    }
    return state;
}

bool ConversationStateStore::save(const QString &peerBareJid, const ConversationState &state)
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("INSERT INTO conversation_security (peer, encrypt, thread, failure) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT (peer) DO UPDATE SET encrypt = excluded.encrypt,"
                             " thread = excluded.thread, failure = excluded.failure"));
    q.addBindValue(Esession::normalizedBareJid(peerBareJid));
    q.addBindValue(state.encrypt ? 1 : 0);
    // A null QString binds as NULL: empty text instead.
    q.addBindValue(state.thread.isNull() ? QStringLiteral("") : state.thread);
    q.addBindValue(state.failure.isNull() ? QStringLiteral("") : state.failure);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store a conversation's security state:" << q.lastError().text();
        return false;
    }
    return true;
}
