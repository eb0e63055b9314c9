#include "ContactSettings.h"

#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "Logging.h"
#include "esession/FormNormalizer.h"

ContactSettings::ContactSettings(Database *database, QObject *parent)
    : QObject(parent)
    , m_database(database)
{
}

SessionPolicy ContactSettings::sessionPolicy(const QString &peerJid) const
{
    const QString peerBareJid = Esession::normalizedBareJid(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT esession_policy FROM contact_settings WHERE peer = ?"));
    q.addBindValue(peerBareJid);
    if (!q.exec() || !q.next())
        return DefaultPolicy;
    switch (q.value(0).toInt()) {
    case int(SessionPolicy::Off):
        return SessionPolicy::Off;
    case int(SessionPolicy::Always):
        return SessionPolicy::Always;
    case int(SessionPolicy::Ask):
        return SessionPolicy::Ask;
    }
    // A value this version does not know (a newer one wrote it): the cautious reading.
    return SessionPolicy::Always;
}

bool ContactSettings::setSessionPolicy(const QString &peerJid, SessionPolicy policy)
{
    const QString peerBareJid = Esession::normalizedBareJid(peerJid);
    QSqlQuery q(m_database->connection());
    // A new row gets the default compatibility (off) from the column's default.
    q.prepare(QStringLiteral("INSERT INTO contact_settings (peer, esession_policy) VALUES (?, ?)"
                             " ON CONFLICT (peer) DO UPDATE SET esession_policy = excluded.esession_policy"));
    q.addBindValue(peerBareJid);
    q.addBindValue(int(policy));
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store a contact setting:" << q.lastError().text();
        return false;
    }
    Q_EMIT sessionPolicyChanged(peerBareJid, policy);
    return true;
}

bool ContactSettings::weakSasAllowed(const QString &peerJid) const
{
    const QString peerBareJid = Esession::normalizedBareJid(peerJid);
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT allow_sas28x5 FROM contact_settings WHERE peer = ?"));
    q.addBindValue(peerBareJid);
    // No row, or a query that fails: the committed code only.
    if (!q.exec() || !q.next())
        return false;
    // Only 1 allows it: a value this version does not know (a newer one wrote it) reads the cautious way.
    return q.value(0).toInt() == 1;
}

bool ContactSettings::setWeakSasAllowed(const QString &peerJid, bool allowed)
{
    const QString peerBareJid = Esession::normalizedBareJid(peerJid);
    QSqlQuery q(m_database->connection());
    // A new row keeps the default policy for the contact: the switch says nothing about whether to encrypt.
    q.prepare(QStringLiteral("INSERT INTO contact_settings (peer, esession_policy, allow_sas28x5) VALUES (?, ?, ?)"
                             " ON CONFLICT (peer) DO UPDATE SET allow_sas28x5 = excluded.allow_sas28x5"));
    q.addBindValue(peerBareJid);
    q.addBindValue(int(DefaultPolicy));
    q.addBindValue(allowed ? 1 : 0);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store a contact setting:" << q.lastError().text();
        return false;
    }
    Q_EMIT weakSasAllowedChanged(peerBareJid, allowed);
    return true;
}
