#pragma once

#include <QSqlDatabase>
#include <QString>

/// One SQLite database file (through Qt Sql) with versioned, transactional migrations.
///
/// The schema version lives in SQLite's `user_version`. Each migration runs in its own transaction
/// together with the version bump, so an interrupted upgrade leaves the previous version intact.
class Database
{
public:
    static constexpr int CurrentVersion = 9;

    explicit Database(QString path);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    /// Opens the file and migrates it to CurrentVersion. On failure @p error says why.
    [[nodiscard]] bool open(QString *error = nullptr);
    /// Opens and migrates only up to @p version (tests create older schemas with this).
    [[nodiscard]] bool openAtVersion(int version, QString *error = nullptr);

    int schemaVersion() const;
    QSqlDatabase connection() const;
    const QString &path() const { return m_path; }

private:
    bool migrate(int from, int to, QString *error);

    QString m_path;
    QString m_connectionName;
};
