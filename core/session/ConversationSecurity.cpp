#include "ConversationSecurity.h"

#include "Logging.h"
#include "SessionManager.h"
#include "esession/FormNormalizer.h"
#include "storage/ContactSettings.h"
#include "xmpp/Account.h"
#include "xmpp/EsessionExtension.h"

namespace {

// The contact a JID names, as XMPP compares JIDs (security review F6): whatever spelling the user, the roster or the
// contact's server uses, one state.
QString bareOf(const QString &jid)
{
    return Esession::normalizedBareJid(jid);
}

} // namespace

ConversationSecurity::ConversationSecurity(Account *account, SessionManager *sessions, ConversationStateStore *store,
                                           QObject *parent)
    : QObject(parent)
    , m_account(account)
    , m_sessions(sessions)
    , m_store(store)
{
    EsessionExtension *esession = m_account->esession();
    connect(esession, &EsessionExtension::sessionStarted, this, &ConversationSecurity::onSessionStarted);
    connect(esession, &EsessionExtension::sessionEnded, this, &ConversationSecurity::onSessionEnded);
    connect(esession, &EsessionExtension::negotiationFailed, this, &ConversationSecurity::onNegotiationFailed);
}

void ConversationSecurity::setContactSettings(ContactSettings *settings)
{
    if (m_settings)
        disconnect(m_settings, nullptr, this, nullptr);
    m_settings = settings;
    if (!m_settings)
        return;
    connect(m_settings, &ContactSettings::sessionPolicyChanged, this,
            [this](const QString &peer, SessionPolicy policy) {
                const QString bare = bareOf(peer);
                // "Off" is the user's explicit choice of plaintext for this contact.
                if (policy == SessionPolicy::Off) {
                    ConversationState state = load(bare);
                    if (!state.thread.isEmpty() && m_account->isEncryptedConversation(bare, state.thread))
                        m_account->esession()->terminateSession(bare, state.thread);
                    state.encrypt = false;
                    state.failure.clear();
                    save(bare, state);
                } else if (policy == SessionPolicy::Always) {
                    Q_EMIT encryptionRequested(bare);
                }
                Q_EMIT changed(bare);
            });
}

ConversationState ConversationSecurity::load(const QString &bare) const
{
    if (const auto cached = m_cache.constFind(bare); cached != m_cache.constEnd())
        return *cached;
    std::optional<ConversationState> stored = m_store ? m_store->load(bare) : std::optional<ConversationState>();
    // A state that cannot be read is taken the cautious way: encrypt.
    const ConversationState state = stored.value_or(ConversationState { true, {}, {} });
    m_cache.insert(bare, state);
    return state;
}

void ConversationSecurity::save(const QString &bare, const ConversationState &state)
{
    if (m_cache.value(bare) == state && m_cache.contains(bare))
        return;
    m_cache.insert(bare, state);
    if (m_store)
        m_store->save(bare, state); // a failure is logged there; memory still holds the state for this run
}

bool ConversationSecurity::policyAlways(const QString &bare) const
{
    return m_settings && m_settings->sessionPolicy(bare) == SessionPolicy::Always;
}

bool ConversationSecurity::policyOff(const QString &bare) const
{
    return m_settings && m_settings->sessionPolicy(bare) == SessionPolicy::Off;
}

bool ConversationSecurity::encryptionWanted(const QString &peerBareJid) const
{
    const QString bare = bareOf(peerBareJid);
    return load(bare).encrypt || policyAlways(bare);
}

bool ConversationSecurity::plaintextAllowed(const QString &peerBareJid) const
{
    return !policyAlways(bareOf(peerBareJid));
}

ConversationSecurity::Phase ConversationSecurity::phase(const QString &peerBareJid) const
{
    const QString bare = bareOf(peerBareJid);
    const ConversationState state = load(bare);
    if (!state.encrypt && !policyAlways(bare))
        return Phase::Plain;
    if (!state.thread.isEmpty() && m_account->isEncryptedConversation(bare, state.thread))
        return Phase::Encrypted;
    if (!state.thread.isEmpty() && m_account->esession()->isNegotiating(bare, state.thread))
        return Phase::Negotiating;
    return state.failure.isEmpty() ? Phase::Ready : Phase::Held;
}

QString ConversationSecurity::thread(const QString &peerBareJid) const
{
    return load(bareOf(peerBareJid)).thread;
}

QString ConversationSecurity::failure(const QString &peerBareJid) const
{
    return load(bareOf(peerBareJid)).failure;
}

bool ConversationSecurity::negotiate(const QString &bare, ConversationState &state)
{
    if (m_account->state() != Account::State::Online)
        return false;
    const QString thread = m_sessions->startSession(bare)->threadId();
    if (!m_account->esession()->negotiate(bare, thread)) {
        state.failure = CannotStart;
        return false;
    }
    state.thread = thread;
    state.failure.clear();
    return true;
}

bool ConversationSecurity::startEncryption(const QString &peerBareJid)
{
    const QString bare = bareOf(peerBareJid);
    if (policyOff(bare))
        return false;
    ConversationState state = load(bare);
    state.encrypt = true;
    state.failure.clear();
    Q_EMIT encryptionRequested(bare);
    const bool started = negotiate(bare, state);
    save(bare, state);
    Q_EMIT changed(bare);
    return started;
}

bool ConversationSecurity::endEncryption(const QString &peerBareJid)
{
    const QString bare = bareOf(peerBareJid);
    if (policyAlways(bare))
        return false;
    ConversationState state = load(bare);
    state.encrypt = false;
    state.failure.clear();
    save(bare, state);
    if (!state.thread.isEmpty() && m_account->isEncryptedConversation(bare, state.thread))
        m_account->esession()->terminateSession(bare, state.thread);
    Q_EMIT changed(bare);
    return true;
}

bool ConversationSecurity::sendUnencrypted(const QString &peerBareJid)
{
    const QString bare = bareOf(peerBareJid);
    const Phase now = phase(bare);
    if (policyAlways(bare) || now == Phase::Encrypted)
        return false;
    ConversationState state = load(bare);
    state.encrypt = false;
    state.failure.clear();
    save(bare, state);
    Q_EMIT releasedToPlaintext(bare, plainThread(bare));
    Q_EMIT changed(bare);
    return true;
}

void ConversationSecurity::codesDiffer(const QString &peerBareJid)
{
    const QString bare = bareOf(peerBareJid);
    ConversationState state = load(bare);
    state.encrypt = true;
    state.failure = CodesDiffer;
    save(bare, state);
    if (!state.thread.isEmpty() && m_account->isEncryptedConversation(bare, state.thread))
        m_account->esession()->terminateSession(bare, state.thread);
    Q_EMIT changed(bare);
}

QString ConversationSecurity::plainThread(const QString &bare)
{
    ThreadSession *session = m_sessions->sessionForOutgoing(bare);
    // A thread an encrypted session ever used stays encrypted (Account sends into its session or not at all).
    if (!m_account->esession()->sessionPeer(bare, session->threadId()).isEmpty()
        || m_account->esession()->engine().hasNegotiated(bare, session->threadId()))
        session = m_sessions->startSession(bare);
    return session->threadId();
}

ConversationSecurity::Outgoing ConversationSecurity::prepareOutgoing(const QString &peerBareJid)
{
    const QString bare = bareOf(peerBareJid);
    switch (phase(bare)) {
    case Phase::Plain: {
        const QString thread = plainThread(bare);
        ThreadSession *session = m_sessions->find(bare, thread);
        return { false, session ? session->peerJid() : bare, thread };
    }
    case Phase::Encrypted: {
        const QString thread = load(bare).thread;
        return { true, m_account->esession()->sessionPeer(bare, thread), thread };
    }
    case Phase::Ready: {
        ConversationState state = load(bare);
        state.encrypt = true;
        if (negotiate(bare, state) || !state.failure.isEmpty()) {
            save(bare, state);
            Q_EMIT changed(bare);
        } else {
            save(bare, state);
        }
        break;
    }
    case Phase::Negotiating:
    case Phase::Held:
        break;
    }
    // It waits: in the negotiation's thread, or (none yet, e.g. offline) in a thread of its own, from where the
    // next session takes it.
    const QString thread = load(bare).thread;
    return { true, bare, thread.isEmpty() ? m_sessions->startSession(bare)->threadId() : thread };
}

void ConversationSecurity::resumeWaiting(const QStringList &peers)
{
    for (const QString &peer : peers) {
        const QString bare = bareOf(peer);
        if (phase(bare) != Phase::Ready)
            continue;
        ConversationState state = load(bare);
        negotiate(bare, state);
        save(bare, state);
        Q_EMIT changed(bare);
    }
}

void ConversationSecurity::onSessionStarted(const QString &peerFullJid, const QString &thread)
{
    const QString bare = bareOf(peerFullJid);
    ConversationState state = load(bare);
    // After "They don't match" someone may be in the middle: a session that comes up on its own (the contact's
    // side, or whoever plays it) does not take what waits; only the user's Retry does (startEncryption clears the
    // failure first, so our own negotiation gets here with none).
    if (state.failure == CodesDiffer)
        return;
    // An active session makes the conversation encrypted until the user says otherwise, whoever started it.
    state.encrypt = true;
    state.thread = thread;
    state.failure.clear();
    save(bare, state);
    Q_EMIT sessionReady(bare, thread);
    Q_EMIT changed(bare);
}

void ConversationSecurity::onSessionEnded(const QString &peerFullJid, const QString &thread, const QString &code)
{
    const QString bare = bareOf(peerFullJid);
    ConversationState state = load(bare);
    if (thread != state.thread)
        return; // an older session of the contact: the conversation has moved on
    // Our own orderly end (going offline) or the contact's client gone are no failure: the next message simply
    // negotiates again. Anything else waits for the user.
    if (state.failure.isEmpty() && code != EsessionExtension::EndedOffline && code != EsessionExtension::ContactOffline
        && !((code == EsessionExtension::EndedByUs || code == EsessionExtension::EndedUnacknowledged) && !state.encrypt))
        state.failure = code;
    save(bare, state);
    Q_EMIT changed(bare);
}

void ConversationSecurity::onNegotiationFailed(const QString &peerJid, const QString &thread, const QString &code)
{
    const QString bare = bareOf(peerJid);
    ConversationState state = load(bare);
    if (thread != state.thread)
        return; // a request of the contact's that we refused, or an older negotiation
    if (code != EsessionExtension::NegotiationAbandoned && state.failure.isEmpty())
        state.failure = code.isEmpty() ? QStringLiteral("negotiation-failed") : code;
    save(bare, state);
    Q_EMIT changed(bare);
}
