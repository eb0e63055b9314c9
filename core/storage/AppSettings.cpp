#include "AppSettings.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include "Database.h"
#include "Logging.h"
#include "esession/EsessionHandshake.h"

AppSettings::AppSettings(Database *database, QObject *parent)
    : QObject(parent)
    , m_database(database)
{
}

std::optional<QString> AppSettings::value(const QString &key) const
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("SELECT value FROM settings WHERE key = ?"));
    q.addBindValue(key);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not read a setting:" << q.lastError().text();
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return q.value(0).toString();
}

bool AppSettings::setValue(const QString &key, const QString &value)
{
    QSqlQuery q(m_database->connection());
    q.prepare(QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    q.addBindValue(key);
    // The column is NOT NULL: a null QString would be bound as SQL NULL, so store it as empty text.
    q.addBindValue(value.isNull() ? QStringLiteral("") : value);
    if (!q.exec()) {
        qCWarning(lcStorage) << "could not store a setting:" << q.lastError().text();
        return false;
    }
    Q_EMIT changed(key);
    return true;
}

QList<Crypto::ModpGroup> AppSettings::preferredGroups() const
{
    if (const std::optional<QString> stored = value(PreferredGroupsKey)) {
        if (const auto groups = parseGroups(*stored))
            return *groups;
        // Written by a newer version or damaged: the defaults are safe, the floor still holds.
        qCWarning(lcStorage) << "ignoring an unusable preferred-groups setting";
    }
    return Esession::EsessionPolicy().groups;
}

bool AppSettings::setPreferredGroups(const QList<Crypto::ModpGroup> &groups)
{
    const QString text = formatGroups(groups);
    // Round-trip through the parser so that exactly what it accepts is stored.
    if (!parseGroups(text))
        return false;
    return setValue(PreferredGroupsKey, text);
}

std::optional<QList<Crypto::ModpGroup>> AppSettings::parseGroups(const QString &text)
{
    const int floorBits = Crypto::modpPrimeBits(Esession::EsessionPolicy().minimumGroup);
    QList<Crypto::ModpGroup> groups;
    const QStringList parts = text.split(u',');
    for (const QString &part : parts) {
        const std::optional<Crypto::ModpGroup> group = Crypto::modpGroupFromFieldValue(part.trimmed());
        if (!group || Crypto::modpPrimeBits(*group) < floorBits)
            return std::nullopt;
        if (!groups.contains(*group))
            groups << *group;
    }
    if (groups.isEmpty())
        return std::nullopt;
    return groups;
}

QString AppSettings::formatGroups(const QList<Crypto::ModpGroup> &groups)
{
    QStringList numbers;
    for (const Crypto::ModpGroup group : groups)
        numbers << Crypto::modpFieldValue(group);
    return numbers.join(u',');
}
