#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>

#include <optional>

class Database;
class QSqlQuery;

enum class MessageDirection { Incoming = 0, Outgoing = 1 };

/// Where a message is in its life. Outgoing: Queued -> Sending -> Sent (acknowledged by the server)
/// -> Delivered (the contact's client confirmed it, XEP-0184).
/// Undecryptable: encrypted content that could not be opened; the body holds why: its stable code
/// (Esession::FailureCode), or in databases written before codes, a sentence.
enum class MessageState { Queued = 0, Sending = 1, Sent = 2, Received = 3, Failed = 4, Undecryptable = 5, Delivered = 6 };

struct StoredMessage
{
    qint64 id = 0;
    QString peer;      ///< the contact's bare JID as XMPP compares it (Esession::normalizedBareJid(): lower-cased)
    QString resource;  ///< the contact's resource (incoming), empty when addressed to the bare JID
    QString thread;    ///< XEP-0201 thread id
    MessageDirection direction = MessageDirection::Incoming;
    QString body;
    QDateTime timestamp;
    MessageState state = MessageState::Received;
    QString stanzaId;
    bool read = true;
    bool encrypted = false; ///< sent or received inside an encrypted session
    /// The stored body did not open (sealed in an earlier run before the vault was unlocked, under
    /// another master key, damaged or moved to another row, or the vault is locked): body is empty.
    bool unreadable = false;
    /// Incoming: it arrived unencrypted while the conversation was encrypted (shown with a mark; it changed nothing).
    bool arrivedUnencrypted = false;
};

/// History per contact and the durable outbox, on top of Database.
///
/// A contact is its bare JID as XMPP compares it (Esession::normalizedBareJid(), security review F6): every method
/// takes any spelling of it and files or finds the messages under that one form (schema 9 moved older rows to it).
///
/// Every body is sealed at rest (Crypto::sealRecord, bound to "messages.body:<id>:<peer>"; a row schema 9 moved from
/// another spelling stays bound to that spelling, kept in sealed_peer, until its body is sealed again); there is no
/// plaintext mode. Until setMasterKey() is given the vault's key, bodies are sealed under a random key
/// that lives in memory for this run of the program only (shared by its stores; body_key = this run's
/// random id), so what is written before the vault opens is readable in this run and, unless the vault
/// opens before the program ends, never again. The master key
/// (body_key 0) takes over this run's rows and any plaintext rows left by schemas before 6.
class MessageStore : public QObject
{
    Q_OBJECT

public:
    explicit MessageStore(Database *database, QObject *parent = nullptr);
    ~MessageStore() override;

    /// The vault's master key (32 bytes) was unlocked: new bodies are sealed under it, and in one
    /// transaction this run's rows and legacy plaintext rows are sealed under it (then the file is
    /// vacuumed and the WAL truncated so no plaintext stays behind). An empty key locks again: rows
    /// under the master key read as unreadable and new bodies go under the run key.
    /// False when the key has the wrong size or the re-sealing failed (everything then stays as it
    /// was, readable; a later call tries again).
    bool setMasterKey(const QByteArray &key);
    bool hasMasterKey() const { return !m_masterKey.isEmpty(); }
    Database *database() const { return m_database; }

    /// Stores an outgoing message as Queued (before anything is sent) and returns it; nullopt on failure.
    std::optional<StoredMessage> addOutgoing(const QString &peer, const QString &thread, const QString &body,
                                             const QString &stanzaId, bool encrypted = false);
    /// Stores an incoming message; nullopt when it is a duplicate (same peer and stanza id) or on failure.
    std::optional<StoredMessage> addIncoming(const QString &peer, const QString &resource, const QString &thread,
                                             const QString &body, const QString &stanzaId,
                                             const QDateTime &timestamp, bool encrypted = false,
                                             MessageState state = MessageState::Received,
                                             bool arrivedUnencrypted = false);

    /// The latest @p limit messages with the contact older than @p beforeId (0: the newest), oldest first.
    QList<StoredMessage> history(const QString &peer, int limit = 100, qint64 beforeId = 0) const;
    /// Outgoing messages not yet acknowledged by the server, in the order they were written. A row whose
    /// body can never open again is marked Failed instead of being listed (it must not go out empty);
    /// one under the master key while the vault is locked waits, still Queued, and is not listed.
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
    /// Outgoing messages to @p peer that must leave encrypted and have not gone yet (Queued, or Sending into a
    /// session that is gone): how many.
    int waitingEncryptedCount(const QString &peer) const;
    /// A new encrypted session with @p peer is up in @p thread: every queued message waiting for encryption moves
    /// there, keeping its order and its stanza id (one being sent stays with its session until that session
    /// confirms it or ends). Returns how many queued messages wait in @p thread now.
    int moveWaitingEncrypted(const QString &peer, const QString &thread);
    /// The user chose to send unencrypted: the messages waiting for encryption go as plain ones in @p thread.
    int releaseWaitingEncrypted(const QString &peer, const QString &thread);
    /// The user asked for encryption with @p peer: plain messages to them that have not left yet (Queued, e.g.
    /// written offline) must now wait for encryption too. Returns how many.
    int holdQueuedPlain(const QString &peer);
    /// Contacts with messages waiting for encryption.
    QStringList peersWithWaitingEncrypted() const;

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
    /// setMasterKey() ran: rows may have become readable (or unreadable): views reload.
    void masterKeyChanged();

private:
    enum class BodyStatus { Readable, Locked, Lost };

    StoredMessage fromQuery(const QSqlQuery &q, BodyStatus *status = nullptr) const;
    /// Seals @p body for row @p id and writes it there (inside the caller's transaction).
    bool writeSealedBody(qint64 id, const QString &peer, const QString &body);
    bool sealUnderMasterKey();

    Database *m_database;
    QByteArray m_runKey;   ///< this run's key (one per process): never stored
    qint64 m_runId = 0;    ///< names m_runKey in body_key (random, 63 bits, never 0)
    QByteArray m_masterKey;
};

Q_DECLARE_METATYPE(StoredMessage)
