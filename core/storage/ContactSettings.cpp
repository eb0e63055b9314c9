#include "ContactSettings.h"

#include <QSqlError>
#include <QSqlQuery>

#include "Database.h"
#include "Logging.h"

ContactSettings::ContactSettings(Database *database, QObject *parent)
    : QObject(parent)
    , m_database(database)
{
}

SessionPolicy ContactSettings::sessionPolicy(const QString &peerBareJid) const
{
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

bool ContactSettings::setSessionPolicy(const QString &peerBareJid, SessionPolicy policy)
{
    QSqlQuery q(m_database->connection());
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
