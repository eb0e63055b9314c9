#include "Account.h"

#include <QRandomGenerator>
#include <QSslCertificate>
#include <QSslSocket>

#include <QXmppAuthenticationError.h>
#include <QXmppConfiguration.h>
#include <QXmppMessage.h>
#include <QXmppPresence.h>
#include <QXmppPromise.h>
#include <QXmppRosterManager.h>
#include <QXmppUtils.h>

#include "EsessionExtension.h"
#include "SsnHandler.h"
#include "Logging.h"

#if defined(Q_OS_LINUX)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

namespace {

QString socketErrorText(QAbstractSocket::SocketError error)
{
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return Account::tr("the server refused the connection (is it running?)");
    case QAbstractSocket::RemoteHostClosedError:
        return Account::tr("the server closed the connection");
    case QAbstractSocket::HostNotFoundError:
        return Account::tr("the server's address could not be found");
    case QAbstractSocket::SocketTimeoutError:
        return Account::tr("the connection timed out");
    case QAbstractSocket::NetworkError:
        return Account::tr("the network is unreachable");
    case QAbstractSocket::SslHandshakeFailedError:
        return Account::tr("the TLS handshake failed");
    default:
        return Account::tr("network error %1").arg(int(error));
    }
}

} // namespace

Account::Account(QObject *parent)
    : QObject(parent)
    , m_client(new QXmppClient(this))
    , m_roster(m_client->findExtension<QXmppRosterManager>())
    , m_esession(new EsessionExtension)
{
    // First in line for incoming stanzas, so that encrypted ones are opened before anyone reads them.
    m_client->insertExtension(0, m_esession);
    m_client->setEncryptionExtension(m_esession);
    connect(m_esession, &EsessionExtension::undecryptable, this, &Account::undecryptableReceived);
    // XEP-0155 §Presence Leaks: a request is answered without asking only when the contact may see our
    // presence anyway (it is subscribed to it).
    auto mayRevealPresence = [this](const QString &bareJid) {
        const auto subscription = m_roster->getRosterEntry(bareJid).subscriptionType();
        return subscription == QXmppRosterIq::Item::From || subscription == QXmppRosterIq::Item::Both;
    };
    m_esession->stanzaSessions()->setPolicyFunction([mayRevealPresence](const QString &bareJid) {
        Esession::SsnPolicy policy = Esession::SsnPolicy::defaults();
        policy.mayRevealPresence = mayRevealPresence(bareJid);
        return policy;
    });
    m_esession->setHandshakePolicyFunction(
        [this, mayRevealPresence](const QString &bareJid) -> std::optional<Esession::EsessionPolicy> {
            if (m_encryptionAllowed && !m_encryptionAllowed(bareJid))
                return std::nullopt;
            Esession::EsessionPolicy policy;
            if (!m_preferredGroups.isEmpty())
                policy.groups = m_preferredGroups;
            policy.mayRevealPresence = mayRevealPresence(bareJid);
            policy.ssn.mayRevealPresence = policy.mayRevealPresence;
            // The committed code stays first: sas28x5 is agreed only with a client that knows nothing better.
            if (m_weakSasAllowed && m_weakSasAllowed(bareJid))
                policy.sasAlgorithms = { Esession::SasAlgorithm::Committed, Esession::SasAlgorithm::Sas28x5 };
            return policy;
        });
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, [this] {
        if (m_wantOnline && m_client->state() == QXmppClient::DisconnectedState)
            m_client->connectToServer(makeConfiguration());
    });
    connect(m_client, &QXmppClient::stateChanged, this, &Account::onClientStateChanged);
    connect(m_client, &QXmppClient::errorOccurred, this, &Account::onErrorOccurred);
    connect(m_client, &QXmppClient::sslErrors, this, [this](const QList<QSslError> &errors) {
        m_sslErrors.clear();
        for (const QSslError &error : errors)
            m_sslErrors << error.errorString();
    });
    connect(m_client, &QXmppClient::messageReceived, this, &Account::onMessage);

    connect(m_roster, &QXmppRosterManager::rosterReceived, this, &Account::rosterChanged);
    connect(m_roster, &QXmppRosterManager::itemAdded, this, &Account::rosterChanged);
    connect(m_roster, &QXmppRosterManager::itemChanged, this, &Account::rosterChanged);
    connect(m_roster, &QXmppRosterManager::itemRemoved, this, &Account::rosterChanged);
    connect(m_roster, &QXmppRosterManager::presenceChanged, this,
            [this](const QString &bareJid, const QString &) { Q_EMIT presenceChanged(bareJid); });
    connect(m_roster, &QXmppRosterManager::subscriptionRequestReceived, this,
            [this](const QString &bareJid, const QXmppPresence &) { onSubscriptionRequest(bareJid); });
    tuneSocket();
}

Account::~Account()
{
    m_wantOnline = false;
    m_reconnectTimer.stop();
}

void Account::setConfig(const AccountConfig &config)
{
    m_config = config;
}

void Account::setReconnectDelays(int initialMs, int maxMs)
{
    m_initialDelayMs = qMax(1, initialMs);
    m_maxDelayMs = qMax(m_initialDelayMs, maxMs);
    m_nextDelayMs = m_initialDelayMs;
}

int Account::reconnectIn() const
{
    return m_reconnectTimer.isActive() ? m_reconnectTimer.remainingTime() : -1;
}

QXmppConfiguration Account::makeConfiguration() const
{
    QXmppConfiguration config;
    config.setJid(m_config.jid);
    config.setPassword(m_config.password);
    config.setResource(m_config.resource);
    if (!m_config.host.isEmpty())
        config.setHost(m_config.host);
    if (m_config.port)
        config.setPort(m_config.port);
    config.setStreamSecurityMode(QXmppConfiguration::TLSRequired);
    config.setIgnoreSslErrors(false);
    if (!m_config.trustedCertPath.isEmpty())
        config.setCaCertificates(QSslCertificate::fromPath(m_config.trustedCertPath));
    return config;
}

void Account::connectToServer()
{
    if (m_config.jid.isEmpty() || !m_config.jid.contains(u'@')) {
        setError(tr("the address must look like name@server"), true);
        return;
    }
    if (!m_config.trustedCertPath.isEmpty() && QSslCertificate::fromPath(m_config.trustedCertPath).isEmpty()) {
        setError(tr("no certificate could be read from %1").arg(m_config.trustedCertPath), true);
        return;
    }
    m_wantOnline = true;
    m_nextDelayMs = m_initialDelayMs;
    m_reconnectTimer.stop();
    setError({}, false);
    if (m_client->state() != QXmppClient::DisconnectedState)
        return;
    // Logging in again right after logging out: the previous connection may still be closing its stream, and
    // connecting the same socket now fails with a spurious network error. Connect once it has closed.
    if (!isConnectionClosed()) {
        m_connectWhenClosed = true;
        return;
    }
    m_client->connectToServer(makeConfiguration());
}

void Account::disconnectFromServer()
{
    m_wantOnline = false;
    m_connectWhenClosed = false;
    m_reconnectTimer.stop();
    m_client->disconnectFromServer();
    setState(State::Offline);
}

QXmppTask<QXmpp::SendResult> Account::send(QXmppMessage &&message, bool mustEncrypt)
{
    // A conversation that has (or had) an encrypted session never falls back to plaintext: an ended
    // session makes the encryption hook refuse, and the message stays in the outbox.
    const QString sessionPeer = m_esession->sessionPeer(message.to(), message.thread());
    if (!sessionPeer.isEmpty()) {
        message.setTo(sessionPeer);
        return m_client->sendSensitive(std::move(message));
    }
    // A thread that carried a negotiation or a session whose record is gone never carries plaintext from us either.
    if (mustEncrypt
        || (!message.thread().isEmpty()
            && m_esession->engine().hasNegotiated(QXmppUtils::jidToBareJid(message.to()), message.thread()))) {
        QXmppPromise<QXmpp::SendResult> refused;
        refused.finish(QXmppError{tr("no encrypted session for this conversation; the message waits for one"), {}});
        return refused.task();
    }
    return m_client->send(std::move(message));
}

bool Account::isEncryptedConversation(const QString &to, const QString &thread) const
{
    const QString peer = m_esession->sessionPeer(to, thread);
    return !peer.isEmpty() && m_esession->sessionState(peer, thread) == EsessionExtension::SessionState::Active;
}

void Account::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void Account::setError(const QString &reason, bool permanent)
{
    m_errorPermanent = permanent;
    if (m_errorReason == reason)
        return;
    m_errorReason = reason;
    Q_EMIT errorReasonChanged(reason);
}

void Account::onClientStateChanged(QXmppClient::State state)
{
    switch (state) {
    case QXmppClient::ConnectingState:
        tuneSocket();
        setState(State::Connecting);
        break;
    case QXmppClient::ConnectedState:
        qCInfo(lcXmpp) << "connected as" << m_config.jid;
        tuneSocket();
        m_nextDelayMs = m_initialDelayMs;
        m_sslErrors.clear();
        setError({}, false);
        setState(State::Online);
        Q_EMIT connected();
        break;
    case QXmppClient::DisconnectedState:
        setState(State::Offline);
        // The end of the connection we closed ourselves before logging in again: onConnectionClosed() follows.
        if (m_connectWhenClosed)
            break;
        if (m_wantOnline && !m_errorPermanent)
            scheduleReconnect();
        break;
    }
}

void Account::tuneSocket()
{
    // Each connection gets a new TCP socket under the QSslSocket (a child QTcpSocket), so the tuning is redone on
    // every connection.
    QSslSocket *socket = this->socket();
    if (!socket)
        return;
    const auto tune = [socket] {
        // Chat stanzas are small and each one matters now: never hold one back for coalescing.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
#if defined(Q_OS_LINUX) && defined(TCP_QUICKACK)
        // Servers that keep Nagle's algorithm on (Prosody's default) hold a write back while their previous small
        // write to us is unacknowledged, and Linux delays that ACK by up to 40 ms. That happens in the TLS handshake
        // (two session tickets) and after every stream-management <a/>, just before a contact's next message.
        // Acknowledging every read at once releases it; Linux clears the flag by itself, hence after every read.
        const auto plainSockets = socket->findChildren<QTcpSocket *>(Qt::FindDirectChildrenOnly);
        for (QTcpSocket *plain : plainSockets) {
            if (qobject_cast<QSslSocket *>(plain) || plain->property("sottoQuickAck").toBool())
                continue;
            plain->setProperty("sottoQuickAck", true);
            QObject::connect(plain, &QIODevice::readyRead, plain, [plain] {
                const int one = 1;
                const auto fd = plain->socketDescriptor();
                if (fd >= 0)
                    ::setsockopt(int(fd), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
            });
        }
#endif
    };
    if (socket->state() == QAbstractSocket::ConnectedState)
        tune();
    if (socket->property("sottoTuned").toBool())
        return;
    socket->setProperty("sottoTuned", true);
    connect(socket, &QAbstractSocket::connected, this, tune);
    // Queued: QXmpp finishes its own handling of the closed socket first.
    connect(socket, &QAbstractSocket::disconnected, this, &Account::onConnectionClosed, Qt::QueuedConnection);
}

QSslSocket *Account::socket() const
{
    // QXmpp keeps its QSslSocket private; it is a child of the client and lives across reconnects.
    return m_client->findChild<QSslSocket *>();
}

bool Account::isConnectionClosed() const
{
    const QSslSocket *socket = this->socket();
    return !socket || socket->state() == QAbstractSocket::UnconnectedState;
}

void Account::onConnectionClosed()
{
    Q_EMIT connectionClosed();
    if (!m_connectWhenClosed)
        return;
    m_connectWhenClosed = false;
    if (m_wantOnline && m_client->state() == QXmppClient::DisconnectedState)
        m_client->connectToServer(makeConfiguration());
}

void Account::onErrorOccurred(const QXmppError &error)
{
    QString reason;
    bool permanent = false;
    if (auto auth = error.value<QXmpp::AuthenticationError>()) {
        permanent = auth->type != QXmpp::AuthenticationError::ProcessingError;
        reason = auth->type == QXmpp::AuthenticationError::NotAuthorized
            ? tr("the server rejected the address or password")
            : tr("authentication failed: %1").arg(error.description);
    } else if (auto socket = error.value<QAbstractSocket::SocketError>()) {
        reason = socketErrorText(*socket);
        if (*socket == QAbstractSocket::SslHandshakeFailedError && !m_sslErrors.isEmpty()) {
            // An untrusted certificate will not become trusted by retrying.
            permanent = true;
            reason = tr("the server's certificate is not trusted: %1").arg(m_sslErrors.join(QStringLiteral("; ")));
        }
    } else if (error.holdsType<QXmpp::TimeoutError>()) {
        reason = tr("the server stopped answering");
    } else {
        reason = error.description.isEmpty() ? tr("connection error") : error.description;
    }
    qCInfo(lcXmpp) << "connection error:" << reason;
    setError(reason, permanent);
    if (permanent) {
        m_wantOnline = false;
        m_reconnectTimer.stop();
    }
}

void Account::scheduleReconnect()
{
    if (!m_reconnectEnabled) {
        m_wantOnline = false;
        return;
    }
    // Up to 20% jitter keeps many clients from reconnecting in lock step after a server restart.
    const int jitter = int(QRandomGenerator::global()->bounded(m_nextDelayMs / 5 + 1));
    m_reconnectTimer.start(m_nextDelayMs + jitter);
    qCInfo(lcXmpp) << "reconnecting in" << m_reconnectTimer.interval() << "ms";
    m_nextDelayMs = qMin(m_nextDelayMs * 2, m_maxDelayMs);
    Q_EMIT errorReasonChanged(m_errorReason);
}

void Account::onMessage(const QXmppMessage &message)
{
    if (message.type() == QXmppMessage::Error) {
        const QString reason = message.error().text().isEmpty()
            ? tr("the message could not be delivered")
            : message.error().text();
        Q_EMIT messageFailed(message.id(), reason);
        return;
    }
    Q_EMIT messageReceived(message);
}

bool Account::isRosterReceived() const
{
    return m_roster->isRosterReceived();
}

Contact Account::contact(const QString &bareJid) const
{
    Contact c;
    c.jid = bareJid;
    const QXmppRosterIq::Item item = m_roster->getRosterEntry(bareJid);
    c.name = item.name();
    switch (item.subscriptionType()) {
    case QXmppRosterIq::Item::Both:
        c.subscription = QStringLiteral("both");
        break;
    case QXmppRosterIq::Item::To:
        c.subscription = QStringLiteral("to");
        break;
    case QXmppRosterIq::Item::From:
        c.subscription = QStringLiteral("from");
        break;
    default:
        c.subscription = QStringLiteral("none");
        break;
    }
    if (item.subscriptionStatus() == u"subscribe")
        c.subscription += QStringLiteral("+pending");
    const auto presences = m_roster->getAllPresencesForBareJid(bareJid);
    for (auto it = presences.cbegin(); it != presences.cend(); ++it) {
        if (it.value().type() == QXmppPresence::Available) {
            c.online = true;
            c.resources << it.key();
        }
    }
    return c;
}

QList<Contact> Account::contacts() const
{
    QList<Contact> result;
    const QStringList jids = m_roster->getRosterBareJids();
    for (const QString &jid : jids)
        result << contact(jid);
    return result;
}

void Account::addContact(const QString &bareJid, const QString &name)
{
    m_roster->addItem(bareJid, name);
    m_roster->subscribe(bareJid);
}

void Account::onSubscriptionRequest(const QString &bareJid)
{
    const QXmppRosterIq::Item item = m_roster->getRosterEntry(bareJid);
    // Someone we asked to follow asks back: that is what the user wanted, approve (and the roster goes
    // to "both"). Anyone else waits for the user.
    const bool weAsked = item.subscriptionStatus() == u"subscribe"
        || item.subscriptionType() == QXmppRosterIq::Item::To
        || item.subscriptionType() == QXmppRosterIq::Item::Both;
    if (weAsked || m_autoApproveAll) {
        approveSubscription(bareJid);
        return;
    }
    if (!m_pendingRequests.contains(bareJid))
        m_pendingRequests << bareJid;
    Q_EMIT subscriptionRequested(bareJid);
}

void Account::approveSubscription(const QString &bareJid)
{
    m_pendingRequests.removeAll(bareJid);
    m_roster->acceptSubscription(bareJid);
    const QXmppRosterIq::Item item = m_roster->getRosterEntry(bareJid);
    // Mutual by default: subscribe back unless we already follow them.
    if (item.subscriptionType() != QXmppRosterIq::Item::To && item.subscriptionType() != QXmppRosterIq::Item::Both
        && item.subscriptionStatus() != u"subscribe") {
        m_roster->subscribe(bareJid);
    }
    Q_EMIT rosterChanged();
}

void Account::refuseSubscription(const QString &bareJid)
{
    m_pendingRequests.removeAll(bareJid);
    m_roster->refuseSubscription(bareJid);
    Q_EMIT rosterChanged();
}
