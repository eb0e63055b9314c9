#include "AppContext.h"

#include <QSet>

#include "ConversationModel.h"
#include "EncryptionText.h"
#include "VerificationFlow.h"
#include "esession/FormNormalizer.h"
#include "esession/RetainedSecretStore.h"
#include "session/ConversationSecurity.h"
#include "session/SessionManager.h"
#include "storage/AppSettings.h"
#include "storage/ContactSettings.h"
#include "storage/CredentialStore.h"
#include "storage/KeyVault.h"
#include "storage/SqlRetainedSecretStore.h"
#include "xmpp/EsessionExtension.h"

#include <QFileInfo>
#include <QPointer>
#include <QUrl>

#include <QXmppUtils.h>

#include "Logging.h"
#include "session/Messenger.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"
#include "storage/Paths.h"
#include "xmpp/Account.h"

namespace {

// The contact a JID names, as XMPP compares JIDs (the core's key, security review F6): the encryption details of a
// conversation are found under any spelling of the contact's JID.
QString contactOf(const QString &jid)
{
    return Esession::normalizedBareJid(jid);
}

} // namespace

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
    // Retained secrets: encrypted in the database under the keyring's master key, or, without a
    // keyring, in memory for this run only. Never in a plaintext file.
    std::unique_ptr<KeyVault> vault;
    std::unique_ptr<SqlRetainedSecretStore> sqlSecrets;
    Esession::MemoryRetainedSecretStore memorySecrets;
    std::unique_ptr<ContactSettings> settings;
    std::unique_ptr<AppSettings> appSettings;
    // The account password, sealed under the vault's master key when the user asked to remember it.
    std::unique_ptr<CredentialStore> credentials;
    bool rememberPassword = false;  // store it once online with the vault open
    bool rememberedLoginWaits = false; // loginRemembered() waits for the keyring
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
    if (m_lastHost != host.trimmed() || m_lastPort != port || m_lastCertPath != certPath) {
        m_lastHost = host.trimmed();
        m_lastPort = port;
        m_lastCertPath = certPath;
        Q_EMIT lastServerChanged();
    }

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
    session->vault = std::make_unique<KeyVault>(Paths::vaultFile(Paths::accountDataDir(bareJid, m_dataDir)),
                                                QStringLiteral("Sotto"), bareJid);
    // History follows the vault: sealed under its key while it is open (this run's rows and old plaintext
    // rows move under it), under a key for this run only while it is locked.
    connect(session->vault.get(), &KeyVault::lockedChanged, session->store.get(),
            [store = session->store.get(), vault = session->vault.get()] { store->setMasterKey(vault->masterKey()); });
    session->sqlSecrets = std::make_unique<SqlRetainedSecretStore>(&session->database, session->vault.get());
    session->settings = std::make_unique<ContactSettings>(&session->database);
    session->messenger->setContactSettings(session->settings.get());
    // Compatibility with other ESession clients (Settings > Encryption): read by every new negotiation.
    // The settings go before the account when the session closes: guarded.
    session->account.setWeakSasAllowedFunction(
        [settings = QPointer<ContactSettings>(session->settings.get())](const QString &bareJid) {
            return settings && settings->weakSasAllowed(bareJid);
        });
    // The groups the user prefers go into every new negotiation, from now on (Settings > Encryption).
    session->appSettings = std::make_unique<AppSettings>(&session->database);
    session->account.setPreferredGroups(session->appSettings->preferredGroups());
    connect(session->appSettings.get(), &AppSettings::changed, this,
            [account = &session->account, settings = session->appSettings.get()](const QString &key) {
                if (key == AppSettings::PreferredGroupsKey)
                    account->setPreferredGroups(settings->preferredGroups());
            });

    session->credentials = std::make_unique<CredentialStore>(&session->database, session->vault.get());
    connect(session->vault.get(), &KeyVault::unlocked, this, &AppContext::onVaultUnlocked);
    connect(session->vault.get(), &KeyVault::failed, this, [this](const QString &reason) {
        if (!m_session || !m_session->rememberedLoginWaits)
            return;
        m_session->rememberedLoginWaits = false;
        setErrorText(tr("The keyring did not open the remembered password (%1). Type your password instead.").arg(reason));
    });


    Account *account = &session->account;
    connect(account, &Account::stateChanged, this, &AppContext::onAccountStateChanged);
    connect(account, &Account::errorReasonChanged, this, &AppContext::onAccountErrorChanged);
    connect(account, &Account::subscriptionRequested, this, &AppContext::pendingRequestsChanged);
    connect(account, &Account::rosterChanged, this, &AppContext::pendingRequestsChanged);

    m_session = std::move(session);
    ++m_generation;
    qCInfo(lcUi) << "opened the local state of" << bareJid;
    wireEncryption();
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
    for (PeerEncryption &peer : m_encryption) {
        if (peer.flow)
            peer.flow->deleteLater();
    }
    m_encryption.clear();
    Q_EMIT encryptionRequestsChanged();
    setEncryptionNotice({});
    // Whatever the account says while it goes away is not news for the window any more.
    disconnect(&m_session->account, nullptr, this, nullptr);
    disconnect(m_session->account.esession(), nullptr, this, nullptr);
    disconnect(m_session->messenger->security(), nullptr, this, nullptr);
    // XEP-0116/0217 §terminate: logging out or quitting ends every encrypted session first; the keys are
    // destroyed at once, acknowledged or not.
    m_session->account.esession()->closeAll();
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
        storeRememberedLogin();
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

void AppContext::setEncryptionNotice(const QString &text)
{
    if (m_encryptionNotice == text)
        return;
    m_encryptionNotice = text;
    Q_EMIT encryptionNoticeChanged();
}

void AppContext::wireEncryption()
{
    Session *session = m_session.get();
    EsessionExtension *esession = session->account.esession();
    auto useMemory = [this, session, esession](const QString &reason) {
        esession->setRetainedSecretStore(&session->memorySecrets);
        setEncryptionNotice(tr("Verified contacts are remembered for this run only: %1").arg(reason));
    };
    if (m_keyringEnabled && session->vault->kind() != KeyVault::Kind::Passphrase) {
        connect(session->vault.get(), &KeyVault::unlocked, this, [this, session, esession] {
            esession->setRetainedSecretStore(session->sqlSecrets.get());
            Q_EMIT encryptionChanged(QString());
        });
        connect(session->vault.get(), &KeyVault::failed, this, useMemory);
        session->vault->unlockWithKeyring();
    } else if (session->vault->kind() == KeyVault::Kind::Passphrase) {
        esession->setRetainedSecretStore(&session->memorySecrets);
        setEncryptionNotice(tr("Your message history and verified contacts are locked: give your passphrase to open them."));
    } else {
        useMemory(tr("the keyring is not used"));
    }

    connect(esession, &EsessionExtension::retainedSecretCreated, session->sqlSecrets.get(),
            &SqlRetainedSecretStore::recordSas);
    connect(esession, &EsessionExtension::esessionEstablished, this,
            [this](const QString &peerJid, const QString &thread, const QString &sas, bool verified, bool changed,
                   const QString &formerJid, std::optional<Esession::SasAlgorithm> sasAlgorithm) {
                const QString peer = contactOf(peerJid);
                m_encryption[peer].thread = thread;
                m_encryption[peer].formerJid = formerJid;
                VerificationFlow *flow = verificationFlow(peer);
                flow->cancel();
                const QString name = m_session ? m_session->account.contact(peer).name : QString();
                // Anything but the committed code is shown with the warning of the weaker one.
                const VerificationFlow::SasKind kind = sasAlgorithm == Esession::SasAlgorithm::Committed
                    ? VerificationFlow::Committed
                    : VerificationFlow::Sas28x5;
                flow->begin(peer, name.isEmpty() ? peer : name, sas, verified, kind);
                setVerified(peer, verified, changed);
            });
    connect(esession, &EsessionExtension::sessionEnded, this,
            [this](const QString &peerJid, const QString &thread) {
                const QString peer = contactOf(peerJid);
                if (m_encryption.value(peer).thread != thread)
                    return;
                if (VerificationFlow *flow = m_encryption.value(peer).flow)
                    flow->cancel();
                Q_EMIT encryptionChanged(peer);
            });
    connect(esession, &EsessionExtension::negotiationFailed, this,
            [this](const QString &peerJid, const QString &thread) {
                const QString peer = contactOf(peerJid);
                PeerEncryption &entry = m_encryption[peer];
                if (entry.requestThread == thread) {
                    entry.requestThread.clear(); // a stranger's request that timed out
                    Q_EMIT encryptionRequestsChanged();
                }
                Q_EMIT encryptionChanged(peer);
            });
    // Contacts are answered by the engine itself. A request waits for a decision only when it comes from someone
    // who may not see our presence: answering at all would tell them we are online, so the user decides.
    connect(esession, &EsessionExtension::negotiationRequested, this,
            [this](const QString &peerJid, const QString &thread) {
                const QString peer = contactOf(peerJid);
                m_encryption[peer].requestThread = thread;
                Q_EMIT encryptionRequestsChanged();
                Q_EMIT encryptionChanged(peer);
            });
    // What the next message is (plain, encrypted, waiting) is the core's ConversationSecurity; the page follows.
    connect(session->messenger->security(), &ConversationSecurity::changed, this, &AppContext::encryptionChanged);
}

QString AppContext::startEncryptedSession(const QString &peer)
{
    if (!m_session)
        return tr("No account is open.");
    const QString bare = QXmppUtils::jidToBareJid(peer);
    if (m_session->settings && m_session->settings->sessionPolicy(bare) == SessionPolicy::Off)
        return tr("Encrypted sessions with this contact are switched off in Settings > Encryption.");
    const bool started = m_session->messenger->security()->startEncryption(bare);
    Q_EMIT encryptionChanged(bare);
    if (started)
        return {};
    if (m_session->account.state() != Account::State::Online)
        return tr("You are offline: your messages wait and the encrypted session starts when you are back online.");
    return tr("An encrypted session cannot be started right now.");
}

QString AppContext::allowOlderCodeAndRetry(const QString &peer)
{
    if (!m_session || !m_session->settings)
        return tr("No account is open.");
    const QString bare = QXmppUtils::jidToBareJid(peer);
    if (!m_session->settings->setWeakSasAllowed(bare, true))
        return tr("The setting could not be saved.");
    return startEncryptedSession(bare);
}

QString AppContext::endEncryption(const QString &peer)
{
    if (!m_session)
        return tr("No account is open.");
    const QString bare = QXmppUtils::jidToBareJid(peer);
    if (!m_session->messenger->security()->endEncryption(bare))
        return tr("Messages to this contact are always encrypted (Settings > Encryption).");
    return {};
}

QString AppContext::sendUnencrypted(const QString &peer)
{
    if (!m_session)
        return tr("No account is open.");
    const QString bare = QXmppUtils::jidToBareJid(peer);
    if (!m_session->messenger->security()->sendUnencrypted(bare))
        return tr("Messages to this contact are always encrypted (Settings > Encryption).");
    return {};
}

bool AppContext::plaintextAllowed(const QString &peer) const
{
    return m_session && m_session->messenger->security()->plaintextAllowed(peer);
}

QString AppContext::encryptionFailureText(const QString &peer) const
{
    if (!m_session)
        return {};
    const QString code = m_session->messenger->security()->failure(peer);
    if (code.isEmpty())
        return {};
    const QString name = m_session->account.contact(peer).name.isEmpty() ? peer : m_session->account.contact(peer).name;
    return EncryptionText::failure(code, name);
}

QString AppContext::encryptionFailureCode(const QString &peer) const
{
    return m_session ? m_session->messenger->security()->failure(peer) : QString();
}

QStringList AppContext::encryptionRequests() const
{
    QStringList peers;
    for (auto it = m_encryption.cbegin(); it != m_encryption.cend(); ++it) {
        if (!it->requestThread.isEmpty())
            peers << it.key();
    }
    peers.sort();
    return peers;
}

bool AppContext::hasEncryptionRequest(const QString &peer) const
{
    return !m_encryption.value(contactOf(peer)).requestThread.isEmpty();
}

void AppContext::acceptEncryptionRequest(const QString &peer)
{
    PeerEncryption &entry = m_encryption[contactOf(peer)];
    const QString thread = std::exchange(entry.requestThread, QString());
    if (m_session && !thread.isEmpty())
        m_session->account.esession()->acceptNegotiation(peer, thread);
    Q_EMIT encryptionRequestsChanged();
    Q_EMIT encryptionChanged(peer);
}

void AppContext::declineEncryptionRequest(const QString &peer)
{
    PeerEncryption &entry = m_encryption[contactOf(peer)];
    const QString thread = std::exchange(entry.requestThread, QString());
    if (m_session && !thread.isEmpty())
        m_session->account.esession()->declineNegotiation(peer, thread);
    Q_EMIT encryptionRequestsChanged();
    Q_EMIT encryptionChanged(peer);
}

QString AppContext::usePassphrase(const QString &passphrase)
{
    if (!m_session)
        return tr("No account is open.");
    KeyVault *vault = m_session->vault.get();
    if (vault->kind() == KeyVault::Kind::Keyring)
        return tr("This account's secrets are already kept with the keyring.");
    QString error;
    const bool ok = vault->kind() == KeyVault::Kind::None ? vault->createWithPassphrase(passphrase, &error)
                                                          : vault->unlockWithPassphrase(passphrase, &error);
    if (!ok)
        return error;
    m_session->account.esession()->setRetainedSecretStore(m_session->sqlSecrets.get());
    setEncryptionNotice({});
    Q_EMIT encryptionChanged(QString());
    return {};
}

namespace {

// How QML names where a vault's master key lives.
QString vaultKindName(KeyVault::Kind kind)
{
    switch (kind) {
    case KeyVault::Kind::Keyring:
        return QStringLiteral("keyring");
    case KeyVault::Kind::Passphrase:
        return QStringLiteral("passphrase");
    case KeyVault::Kind::None:
        break;
    }
    return {};
}

} // namespace

QString AppContext::vaultKind() const
{
    return m_session ? vaultKindName(m_session->vault->kind()) : QString();
}

bool AppContext::isVaultUnlocked() const
{
    return m_session && m_session->vault->isUnlocked();
}

QString AppContext::changePassphrase(const QString &oldPassphrase, const QString &newPassphrase)
{
    if (!m_session || m_session->vault->kind() != KeyVault::Kind::Passphrase)
        return tr("This account's secrets are not protected by a passphrase.");
    QString error;
    if (!m_session->vault->changePassphrase(oldPassphrase, newPassphrase, &error))
        return error;
    m_session->account.esession()->setRetainedSecretStore(m_session->sqlSecrets.get());
    setEncryptionNotice({});
    Q_EMIT encryptionChanged(QString());
    return {};
}

void AppContext::lockVault()
{
    if (!m_session || !m_session->vault->isUnlocked() || m_session->vault->kind() != KeyVault::Kind::Passphrase)
        return;
    m_session->vault->lock();
    // Without the key nothing remembered can be used: new sessions start from scratch, in memory.
    m_session->account.esession()->setRetainedSecretStore(&m_session->memorySecrets);
    setEncryptionNotice(tr("Your message history and verified contacts are locked: give your passphrase to open them."));
    Q_EMIT encryptionChanged(QString());
}

bool AppContext::isVaultLocked() const
{
    return m_session && m_session->vault->kind() == KeyVault::Kind::Passphrase && !m_session->vault->isUnlocked();
}

SqlRetainedSecretStore *AppContext::secretStore() const
{
    return m_session && m_session->vault->isUnlocked() ? m_session->sqlSecrets.get() : nullptr;
}

ContactSettings *AppContext::contactSettings() const
{
    return m_session ? m_session->settings.get() : nullptr;
}

AppSettings *AppContext::appSettings() const
{
    return m_session ? m_session->appSettings.get() : nullptr;
}

int AppContext::sessionStatus(const QString &peer) const
{
    if (!m_session)
        return ConversationModel::Plain;
    switch (m_session->messenger->security()->phase(peer)) {
    case ConversationSecurity::Phase::Plain:
        return ConversationModel::Plain;
    case ConversationSecurity::Phase::Ready:
        return ConversationModel::Waiting;
    case ConversationSecurity::Phase::Negotiating:
        return ConversationModel::Negotiating;
    case ConversationSecurity::Phase::Encrypted:
        return m_encryption.value(contactOf(peer)).verified ? ConversationModel::Verified
                                                            : ConversationModel::Unverified;
    case ConversationSecurity::Phase::Held:
        return ConversationModel::Failed;
    }
    return ConversationModel::Failed;
}

bool AppContext::identityChanged(const QString &peer) const
{
    return m_encryption.value(contactOf(peer)).identityChanged;
}

QString AppContext::formerJid(const QString &peer) const
{
    return m_encryption.value(contactOf(peer)).formerJid;
}

VerificationFlow *AppContext::verificationFlow(const QString &peer)
{
    PeerEncryption &entry = m_encryption[contactOf(peer)];
    if (entry.flow)
        return entry.flow;
    entry.flow = new VerificationFlow(this);
    connect(entry.flow, &VerificationFlow::verificationConfirmed, this, [this](const QString &jid, const QString &sas) {
        if (m_session && m_session->account.esession()->verifySas(jid, sas))
            setVerified(jid, true, false);
    });
    connect(entry.flow, &VerificationFlow::mismatchReported, this, [this](const QString &jid, const QString &) {
        // Someone may be in the middle: the session ends at once, stays failed with the reason until Retry, and
        // nothing the user writes meanwhile leaves unencrypted.
        if (m_session)
            m_session->messenger->security()->codesDiffer(jid);
        Q_EMIT encryptionChanged(jid);
    });
    Q_EMIT encryptionChanged(peer);
    return entry.flow;
}

void AppContext::setVerified(const QString &peer, bool verified, std::optional<bool> identityChanged)
{
    PeerEncryption &entry = m_encryption[contactOf(peer)];
    entry.verified = verified;
    if (identityChanged)
        entry.identityChanged = *identityChanged;
    Q_EMIT encryptionChanged(peer);
}

// --- Remembered passwords ----------------------------------------------------------------------------
// The password is sealed under the vault's master key (CredentialStore), never stored in the clear. It is
// stored only after the server accepted it and only while the vault is open; the connection details that
// go with it (server, port, certificate: not secret) are account preferences.

namespace {

const QString LoginHostKey = QStringLiteral("login.host");
const QString LoginPortKey = QStringLiteral("login.port");
const QString LoginCertKey = QStringLiteral("login.cert");

} // namespace

bool AppContext::loginAndRemember(const QString &jid, const QString &password, const QString &host, int port,
                                  const QString &trustedCertPath, bool remember)
{
    if (!login(jid, password, host, port, trustedCertPath))
        return false;
    m_session->rememberPassword = remember;
    if (!remember && m_session->credentials->forget(m_session->account.jid()))
        bumpCredentialsRevision();
    storeRememberedLogin();
    return true;
}

bool AppContext::loginRemembered(const QString &jid, const QString &passphrase)
{
    setErrorText({});
    const QString bare = normalizedJid(jid);
    if (bare.isEmpty()) {
        setErrorText(tr("Enter your address as name@server."));
        return false;
    }
    if (!hasRememberedLogin(bare)) {
        setErrorText(tr("No password is remembered for %1.").arg(bare));
        return false;
    }
    if (!openSession(bare))
        return false;
    setLastJid(bare);
    KeyVault *vault = m_session->vault.get();
    if (!vault->isUnlocked()) {
        if (vault->kind() == KeyVault::Kind::Passphrase) {
            if (passphrase.isEmpty()) {
                setErrorText(tr("Enter the passphrase that protects the remembered password."));
                return false;
            }
            const QString why = usePassphrase(passphrase);
            if (!why.isEmpty()) {
                setErrorText(tr("The remembered password could not be opened: %1").arg(why));
                return false;
            }
        } else if (!m_keyringEnabled) {
            setErrorText(tr("The remembered password is kept with the keyring, which is not used now. Type your password."));
            return false;
        } else {
            // The keyring answers asynchronously (it may ask the user): onVaultUnlocked goes on from here.
            m_session->rememberedLoginWaits = true;
            return true;
        }
    }
    return continueRememberedLogin();
}

bool AppContext::continueRememberedLogin()
{
    Session *session = m_session.get();
    session->rememberedLoginWaits = false;
    const QString bare = session->account.jid();
    const std::optional<QString> password = session->credentials->password(bare);
    if (!password) {
        setErrorText(tr("The remembered password could not be opened. Type your password."));
        return false;
    }
    const AppSettings *settings = session->appSettings.get();
    const int port = settings->value(LoginPortKey).value_or(QString()).toInt();
    if (!login(bare, *password, settings->value(LoginHostKey).value_or(QString()), port,
               settings->value(LoginCertKey).value_or(QString())))
        return false;
    return true;
}

bool AppContext::hasRememberedLogin(const QString &jid, int) const
{
    const QString bare = normalizedJid(jid);
    if (bare.isEmpty())
        return false;
    if (m_session && m_session->account.jid() == bare)
        return m_session->credentials->contains(bare);
    return CredentialStore::isRememberedIn(Paths::databaseFile(Paths::accountDataDir(bare, m_dataDir)), bare);
}

QString AppContext::vaultKindOf(const QString &jid) const
{
    const QString bare = normalizedJid(jid);
    if (bare.isEmpty())
        return {};
    if (m_session && m_session->account.jid() == bare)
        return vaultKind();
    const KeyVault vault(Paths::vaultFile(Paths::accountDataDir(bare, m_dataDir)), QStringLiteral("Sotto"),
                         bare);
    return vaultKindName(vault.kind());
}

void AppContext::forgetRememberedLogin()
{
    if (!m_session)
        return;
    m_session->rememberPassword = false;
    if (m_session->credentials->forget(m_session->account.jid()))
        bumpCredentialsRevision();
}

void AppContext::onVaultUnlocked()
{
    if (!m_session)
        return;
    keepRunSecrets();
    storeRememberedLogin();
    if (m_session->rememberedLoginWaits)
        continueRememberedLogin();
}

// Secrets agreed while the vault was closed were kept in memory for this run. Once it opens they join the stored
// ones, verified flag and all: a contact verified just before "Use a passphrase…" stays verified next time.
void AppContext::keepRunSecrets()
{
    Session *session = m_session.get();
    const QList<Esession::FiledRetainedSecret> secrets = session->memorySecrets.allSecrets();
    QSet<QString> contacts, notKept;
    for (const Esession::FiledRetainedSecret &filed : secrets) {
        contacts.insert(filed.bareJid);
        if (!session->sqlSecrets->replace(filed.bareJid, std::nullopt, filed.secret.secret)) {
            notKept.insert(filed.bareJid); // stays in memory: better this run only than not at all
            continue;
        }
        if (filed.secret.verified)
            session->sqlSecrets->markVerified(filed.bareJid, filed.secret.secret);
    }
    for (const QString &contact : std::as_const(contacts)) {
        if (!notKept.contains(contact))
            session->memorySecrets.forget(contact);
    }
    if (!secrets.isEmpty())
        qCInfo(lcUi) << "kept" << secrets.size() << "secret(s) of this run with the stored ones," << notKept.size()
                     << "contact(s) not";
}

void AppContext::storeRememberedLogin()
{
    Session *session = m_session.get();
    if (!session || !session->rememberPassword || !session->vault->isUnlocked()
        || session->account.state() != Account::State::Online)
        return;
    const AccountConfig &config = session->account.config();
    if (!session->credentials->setPassword(config.jid, config.password)) {
        qCWarning(lcUi) << "the password could not be remembered";
        return;
    }
    AppSettings *settings = session->appSettings.get();
    settings->setValue(LoginHostKey, config.host);
    settings->setValue(LoginPortKey, config.port ? QString::number(config.port) : QString());
    settings->setValue(LoginCertKey, config.trustedCertPath);
    session->rememberPassword = false;
    bumpCredentialsRevision();
}

void AppContext::bumpCredentialsRevision()
{
    ++m_credentialsRevision;
    Q_EMIT credentialsChanged();
}
