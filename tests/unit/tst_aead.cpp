// AES-256-GCM through QCA against Wycheproof, and the record format that binds a secret to its row.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "crypto/Aead.h"
#include "crypto/Crypto.h"

using namespace Crypto;

class TestAead : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wycheproof_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("nonce");
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QByteArray>("sealed");
        QTest::addColumn<bool>("valid");
        QFile file(QStringLiteral(SOTTO_WYCHEPROOF_DIR "/aes_gcm_test.json"));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
        const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
        int applicable = 0, withAad = 0;
        for (const QJsonValue &groupValue : root.value(QStringLiteral("testGroups")).toArray()) {
            const QJsonObject group = groupValue.toObject();
            if (group.value(QStringLiteral("keySize")).toInt() != 256 || group.value(QStringLiteral("ivSize")).toInt() != 96
                || group.value(QStringLiteral("tagSize")).toInt() != 128)
                continue;
            for (const QJsonValue &testValue : group.value(QStringLiteral("tests")).toArray()) {
                const QJsonObject t = testValue.toObject();
                auto hex = [&t](const char *name) { return QByteArray::fromHex(t.value(QLatin1String(name)).toString().toLatin1()); };
                ++applicable;
                if (!hex("aad").isEmpty()) {
                    // QCA's Cipher cannot take GCM associated data; these cases cannot be expressed.
                    ++withAad;
                    continue;
                }
                const QString result = t.value(QStringLiteral("result")).toString();
                QTest::newRow(qPrintable(QStringLiteral("tcId %1 %2").arg(t.value(QStringLiteral("tcId")).toInt()).arg(result)))
                    << hex("key") << hex("iv") << hex("msg") << hex("ct") + hex("tag") << (result != u"invalid");
            }
        }
        QCOMPARE(applicable, 66);
        QCOMPARE(withAad, 18);
    }

    void wycheproof()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, nonce);
        QFETCH(QByteArray, message);
        QFETCH(QByteArray, sealed);
        QFETCH(bool, valid);
        const auto opened = aes256GcmOpen(key, nonce, sealed);
        QCOMPARE(opened.has_value(), valid);
        if (valid) {
            QCOMPARE(opened->toHex(), message.toHex());
            QCOMPARE(aes256GcmSeal(key, nonce, message)->toHex(), sealed.toHex());
        }
    }

    void recordRoundTripAndBinding()
    {
        const QByteArray master = randomBytes(32);
        const QByteArray secret = "retained secret \x01\x02\x03 for bob";
        const auto record = sealRecord(master, "retained_secrets.secret:7", secret);
        QVERIFY(record);
        QCOMPARE(record->size(), 1 + 12 + secret.size() + 16);
        QVERIFY(!record->contains(secret));
        QCOMPARE(*openRecord(master, "retained_secrets.secret:7", *record), secret);
        // A fresh nonce every time: the same secret never looks the same twice.
        QVERIFY(*sealRecord(master, "retained_secrets.secret:7", secret) != *record);
        // Moved to another row, opened with another key, or changed anywhere: refused.
        QVERIFY(!openRecord(master, "retained_secrets.secret:8", *record));
        QVERIFY(!openRecord(randomBytes(32), "retained_secrets.secret:7", *record));
        for (int i = 0; i < record->size(); ++i) {
            QByteArray changed = *record;
            changed[i] = char(changed[i] ^ 0x40);
            QVERIFY2(!openRecord(master, "retained_secrets.secret:7", changed), qPrintable(QString::number(i)));
        }
        QVERIFY(!openRecord(master, "retained_secrets.secret:7", record->left(record->size() - 1)));
        QVERIFY(!openRecord(master, "retained_secrets.secret:7", QByteArray()));
        // An empty secret is a valid record too.
        QCOMPARE(*openRecord(master, "x", *sealRecord(master, "x", QByteArray())), QByteArray());
        // Wrong key sizes are refused, not padded.
        QVERIFY(!sealRecord(randomBytes(16), "x", secret));
    }
};

int main(int argc, char **argv)
{
    Library crypto;
    QCoreApplication app(argc, argv);
    TestAead test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_aead.moc"
