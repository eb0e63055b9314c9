// UI test against a real server: "Remember the password" on the login page. The password is stored only
// sealed under the vault's master key (here a passphrase vault: tests never use the desktop keyring), only
// once the server accepted it, and it logs in again from the login page without being typed. The account's
// files never hold it in the clear.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/QQmlExtensionPlugin>

#include <memory>

#include "AppContext.h"
#include "LocalServer.h"
#include "UiTestSupport.h"
#include "crypto/Crypto.h"

Q_IMPORT_QML_PLUGIN(SottoPlugin)

using namespace UiTestSupport;

namespace {

const QString alice = QStringLiteral("alice@localhost");
constexpr int NetworkTimeoutMs = 20000;

// Every file under @p dir that holds @p needle (as UTF-8 or UTF-16), as paths for the failure message.
QStringList filesHolding(const QString &dir, const QString &needle)
{
    const QByteArray utf8 = needle.toUtf8();
    const QByteArray utf16(reinterpret_cast<const char *>(needle.utf16()), needle.size() * 2);
    QStringList found;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile file(it.next());
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QByteArray bytes = file.readAll();
        if (bytes.contains(utf8) || bytes.contains(utf16))
            found << file.fileName();
    }
    return found;
}

} // namespace

class RememberUiTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void rememberedPasswordLogsInAgainAndIsNeverStoredInTheClear();

private:
    QQuickItem *currentPage() const;
    bool waitForPage(const QString &objectName, int timeoutMs = 5000);
    void fillLoginForm(const QString &password);
    QQuickItem *pageItem(const QString &objectName) const;

    LocalServer m_server;
    QTemporaryDir m_dataDir;
    std::unique_ptr<AppContext> m_context;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
};

void RememberUiTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    QVERIFY(m_dataDir.isValid());
    WarningRecorder::install();
}

void RememberUiTest::cleanupTestCase()
{
    m_engine.reset();
    m_context.reset();
}

QQuickItem *RememberUiTest::currentPage() const
{
    return UiTestSupport::currentPage(m_window);
}

QQuickItem *RememberUiTest::pageItem(const QString &objectName) const
{
    return findItem(currentPage(), objectName);
}

bool RememberUiTest::waitForPage(const QString &objectName, int timeoutMs)
{
    return UiTestSupport::waitForPage(m_window, objectName, timeoutMs);
}

void RememberUiTest::fillLoginForm(const QString &password)
{
    const QList<std::pair<QString, QString>> fields{
        {QStringLiteral("jidField"), alice},
        {QStringLiteral("passwordField"), password},
        {QStringLiteral("hostField"), m_server.host()},
        {QStringLiteral("portField"), QString::number(m_server.port())},
        {QStringLiteral("certField"), m_server.certPath()},
    };
    for (const auto &[name, value] : fields) {
        QQuickItem *field = pageItem(name);
        QVERIFY2(field, qPrintable(name));
        field->setProperty("text", value);
    }
}

void RememberUiTest::rememberedPasswordLogsInAgainAndIsNeverStoredInTheClear()
{
    const QString password = m_server.password(QStringLiteral("alice"));
    QVERIFY(!password.isEmpty());
    const QString passphrase = QStringLiteral("correct horse battery staple");
    const QString dataDir = m_dataDir.filePath(QStringLiteral("alice"));

    m_context = std::make_unique<AppContext>();
    m_context->setKeyringEnabled(false); // never the desktop keyring of whoever runs the tests
    m_context->setDataDir(dataDir);
    m_engine = std::make_unique<QQmlApplicationEngine>();
    m_engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
    m_engine->setInitialProperties({{QStringLiteral("context"), QVariant::fromValue(m_context.get())}});
    m_engine->load(mainUrl);
    QCOMPARE(m_engine->rootObjects().size(), 1);
    m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
    QVERIFY(m_window);
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));

    // Nothing is remembered yet: no button to log in without a password.
    fillLoginForm(QString());
    QQuickItem *rememberedRow = pageItem(QStringLiteral("rememberedLoginRow"));
    QVERIFY(rememberedRow);
    QVERIFY(!rememberedRow->isVisible());

    // Log in with "Remember" ticked. No vault is open yet (no keyring, no passphrase), so nothing can be
    // stored: the password is not written anywhere.
    fillLoginForm(password);
    QQuickItem *remember = pageItem(QStringLiteral("rememberCheck"));
    QVERIFY(remember);
    QVERIFY(!remember->property("checked").toBool());
    QVERIFY(clickItem(m_window, remember));
    QTRY_VERIFY(remember->property("checked").toBool());
    QQuickItem *loginButton = pageItem(QStringLiteral("loginButton"));
    QVERIFY(loginButton);
    QVERIFY(clickItem(m_window, loginButton));
    QVERIFY(waitForPage(QStringLiteral("contactsPage"), NetworkTimeoutMs));
    QCOMPARE(m_context->connectionState(), AppContext::Online);
    QVERIFY(!m_context->hasRememberedLogin(alice));

    // A passphrase opens the vault: now the accepted password is stored, sealed.
    QCOMPARE(m_context->usePassphrase(passphrase), QString());
    QTRY_VERIFY(m_context->hasRememberedLogin(alice));
    QCOMPARE(m_context->vaultKindOf(alice), QStringLiteral("passphrase"));
    VERIFY_NO_WARNINGS("logging in and remembering");

    // Back to the login page: it offers the remembered login, which asks for the passphrase first.
    m_context->logout();
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    QVERIFY(pageItem(QStringLiteral("jidField")));
    pageItem(QStringLiteral("jidField"))->setProperty("text", alice);
    pageItem(QStringLiteral("passwordField"))->setProperty("text", QString());
    rememberedRow = pageItem(QStringLiteral("rememberedLoginRow"));
    QTRY_VERIFY(rememberedRow->isVisible());
    QQuickItem *passphraseField = pageItem(QStringLiteral("rememberedPassphraseField"));
    QQuickItem *rememberedButton = pageItem(QStringLiteral("rememberedLoginButton"));
    QVERIFY(passphraseField && rememberedButton);
    QVERIFY(passphraseField->isVisible());
    QVERIFY(!rememberedButton->isEnabled()); // no passphrase typed yet

    // The files of the account, closed: neither the password nor the passphrase is in any of them.
    QCOMPARE(filesHolding(dataDir, password), QStringList());
    QCOMPARE(filesHolding(dataDir, passphrase), QStringList());

    // A wrong passphrase: a clear error, no connection, the page stays.
    passphraseField->setProperty("text", QStringLiteral("not the passphrase"));
    QTRY_VERIFY(rememberedButton->isEnabled());
    QVERIFY(clickItem(m_window, rememberedButton));
    QQuickItem *error = pageItem(QStringLiteral("errorText"));
    QVERIFY(error);
    QTRY_VERIFY(error->property("text").toString().startsWith(
        QStringLiteral("The remembered password could not be opened")));
    QVERIFY(m_context->connectionState() != AppContext::Online);
    QCOMPARE(currentPage()->objectName(), QStringLiteral("loginPage"));

    // The right one: online without typing the password.
    passphraseField->setProperty("text", passphrase);
    QTRY_VERIFY(rememberedButton->isEnabled());
    QVERIFY(clickItem(m_window, rememberedButton));
    QTRY_COMPARE_WITH_TIMEOUT(m_context->connectionState(), AppContext::Online, NetworkTimeoutMs);
    QCOMPARE(m_context->jid(), alice);
    QCOMPARE(m_context->errorText(), QString());
    QCOMPARE(filesHolding(dataDir, password), QStringList());

    // Logging in without "Remember" forgets it.
    m_context->logout();
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    fillLoginForm(password);
    remember = pageItem(QStringLiteral("rememberCheck"));
    QTRY_VERIFY(remember->property("checked").toBool()); // ticked: a password is remembered for this address
    QVERIFY(clickItem(m_window, remember));
    QTRY_VERIFY(!remember->property("checked").toBool());
    QVERIFY(clickItem(m_window, pageItem(QStringLiteral("loginButton"))));
    QTRY_COMPARE_WITH_TIMEOUT(m_context->connectionState(), AppContext::Online, NetworkTimeoutMs);
    QVERIFY(!m_context->hasRememberedLogin(alice));
    VERIFY_NO_WARNINGS("the remembered login");
}

int main(int argc, char *argv[])
{
    Crypto::Library cryptoLibrary;
    QGuiApplication app(argc, argv);
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    RememberUiTest test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_remember.moc"
