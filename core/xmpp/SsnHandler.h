#pragma once

#include <QHash>
#include <QObject>

#include <functional>
#include <memory>

#include "esession/SsnNegotiation.h"

class QDomElement;

/// Runs the XEP-0155 stanza session negotiations of one account: one Esession::SsnNegotiation per
/// (contact, thread), fed with the negotiation messages the connection receives, its answers handed to
/// a send function, its events turned into signals. Requests from contacts start a responder machine;
/// local calls start or end ours. Knows nothing of sockets: EsessionExtension wires it to QXmpp.
class SsnHandler : public QObject
{
    Q_OBJECT

public:
    /// Sends one stanza (a <message/> built by the negotiation) without end-to-end encryption.
    using SendFunction = std::function<void(const QDomElement &message)>;
    /// The policy for negotiations with a contact (bare JID): whether answering may reveal our
    /// presence (the contact is subscribed to it), what we accept.
    using PolicyFunction = std::function<Esession::SsnPolicy(const QString &bareJid)>;

    explicit SsnHandler(SendFunction send, QObject *parent = nullptr);
    ~SsnHandler() override;

    void setPolicyFunction(PolicyFunction policy) { m_policy = std::move(policy); }

    /// A negotiation message (one with a feature-negotiation payload): handled here, true; anything
    /// else is left to the caller, false.
    bool handleMessage(const QDomElement &message);

    /// Asks @p peerJid (bare or full) for a stanza session in @p thread. False when the thread already
    /// had a negotiation (a ThreadID is never reused) or the policy forbids it.
    bool request(const QString &peerJid, const QString &thread);
    /// Answers a request the policy left to the user (see sessionRequested).
    bool accept(const QString &peerBareJid, const QString &thread);
    bool decline(const QString &peerBareJid, const QString &thread, const QString &reason = {});
    /// Ends an open or pending session.
    bool terminate(const QString &peerBareJid, const QString &thread);

    /// The state of the negotiation in @p thread with @p peerBareJid (Idle when there is none).
    Esession::SsnState state(const QString &peerBareJid, const QString &thread) const;
    /// The agreed parameters (empty unless Active or ended after agreeing).
    Esession::SsnParameters parameters(const QString &peerBareJid, const QString &thread) const;
    /// The contact's full JID once it answered (or the JID the request was addressed to).
    QString peerJid(const QString &peerBareJid, const QString &thread) const;

Q_SIGNALS:
    /// A contact asks for a session and the policy wants the user to decide.
    void sessionRequested(const QString &peerJid, const QString &thread, const Esession::SsnParameters &proposed);
    /// The session is open ([4] sent or received).
    void sessionEstablished(const QString &peerJid, const QString &thread, const Esession::SsnParameters &parameters);
    /// The negotiation ended without a session, or the session ended; @p reason is for the user.
    void sessionClosed(const QString &peerJid, const QString &thread, const QString &reason);
    /// An input was refused (an error stanza went back when the policy allowed one).
    void refused(const QString &peerJid, const QString &thread, const QString &problem);

private:
    Esession::SsnNegotiation *find(const QString &peerJid, const QString &thread) const;
    Esession::SsnNegotiation *create(const QString &peerJid, const QString &thread);
    void process(Esession::SsnNegotiation *negotiation, const Esession::SsnOutput &output);

    SendFunction m_send;
    PolicyFunction m_policy;
    QHash<QString, std::shared_ptr<Esession::SsnNegotiation>> m_negotiations;
};
