#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

class QJsonObject;

/// The master key that encrypts Sotto's secrets at rest (retained secrets, passwords, history): 256
/// random bits, never written anywhere in the clear. It lives either
///  - in the desktop keyring (Secret Service, through QtKeychain), or
///  - wrapped (AES-256-GCM) under a key derived from the user's passphrase with Argon2id (libsodium),
///    with the salt and cost parameters in the vault file beside the database.
/// The vault file records which; it never holds the key itself. Until the vault is unlocked the app
/// stores no secret at all: a locked or missing keyring is an error the user can recover from (for
/// example by choosing a passphrase), never a reason to fall back to plaintext.
class KeyVault : public QObject
{
    Q_OBJECT

public:
    enum class Kind { None, Keyring, Passphrase };
    Q_ENUM(Kind)

    /// Argon2id costs: passes over memory (libsodium's opslimit) and memory in bytes.
    struct KdfCost
    {
        quint64 passes = 0;
        quint64 memoryBytes = 0;
    };

    /// @p vaultFile: where the vault's description lives (no secret in it). @p keyringService and
    /// @p keyringKey name the keyring entry (one per account).
    KeyVault(QString vaultFile, QString keyringService, QString keyringKey, QObject *parent = nullptr);
    ~KeyVault() override;

    Kind kind() const;
    bool isUnlocked() const { return !m_key.isEmpty(); }
    /// The master key (32 bytes) while unlocked; empty otherwise.
    QByteArray masterKey() const { return m_key; }

    /// Keyring route, asynchronous: reads the key (creating and storing a new one when the vault is
    /// new) and emits unlocked() or failed() with a reason for the user. Gives up after @p timeoutMs
    /// (a keyring waiting for a prompt nobody answers).
    void unlockWithKeyring(int timeoutMs = 15000);

    /// Passphrase route, synchronous (about half a second by design). A new vault: a fresh master key
    /// wrapped under the passphrase with costs calibrated to @p targetMs on this machine.
    bool createWithPassphrase(const QString &passphrase, QString *error = nullptr, int targetMs = 500);
    bool unlockWithPassphrase(const QString &passphrase, QString *error = nullptr);
    /// Re-wraps the same master key under a new passphrase (nothing else is re-encrypted).
    bool changePassphrase(const QString &oldPassphrase, const QString &newPassphrase, QString *error = nullptr,
                          int targetMs = 500);

    /// Forgets the key in memory; secrets stay encrypted until the next unlock.
    void lock();

    /// The cost that takes about @p targetMs for one derivation here (at least libsodium's minimum).
    static KdfCost calibrate(int targetMs);
    /// The cost the vault file records (zero when it is not a passphrase vault).
    KdfCost storedCost() const;

Q_SIGNALS:
    void unlocked();
    void failed(const QString &reason);
    void lockedChanged();

private:
    bool writeVaultFile(const QJsonObject &object, QString *error);
    QJsonObject readVaultFile() const;
    void setKey(QByteArray key);
    void finishKeyring(const QString &error);

    QString m_file;
    QString m_service;
    QString m_keyringKey;
    QByteArray m_key;
    bool m_keyringBusy = false;
};
