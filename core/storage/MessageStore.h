#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>

#include <optional>

class Database;

enum class MessageDirection { Incoming = 0, Outgoing = 1 };

/// Where a message is in its life. Outgoing: Queued -> Sending -> Sent (acknowledged by the server)
/// -> Delivered (the contact's client confirmed it, XEP-0184).
/// Undecryptable: encrypted content that could not be opened; the body holds the reason.
enum class MessageState { Queued = 0, Sending = 1, Sent = 2, Received = 3, Failed = 4, Undecryptable = 5, Delivered = 6 };

struct StoredMessage
{
    qint64 id = 0;
    QString peer;      ///< the contact's bare JID
    QString resource;  ///< the contact's resource (incoming), empty when addressed to the bare JID
    QString thread;    ///< XEP-0201 thread id
    MessageDirection direction = MessageDirection::Incoming;
    QString body;
    QDateTime timestamp;
    MessageState state = MessageState::Received;
    QString stanzaId;
    bool read = true;
    bool encrypted = false; ///< sent or received inside an encrypted session
};

/// History per contact and the durable outbox, on top of Database.
class MessageStore : public QObject
{
    Q_OBJECT

public:
    explicit MessageStore(Database *database, QObject *parent = nullptr);

    /// Stores an outgoing message as Queued (before anything is sent) and returns it; nullopt on failure.
    std::optional<StoredMessage> addOutgoing(const QString &peer, const QString &thread, const QString &body,
                                             const QString &stanzaId, bool encrypted = false);
    /// Stores an incoming message; nullopt when it is a duplicate (same peer and stanza id) or on failure.
    std::optional<StoredMessage> addIncoming(const QString &peer, const QString &resource, const QString &thread,
                                             const QString &body, const QString &stanzaId,
                                             const QDateTime &timestamp, bool encrypted = false,
                                             MessageState state = MessageState::Received);

    /// The latest @p limit messages with the contact older than @p beforeId (0: the newest), oldest first.
    QList<StoredMessage> history(const QString &peer, int limit = 100, qint64 beforeId = 0) const;
    /// Outgoing messages not yet acknowledged by the server, in the order they were written.
    QList<StoredMessage> pendingOutgoing() const;
    std::optional<StoredMessage> message(qint64 id) const;

    bool setState(qint64 id, MessageState state);
    /// After a restart nothing is in flight any more: Sending goes back to Queued.
    void requeueInFlight();
    /// The contact confirmed our message with this stanza id (XEP-0184): it is Delivered.
    bool markDelivered(const QString &peer, const QString &stanzaId);
    /// An encrypted session in @p thread ended: what is in flight or was taken by the server but never
    /// confirmed by the contact may be lost, so it goes back into the outbox for the next session.
    /// Returns how many.
    int requeueUndelivered(const QString &peer, const QString &thread);

    int unreadCount(const QString &peer) const;
    void markRead(const QString &peer);
    /// Contacts with history, most recent first.
    QStringList peers() const;

Q_SIGNALS:
    void messageAdded(const StoredMessage &message);
    void messageStateChanged(qint64 id, MessageState state);
    /// A stored message was replaced by a readable copy (an undecryptable one that arrived again).
    void messageReplaced(const StoredMessage &message);
    void unreadChanged(const QString &peer, int count);

private:
    Database *m_database;
};

Q_DECLARE_METATYPE(StoredMessage)
