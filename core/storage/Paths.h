#pragma once

#include <QString>

namespace Paths {

/// The directory holding one account's state (database, settings): under the XDG data directory,
/// one per account so that two accounts on one machine never share a database. @p overrideDir wins.
QString accountDataDir(const QString &bareJid, const QString &overrideDir = {});

/// The message database inside an account's data directory.
QString databaseFile(const QString &accountDir);

/// The description of the account's KeyVault (where its master key lives; never the key).
QString vaultFile(const QString &accountDir);

} // namespace Paths
