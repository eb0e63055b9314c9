#include "CredentialStore.h"

#include <QAtomicInt>
#include <QDateTime>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "KeyVault.h"
#include "Logging.h"
#include "crypto/Aead.h"

namespace {

QAtomicInt s_probeCounter;

QByteArray associatedData(const QString &jid)
{
    return "credentials:" + jid.toUtf8();
}

} // namespace

CredentialStore::CredentialStore(Database *database, const KeyVault *vault, QObject *parent)
    : QObject(parent)
    , m_database(database)
    , m_vault(vault)
{
}

bool CredentialStore::isAvailable() const
{
    return m_vault && m_vault->isUnlocked();
}

bool CredentialStore::setPassword(const QString &jid, const QString &password)
{
    if (!isAvailable() || jid.isEmpty())
        return false;
    QByteArray plain = password.toUtf8();
    const auto sealed = Crypto::sealRecord(m_vault->masterKey(), associatedData(jid), plain);
    plain.fill('\0');
    if (!sealed) {
        qCWarning(lcStorage) << "could not seal a password";
        return false;
    }
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO credentials (jid, sealed, updated) VALUES (?, ?, ?)"));
    q.addBindValue(jid);
    q.addBindValue(*sealed);
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store a sealed password:" << q.lastError().text();
        return false;
    }
    Q_EMIT changed(jid);
    return true;
}

std::optional<QString> CredentialStore::password(const QString &jid) const
{
    if (!isAvailable())
        return std::nullopt;
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT sealed FROM credentials WHERE jid = ?"));
    q.addBindValue(jid);
    if (!q.exec() || !q.next())
        return std::nullopt;
    auto plain = Crypto::openRecord(m_vault->masterKey(), associatedData(jid), q.value(0).toByteArray());
    if (!plain) {
        qCWarning(lcStorage) << "a remembered password did not open";
        return std::nullopt;
    }
    QString password = QString::fromUtf8(*plain);
    plain->fill('\0');
    return password;
}

bool CredentialStore::contains(const QString &jid) const
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT 1 FROM credentials WHERE jid = ?"));
    q.addBindValue(jid);
    return q.exec() && q.next();
}

bool CredentialStore::forget(const QString &jid)
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("DELETE FROM credentials WHERE jid = ?"));
    q.addBindValue(jid);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not forget a password:" << q.lastError().text();
        return false;
    }
    if (q.numRowsAffected() == 0)
        return false;
    Q_EMIT changed(jid);
    return true;
}

bool CredentialStore::isRememberedIn(const QString &databaseFile, const QString &jid)
{
    // Opening a missing file would create it.
    if (!QFileInfo(databaseFile).isFile())
        return false;
    const QString name = QStringLiteral("sotto-credential-probe-%1").arg(s_probeCounter.fetchAndAddRelaxed(1));
    bool found = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(databaseFile);
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("SELECT 1 FROM credentials WHERE jid = ?"));
            q.addBindValue(jid);
            // An older schema has no credentials table: the query fails, nothing is remembered.
            found = q.exec() && q.next();
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return found;
}
