#include "SsnHandler.h"

#include <QDomElement>

#include <QXmppUtils.h>

#include "Logging.h"

using namespace Esession;

namespace {

QString key(const QString &bareJid, const QString &thread)
{
    return bareJid + QChar(0) + thread;
}

QString rejectionText(const SsnRejected &rejected)
{
    switch (rejected.reason) {
    case SsnRejection::DeclinedByPeer:
        return rejected.text.isEmpty() ? SsnHandler::tr("the contact declined the session")
                                       : SsnHandler::tr("the contact declined the session: %1").arg(rejected.text);
    case SsnRejection::DeclinedByUs:
        return SsnHandler::tr("you declined the session");
    case SsnRejection::CancelledByPeer:
        return SsnHandler::tr("the contact cancelled the session");
    case SsnRejection::CancelledByUs:
        return SsnHandler::tr("you cancelled the session");
    case SsnRejection::PeerError:
        return SsnHandler::tr("the contact's client refused the session (%1)")
            .arg(rejected.error ? rejected.error->conditionName : QString());
    case SsnRejection::RefusedByUs:
        return SsnHandler::tr("the contact's request could not be accepted (%1)")
            .arg(rejected.error ? rejected.error->conditionName : QString());
    case SsnRejection::Abandoned:
        return SsnHandler::tr("the session request was given up");
    }
    return {};
}

} // namespace

SsnHandler::SsnHandler(SendFunction send, QObject *parent)
    : QObject(parent)
    , m_send(std::move(send))
    , m_policy([](const QString &) { return SsnPolicy::defaults(); })
{
}

SsnHandler::~SsnHandler() = default;

SsnNegotiation *SsnHandler::find(const QString &peerJid, const QString &thread) const
{
    return m_negotiations.value(key(QXmppUtils::jidToBareJid(peerJid), thread)).get();
}

SsnNegotiation *SsnHandler::create(const QString &peerJid, const QString &thread)
{
    const QString bare = QXmppUtils::jidToBareJid(peerJid);
    auto negotiation = std::make_shared<SsnNegotiation>(peerJid, thread, m_policy(bare));
    m_negotiations.insert(key(bare, thread), negotiation);
    return negotiation.get();
}

bool SsnHandler::handleMessage(const QDomElement &message)
{
    if (!SsnNegotiation::isNegotiationMessage(message))
        return false;
    const QString from = message.attribute(QStringLiteral("from"));
    // A message without a usable thread still goes to a machine: it answers with the named error.
    const QString thread = SsnNegotiation::threadOf(message).value_or(QString());
    SsnNegotiation *negotiation = find(from, thread);
    const bool fresh = !negotiation;
    if (fresh)
        negotiation = create(from, thread);
    const SsnOutput output = negotiation->handleMessage(message);
    process(negotiation, output);
    // A stranger's answer, an error for nothing we asked: the throwaway machine is not kept, so that
    // it cannot block a real request in that thread later. A refused request is kept (ThreadIDs are
    // never reused).
    if (fresh && negotiation->state() == SsnState::Idle)
        m_negotiations.remove(key(QXmppUtils::jidToBareJid(from), thread));
    return true;
}

bool SsnHandler::request(const QString &peerJid, const QString &thread)
{
    if (thread.isEmpty() || find(peerJid, thread))
        return false;
    SsnNegotiation *negotiation = create(peerJid, thread);
    const SsnOutput output = negotiation->request();
    process(negotiation, output);
    return negotiation->state() == SsnState::Pending;
}

bool SsnHandler::accept(const QString &peerBareJid, const QString &thread)
{
    SsnNegotiation *negotiation = find(peerBareJid, thread);
    if (!negotiation || negotiation->role() != SsnRole::Responder || negotiation->state() != SsnState::Pending)
        return false;
    process(negotiation, negotiation->accept());
    return true;
}

bool SsnHandler::decline(const QString &peerBareJid, const QString &thread, const QString &reason)
{
    SsnNegotiation *negotiation = find(peerBareJid, thread);
    if (!negotiation || negotiation->role() != SsnRole::Responder || negotiation->state() != SsnState::Pending)
        return false;
    process(negotiation, negotiation->decline(reason));
    return true;
}

bool SsnHandler::terminate(const QString &peerBareJid, const QString &thread)
{
    SsnNegotiation *negotiation = find(peerBareJid, thread);
    if (!negotiation || negotiation->state() == SsnState::Ended || negotiation->state() == SsnState::Idle)
        return false;
    process(negotiation, negotiation->terminate());
    return negotiation->state() == SsnState::Ended;
}

SsnState SsnHandler::state(const QString &peerBareJid, const QString &thread) const
{
    const SsnNegotiation *negotiation = find(peerBareJid, thread);
    return negotiation ? negotiation->state() : SsnState::Idle;
}

SsnParameters SsnHandler::parameters(const QString &peerBareJid, const QString &thread) const
{
    const SsnNegotiation *negotiation = find(peerBareJid, thread);
    return negotiation ? negotiation->parameters() : SsnParameters();
}

QString SsnHandler::peerJid(const QString &peerBareJid, const QString &thread) const
{
    const SsnNegotiation *negotiation = find(peerBareJid, thread);
    return negotiation ? negotiation->peerJid() : QString();
}

void SsnHandler::process(SsnNegotiation *negotiation, const SsnOutput &output)
{
    for (const QDomElement &stanza : output.stanzas)
        m_send(stanza);
    const QString peer = negotiation->peerJid();
    const QString thread = negotiation->thread();
    for (const SsnEvent &event : output.events) {
        if (const auto *requested = std::get_if<SsnRequested>(&event)) {
            Q_EMIT sessionRequested(peer, thread, requested->proposed);
        } else if (const auto *accepted = std::get_if<SsnAccepted>(&event)) {
            qCInfo(lcSession) << "stanza session open with" << peer;
            Q_EMIT sessionEstablished(peer, thread, accepted->parameters);
        } else if (const auto *rejected = std::get_if<SsnRejected>(&event)) {
            qCInfo(lcSession) << "stanza session negotiation ended:" << int(rejected->reason);
            Q_EMIT sessionClosed(peer, thread, rejectionText(*rejected));
        } else if (const auto *terminated = std::get_if<SsnTerminated>(&event)) {
            Q_EMIT sessionClosed(peer, thread, terminated->byPeer ? tr("the contact ended the session")
                                                                  : tr("you ended the session"));
        } else if (const auto *error = std::get_if<SsnError>(&event)) {
            // Names fields or elements, never values.
            qCInfo(lcSession) << "refused a negotiation input:" << problemName(error->problem) << error->detail;
            Q_EMIT refused(peer, thread, problemName(error->problem));
        }
    }
}
