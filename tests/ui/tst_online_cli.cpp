// UI test against a real server with a real second client: a throwaway Prosody (LocalServer), Alice in the
// offscreen window, and Bob as a separate `sotto-cli listen --accept-esessions --echo` process. The SAS shown
// in Alice's dialog is read from the QML item and compared with the one Bob's process printed; then the
// codes are either confirmed (and a message travels encrypted both ways) or rejected (both sessions end).
// Every QML warning fails.
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/QQmlExtensionPlugin>

#include <QXmppUtils.h>

#include <functional>
#include <memory>
#include <optional>

#include "AppContext.h"
#include "ContactListModel.h"
#include "LocalServer.h"
#include "UiTestSupport.h"
#include "crypto/Crypto.h"

Q_IMPORT_QML_PLUGIN(SottoPlugin)

using namespace UiTestSupport;

namespace {

const QString alice = QStringLiteral("alice@localhost");
const QString bob = QStringLiteral("bob@localhost");
constexpr int NetworkTimeoutMs = 20000;

// A sotto-cli process and the JSON events it printed so far, one object per stdout line.
class CliProcess
{
public:
    ~CliProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    void start(const QStringList &arguments)
    {
        // Its log lines go to our stderr (readable in a failure), never into the events.
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral(SOTTO_CLI_PATH), arguments);
    }

    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }

    // The first event (printed since the start) that satisfies @p matches; waits for it up to @p timeoutMs.
    std::optional<QJsonObject> waitForEvent(const std::function<bool(const QJsonObject &)> &matches,
                                            int timeoutMs = NetworkTimeoutMs)
    {
        std::optional<QJsonObject> found;
        // Done when found, or when the process is gone and will print nothing more; found says which.
        [[maybe_unused]] const bool done = QTest::qWaitFor(
            [&] {
                readEvents();
                for (const QJsonObject &event : std::as_const(m_events)) {
                    if (matches(event)) {
                        found = event;
                        return true;
                    }
                }
                return !isRunning();
            },
            timeoutMs);
        return found;
    }

    QList<QJsonObject> events()
    {
        readEvents();
        return m_events;
    }

private:
    void readEvents()
    {
        m_pending += m_process.readAllStandardOutput();
        qsizetype end = 0;
        while ((end = m_pending.indexOf('\n')) >= 0) {
            const QByteArray line = m_pending.left(end);
            m_pending.remove(0, end + 1);
            const QJsonDocument document = QJsonDocument::fromJson(line);
            if (document.isObject())
                m_events << document.object();
            else
                qWarning("sotto-cli printed a line that is not a JSON object: %s", line.constData());
        }
    }

    QProcess m_process;
    QByteArray m_pending;
    QList<QJsonObject> m_events;
};

bool isEvent(const QJsonObject &event, const QString &name, const QString &state = {})
{
    return event.value(QStringLiteral("event")).toString() == name
        && (state.isEmpty() || event.value(QStringLiteral("state")).toString() == state);
}

} // namespace

class OnlineCliTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void matchingCodesThenAnEncryptedEcho();
    void differingCodesEndBothSessions();
    void preferredGroupsMeetTheCliGroups();

private:
    // Bob's process (with @p extraArguments), Alice's window logged in, and the chat with Bob open.
    void openChatWithTheCli(const QStringList &extraArguments = {});
    // "Start encrypted session" on the chat page, and the SAS dialog open with Bob's code. Fills
    // m_cliSession (Bob's "active" event) and m_dialog.
    void startSessionAndCompareCodes(const QString &button = QStringLiteral("startEncryptionButton"));
    void encryptedSessionWithTheCli(const QStringList &extraArguments = {});
    QQuickItem *currentPage() const;
    bool waitForPage(const QString &objectName, int timeoutMs = 5000);
    QQuickItem *dialogItem(const QString &objectName) const;

    LocalServer m_server;
    std::unique_ptr<QTemporaryDir> m_dataDir;
    std::unique_ptr<CliProcess> m_bob;
    std::unique_ptr<AppContext> m_context;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
    QObject *m_dialog = nullptr;
    QJsonObject m_cliSession;
};

void OnlineCliTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    WarningRecorder::install();
}

void OnlineCliTest::init()
{
    m_dataDir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dataDir->isValid());
    WarningRecorder::take();
}

void OnlineCliTest::cleanup()
{
    m_dialog = nullptr;
    m_window = nullptr;
    m_engine.reset();
    m_context.reset();
    m_bob.reset();
    m_dataDir.reset();
    WarningRecorder::take();
}

QQuickItem *OnlineCliTest::currentPage() const
{
    return UiTestSupport::currentPage(m_window);
}

bool OnlineCliTest::waitForPage(const QString &objectName, int timeoutMs)
{
    return UiTestSupport::waitForPage(m_window, objectName, timeoutMs);
}

QQuickItem *OnlineCliTest::dialogItem(const QString &objectName) const
{
    return m_dialog ? findItem(m_dialog->property("contentItem").value<QQuickItem *>(), objectName) : nullptr;
}

void OnlineCliTest::encryptedSessionWithTheCli(const QStringList &extraArguments)
{
    openChatWithTheCli(extraArguments);
    if (!QTest::currentTestFailed())
        startSessionAndCompareCodes();
}

void OnlineCliTest::openChatWithTheCli(const QStringList &extraArguments)
{
    // Bob: a headless client in its own process, its secrets under a passphrase (no keyring here).
    const QString passphraseFile = m_dataDir->filePath(QStringLiteral("bob.passphrase"));
    QFile passphrase(passphraseFile);
    QVERIFY(passphrase.open(QIODevice::WriteOnly));
    passphrase.write("bob's test passphrase\n");
    passphrase.close();
    m_bob = std::make_unique<CliProcess>();
    const QStringList arguments{QStringLiteral("--jid"), bob, QStringLiteral("--password-file"),
                                m_server.passwordFile(QStringLiteral("bob")), QStringLiteral("--host"), m_server.host(),
                                QStringLiteral("--port"), QString::number(m_server.port()), QStringLiteral("--trust-cert"),
                                m_server.certPath(), QStringLiteral("--data-dir"), m_dataDir->filePath(QStringLiteral("bob")),
                                QStringLiteral("--passphrase-file"), passphraseFile, QStringLiteral("listen"),
                                QStringLiteral("--accept-esessions"), QStringLiteral("--echo")};
    m_bob->start(arguments + extraArguments);
    QVERIFY2(m_bob->waitForEvent([](const QJsonObject &e) { return isEvent(e, QStringLiteral("connected")); }),
             "sotto-cli did not come online");

    // Alice: the application, logging in through its login page.
    m_context = std::make_unique<AppContext>();
    m_context->setKeyringEnabled(false); // never the desktop keyring of whoever runs the tests
    m_context->setDataDir(m_dataDir->filePath(QStringLiteral("alice")));
    m_engine = std::make_unique<QQmlApplicationEngine>();
    m_engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
    m_engine->setInitialProperties({{QStringLiteral("context"), QVariant::fromValue(m_context.get())}});
    m_engine->load(mainUrl);
    QCOMPARE(m_engine->rootObjects().size(), 1);
    m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
    QVERIFY(m_window);
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    const QList<std::pair<QString, QString>> fields{
        {QStringLiteral("jidField"), alice},
        {QStringLiteral("passwordField"), m_server.password(QStringLiteral("alice"))},
        {QStringLiteral("hostField"), m_server.host()},
        {QStringLiteral("portField"), QString::number(m_server.port())},
        {QStringLiteral("certField"), m_server.certPath()},
    };
    for (const auto &[name, value] : fields) {
        QQuickItem *field = findItem(currentPage(), name);
        QVERIFY2(field, qPrintable(name));
        field->setProperty("text", value);
    }
    auto *loginButton = findItem(currentPage(), QStringLiteral("loginButton"));
    QVERIFY(loginButton);
    QTRY_VERIFY(loginButton->isEnabled());
    QVERIFY(clickItem(m_window, loginButton));
    QVERIFY(waitForPage(QStringLiteral("contactsPage"), NetworkTimeoutMs));
    VERIFY_NO_WARNINGS("logging in");

    // Alice adds Bob through the add-contact dialog; his client approves and asks back.
    ContactListModel *contacts = m_context->contacts();
    if (contacts->indexOf(bob) < 0) {
        QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("addContactButton"))));
        auto *addDialog = currentPage()->findChild<QObject *>(QStringLiteral("addContactDialog"));
        QVERIFY(addDialog);
        QTRY_VERIFY(addDialog->property("opened").toBool());
        auto *addField = findItem(addDialog->property("contentItem").value<QQuickItem *>(), QStringLiteral("addContactField"));
        QVERIFY(addField);
        m_window->requestActivate();
        QVERIFY(QTest::qWaitForWindowActive(m_window));
        QTRY_VERIFY(addField->hasActiveFocus());
        typeText(m_window, bob);
        QTest::keyClick(m_window, Qt::Key_Return);
        QTRY_VERIFY(!addDialog->property("visible").toBool());
    }
    QTRY_VERIFY_WITH_TIMEOUT(contacts->indexOf(bob) >= 0, NetworkTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        contacts->data(contacts->index(contacts->indexOf(bob)), ContactListModel::OnlineRole).toBool(),
        NetworkTimeoutMs);
    VERIFY_NO_WARNINGS("adding the CLI contact");

    // The conversation, and the real "Start encrypted session" control.
    auto *contactList = findItem(currentPage(), QStringLiteral("contactList"));
    QVERIFY(contactList);
    QList<QQuickItem *> rows;
    QTRY_COMPARE((rows = delegates(contactList)).size(), 1);
    QVERIFY(clickItem(m_window, rows.first()));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    auto *shieldText = findItem(currentPage(), QStringLiteral("encryptionStatus"));
    QVERIFY(shieldText);
    QCOMPARE(shieldText->property("text").toString(), QStringLiteral("Not encrypted"));
}

void OnlineCliTest::startSessionAndCompareCodes(const QString &button)
{
    auto *shieldText = findItem(currentPage(), QStringLiteral("encryptionStatus"));
    QVERIFY(shieldText);
    auto *startButton = findItem(currentPage(), button);
    QVERIFY(startButton && startButton->isVisible());
    QVERIFY(clickItem(m_window, startButton));

    // Bob's process reports the session with its code; Alice's dialog opens and shows a code.
    const std::optional<QJsonObject> active = m_bob->waitForEvent(
        [](const QJsonObject &e) { return isEvent(e, QStringLiteral("esession"), QStringLiteral("active")); });
    QVERIFY2(active, "sotto-cli reported no encrypted session");
    m_cliSession = *active;
    QCOMPARE(QXmppUtils::jidToBareJid(m_cliSession.value(QStringLiteral("peer")).toString()), alice);
    QTRY_COMPARE_WITH_TIMEOUT(shieldText->property("text").toString(), QStringLiteral("Encrypted, not verified"),
                              NetworkTimeoutMs);
    m_dialog = currentPage()->findChild<QObject *>(QStringLiteral("sasDialog"));
    QVERIFY(m_dialog);
    QTRY_VERIFY(m_dialog->property("opened").toBool());
    QQuickItem *code = nullptr;
    QTRY_VERIFY((code = dialogItem(QStringLiteral("sasText"))) && code->isVisible() && code->height() > 0);

    // The same code on both sides: what the window shows (grouped for reading) is what the CLI printed.
    const QString cliSas = m_cliSession.value(QStringLiteral("sas")).toString();
    QCOMPARE(cliSas.size(), 5);
    QString shown = code->property("text").toString();
    QVERIFY2(shown.contains(u' '), "the code is shown in groups");
    shown.remove(u' ');
    QCOMPARE(shown, cliSas);
    // Sotto's own code on both sides (whatever compatibility Bob allows): named so, with no warning.
    QCOMPARE(m_cliSession.value(QStringLiteral("sas_kind")).toString(), QStringLiteral("committed"));
    auto *kind = dialogItem(QStringLiteral("sasKind"));
    QVERIFY(kind && kind->isVisible());
    QCOMPARE(kind->property("text").toString(), QStringLiteral("Sotto verification code"));
    QVERIFY(!dialogItem(QStringLiteral("sasWeakWarning"))->isVisible());
    VERIFY_NO_WARNINGS("opening the SAS dialog");
}

// "They match", confirmed in words: Alice's side is verified, and a message goes to Bob's process and comes
// back, encrypted both ways, with the verified badge in the window.
void OnlineCliTest::matchingCodesThenAnEncryptedEcho()
{
    encryptedSessionWithTheCli();
    if (QTest::currentTestFailed())
        return;
    auto *theyMatch = dialogItem(QStringLiteral("theyMatchButton"));
    QVERIFY(theyMatch && theyMatch->isVisible());
    QVERIFY(clickItem(m_window, theyMatch));
    // Marking as verified takes a worded confirmation: nothing is verified before it.
    QQuickItem *confirm = nullptr;
    QTRY_VERIFY((confirm = dialogItem(QStringLiteral("confirmMatchButton"))) && confirm->isVisible());
    QCOMPARE(confirm->property("text").toString(), QStringLiteral("Yes, mark as verified"));
    auto *shieldText = findItem(currentPage(), QStringLiteral("encryptionStatus"));
    QCOMPARE(shieldText->property("text").toString(), QStringLiteral("Encrypted, not verified"));
    QVERIFY(clickItem(m_window, confirm));
    QTRY_COMPARE(shieldText->property("text").toString(), QStringLiteral("Encrypted and verified"));
    QTRY_VERIFY(dialogItem(QStringLiteral("sasCloseButton")) && dialogItem(QStringLiteral("sasCloseButton"))->isVisible());
    QVERIFY(clickItem(m_window, dialogItem(QStringLiteral("sasCloseButton"))));
    QTRY_VERIFY(!m_dialog->property("visible").toBool());
    VERIFY_NO_WARNINGS("confirming matching codes");

    // Alice writes; Bob's process receives it encrypted in the session's thread and echoes it.
    const QString text = QStringLiteral("Only we can read this");
    auto *composer = findItem(currentPage(), QStringLiteral("composer"));
    auto *messageList = findItem(currentPage(), QStringLiteral("messageList"));
    QVERIFY(composer && messageList);
    m_window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    composer->forceActiveFocus();
    QTRY_VERIFY(composer->hasActiveFocus());
    typeText(m_window, text);
    QTest::keyClick(m_window, Qt::Key_Return);
    const std::optional<QJsonObject> received = m_bob->waitForEvent(
        [](const QJsonObject &e) { return isEvent(e, QStringLiteral("message")); });
    QVERIFY2(received, "sotto-cli received nothing");
    QCOMPARE(received->value(QStringLiteral("body")).toString(), text);
    QCOMPARE(received->value(QStringLiteral("encrypted")).toBool(), true);
    QCOMPARE(received->value(QStringLiteral("thread")).toString(), m_cliSession.value(QStringLiteral("thread")).toString());

    // The echo arrives in the open conversation, shown with the "encrypted, verified" badge.
    QTRY_COMPARE_WITH_TIMEOUT(messageList->property("count").toInt(), 2, NetworkTimeoutMs);
    QList<QQuickItem *> bodies;
    QTRY_COMPARE((bodies = findItems(messageList, QStringLiteral("messageBody"))).size(), 2);
    std::sort(bodies.begin(), bodies.end(),
              [](QQuickItem *a, QQuickItem *b) { return a->mapToScene({}).y() < b->mapToScene({}).y(); });
    for (QQuickItem *body : std::as_const(bodies)) {
        QCOMPARE(body->property("text").toString(), text);
        auto *badge = findItem(body->parentItem(), QStringLiteral("encryptionBadge"));
        QVERIFY(badge);
        QTRY_VERIFY(badge->isVisible());
        QCOMPARE(badge->property("text").toString(), QStringLiteral("✓"));
    }
    QTest::qWait(100);
    m_window->grabWindow().save(QStringLiteral("chat-cli-verified.png"));
    VERIFY_NO_WARNINGS("an encrypted echo from the CLI");

    // Nothing ended on Bob's side meanwhile.
    for (const QJsonObject &event : m_bob->events())
        QVERIFY(!isEvent(event, QStringLiteral("esession"), QStringLiteral("ended")));
}

// "They don't match": Alice's session ends as failed, and Bob's process reports its session ended too. Bob allows the
// older sas28x5 code here (--allow-sas28x5): the committed code is still the one agreed with another Sotto.
void OnlineCliTest::differingCodesEndBothSessions()
{
    encryptedSessionWithTheCli({QStringLiteral("--allow-sas28x5")});
    if (QTest::currentTestFailed())
        return;
    auto *theyDontMatch = dialogItem(QStringLiteral("theyDontMatchButton"));
    QVERIFY(theyDontMatch && theyDontMatch->isVisible());
    QVERIFY(clickItem(m_window, theyDontMatch));

    auto *shieldText = findItem(currentPage(), QStringLiteral("encryptionStatus"));
    QTRY_COMPARE_WITH_TIMEOUT(shieldText->property("text").toString(), QStringLiteral("Encryption failed"),
                              NetworkTimeoutMs);
    const std::optional<QJsonObject> ended = m_bob->waitForEvent(
        [](const QJsonObject &e) { return isEvent(e, QStringLiteral("esession"), QStringLiteral("ended")); });
    QVERIFY2(ended, "sotto-cli did not report the end of the session");
    QCOMPARE(ended->value(QStringLiteral("thread")).toString(), m_cliSession.value(QStringLiteral("thread")).toString());
    QCOMPARE(ended->value(QStringLiteral("peer")).toString(), m_cliSession.value(QStringLiteral("peer")).toString());
    // Alice's side ended the session: the code for scripts, the CLI's own words beside it.
    QCOMPARE(ended->value(QStringLiteral("code")).toString(), QStringLiteral("ended-by-contact"));
    QCOMPARE(ended->value(QStringLiteral("reason")).toString(), QStringLiteral("the contact ended the encrypted session"));
    QVERIFY(m_bob->isRunning());

    // The dialog says why, and closes; the window still says the encryption failed.
    QTRY_VERIFY(dialogItem(QStringLiteral("sasCloseButton")) && dialogItem(QStringLiteral("sasCloseButton"))->isVisible());
    QVERIFY(!dialogItem(QStringLiteral("theyMatchButton"))->isVisible());
    QVERIFY(clickItem(m_window, dialogItem(QStringLiteral("sasCloseButton"))));
    QTRY_VERIFY(!m_dialog->property("visible").toBool());
    QCOMPARE(shieldText->property("text").toString(), QStringLiteral("Encryption failed"));
    VERIFY_NO_WARNINGS("codes that did not match");
}

// Bob's process accepts only group 17 (--groups 17); Alice offers the defaults (15, 14), so nothing is agreed
// and both sides say so. Once Alice ticks group 17 in Settings > Encryption, her next offer meets Bob's.
void OnlineCliTest::preferredGroupsMeetTheCliGroups()
{
    openChatWithTheCli({QStringLiteral("--groups"), QStringLiteral("17")});
    if (QTest::currentTestFailed())
        return;
    auto *shieldText = findItem(currentPage(), QStringLiteral("encryptionStatus"));
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("startEncryptionButton"))));
    const std::optional<QJsonObject> refused = m_bob->waitForEvent(
        [](const QJsonObject &e) { return isEvent(e, QStringLiteral("esession"), QStringLiteral("failed")); });
    QVERIFY2(refused, "sotto-cli did not refuse the offer");
    QCOMPARE(refused->value(QStringLiteral("code")).toString(), QStringLiteral("offer-not-acceptable"));
    QVERIFY(refused->value(QStringLiteral("reason")).toString().contains(QStringLiteral("could not agree")));
    QTRY_COMPARE_WITH_TIMEOUT(shieldText->property("text").toString(), QStringLiteral("Encryption failed"),
                              NetworkTimeoutMs);
    // The window words Bob's refusal (the engine's code peer-error) for the user.
    QTRY_VERIFY(findItem(currentPage(), QStringLiteral("encryptionStateText"))
                    ->property("text")
                    .toString()
                    .contains(QStringLiteral("client refused the encrypted session")));
    for (const QJsonObject &event : m_bob->events())
        QVERIFY(!isEvent(event, QStringLiteral("esession"), QStringLiteral("active")));
    VERIFY_NO_WARNINGS("an offer the contact refused");

    // Contacts, Settings, tick group 17, and back to the chat.
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("backButton"))));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsButton"))));
    QVERIFY(waitForPage(QStringLiteral("settingsPage")));
    auto *group17 = findItem(currentPage(), QStringLiteral("groupCheck17"));
    QVERIFY(group17 && !group17->property("checked").toBool());
    QVERIFY(clickItem(m_window, group17));
    QTRY_VERIFY(group17->property("checked").toBool());
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsBackButton"))));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QList<QQuickItem *> rows;
    QTRY_COMPARE((rows = delegates(findItem(currentPage(), QStringLiteral("contactList")))).size(), 1);
    QVERIFY(clickItem(m_window, rows.first()));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    VERIFY_NO_WARNINGS("ticking group 17");

    // The conversation stays one to encrypt: it says why it failed and offers Retry (never plaintext).
    shieldText = findItem(currentPage(), QStringLiteral("encryptionStatus")); // a new page
    QVERIFY(shieldText);
    QCOMPARE(shieldText->property("text").toString(), QStringLiteral("Encryption failed"));
    QVERIFY(!findItem(currentPage(), QStringLiteral("startEncryptionButton"))->isVisible());
    QVERIFY(findItem(currentPage(), QStringLiteral("encryptionStateBar"))->isVisible());
    // The next offer includes 17: Retry brings the session up, with the same code on both sides.
    startSessionAndCompareCodes(QStringLiteral("retryEncryptionButton"));
}

int main(int argc, char *argv[])
{
    Crypto::Library cryptoLibrary;
    QGuiApplication app(argc, argv);
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    OnlineCliTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_online_cli.moc"
