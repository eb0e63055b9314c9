#include "KeyVault.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSaveFile>
#include <QTimer>

#include <qt6keychain/keychain.h>
#include <sodium.h>

#include "Logging.h"
#include "crypto/Aead.h"
#include "crypto/Crypto.h"

namespace {

constexpr int MasterKeyLength = 32;
const QByteArray WrapLabel = QByteArrayLiteral("sotto master key");

bool sodiumReady()
{
    static const bool ready = sodium_init() >= 0;
    return ready;
}

// Argon2id(passphrase, salt) -> 32 bytes; empty on failure (out of memory).
QByteArray deriveKek(const QString &passphrase, const QByteArray &salt, const KeyVault::KdfCost &cost)
{
    if (!sodiumReady() || salt.size() != crypto_pwhash_SALTBYTES)
        return {};
    QByteArray utf8 = passphrase.toUtf8();
    QByteArray out(MasterKeyLength, '\0');
    const int rc = crypto_pwhash(reinterpret_cast<unsigned char *>(out.data()), quint64(out.size()), utf8.constData(),
                                 quint64(utf8.size()), reinterpret_cast<const unsigned char *>(salt.constData()),
                                 cost.passes, size_t(cost.memoryBytes), crypto_pwhash_ALG_ARGON2ID13);
    sodium_memzero(utf8.data(), size_t(utf8.size()));
    if (rc != 0)
        return {};
    return out;
}

// The passphrase part of a vault file: fresh salt and calibrated costs, @p key wrapped under the
// Argon2id key of @p passphrase. Empty when the derivation or the seal failed.
QJsonObject wrapUnderPassphrase(const QString &passphrase, const QByteArray &key, int targetMs)
{
    const KeyVault::KdfCost cost = KeyVault::calibrate(targetMs);
    const QByteArray salt = Crypto::randomBytes(crypto_pwhash_SALTBYTES);
    QByteArray kek = deriveKek(passphrase, salt, cost);
    const auto wrapped = kek.isEmpty() ? std::nullopt : Crypto::sealRecord(kek, WrapLabel, key);
    sodium_memzero(kek.data(), size_t(kek.size()));
    if (!wrapped)
        return {};
    return {{QStringLiteral("kind"), QStringLiteral("passphrase")},
            {QStringLiteral("kdf"), QStringLiteral("argon2id13")},
            {QStringLiteral("passes"), qint64(cost.passes)},
            {QStringLiteral("memory"), qint64(cost.memoryBytes)},
            {QStringLiteral("salt"), QString::fromLatin1(salt.toBase64())},
            {QStringLiteral("wrapped"), QString::fromLatin1(wrapped->toBase64())}};
}

QString keychainErrorText(QKeychain::Error error)
{
    switch (error) {
    case QKeychain::NoBackendAvailable:
        return KeyVault::tr("no keyring is available on this desktop");
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        return KeyVault::tr("the keyring is locked or refused access");
    case QKeychain::EntryNotFound:
        return KeyVault::tr("the keyring no longer holds Sotto's key");
    default:
        return KeyVault::tr("the keyring failed");
    }
}

} // namespace

KeyVault::KeyVault(QString vaultFile, QString keyringService, QString keyringKey, QObject *parent)
    : QObject(parent)
    , m_file(std::move(vaultFile))
    , m_service(std::move(keyringService))
    , m_keyringKey(std::move(keyringKey))
{
}

KeyVault::~KeyVault()
{
    lock();
}

QJsonObject KeyVault::readVaultFile() const
{
    QFile file(m_file);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

bool KeyVault::writeVaultFile(const QJsonObject &object, QString *error)
{
    QDir().mkpath(QFileInfo(m_file).absolutePath());
    QSaveFile file(m_file);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(object).toJson()) < 0 || !file.commit()) {
        if (error)
            *error = tr("could not write the vault file");
        return false;
    }
    QFile::setPermissions(m_file, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

KeyVault::Kind KeyVault::kind() const
{
    const QString kind = readVaultFile().value(QStringLiteral("kind")).toString();
    if (kind == u"keyring")
        return Kind::Keyring;
    if (kind == u"passphrase")
        return Kind::Passphrase;
    return Kind::None;
}

void KeyVault::setKey(QByteArray key)
{
    lock();
    m_key = std::move(key);
    Q_EMIT lockedChanged();
    Q_EMIT unlocked();
}

void KeyVault::lock()
{
    if (m_key.isEmpty())
        return;
    sodium_memzero(m_key.data(), size_t(m_key.size()));
    m_key.clear();
    Q_EMIT lockedChanged();
}

KeyVault::KdfCost KeyVault::calibrate(int targetMs)
{
    // Memory stays at libsodium's interactive level (64 MiB); passes scale with the time one pass takes.
    KdfCost cost{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_INTERACTIVE};
    const QByteArray salt(crypto_pwhash_SALTBYTES, '\x5a');
    QElapsedTimer timer;
    timer.start();
    if (deriveKek(QStringLiteral("calibration"), salt, cost).isEmpty())
        return cost;
    const qint64 elapsed = qMax<qint64>(1, timer.elapsed());
    const quint64 passes = quint64(double(targetMs) * double(cost.passes) / double(elapsed));
    cost.passes = qBound<quint64>(crypto_pwhash_OPSLIMIT_MIN, passes, 64);
    return cost;
}

KeyVault::KdfCost KeyVault::storedCost() const
{
    const QJsonObject vault = readVaultFile();
    if (vault.value(QStringLiteral("kind")).toString() != u"passphrase")
        return {};
    return {quint64(vault.value(QStringLiteral("passes")).toInteger()),
            quint64(vault.value(QStringLiteral("memory")).toInteger())};
}

bool KeyVault::createWithPassphrase(const QString &passphrase, QString *error, int targetMs)
{
    if (kind() != Kind::None) {
        if (error)
            *error = tr("this account already has a vault");
        return false;
    }
    if (passphrase.isEmpty()) {
        if (error)
            *error = tr("the passphrase is empty");
        return false;
    }
    QByteArray key = Crypto::randomBytes(MasterKeyLength);
    if (key.size() != MasterKeyLength) {
        if (error)
            *error = tr("no secure random source");
        return false;
    }
    const QJsonObject vault = wrapUnderPassphrase(passphrase, key, targetMs);
    if (vault.isEmpty()) {
        if (error)
            *error = tr("the passphrase could not be processed");
        return false;
    }
    if (!writeVaultFile(vault, error))
        return false;
    setKey(std::move(key));
    return true;
}

bool KeyVault::unlockWithPassphrase(const QString &passphrase, QString *error)
{
    const QJsonObject vault = readVaultFile();
    if (vault.value(QStringLiteral("kind")).toString() != u"passphrase") {
        if (error)
            *error = tr("this account's key is not protected by a passphrase");
        return false;
    }
    const KdfCost cost = storedCost();
    const QByteArray salt = QByteArray::fromBase64(vault.value(QStringLiteral("salt")).toString().toLatin1());
    const QByteArray wrapped = QByteArray::fromBase64(vault.value(QStringLiteral("wrapped")).toString().toLatin1());
    if (cost.passes < crypto_pwhash_OPSLIMIT_MIN || cost.passes > 1024 || cost.memoryBytes < crypto_pwhash_MEMLIMIT_MIN
        || cost.memoryBytes > (quint64(1) << 32)) {
        if (error)
            *error = tr("the vault file is damaged");
        return false;
    }
    QByteArray kek = deriveKek(passphrase, salt, cost);
    auto key = kek.isEmpty() ? std::nullopt : Crypto::openRecord(kek, WrapLabel, wrapped);
    sodium_memzero(kek.data(), size_t(kek.size()));
    if (!key || key->size() != MasterKeyLength) {
        if (error)
            *error = tr("wrong passphrase");
        return false;
    }
    setKey(std::move(*key));
    return true;
}

bool KeyVault::changePassphrase(const QString &oldPassphrase, const QString &newPassphrase, QString *error,
                                int targetMs)
{
    if (!unlockWithPassphrase(oldPassphrase, error))
        return false;
    if (newPassphrase.isEmpty()) {
        if (error)
            *error = tr("the passphrase is empty");
        return false;
    }
    const QJsonObject vault = wrapUnderPassphrase(newPassphrase, m_key, targetMs);
    if (vault.isEmpty()) {
        if (error)
            *error = tr("the passphrase could not be processed");
        return false;
    }
    return writeVaultFile(vault, error);
}

void KeyVault::finishKeyring(const QString &error)
{
    m_keyringBusy = false;
    if (!error.isEmpty()) {
        qCWarning(lcStorage) << "keyring:" << error;
        Q_EMIT failed(error);
    }
}

void KeyVault::unlockWithKeyring(int timeoutMs)
{
    if (m_keyringBusy)
        return;
    const Kind current = kind();
    if (current == Kind::Passphrase) {
        Q_EMIT failed(tr("this account's key is protected by a passphrase"));
        return;
    }
    m_keyringBusy = true;
    auto *read = new QKeychain::ReadPasswordJob(m_service, this);
    read->setAutoDelete(true);
    read->setKey(m_keyringKey);
    // A keyring that waits for a prompt nobody answers must not leave the app waiting for ever.
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    QPointer<QKeychain::Job> watched(read);
    connect(timer, &QTimer::timeout, this, [this, timer] {
        timer->deleteLater();
        if (m_keyringBusy)
            finishKeyring(tr("the keyring did not answer"));
    });
    timer->start(timeoutMs);
    connect(read, &QKeychain::Job::finished, this, [this, read, current, timer, timeoutMs](QKeychain::Job *) {
        if (!m_keyringBusy)
            return; // timed out already
        timer->stop();
        timer->deleteLater();
        if (read->error() == QKeychain::NoError) {
            QByteArray key = read->binaryData();
            if (key.size() != MasterKeyLength) {
                finishKeyring(tr("the key in the keyring is damaged"));
                return;
            }
            m_keyringBusy = false;
            setKey(std::move(key));
            return;
        }
        if (read->error() != QKeychain::EntryNotFound || current == Kind::Keyring) {
            // A vault that was set up with the keyring and lost its key cannot be opened: say so.
            finishKeyring(keychainErrorText(read->error()));
            return;
        }
        // A new vault: a fresh key into the keyring, then the vault file says where it is.
        QByteArray key = Crypto::randomBytes(MasterKeyLength);
        auto *write = new QKeychain::WritePasswordJob(m_service, this);
        write->setAutoDelete(true);
        write->setKey(m_keyringKey);
        write->setBinaryData(key);
        auto *writeTimer = new QTimer(this);
        writeTimer->setSingleShot(true);
        connect(writeTimer, &QTimer::timeout, this, [this, writeTimer] {
            writeTimer->deleteLater();
            if (m_keyringBusy)
                finishKeyring(tr("the keyring did not answer"));
        });
        writeTimer->start(timeoutMs);
        connect(write, &QKeychain::Job::finished, this, [this, write, key, writeTimer](QKeychain::Job *) mutable {
            if (!m_keyringBusy)
                return;
            writeTimer->stop();
            writeTimer->deleteLater();
            if (write->error() != QKeychain::NoError) {
                sodium_memzero(key.data(), size_t(key.size()));
                finishKeyring(keychainErrorText(write->error()));
                return;
            }
            QString error;
            if (!writeVaultFile({{QStringLiteral("kind"), QStringLiteral("keyring")},
                                 {QStringLiteral("service"), m_service}},
                                &error)) {
                sodium_memzero(key.data(), size_t(key.size()));
                finishKeyring(error);
                return;
            }
            m_keyringBusy = false;
            setKey(std::move(key));
        });
        write->start();
    });
    read->start();
}
