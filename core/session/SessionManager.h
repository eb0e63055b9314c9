#pragma once

#include <QHash>
#include <QObject>

#include <memory>
#include <vector>

#include "ThreadSession.h"

/// XEP-0201: every conversation is a session identified by (peer full JID, thread id).
///
/// Incoming messages are routed to the session of their thread; an unknown thread opens a new session
/// with exactly that id (threads are mirrored, never rewritten); a message without a thread opens a
/// session with a new random 128-bit id. Outgoing messages use the contact's current session.
///
/// JIDs are compared as XMPP compares them (security review F6): the bare part without case, the resource exactly;
/// a session keeps the JID it was created with or bound to, as given, to address the contact.
class SessionManager : public QObject
{
    Q_OBJECT

public:
    explicit SessionManager(QObject *parent = nullptr);
    ~SessionManager() override;

    /// A fresh thread id: 128 random bits from the crypto provider, as 32 lower-case hex digits.
    static QString newThreadId();

    /// Routes an incoming message from @p fromFullJid carrying @p thread (may be empty).
    ThreadSession *routeIncoming(const QString &fromFullJid, const QString &thread);

    /// The session new outgoing messages to this contact belong to, created when there is none.
    ThreadSession *sessionForOutgoing(const QString &peerBareJid);

    /// Starts a new session with the contact (a new thread id), which becomes its current one.
    ThreadSession *startSession(const QString &peerJid);

    ThreadSession *find(const QString &peerJid, const QString &thread) const;
    ThreadSession *currentSession(const QString &peerBareJid) const;
    int sessionCount() const { return int(m_sessions.size()); }

Q_SIGNALS:
    void sessionStarted(ThreadSession *session);

private:
    ThreadSession *create(const QString &peerJid, const QString &thread, bool startedByUs);
    static QString key(const QString &peerJid, const QString &thread);

    std::vector<std::unique_ptr<ThreadSession>> m_sessions;
    QHash<QString, ThreadSession *> m_byKey;      // peer JID (bare until bound; normalised) + thread
    QHash<QString, ThreadSession *> m_current;    // peer's normalised bare JID -> session used for sending
};
