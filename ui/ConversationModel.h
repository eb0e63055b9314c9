#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

#include "AppContext.h"
#include "storage/MessageStore.h"

/// The conversation with one contact: its history from the store, new messages as they are stored, and
/// the delivery state of outgoing ones. While @c active, the conversation is marked read.
class ConversationModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(AppContext *context READ context WRITE setContext NOTIFY contextChanged)
    Q_PROPERTY(QString peer READ peer WRITE setPeer NOTIFY peerChanged)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(QString peerName READ peerName NOTIFY peerInfoChanged)
    Q_PROPERTY(bool peerOnline READ isPeerOnline NOTIFY peerInfoChanged)
    Q_PROPERTY(QString peerPresenceText READ peerPresenceText NOTIFY peerInfoChanged)
    Q_PROPERTY(bool canSend READ canSend NOTIFY canSendChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role {
        MessageIdRole = Qt::UserRole + 1,
        BodyRole,
        OutgoingRole,
        DeliveryStateRole, ///< queued / sending / sent / failed / received (stable keys, not translated)
        StateTextRole,     ///< the delivery state in words
        TimestampRole,
        TimeTextRole,      ///< local time, short format
    };
    Q_ENUM(Role)

    explicit ConversationModel(QObject *parent = nullptr);

    AppContext *context() const { return m_context; }
    void setContext(AppContext *context);
    QString peer() const { return m_peer; }
    void setPeer(const QString &peer);
    bool isActive() const { return m_active; }
    void setActive(bool active);

    QString peerName() const;
    bool isPeerOnline() const;
    QString peerPresenceText() const;
    bool canSend() const;
    int count() const { return int(m_messages.size()); }

    /// Stores @p text for the contact and sends it when the account can (queued while offline).
    /// False when nothing was stored (empty text, no account open, storage failure).
    Q_INVOKABLE bool send(const QString &text);

    static QString stateKey(MessageState state);
    static QString stateText(MessageState state);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void contextChanged();
    void peerChanged();
    void activeChanged();
    void peerInfoChanged();
    void canSendChanged();
    void countChanged();

private:
    void reload();
    void detach();
    void onMessageAdded(const StoredMessage &message);
    void onStateChanged(qint64 id, MessageState state);
    void onMessageReplaced(const StoredMessage &message);
    void markReadIfActive();
    int rowOf(qint64 id) const;

    QPointer<AppContext> m_context;
    QString m_peer;
    bool m_active = false;
    QList<StoredMessage> m_messages;
    QList<QMetaObject::Connection> m_sessionConnections;
};
