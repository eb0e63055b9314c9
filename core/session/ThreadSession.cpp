#include "ThreadSession.h"

ThreadSession::ThreadSession(QString peerJid, QString threadId, bool startedByUs)
    : m_peerJid(std::move(peerJid))
    , m_threadId(std::move(threadId))
    , m_startedByUs(startedByUs)
    , m_lastActivity(QDateTime::currentDateTimeUtc())
{
}

QString ThreadSession::peerBareJid() const
{
    const qsizetype slash = m_peerJid.indexOf(u'/');
    return slash < 0 ? m_peerJid : m_peerJid.left(slash);
}
