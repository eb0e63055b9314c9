#pragma once

#include <QDateTime>
#include <QString>

/// One XEP-0201 conversation session: a thread id shared with one peer.
///
/// A session we start is addressed to the contact's bare JID until the first reply arrives from a
/// full JID; from then on it is bound to that resource (XEP-0201 §3: the session locks onto the
/// entity that answers).
class ThreadSession
{
public:
    ThreadSession(QString peerJid, QString threadId, bool startedByUs);

    const QString &peerJid() const { return m_peerJid; }
    QString peerBareJid() const;
    const QString &threadId() const { return m_threadId; }
    bool startedByUs() const { return m_startedByUs; }
    bool isBound() const { return m_peerJid.contains(u'/'); }
    QDateTime lastActivity() const { return m_lastActivity; }

private:
    friend class SessionManager;
    QString m_peerJid;
    QString m_threadId;
    bool m_startedByUs;
    // The peer sent messages without a <thread/>: its later thread-less messages belong here too.
    bool m_threadImplicit = false;
    QDateTime m_lastActivity;
};
