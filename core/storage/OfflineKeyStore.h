#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

#include <optional>

class Database;
class KeyVault;

/// The Diffie-Hellman private keys (x, one per MODP group) that XEP-0187 offline sessions need once the
/// user is back online: sealed under the vault's master key (Crypto::sealRecord, bound to
/// "offline_keys:<id>:<peer>"), each with the time its published options expire. A key is used once:
/// take() opens and deletes it in one transaction. Expired keys are deleted (purgeExpired), and with
/// secure_delete their bytes do not linger in the file.
class OfflineKeyStore : public QObject
{
    Q_OBJECT

public:
    /// What can be said about a stored key without opening it.
    struct Entry
    {
        qint64 id = 0;
        QString peer;
        int modp = 0; ///< the MODP group number
        QByteArray publicValue;
        QDateTime created;
        QDateTime expires;
    };

    OfflineKeyStore(Database *database, const KeyVault *vault, QObject *parent = nullptr);

    bool isAvailable() const;

    /// Stores @p privateValue sealed; the row id, or nullopt while the vault is locked or on failure.
    [[nodiscard]] std::optional<qint64> add(const QString &peer, int modp, const QByteArray &publicValue,
        const QByteArray &privateValue, const QDateTime &expires);
    /// The keys stored for @p peer, oldest first (public facts only, never the private value).
    QList<Entry> entries(const QString &peer) const;
    /// Opens and deletes key @p id of @p peer. nullopt, and nothing deleted, while the vault is locked;
    /// nullopt when it is absent, expired at @p now (then it is deleted) or does not open (it is deleted
    /// too: it could never be used).
    [[nodiscard]] std::optional<QByteArray> take(
        qint64 id, const QString &peer, const QDateTime &now = QDateTime::currentDateTimeUtc());
    /// Deletes every key whose expiry is at or before @p now; returns how many.
    int purgeExpired(const QDateTime &now);

private:
    Database *m_database;
    const KeyVault *m_vault;
};
