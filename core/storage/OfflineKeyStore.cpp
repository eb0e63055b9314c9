#include "OfflineKeyStore.h"

#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "KeyVault.h"
#include "Logging.h"
#include "crypto/Aead.h"

namespace {

QByteArray associatedData(qint64 id, const QString &peer)
{
    return "offline_keys:" + QByteArray::number(id) + ':' + peer.toUtf8();
}

QDateTime fromMs(const QVariant &value)
{
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

} // namespace

OfflineKeyStore::OfflineKeyStore(Database *database, const KeyVault *vault, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_vault(vault)
{
}

bool OfflineKeyStore::isAvailable() const
{
    return m_vault && m_vault->isUnlocked();
}

std::optional<qint64> OfflineKeyStore::add(const QString &peer, int modp, const QByteArray &publicValue,
    const QByteArray &privateValue, const QDateTime &expires)
{
    if (!isAvailable() || privateValue.isEmpty() || !expires.isValid())
        return std::nullopt;
    QSqlDatabase db = m_database->connection();
    if (!db.transaction())
        return std::nullopt;
    // The row id is part of the associated data: the row exists before its ciphertext does, both in one
    // transaction.
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO offline_keys (peer, modp, public_value, sealed_private, created, expires)"
                             " VALUES (?, ?, ?, x'', ?, ?)"));
    q.addBindValue(peer);
    q.addBindValue(modp);
    q.addBindValue(publicValue);
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    q.addBindValue(expires.toMSecsSinceEpoch());
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store an offline key:" << q.lastError().text();
        db.rollback();
        return std::nullopt;
    }
    const qint64 id = q.lastInsertId().toLongLong();
    q.finish();
    const auto sealed = Crypto::sealRecord(m_vault->masterKey(), associatedData(id, peer), privateValue);
    if (!sealed) {
        db.rollback();
        return std::nullopt;
    }
    QSqlQuery update(db);
    update.prepare(QStringLiteral("UPDATE offline_keys SET sealed_private = ? WHERE id = ?"));
    update.addBindValue(*sealed);
    update.addBindValue(id);
    if (!update.exec() || !db.commit()) {
        qCWarning(lcStorage) << "could not store an offline key:" << update.lastError().text();
        db.rollback();
        return std::nullopt;
    }
    return id;
}

QList<OfflineKeyStore::Entry> OfflineKeyStore::entries(const QString &peer) const
{
    QList<Entry> result;
    QSqlQuery q(m_database->connection());
    q.prepare(
        QStringLiteral("SELECT id, modp, public_value, created, expires FROM offline_keys WHERE peer = ? ORDER BY id"));
    q.addBindValue(peer);
    if (!q.exec())
        return result;
    while (q.next())
        result << Entry { q.value(0).toLongLong(), peer, q.value(1).toInt(), q.value(2).toByteArray(),
            fromMs(q.value(3)), fromMs(q.value(4)) };
    return result;
}

std::optional<QByteArray> OfflineKeyStore::take(qint64 id, const QString &peer, const QDateTime &now)
{
    // Locked: the key stays for when the vault opens.
    if (!isAvailable())
        return std::nullopt;
    QSqlDatabase db = m_database->connection();
    if (!db.transaction())
        return std::nullopt;
    QByteArray sealed;
    qint64 expires = 0;
    {
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT sealed_private, expires FROM offline_keys WHERE id = ? AND peer = ?"));
        q.addBindValue(id);
        q.addBindValue(peer);
        if (!q.exec() || !q.next()) {
            db.rollback();
            return std::nullopt;
        }
        sealed = q.value(0).toByteArray();
        expires = q.value(1).toLongLong();
    }
    QSqlQuery drop(db);
    drop.prepare(QStringLiteral("DELETE FROM offline_keys WHERE id = ?"));
    drop.addBindValue(id);
    if (!drop.exec() || drop.numRowsAffected() != 1) {
        qCWarning(lcStorage) << "could not delete an offline key:" << drop.lastError().text();
        db.rollback();
        return std::nullopt;
    }
    drop.finish();
    std::optional<QByteArray> key;
    if (expires > now.toMSecsSinceEpoch()) {
        key = Crypto::openRecord(m_vault->masterKey(), associatedData(id, peer), sealed);
        if (!key)
            qCWarning(lcStorage) << "offline key" << id << "did not open: deleted";
    }
    // Only a deletion that is committed hands the key out: one use, even across a crash.
    if (!db.commit()) {
        db.rollback();
        if (key)
            key->fill('\0');
        return std::nullopt;
    }
    return key;
}

int OfflineKeyStore::purgeExpired(const QDateTime &now)
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("DELETE FROM offline_keys WHERE expires <= ?"));
    q.addBindValue(now.toMSecsSinceEpoch());
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not purge expired offline keys:" << q.lastError().text();
        return 0;
    }
    return q.numRowsAffected();
}
