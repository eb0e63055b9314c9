#include "SqlRetainedSecretStore.h"

#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "KeyVault.h"
#include "Logging.h"
#include "crypto/Aead.h"
#include "crypto/Crypto.h"

using Esession::RetainedSecret;

namespace {

QByteArray associatedData(qint64 id, const QString &peer)
{
    return "retained_secrets:" + QByteArray::number(id) + ':' + peer.toUtf8();
}

QDateTime fromMs(const QVariant &value)
{
    return value.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

} // namespace

SqlRetainedSecretStore::SqlRetainedSecretStore(Database *database, const KeyVault *vault, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_vault(vault)
{
}

bool SqlRetainedSecretStore::isAvailable() const
{
    return m_vault && m_vault->isUnlocked();
}

std::optional<QByteArray> SqlRetainedSecretStore::open(qint64 id, const QString &peer, const QByteArray &sealed) const
{
    auto secret = Crypto::openRecord(m_vault->masterKey(), associatedData(id, peer), sealed);
    if (!secret) {
        qCWarning(lcStorage) << "a retained secret did not open (row" << id << ")";
        Q_EMIT const_cast<SqlRetainedSecretStore *>(this)->unreadableSecret(id, peer);
    }
    return secret;
}

QList<RetainedSecret> SqlRetainedSecretStore::secrets(const QString &bareJid) const
{
    QList<RetainedSecret> result;
    if (!isAvailable())
        return result;
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT id, sealed, verified FROM retained_secrets WHERE peer = ? ORDER BY id"));
    q.addBindValue(bareJid);
    if (!q.exec())
        return result;
    while (q.next()) {
        const qint64 id = q.value(0).toLongLong();
        if (auto secret = open(id, bareJid, q.value(1).toByteArray()))
            result << RetainedSecret{id, std::move(*secret), q.value(2).toBool()};
    }
    return result;
}

std::optional<qint64> SqlRetainedSecretStore::replace(const QString &bareJid, std::optional<qint64> usedId,
                                                      const QByteArray &newSecret)
{
    if (!isAvailable())
        return std::nullopt;
    QSqlDatabase db = m_database->connection();
    if (!db.transaction())
        return std::nullopt;
    auto rollback = [&db](const QSqlQuery &q) {
        qCWarning(lcStorage) << "could not store a retained secret:" << q.lastError().text();
        db.rollback();
        return std::nullopt;
    };
    bool verified = false;
    QVariant verifiedAt;
    int sessions = 0;
    QVariant lastUsed;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (usedId) {
        QSqlQuery used(db);
        used.prepare(QStringLiteral("SELECT verified, verified_at, sessions FROM retained_secrets WHERE id = ? AND peer = ?"));
        used.addBindValue(*usedId);
        used.addBindValue(bareJid);
        if (!used.exec())
            return rollback(used);
        if (used.next()) {
            verified = used.value(0).toBool();
            verifiedAt = used.value(1);
            sessions = used.value(2).toInt() + 1;
            lastUsed = now;
        }
        used.finish();
        // XEP-0116/0217: the shared retained secret MUST be destroyed once replaced.
        QSqlQuery drop(db);
        drop.prepare(QStringLiteral("DELETE FROM retained_secrets WHERE id = ? AND peer = ?"));
        drop.addBindValue(*usedId);
        drop.addBindValue(bareJid);
        if (!drop.exec())
            return rollback(drop);
    }
    // The row id is part of the associated data, so the row exists before its ciphertext does.
    QSqlQuery insert(db);
    insert.prepare(QStringLiteral("INSERT INTO retained_secrets (peer, sealed, created, last_used, sessions, verified,"
                                  " verified_at) VALUES (?, x'', ?, ?, ?, ?, ?)"));
    insert.addBindValue(bareJid);
    insert.addBindValue(now);
    insert.addBindValue(lastUsed);
    insert.addBindValue(sessions);
    insert.addBindValue(verified);
    insert.addBindValue(verifiedAt);
    if (!insert.exec())
        return rollback(insert);
    const qint64 id = insert.lastInsertId().toLongLong();
    const auto sealed = Crypto::sealRecord(m_vault->masterKey(), associatedData(id, bareJid), newSecret);
    if (!sealed) {
        db.rollback();
        return std::nullopt;
    }
    QSqlQuery update(db);
    update.prepare(QStringLiteral("UPDATE retained_secrets SET sealed = ? WHERE id = ?"));
    update.addBindValue(*sealed);
    update.addBindValue(id);
    if (!update.exec())
        return rollback(update);
    if (!db.commit())
        return std::nullopt;
    Q_EMIT changed(bareJid);
    return id;
}

QList<Esession::FiledRetainedSecret> SqlRetainedSecretStore::allSecrets() const
{
    QList<Esession::FiledRetainedSecret> result;
    if (!isAvailable())
        return result;
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT id, peer, sealed, verified FROM retained_secrets ORDER BY peer, id"));
    if (!q.exec())
        return result;
    while (q.next()) {
        const qint64 id = q.value(0).toLongLong();
        const QString peer = q.value(1).toString();
        if (auto secret = open(id, peer, q.value(2).toByteArray()))
            result << Esession::FiledRetainedSecret{peer, RetainedSecret{id, std::move(*secret), q.value(3).toBool()}};
    }
    return result;
}

std::optional<qint64> SqlRetainedSecretStore::adopt(const QString &bareJid, const QString &formerBareJid, qint64 usedId,
                                                    const QByteArray &newSecret)
{
    if (!isAvailable())
        return std::nullopt;
    if (formerBareJid != bareJid) {
        // The used row moves to the JID the contact uses now (sealed again: the JID is part of its associated
        // data); replace() then destroys it there and passes its facts (verified, sessions) on to the new secret.
        QSqlQuery row(m_database->connection());
        row.prepare(QStringLiteral("SELECT sealed FROM retained_secrets WHERE id = ? AND peer = ?"));
        row.addBindValue(usedId);
        row.addBindValue(formerBareJid);
        if (!row.exec())
            return std::nullopt;
        if (row.next()) {
            std::optional<QByteArray> secret = open(usedId, formerBareJid, row.value(0).toByteArray());
            row.finish();
            const auto resealed = secret ? Crypto::sealRecord(m_vault->masterKey(), associatedData(usedId, bareJid), *secret)
                                         : std::nullopt;
            if (secret)
                secret->fill('\0');
            if (resealed) {
                QSqlQuery move(m_database->connection());
                move.prepare(QStringLiteral("UPDATE retained_secrets SET peer = ?, sealed = ? WHERE id = ? AND peer = ?"));
                move.addBindValue(bareJid);
                move.addBindValue(*resealed);
                move.addBindValue(usedId);
                move.addBindValue(formerBareJid);
                if (!move.exec())
                    qCWarning(lcStorage) << "could not move a retained secret:" << move.lastError().text();
                else
                    Q_EMIT changed(formerBareJid);
            }
        }
    }
    return replace(bareJid, usedId, newSecret);
}

bool SqlRetainedSecretStore::markVerified(const QString &bareJid, const QByteArray &secret)
{
    for (const RetainedSecret &candidate : secrets(bareJid)) {
        if (!Crypto::constantTimeEquals(candidate.secret, secret))
            continue;
        QSqlQuery q(m_database->connection());
        q.prepare(QStringLiteral("UPDATE retained_secrets SET verified = 1, verified_at = ? WHERE id = ?"));
        q.addBindValue(QDateTime::currentMSecsSinceEpoch());
        q.addBindValue(candidate.id);
        if (!q.exec())
            return false;
        Q_EMIT changed(bareJid);
        return true;
    }
    return false;
}

bool SqlRetainedSecretStore::changeRow(const QString &statement, qint64 id)
{
    // @p statement ends in "WHERE id = ? RETURNING peer": the contact whose secrets changed.
    QSqlQuery q(m_database->connection());
    q.prepare(statement);
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return false;
    const QString peer = q.value(0).toString();
    q.finish();
    Q_EMIT changed(peer);
    return true;
}

bool SqlRetainedSecretStore::markUnverified(qint64 id)
{
    return changeRow(QStringLiteral("UPDATE retained_secrets SET verified = 0, verified_at = NULL WHERE id = ? RETURNING peer"), id);
}

bool SqlRetainedSecretStore::forgetOne(qint64 id)
{
    return changeRow(QStringLiteral("DELETE FROM retained_secrets WHERE id = ? RETURNING peer"), id);
}

void SqlRetainedSecretStore::forget(const QString &bareJid)
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("DELETE FROM retained_secrets WHERE peer = ?"));
    q.addBindValue(bareJid);
    if (q.exec())
        Q_EMIT changed(bareJid);
}

QList<SqlRetainedSecretStore::Info> SqlRetainedSecretStore::info(const QString &bareJid) const
{
    QList<Info> result;
    QSqlQuery q(m_database->connection());
    const QString columns = QStringLiteral("SELECT id, peer, sealed, created, last_used, sessions, verified, verified_at"
                                           " FROM retained_secrets");
    if (bareJid.isEmpty()) {
        q.prepare(columns + QStringLiteral(" ORDER BY peer, id"));
    } else {
        q.prepare(columns + QStringLiteral(" WHERE peer = ? ORDER BY id"));
        q.addBindValue(bareJid);
    }
    if (!q.exec())
        return result;
    while (q.next()) {
        Info i;
        i.id = q.value(0).toLongLong();
        i.peer = q.value(1).toString();
        i.created = fromMs(q.value(3));
        i.lastUsed = fromMs(q.value(4));
        i.sessions = q.value(5).toInt();
        i.verified = q.value(6).toBool();
        i.verifiedAt = fromMs(q.value(7));
        if (isAvailable()) {
            auto secret = Crypto::openRecord(m_vault->masterKey(), associatedData(i.id, i.peer), q.value(2).toByteArray());
            i.readable = secret.has_value();
        }
        result << i;
    }
    return result;
}

bool SqlRetainedSecretStore::recordSas(const QString &bareJid, const QByteArray &secret, const QString &sas)
{
    for (const RetainedSecret &candidate : secrets(bareJid)) {
        if (!Crypto::constantTimeEquals(candidate.secret, secret))
            continue;
        QSqlQuery q(m_database->connection());
        q.prepare(QStringLiteral("UPDATE retained_secrets SET sas = ? WHERE id = ?"));
        q.addBindValue(sas);
        q.addBindValue(candidate.id);
        return q.exec();
    }
    return false;
}

bool SqlRetainedSecretStore::verifyLastSas(const QString &bareJid, const QString &sas)
{
    if (!isAvailable() || sas.isEmpty())
        return false;
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT id, sas FROM retained_secrets WHERE peer = ? ORDER BY id DESC LIMIT 1"));
    q.addBindValue(bareJid);
    if (!q.exec() || !q.next() || q.value(1).toString() != sas)
        return false;
    const qint64 id = q.value(0).toLongLong();
    q.finish();
    QSqlQuery update(m_database->connection());
    update.prepare(QStringLiteral("UPDATE retained_secrets SET verified = 1, verified_at = ? WHERE id = ?"));
    update.addBindValue(QDateTime::currentMSecsSinceEpoch());
    update.addBindValue(id);
    if (!update.exec())
        return false;
    Q_EMIT changed(bareJid);
    return true;
}
