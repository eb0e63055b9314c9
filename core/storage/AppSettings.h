#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <optional>

#include "crypto/DiffieHellman.h"

class Database;

/// Account-wide settings kept in the database's `settings` table (key → text value, schema 6). Only
/// preferences live here, never a secret.
class AppSettings : public QObject
{
    Q_OBJECT

public:
    explicit AppSettings(Database *database, QObject *parent = nullptr);

    /// The stored value of @p key; nullopt when nobody set it (or the table cannot be read).
    std::optional<QString> value(const QString &key) const;
    bool setValue(const QString &key, const QString &value);

    /// The MODP groups new encrypted sessions offer (in this order) and accept. The engine's defaults
    /// (EsessionPolicy) while nothing usable is stored.
    QList<Crypto::ModpGroup> preferredGroups() const;
    /// Refuses an empty list and any group below the floor (Crypto::ModpGroup::Group14).
    bool setPreferredGroups(const QList<Crypto::ModpGroup> &groups);

    /// Reads "15,14" (the stored form, and the CLI's --groups): the groups in the given order, each once.
    /// nullopt for an empty list, an unknown number, or a group below the floor.
    static std::optional<QList<Crypto::ModpGroup>> parseGroups(const QString &text);
    static QString formatGroups(const QList<Crypto::ModpGroup> &groups);

    static inline const QString PreferredGroupsKey = QStringLiteral("esession.groups");

Q_SIGNALS:
    void changed(const QString &key);

private:
    Database *m_database;
};
