// KeyVault: the passphrase route (Argon2id + AES-256-GCM wrap), and the keyring route against a real
// Secret Service (gnome-keyring in a private D-Bus session, see keyring-session.sh): happy path, absent
// and locked keyrings. The ctest entries pick the test functions that fit their environment.
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "crypto/Crypto.h"
#include "storage/KeyVault.h"

class TestKeyVault : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void passphraseRoute()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("vault.json"));
        QByteArray key;
        {
            KeyVault vault(file, QStringLiteral("Sotto test"), QStringLiteral("alice@example.org"));
            QCOMPARE(vault.kind(), KeyVault::Kind::None);
            QString error;
            QVERIFY2(vault.createWithPassphrase(QStringLiteral("correct horse"), &error, 100), qPrintable(error));
            QVERIFY(vault.isUnlocked());
            key = vault.masterKey();
            QCOMPARE(key.size(), 32);
            QCOMPARE(vault.kind(), KeyVault::Kind::Passphrase);
            QVERIFY(!vault.createWithPassphrase(QStringLiteral("again"), &error, 100));
            vault.lock();
            QVERIFY(!vault.isUnlocked());
            QVERIFY(vault.masterKey().isEmpty());
        }
        // The vault file holds no key, only the wrapped one.
        QFile raw(file);
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const QByteArray bytes = raw.readAll();
        raw.close();
        QVERIFY(!bytes.contains(key));
        QVERIFY(!bytes.contains(key.toBase64()));
        QVERIFY(!bytes.contains(key.toHex()));
        QCOMPARE(raw.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());

        KeyVault vault(file, QStringLiteral("Sotto test"), QStringLiteral("alice@example.org"));
        QString error;
        QVERIFY(!vault.unlockWithPassphrase(QStringLiteral("Correct horse"), &error));
        QCOMPARE(error, QStringLiteral("wrong passphrase"));
        QVERIFY(!vault.isUnlocked());
        QVERIFY(vault.unlockWithPassphrase(QStringLiteral("correct horse"), &error));
        QCOMPARE(vault.masterKey(), key);

        // A new passphrase wraps the same key; the old one stops working.
        QVERIFY(vault.changePassphrase(QStringLiteral("correct horse"), QStringLiteral("battery staple"), &error, 100));
        vault.lock();
        QVERIFY(!vault.unlockWithPassphrase(QStringLiteral("correct horse"), &error));
        QVERIFY(vault.unlockWithPassphrase(QStringLiteral("battery staple"), &error));
        QCOMPARE(vault.masterKey(), key);
    }

    void tamperedVaultFileIsRefused()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("vault.json"));
        KeyVault vault(file, QStringLiteral("Sotto test"), QStringLiteral("a@b"));
        QVERIFY(vault.createWithPassphrase(QStringLiteral("pw"), nullptr, 50));
        vault.lock();
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray original = f.readAll();
        f.close();
        auto rewrite = [&](const QByteArray &content) {
            QFile w(file);
            QVERIFY(w.open(QIODevice::WriteOnly | QIODevice::Truncate));
            w.write(content);
        };
        // One character of the wrapped key changed: the tag fails, the key never appears.
        QByteArray changed = original;
        const int at = changed.indexOf("\"wrapped\": \"") + 20;
        changed[at] = changed[at] == 'A' ? 'B' : 'A';
        rewrite(changed);
        QString error;
        QVERIFY(!vault.unlockWithPassphrase(QStringLiteral("pw"), &error));
        QVERIFY(!vault.isUnlocked());
        // Absurd costs are refused before any derivation.
        QByteArray costly = original;
        costly.replace("\"passes\":", "\"passes\": 999999, \"x\":");
        rewrite(costly);
        QVERIFY(!vault.unlockWithPassphrase(QStringLiteral("pw"), &error));
        QCOMPARE(error, QStringLiteral("the vault file is damaged"));
        rewrite(original);
        QVERIFY(vault.unlockWithPassphrase(QStringLiteral("pw"), &error));
    }

    void calibrationScalesWithTheTarget()
    {
        const KeyVault::KdfCost small = KeyVault::calibrate(1);
        const KeyVault::KdfCost large = KeyVault::calibrate(500);
        QVERIFY(small.passes >= 1);
        QVERIFY(large.passes >= small.passes);
        QCOMPARE(large.memoryBytes, quint64(64) * 1024 * 1024);
    }

    // Run without any D-Bus session bus: the keyring route fails clearly, writes nothing, and the
    // passphrase route still works.
    void absentKeyringIsARecoverableError()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("vault.json"));
        KeyVault vault(file, QStringLiteral("Sotto test"), QStringLiteral("alice@example.org"));
        QSignalSpy failed(&vault, &KeyVault::failed);
        QSignalSpy unlocked(&vault, &KeyVault::unlocked);
        vault.unlockWithKeyring(5000);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QCOMPARE(unlocked.count(), 0);
        QVERIFY(!failed.first().first().toString().isEmpty());
        QVERIFY(!vault.isUnlocked());
        QCOMPARE(vault.kind(), KeyVault::Kind::None);
        QVERIFY(!QFile::exists(file));
        QVERIFY(vault.createWithPassphrase(QStringLiteral("fallback"), nullptr, 50));
        QVERIFY(vault.isUnlocked());
    }

    // Under keyring-session.sh: an unlocked gnome-keyring in a private session.
    void keyringHappyPath()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("vault.json"));
        const QString account = QStringLiteral("alice-%1@example.org").arg(QString::fromLatin1(Crypto::randomBytes(4).toHex()));
        QByteArray key;
        {
            KeyVault vault(file, QStringLiteral("Sotto test"), account);
            QSignalSpy unlocked(&vault, &KeyVault::unlocked);
            QSignalSpy failed(&vault, &KeyVault::failed);
            vault.unlockWithKeyring();
            QTRY_VERIFY_WITH_TIMEOUT(unlocked.count() + failed.count() > 0, 20000);
            QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
            key = vault.masterKey();
            QCOMPARE(key.size(), 32);
            QCOMPARE(vault.kind(), KeyVault::Kind::Keyring);
        }
        QFile raw(file);
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const QByteArray bytes = raw.readAll();
        QVERIFY(!bytes.contains(key) && !bytes.contains(key.toBase64()) && !bytes.contains(key.toHex()));
        // Another start of the app finds the same key.
        KeyVault again(file, QStringLiteral("Sotto test"), account);
        QSignalSpy unlocked(&again, &KeyVault::unlocked);
        again.unlockWithKeyring();
        QTRY_COMPARE_WITH_TIMEOUT(unlocked.count(), 1, 20000);
        QCOMPARE(again.masterKey(), key);
    }

    void lockedKeyringIsARecoverableError()
    {
        // Lock every collection of the private keyring; nobody is there to answer the unlock prompt.
        QProcess gdbus;
        gdbus.start(QStringLiteral("gdbus"),
                    {QStringLiteral("call"), QStringLiteral("--session"), QStringLiteral("--dest"),
                     QStringLiteral("org.freedesktop.secrets"), QStringLiteral("--object-path"),
                     QStringLiteral("/org/freedesktop/secrets"), QStringLiteral("--method"),
                     QStringLiteral("org.freedesktop.Secret.Service.Lock"),
                     QStringLiteral("['/org/freedesktop/secrets/collection/login']")});
        QVERIFY(gdbus.waitForFinished(10000));
        QCOMPARE(gdbus.exitCode(), 0);

        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("vault.json"));
        KeyVault vault(file, QStringLiteral("Sotto test"), QStringLiteral("bob-locked@example.org"));
        QSignalSpy failed(&vault, &KeyVault::failed);
        QSignalSpy unlocked(&vault, &KeyVault::unlocked);
        vault.unlockWithKeyring(5000);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 15000);
        qInfo() << "locked keyring reported as:" << failed.first().first().toString();
        QCOMPARE(unlocked.count(), 0);
        QVERIFY(!vault.isUnlocked());
        QVERIFY(!QFile::exists(file)); // nothing written while locked
    }
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestKeyVault test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_keyvault.moc"
