#include "SessionManager.h"

#include "Logging.h"
#include "crypto/Crypto.h"
#include "esession/FormNormalizer.h"

namespace {
QString bareOf(const QString &jid)
{
    const qsizetype slash = jid.indexOf(u'/');
    return slash < 0 ? jid : jid.left(slash);
}

// The contact as XMPP compares JIDs (security review F6): the bare JID without case.
QString contactOf(const QString &jid)
{
    return Esession::normalizedBareJid(jid);
}

// A JID as XMPP compares it: the bare part without case, the resource exactly as it is.
QString jidKey(const QString &jid)
{
    return contactOf(jid) + jid.mid(bareOf(jid).size());
}
} // namespace

SessionManager::SessionManager(QObject *parent)
    : QObject(parent)
{
}

SessionManager::~SessionManager() = default;

QString SessionManager::newThreadId()
{
    return QString::fromLatin1(Crypto::randomBytes(16).toHex());
}

QString SessionManager::key(const QString &peerJid, const QString &thread)
{
    return jidKey(peerJid) + QChar(0) + thread;
}

ThreadSession *SessionManager::find(const QString &peerJid, const QString &thread) const
{
    return m_byKey.value(key(peerJid, thread));
}

ThreadSession *SessionManager::currentSession(const QString &peerBareJid) const
{
    return m_current.value(contactOf(peerBareJid));
}

ThreadSession *SessionManager::create(const QString &peerJid, const QString &thread, bool startedByUs)
{
    m_sessions.push_back(std::make_unique<ThreadSession>(peerJid, thread, startedByUs));
    ThreadSession *session = m_sessions.back().get();
    m_byKey.insert(key(peerJid, thread), session);
    m_current.insert(contactOf(peerJid), session);
    qCDebug(lcSession) << "session started with" << peerJid;
    Q_EMIT sessionStarted(session);
    return session;
}

ThreadSession *SessionManager::startSession(const QString &peerJid)
{
    return create(peerJid, newThreadId(), true);
}

ThreadSession *SessionManager::sessionForOutgoing(const QString &peerBareJid)
{
    if (ThreadSession *session = currentSession(peerBareJid))
        return session;
    return startSession(bareOf(peerBareJid));
}

ThreadSession *SessionManager::routeIncoming(const QString &fromFullJid, const QString &thread)
{
    ThreadSession *session = nullptr;
    if (thread.isEmpty()) {
        // No thread: one implicit session per sending resource, with an id of our own.
        for (const auto &candidate : m_sessions) {
            if (candidate->m_threadImplicit && Esession::sameJid(candidate->m_peerJid, fromFullJid)) {
                session = candidate.get();
                break;
            }
        }
        if (!session) {
            session = create(fromFullJid, newThreadId(), false);
            session->m_threadImplicit = true;
        }
    } else if ((session = find(fromFullJid, thread))) {
        // known session, already bound to this resource
    } else if ((session = find(bareOf(fromFullJid), thread)) && session->startedByUs()) {
        // The first answer to a session we addressed to the bare JID: bind it to the answering resource.
        m_byKey.remove(key(session->m_peerJid, thread));
        session->m_peerJid = fromFullJid;
        m_byKey.insert(key(fromFullJid, thread), session);
    } else {
        session = create(fromFullJid, thread, false);
    }
    session->m_lastActivity = QDateTime::currentDateTimeUtc();
    m_current.insert(contactOf(fromFullJid), session);
    return session;
}
