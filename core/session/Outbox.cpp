#include "Outbox.h"

#include <QUuid>

#include <QXmppMessage.h>

#include "Logging.h"
#include "esession/FailureCodes.h"

Outbox::Outbox(MessageStore *store, SendFunction send, OnlineFunction isOnline, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_send(std::move(send))
    , m_isOnline(std::move(isOnline))
{
    // Nothing survives a restart in flight: what was being sent is sent again.
    m_store->requeueInFlight();
    // Rows sealed under the vault's key wait while it is locked; they can go as soon as it opens.
    connect(m_store, &MessageStore::masterKeyChanged, this, &Outbox::flush);
}

void Outbox::handleBounce(const QString &stanzaId, const QString &reason)
{
    const qint64 id = m_idByStanzaId.value(stanzaId);
    if (id && m_store->setState(id, MessageState::Failed))
        Q_EMIT failed(id, reason);
}

std::optional<StoredMessage> Outbox::enqueue(const QString &toJid, const QString &thread, const QString &body,
                                             bool encrypted)
{
    const qsizetype slash = toJid.indexOf(u'/');
    const QString bare = slash < 0 ? toJid : toJid.left(slash);
    auto stored = m_store->addOutgoing(bare, thread, body, QUuid::createUuid().toString(QUuid::WithoutBraces), encrypted);
    if (!stored)
        return std::nullopt;
    if (slash >= 0)
        m_recipient.insert(stored->id, toJid);
    flush();
    return stored;
}

void Outbox::flush()
{
    if (!m_isOnline())
        return;
    const QList<StoredMessage> pending = m_store->pendingOutgoing();
    for (const StoredMessage &message : pending) {
        if (!m_inFlight.contains(message.id))
            sendOne(message);
    }
}

int Outbox::pendingCount() const
{
    return int(m_store->pendingOutgoing().size());
}

void Outbox::sendOne(const StoredMessage &stored)
{
    QXmppMessage message;
    message.setTo(m_recipient.value(stored.id, stored.peer));
    message.setType(QXmppMessage::Chat);
    message.setId(stored.stanzaId);
    message.setOriginId(stored.stanzaId);
    message.setThread(stored.thread);
    message.setBody(stored.body);
    message.setReceiptRequested(true);

    const qint64 id = stored.id;
    m_inFlight.insert(id);
    m_idByStanzaId.insert(stored.stanzaId, id);
    m_store->setState(id, MessageState::Sending);
    m_send(std::move(message), stored.encrypted).then(this, [this, id](QXmpp::SendResult &&result) {
        m_inFlight.remove(id);
        if (const auto *error = std::get_if<QXmppError>(&result);
            error && error->description == Esession::FailureCode::TooLarge) {
            // The session refuses it as too large, and would every time: failed, with its reason, not queued again.
            qCInfo(lcSession) << "message" << id << "is too large for the session";
            if (m_store->setState(id, MessageState::Failed))
                Q_EMIT failed(id, error->description);
            return;
        }
        if (std::holds_alternative<QXmppError>(result)) {
            // Not acknowledged: back in the queue for the next connection.
            qCInfo(lcSession) << "message" << id << "not acknowledged, queued again:"
                              << std::get<QXmppError>(result).description;
            m_store->setState(id, MessageState::Queued);
            return;
        }
        // A session that ended while this was in flight put it back in the queue: it goes again in
        // the next session rather than count as sent.
        const auto current = m_store->message(id);
        if (current && current->state == MessageState::Queued) {
            flush();
            return;
        }
        m_store->setState(id, MessageState::Sent);
        Q_EMIT acknowledged(id);
    });
}
