// UI test against a real server: a throwaway Prosody (scripts/local-server through LocalServer), Alice in
// the offscreen window and Bob as an in-process peer built from the core. Every QML warning fails.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/QQmlExtensionPlugin>

#include <memory>

#include "AppContext.h"
#include "VerificationFlow.h"
#include "esession/RetainedSecretStore.h"
#include "xmpp/EsessionExtension.h"
#include "ContactListModel.h"
#include "LocalServer.h"
#include "crypto/Crypto.h"
#include "session/Messenger.h"
#include "session/SessionManager.h"
#include "session/ThreadSession.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"
#include "xmpp/Account.h"
#include "UiTestSupport.h"

Q_IMPORT_QML_PLUGIN(SottoPlugin)

using namespace UiTestSupport;

namespace {

const QString alice = QStringLiteral("alice@localhost");
const QString bob = QStringLiteral("bob@localhost");
constexpr int NetworkTimeoutMs = 20000;

// A contact on the other end, made of the same core objects the application uses.
struct Peer
{
    explicit Peer(const QString &databasePath)
        : database(databasePath)
    {
    }

    Database database;
    Account account;
    std::unique_ptr<MessageStore> store;
    std::unique_ptr<Messenger> messenger;
};

} // namespace

class OnlineUiTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void loginChatAndSubscriptionAgainstARealServer();
    void strangerEncryptionRequestWaitsForTheUser();

private:
    QQuickItem *currentPage() const;
    bool waitForPage(const QString &objectName, int timeoutMs = 5000);
    void fillLoginForm(const QString &password);
    /// Opens @p peer's database and gives it @p user's account on the test server, a store and a messenger.
    bool setUpPeer(Peer &peer, const QString &user);

    LocalServer m_server;
    QTemporaryDir m_dataDir;
    std::unique_ptr<AppContext> m_context;
    std::unique_ptr<QQmlApplicationEngine> m_engine;
    QQuickWindow *m_window = nullptr;
};

void OnlineUiTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    QVERIFY(m_dataDir.isValid());
    WarningRecorder::install();
}

void OnlineUiTest::cleanupTestCase()
{
    m_engine.reset();
    m_context.reset();
}

QQuickItem *OnlineUiTest::currentPage() const
{
    return UiTestSupport::currentPage(m_window);
}

bool OnlineUiTest::waitForPage(const QString &objectName, int timeoutMs)
{
    return UiTestSupport::waitForPage(m_window, objectName, timeoutMs);
}

bool OnlineUiTest::setUpPeer(Peer &peer, const QString &user)
{
    if (!peer.database.open())
        return false;
    AccountConfig config;
    config.jid = user + QStringLiteral("@localhost");
    config.password = m_server.password(user);
    config.host = m_server.host();
    config.port = m_server.port();
    config.trustedCertPath = m_server.certPath();
    peer.account.setConfig(config);
    peer.store = std::make_unique<MessageStore>(&peer.database);
    peer.messenger = std::make_unique<Messenger>(&peer.account, peer.store.get());
    return true;
}

void OnlineUiTest::fillLoginForm(const QString &password)
{
    QQuickItem *page = currentPage();
    const QList<std::pair<QString, QString>> fields{
        {QStringLiteral("jidField"), alice},
        {QStringLiteral("passwordField"), password},
        {QStringLiteral("hostField"), m_server.host()},
        {QStringLiteral("portField"), QString::number(m_server.port())},
        {QStringLiteral("certField"), m_server.certPath()},
    };
    for (const auto &[name, value] : fields) {
        QQuickItem *field = findItem(page, name);
        QVERIFY2(field, qPrintable(name));
        field->setProperty("text", value);
    }
}

void OnlineUiTest::loginChatAndSubscriptionAgainstARealServer()
{
    m_context = std::make_unique<AppContext>();
    m_context->setKeyringEnabled(false); // never the desktop keyring of whoever runs the tests
    m_context->setDataDir(m_dataDir.filePath(QStringLiteral("alice")));
    m_engine = std::make_unique<QQmlApplicationEngine>();
    m_engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
    m_engine->setInitialProperties({{QStringLiteral("context"), QVariant::fromValue(m_context.get())}});
    m_engine->load(mainUrl);
    QCOMPARE(m_engine->rootObjects().size(), 1);
    m_window = qobject_cast<QQuickWindow *>(m_engine->rootObjects().constFirst());
    QVERIFY(m_window);
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    auto *status = findItem(m_window->contentItem(), QStringLiteral("statusText"));
    QVERIFY(status);

    // A wrong password: the reason shows on the login page, which stays.
    fillLoginForm(QStringLiteral("not-the-password"));
    auto *loginButton = findItem(currentPage(), QStringLiteral("loginButton"));
    QVERIFY(loginButton);
    QTRY_VERIFY(loginButton->isEnabled());
    QVERIFY(clickItem(m_window, loginButton));
    auto *error = findItem(currentPage(), QStringLiteral("errorText"));
    QVERIFY(error);
    QTRY_COMPARE_WITH_TIMEOUT(error->property("text").toString(),
                              QStringLiteral("Could not log in: the server rejected the address or password"),
                              NetworkTimeoutMs);
    QTRY_VERIFY(!m_context->isSessionOpen());
    QCOMPARE(currentPage()->objectName(), QStringLiteral("loginPage"));
    QCOMPARE(status->property("text").toString(), QStringLiteral("Not logged in"));
    VERIFY_NO_WARNINGS("after a rejected login");

    // The right one: online, and on to the contacts.
    fillLoginForm(m_server.password(QStringLiteral("alice")));
    QTRY_VERIFY(loginButton->isEnabled());
    QVERIFY(clickItem(m_window, loginButton));
    QVERIFY(waitForPage(QStringLiteral("contactsPage"), NetworkTimeoutMs));
    QCOMPARE(m_context->connectionState(), AppContext::Online);
    QCOMPARE(status->property("text").toString(), QStringLiteral("Online as alice@localhost"));
    VERIFY_NO_WARNINGS("logging in");

    // Bob comes online and asks to add Alice; she accepts on the contacts page.
    Peer peer(m_dataDir.filePath(QStringLiteral("bob/sotto.sqlite")));
    QVERIFY(setUpPeer(peer, QStringLiteral("bob")));
    QSignalSpy received(peer.messenger.get(), &Messenger::messageReceived);
    peer.account.connectToServer();
    QTRY_COMPARE_WITH_TIMEOUT(peer.account.state(), Account::State::Online, NetworkTimeoutMs);
    peer.account.addContact(alice);

    QTRY_COMPARE_WITH_TIMEOUT(m_context->pendingRequests(), QStringList{bob}, NetworkTimeoutMs);
    QQuickItem *accept = nullptr;
    QTRY_VERIFY((accept = findItem(currentPage(), QStringLiteral("acceptRequest"))) && accept->height() > 0);
    QVERIFY(clickItem(m_window, accept));
    QTRY_VERIFY(m_context->pendingRequests().isEmpty());
    QTRY_VERIFY(!findItem(currentPage(), QStringLiteral("acceptRequest")));

    // Bob is in the list, online (said in words too).
    ContactListModel *contacts = m_context->contacts();
    QTRY_VERIFY_WITH_TIMEOUT(contacts->indexOf(bob) >= 0, NetworkTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        contacts->data(contacts->index(contacts->indexOf(bob)), ContactListModel::OnlineRole).toBool(),
        NetworkTimeoutMs);
    QCOMPARE(contacts->data(contacts->index(contacts->indexOf(bob)), ContactListModel::PresenceTextRole).toString(),
             QStringLiteral("online"));
    VERIFY_NO_WARNINGS("accepting a subscription request");

    // Open the conversation and send: the state goes to "sent", and Bob receives it.
    auto *contactList = findItem(currentPage(), QStringLiteral("contactList"));
    QVERIFY(contactList);
    QList<QQuickItem *> rows;
    QTRY_COMPARE((rows = delegates(contactList)).size(), 1);
    QVERIFY(clickItem(m_window, rows.first()));
    QVERIFY(waitForPage(QStringLiteral("chatPage")));
    auto *presence = findItem(currentPage(), QStringLiteral("peerPresence"));
    QVERIFY(presence);
    QCOMPARE(presence->property("text").toString(), QStringLiteral("online"));

    auto *composer = findItem(currentPage(), QStringLiteral("composer"));
    auto *messageList = findItem(currentPage(), QStringLiteral("messageList"));
    QVERIFY(composer && messageList);
    m_window->requestActivate();
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    composer->forceActiveFocus();
    QTRY_VERIFY(composer->hasActiveFocus());
    typeText(m_window, QStringLiteral("Hi Bob"));
    QTest::keyClick(m_window, Qt::Key_Return);
    QTRY_COMPARE(messageList->property("count").toInt(), 1);
    QQuickItem *meta = nullptr;
    QTRY_VERIFY((meta = findItem(messageList, QStringLiteral("messageMeta"))));
    QTRY_VERIFY_WITH_TIMEOUT(meta->property("text").toString().endsWith(QStringLiteral(" delivered")), NetworkTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, NetworkTimeoutMs);
    QCOMPARE(received.first().first().value<StoredMessage>().body, QStringLiteral("Hi Bob"));

    // Bob answers in the same thread: it appears in the open conversation, which stays read.
    QVERIFY(peer.messenger->send(alice, QStringLiteral("Hi Alice")));
    QTRY_COMPARE_WITH_TIMEOUT(messageList->property("count").toInt(), 2, NetworkTimeoutMs);
    QList<QQuickItem *> bodies;
    QTRY_COMPARE((bodies = findItems(messageList, QStringLiteral("messageBody"))).size(), 2);
    std::sort(bodies.begin(), bodies.end(),
              [](QQuickItem *a, QQuickItem *b) { return a->mapToScene({}).y() < b->mapToScene({}).y(); });
    QCOMPARE(bodies.last()->property("text").toString(), QStringLiteral("Hi Alice"));
    QCOMPARE(m_context->store()->unreadCount(bob), 0);

    QTest::qWait(100);
    QVERIFY(m_window->grabWindow().save(QStringLiteral("chat-online.png")));
    VERIFY_NO_WARNINGS("chatting online");

    // "Start encrypted session": Bob's client accepts, both show the same SAS, and the dialog opens.
    Esession::MemoryRetainedSecretStore bobSecrets;
    EsessionExtension *bobEsession = peer.account.esession();
    bobEsession->setRetainedSecretStore(&bobSecrets);
    QSignalSpy bobUp(bobEsession, &EsessionExtension::esessionEstablished);
    QSignalSpy bobEnded(bobEsession, &EsessionExtension::sessionEnded);
    auto *shieldText = findItem(currentPage(), QStringLiteral("encryptionStatus"));
    QVERIFY(shieldText);
    QCOMPARE(shieldText->property("text").toString(), QStringLiteral("Not encrypted"));
    auto *startButton = findItem(currentPage(), QStringLiteral("startEncryptionButton"));
    QVERIFY(startButton && startButton->isVisible());
    QVERIFY(clickItem(m_window, startButton));
    QTRY_COMPARE_WITH_TIMEOUT(bobUp.count(), 1, NetworkTimeoutMs);
    const QString bobSas = bobUp.first().at(2).toString();
    QTRY_COMPARE_WITH_TIMEOUT(shieldText->property("text").toString(), QStringLiteral("Encrypted, not verified"),
                              NetworkTimeoutMs);
    auto *dialog = currentPage()->findChild<QObject *>(QStringLiteral("sasDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("opened").toBool());
    auto dialogItem = [dialog](const QString &name) {
        return findItem(dialog->property("contentItem").value<QQuickItem *>(), name);
    };
    QVERIFY(dialogItem(QStringLiteral("sasText")));
    QCOMPARE(dialogItem(QStringLiteral("sasText"))->property("text").toString(), VerificationFlow::groupSas(bobSas));
    QTest::qWait(300);
    m_window->grabWindow().save(QStringLiteral("sas-online.png"));
    // Shown for real: laid out inside the dialog, at its size (the dialog opened before the code came).
    auto *dialogContent = dialog->property("contentItem").value<QQuickItem *>();
    QTRY_VERIFY(dialogItem(QStringLiteral("sasText"))->isVisible() && dialogItem(QStringLiteral("sasText"))->height() >= 30);
    auto codeInsideDialog = [&] {
        QQuickItem *code = dialogItem(QStringLiteral("sasText"));
        const QRectF rect = code->mapRectToItem(dialogContent, code->boundingRect());
        return QRectF(0, 0, dialogContent->width(), dialogContent->height()).contains(rect);
    };
    QTRY_VERIFY2(codeInsideDialog(), "the code lies outside the dialog");

    // Messages now travel encrypted.
    QVERIFY(peer.messenger->send(alice, QStringLiteral("inside the session")));
    QTRY_COMPARE_WITH_TIMEOUT(messageList->property("count").toInt(), 3, NetworkTimeoutMs);
    QVERIFY(m_context->store()->history(bob).last().encrypted);

    // "They don't match": the session ends on both sides and the page says so.
    QVERIFY(clickItem(m_window, dialogItem(QStringLiteral("theyDontMatchButton"))));
    QTRY_COMPARE_WITH_TIMEOUT(bobEnded.count(), 1, NetworkTimeoutMs);
    QTRY_COMPARE(shieldText->property("text").toString(), QStringLiteral("Encryption failed"));
    QCOMPARE(bobSecrets.secrets(alice).first().verified, false);
    QTRY_VERIFY(dialogItem(QStringLiteral("sasCloseButton")) && dialogItem(QStringLiteral("sasCloseButton"))->isVisible());
    QVERIFY(clickItem(m_window, dialogItem(QStringLiteral("sasCloseButton"))));
    VERIFY_NO_WARNINGS("an encrypted session whose codes did not match");

    peer.account.disconnectFromServer();
    m_context->logout();
    QVERIFY(waitForPage(QStringLiteral("loginPage")));
    VERIFY_NO_WARNINGS("logging out");
}

// XEP-0155 §Presence Leaks (review M4): an ESession request from someone who is not a contact is not answered
// (no message 2, no error) until the user decides; Accept then starts the session, Decline refuses it.
void OnlineUiTest::strangerEncryptionRequestWaitsForTheUser()
{
    QVERIFY(!m_server.addUser(QStringLiteral("carol")).isEmpty());
    AppContext context;
    context.setKeyringEnabled(false);
    context.setDataDir(m_dataDir.filePath(QStringLiteral("alice-requests")));
    QVERIFY(context.login(alice, m_server.password(QStringLiteral("alice")), m_server.host(), m_server.port(),
                          m_server.certPath()));
    QTRY_COMPARE_WITH_TIMEOUT(context.connectionState(), AppContext::Online, NetworkTimeoutMs);

    const QString carol = QStringLiteral("carol@localhost");
    Peer stranger(m_dataDir.filePath(QStringLiteral("carol/sotto.sqlite")));
    QVERIFY(setUpPeer(stranger, QStringLiteral("carol")));
    Esession::MemoryRetainedSecretStore carolSecrets;
    EsessionExtension *carolEsession = stranger.account.esession();
    carolEsession->setRetainedSecretStore(&carolSecrets);
    QSignalSpy carolUp(carolEsession, &EsessionExtension::esessionEstablished);
    QSignalSpy carolFailed(carolEsession, &EsessionExtension::negotiationFailed);
    stranger.account.connectToServer();
    QTRY_COMPARE_WITH_TIMEOUT(stranger.account.state(), Account::State::Online, NetworkTimeoutMs);
    QSignalSpy requests(&context, &AppContext::encryptionRequestsChanged);

    for (const bool accept : {true, false}) {
        const QString thread = stranger.messenger->sessions()->startSession(alice)->threadId();
        QVERIFY(carolEsession->negotiate(alice, thread));
        QTRY_VERIFY_WITH_TIMEOUT(context.encryptionRequests().contains(carol), NetworkTimeoutMs);
        QVERIFY(context.hasEncryptionRequest(carol));
        // Nothing went back: Carol's request is still waiting for an answer, none came.
        QTest::qWait(1000);
        QVERIFY(carolEsession->isNegotiating(alice, thread));
        QCOMPARE(carolUp.count(), accept ? 0 : 1);
        QCOMPARE(carolFailed.count(), 0);
        if (accept) {
            context.acceptEncryptionRequest(carol);
            QTRY_COMPARE_WITH_TIMEOUT(carolUp.count(), 1, NetworkTimeoutMs);
        } else {
            context.declineEncryptionRequest(carol);
            QTRY_COMPARE_WITH_TIMEOUT(carolFailed.count(), 1, NetworkTimeoutMs);
            QCOMPARE(carolUp.count(), 1);
        }
        QVERIFY(!context.hasEncryptionRequest(carol));
        QVERIFY(!context.encryptionRequests().contains(carol));
    }
    QVERIFY(requests.count() >= 4);

    // Logging out ends the session that was accepted (XEP-0116/0217 §terminate), and the keys go with it.
    QSignalSpy carolEnded(carolEsession, &EsessionExtension::sessionEnded);
    QVERIFY(context.account()->esession()->holdsKeys());
    context.logout();
    QTRY_COMPARE_WITH_TIMEOUT(carolEnded.count(), 1, NetworkTimeoutMs);
    QCOMPARE(carolEnded.first().at(2).toString(), EsessionExtension::EndedByContact);
    stranger.account.disconnectFromServer();
}

int main(int argc, char *argv[])
{
    Crypto::Library cryptoLibrary;
    QGuiApplication app(argc, argv);
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    OnlineUiTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_online.moc"
