#include "AppContext.h"

#include <QFileInfo>
#include <QUrl>

#include <QXmppUtils.h>

#include "Logging.h"
#include "session/Messenger.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"
#include "storage/Paths.h"
#include "xmpp/Account.h"

// One open account. Members are destroyed in reverse order: the messenger and the store go before the
// account and the database they point to.
struct AppContext::Session
{
    explicit Session(const QString &databasePath)
        : database(databasePath)
    {
    }

    Database database;
    Account account;
    std::unique_ptr<MessageStore> store;
    std::unique_ptr<Messenger> messenger;
    bool hasPassword = false;
    bool loginPending = false; // logged in, but not yet online since then
};

AppContext::AppContext(QObject *parent)
    : QObject(parent)
    , m_contacts(new ContactListModel(this))
{
    m_countdown.setInterval(1000);
    connect(&m_countdown, &QTimer::timeout, this, [this] {
        Q_EMIT statusTextChanged();
        updateCountdown();
    });
}

AppContext::~AppContext()
{
    closeSession(false);
}

QString AppContext::jid() const
{
    return m_session ? m_session->account.jid() : QString();
}

bool AppContext::canReconnect() const
{
    return m_session && m_session->hasPassword;
}

AppContext::ConnectionState AppContext::connectionState() const
{
    if (!m_session)
        return Offline;
    switch (m_session->account.state()) {
    case Account::State::Online:
        return Online;
    case Account::State::Connecting:
        return Connecting;
    case Account::State::Offline:
        break;
    }
    return Offline;
}

QString AppContext::statusText() const
{
    if (!m_session)
        return tr("Not logged in");
    const Account &account = m_session->account;
    switch (account.state()) {
    case Account::State::Online:
        return tr("Online as %1").arg(account.jid());
    case Account::State::Connecting:
        return tr("Connecting to the server…");
    case Account::State::Offline:
        break;
    }
    const QString reason = account.errorReason();
    const int retryMs = account.reconnectIn();
    const int retrySeconds = retryMs < 0 ? -1 : (retryMs + 999) / 1000;
    if (reason.isEmpty()) {
        if (retrySeconds >= 0)
            return tr("Offline: reconnecting in %n s", nullptr, retrySeconds);
        if (!m_session->hasPassword)
            return tr("Offline: not connected; new messages wait until you log in");
        return tr("Offline");
    }
    if (retrySeconds >= 0)
        return tr("Offline: %1 (reconnecting in %n s)", nullptr, retrySeconds).arg(reason);
    return tr("Offline: %1").arg(reason);
}

QStringList AppContext::pendingRequests() const
{
    return m_session ? m_session->account.pendingSubscriptionRequests() : QStringList();
}

void AppContext::setDataDir(const QString &dir)
{
    if (m_dataDir == dir)
        return;
    m_dataDir = dir;
    Q_EMIT dataDirChanged();
}

QString AppContext::normalizedJid(const QString &input) const
{
    const QString bare = QXmppUtils::jidToBareJid(input.trimmed()).toLower();
    const qsizetype at = bare.indexOf(u'@');
    if (at <= 0 || at == bare.size() - 1 || bare.indexOf(u'@', at + 1) >= 0)
        return {};
    for (const QChar c : bare) {
        if (c.isSpace())
            return {};
    }
    return bare;
}

bool AppContext::login(const QString &jid, const QString &password, const QString &host, int port,
                       const QString &trustedCertPath)
{
    setErrorText({});
    const QString bare = normalizedJid(jid);
    if (bare.isEmpty()) {
        setErrorText(tr("Enter your address as name@server."));
        return false;
    }
    if (password.isEmpty()) {
        setErrorText(tr("Enter your password."));
        return false;
    }
    if (port < 0 || port > 65535) {
        setErrorText(tr("The port must be a number from 1 to 65535."));
        return false;
    }
    QString certPath = trustedCertPath.trimmed();
    if (certPath.startsWith(u"file:"))
        certPath = QUrl(certPath).toLocalFile();
    if (!certPath.isEmpty() && !QFileInfo(certPath).isFile()) {
        setErrorText(tr("The certificate file %1 does not exist.").arg(certPath));
        return false;
    }
    if (!openSession(bare))
        return false;
    setLastJid(bare);

    Account &account = m_session->account;
    if (account.state() != Account::State::Offline)
        account.disconnectFromServer();
    AccountConfig config;
    config.jid = bare;
    config.password = password;
    config.host = host.trimmed();
    config.port = quint16(port);
    config.trustedCertPath = certPath;
    account.setConfig(config);
    const bool hadPassword = m_session->hasPassword;
    m_session->hasPassword = true;
    m_session->loginPending = true;
    if (!hadPassword)
        Q_EMIT canReconnectChanged();

    qCInfo(lcUi) << "logging in as" << bare;
    account.connectToServer();
    Q_EMIT statusTextChanged();
    return true;
}

bool AppContext::openOffline(const QString &jid)
{
    setErrorText({});
    const QString bare = normalizedJid(jid);
    if (bare.isEmpty()) {
        setErrorText(tr("Enter your address as name@server."));
        return false;
    }
    if (!openSession(bare))
        return false;
    setLastJid(bare);
    return true;
}

void AppContext::reconnect()
{
    if (!m_session || !m_session->hasPassword)
        return;
    setErrorText({});
    m_session->account.connectToServer();
    Q_EMIT statusTextChanged();
}

void AppContext::logout()
{
    setErrorText({});
    closeSession();
}

QString AppContext::addContact(const QString &jid)
{
    const QString bare = normalizedJid(jid);
    if (bare.isEmpty())
        return tr("Enter the address as name@server.");
    if (!m_session || m_session->account.state() != Account::State::Online)
        return tr("You need to be online to add a contact.");
    if (bare == m_session->account.jid())
        return tr("That is your own address.");
    qCInfo(lcUi) << "adding contact" << bare;
    m_session->account.addContact(bare);
    return {};
}

void AppContext::approve(const QString &jid)
{
    if (!m_session)
        return;
    m_session->account.approveSubscription(jid);
    Q_EMIT pendingRequestsChanged();
}

void AppContext::refuse(const QString &jid)
{
    if (!m_session)
        return;
    m_session->account.refuseSubscription(jid);
    Q_EMIT pendingRequestsChanged();
}

Account *AppContext::account() const
{
    return m_session ? &m_session->account : nullptr;
}

MessageStore *AppContext::store() const
{
    return m_session ? m_session->store.get() : nullptr;
}

Messenger *AppContext::messenger() const
{
    return m_session ? m_session->messenger.get() : nullptr;
}

bool AppContext::openSession(const QString &bareJid)
{
    if (m_session && m_session->account.jid() == bareJid)
        return true;
    closeSession();

    auto session = std::make_unique<Session>(Paths::databaseFile(Paths::accountDataDir(bareJid, m_dataDir)));
    QString error;
    if (!session->database.open(&error)) {
        qCWarning(lcUi) << "could not open the local state of" << bareJid << ":" << error;
        setErrorText(tr("Your local data could not be opened: %1").arg(error));
        return false;
    }
    AccountConfig config;
    config.jid = bareJid;
    session->account.setConfig(config);
    session->store = std::make_unique<MessageStore>(&session->database);
    session->messenger = std::make_unique<Messenger>(&session->account, session->store.get());

    Account *account = &session->account;
    connect(account, &Account::stateChanged, this, &AppContext::onAccountStateChanged);
    connect(account, &Account::errorReasonChanged, this, &AppContext::onAccountErrorChanged);
    connect(account, &Account::subscriptionRequested, this, &AppContext::pendingRequestsChanged);
    connect(account, &Account::rosterChanged, this, &AppContext::pendingRequestsChanged);

    m_session = std::move(session);
    ++m_generation;
    qCInfo(lcUi) << "opened the local state of" << bareJid;
    m_contacts->setSources(&m_session->account, m_session->store.get());

    Q_EMIT sessionChanged();
    Q_EMIT canReconnectChanged();
    Q_EMIT connectionStateChanged();
    Q_EMIT statusTextChanged();
    Q_EMIT pendingRequestsChanged();
    return true;
}

void AppContext::closeSession(bool notify)
{
    if (!m_session)
        return;
    qCInfo(lcUi) << "closing the local state of" << m_session->account.jid();
    if (notify)
        Q_EMIT sessionAboutToClose();
    m_contacts->setSources(nullptr, nullptr);
    m_countdown.stop();
    // Whatever the account says while it goes away is not news for the window any more.
    disconnect(&m_session->account, nullptr, this, nullptr);
    m_session->account.disconnectFromServer();
    m_session.reset();
    ++m_generation;
    if (!notify)
        return;
    Q_EMIT sessionChanged();
    Q_EMIT canReconnectChanged();
    Q_EMIT connectionStateChanged();
    Q_EMIT statusTextChanged();
    Q_EMIT pendingRequestsChanged();
}

void AppContext::closeSessionLater()
{
    // Not from inside the account's own signal: the account is destroyed with the session.
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(
        this,
        [this, generation] {
            if (m_generation == generation)
                closeSession();
        },
        Qt::QueuedConnection);
}

void AppContext::onAccountStateChanged()
{
    if (m_session && m_session->account.state() == Account::State::Online) {
        m_session->loginPending = false;
        setErrorText({});
    }
    Q_EMIT connectionStateChanged();
    Q_EMIT statusTextChanged();
    updateCountdown();
}

void AppContext::onAccountErrorChanged()
{
    Q_EMIT statusTextChanged();
    updateCountdown();
    if (!m_session)
        return;
    const Account &account = m_session->account;
    if (account.errorReason().isEmpty() || !account.errorIsPermanent())
        return;
    setErrorText(tr("Could not log in: %1").arg(account.errorReason()));
    // Credentials that never worked are not kept: back to the login form. An account that was online
    // before stays open (offline, with its history) until the user logs in again.
    if (m_session->loginPending)
        closeSessionLater();
}

void AppContext::updateCountdown()
{
    const bool waiting = m_session && m_session->account.state() == Account::State::Offline
        && m_session->account.reconnectIn() >= 0;
    if (waiting && !m_countdown.isActive())
        m_countdown.start();
    else if (!waiting)
        m_countdown.stop();
}

void AppContext::setErrorText(const QString &text)
{
    if (m_errorText == text)
        return;
    m_errorText = text;
    Q_EMIT errorTextChanged();
}

void AppContext::setLastJid(const QString &jid)
{
    if (m_lastJid == jid)
        return;
    m_lastJid = jid;
    Q_EMIT lastJidChanged();
}
