#include "EsessionEngine.h"

#include "DataForm.h"
#include "FormConstants.h"
#include "FormNormalizer.h"
#include "Logging.h"
#include "RetainedSecretStore.h"
#include "SsnNegotiation.h"
#include "StanzaCodec.h"
#include "Constants.h"

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

bool hasC(const QDomElement &stanza)
{
    return !childElements(stanza, Xep0200::CElement, Xep0200::Namespace).isEmpty();
}

/// The XEP-0200 answer to a stanza of a session that could not be opened: a not-acceptable error in its thread,
/// echoing its id.
QDomElement notAcceptable(const QString &to, const QString &thread, const QString &id, QDomDocument &doc)
{
    QDomElement message = doc.createElementNS(Xep0200::ClientNamespace, Rfc6120::MessageElement);
    doc.appendChild(message);
    message.setAttribute(Rfc6120::ToAttribute, to);
    message.setAttribute(Rfc6120::TypeAttribute, Rfc6120::MessageError);
    if (!id.isEmpty())
        message.setAttribute(Rfc6120::IdAttribute, id);
    QDomElement threadElement = doc.createElementNS(Xep0200::ClientNamespace, Xep0200::ThreadElement);
    threadElement.appendChild(doc.createTextNode(thread));
    message.appendChild(threadElement);
    QDomElement error = doc.createElementNS(Xep0200::ClientNamespace, Xep0200::ErrorElement);
    error.setAttribute(Rfc6120::TypeAttribute, QStringLiteral("modify"));
    error.appendChild(doc.createElementNS(Rfc6120::StanzasNamespace, QStringLiteral("not-acceptable")));
    message.appendChild(error);
    return message;
}

/// Negotiation messages are for the two clients alone, like the session's stanzas: no copies to the user's other
/// devices (XEP-0280 <private/>, XEP-0334 no-copy), no server archive (no-permanent-store). Hints outside the forms:
/// nothing any MAC covers changes.
void addPrivacyHints(QDomElement &stanza)
{
    if (localNameOf(stanza) != Rfc6120::MessageElement)
        return;
    QDomDocument doc = stanza.ownerDocument();
    for (const QString &hint : { QStringLiteral("no-copy"), QStringLiteral("no-permanent-store") }) {
        if (childElements(stanza, hint, Xep0200::HintsNamespace).isEmpty())
            stanza.appendChild(doc.createElementNS(Xep0200::HintsNamespace, hint));
    }
    if (childElements(stanza, QStringLiteral("private"), Xep0200::CarbonsNamespace).isEmpty())
        stanza.appendChild(doc.createElementNS(Xep0200::CarbonsNamespace, QStringLiteral("private")));
}

} // namespace

QString EsessionEngine::key(const QString &bareJid, const QString &thread)
{
    return normalizedBareJid(bareJid) + QChar(0) + thread;
}

bool EsessionEngine::isUnderWay(const EsessionHandshake &handshake)
{
    return handshake.state() != EsessionState::Established && handshake.state() != EsessionState::Failed;
}

std::optional<EsessionPolicy> EsessionEngine::policy(const QString &bareJid) const
{
    return m_policy ? m_policy(bareJid) : std::optional<EsessionPolicy>(EsessionPolicy());
}

std::unique_ptr<EsessionHandshake> EsessionEngine::makeHandshake(
    const QString &peerJid, const QString &thread, EsessionRole role, const EsessionPolicy &rules) const
{
    auto handshake = std::make_unique<EsessionHandshake>(peerJid, thread, role, rules, m_store);
    handshake->setRandomSource(*m_random);
    return handshake;
}

void EsessionEngine::take(EsessionHandshake &handshake, EsessionOutput &&output, EngineOutput &out, EngineTime now)
{
    out.consumed = out.consumed || output.consumed;
    if (!output.stanzas.isEmpty())
        remember(key(handshake.peerJid(), handshake.thread()));
    for (QDomElement &stanza : output.stanzas)
        addPrivacyHints(stanza);
    out.stanzas << output.stanzas;
    out.documents << output.documents;
    for (EsessionEvent &event : output.events) {
        if (const auto *established = std::get_if<EsessionEstablished>(&event)) {
            openChannel(established->peerJid, handshake.thread(), established->parameters, now, out);
            m_lastSessions.insert(normalizedBareJid(established->peerJid),
                                  LastSession { established->sas, established->newRetainedSecret });
            // Kept a little longer: a refusal of our last message may still come (see below).
            const auto entry = m_entries.find(key(bareOf(handshake.peerJid()), handshake.thread()));
            if (entry != m_entries.end())
                entry->second.deadline = now + m_timeout;
        } else if (std::holds_alternative<EsessionFailed>(event)) {
            // A refusal after our side had its keys (the contact refused our message 4, or our message 3 in the
            // 3-message flow): its side never opened the session, so ours must not go on sending into it.
            EsessionChannel *live = channel(bareOf(handshake.peerJid()), handshake.thread());
            if (live && !live->isEnded()) {
                if (live->hasOpenedFromPeer()) {
                    // The contact already sent in this session, so it has the keys: this "refusal" is stale or
                    // forged (an error stanza proves nothing). The session stands; nobody is told of a failure.
                    qCInfo(lcEsession) << "ignored a refusal of a negotiation whose session is in use";
                    continue;
                }
                take(*live, live->end(ChannelEnd::RefusedAfterEstablishment, false), out);
            }
        }
        out.events << EngineEvent { handshake.peerJid(), handshake.thread(), std::move(event) };
    }
}

void EsessionEngine::setRekeyInterval(int stanzas)
{
    m_rekeyInterval = stanzas;
    for (auto &[name, entry] : m_channels)
        entry.channel->setRekeyInterval(stanzas);
}

void EsessionEngine::remember(const QString &name)
{
    if (m_spoke.contains(name))
        return;
    m_spoke.insert(name);
    m_spokeOrder.append(name);
    // Forgetting an old thread is safe: a replayed request there only starts a negotiation nobody can finish. One
    // still in use goes to the back; each is looked at once at most.
    for (qsizetype looked = m_spokeOrder.size();
         m_spokeOrder.size() > EngineLimits::MaxRememberedThreads && looked > 0; --looked) {
        const QString oldest = m_spokeOrder.takeFirst();
        if (m_entries.count(oldest) || m_channels.count(oldest))
            m_spokeOrder.append(oldest);
        else
            m_spoke.remove(oldest);
    }
}

int EsessionEngine::activeChannels(const QString &peerJid, bool sameResourceOnly) const
{
    int count = 0;
    for (const auto &[name, entry] : m_channels) {
        const EsessionChannel &channel = *entry.channel;
        if (channel.isActive() && (sameResourceOnly ? sameJid(channel.peer(), peerJid) : sameBare(channel.peer(), peerJid)))
            ++count;
    }
    return count;
}

int EsessionEngine::pendingResponders(const QString &bareJid) const
{
    int count = 0;
    for (const auto &[name, entry] : m_entries) {
        if (entry.handshake->role() == EsessionRole::Responder && isUnderWay(*entry.handshake)
            && (bareJid.isEmpty() || sameBare(entry.handshake->peerJid(), bareJid)))
            ++count;
    }
    return count;
}

void EsessionEngine::take(EsessionChannel &channel, ChannelResult &&result, EngineOutput &out) const
{
    out.stanzas << result.send;
    out.documents << result.documents;
    if (!result.ended.isEmpty())
        out.ended << ChannelEnded { channel.peer(), channel.thread(), result.ended, channel.endedOrderly() };
}

std::optional<EngineOutput> EsessionEngine::negotiate(const QString &peerJid, const QString &thread, EngineTime now)
{
    const QString bare = bareOf(peerJid);
    const QString name = key(bare, thread);
    if (!m_store || thread.isEmpty() || hasNegotiated(bare, thread))
        return std::nullopt;
    const std::optional<EsessionPolicy> rules = policy(bare);
    if (!rules)
        return std::nullopt;
    prune(now);
    Entry entry { makeHandshake(peerJid, thread, EsessionRole::Initiator, *rules), now + m_timeout };
    EsessionHandshake &handshake = *entry.handshake;
    m_entries.emplace(name, std::move(entry));
    EngineOutput out;
    take(handshake, handshake.request(), out, now);
    return out;
}

std::optional<EngineOutput> EsessionEngine::accept(const QString &peerBareJid, const QString &thread, EngineTime now)
{
    const auto it = m_entries.find(key(peerBareJid, thread));
    if (it == m_entries.end() || it->second.handshake->state() != EsessionState::AwaitingDecision)
        return std::nullopt;
    EngineOutput out;
    take(*it->second.handshake, it->second.handshake->accept(), out, now);
    return out;
}

std::optional<EngineOutput> EsessionEngine::decline(const QString &peerBareJid, const QString &thread, EngineTime now)
{
    const auto it = m_entries.find(key(peerBareJid, thread));
    if (it == m_entries.end() || it->second.handshake->state() != EsessionState::AwaitingDecision)
        return std::nullopt;
    EngineOutput out;
    take(*it->second.handshake, it->second.handshake->decline(), out, now);
    prune(now);
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
    const QString name = key(bare, *thread);
    auto it = m_entries.find(name);
    const bool opened = it == m_entries.end();
    if (opened) {
        // Only a request that opens an ESession starts a responder; plain XEP-0155 requests (and those of a
        // contact with encryption off) are left to the caller, which refuses e2e. A thread that carried a
        // negotiation or a session before never carries another.
        if (m_spoke.contains(name) || m_channels.count(name)) {
            // Its negotiation is over and forgotten: a late, repeated or replayed negotiation message, dropped.
            out.consumed = true;
            return out;
        }
        if (!m_store || !isEsessionRequest(message))
            return out;
        // What a stranger (or a server) can make us keep is bounded: thread ids of sane length, a few requests per
        // contact and in all. What is over the limit is dropped unanswered.
        if (thread->size() > EngineLimits::MaxThreadLength || !from.contains(u'/')
            || pendingResponders(bare) >= EngineLimits::MaxPendingPerContact
            || pendingResponders({}) >= EngineLimits::MaxPending) {
            qCInfo(lcEsession) << "dropped an ESession request over the engine's limits";
            out.consumed = true;
            return out;
        }
        const std::optional<EsessionPolicy> rules = policy(bare);
        if (!rules)
            return out;
        it = m_entries.emplace(name, Entry { makeHandshake(from, *thread, EsessionRole::Responder, *rules), now + m_timeout })
                 .first;
    }
    EsessionHandshake &handshake = *it->second.handshake;
    take(handshake, handshake.handleMessage(message), out, now);
    // A responder still Idle did not take the message as a request (a headline, an error stanza): keep nothing of
    // it, or it would count as under way, time out with a failure nobody was told of and block the thread.
    if (opened && handshake.state() == EsessionState::Idle) {
        m_entries.erase(it);
        return out;
    }
    prune(now);
    return out;
}

std::optional<EngineTime> EsessionEngine::deadline() const
{
    std::optional<EngineTime> earliest;
    for (const auto &[name, entry] : m_entries) {
        if (isUnderWay(*entry.handshake) && (!earliest || entry.deadline < *earliest))
            earliest = entry.deadline;
    }
    for (const auto &[name, entry] : m_channels) {
        const std::optional<EngineTime> due = entry.channel->deadline();
        if (due && (!earliest || *due < *earliest))
            earliest = due;
    }
    return earliest;
}

EngineOutput EsessionEngine::handleTimeout(EngineTime now)
{
    EngineOutput out;
    for (auto &[name, entry] : m_entries) {
        if (isUnderWay(*entry.handshake) && entry.deadline <= now)
            take(*entry.handshake, entry.handshake->abandon(), out, now);
    }
    for (auto &[name, entry] : m_channels)
        take(*entry.channel, entry.channel->handleTimeout(now), out);
    prune(now);
    return out;
}

EngineOutput EsessionEngine::abandonAll()
{
    EngineOutput out;
    for (auto &[name, entry] : m_entries) {
        if (isUnderWay(*entry.handshake))
            take(*entry.handshake, entry.handshake->abandon(), out, entry.deadline);
    }
    return out;
}

void EsessionEngine::prune(EngineTime now)
{
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        const EsessionHandshake &handshake = *it->second.handshake;
        bool done = handshake.state() == EsessionState::Failed;
        if (handshake.state() == EsessionState::Established) {
            // What an established negotiation still waits for is a refusal of its last message. Once the session
            // proved itself (a stanza of the contact opened), ended, or the time a negotiation may take passed,
            // none can matter.
            const EsessionChannel *live = channel(bareOf(handshake.peerJid()), handshake.thread());
            done = !live || live->isEnded() || live->hasOpenedFromPeer() || it->second.deadline <= now;
        }
        it = done ? m_entries.erase(it) : std::next(it);
    }
}

std::optional<EngineOutput> EsessionEngine::startChannel(const QString &peerFullJid, const QString &thread,
                                                         CipherParameters parameters, EngineTime now)
{
    EngineOutput out;
    if (!openChannel(peerFullJid, thread, std::move(parameters), now, out))
        return std::nullopt;
    return out;
}

bool EsessionEngine::openChannel(const QString &peerFullJid, const QString &thread, CipherParameters parameters,
                                 EngineTime now, EngineOutput &out)
{
    const QString name = key(peerFullJid, thread);
    if (const auto it = m_channels.find(name); it != m_channels.end() && !it->second.channel->isEnded())
        return false;
    // An ended session with the same resource is of no use once a newer one exists: its thread stays remembered
    // (a late stanza there is still answered not-acceptable), its object goes. Ended sessions with other resources
    // stay, up to a few per contact, so that nothing leaves in plaintext on their threads or to their resources.
    std::vector<std::pair<quint64, QString>> ended;
    for (auto it = m_channels.begin(); it != m_channels.end();) {
        const EsessionChannel &old = *it->second.channel;
        if (old.isEnded() && sameJid(old.peer(), peerFullJid)) {
            it = m_channels.erase(it);
            continue;
        }
        if (old.isEnded() && sameBare(old.peer(), peerFullJid))
            ended.emplace_back(it->second.serial, it->first);
        ++it;
    }
    std::sort(ended.begin(), ended.end());
    for (std::size_t i = 0; i + EngineLimits::MaxEndedPerContact <= ended.size(); ++i)
        m_channels.erase(ended.at(i).second);
    auto channel = std::make_unique<EsessionChannel>(peerFullJid, thread, std::move(parameters));
    channel->setRekeyInterval(m_rekeyInterval);
    m_channels[name] = ChannelEntry { std::move(channel), m_nextSerial++ };
    remember(name);
    // Sessions nobody ends (a contact's client, or its server, that starts one after another) hold keys: over the
    // limits the oldest is ended the ESession way. The conversation follows the newest session anyway.
    for (const bool perResource : { true, false }) {
        const int limit = perResource ? EngineLimits::MaxActivePerResource : EngineLimits::MaxActivePerContact;
        while (activeChannels(peerFullJid, perResource) > limit) {
            ChannelEntry *oldest = nullptr;
            for (auto &[other, entry] : m_channels) {
                const EsessionChannel &candidate = *entry.channel;
                const bool related
                    = perResource ? sameJid(candidate.peer(), peerFullJid) : sameBare(candidate.peer(), peerFullJid);
                if (related && candidate.isActive() && (!oldest || entry.serial < oldest->serial))
                    oldest = &entry;
            }
            if (!oldest)
                break;
            take(*oldest->channel, oldest->channel->terminate(now, m_terminationTimeout), out);
        }
    }
    return true;
}

EsessionChannel *EsessionEngine::channel(const QString &peerJid, const QString &thread) const
{
    const auto it = m_channels.find(key(peerJid, thread));
    if (it == m_channels.end())
        return nullptr;
    // A full JID names one resource: the session is bound to the one it was negotiated with.
    if (peerJid.contains(u'/') && !sameJid(peerJid, it->second.channel->peer()))
        return nullptr;
    return it->second.channel.get();
}

EsessionChannel *EsessionEngine::channelForResource(const QString &peerFullJid) const
{
    if (!peerFullJid.contains(u'/'))
        return nullptr;
    const ChannelEntry *active = nullptr;
    const ChannelEntry *guard = nullptr; // the latest that is ending or ended
    for (const auto &[name, entry] : m_channels) {
        if (!sameJid(entry.channel->peer(), peerFullJid))
            continue;
        if (!entry.channel->isActive()) {
            if (!guard || entry.serial > guard->serial)
                guard = &entry;
            continue;
        }
        if (active)
            return nullptr; // several sessions with that resource: a thread-less stanza is ambiguous
        active = &entry;
    }
    const ChannelEntry *found = active ? active : guard;
    return found ? found->channel.get() : nullptr;
}

bool EsessionEngine::hasSessionsWith(const QString &peerFullJid) const
{
    for (const auto &[name, entry] : m_channels) {
        if (sameJid(entry.channel->peer(), peerFullJid))
            return true;
    }
    return false;
}

QString EsessionEngine::lastSas(const QString &peerJid) const
{
    return m_lastSessions.value(normalizedBareJid(peerJid)).sas;
}

bool EsessionEngine::verifySas(const QString &peerJid, const QString &sas)
{
    const auto last = m_lastSessions.constFind(normalizedBareJid(peerJid));
    if (!m_store || last == m_lastSessions.constEnd() || last->sas.isEmpty() || sas != last->sas)
        return false;
    return m_store->markVerified(bareOf(peerJid), last->newRetainedSecret);
}

QList<const EsessionChannel *> EsessionEngine::channels() const
{
    QList<const EsessionChannel *> list;
    for (const auto &[name, entry] : m_channels)
        list << entry.channel.get();
    return list;
}

EngineOutput EsessionEngine::sealStanza(EsessionChannel &channel, const QDomElement &stanza)
{
    EngineOutput out;
    ChannelResult result = channel.seal(stanza);
    out.stanza = result.stanza;
    out.error = result.error;
    take(channel, std::move(result), out);
    return out;
}

EngineOutput EsessionEngine::openStanza(const QDomElement &stanza, EngineTime now)
{
    EngineOutput out;
    const QString kind = localNameOf(stanza);
    const QString from = stanza.attribute(Rfc6120::FromAttribute);
    const bool isMessage = kind == Rfc6120::MessageElement;
    const QString thread = isMessage ? SsnNegotiation::threadOf(stanza).value_or(QString()) : QString();
    // Sessions are bound to a resource: a stanza from a JID without one belongs to none of them.
    EsessionChannel *live = !from.contains(u'/') ? nullptr : isMessage ? channel(from, thread) : channelForResource(from);
    if (live) {
        ChannelResult result = live->open(stanza);
        out.stanza = result.stanza;
        out.error = result.error;
        take(*live, std::move(result), out);
    } else {
        out.error = FailureCode::NoSession;
    }
    // The sender is told when it can act on it: we had a session with it there (active or already ended: our keys
    // went when we went offline), or we took part in a negotiation there that never completed on our side (its
    // message 4 was lost, so the sender has keys we do not). Its side ends too, and what it sent goes again in a
    // new session. Anyone else gets no answer: not even that we are online (XEP-0155 presence leaks).
    if (!out.error.isEmpty() && isMessage && from.contains(u'/') && (live || m_spoke.contains(key(from, thread)))) {
        QDomDocument doc;
        out.stanzas << notAcceptable(from, thread, stanza.attribute(Rfc6120::IdAttribute), doc);
        out.documents << doc;
    }
    prune(now);
    return out;
}

EngineOutput EsessionEngine::handleNotAcceptable(const QDomElement &error)
{
    EngineOutput out;
    if (error.attribute(Rfc6120::TypeAttribute) != Rfc6120::MessageError || hasC(error))
        return out;
    const QList<QDomElement> errors = childElements(error, Xep0200::ErrorElement, error.namespaceURI());
    if (errors.isEmpty() || childElements(errors.first(), QStringLiteral("not-acceptable"), Rfc6120::StanzasNamespace).isEmpty())
        return out;
    const std::optional<QString> thread = SsnNegotiation::threadOf(error);
    const QString from = error.attribute(Rfc6120::FromAttribute);
    EsessionChannel *live = !thread || !from.contains(u'/') ? nullptr : channel(from, *thread);
    if (!live)
        return out;
    // Every later stanza of the session gets the same answer: the first one ends it, the rest change nothing.
    // Unauthenticated, like every error stanza: at worst a denial of service, never a downgrade.
    out.consumed = true;
    take(*live, live->peerReportedNotAcceptable(), out);
    return out;
}

std::optional<EngineOutput> EsessionEngine::terminate(const QString &peerJid, const QString &thread, EngineTime now)
{
    EsessionChannel *live = channel(peerJid, thread);
    if (!live || !live->isActive())
        return std::nullopt;
    EngineOutput out;
    take(*live, live->terminate(now, m_terminationTimeout), out);
    return out;
}

std::optional<EngineOutput> EsessionEngine::endChannel(const QString &peerJid, const QString &thread,
                                                       const QString &code, bool orderly)
{
    EsessionChannel *live = channel(peerJid, thread);
    if (!live || live->isEnded())
        return std::nullopt;
    EngineOutput out;
    take(*live, live->end(code, orderly), out);
    return out;
}

EngineOutput EsessionEngine::endChannelsOf(const QString &peerFullJid, const QString &code)
{
    EngineOutput out;
    for (auto &[name, entry] : m_channels) {
        EsessionChannel &channel = *entry.channel;
        if (!channel.isEnded() && sameJid(channel.peer(), peerFullJid))
            take(channel, channel.end(code, false), out);
    }
    return out;
}

EngineOutput EsessionEngine::closeAll(bool canSend)
{
    EngineOutput out;
    for (auto &[name, entry] : m_channels) {
        EsessionChannel &channel = *entry.channel;
        if (channel.isEnded())
            continue;
        if (canSend && channel.isActive())
            take(channel, channel.terminate(EngineTime {}, m_terminationTimeout), out); // may end it (send-failed)
        take(channel, channel.end(ChannelEnd::Offline, true), out);
    }
    const EngineOutput abandoned = abandonAll();
    out.stanzas << abandoned.stanzas;
    out.documents << abandoned.documents;
    out.events << abandoned.events;
    return out;
}

bool EsessionEngine::isNegotiating(const QString &peerBareJid, const QString &thread) const
{
    const auto it = m_entries.find(key(peerBareJid, thread));
    return it != m_entries.end() && isUnderWay(*it->second.handshake);
}

bool EsessionEngine::hasNegotiated(const QString &peerBareJid, const QString &thread) const
{
    const QString name = key(peerBareJid, thread);
    return m_spoke.contains(name) || m_entries.count(name) || m_channels.count(name);
}

bool EsessionEngine::negotiationsHoldSecrets() const
{
    for (const auto &[name, entry] : m_entries) {
        if (entry.handshake->holdsSecrets())
            return true;
    }
    return false;
}

bool EsessionEngine::holdsSecrets() const
{
    if (negotiationsHoldSecrets())
        return true;
    for (const auto &[name, entry] : m_channels) {
        if (entry.channel->holdsKeys())
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
