#include "Messenger.h"

#include <QXmppE2eeMetadata.h>
#include <QXmppMessage.h>
#include <QXmppUtils.h>

#include "ConversationSecurity.h"
#include "Outbox.h"
#include "SessionManager.h"
#include "esession/FormNormalizer.h"
#include "storage/ContactSettings.h"
#include "storage/ConversationStateStore.h"
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
    , m_states(std::make_unique<ConversationStateStore>(store->database()))
    , m_security(new ConversationSecurity(account, m_sessions, m_states.get(), this))
{
    connect(m_account, &Account::messageReceived, this, &Messenger::onMessage);
    connect(m_account, &Account::connected, this, [this] {
        m_outbox->flush();
        // What waited for encryption while offline (or since the last run) gets its negotiation now.
        m_security->resumeWaiting(m_store->peersWithWaitingEncrypted());
    });
    connect(m_account, &Account::messageFailed, m_outbox, &Outbox::handleBounce);
    connect(m_account, &Account::undecryptableReceived, this, &Messenger::onUndecryptable);
    // An encrypted session that ends may have lost messages in flight; they wait for the next session and go
    // again there (same ids, so the contact keeps each once). Not after our own terminate was acknowledged:
    // its MAC proved that the contact received everything we sent.
    connect(m_account->esession(), &EsessionExtension::sessionEnded, this,
            [this](const QString &peer, const QString &thread, const QString &code) {
                if (code == EsessionExtension::EndedByUs)
                    return;
                const QString bare = Esession::normalizedBareJid(peer);
                m_store->requeueUndelivered(bare, thread);
                // An older session of the contact ended while a newer one is up: what it did not confirm goes
                // into the newer one rather than wait on a dead thread.
                if (m_security->phase(bare) == ConversationSecurity::Phase::Encrypted && m_security->thread(bare) != thread
                    && m_store->moveWaitingEncrypted(bare, m_security->thread(bare)) > 0)
                    m_outbox->flush();
            });
    // A contact comes back online (its client was gone, and our session with it ended): what waits for it
    // negotiates now rather than at the user's next message.
    connect(m_account, &Account::presenceChanged, this, [this](const QString &bareJid) {
        if (m_account->contact(bareJid).online && m_store->waitingEncryptedCount(bareJid) > 0)
            m_security->resumeWaiting({bareJid});
    });
    // A session is up: everything that waited for encryption moves into it, in order, and goes.
    connect(m_security, &ConversationSecurity::sessionReady, this, [this](const QString &peer, const QString &thread) {
        m_store->moveWaitingEncrypted(peer, thread);
        m_outbox->flush();
    });
    // Asked for encryption: what was written before and has not left (offline) waits for it too, never plain.
    connect(m_security, &ConversationSecurity::encryptionRequested, this,
            [this](const QString &peer) { m_store->holdQueuedPlain(peer); });
    // The user chose plaintext for what waited (after a worded confirmation in the front end).
    connect(m_security, &ConversationSecurity::releasedToPlaintext, this,
            [this](const QString &peer, const QString &thread) {
                m_store->releaseWaitingEncrypted(peer, thread);
                m_outbox->flush();
            });
}

Messenger::~Messenger()
{
    delete m_security; // before the state store it reads
}

std::optional<StoredMessage> Messenger::send(const QString &peerBareJid, const QString &body)
{
    m_lastError.clear();
    if (body.isEmpty())
        return std::nullopt;
    QString escaped = body;
    escaped.replace(u'&', QStringLiteral("&amp;")).replace(u'<', QStringLiteral("&lt;")).replace(u'>', QStringLiteral("&gt;"));
    if (escaped.toUtf8().size() > MaxBodyBytes) {
        m_lastError = tr("The message is too long to send (at most %1 KiB); split it into several.")
                          .arg(MaxBodyBytes / 1024);
        return std::nullopt;
    }
    const QString bare = Esession::normalizedBareJid(peerBareJid);
    const ConversationSecurity::Outgoing where = m_security->prepareOutgoing(bare);
    auto stored = m_outbox->enqueue(where.to, where.thread, body, where.encrypted);
    if (!stored)
        m_lastError = tr("The message could not be stored.");
    return stored;
}

void Messenger::setContactSettings(ContactSettings *settings)
{
    m_settings = settings;
    m_security->setContactSettings(settings);
    // "off": no encrypted session is started or accepted with that contact.
    m_account->setEncryptionAllowedFunction([this](const QString &bareJid) {
        return !m_settings || m_settings->sessionPolicy(bareJid) != SessionPolicy::Off;
    });
}

void Messenger::onMessage(const QXmppMessage &message)
{
    const QString from = message.from();
    // The contact as XMPP compares JIDs: whatever case its server sends, one conversation (security review F6).
    const QString bare = Esession::normalizedBareJid(from);
    if (!message.receiptId().isEmpty())
        m_store->markDelivered(bare, message.receiptId());
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
    const bool encrypted = message.e2eeMetadata().has_value();
    // Plaintext in an encrypted conversation is kept and shown with a mark; it changes nothing about what the
    // user's next message is.
    const bool unexpectedlyPlain = !encrypted && m_security->encryptionWanted(bare);
    auto stored = m_store->addIncoming(bare, QXmppUtils::jidToResource(from), session->threadId(), message.body(),
                                       stanzaId, message.stamp(), encrypted, MessageState::Received, unexpectedlyPlain);
    if (stored)
        Q_EMIT messageReceived(*stored);
}

void Messenger::onUndecryptable(const QString &from, const QString &thread, const QString &stanzaId,
                                const QString &code)
{
    ThreadSession *session = m_sessions->routeIncoming(from, thread);
    auto stored = m_store->addIncoming(Esession::normalizedBareJid(from), QXmppUtils::jidToResource(from),
                                       session->threadId(), code, stanzaId, QDateTime::currentDateTimeUtc(), true,
                                       MessageState::Undecryptable);
    if (stored)
        Q_EMIT messageReceived(*stored);
}
