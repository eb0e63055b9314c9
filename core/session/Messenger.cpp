#include "Messenger.h"

#include <QXmppE2eeMetadata.h>
#include <QXmppMessage.h>
#include <QXmppUtils.h>

#include "Outbox.h"
#include "SessionManager.h"
#include "xmpp/Account.h"

Messenger::Messenger(Account *account, MessageStore *store, QObject *parent)
    : QObject(parent)
    , m_account(account)
    , m_store(store)
    , m_sessions(new SessionManager(this))
    , m_outbox(new Outbox(
          store, [account](QXmppMessage &&message) { return account->send(std::move(message)); },
          [account] { return account->state() == Account::State::Online; }, this))
{
    connect(m_account, &Account::messageReceived, this, &Messenger::onMessage);
    connect(m_account, &Account::connected, m_outbox, &Outbox::flush);
    connect(m_account, &Account::messageFailed, m_outbox, &Outbox::handleBounce);
    connect(m_account, &Account::undecryptableReceived, this, &Messenger::onUndecryptable);
}

Messenger::~Messenger() = default;

std::optional<StoredMessage> Messenger::send(const QString &peerBareJid, const QString &body)
{
    if (body.isEmpty())
        return std::nullopt;
    ThreadSession *session = m_sessions->sessionForOutgoing(QXmppUtils::jidToBareJid(peerBareJid));
    return m_outbox->enqueue(session->peerJid(), session->threadId(), body,
                             m_account->isEncryptedConversation(session->peerJid(), session->threadId()));
}

void Messenger::onMessage(const QXmppMessage &message)
{
    // Chat states, receipts and other body-less messages are not part of the history.
    if (message.body().isEmpty())
        return;
    if (message.type() != QXmppMessage::Chat && message.type() != QXmppMessage::Normal)
        return;
    const QString from = message.from();
    ThreadSession *session = m_sessions->routeIncoming(from, message.thread());
    const QString stanzaId = !message.originId().isEmpty() ? message.originId() : message.id();
    auto stored = m_store->addIncoming(QXmppUtils::jidToBareJid(from), QXmppUtils::jidToResource(from),
                                       session->threadId(), message.body(), stanzaId, message.stamp(),
                                       message.e2eeMetadata().has_value());
    if (stored)
        Q_EMIT messageReceived(*stored);
}

void Messenger::onUndecryptable(const QString &from, const QString &thread, const QString &stanzaId,
                                const QString &reason)
{
    ThreadSession *session = m_sessions->routeIncoming(from, thread);
    auto stored = m_store->addIncoming(QXmppUtils::jidToBareJid(from), QXmppUtils::jidToResource(from),
                                       session->threadId(), reason, stanzaId, QDateTime::currentDateTimeUtc(), true,
                                       MessageState::Undecryptable);
    if (stored)
        Q_EMIT messageReceived(*stored);
}
