// The SAS dialog and the encryption status of the chat page, from the real "Sotto" module in an offscreen
// window, driven by clicks. Every QML warning fails a test.
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlComponent>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQmlProperty>
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
#include "EncryptionText.h"
#include "session/ConversationSecurity.h"
#include "xmpp/Account.h"
#include "xmpp/EsessionExtension.h"
#include "session/Messenger.h"
#include "storage/ContactSettings.h"
#include "ConversationModel.h"
#include "VerificationFlow.h"
#include "crypto/Crypto.h"
#include "storage/MessageStore.h"
#include "UiTestSupport.h"

Q_IMPORT_QML_PLUGIN(SottoPlugin)

using namespace UiTestSupport;

namespace {

const QString alice = QStringLiteral("alice@example.org");
const QString bob = QStringLiteral("bob@example.org");
const QString code = QStringLiteral("k3dq9");

QString accessibleName(QObject *item)
{
    return QQmlProperty(item, QStringLiteral("Accessible.name"), qmlContext(item)).read().toString();
}

// The message bubbles shown, from the top (the view's content holds other items too).
QList<QQuickItem *> messageRows(QQuickItem *messageList)
{
    QList<QQuickItem *> rows = delegates(messageList);
    rows.removeIf([](QQuickItem *row) { return !findItem(row, QStringLiteral("messageBody")); });
    return rows;
}

QString text(QObject *item)
{
    return item ? item->property("text").toString() : QString();
}

} // namespace

class SasDialogTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void matchingCodesVerifyAfterConfirmation();
    void differingCodesEndTheSession();
    void closingTheDialogCancels();
    void kindOfCodeIsNamedAndTheWeakOneWarned_data();
    void kindOfCodeIsNamedAndTheWeakOneWarned();
    void chatPageShowsTheSessionStatus();
    void chatPageWordsUndecryptableMessages();
    void chatPageWarnsAboutAChangedIdentity();
    void chatPageNamesTheFormerAddress();
    void chatPageOffersVerificationAndEncryption();
    void codeArrivingForTheShownPageOpensTheDialog();
    void chatPageSaysWhatTheNextMessageIs();
    void chatPageOffersTheOlderCodeWhenThatIsWhy();

private:
    // The dialog on its own, bound to m_flow and opened.
    QObject *openDialog();
    QQuickItem *dialogItem(const QString &objectName) const;
    // The chat page on its own for Bob, with an account opened offline.
    QQuickItem *loadChatPage();
    ConversationModel *pageModel() const;

    std::unique_ptr<QTemporaryDir> m_dataDir;
    std::unique_ptr<AppContext> m_context;
    std::unique_ptr<QQmlEngine> m_engine;
    std::unique_ptr<QQuickWindow> m_window;
    std::unique_ptr<VerificationFlow> m_flow;
    std::unique_ptr<QObject> m_root;
    QObject *m_dialog = nullptr;
};

void SasDialogTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    WarningRecorder::install();
}

void SasDialogTest::init()
{
    m_dataDir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dataDir->isValid());
    m_context = std::make_unique<AppContext>();
    m_context->setKeyringEnabled(false);
    m_context->setDataDir(m_dataDir->path());
    m_flow = std::make_unique<VerificationFlow>();
    m_engine = std::make_unique<QQmlEngine>();
    m_engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
    m_window = std::make_unique<QQuickWindow>();
    m_window->resize(800, 600);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    WarningRecorder::take();
}

void SasDialogTest::cleanup()
{
    m_dialog = nullptr;
    m_root.reset();
    m_window.reset();
    m_engine.reset();
    m_flow.reset();
    m_context.reset();
    m_dataDir.reset();
    WarningRecorder::take();
}

QObject *SasDialogTest::openDialog()
{
    QQmlComponent component(m_engine.get(), QUrl(QStringLiteral("qrc:/qt/qml/Sotto/SasDialog.qml")));
    if (!component.isReady()) {
        qWarning() << component.errorString();
        return nullptr;
    }
    m_root.reset(component.createWithInitialProperties({
        {QStringLiteral("flow"), QVariant::fromValue(m_flow.get())},
        {QStringLiteral("parent"), QVariant::fromValue(m_window->contentItem())},
    }));
    m_dialog = m_root.get();
    if (!m_dialog || !QMetaObject::invokeMethod(m_dialog, "open"))
        return nullptr;
    if (!QTest::qWaitFor([this] { return m_dialog->property("opened").toBool(); }))
        return nullptr;
    return m_dialog;
}

QQuickItem *SasDialogTest::dialogItem(const QString &objectName) const
{
    return m_dialog ? findItem(m_dialog->property("contentItem").value<QQuickItem *>(), objectName) : nullptr;
}

QQuickItem *SasDialogTest::loadChatPage()
{
    QQmlComponent component(m_engine.get(), QUrl(QStringLiteral("qrc:/qt/qml/Sotto/ChatPage.qml")));
    if (!component.isReady()) {
        qWarning() << component.errorString();
        return nullptr;
    }
    m_root.reset(component.createWithInitialProperties(
        {{QStringLiteral("context"), QVariant::fromValue(m_context.get())}, {QStringLiteral("peer"), bob}}));
    auto *page = qobject_cast<QQuickItem *>(m_root.get());
    if (!page)
        return nullptr;
    page->setParentItem(m_window->contentItem());
    page->setSize(m_window->size());
    if (!QQuickTest::qWaitForPolish(m_window.get()))
        return nullptr;
    return page;
}

ConversationModel *SasDialogTest::pageModel() const
{
    return m_root ? m_root->property("conversationModel").value<ConversationModel *>() : nullptr;
}

// The code is shown as grouped, spelled, and named for screen readers; "They match" alone verifies
// nothing, the worded confirmation does, and the app hears of it once.
void SasDialogTest::matchingCodesVerifyAfterConfirmation()
{
    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, false, VerificationFlow::Committed));
    QSignalSpy confirmed(m_flow.get(), &VerificationFlow::verificationConfirmed);
    QSignalSpy mismatch(m_flow.get(), &VerificationFlow::mismatchReported);
    QVERIFY(openDialog());
    QCOMPARE(m_dialog->property("state").toString(), QStringLiteral("comparing"));

    auto *sasText = dialogItem(QStringLiteral("sasText"));
    QVERIFY(sasText);
    QVERIFY(sasText->isVisible());
    QCOMPARE(text(sasText), m_flow->groupedSas());
    QCOMPARE(text(sasText), QStringLiteral("k3d q9"));
    QVERIFY2(accessibleName(sasText).contains(code), qPrintable(accessibleName(sasText)));
    QCOMPARE(text(dialogItem(QStringLiteral("sasSpoken"))), QStringLiteral("kilo · three · delta · quebec · nine"));
    QVERIFY(text(dialogItem(QStringLiteral("sasMessage"))).contains(QStringLiteral("Bob")));
    QVERIFY(!dialogItem(QStringLiteral("sasAlreadyVerified"))->isVisible());

    auto *theyMatch = dialogItem(QStringLiteral("theyMatchButton"));
    auto *theyDontMatch = dialogItem(QStringLiteral("theyDontMatchButton"));
    auto *confirm = dialogItem(QStringLiteral("confirmMatchButton"));
    QVERIFY(theyMatch && theyDontMatch && confirm);
    QVERIFY(theyMatch->isVisible() && theyDontMatch->isVisible());
    QVERIFY(!confirm->isVisible());
    QCOMPARE(text(theyMatch), QStringLiteral("They match"));
    QCOMPARE(text(theyDontMatch), QStringLiteral("They don't match"));
    // For people to look at (not checked): the dialog as rendered offscreen.
    QVERIFY(QQuickTest::qWaitForPolish(m_window.get()));
    QVERIFY(m_window->grabWindow().save(QStringLiteral("sas-dialog.png")));
    VERIFY_NO_WARNINGS("showing the code");

    QVERIFY(clickItem(m_window.get(), theyMatch));
    QTRY_COMPARE(m_flow->state(), VerificationFlow::ConfirmingMatch);
    QCOMPARE(m_dialog->property("state").toString(), QStringLiteral("confirming"));
    QTRY_VERIFY(confirm->isVisible());
    QVERIFY(!theyMatch->isVisible());
    QCOMPARE(text(confirm), QStringLiteral("Yes, mark as verified"));
    QVERIFY(text(dialogItem(QStringLiteral("sasMessage"))).contains(QStringLiteral("in person")));
    QCOMPARE(confirmed.size(), 0);

    QVERIFY(clickItem(m_window.get(), confirm));
    QTRY_COMPARE(m_flow->state(), VerificationFlow::Verified);
    QCOMPARE(m_dialog->property("state").toString(), QStringLiteral("verified"));
    QCOMPARE(confirmed.size(), 1);
    QCOMPARE(confirmed.first(), (QVariantList{bob, code}));
    QCOMPARE(mismatch.size(), 0);
    QVERIFY(text(dialogItem(QStringLiteral("sasMessage"))).contains(QStringLiteral("is verified")));
    VERIFY_NO_WARNINGS("confirming the match");

    // Closing now changes nothing.
    auto *close = dialogItem(QStringLiteral("sasCloseButton"));
    QVERIFY(close);
    QTRY_VERIFY(close->isVisible());
    QVERIFY(clickItem(m_window.get(), close));
    QTRY_VERIFY(!m_dialog->property("visible").toBool());
    QCOMPARE(m_flow->state(), VerificationFlow::Verified);
    QCOMPARE(confirmed.size(), 1);
    VERIFY_NO_WARNINGS("closing the dialog");
}

// "Back" returns to the comparison; "They don't match" ends it at once and says why.
void SasDialogTest::differingCodesEndTheSession()
{
    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, true, VerificationFlow::Committed));
    QSignalSpy confirmed(m_flow.get(), &VerificationFlow::verificationConfirmed);
    QSignalSpy mismatch(m_flow.get(), &VerificationFlow::mismatchReported);
    QVERIFY(openDialog());
    QVERIFY(dialogItem(QStringLiteral("sasAlreadyVerified"))->isVisible());

    QVERIFY(clickItem(m_window.get(), dialogItem(QStringLiteral("theyMatchButton"))));
    QTRY_COMPARE(m_flow->state(), VerificationFlow::ConfirmingMatch);
    auto *back = dialogItem(QStringLiteral("sasBackButton"));
    QTRY_VERIFY(back->isVisible());
    QVERIFY(clickItem(m_window.get(), back));
    QTRY_COMPARE(m_flow->state(), VerificationFlow::Comparing);
    QCOMPARE(m_dialog->property("state").toString(), QStringLiteral("comparing"));

    auto *theyDontMatch = dialogItem(QStringLiteral("theyDontMatchButton"));
    QTRY_VERIFY(theyDontMatch->isVisible());
    QVERIFY(clickItem(m_window.get(), theyDontMatch));
    QTRY_COMPARE(m_flow->state(), VerificationFlow::Mismatch);
    QCOMPARE(m_dialog->property("state").toString(), QStringLiteral("mismatch"));
    QCOMPARE(mismatch.size(), 1);
    QCOMPARE(mismatch.first(), (QVariantList{bob, code}));
    QCOMPARE(confirmed.size(), 0);
    auto *message = dialogItem(QStringLiteral("sasMessage"));
    QVERIFY2(text(message).contains(QStringLiteral("intercepting")), qPrintable(text(message)));
    QVERIFY2(text(message).contains(QStringLiteral("was ended")), qPrintable(text(message)));
    QVERIFY(!dialogItem(QStringLiteral("theyMatchButton"))->isVisible());
    QVERIFY(!dialogItem(QStringLiteral("confirmMatchButton"))->isVisible());
    QVERIFY(m_dialog->property("visible").toBool());
    VERIFY_NO_WARNINGS("reporting a mismatch");
}

// Escape before an answer cancels (the contact stays unverified); a flow cancelled by the app closes it.
void SasDialogTest::closingTheDialogCancels()
{
    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, false, VerificationFlow::Committed));
    QSignalSpy confirmed(m_flow.get(), &VerificationFlow::verificationConfirmed);
    QSignalSpy mismatch(m_flow.get(), &VerificationFlow::mismatchReported);
    QVERIFY(openDialog());
    QTest::keyClick(m_window.get(), Qt::Key_Escape);
    QTRY_VERIFY(!m_dialog->property("visible").toBool());
    QCOMPARE(m_flow->state(), VerificationFlow::Cancelled);

    QVERIFY(m_flow->restart());
    QVERIFY(QMetaObject::invokeMethod(m_dialog, "open"));
    QTRY_VERIFY(m_dialog->property("opened").toBool());
    QCOMPARE(m_dialog->property("state").toString(), QStringLiteral("comparing"));
    QVERIFY(m_flow->cancel());
    QTRY_VERIFY(!m_dialog->property("visible").toBool());
    QCOMPARE(confirmed.size(), 0);
    QCOMPARE(mismatch.size(), 0);
    VERIFY_NO_WARNINGS("cancelling");
}

void SasDialogTest::kindOfCodeIsNamedAndTheWeakOneWarned_data()
{
    QTest::addColumn<VerificationFlow::SasKind>("kind");
    QTest::newRow("committed") << VerificationFlow::Committed;
    QTest::newRow("sas28x5") << VerificationFlow::Sas28x5;
}

// The dialog names the kind of code it shows. The older sas28x5 code of other ESession clients carries a warning in
// words (framed, and read out by screen readers), while it is compared and after it matched; Sotto's own code none.
void SasDialogTest::kindOfCodeIsNamedAndTheWeakOneWarned()
{
    QFETCH(VerificationFlow::SasKind, kind);
    const bool weak = kind == VerificationFlow::Sas28x5;
    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, false, kind));
    QVERIFY(openDialog());
    QCOMPARE(m_dialog->property("weakSas").toBool(), weak);

    auto *kindLabel = dialogItem(QStringLiteral("sasKind"));
    auto *warningFrame = dialogItem(QStringLiteral("sasWeakWarning"));
    QVERIFY(kindLabel && warningFrame);
    QVERIFY(kindLabel->isVisible());
    QCOMPARE(warningFrame->isVisible(), weak);
    const QString shown = text(kindLabel);
    if (weak) {
        QVERIFY2(shown.contains(QStringLiteral("Warning")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("sas28x5")), qPrintable(shown));
        QVERIFY2(shown.contains(QStringLiteral("someone in the middle could make it match")), qPrintable(shown));
    } else {
        QCOMPARE(shown, QStringLiteral("Sotto verification code"));
    }
    QCOMPARE(accessibleName(kindLabel), shown);
    if (weak) {
        QVERIFY(QQuickTest::qWaitForPolish(m_window.get()));
        QVERIFY(m_window->grabWindow().save(QStringLiteral("sas-dialog-sas28x5.png")));
    }
    VERIFY_NO_WARNINGS("showing the kind of code");

    // After a match, the weaker code does not claim that nobody is in the middle.
    QVERIFY(m_flow->theyMatch());
    QVERIFY(m_flow->confirmMatch());
    QTRY_COMPARE(m_dialog->property("state").toString(), QStringLiteral("verified"));
    const QString outcome = text(dialogItem(QStringLiteral("sasMessage")));
    QVERIFY2(outcome.contains(QStringLiteral("nobody sits between you")) != weak, qPrintable(outcome));
    QVERIFY2(outcome.contains(QStringLiteral("proves less")) == weak, qPrintable(outcome));
    QVERIFY(kindLabel->isVisible());
    QCOMPARE(warningFrame->isVisible(), weak);

    // The next code of the other kind: the dialog follows.
    const VerificationFlow::SasKind other = weak ? VerificationFlow::Committed : VerificationFlow::Sas28x5;
    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, false, other));
    QTRY_COMPARE(m_dialog->property("state").toString(), QStringLiteral("comparing"));
    QCOMPARE(warningFrame->isVisible(), !weak);
    QCOMPARE(text(kindLabel).contains(QStringLiteral("sas28x5")), !weak);
    VERIFY_NO_WARNINGS("a code of the other kind");
}

// The shield in the header follows sessionStatus, in words; each message carries its own badge.
void SasDialogTest::chatPageShowsTheSessionStatus()
{
    QVERIFY(m_context->openOffline(alice));
    MessageStore *store = m_context->store();
    const QDateTime start = QDateTime::currentDateTimeUtc().addSecs(-60);
    QVERIFY(store->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"), QStringLiteral("in the clear"),
                               QStringLiteral("id-1"), start, false));
    QVERIFY(store->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"), QStringLiteral("sealed"),
                               QStringLiteral("id-2"), start.addSecs(10), true));
    QVERIFY(store->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"), QStringLiteral("bad MAC"),
                               QStringLiteral("id-3"), start.addSecs(20), true, MessageState::Undecryptable));

    QQuickItem *page = loadChatPage();
    QVERIFY(page);
    ConversationModel *model = pageModel();
    QVERIFY(model);
    QCOMPARE(model->rowCount(), 3);
    QCOMPARE(model->data(model->index(0), ConversationModel::EncryptionBadgeRole).toString(), QStringLiteral("plain"));
    QCOMPARE(model->data(model->index(1), ConversationModel::EncryptionBadgeRole).toString(),
             QStringLiteral("encrypted"));
    QCOMPARE(model->data(model->index(2), ConversationModel::EncryptionBadgeRole).toString(), QStringLiteral("failed"));

    auto *shield = findItem(page, QStringLiteral("encryptionShield"));
    auto *status = findItem(page, QStringLiteral("encryptionStatus"));
    QVERIFY(shield && status);
    QCOMPARE(model->sessionStatus(), ConversationModel::Plain);
    QCOMPARE(text(status), QStringLiteral("Not encrypted"));
    QCOMPARE(accessibleName(shield), QStringLiteral("Not encrypted"));

    auto *messageList = findItem(page, QStringLiteral("messageList"));
    QVERIFY(messageList);
    QList<QQuickItem *> rows;
    QTRY_COMPARE((rows = messageRows(messageList)).size(), 3);
    const auto badges = [&rows] {
        QStringList shown;
        for (QQuickItem *row : std::as_const(rows)) {
            QQuickItem *badge = findItem(row, QStringLiteral("encryptionBadge"));
            shown << (badge && badge->isVisible() ? text(badge) : QString());
        }
        return shown;
    };
    QCOMPARE(badges(), (QStringList{QString(), QStringLiteral("?"), QStringLiteral("!")}));
    // Only the message that could not be opened offers "Renegotiate", which asks the app for a new session.
    QStringList renegotiable;
    for (QQuickItem *row : std::as_const(rows)) {
        QQuickItem *button = findItem(row, QStringLiteral("renegotiateButton"));
        renegotiable << QString::number(button && button->isVisible());
    }
    QCOMPARE(renegotiable, (QStringList{QStringLiteral("0"), QStringLiteral("0"), QStringLiteral("1")}));
    QSignalSpy startRequested(page, SIGNAL(startEncryptedSessionRequested()));
    QVERIFY(clickItem(m_window.get(), findItem(rows.last(), QStringLiteral("renegotiateButton"))));
    QCOMPARE(startRequested.count(), 1);
    VERIFY_NO_WARNINGS("showing a plain conversation");

    QSignalSpy statusChanged(model, &ConversationModel::sessionStatusChanged);
    model->setSessionStatus(ConversationModel::Unverified);
    QCOMPARE(statusChanged.size(), 1);
    model->setSessionStatus(ConversationModel::Unverified);
    QCOMPARE(statusChanged.size(), 1);
    QCOMPARE(text(status), QStringLiteral("Encrypted, not verified"));
    QCOMPARE(accessibleName(shield), QStringLiteral("Encrypted, not verified"));
    QCOMPARE(text(findItem(page, QStringLiteral("encryptionSymbol"))), QStringLiteral("?"));

    model->setSessionStatus(ConversationModel::Verified);
    QCOMPARE(text(status), QStringLiteral("Encrypted and verified"));
    QCOMPARE(accessibleName(shield), QStringLiteral("Encrypted and verified"));
    QCOMPARE(badges(), (QStringList{QString(), QStringLiteral("✓"), QStringLiteral("!")}));

    model->setSessionStatus(ConversationModel::Failed);
    QCOMPARE(text(status), QStringLiteral("Encryption failed"));
    QCOMPARE(accessibleName(shield), QStringLiteral("Encryption failed"));
    QCOMPARE(badges(), (QStringList{QString(), QStringLiteral("?"), QStringLiteral("!")}));

    model->setSessionStatus(ConversationModel::Plain);
    QCOMPARE(text(status), QStringLiteral("Not encrypted"));
    QCOMPARE(statusChanged.size(), 4);
    VERIFY_NO_WARNINGS("changing the session status");
}

// A message that could not be opened is stored with the code of why and worded when shown; a body from before the
// codes (a sentence of its time) is shown as it was stored.
void SasDialogTest::chatPageWordsUndecryptableMessages()
{
    QVERIFY(m_context->openOffline(alice));
    MessageStore *store = m_context->store();
    const QDateTime start = QDateTime::currentDateTimeUtc().addSecs(-60);
    const QString older = QStringLiteral("the encrypted session has ended (you went offline)");
    QVERIFY(store->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"), QStringLiteral("bad-mac"),
                               QStringLiteral("id-1"), start, true, MessageState::Undecryptable));
    QVERIFY(store->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"), older, QStringLiteral("id-2"),
                               start.addSecs(10), true, MessageState::Undecryptable));

    QQuickItem *page = loadChatPage();
    QVERIFY(page);
    ConversationModel *model = pageModel();
    QVERIFY(model);
    QCOMPARE(model->rowCount(), 2);
    const QString worded = model->data(model->index(0), ConversationModel::BodyRole).toString();
    QCOMPARE(worded, EncryptionText::undecryptable(QStringLiteral("bad-mac")));
    QVERIFY2(worded.contains(QStringLiteral("integrity check")), qPrintable(worded));
    QCOMPARE(model->data(model->index(1), ConversationModel::BodyRole).toString(), older);

    QList<QQuickItem *> rows;
    QTRY_COMPARE((rows = messageRows(findItem(page, QStringLiteral("messageList")))).size(), 2);
    const QString first = text(findItem(rows.at(0), QStringLiteral("messageBody")));
    QVERIFY2(first.contains(QStringLiteral("could not be decrypted")) && first.contains(worded)
                 && !first.contains(QStringLiteral("bad-mac")),
             qPrintable(first));
    const QString second = text(findItem(rows.at(1), QStringLiteral("messageBody")));
    QVERIFY2(second.contains(older), qPrintable(second));
    QVERIFY2(accessibleName(rows.at(0)).contains(QStringLiteral("could not be decrypted")),
             qPrintable(accessibleName(rows.at(0))));
    VERIFY_NO_WARNINGS("showing messages that could not be decrypted");
}

void SasDialogTest::chatPageWarnsAboutAChangedIdentity()
{
    QVERIFY(m_context->openOffline(alice));
    QQuickItem *page = loadChatPage();
    QVERIFY(page);
    ConversationModel *model = pageModel();
    QVERIFY(model);
    auto *warning = findItem(page, QStringLiteral("identityWarning"));
    QVERIFY(warning);
    QVERIFY(!warning->isVisible());

    QSignalSpy changed(model, &ConversationModel::identityChangedChanged);
    model->setIdentityChanged(true);
    QCOMPARE(changed.size(), 1);
    QTRY_VERIFY(warning->isVisible());
    const QString said = text(findItem(warning, QStringLiteral("identityWarningText")));
    QVERIFY2(said.contains(bob), qPrintable(said));
    QVERIFY2(said.contains(QStringLiteral("before sharing anything sensitive")), qPrintable(said));
    QCOMPARE(accessibleName(warning), said);
    // Without a code to compare there is nothing to offer yet.
    QVERIFY(!findItem(warning, QStringLiteral("identityWarningVerifyButton"))->isVisible());

    model->setIdentityChanged(false);
    QCOMPARE(changed.size(), 2);
    QTRY_VERIFY(!warning->isVisible());
    VERIFY_NO_WARNINGS("warning about a changed identity");
}

void SasDialogTest::chatPageNamesTheFormerAddress()
{
    QVERIFY(m_context->openOffline(alice));
    QQuickItem *page = loadChatPage();
    QVERIFY(page);
    ConversationModel *model = pageModel();
    QVERIFY(model);
    auto *notice = findItem(page, QStringLiteral("formerJidNotice"));
    QVERIFY(notice);
    QVERIFY(!notice->isVisible());

    QSignalSpy changed(model, &ConversationModel::formerJidChanged);
    const QString former = QStringLiteral("old-address@example.org");
    model->setFormerJid(former);
    QCOMPARE(changed.size(), 1);
    QTRY_VERIFY(notice->isVisible());
    const QString said = text(findItem(notice, QStringLiteral("formerJidNoticeText")));
    QVERIFY2(said.contains(former) && said.contains(bob), qPrintable(said));
    QCOMPARE(accessibleName(notice), said);
    // A changed identity is the louder message; the two are never shown together.
    model->setIdentityChanged(true);
    QTRY_VERIFY(!notice->isVisible());
    model->setIdentityChanged(false);
    QTRY_VERIFY(notice->isVisible());
    model->setFormerJid({});
    QCOMPARE(changed.size(), 2);
    QTRY_VERIFY(!notice->isVisible());
    VERIFY_NO_WARNINGS("naming the former address");
}

// "Start encrypted session" is a request to the app; "Verify…" appears with a code and opens the dialog.
void SasDialogTest::chatPageOffersVerificationAndEncryption()
{
    QVERIFY(m_context->openOffline(alice));
    QQuickItem *page = loadChatPage();
    QVERIFY(page);
    ConversationModel *model = pageModel();
    QVERIFY(model);

    auto *start = findItem(page, QStringLiteral("startEncryptionButton"));
    auto *verify = findItem(page, QStringLiteral("verifyButton"));
    QVERIFY(start && verify);
    QVERIFY(start->isVisible());
    QVERIFY(!verify->isVisible());
    QSignalSpy startRequested(page, SIGNAL(startEncryptedSessionRequested()));
    QVERIFY(startRequested.isValid());
    QVERIFY(clickItem(m_window.get(), start));
    QTRY_COMPARE(startRequested.size(), 1);

    // The engine reports the session: the page shows it unverified and offers the comparison.
    model->setSessionStatus(ConversationModel::Unverified);
    QSignalSpy flowChanged(model, &ConversationModel::verificationFlowChanged);
    model->setVerificationFlow(m_flow.get());
    QCOMPARE(flowChanged.size(), 1);
    QCOMPARE(page->property("verificationFlow").value<VerificationFlow *>(), m_flow.get());
    QTRY_VERIFY(!start->isVisible());
    QVERIFY(!verify->isVisible()); // no code yet
    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, false, VerificationFlow::Committed));
    QTRY_VERIFY(verify->isVisible());

    auto *dialog = page->findChild<QObject *>(QStringLiteral("sasDialog"));
    QVERIFY(dialog);
    // The page is not the one shown in a stack: the dialog waits for the user.
    QVERIFY(!dialog->property("visible").toBool());
    QVERIFY(clickItem(m_window.get(), verify));
    QTRY_VERIFY(dialog->property("opened").toBool());
    m_dialog = dialog;
    QCOMPARE(text(dialogItem(QStringLiteral("sasText"))), QStringLiteral("k3d q9"));
    VERIFY_NO_WARNINGS("opening the dialog from the page");

    // Escape, then "Verify…" again: the same code, compared from the start.
    QTest::keyClick(m_window.get(), Qt::Key_Escape);
    QTRY_VERIFY(!dialog->property("visible").toBool());
    QCOMPARE(m_flow->state(), VerificationFlow::Cancelled);
    QVERIFY(verify->isVisible());
    QVERIFY(clickItem(m_window.get(), verify));
    QTRY_VERIFY(dialog->property("opened").toBool());
    QCOMPARE(m_flow->state(), VerificationFlow::Comparing);

    QSignalSpy confirmed(m_flow.get(), &VerificationFlow::verificationConfirmed);
    QVERIFY(clickItem(m_window.get(), dialogItem(QStringLiteral("theyMatchButton"))));
    auto *confirm = dialogItem(QStringLiteral("confirmMatchButton"));
    QTRY_VERIFY(confirm->isVisible());
    QVERIFY(clickItem(m_window.get(), confirm));
    QTRY_COMPARE(confirmed.size(), 1);
    // The app marks the secret verified and reports the session as such.
    model->setSessionStatus(ConversationModel::Verified);
    QCOMPARE(text(findItem(page, QStringLiteral("encryptionStatus"))), QStringLiteral("Encrypted and verified"));
    VERIFY_NO_WARNINGS("verifying from the page");
    // Without a live session there is no code to compare: "Verify…" goes when the session ended or failed, and
    // comes back with the next one.
    for (const ConversationModel::SessionStatus status : { ConversationModel::Failed, ConversationModel::Plain,
                                                           ConversationModel::Waiting, ConversationModel::Negotiating }) {
        model->setSessionStatus(status);
        QTRY_VERIFY2(!verify->isVisible(), QMetaEnum::fromType<ConversationModel::SessionStatus>().valueToKey(status));
    }
    model->setSessionStatus(ConversationModel::Verified);
    QTRY_VERIFY(verify->isVisible());

    // For people to look at (not checked): the page with a verified session and the identity warning.
    auto *close = dialogItem(QStringLiteral("sasCloseButton"));
    QTRY_VERIFY(close && close->isVisible());
    QVERIFY(clickItem(m_window.get(), close));
    QTRY_VERIFY(!dialog->property("visible").toBool());
    QVERIFY(m_context->store()->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t1"),
                                            QStringLiteral("Sealed and verified"), QStringLiteral("id-1"),
                                            QDateTime::currentDateTimeUtc(), true));
    model->setIdentityChanged(true);
    QVERIFY(QQuickTest::qWaitForPolish(m_window.get()));
    QVERIFY(m_window->grabWindow().save(QStringLiteral("chat-encryption.png")));

    // The app drops its flow: nothing left to offer.
    m_dialog = nullptr;
    m_flow.reset();
    QCOMPARE(model->verificationFlow(), nullptr);
    QTRY_VERIFY(!verify->isVisible());
    VERIFY_NO_WARNINGS("dropping the flow");
}

// In the window, a new code for the conversation on screen opens the dialog by itself, unless the contact
// was verified before (comparing again is then the user's choice, through "Verify…").
void SasDialogTest::codeArrivingForTheShownPageOpensTheDialog()
{
    QVERIFY(m_context->openOffline(alice));
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    engine.setInitialProperties({
        {QStringLiteral("context"), QVariant::fromValue(m_context.get())},
        {QStringLiteral("initialChat"), bob},
    });
    engine.load(mainUrl);
    QCOMPARE(engine.rootObjects().size(), 1);
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    QVERIFY(window);
    QVERIFY(QTest::qWaitForWindowExposed(window));
    auto *stack = findItem(window->contentItem(), QStringLiteral("stack"));
    QVERIFY(stack);
    QQuickItem *page = nullptr;
    QTRY_VERIFY((page = stack->property("currentItem").value<QQuickItem *>())
                && page->objectName() == QStringLiteral("chatPage") && !stack->property("busy").toBool());
    auto *model = page->property("conversationModel").value<ConversationModel *>();
    QVERIFY(model);
    QTRY_VERIFY(model->isActive());
    auto *dialog = page->findChild<QObject *>(QStringLiteral("sasDialog"));
    QVERIFY(dialog);

    model->setVerificationFlow(m_flow.get());
    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, true, VerificationFlow::Committed));
    QTest::qWait(50);
    QVERIFY(!dialog->property("visible").toBool());
    QVERIFY(m_flow->cancel());

    QVERIFY(m_flow->begin(bob, QStringLiteral("Bob"), code, false, VerificationFlow::Committed));
    QTRY_VERIFY(dialog->property("opened").toBool());
    QCOMPARE(dialog->property("state").toString(), QStringLiteral("comparing"));
    VERIFY_NO_WARNINGS("opening the dialog for a new code");

    m_flow.reset();
    QTRY_VERIFY(!dialog->property("visible").toBool());
    VERIFY_NO_WARNINGS("dropping the flow while the dialog is open");
}

int main(int argc, char *argv[])
{
    Crypto::Library cryptoLibrary;
    QGuiApplication app(argc, argv);
    QQuickStyle::setStyle(QStringLiteral("Fusion"));
    SasDialogTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_sasdialog.moc"

// The header, the state bar and each message tell the truth about what the next message is (review H1/H2): a
// conversation the user encrypted says its messages wait, offers Retry and (with a worded confirmation) Send
// unencrypted; a plain message that arrived anyway carries a mark in words.
void SasDialogTest::chatPageSaysWhatTheNextMessageIs()
{
    QVERIFY(m_context->openOffline(alice));
    ConversationSecurity *security = m_context->messenger()->security();
    QVERIFY(!security->startEncryption(bob)); // offline: wanted from now on, the session starts when online
    MessageStore *store = m_context->store();
    QVERIFY(store->addIncoming(bob, QStringLiteral("phone"), QStringLiteral("t9"), QStringLiteral("psst, plain"),
                               QStringLiteral("id-plain"), QDateTime::currentDateTimeUtc(), false,
                               MessageState::Received, true));

    QQuickItem *page = loadChatPage();
    QVERIFY(page);
    ConversationModel *model = pageModel();
    QVERIFY(model);
    auto *status = findItem(page, QStringLiteral("encryptionStatus"));
    auto *bar = findItem(page, QStringLiteral("encryptionStateBar"));
    auto *retry = findItem(page, QStringLiteral("retryEncryptionButton"));
    auto *plain = findItem(page, QStringLiteral("sendUnencryptedButton"));
    auto *start = findItem(page, QStringLiteral("startEncryptionButton"));
    QVERIFY(status && bar && retry && plain && start);
    QCOMPARE(model->sessionStatus(), ConversationModel::Waiting);
    QCOMPARE(text(status), QStringLiteral("Encrypted conversation, no session yet"));
    QVERIFY(bar->isVisible() && retry->isVisible() && plain->isVisible());
    QVERIFY(!start->isVisible());

    // The plain message that arrived in the encrypted conversation says so, in words.
    auto *messageList = findItem(page, QStringLiteral("messageList"));
    QList<QQuickItem *> rows;
    QTRY_COMPARE((rows = messageRows(messageList)).size(), 1);
    QVERIFY(text(findItem(rows.first(), QStringLiteral("messageMeta"))).contains(QStringLiteral("arrived unencrypted")));
    QCOMPARE(model->data(model->index(0), ConversationModel::EncryptionBadgeRole).toString(),
             QStringLiteral("unencrypted-arrival"));

    // What the user writes waits, and each such message says so.
    QVERIFY(model->send(QStringLiteral("for your eyes only")));
    QTRY_COMPARE((rows = messageRows(messageList)).size(), 2);
    QCOMPARE(model->data(model->index(1), ConversationModel::DeliveryStateRole).toString(), QStringLiteral("waiting"));
    QTRY_VERIFY(text(findItem(rows.last(), QStringLiteral("messageMeta"))).contains(QStringLiteral("waiting for encryption")));
    QCOMPARE(model->waitingCount(), 1);
    QVERIFY(store->history(bob).last().encrypted);

    // The codes differed: failed, with the reason in words, and still nothing leaves in plaintext.
    security->codesDiffer(bob);
    QTRY_COMPARE(model->sessionStatus(), ConversationModel::Failed);
    QCOMPARE(text(status), QStringLiteral("Encryption failed"));
    QTRY_VERIFY(text(findItem(page, QStringLiteral("encryptionStateText"))).contains(QStringLiteral("did not match")));
    QVERIFY(retry->isVisible());
    VERIFY_NO_WARNINGS("a conversation whose messages wait");

    // Send unencrypted: only after the worded confirmation.
    QVERIFY(clickItem(m_window.get(), plain));
    auto *dialog = page->findChild<QObject *>(QStringLiteral("sendUnencryptedDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("opened").toBool());
    QCOMPARE(security->phase(bob), ConversationSecurity::Phase::Held);
    auto *confirm = findItem(dialog->property("footer").value<QQuickItem *>(), QStringLiteral("confirmSendUnencryptedButton"));
    QVERIFY(confirm);
    QVERIFY(clickItem(m_window.get(), confirm));
    QTRY_COMPARE(security->phase(bob), ConversationSecurity::Phase::Plain);
    QTRY_COMPARE(text(status), QStringLiteral("Not encrypted"));
    QVERIFY(!store->history(bob).last().encrypted);
    QTRY_COMPARE(model->data(model->index(1), ConversationModel::DeliveryStateRole).toString(), QStringLiteral("queued"));
    QVERIFY(start->isVisible());

    // Under Always neither choice is offered.
    QVERIFY(m_context->contactSettings()->setSessionPolicy(bob, SessionPolicy::Always));
    QTRY_COMPARE(model->sessionStatus(), ConversationModel::Waiting);
    QVERIFY(!model->plaintextAllowed());
    QTRY_VERIFY(!plain->isVisible());
    QVERIFY(!m_context->sendUnencrypted(bob).isEmpty());
    VERIFY_NO_WARNINGS("sending unencrypted by choice");
}

// A negotiation refused because the contact's client knows only the older code (sas28x5): the page says so and
// offers to allow it for this contact, behind a confirmation that says what it costs; any other failure does not
// offer it.
void SasDialogTest::chatPageOffersTheOlderCodeWhenThatIsWhy()
{
    QVERIFY(m_context->openOffline(alice));
    ConversationSecurity *security = m_context->messenger()->security();
    QVERIFY(!security->startEncryption(bob)); // offline: no negotiation thread yet
    EsessionExtension *esession = m_context->account()->esession();
    QQuickItem *page = loadChatPage();
    QVERIFY(page);
    ConversationModel *model = pageModel();
    QVERIFY(model);
    auto *allow = findItem(page, QStringLiteral("allowOlderCodeButton"));
    QVERIFY(allow);
    QVERIFY(!allow->isVisible());

    // Another failure: no such offer.
    Q_EMIT esession->negotiationFailed(bob, security->thread(bob), QStringLiteral("identity-mac"));
    QTRY_COMPARE(model->sessionStatus(), ConversationModel::Failed);
    QVERIFY(!model->olderCodeNeeded());
    QVERIFY(!allow->isVisible());

    QVERIFY(!security->startEncryption(bob));
    Q_EMIT esession->negotiationFailed(bob, security->thread(bob), QStringLiteral("sas28x5-not-allowed"));
    QTRY_VERIFY(model->olderCodeNeeded());
    QTRY_VERIFY(allow->isVisible());
    QVERIFY(text(findItem(page, QStringLiteral("encryptionStateText"))).contains(QStringLiteral("sas28x5")));
    QVERIFY(!m_context->contactSettings()->weakSasAllowed(bob));

    QVERIFY(clickItem(m_window.get(), allow));
    auto *dialog = page->findChild<QObject *>(QStringLiteral("allowOlderCodeDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("opened").toBool());
    QVERIFY(!m_context->contactSettings()->weakSasAllowed(bob)); // nothing before the confirmation
    auto *confirm = findItem(dialog->property("footer").value<QQuickItem *>(), QStringLiteral("confirmAllowOlderCodeButton"));
    QVERIFY(confirm);
    QVERIFY(clickItem(m_window.get(), confirm));
    QTRY_VERIFY(m_context->contactSettings()->weakSasAllowed(bob));
    QVERIFY(!m_context->contactSettings()->weakSasAllowed(QStringLiteral("carol@localhost")));
    // The next negotiation with Bob offers the older code after Sotto's own; the failure is gone (a new attempt).
    QCOMPARE(esession->handshakePolicy(bob)->sasAlgorithms,
             (QList<Esession::SasAlgorithm>{ Esession::SasAlgorithm::Committed, Esession::SasAlgorithm::Sas28x5 }));
    QTRY_VERIFY(!model->olderCodeNeeded());
    QTRY_VERIFY(!allow->isVisible());
    VERIFY_NO_WARNINGS("allowing the older code");
}

