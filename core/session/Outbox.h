#pragma once

#include <QObject>
#include <QSet>

#include <QXmppSendResult.h>
#include <QXmppTask.h>

#include <functional>
#include <optional>

#include "storage/MessageStore.h"

class QXmppMessage;

/// The durable outbox: a message is written to the store before anything is sent, handed to the
/// connection only while online, and counts as sent only once the server acknowledged it (XEP-0198).
/// Whatever was not acknowledged goes out again after a reconnect or a restart, in the order written,
/// with the same stanza id, so the receiver can drop a copy it already has.
class Outbox : public QObject
{
    Q_OBJECT

public:
    /// Hands a stanza to the connection; the task finishes when the server acknowledged it or on failure.
    /// The flag says the message was written inside an encrypted session: it must never go out in plaintext.
    using SendFunction = std::function<QXmppTask<QXmpp::SendResult>(QXmppMessage &&, bool mustEncrypt)>;
    using OnlineFunction = std::function<bool()>;

    Outbox(MessageStore *store, SendFunction send, OnlineFunction isOnline, QObject *parent = nullptr);

    /// Stores a chat message for @p toJid (bare, or full when the session is bound) and sends it when it can.
    std::optional<StoredMessage> enqueue(const QString &toJid, const QString &thread, const QString &body,
                                         bool encrypted = false);
    /// Sends every queued message, oldest first (no-op while offline). Call it when the connection is up.
    void flush();
    /// The server or the peer returned an error for the stanza with this id: the message failed.
    void handleBounce(const QString &stanzaId, const QString &reason);
    int pendingCount() const;

Q_SIGNALS:
    void acknowledged(qint64 id);
    void failed(qint64 id, const QString &reason);

private:
    void sendOne(const StoredMessage &message);

    MessageStore *m_store;
    SendFunction m_send;
    OnlineFunction m_isOnline;
    QSet<qint64> m_inFlight;
    QHash<QString, qint64> m_idByStanzaId;
    QHash<qint64, QString> m_recipient; // full JID for rows whose session is bound to a resource
};
