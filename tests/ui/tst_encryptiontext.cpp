// The words of the encryption failure codes (ui/EncryptionText): every code the core can give has wording of its
// own, taken from the lists the core exports, so that a new code without words fails here; and what older versions
// stored (sentences) is still shown.
#include <QSet>
#include <QTest>

#include "EncryptionText.h"
#include "esession/FailureCodes.h"
#include "session/ConversationSecurity.h"
#include "xmpp/EsessionExtension.h"

namespace FC = Esession::FailureCode;

namespace {

const QString Name = QStringLiteral("Bob Example");
/// A well-formed code no version gives: what a code without wording gets.
const QString UnknownCode = QStringLiteral("no-such-code-anywhere");

/// Every code that ConversationSecurity::failure() can hold: the engine's negotiation details, the glue's end and
/// negotiation codes, and ConversationSecurity's own.
QStringList conversationCodes()
{
    return FC::negotiationCodes() + EsessionExtension::codes()
        + QStringList { ConversationSecurity::CodesDiffer, ConversationSecurity::CannotStart };
}

} // namespace

class TestEncryptionText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void codesAreStableAndDistinct()
    {
        const QStringList all = conversationCodes() + FC::undecryptableCodes() + FC::sendCodes();
        QSet<QString> seen;
        for (const QString &code : all) {
            QVERIFY2(FC::hasCodeShape(code), qPrintable(code));
            QVERIFY2(!seen.contains(code), qPrintable(QStringLiteral("listed twice: ") + code));
            seen.insert(code);
        }
        // Some are stored in databases already: they keep their spelling.
        for (const char *kept : { "sas28x5-not-allowed", "identity-mac", "commitment", "declined", "untrusted-key",
                 "timeout", "ended-by-contact", "out-of-step" })
            QVERIFY2(seen.contains(QString::fromLatin1(kept)), kept);
        QVERIFY(!FC::hasCodeShape(QStringLiteral("the encrypted session has ended (you went offline)")));
        QVERIFY(!FC::hasCodeShape(QStringLiteral("Bad-MAC")));
        QVERIFY(!FC::hasCodeShape(QStringLiteral("bad--mac")));
        QVERIFY(!FC::hasCodeShape(QString()));
    }

    void everyFailureCodeHasItsOwnWords_data()
    {
        QTest::addColumn<QString>("code");
        for (const QString &code : conversationCodes())
            QTest::newRow(qPrintable(code)) << code;
    }

    void everyFailureCodeHasItsOwnWords()
    {
        QFETCH(QString, code);
        const QString general = EncryptionText::failure(UnknownCode, Name);
        QVERIFY(!general.isEmpty());
        const QString words = EncryptionText::failure(code, Name);
        QVERIFY2(words != general, qPrintable(code + QStringLiteral(" has no words of its own")));
        QVERIFY2(words.contains(Name), qPrintable(words));
        // Words for people: no code (some codes are plain words, "declined") and no placeholder left over.
        QVERIFY2(!code.contains(u'-') || !words.contains(code), qPrintable(words));
        QVERIFY2(!words.contains(u'%'), qPrintable(words));
    }

    void everyUndecryptableCodeHasItsOwnWords_data()
    {
        QTest::addColumn<QString>("code");
        for (const QString &code : FC::undecryptableCodes())
            QTest::newRow(qPrintable(code)) << code;
    }

    void everyUndecryptableCodeHasItsOwnWords()
    {
        QFETCH(QString, code);
        const QString general = EncryptionText::undecryptable(UnknownCode);
        const QString words = EncryptionText::undecryptable(code);
        QVERIFY(!words.isEmpty());
        QVERIFY2(words != general, qPrintable(code + QStringLiteral(" has no words of its own")));
        QVERIFY2(!code.contains(u'-') || !words.contains(code), qPrintable(words));
    }

    void unknownCodesAndOlderSentences()
    {
        QVERIFY(EncryptionText::failure(QString(), Name).isEmpty());
        QVERIFY(EncryptionText::failure(UnknownCode, Name).contains(Name));
        // A code of a newer version: a general sentence, never the code.
        QVERIFY(!EncryptionText::undecryptable(UnknownCode).contains(UnknownCode));
        // Bodies written before codes hold the sentence of their time: shown as they are.
        for (const QString &sentence : { QStringLiteral("the encrypted session has ended (you went offline)"),
                 QStringLiteral("an encrypted message failed its integrity check (tampered, replayed, lost or out of "
                                "order)"),
                 QStringLiteral("bad MAC") })
            QCOMPARE(EncryptionText::undecryptable(sentence), sentence);
    }
};

QTEST_GUILESS_MAIN(TestEncryptionText)

#include "tst_encryptiontext.moc"
