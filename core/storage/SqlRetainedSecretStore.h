#pragma once

#include <QDateTime>
#include <QObject>

#include "esession/RetainedSecretStore.h"

class Database;
class KeyVault;

/// The application's RetainedSecretStore: one row per secret in the account database, the secret sealed
/// with the vault's master key (Crypto::sealRecord, bound to "retained_secrets:<id>:<contact>"), next to
/// the facts the settings page explains: when it was created and last used, how many sessions it
/// authenticated, whether and when its chain was verified by SAS.
///
/// Rows are filed under the contact's bare JID as XMPP compares it (Esession::normalizedBareJid()); every lookup by
/// JID compares that form of both sides, so rows written before under another case of the JID are found as well.
///
/// While the vault is locked nothing is listed or stored (isAvailable() is false): the caller must not
/// negotiate then, since "no retained secret" would look like an identity change. A row that does not
/// open (another key, a moved or damaged ciphertext) is reported and left out, never returned as garbage.
class SqlRetainedSecretStore : public QObject, public Esession::RetainedSecretStore
{
    Q_OBJECT

public:
    SqlRetainedSecretStore(Database *database, const KeyVault *vault, QObject *parent = nullptr);

    bool isAvailable() const;

    [[nodiscard]] QList<Esession::RetainedSecret> secrets(const QString &bareJid) const override;
    [[nodiscard]] std::optional<qint64> replace(const QString &bareJid, std::optional<qint64> usedId,
                                                const QByteArray &newSecret) override;
    bool markVerified(const QString &bareJid, const QByteArray &secret) override;
    void forget(const QString &bareJid) override;
    [[nodiscard]] QList<Esession::FiledRetainedSecret> allSecrets() const override;
    [[nodiscard]] std::optional<qint64> adopt(const QString &bareJid, const QString &formerBareJid, qint64 usedId,
                                              const QByteArray &newSecret) override;

    /// What the settings page shows for one secret (never the secret itself).
    struct Info
    {
        qint64 id = 0;
        QString peer; ///< as stored: the normalised bare JID (older rows: as it was given then)
        QDateTime created;
        QDateTime lastUsed; ///< invalid when it never authenticated a session yet
        int sessions = 0;
        bool verified = false;
        QDateTime verifiedAt;
        bool readable = true; ///< false: the row does not open with the current master key
    };
    /// Every row, or those of @p bareJid (compared as JIDs are).
    QList<Info> info(const QString &bareJid = {}) const;
    /// Remembers the SAS of the session that created @p secret, for verifyLastSas() in a later run.
    bool recordSas(const QString &bareJid, const QByteArray &secret, const QString &sas);
    /// The user compared @p sas with the contact: marks the newest secret verified when it is the SAS
    /// of the session that created it. False, and nothing changes, otherwise.
    bool verifyLastSas(const QString &bareJid, const QString &sas);
    bool markUnverified(qint64 id);
    bool forgetOne(qint64 id);

Q_SIGNALS:
    void changed(const QString &bareJid);
    /// A row could not be opened (tampered, moved, or sealed under another master key).
    void unreadableSecret(qint64 id, const QString &bareJid);

private:
    /// replace() and adopt(): destroys @p usedId when it is retained with @p usedJid and files @p newSecret under
    /// @p bareJid with the used row's facts, its verified flag only when @p keepVerified (the same JID).
    std::optional<qint64> fileSecret(const QString &bareJid, const QString &usedJid, std::optional<qint64> usedId,
                                     bool keepVerified, const QByteArray &newSecret);
    std::optional<QByteArray> open(qint64 id, const QString &peer, const QByteArray &sealed) const;
    bool changeRow(const QString &statement, qint64 id);

    Database *m_database;
    const KeyVault *m_vault;
};
