#pragma once

#include <QObject>
#include <QString>

#include <optional>

class Database;
class KeyVault;

/// The account password, remembered only sealed under the vault's master key (Crypto::sealRecord,
/// bound to "credentials:<jid>"), one row per account in the `credentials` table (schema 6).
///
/// While the vault is locked nothing is read or written: a password is never stored in any other form.
class CredentialStore : public QObject
{
    Q_OBJECT

public:
    CredentialStore(Database *database, const KeyVault *vault, QObject *parent = nullptr);

    bool isAvailable() const;

    /// Seals and stores @p password for @p jid, replacing any earlier one. False while the vault is
    /// locked or when it could not be written.
    bool setPassword(const QString &jid, const QString &password);
    /// The remembered password; nullopt when none is stored, the vault is locked, or the row does not
    /// open (another master key, a damaged or moved ciphertext).
    [[nodiscard]] std::optional<QString> password(const QString &jid) const;
    /// Whether a sealed password is stored for @p jid (says nothing about whether it opens).
    bool contains(const QString &jid) const;
    /// Deletes the remembered password; true when there was one.
    bool forget(const QString &jid);

    /// contains() for an account whose database is not open: reads @p databaseFile without creating or
    /// migrating it. False when the file does not exist or predates schema 6.
    static bool isRememberedIn(const QString &databaseFile, const QString &jid);

Q_SIGNALS:
    void changed(const QString &jid);

private:
    Database *m_database;
    const KeyVault *m_vault;
};
