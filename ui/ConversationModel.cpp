#include "ConversationModel.h"

#include <QLocale>

#include "AppContext.h"
#include "EncryptionText.h"
#include "Logging.h"
#include "esession/FailureCodes.h"
#include "esession/FormNormalizer.h"
#include "session/Messenger.h"
#include "xmpp/Account.h"

namespace {

// Enough to fill the window; older history is for a later "load more".
constexpr int HistoryPageSize = 200;

// Today: the time; before: the date and the time. Without seconds, also in the C locale.
QString timeText(const QDateTime &timestamp)
{
    const QLocale locale;
    const QDateTime local = timestamp.toLocalTime();
    QString timeFormat = locale.timeFormat(QLocale::ShortFormat);
    if (timeFormat.contains(u's'))
        timeFormat = QStringLiteral("HH:mm");
    const QString time = locale.toString(local.time(), timeFormat);
    if (local.date() == QDate::currentDate())
        return time;
    return locale.toString(local.date(), QLocale::ShortFormat) + u' ' + time;
}

} // namespace

ConversationModel::ConversationModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

void ConversationModel::setContext(AppContext *context)
{
    if (m_context == context)
        return;
    if (m_context)
        disconnect(m_context, nullptr, this, nullptr);
    m_context = context;
    if (m_context) {
        connect(m_context, &AppContext::sessionAboutToClose, this, &ConversationModel::detach);
        connect(m_context, &AppContext::sessionChanged, this, &ConversationModel::reload);
        connect(m_context, &AppContext::connectionStateChanged, this, &ConversationModel::peerInfoChanged);
        // Names and presence as the contact list knows them.
        connect(m_context->contacts(), &QAbstractItemModel::dataChanged, this, &ConversationModel::peerInfoChanged);
        connect(m_context->contacts(), &QAbstractItemModel::modelReset, this, &ConversationModel::peerInfoChanged);
        connect(m_context, &AppContext::encryptionChanged, this, [this](const QString &peer) {
            if (Esession::sameBare(peer, m_peer))
                syncEncryption();
        });
    }
    Q_EMIT contextChanged();
    reload();
}

void ConversationModel::setPeer(const QString &peer)
{
    if (m_peer == peer)
        return;
    m_peer = peer;
    Q_EMIT peerChanged();
    reload();
}

void ConversationModel::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    Q_EMIT activeChanged();
    markReadIfActive();
}

void ConversationModel::setSessionStatus(SessionStatus status)
{
    if (m_sessionStatus == status)
        return;
    m_sessionStatus = status;
    Q_EMIT sessionStatusChanged();
}

void ConversationModel::setIdentityChanged(bool changed)
{
    if (m_identityChanged == changed)
        return;
    m_identityChanged = changed;
    Q_EMIT identityChangedChanged();
}

void ConversationModel::setFormerJid(const QString &jid)
{
    if (m_formerJid == jid)
        return;
    m_formerJid = jid;
    Q_EMIT formerJidChanged();
}

void ConversationModel::setVerificationFlow(VerificationFlow *flow)
{
    if (m_verificationFlow == flow)
        return;
    if (m_verificationFlow)
        disconnect(m_verificationFlow, &QObject::destroyed, this, nullptr);
    m_verificationFlow = flow;
    // The app owns the flow; when it goes, the page must stop offering "Verify…".
    if (m_verificationFlow) {
        connect(m_verificationFlow, &QObject::destroyed, this, [this] {
            m_verificationFlow = nullptr;
            Q_EMIT verificationFlowChanged();
        });
    }
    Q_EMIT verificationFlowChanged();
}

QString ConversationModel::peerName() const
{
    if (!m_context)
        return m_peer;
    return m_context->contacts()->displayName(m_peer);
}

bool ConversationModel::isPeerOnline() const
{
    if (!m_context)
        return false;
    ContactListModel *contacts = m_context->contacts();
    const int row = contacts->indexOf(m_peer);
    return row >= 0 && contacts->data(contacts->index(row), ContactListModel::OnlineRole).toBool();
}

QString ConversationModel::peerPresenceText() const
{
    return isPeerOnline() ? tr("online") : tr("offline");
}

bool ConversationModel::canSend() const
{
    return m_context && m_context->messenger() && !m_peer.isEmpty();
}

bool ConversationModel::send(const QString &text)
{
    if (!canSend() || text.trimmed().isEmpty())
        return false;
    const auto stored = m_context->messenger()->send(m_peer, text);
    if (!stored) {
        m_lastSendError = m_context->messenger()->lastError();
        qCWarning(lcUi) << "a message to" << m_peer << "was not taken";
        return false;
    }
    m_lastSendError.clear();
    // The row itself arrives through MessageStore::messageAdded (also when another part of the app sends).
    qCDebug(lcUi) << "message" << stored->id << "to" << m_peer << "is" << stateKey(stored->state);
    return true;
}

QString ConversationModel::stateKey(MessageState state)
{
    switch (state) {
    case MessageState::Queued:
        return QStringLiteral("queued");
    case MessageState::Sending:
        return QStringLiteral("sending");
    case MessageState::Sent:
        return QStringLiteral("sent");
    case MessageState::Received:
        return QStringLiteral("received");
    case MessageState::Failed:
        return QStringLiteral("failed");
    case MessageState::Undecryptable:
        return QStringLiteral("undecryptable");
    case MessageState::Delivered:
        return QStringLiteral("delivered");
    }
    return {};
}

QString ConversationModel::encryptionBadge(const StoredMessage &message)
{
    // An undecryptable message is stored with its failure code as its body; whether or not it is flagged
    // encrypted, it is the visible trace of encryption that failed.
    if (message.state == MessageState::Undecryptable)
        return QStringLiteral("failed");
    if (message.arrivedUnencrypted)
        return QStringLiteral("unencrypted-arrival");
    return message.encrypted ? QStringLiteral("encrypted") : QStringLiteral("plain");
}

bool ConversationModel::isWaiting(const StoredMessage &message) const
{
    return message.direction == MessageDirection::Outgoing && message.encrypted
        && (message.state == MessageState::Queued || message.state == MessageState::Sending)
        && m_sessionStatus != Unverified && m_sessionStatus != Verified;
}

int ConversationModel::waitingCount() const
{
    int count = 0;
    for (const StoredMessage &message : m_messages)
        count += isWaiting(message) ? 1 : 0;
    return count;
}

QString ConversationModel::stateText(MessageState state)
{
    switch (state) {
    case MessageState::Queued:
        return tr("queued");
    case MessageState::Sending:
        return tr("sending");
    case MessageState::Sent:
        return tr("sent");
    case MessageState::Received:
        return tr("received");
    case MessageState::Failed:
        return tr("not delivered");
    case MessageState::Undecryptable:
        return tr("could not be decrypted");
    case MessageState::Delivered:
        return tr("delivered");
    }
    return {};
}

int ConversationModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_messages.size());
}

QVariant ConversationModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const StoredMessage &message = m_messages.at(index.row());
    switch (role) {
    case MessageIdRole:
        return message.id;
    case Qt::DisplayRole:
    case BodyRole:
        // An undecryptable message holds the code of why (or, from older versions, a sentence): worded here.
        return message.state == MessageState::Undecryptable ? EncryptionText::undecryptable(message.body)
                                                            : message.body;
    case OutgoingRole:
        return message.direction == MessageDirection::Outgoing;
    case DeliveryStateRole:
        return isWaiting(message) ? QStringLiteral("waiting") : stateKey(message.state);
    case StateTextRole:
        return isWaiting(message) ? tr("waiting for encryption") : stateText(message.state);
    case TimestampRole:
        return message.timestamp;
    case TimeTextRole:
        return timeText(message.timestamp);
    case EncryptionBadgeRole:
        return encryptionBadge(message);
    case UnreadableRole:
        return message.unreadable;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConversationModel::roleNames() const
{
    return {
        {MessageIdRole, "messageId"},
        {BodyRole, "body"},
        {OutgoingRole, "outgoing"},
        {DeliveryStateRole, "deliveryState"},
        {StateTextRole, "stateText"},
        {TimestampRole, "timestamp"},
        {TimeTextRole, "timeText"},
        {EncryptionBadgeRole, "encryptionBadge"},
        {UnreadableRole, "unreadable"},
    };
}

void ConversationModel::detach()
{
    for (const QMetaObject::Connection &connection : std::as_const(m_sessionConnections))
        disconnect(connection);
    m_sessionConnections.clear();
    if (!m_messages.isEmpty()) {
        beginResetModel();
        m_messages.clear();
        endResetModel();
        Q_EMIT countChanged();
    }
    Q_EMIT canSendChanged();
}

void ConversationModel::reload()
{
    detach();
    MessageStore *store = m_context ? m_context->store() : nullptr;
    if (store && !m_peer.isEmpty()) {
        m_sessionConnections << connect(store, &MessageStore::messageAdded, this, &ConversationModel::onMessageAdded);
        m_sessionConnections << connect(store, &MessageStore::messageStateChanged, this,
                                        &ConversationModel::onStateChanged);
        m_sessionConnections << connect(store, &MessageStore::messageReplaced, this,
                                        &ConversationModel::onMessageReplaced);
        // The vault opened (or locked): bodies sealed under its key can (or cannot) be read now.
        m_sessionConnections << connect(store, &MessageStore::masterKeyChanged, this, &ConversationModel::reload,
                                        Qt::QueuedConnection);
        const QList<StoredMessage> history = store->history(m_peer, HistoryPageSize);
        if (!history.isEmpty()) {
            beginResetModel();
            m_messages = history;
            endResetModel();
            Q_EMIT countChanged();
        }
        markReadIfActive();
        syncEncryption();
    }
    Q_EMIT canSendChanged();
    Q_EMIT peerInfoChanged();
}

void ConversationModel::syncEncryption()
{
    // The app's view of this contact's encryption: the status, the identity warning and the SAS flow.
    if (!m_context || m_peer.isEmpty() || !m_context->isSessionOpen())
        return;
    const SessionStatus before = m_sessionStatus;
    const QString failure = m_context->encryptionFailureText(m_peer);
    const bool olderCode = m_context->encryptionFailureCode(m_peer) == Esession::FailureCode::Sas28x5NotAllowed;
    const bool plaintext = m_context->plaintextAllowed(m_peer);
    const bool requested = m_context->hasEncryptionRequest(m_peer);
    const bool detailsChanged = failure != m_failureText || plaintext != m_plaintextAllowed
        || requested != m_encryptionRequested || olderCode != m_olderCodeNeeded;
    m_failureText = failure;
    m_olderCodeNeeded = olderCode;
    m_plaintextAllowed = plaintext;
    m_encryptionRequested = requested;
    setSessionStatus(SessionStatus(m_context->sessionStatus(m_peer)));
    if (detailsChanged && before == m_sessionStatus)
        Q_EMIT sessionStatusChanged();
    // Whether an outgoing message reads "waiting for encryption" follows the status.
    if (before != m_sessionStatus && !m_messages.isEmpty())
        Q_EMIT dataChanged(index(0), index(int(m_messages.size()) - 1), {DeliveryStateRole, StateTextRole});
    setIdentityChanged(m_context->identityChanged(m_peer));
    setFormerJid(m_context->formerJid(m_peer));
    setVerificationFlow(m_context->verificationFlow(m_peer));
}

void ConversationModel::onMessageAdded(const StoredMessage &message)
{
    // The store names the contact as XMPP compares JIDs (lower-cased); the page may use the roster's spelling.
    if (!Esession::sameBare(message.peer, m_peer) || rowOf(message.id) >= 0)
        return;
    const int row = int(m_messages.size());
    beginInsertRows({}, row, row);
    m_messages << message;
    endInsertRows();
    Q_EMIT countChanged();
    if (isWaiting(message))
        Q_EMIT sessionStatusChanged(); // waitingCount
    if (message.direction == MessageDirection::Incoming)
        markReadIfActive();
}

void ConversationModel::onStateChanged(qint64 id, MessageState state)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    m_messages[row].state = state;
    // Sending unencrypted what waited, or holding a plain one for encryption, changes more than the state.
    if (m_context && m_context->store()) {
        if (const std::optional<StoredMessage> fresh = m_context->store()->message(id))
            m_messages[row].encrypted = fresh->encrypted;
    }
    Q_EMIT dataChanged(index(row), index(row), {DeliveryStateRole, StateTextRole, EncryptionBadgeRole});
    Q_EMIT sessionStatusChanged(); // waitingCount
}

void ConversationModel::onMessageReplaced(const StoredMessage &message)
{
    const int row = rowOf(message.id);
    if (row < 0)
        return;
    m_messages[row] = message;
    Q_EMIT dataChanged(index(row), index(row));
    markReadIfActive();
}

void ConversationModel::markReadIfActive()
{
    if (!m_active || m_peer.isEmpty() || !m_context || !m_context->store())
        return;
    m_context->store()->markRead(m_peer);
}

int ConversationModel::rowOf(qint64 id) const
{
    // New rows and state changes concern the latest messages: search from the end.
    for (int row = int(m_messages.size()) - 1; row >= 0; --row) {
        if (m_messages.at(row).id == id)
            return row;
    }
    return -1;
}
