#include "EsessionEngine.h"

#include "DataForm.h"
#include "FormConstants.h"
#include "FormNormalizer.h"
#include "SsnNegotiation.h"

namespace Esession {

namespace {

/// A request that opens an ESession negotiation (XEP-0116/0217): a form of type 'form' carrying DH commitments
/// (dhhashes) or values (dhkeys, the 3-message flow). Plain XEP-0155 requests are not ours.
bool isEsessionRequest(const QDomElement &message)
{
    const QDomElement feature = childElements(message, Xep0020::FeatureElement, Xep0020::Namespace).value(0);
    const QDomElement form = childElements(feature, Xep0004::XElement, Xep0004::Namespace).value(0);
    if (form.isNull() || form.attribute(Xep0004::TypeAttribute) != Xep0004::FormTypeForm)
        return false;
    for (const QDomElement &field : childElements(form, Xep0004::FieldElement, Xep0004::Namespace)) {
        const QString var = field.attribute(Xep0004::VarAttribute);
        if (var == Xep0116::Dhhashes || var == Xep0116::Dhkeys)
            return true;
    }
    return false;
}

} // namespace

QString EsessionEngine::key(const QString &bareJid, const QString &thread)
{
    return bareJid.toLower() + QChar(0) + thread;
}

bool EsessionEngine::isUnderWay(const EsessionHandshake &handshake)
{
    return handshake.state() != EsessionState::Established && handshake.state() != EsessionState::Failed;
}

std::optional<EsessionPolicy> EsessionEngine::policy(const QString &bareJid) const
{
    return m_policy ? m_policy(bareJid) : std::optional<EsessionPolicy>(EsessionPolicy());
}

void EsessionEngine::take(EsessionHandshake &handshake, EsessionOutput &&output, EngineOutput &out) const
{
    out.consumed = out.consumed || output.consumed;
    out.stanzas << output.stanzas;
    out.documents << output.documents;
    for (EsessionEvent &event : output.events)
        out.events << EngineEvent { handshake.peerJid(), handshake.thread(), std::move(event) };
}

std::optional<EngineOutput> EsessionEngine::negotiate(const QString &peerJid, const QString &thread, EngineTime now)
{
    const QString bare = bareOf(peerJid);
    if (!m_store || thread.isEmpty() || m_entries.count(key(bare, thread)))
        return std::nullopt;
    const std::optional<EsessionPolicy> rules = policy(bare);
    if (!rules)
        return std::nullopt;
    Entry entry { std::make_unique<EsessionHandshake>(peerJid, thread, EsessionRole::Initiator, *rules, m_store),
        now + m_timeout };
    EngineOutput out;
    take(*entry.handshake, entry.handshake->request(), out);
    m_entries.emplace(key(bare, thread), std::move(entry));
    return out;
}

std::optional<EngineOutput> EsessionEngine::accept(const QString &peerBareJid, const QString &thread, EngineTime)
{
    const auto it = m_entries.find(key(peerBareJid, thread));
    if (it == m_entries.end() || it->second.handshake->state() != EsessionState::AwaitingDecision)
        return std::nullopt;
    EngineOutput out;
    take(*it->second.handshake, it->second.handshake->accept(), out);
    return out;
}

std::optional<EngineOutput> EsessionEngine::decline(const QString &peerBareJid, const QString &thread, EngineTime)
{
    const auto it = m_entries.find(key(peerBareJid, thread));
    if (it == m_entries.end() || it->second.handshake->state() != EsessionState::AwaitingDecision)
        return std::nullopt;
    EngineOutput out;
    take(*it->second.handshake, it->second.handshake->decline(), out);
    return out;
}

EngineOutput EsessionEngine::handleMessage(const QDomElement &message, EngineTime now)
{
    EngineOutput out;
    const std::optional<QString> thread = SsnNegotiation::threadOf(message);
    if (!thread)
        return out;
    const QString from = message.attribute(Rfc6120::FromAttribute);
    const QString bare = bareOf(from);
    auto it = m_entries.find(key(bare, *thread));
    const bool opened = it == m_entries.end();
    if (opened) {
        // Only a request that opens an ESession starts a responder; plain XEP-0155 requests (and those of a
        // contact with encryption off) are left to the caller, which refuses e2e.
        if (!m_store || !isEsessionRequest(message))
            return out;
        const std::optional<EsessionPolicy> rules = policy(bare);
        if (!rules)
            return out;
        it = m_entries
                 .emplace(key(bare, *thread),
                     Entry { std::make_unique<EsessionHandshake>(from, *thread, EsessionRole::Responder, *rules, m_store),
                         now + m_timeout })
                 .first;
    }
    take(*it->second.handshake, it->second.handshake->handleMessage(message), out);
    // A responder still Idle did not take the message as a request (a headline, an error stanza): keep nothing of
    // it, or it would count as under way, time out with a failure nobody was told of and block the thread.
    if (opened && it->second.handshake->state() == EsessionState::Idle)
        m_entries.erase(it);
    return out;
}

std::optional<EngineTime> EsessionEngine::deadline() const
{
    std::optional<EngineTime> earliest;
    for (const auto &[name, entry] : m_entries) {
        if (isUnderWay(*entry.handshake) && (!earliest || entry.deadline < *earliest))
            earliest = entry.deadline;
    }
    return earliest;
}

EngineOutput EsessionEngine::handleTimeout(EngineTime now)
{
    EngineOutput out;
    for (auto &[name, entry] : m_entries) {
        if (isUnderWay(*entry.handshake) && entry.deadline <= now)
            take(*entry.handshake, entry.handshake->abandon(), out);
    }
    return out;
}

EngineOutput EsessionEngine::abandonAll()
{
    EngineOutput out;
    for (auto &[name, entry] : m_entries) {
        if (isUnderWay(*entry.handshake))
            take(*entry.handshake, entry.handshake->abandon(), out);
    }
    return out;
}

bool EsessionEngine::isNegotiating(const QString &peerBareJid, const QString &thread) const
{
    const auto it = m_entries.find(key(peerBareJid, thread));
    return it != m_entries.end() && isUnderWay(*it->second.handshake);
}

bool EsessionEngine::hasNegotiated(const QString &peerBareJid, const QString &thread) const
{
    return m_entries.count(key(peerBareJid, thread)) > 0;
}

bool EsessionEngine::holdsSecrets() const
{
    for (const auto &[name, entry] : m_entries) {
        if (entry.handshake->holdsSecrets())
            return true;
    }
    return false;
}

int EsessionEngine::pendingCount() const
{
    int count = 0;
    for (const auto &[name, entry] : m_entries)
        count += isUnderWay(*entry.handshake) ? 1 : 0;
    return count;
}

} // namespace Esession
