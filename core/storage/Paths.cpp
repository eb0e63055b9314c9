#include "Paths.h"

#include <QDir>
#include <QStandardPaths>

namespace Paths {

QString accountDataDir(const QString &bareJid, const QString &overrideDir)
{
    if (!overrideDir.isEmpty())
        return QDir(overrideDir).absolutePath();
    QString safe = bareJid.toLower();
    // A JID may not contain '/' in its bare part, but keep path separators out whatever arrives.
    safe.replace(u'/', u'_');
    safe.replace(u'\\', u'_');
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(base).filePath(QStringLiteral("sotto/accounts/") + safe);
}

QString databaseFile(const QString &accountDir)
{
    return QDir(accountDir).filePath(QStringLiteral("sotto.sqlite"));
}

QString vaultFile(const QString &accountDir)
{
    return QDir(accountDir).filePath(QStringLiteral("vault.json"));
}

} // namespace Paths
