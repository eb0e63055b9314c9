// UI tests: the real "Sotto" QML module in an offscreen window. Every QML warning fails a test.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QFile>
#include <QTest>
#include <QTranslator>
#include <QtQml/QQmlExtensionPlugin>

#include <algorithm>
#include <memory>
#include <utility>

#include "AppContext.h"
#include "esession/EsessionHandshake.h"
#include "esession/FormConstants.h"
#include "esession/RetainedSecretStore.h"
#include "storage/AppSettings.h"
#include "storage/ContactSettings.h"
#include "xmpp/Account.h"
#include <QXmppMessage.h>
#include "xmpp/EsessionExtension.h"
#include "storage/SqlRetainedSecretStore.h"
#include "storage/Paths.h"
#include "ContactListModel.h"
#include "crypto/Crypto.h"
#include "storage/MessageStore.h"
#include "UiTestSupport.h"

Q_IMPORT_QML_PLUGIN(SottoPlugin)

using namespace UiTestSupport;

namespace {

const QString alice = QStringLiteral("alice@example.org");
const QString bob = QStringLiteral("bob@example.org");

// The values of field @p var in the offer a negotiation with Bob would send now: the account's policy, handed to the
// engine as the extension does, and the options (or, for a field with one fixed value, that value) read back from
// the stanza the engine builds.
QStringList offeredValues(AppContext *context, const QString &var)
{
    const std::optional<Esession::EsessionPolicy> policy = context->account()->esession()->handshakePolicy(bob);
    if (!policy)
        return {};
    Esession::MemoryRetainedSecretStore secrets;
    Esession::EsessionHandshake engine(bob + QStringLiteral("/phone"), QStringLiteral("groups-thread"),
                                       Esession::EsessionRole::Initiator, *policy, &secrets);
    const Esession::EsessionOutput output = engine.request();
    QStringList values;
    for (const QDomElement &stanza : output.stanzas) {
        const QDomNodeList fields = stanza.elementsByTagName(QStringLiteral("field"));
        for (int i = 0; i < fields.size(); ++i) {
            const QDomElement field = fields.at(i).toElement();
            if (field.attribute(QStringLiteral("var")) != var)
                continue;
            for (QDomElement option = field.firstChildElement(QStringLiteral("option")); !option.isNull();
                 option = option.nextSiblingElement(QStringLiteral("option")))
                values << option.firstChildElement(QStringLiteral("value")).text();
            if (field.firstChildElement(QStringLiteral("option")).isNull())
                values << field.firstChildElement(QStringLiteral("value")).text();
        }
    }
    return values;
}

// The `modp` options of that offer.
QStringList offeredModpGroups(AppContext *context)
{
    return offeredValues(context, Esession::Xep0116::Modp);
}

// Its `sas_algs`: the verification codes offered, preferred first.
QStringList offeredSasAlgorithms(AppContext *context)
{
    return offeredValues(context, Esession::Xep0116::SasAlgs);
}

} // namespace

class UiTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void mainWindowNavigatesWithoutWarnings();
    void pagesLoadOnTheirOwn();
    void sendingOfflineQueuesAndShowsTheMessage();
    void chatUnderAnotherSpellingShowsItsMessages();
    void unreachableServerLetsTheUserContinueOffline();
    void loginFormKeepsTheServerAfterLogout();
    void germanTranslationIsUsed();
    void passphraseProtectsRememberedContacts();
    void lockedHistoryOffersUnlock();
    void encryptionSettingsExplainAndForget();
    void encryptionSettingsChooseGroups();
    void encryptionSettingsWeakSasCompatibility();

private:
    // Loads Main.qml through the module, as the application does.
    QQuickWindow *loadMain(AppContext *context, const QString &initialChat = {});
    QQuickItem *stack() const;
    QQuickItem *currentPage() const;
    bool waitForPage(const QString &objectName);

    std::unique_ptr<QTemporaryDir> m_dataDir;
    std::unique_ptr<AppContext> m_context;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
};

void UiTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    WarningRecorder::install();
}

void UiTest::init()
{
    m_dataDir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dataDir->isValid());
    m_context = std::make_unique<AppContext>();
    m_context->setKeyringEnabled(false); // never the desktop keyring of whoever runs the tests
    m_context->setDataDir(m_dataDir->path());
    WarningRecorder::take();
}

void UiTest::cleanup()
{
    m_window = nullptr;
    m_engine.reset();
    m_context.reset();
    m_dataDir.reset();
    WarningRecorder::take();
}

QQuickWindow *UiTest::loadMain(AppContext *context, const QString &initialChat)
{
    m_engine = std::make_unique<QQmlApplicationEngine>();
    m_engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
    m_engine->setInitialProperties({
        {QStringLiteral("context"), QVariant::fromValue(context)},
        {QStringLiteral("initialChat"), initialChat},
    });
    m_engine->load(mainUrl);
    if (m_engine->rootObjects().size() != 1)
        return nullptr;
    m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
    if (m_window && !QTest::qWaitForWindowExposed(m_window))
        return nullptr;
    return m_window;
}

QQuickItem *UiTest::stack() const
{
    return m_window ? findItem(m_window->contentItem(), QStringLiteral("stack")) : nullptr;
}

QQuickItem *UiTest::currentPage() const
{
    return UiTestSupport::currentPage(m_window);
}

bool UiTest::waitForPage(const QString &objectName)
{
    return UiTestSupport::waitForPage(m_window, objectName);
}

// (a) The whole window: login page at start, then the contacts and a conversation, and back, with no warning.
void UiTest::mainWindowNavigatesWithoutWarnings()
{
    // Bob wrote while we were away: he shows up in the contact list with one unread message.
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(m_context->store()->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"),
                                            QStringLiteral("Are you there?"), QStringLiteral("id-1"), {}));
    m_context->logout();
    QVERIFY(!m_context->isSessionOpen());

    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    auto *status = findItem(m_window->contentItem(), QStringLiteral("statusText"));
    QVERIFY(status);
    QCOMPARE(status->property("text").toString(), QStringLiteral("Not logged in"));
    VERIFY_NO_WARNINGS("loading the main window");

    // Open the account without connecting, through the login form.
    QQuickItem *login = currentPage();
    auto *jidField = findItem(login, QStringLiteral("jidField"));
    auto *openButton = findItem(login, QStringLiteral("openOfflineButton"));
    QVERIFY(jidField && openButton);
    // The form remembers the last account; without an address there is nothing to open.
    QCOMPARE(jidField->property("text").toString(), alice);
    jidField->setProperty("text", QString());
    QTRY_VERIFY(!openButton->isEnabled());
    jidField->setProperty("text", alice);
    QTRY_VERIFY(openButton->isEnabled());
    QVERIFY(clickItem(m_window, openButton));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QVERIFY(m_context->isSessionOpen());
    QVERIFY(status->property("text").toString().startsWith(QStringLiteral("Offline")));
    VERIFY_NO_WARNINGS("opening the contacts page");

    // Adding a contact needs the server: the dialog says so and stays open until cancelled.
    auto *addButton = findItem(currentPage(), QStringLiteral("addContactButton"));
    QVERIFY(addButton);
    QVERIFY(clickItem(m_window, addButton));
    auto *dialog = currentPage()->findChild<QObject *>(QStringLiteral("addContactDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("opened").toBool());
    auto *addField = findItem(dialog->property("contentItem").value<QQuickItem *>(), QStringLiteral("addContactField"));
    QVERIFY(addField);
    QTRY_VERIFY(addField->hasActiveFocus());
    typeText(m_window, QStringLiteral("carol@example.org"));
    QTest::keyClick(m_window, Qt::Key_Return);
    QTRY_COMPARE(dialog->property("error").toString(), QStringLiteral("You need to be online to add a contact."));
    QVERIFY(dialog->property("visible").toBool());
    auto *cancel = findItem(dialog->property("footer").value<QQuickItem *>(), QStringLiteral("addContactCancel"));
    QVERIFY(cancel);
    QVERIFY(clickItem(m_window, cancel));
    QTRY_VERIFY(!dialog->property("visible").toBool());
    VERIFY_NO_WARNINGS("using the add-contact dialog");

    // Bob is listed with his unread message.
    auto *contactList = findItem(currentPage(), QStringLiteral("contactList"));
    QVERIFY(contactList);
    QTRY_COMPARE(contactList->property("count").toInt(), 1);
    ContactListModel *contacts = m_context->contacts();
    QCOMPARE(contacts->data(contacts->index(0), ContactListModel::JidRole).toString(), bob);
    QCOMPARE(contacts->data(contacts->index(0), ContactListModel::UnreadRole).toInt(), 1);
    QCOMPARE(contacts->data(contacts->index(0), ContactListModel::PresenceTextRole).toString(),
             QStringLiteral("offline"));

    // A click on him opens the conversation, which shows the history and marks it read.
    QList<QQuickItem *> rows;
    QTRY_VERIFY(!(rows = delegates(contactList)).isEmpty());
    QVERIFY(clickItem(m_window, rows.first()));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    QCOMPARE(currentPage()->property("peer").toString(), bob);
    auto *messageList = findItem(currentPage(), QStringLiteral("messageList"));
    QVERIFY(messageList);
    QTRY_COMPARE(messageList->property("count").toInt(), 1);
    QTRY_COMPARE(m_context->store()->unreadCount(bob), 0);
    QTRY_COMPARE(contacts->data(contacts->index(0), ContactListModel::UnreadRole).toInt(), 0);
    QQuickItem *body = nullptr;
    QTRY_VERIFY((body = findItem(messageList, QStringLiteral("messageBody"))));
    QCOMPARE(body->property("text").toString(), QStringLiteral("Are you there?"));
    VERIFY_NO_WARNINGS("opening the chat page");

    // Back to the contacts, then log out: the login page again.
    auto *back = findItem(currentPage(), QStringLiteral("backButton"));
    QVERIFY(back);
    QVERIFY(clickItem(m_window, back));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    auto *logout = findItem(currentPage(), QStringLiteral("logoutButton"));
    QVERIFY(logout);
    QVERIFY(clickItem(m_window, logout));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    QVERIFY(!m_context->isSessionOpen());
    QCOMPARE(status->property("text").toString(), QStringLiteral("Not logged in"));
    VERIFY_NO_WARNINGS("going back and logging out");
}

// (b) The login page and the chat page, each created on its own from the module.
void UiTest::pagesLoadOnTheirOwn()
{
    QQmlEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    QQuickWindow window;
    window.resize(800, 600);

    QQmlComponent loginComponent(&engine, QUrl(QStringLiteral("qrc:/qt/qml/Sotto/LoginPage.qml")));
    QVERIFY2(loginComponent.isReady(), qPrintable(loginComponent.errorString()));
    std::unique_ptr<QObject> login(
        loginComponent.createWithInitialProperties({{QStringLiteral("context"), QVariant::fromValue(m_context.get())}}));
    QVERIFY2(login, qPrintable(loginComponent.errorString()));
    auto *loginItem = qobject_cast<QQuickItem *>(login.get());
    QVERIFY(loginItem);
    loginItem->setParentItem(window.contentItem());
    loginItem->setSize(window.size());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *password = findItem(loginItem, QStringLiteral("passwordField"));
    QVERIFY(password);
    QCOMPARE(password->property("echoMode").toInt(), 2); // TextInput.Password
    // Nothing to log in with yet.
    auto *loginButton = findItem(loginItem, QStringLiteral("loginButton"));
    QVERIFY(loginButton);
    QVERIFY(!loginButton->isEnabled());
    VERIFY_NO_WARNINGS("loading the login page");

    // A login that cannot work says why on the page.
    QVERIFY(!m_context->login(QStringLiteral("not-an-address"), QStringLiteral("secret"), {}, 0, {}));
    auto *error = findItem(loginItem, QStringLiteral("errorText"));
    QVERIFY(error);
    QTRY_VERIFY(error->isVisible());
    QCOMPARE(error->property("text").toString(), QStringLiteral("Enter your address as name@server."));
    login.reset();
    VERIFY_NO_WARNINGS("showing a login error");

    QVERIFY(m_context->openOffline(alice));
    QQmlComponent chatComponent(&engine, QUrl(QStringLiteral("qrc:/qt/qml/Sotto/ChatPage.qml")));
    QVERIFY2(chatComponent.isReady(), qPrintable(chatComponent.errorString()));
    std::unique_ptr<QObject> chat(chatComponent.createWithInitialProperties(
        {{QStringLiteral("context"), QVariant::fromValue(m_context.get())}, {QStringLiteral("peer"), bob}}));
    QVERIFY2(chat, qPrintable(chatComponent.errorString()));
    auto *chatItem = qobject_cast<QQuickItem *>(chat.get());
    chatItem->setParentItem(window.contentItem());
    chatItem->setSize(window.size());
    QTest::qWait(50);
    auto *peerName = findItem(chatItem, QStringLiteral("peerName"));
    QVERIFY(peerName);
    QCOMPARE(peerName->property("text").toString(), bob);
    auto *presence = findItem(chatItem, QStringLiteral("peerPresence"));
    QVERIFY(presence);
    QCOMPARE(presence->property("text").toString(), QStringLiteral("offline"));
    chat.reset();
    VERIFY_NO_WARNINGS("loading the chat page");
}

// (c) Typing and sending while offline: the message is stored as queued and shown with that state.
void UiTest::sendingOfflineQueuesAndShowsTheMessage()
{
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(loadMain(m_context.get(), bob));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    QQuickItem *page = currentPage();
    auto *composer = findItem(page, QStringLiteral("composer"));
    auto *sendButton = findItem(page, QStringLiteral("sendButton"));
    auto *messageList = findItem(page, QStringLiteral("messageList"));
    QVERIFY(composer && sendButton && messageList);
    QCOMPARE(messageList->property("count").toInt(), 0);
    QVERIFY(!sendButton->isEnabled());

    m_window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    composer->forceActiveFocus();
    QTRY_VERIFY(composer->hasActiveFocus());

    // Blank text is not sent.
    typeText(m_window, QStringLiteral("   "));
    QVERIFY(!sendButton->isEnabled());
    QTest::keyClick(m_window, Qt::Key_Return);
    QCOMPARE(messageList->property("count").toInt(), 0);
    composer->setProperty("text", QString());

    // Enter sends.
    typeText(m_window, QStringLiteral("Hello Bob"));
    QCOMPARE(composer->property("text").toString(), QStringLiteral("Hello Bob"));
    QVERIFY(sendButton->isEnabled());
    QTest::keyClick(m_window, Qt::Key_Return);
    QTRY_COMPARE(messageList->property("count").toInt(), 1);
    QCOMPARE(composer->property("text").toString(), QString());

    const QList<StoredMessage> history = m_context->store()->history(bob);
    QCOMPARE(history.size(), 1);
    QCOMPARE(history.first().body, QStringLiteral("Hello Bob"));
    QCOMPARE(history.first().direction, MessageDirection::Outgoing);
    QCOMPARE(history.first().state, MessageState::Queued);

    QList<QQuickItem *> bubbles;
    QTRY_COMPARE((bubbles = findItems(messageList, QStringLiteral("messageBody"))).size(), 1);
    QCOMPARE(bubbles.first()->property("text").toString(), QStringLiteral("Hello Bob"));
    QQuickItem *meta = nullptr;
    QTRY_VERIFY((meta = findItem(messageList, QStringLiteral("messageMeta"))));
    QVERIFY2(meta->property("text").toString().endsWith(QStringLiteral("queued")),
             qPrintable(meta->property("text").toString()));

    // Shift+Enter adds a line instead of sending; the Send button sends both lines.
    typeText(m_window, QStringLiteral("line one"));
    QTest::keyClick(m_window, Qt::Key_Return, Qt::ShiftModifier);
    typeText(m_window, QStringLiteral("line two"));
    QCOMPARE(composer->property("text").toString(), QStringLiteral("line one\nline two"));
    QCOMPARE(messageList->property("count").toInt(), 1);
    QVERIFY(clickItem(m_window, sendButton));
    QTRY_COMPARE(messageList->property("count").toInt(), 2);
    QCOMPARE(m_context->store()->history(bob).last().body, QStringLiteral("line one\nline two"));
    QCOMPARE(m_context->store()->history(bob).last().state, MessageState::Queued);

    // The contact list learned about Bob from the history.
    QCOMPARE(m_context->contacts()->indexOf(bob), 0);

    // For people to look at (not checked): the chat page as rendered offscreen.
    QTest::qWait(100);
    const QImage shot = m_window->grabWindow();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(QStringLiteral("chat-page.png")));
    VERIFY_NO_WARNINGS("sending from the chat page");
}

// Security review F6: the core files a contact under its bare JID as XMPP compares it (lower-cased). A chat page
// opened under another spelling (a roster that keeps capitals) still shows what is sent and what arrives, and the
// contact list has one entry for the contact.
void UiTest::chatUnderAnotherSpellingShowsItsMessages()
{
    const QString spelled = QStringLiteral("Bob@Example.ORG");
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(loadMain(m_context.get(), spelled));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    QQuickItem *page = currentPage();
    auto *composer = findItem(page, QStringLiteral("composer"));
    auto *messageList = findItem(page, QStringLiteral("messageList"));
    QVERIFY(composer && messageList);
    m_window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    composer->forceActiveFocus();
    QTRY_VERIFY(composer->hasActiveFocus());
    typeText(m_window, QStringLiteral("Hello Bob"));
    QTest::keyClick(m_window, Qt::Key_Return);
    QTRY_COMPARE(messageList->property("count").toInt(), 1);
    QCOMPARE(m_context->store()->history(bob).size(), 1);

    QXmppMessage reply(QStringLiteral("BOB@example.org/phone"), alice, QStringLiteral("Hi Alice"));
    reply.setType(QXmppMessage::Chat);
    reply.setId(QStringLiteral("r1"));
    Q_EMIT m_context->account()->messageReceived(reply);
    QTRY_COMPARE(messageList->property("count").toInt(), 2);
    QCOMPARE(m_context->contacts()->count(), 1);
    QCOMPARE(m_context->contacts()->indexOf(spelled), 0);
    QCOMPARE(m_context->contacts()->indexOf(bob), 0);
    VERIFY_NO_WARNINGS("a chat under another spelling of the JID");
}

// Logging in while the server cannot be reached: the login page says why and when it tries again, and
// offers to go on offline (the account keeps trying) or to cancel.
void UiTest::unreachableServerLetsTheUserContinueOffline()
{
    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    QQuickItem *login = currentPage();
    findItem(login, QStringLiteral("jidField"))->setProperty("text", alice);
    findItem(login, QStringLiteral("passwordField"))->setProperty("text", QStringLiteral("secret"));
    findItem(login, QStringLiteral("hostField"))->setProperty("text", QStringLiteral("127.0.0.1"));
    findItem(login, QStringLiteral("portField"))->setProperty("text", QStringLiteral("1")); // nothing listens
    auto *loginButton = findItem(login, QStringLiteral("loginButton"));
    QVERIFY(loginButton);
    QTRY_VERIFY(loginButton->isEnabled());
    QVERIFY(clickItem(m_window, loginButton));

    auto *status = findItem(m_window->contentItem(), QStringLiteral("statusText"));
    QVERIFY(status);
    QTRY_VERIFY_WITH_TIMEOUT(status->property("text").toString().contains(QStringLiteral("refused")), 10000);
    QVERIFY2(status->property("text").toString().contains(QStringLiteral("reconnecting in")),
             qPrintable(status->property("text").toString()));
    QCOMPARE(currentPage()->objectName(), QStringLiteral("loginPage"));
    QVERIFY(m_context->isSessionOpen());
    QVERIFY(!loginButton->isVisible());
    VERIFY_NO_WARNINGS("waiting for an unreachable server");

    auto *continueOffline = findItem(login, QStringLiteral("continueOfflineButton"));
    QVERIFY(continueOffline);
    QTRY_VERIFY(continueOffline->isVisible());
    QVERIFY(clickItem(m_window, continueOffline));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QVERIFY(m_context->isSessionOpen());
    QVERIFY(m_context->canReconnect());
    auto *reconnect = findItem(m_window->contentItem(), QStringLiteral("reconnectButton"));
    QVERIFY(reconnect);
    QTRY_VERIFY(reconnect->isVisible());
    VERIFY_NO_WARNINGS("continuing offline");

    // Logging out stops the attempts and shows the form again.
    auto *logout = findItem(currentPage(), QStringLiteral("logoutButton"));
    QVERIFY(clickItem(m_window, logout));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    QVERIFY(!m_context->isSessionOpen());
    QVERIFY(loginButton->isVisible());
    VERIFY_NO_WARNINGS("cancelling the login");
}

// The app logs in from its command line (as scripts/demo does), the user logs out: the form offers the same server,
// port and certificate, so that only the password needs typing again, and never shows the password itself.
void UiTest::loginFormKeepsTheServerAfterLogout()
{
    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    const QString cert = m_dataDir->filePath(QStringLiteral("server.pem"));
    QFile file(cert);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("not a certificate, and never read: nothing listens on port 1\n");
    file.close();
    QVERIFY(m_context->login(alice, QStringLiteral("secret"), QStringLiteral("127.0.0.1"), 1, cert));
    m_context->logout();
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    QQuickItem *login = currentPage();
    QCOMPARE(findItem(login, QStringLiteral("jidField"))->property("text").toString(), alice);
    QCOMPARE(findItem(login, QStringLiteral("hostField"))->property("text").toString(), QStringLiteral("127.0.0.1"));
    QCOMPARE(findItem(login, QStringLiteral("portField"))->property("text").toString(), QStringLiteral("1"));
    QCOMPARE(findItem(login, QStringLiteral("certField"))->property("text").toString(), cert);
    QCOMPARE(findItem(login, QStringLiteral("passwordField"))->property("text").toString(), QString());
    VERIFY_NO_WARNINGS("logging out after a login from the command line");
}

// The German translation built from translations/sotto_de.ts is loaded and used by the pages.
void UiTest::germanTranslationIsUsed()
{
    QTranslator translator;
    QVERIFY(translator.load(QLocale(QLocale::German, QLocale::Germany), QStringLiteral("sotto"), QStringLiteral("_"),
                            QStringLiteral(":/i18n")));
    QVERIFY(QCoreApplication::installTranslator(&translator));
    auto uninstall = qScopeGuard([&translator] { QCoreApplication::removeTranslator(&translator); });

    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    auto *loginButton = findItem(currentPage(), QStringLiteral("loginButton"));
    QVERIFY(loginButton);
    QCOMPARE(loginButton->property("text").toString(), QStringLiteral("Anmelden"));
    auto *status = findItem(m_window->contentItem(), QStringLiteral("statusText"));
    QVERIFY(status);
    QCOMPARE(status->property("text").toString(), QStringLiteral("Nicht angemeldet"));

    QVERIFY(m_context->openOffline(alice));
    QVERIFY(QMetaObject::invokeMethod(m_window, "openChat", Q_ARG(QVariant, bob), Q_ARG(QVariant, true)));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    auto *sendButton = findItem(currentPage(), QStringLiteral("sendButton"));
    QVERIFY(sendButton);
    QCOMPARE(sendButton->property("text").toString(), QStringLiteral("Senden"));
    VERIFY_NO_WARNINGS("using the German translation");
}

void UiTest::passphraseProtectsRememberedContacts()
{
    // No keyring: the app says that verified contacts last for this run, and offers a passphrase.
    QVERIFY(m_context->openOffline(QStringLiteral("alice@example.org")));
    QVERIFY(!m_context->encryptionNotice().isEmpty());
    // Bob is verified in this run, before there is a passphrase: his secret waits in memory meanwhile.
    Esession::RetainedSecretStore *runStore = m_context->account()->esession()->retainedSecretStore();
    QVERIFY(runStore);
    QVERIFY(!m_context->secretStore());
    const QByteArray runSecret = Crypto::randomBytes(32);
    QVERIFY(runStore->replace(bob, std::nullopt, runSecret));
    QVERIFY(runStore->markVerified(bob, runSecret));
    QCOMPARE(m_context->usePassphrase(QString()), QStringLiteral("the passphrase is empty"));
    QVERIFY(m_context->usePassphrase(QStringLiteral("a long passphrase")).isEmpty());
    QVERIFY(m_context->encryptionNotice().isEmpty());
    // The passphrase keeps what this run learned: Bob is still verified, now in the encrypted store the engine uses.
    QCOMPARE(m_context->account()->esession()->retainedSecretStore(), m_context->secretStore());
    QCOMPARE(m_context->secretStore()->secrets(bob).size(), 1);
    QCOMPARE(m_context->secretStore()->secrets(bob).first().secret, runSecret);
    QVERIFY(m_context->secretStore()->secrets(bob).first().verified);
    QVERIFY(runStore->secrets(bob).isEmpty());
    const QString vaultFile = Paths::accountDataDir(QStringLiteral("alice@example.org"), m_dataDir->path())
        + QStringLiteral("/vault.json");
    QFile file(vaultFile);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().contains("\"passphrase\""));
    file.close();

    // The next start: the vault is there, only the right passphrase opens it.
    m_context->logout();
    QVERIFY(m_context->openOffline(QStringLiteral("alice@example.org")));
    QVERIFY(!m_context->encryptionNotice().isEmpty());
    QCOMPARE(m_context->usePassphrase(QStringLiteral("another one")), QStringLiteral("wrong passphrase"));
    QVERIFY(!m_context->encryptionNotice().isEmpty());
    QVERIFY(m_context->usePassphrase(QStringLiteral("a long passphrase")).isEmpty());
    QVERIFY(m_context->encryptionNotice().isEmpty());
    QVERIFY(m_context->secretStore()->secrets(bob).first().verified);
}

// The next start with a passphrase vault: the history is unreadable until the passphrase is given, so the chat says
// so even in a plain conversation and unlocks right there; Settings > Encryption unlocks too (after "Lock now").
void UiTest::lockedHistoryOffersUnlock()
{
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(m_context->usePassphrase(QStringLiteral("history passphrase")).isEmpty());
    QVERIFY(m_context->store()->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"), QStringLiteral("sealed hello"),
                                            QStringLiteral("id-1"), QDateTime::currentDateTimeUtc(), false,
                                            MessageState::Received));
    m_context->logout();
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(m_context->isVaultLocked());

    QVERIFY(loadMain(m_context.get(), bob));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    QQuickItem *page = currentPage();
    auto *messageList = findItem(page, QStringLiteral("messageList"));
    QVERIFY(messageList);
    // Delegates come and go as the model reloads: the text is looked up afresh each time.
    const auto shownBody = [messageList] {
        const QList<QQuickItem *> bubbles = findItems(messageList, QStringLiteral("messageBody"));
        return bubbles.size() == 1 ? bubbles.first()->property("text").toString() : QString();
    };
    QTRY_VERIFY2(shownBody().contains(QStringLiteral("cannot be opened now")), qPrintable(shownBody()));
    auto *notice = findItem(page, QStringLiteral("encryptionNotice"));
    QVERIFY(notice);
    QTRY_VERIFY(notice->isVisible());
    QVERIFY(findItem(notice, QStringLiteral("encryptionNoticeText"))->property("text").toString().contains(
        QStringLiteral("locked")));
    auto *unlock = findItem(notice, QStringLiteral("usePassphraseButton"));
    QVERIFY(unlock);
    QCOMPARE(unlock->property("text").toString(), QStringLiteral("Unlock…"));
    QVERIFY(clickItem(m_window, unlock));
    auto *dialog = page->findChild<QObject *>(QStringLiteral("passphraseDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("opened").toBool());
    QCOMPARE(dialog->property("title").toString(), QStringLiteral("Unlock your history"));
    auto *field = findItem(dialog->property("contentItem").value<QQuickItem *>(), QStringLiteral("passphraseField"));
    QVERIFY(field);
    field->setProperty("text", QStringLiteral("history passphrase"));
    QVERIFY(QMetaObject::invokeMethod(dialog, "accept"));
    QTRY_VERIFY(!m_context->isVaultLocked());
    QTRY_VERIFY(!notice->isVisible());
    QTRY_COMPARE(shownBody(), QStringLiteral("sealed hello"));
    VERIFY_NO_WARNINGS("unlocking from the chat");

    // Settings: "Lock now", then "Unlock…" on the same page; a wrong passphrase is said, the right one opens.
    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsButton"))));
    QVERIFY(waitForPage(QStringLiteral("settingsPage")));
    QQuickItem *settings = currentPage();
    QVERIFY(clickItem(m_window, findItem(settings, QStringLiteral("lockNowButton"))));
    QTRY_VERIFY(m_context->isVaultLocked());
    auto *unlockButton = findItem(settings, QStringLiteral("unlockButton"));
    QTRY_VERIFY(unlockButton->isVisible());
    auto *unlockDialog = settings->findChild<QObject *>(QStringLiteral("unlockDialog"));
    QVERIFY(unlockDialog);
    auto *unlockField = findItem(unlockDialog->property("contentItem").value<QQuickItem *>(),
                                 QStringLiteral("unlockPassphraseField"));
    QVERIFY(unlockButton && unlockField);
    for (const QString &attempt : {QStringLiteral("not it"), QStringLiteral("history passphrase")}) {
        QVERIFY(clickItem(m_window, unlockButton));
        QTRY_VERIFY(unlockDialog->property("opened").toBool());
        unlockField->setProperty("text", attempt);
        QVERIFY(QMetaObject::invokeMethod(unlockDialog, "accept"));
        QTRY_VERIFY(!unlockDialog->property("opened").toBool());
        if (attempt == u"not it") {
            QTRY_COMPARE(findItem(settings, QStringLiteral("vaultError"))->property("text").toString(),
                         QStringLiteral("wrong passphrase"));
            QVERIFY(m_context->isVaultLocked());
        }
    }
    QTRY_VERIFY(m_context->isVaultUnlocked());
    QTRY_VERIFY(!unlockButton->isVisible());
    QVERIFY(findItem(settings, QStringLiteral("vaultText"))->property("text").toString().contains(
        QStringLiteral("protected by your passphrase")));
    QCOMPARE(m_context->store()->history(bob).first().body, QStringLiteral("sealed hello"));
    VERIFY_NO_WARNINGS("locking and unlocking in the settings");
}

void UiTest::encryptionSettingsExplainAndForget()
{
    // Two remembered contacts in the encrypted store (a passphrase vault: no keyring in tests).
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(m_context->usePassphrase(QStringLiteral("settings test")).isEmpty());
    SqlRetainedSecretStore *store = m_context->secretStore();
    QVERIFY(store);
    const QByteArray bobSecret = Crypto::randomBytes(32);
    QVERIFY(store->replace(bob, std::nullopt, bobSecret));
    QVERIFY(store->markVerified(bob, bobSecret));
    QVERIFY(store->replace(QStringLiteral("carol@example.org"), std::nullopt, Crypto::randomBytes(32)));

    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsButton"))));
    QVERIFY(waitForPage(QStringLiteral("settingsPage")));
    auto *list = findItem(currentPage(), QStringLiteral("secretList"));
    QVERIFY(list);
    QTRY_COMPARE(list->property("count").toInt(), 2);
    QList<QQuickItem *> rows;
    QTRY_COMPARE((rows = findItems(list, QStringLiteral("secretRow"))).size(), 2);
    std::sort(rows.begin(), rows.end(), [](QQuickItem *a, QQuickItem *b) { return a->y() < b->y(); });
    // Bob's row (first by address) says in words that he was verified; Carol's that she was not.
    QVERIFY(findItem(rows[0], QStringLiteral("secretSummary"))->property("text").toString().contains(
        QStringLiteral("You compared the code")));
    QVERIFY(findItem(rows[1], QStringLiteral("secretSummary"))->property("text").toString().contains(
        QStringLiteral("Not verified")));
    QTest::qWait(100);
    QVERIFY(m_window->grabWindow().save(QStringLiteral("settings-page.png")));
    VERIFY_NO_WARNINGS("opening the encryption settings");

    // "Mark as unverified": Bob's next session asks for a code again.
    QVERIFY(clickItem(m_window, findItem(rows[0], QStringLiteral("markUnverifiedButton"))));
    QTRY_VERIFY(!store->secrets(bob).first().verified);

    // "Forget…", with the consequence in words, then "Forget all for this contact".
    QTRY_COMPARE((rows = findItems(list, QStringLiteral("secretRow"))).size(), 2);
    std::sort(rows.begin(), rows.end(), [](QQuickItem *a, QQuickItem *b) { return a->y() < b->y(); });
    QVERIFY(clickItem(m_window, findItem(rows[0], QStringLiteral("forgetButton"))));
    auto *dialog = currentPage()->findChild<QObject *>(QStringLiteral("forgetDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("opened").toBool());
    QVERIFY(clickItem(m_window, findItem(dialog->property("contentItem").value<QQuickItem *>(),
                                         QStringLiteral("forgetAllButton"))));
    QTRY_VERIFY(store->secrets(bob).isEmpty());
    QCOMPARE(store->secrets(QStringLiteral("carol@example.org")).size(), 1);
    QTRY_COMPARE(list->property("count").toInt(), 1);

    // The per-contact policy is kept in the database.
    auto *model = list->property("model").value<QObject *>();
    QVERIFY(model);
    bool ok = false;
    QVERIFY(QMetaObject::invokeMethod(model, "setPolicy", Q_RETURN_ARG(bool, ok),
                                      Q_ARG(QString, QStringLiteral("carol@example.org")), Q_ARG(int, 2)));
    QVERIFY(ok);
    QCOMPARE(m_context->contactSettings()->sessionPolicy(QStringLiteral("carol@example.org")), SessionPolicy::Always);
    VERIFY_NO_WARNINGS("managing remembered contacts");

    // Where the key lives, "Change passphrase" and "Lock now".
    QCOMPARE(m_context->vaultKind(), QStringLiteral("passphrase"));
    QVERIFY(findItem(currentPage(), QStringLiteral("vaultText"))->property("text").toString().contains(QStringLiteral("passphrase")));
    QVERIFY(!m_context->changePassphrase(QStringLiteral("not it"), QStringLiteral("new one")).isEmpty());
    QVERIFY(m_context->changePassphrase(QStringLiteral("settings test"), QStringLiteral("new one")).isEmpty());
    auto *lockButton = findItem(currentPage(), QStringLiteral("lockNowButton"));
    QVERIFY(lockButton && lockButton->isVisible());
    QVERIFY(clickItem(m_window, lockButton));
    QTRY_VERIFY(!m_context->isVaultUnlocked());
    QVERIFY(!m_context->secretStore());
    QTRY_VERIFY(findItem(currentPage(), QStringLiteral("secretsUnavailable"))->isVisible());
    QCOMPARE(m_context->usePassphrase(QStringLiteral("settings test")), QStringLiteral("wrong passphrase"));
    QVERIFY(m_context->usePassphrase(QStringLiteral("new one")).isEmpty());
    QCOMPARE(m_context->secretStore()->secrets(QStringLiteral("carol@example.org")).size(), 1);
    VERIFY_NO_WARNINGS("changing the passphrase and locking");
}

// Settings > Encryption, "Key exchange strength": which MODP groups new sessions offer, strongest first,
// kept in the database and used by the next offer; the last group cannot be taken away.
void UiTest::encryptionSettingsChooseGroups()
{
    QVERIFY(m_context->openOffline(alice));
    AppSettings *settings = m_context->appSettings();
    QVERIFY(settings);
    // Nothing chosen yet: the engine's defaults, in the offer too.
    QCOMPARE(offeredModpGroups(m_context.get()), (QStringList{QStringLiteral("15"), QStringLiteral("14")}));

    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsButton"))));
    QVERIFY(waitForPage(QStringLiteral("settingsPage")));
    auto *section = findItem(currentPage(), QStringLiteral("groupsSection"));
    QVERIFY(section && section->isVisible() && section->isEnabled());
    QVERIFY(findItem(section, QStringLiteral("groupsHint"))->property("text").toString().contains(
        QStringLiteral("group 18 takes about a second")));
    // Groups 14 to 18 only, strongest first; 15 and 14 ticked.
    QList<QQuickItem *> boxes;
    for (const int group : {18, 17, 16, 15, 14}) {
        auto *box = findItem(section, QStringLiteral("groupCheck%1").arg(group));
        QVERIFY2(box && box->isVisible(), qPrintable(QString::number(group)));
        QCOMPARE(box->property("checked").toBool(), group == 15 || group == 14);
        boxes << box;
    }
    QCOMPARE(boxes[0]->property("text").toString(), QStringLiteral("Group 18 (8192-bit)"));
    QCOMPARE(boxes[4]->property("text").toString(), QStringLiteral("Group 14 (2048-bit)"));
    for (const int weak : {1, 2, 5})
        QVERIFY(!findItem(section, QStringLiteral("groupCheck%1").arg(weak)));
    std::sort(boxes.begin(), boxes.end(), [](QQuickItem *a, QQuickItem *b) {
        const QPointF pa = a->mapToScene({}), pb = b->mapToScene({});
        return pa.y() < pb.y() || (pa.y() == pb.y() && pa.x() < pb.x());
    });
    QCOMPARE(boxes.first()->objectName(), QStringLiteral("groupCheck18"));
    QTest::qWait(100);
    QVERIFY(m_window->grabWindow().save(QStringLiteral("settings-groups.png")));
    VERIFY_NO_WARNINGS("showing the key exchange groups");

    // Ticking 18: stored, and the next offer lists it first.
    QVERIFY(clickItem(m_window, findItem(section, QStringLiteral("groupCheck18"))));
    QTRY_COMPARE(settings->value(AppSettings::PreferredGroupsKey), std::optional<QString>(QStringLiteral("18,15,14")));
    QCOMPARE(offeredModpGroups(m_context.get()),
             (QStringList{QStringLiteral("18"), QStringLiteral("15"), QStringLiteral("14")}));

    // Down to 18 alone; taking that one away too is refused, with the reason, and nothing changes.
    QVERIFY(clickItem(m_window, findItem(section, QStringLiteral("groupCheck15"))));
    QVERIFY(clickItem(m_window, findItem(section, QStringLiteral("groupCheck14"))));
    QTRY_COMPARE(settings->value(AppSettings::PreferredGroupsKey), std::optional<QString>(QStringLiteral("18")));
    auto *error = findItem(section, QStringLiteral("groupsError"));
    QVERIFY(error && !error->isVisible());
    auto *only = findItem(section, QStringLiteral("groupCheck18"));
    QVERIFY(clickItem(m_window, only));
    QTRY_VERIFY(error->isVisible());
    QCOMPARE(error->property("text").toString(),
             QStringLiteral("Keep at least one group: without one, no encrypted session can start."));
    QTRY_VERIFY(only->property("checked").toBool());
    QCOMPARE(settings->value(AppSettings::PreferredGroupsKey), std::optional<QString>(QStringLiteral("18")));
    QCOMPARE(offeredModpGroups(m_context.get()), QStringList{QStringLiteral("18")});
    VERIFY_NO_WARNINGS("choosing the key exchange groups");

    // Kept in the database: the account opened again offers what was chosen, and the page shows it.
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsBackButton"))));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    m_window = nullptr;
    m_engine.reset();
    m_context->logout();
    QVERIFY(!m_context->appSettings());
    QVERIFY(m_context->openOffline(alice));
    QCOMPARE(m_context->appSettings()->preferredGroups(), QList<Crypto::ModpGroup>{Crypto::ModpGroup::Group18});
    QCOMPARE(offeredModpGroups(m_context.get()), QStringList{QStringLiteral("18")});
    QVERIFY(loadMain(m_context.get()));
    QVERIFY(waitForPage(QStringLiteral("contactsPage")));
    QVERIFY(clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsButton"))));
    QVERIFY(waitForPage(QStringLiteral("settingsPage")));
    section = findItem(currentPage(), QStringLiteral("groupsSection"));
    QVERIFY(section);
    for (const int group : {18, 17, 16, 15, 14})
        QCOMPARE(findItem(section, QStringLiteral("groupCheck%1").arg(group))->property("checked").toBool(), group == 18);
    VERIFY_NO_WARNINGS("reopening the account");

    // What the store accepts: groups 14 to 18, each once, never an empty list or one below the floor.
    QCOMPARE(AppSettings::parseGroups(QStringLiteral("15,14,15")),
             std::optional<QList<Crypto::ModpGroup>>({Crypto::ModpGroup::Group15, Crypto::ModpGroup::Group14}));
    for (const QString &bad : {QString(), QStringLiteral("5"), QStringLiteral("14,2"), QStringLiteral("3"),
                               QStringLiteral("014"), QStringLiteral("15;14")})
        QVERIFY2(!AppSettings::parseGroups(bad), qPrintable(bad));
    QVERIFY(!m_context->appSettings()->setPreferredGroups({}));
    QVERIFY(!m_context->appSettings()->setPreferredGroups({Crypto::ModpGroup::Group5}));
    QCOMPARE(m_context->appSettings()->preferredGroups(), QList<Crypto::ModpGroup>{Crypto::ModpGroup::Group18});
}

// Settings > Encryption, "Compatibility with other ESession clients" in a contact's row: off by default with its
// explanation beside it; ticking it is stored for that contact only, and the next offer to the contact adds sas28x5
// after Sotto's own code; unticking takes it away again. Kept in the database.
void UiTest::encryptionSettingsWeakSasCompatibility()
{
    const QString committed = Esession::sasAlgorithmName(Esession::SasAlgorithm::Committed);
    const QString weak = Esession::sasAlgorithmName(Esession::SasAlgorithm::Sas28x5);
    const QString carol = QStringLiteral("carol@example.org");
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(m_context->usePassphrase(QStringLiteral("compatibility test")).isEmpty());
    SqlRetainedSecretStore *store = m_context->secretStore();
    QVERIFY(store);
    QVERIFY(store->replace(bob, std::nullopt, Crypto::randomBytes(32)));
    QVERIFY(store->replace(carol, std::nullopt, Crypto::randomBytes(32)));
    QCOMPARE(offeredSasAlgorithms(m_context.get()), QStringList{committed});

    const auto openSettings = [this]() -> QList<QQuickItem *> {
        QList<QQuickItem *> rows;
        if (!loadMain(m_context.get()) || !waitForPage(QStringLiteral("contactsPage"))
            || !clickItem(m_window, findItem(currentPage(), QStringLiteral("settingsButton")))
            || !waitForPage(QStringLiteral("settingsPage")))
            return rows;
        auto *list = findItem(currentPage(), QStringLiteral("secretList"));
        if (!list || !QTest::qWaitFor([&] { return (rows = findItems(list, QStringLiteral("secretRow"))).size() == 2; }))
            return {};
        // Bob first, by address.
        std::sort(rows.begin(), rows.end(), [](QQuickItem *a, QQuickItem *b) { return a->y() < b->y(); });
        return rows;
    };
    QList<QQuickItem *> rows = openSettings();
    QCOMPARE(rows.size(), 2);
    auto *bobBox = findItem(rows[0], QStringLiteral("weakSasBox"));
    auto *carolBox = findItem(rows[1], QStringLiteral("weakSasBox"));
    QVERIFY(bobBox && carolBox);
    QVERIFY(bobBox->isVisible());
    QCOMPARE(bobBox->property("text").toString(), QStringLiteral("Compatibility with other ESession clients"));
    QVERIFY(!bobBox->property("checked").toBool());
    QVERIFY(!carolBox->property("checked").toBool());
    auto *hint = findItem(rows[0], QStringLiteral("weakSasHint"));
    QVERIFY(hint && hint->isVisible());
    const QString hintText = hint->property("text").toString();
    QVERIFY2(hintText.contains(QStringLiteral("sas28x5")) && hintText.contains(QStringLiteral("proves less")),
             qPrintable(hintText));
    QTest::qWait(100);
    QVERIFY(m_window->grabWindow().save(QStringLiteral("settings-compatibility.png")));
    VERIFY_NO_WARNINGS("showing the compatibility switch");

    // On for Bob: stored, and his next offer has sas28x5 after the committed code. Carol's stays off.
    QVERIFY(clickItem(m_window, bobBox));
    QTRY_VERIFY(m_context->contactSettings()->weakSasAllowed(bob));
    QVERIFY(bobBox->property("checked").toBool());
    QVERIFY(!m_context->contactSettings()->weakSasAllowed(carol));
    QVERIFY(!carolBox->property("checked").toBool());
    QCOMPARE(offeredSasAlgorithms(m_context.get()), (QStringList{committed, weak}));
    QCOMPARE(m_context->account()->esession()->handshakePolicy(carol)->sasAlgorithms,
             QList<Esession::SasAlgorithm>{Esession::SasAlgorithm::Committed});
    // Setting the switch leaves the contact's policy alone.
    QCOMPARE(m_context->contactSettings()->sessionPolicy(bob), ContactSettings::DefaultPolicy);
    VERIFY_NO_WARNINGS("switching compatibility on");

    // Kept in the database: the account opened again shows it and offers it.
    m_window = nullptr;
    m_engine.reset();
    m_context->logout();
    QVERIFY(m_context->openOffline(alice));
    QVERIFY(m_context->usePassphrase(QStringLiteral("compatibility test")).isEmpty());
    QCOMPARE(offeredSasAlgorithms(m_context.get()), (QStringList{committed, weak}));
    rows = openSettings();
    QCOMPARE(rows.size(), 2);
    bobBox = findItem(rows[0], QStringLiteral("weakSasBox"));
    QVERIFY(bobBox && bobBox->property("checked").toBool());
    QVERIFY(!findItem(rows[1], QStringLiteral("weakSasBox"))->property("checked").toBool());

    // Off again: only the committed code.
    QVERIFY(clickItem(m_window, bobBox));
    QTRY_VERIFY(!m_context->contactSettings()->weakSasAllowed(bob));
    QVERIFY(!bobBox->property("checked").toBool());
    QCOMPARE(offeredSasAlgorithms(m_context.get()), QStringList{committed});
    VERIFY_NO_WARNINGS("switching compatibility off");
}

int main(int argc, char *argv[])
{
    Crypto::Library cryptoLibrary;
    QGuiApplication app(argc, argv);
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    UiTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_pages.moc"
