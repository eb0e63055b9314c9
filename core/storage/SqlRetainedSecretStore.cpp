#include "SqlRetainedSecretStore.h"

#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "KeyVault.h"
#include "Logging.h"
#include "crypto/Aead.h"
#include "crypto/Crypto.h"
#include "esession/FormNormalizer.h"

using Esession::RetainedSecret;

// JIDs (security review L3). A contact's secrets are found under its JID as XMPP compares it,
// Esession::normalizedBareJid() (no case, no resource), the one helper the engine and the memory store use too.
// New rows are written under that form. Rows written by earlier versions carry the JID as it was given, possibly in
// another case, and their ciphertext is bound to that spelling (associatedData()), so normalising the column would
// mean opening and sealing every row again, with the vault unlocked, in a migration. Instead a lookup by JID reads the
// small columns of every row and compares normalizedBareJid() of both sides here (SQLite's lower() folds ASCII only,
// so it cannot be the comparison): the table holds one row per client of a contact, a scan of it costs what the
// index lookup did, and only the matching rows are opened. Old rows move to the normalised JID as their chains go on
// (replace() files the new secret under it and destroys the used row).

namespace {

QString keyOf(const QString &jid)
{
    return Esession::normalizedBareJid(jid);
}

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
    const QString key = keyOf(bareJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT id, peer, sealed, verified FROM retained_secrets ORDER BY id"));
    if (!q.exec())
        return result;
    while (q.next()) {
        const QString peer = q.value(1).toString();
        if (keyOf(peer) != key)
            continue;
        const qint64 id = q.value(0).toLongLong();
        if (auto secret = open(id, peer, q.value(2).toByteArray()))
            result << RetainedSecret{id, std::move(*secret), q.value(3).toBool()};
    }
    return result;
}

std::optional<qint64> SqlRetainedSecretStore::replace(const QString &bareJid, std::optional<qint64> usedId,
                                                      const QByteArray &newSecret)
{
    return fileSecret(bareJid, bareJid, usedId, true, newSecret);
}

std::optional<qint64> SqlRetainedSecretStore::fileSecret(const QString &bareJid, const QString &usedJid,
                                                         std::optional<qint64> usedId, bool keepVerified,
                                                         const QByteArray &newSecret)
{
    if (!isAvailable())
        return std::nullopt;
    const QString key = keyOf(bareJid);
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
    bool usedFound = false;
    QString usedPeer; // the used row's JID as stored
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (usedId) {
        QSqlQuery used(db);
        used.prepare(QStringLiteral("SELECT peer, verified, verified_at, sessions FROM retained_secrets WHERE id = ?"));
        used.addBindValue(*usedId);
        if (!used.exec())
            return rollback(used);
        if (used.next() && keyOf(used.value(0).toString()) == keyOf(usedJid)) {
            usedFound = true;
            usedPeer = used.value(0).toString();
            // "Verified" stays with its JID: never inherited from a row of another contact (adopt()).
            if (keepVerified) {
                verified = used.value(1).toBool();
                verifiedAt = used.value(2);
            }
            sessions = used.value(3).toInt() + 1;
            lastUsed = now;
        }
        used.finish();
        if (usedFound) {
            // XEP-0116/0217: the shared retained secret MUST be destroyed once replaced.
            QSqlQuery drop(db);
            drop.prepare(QStringLiteral("DELETE FROM retained_secrets WHERE id = ?"));
            drop.addBindValue(*usedId);
            if (!drop.exec())
                return rollback(drop);
        }
    }
    // The row id is part of the associated data, so the row exists before its ciphertext does.
    QSqlQuery insert(db);
    insert.prepare(QStringLiteral("INSERT INTO retained_secrets (peer, sealed, created, last_used, sessions, verified,"
                                  " verified_at) VALUES (?, x'', ?, ?, ?, ?, ?)"));
    insert.addBindValue(key);
    insert.addBindValue(now);
    insert.addBindValue(lastUsed);
    insert.addBindValue(sessions);
    insert.addBindValue(verified);
    insert.addBindValue(verifiedAt);
    if (!insert.exec())
        return rollback(insert);
    const qint64 id = insert.lastInsertId().toLongLong();
    const auto sealed = Crypto::sealRecord(m_vault->masterKey(), associatedData(id, key), newSecret);
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
    if (usedFound && keyOf(usedPeer) != key)
        Q_EMIT changed(usedPeer);
    Q_EMIT changed(key);
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
        // Listed under the normalised JID also when the row was written under another case (it opens with that).
        if (auto secret = open(id, peer, q.value(2).toByteArray()))
            result << Esession::FiledRetainedSecret{keyOf(peer), RetainedSecret{id, std::move(*secret), q.value(3).toBool()}};
    }
    return result;
}

std::optional<qint64> SqlRetainedSecretStore::adopt(const QString &bareJid, const QString &formerBareJid, qint64 usedId,
                                                    const QByteArray &newSecret)
{
    if (keyOf(formerBareJid) == keyOf(bareJid))
        return replace(bareJid, usedId, newSecret);
    // The used row is destroyed under the former JID; the new secret is filed under the JID the contact uses now with
    // the chain's history (sessions) but unverified: "verified" never moves to another JID (security review L4).
    return fileSecret(bareJid, formerBareJid, usedId, false, newSecret);
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
        Q_EMIT changed(keyOf(bareJid));
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
    const QString key = keyOf(bareJid);
    QSqlDatabase db = m_database->connection();
    QList<qint64> ids;
    {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT id, peer FROM retained_secrets")))
            return;
        while (q.next()) {
            if (keyOf(q.value(1).toString()) == key)
                ids << q.value(0).toLongLong();
        }
    }
    if (ids.isEmpty() || !db.transaction())
        return;
    for (const qint64 id : std::as_const(ids)) {
        QSqlQuery drop(db);
        drop.prepare(QStringLiteral("DELETE FROM retained_secrets WHERE id = ?"));
        drop.addBindValue(id);
        if (!drop.exec()) {
            qCWarning(lcStorage) << "could not forget a retained secret:" << drop.lastError().text();
            db.rollback();
            return;
        }
    }
    if (db.commit())
        Q_EMIT changed(key);
}

QList<SqlRetainedSecretStore::Info> SqlRetainedSecretStore::info(const QString &bareJid) const
{
    QList<Info> result;
    QSqlQuery q(m_database->connection());
    const QString columns = QStringLiteral("SELECT id, peer, sealed, created, last_used, sessions, verified, verified_at"
                                           " FROM retained_secrets");
    const QString key = keyOf(bareJid);
    q.prepare(columns + (bareJid.isEmpty() ? QStringLiteral(" ORDER BY peer, id") : QStringLiteral(" ORDER BY id")));
    if (!q.exec())
        return result;
    while (q.next()) {
        if (!bareJid.isEmpty() && keyOf(q.value(1).toString()) != key)
            continue;
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
    const QString key = keyOf(bareJid);
    QSqlQuery q(m_database->connection());
    if (!q.exec(QStringLiteral("SELECT id, peer, sas FROM retained_secrets ORDER BY id DESC")))
        return false;
    bool found = false;
    while (!found && q.next())
        found = keyOf(q.value(1).toString()) == key;
    if (!found || q.value(2).toString() != sas)
        return false;
    const qint64 id = q.value(0).toLongLong();
    q.finish();
    QSqlQuery update(m_database->connection());
    update.prepare(QStringLiteral("UPDATE retained_secrets SET verified = 1, verified_at = ? WHERE id = ?"));
    update.addBindValue(QDateTime::currentMSecsSinceEpoch());
    update.addBindValue(id);
    if (!update.exec())
        return false;
    Q_EMIT changed(key);
    return true;
}
