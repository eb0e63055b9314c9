#include "Messenger.h"

#include <QXmppE2eeMetadata.h>
#include <QXmppMessage.h>
#include <QXmppUtils.h>

#include "Outbox.h"
#include "SessionManager.h"
#include "storage/ContactSettings.h"
#include "xmpp/Account.h"
#include "xmpp/EsessionExtension.h"

Messenger::Messenger(Account *account, MessageStore *store, QObject *parent)
    : QObject(parent)
    , m_account(account)
    , m_store(store)
    , m_sessions(new SessionManager(this))
    , m_outbox(new Outbox(
          store, [account](QXmppMessage &&message, bool mustEncrypt) { return account->send(std::move(message), mustEncrypt); },
          [account] { return account->state() == Account::State::Online; }, this))
{
    connect(m_account, &Account::messageReceived, this, &Messenger::onMessage);
    connect(m_account, &Account::connected, m_outbox, &Outbox::flush);
    connect(m_account, &Account::messageFailed, m_outbox, &Outbox::handleBounce);
    connect(m_account, &Account::undecryptableReceived, this, &Messenger::onUndecryptable);
    // An encrypted session that ends may have lost messages in flight; the next one in that thread
    // carries them again (same ids, so the contact keeps each once).
    connect(m_account->esession(), &EsessionExtension::sessionEnded, this,
            [this](const QString &peer, const QString &thread, const QString &) {
                m_store->requeueUndelivered(QXmppUtils::jidToBareJid(peer), thread);
            });
    connect(m_account->esession(), &EsessionExtension::sessionStarted, m_outbox, &Outbox::flush);
    connect(m_account->esession(), &EsessionExtension::negotiationFailed, this,
            [this](const QString &peer, const QString &, const QString &reason) {
                m_blocked.insert(QXmppUtils::jidToBareJid(peer), reason);
            });
    // A negotiated session is the conversation from now on, on both sides: what the user writes next
    // goes into its thread, encrypted.
    connect(m_account->esession(), &EsessionExtension::esessionEstablished, this,
            [this](const QString &peer, const QString &thread) {
                m_blocked.remove(QXmppUtils::jidToBareJid(peer));
                m_sessions->routeIncoming(peer, thread);
            });
}

Messenger::~Messenger() = default;

std::optional<StoredMessage> Messenger::send(const QString &peerBareJid, const QString &body)
{
    m_lastError.clear();
    if (body.isEmpty())
        return std::nullopt;
    const QString bare = QXmppUtils::jidToBareJid(peerBareJid);
    ThreadSession *session = m_sessions->sessionForOutgoing(bare);
    bool encrypted = m_account->isEncryptedConversation(session->peerJid(), session->threadId());
    if (!encrypted && m_settings && m_settings->sessionPolicy(bare) == SessionPolicy::Always) {
        if (const auto blocked = m_blocked.constFind(bare); blocked != m_blocked.constEnd()) {
            m_lastError = tr("Not sent: this contact's messages must be encrypted, and no encrypted session "
                             "could be set up (%1).").arg(*blocked);
            return std::nullopt;
        }
        EsessionExtension *esession = m_account->esession();
        if (!esession->isNegotiating(bare, session->threadId())) {
            // A new conversation for the new session; the message waits in it for the keys.
            session = m_sessions->startSession(bare);
            if (!esession->negotiate(bare, session->threadId())) {
                m_lastError = tr("Not sent: this contact's messages must be encrypted, and an encrypted session "
                                 "cannot be started now.");
                return std::nullopt;
            }
        }
        encrypted = true; // waits in the outbox until the session is up, never leaves in plaintext
    }
    return m_outbox->enqueue(session->peerJid(), session->threadId(), body, encrypted);
}

void Messenger::setContactSettings(ContactSettings *settings)
{
    m_settings = settings;
    // "off": no encrypted session is started or accepted with that contact.
    m_account->setEncryptionAllowedFunction([this](const QString &bareJid) {
        return !m_settings || m_settings->sessionPolicy(bareJid) != SessionPolicy::Off;
    });
}

void Messenger::onMessage(const QXmppMessage &message)
{
    const QString from = message.from();
    if (!message.receiptId().isEmpty())
        m_store->markDelivered(QXmppUtils::jidToBareJid(from), message.receiptId());
    // Chat states, receipts and other body-less messages are not part of the history.
    if (message.body().isEmpty())
        return;
    if (message.type() != QXmppMessage::Chat && message.type() != QXmppMessage::Normal)
        return;
    if (message.isReceiptRequested() && !message.id().isEmpty()) {
        // Confirmed even for a copy we already have: the sender may not have heard the first time.
        // Sent like any message of the thread: encrypted inside an encrypted session.
        QXmppMessage receipt;
        receipt.setTo(from);
        receipt.setType(message.type());
        receipt.setThread(message.thread());
        receipt.setReceiptId(message.id());
        m_account->send(std::move(receipt), message.e2eeMetadata().has_value());
    }
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
