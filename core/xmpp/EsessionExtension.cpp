#include "EsessionExtension.h"

#include <QDomDocument>
#include <QXmlStreamWriter>

#include <QXmppClient.h>
#include <QXmppE2eeMetadata.h>
#include <QXmppIq.h>
#include <QXmppMessage.h>
#include <QXmppPresence.h>
#include <QXmppPromise.h>
#include <QXmppUtils.h>

#include "Logging.h"
#include "esession/Constants.h"
#include "esession/FailureCodes.h"
#include "esession/FormConstants.h"
#include "esession/FormNormalizer.h"
#include "esession/SsnNegotiation.h"
#include "SsnHandler.h"

using namespace Esession;

namespace {

template<typename T, typename V>
QXmppTask<T> ready(V &&value)
{
    QXmppPromise<T> promise;
    promise.finish(std::forward<V>(value));
    return promise.task();
}

bool hasC(const QDomElement &stanza)
{
    for (QDomElement child = stanza.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (child.localName() == Xep0200::CElement && child.namespaceURI() == Xep0200::Namespace)
            return true;
    }
    return false;
}

template<typename Stanza>
QByteArray serialise(const Stanza &stanza)
{
    QByteArray xml;
    QXmlStreamWriter writer(&xml);
    stanza.toXml(&writer);
    return xml;
}

QXmppElementList childrenAsExtensions(const QDomElement &stanza)
{
    QXmppElementList list;
    for (QDomElement child = stanza.firstChildElement(); !child.isNull(); child = child.nextSiblingElement())
        list << QXmppElement(child);
    return list;
}

/// A stanza as QXmpp wrote it, parsed for the engine (namespaces processed, inside a jabber:client parent as in the
/// stream); null when it does not parse.
QDomElement parseStanza(const QByteArray &xml)
{
    QDomDocument doc;
    if (!doc.setContent("<w xmlns=\"jabber:client\">" + xml + "</w>", true))
        return {};
    return doc.documentElement().firstChildElement();
}

QXmppE2eeMetadata esessionMetadata()
{
    QXmppE2eeMetadata metadata;
    // QXmpp has no name for XEP-0200; what matters is that the metadata is there, so that replies to
    // the stanza (receipts, iq results) are sent through sendSensitive() and so encrypted.
    metadata.setEncryption(QXmpp::UnknownEncryption);
    return metadata;
}

} // namespace


EsessionExtension::EsessionExtension()
    : m_ssn(new SsnHandler([this](const QDomElement &stanza) { sendRaw(stanza); }, this))
{
    m_clock.start();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { process(m_engine.handleTimeout(now())); });
}

EsessionExtension::~EsessionExtension() = default;

EngineTime EsessionExtension::now() const
{
    return EngineTime(std::chrono::milliseconds(m_clock.elapsed()));
}

void EsessionExtension::armTimer()
{
    const std::optional<EngineTime> deadline = m_engine.deadline();
    if (!deadline) {
        m_timer.stop();
        return;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now());
    m_timer.start(std::max<qint64>(0, wait.count()) + 1);
}

void EsessionExtension::setNegotiationTimeout(std::chrono::milliseconds timeout)
{
    m_engine.setNegotiationTimeout(timeout);
}

void EsessionExtension::sendRaw(const QDomElement &stanza)
{
    if (!client())
        return;
    // Negotiation messages travel in the clear by definition (XEP-0155, XEP-0116 messages 1-4), the engine's own
    // session messages (the terminate form, its acknowledgement) are sealed already, and its errors are built as
    // RFC 6120 wants them: the thread and the children go as they are, byte for byte.
    QXmppMessage message;
    message.setTo(stanza.attribute(QStringLiteral("to")));
    if (stanza.hasAttribute(QStringLiteral("id")))
        message.setId(stanza.attribute(QStringLiteral("id")));
    const QString type = stanza.attribute(QStringLiteral("type"));
    message.setType(type == u"error"  ? QXmppMessage::Error
                    : type == u"chat" ? QXmppMessage::Chat
                                      : QXmppMessage::Normal);
    message.setExtensions(childrenAsExtensions(stanza));
    client()->send(std::move(message));
}

void EsessionExtension::process(const EngineOutput &output, const QString &failureCode)
{
    for (const QDomElement &stanza : output.stanzas)
        sendRaw(stanza);
    armTimer();
    for (const ChannelEnded &ended : output.ended) {
        qCInfo(lcEsession) << "encrypted session ended:" << ended.code;
        Q_EMIT sessionEnded(ended.peer, ended.thread, ended.code);
    }
    for (const EngineEvent &engineEvent : output.events) {
        const QString &thread = engineEvent.thread;
        const EsessionEvent &event = engineEvent.event;
        if (const auto *established = std::get_if<EsessionEstablished>(&event)) {
            const QString bare = QXmppUtils::jidToBareJid(established->peerJid);
            Q_EMIT retainedSecretCreated(bare, established->newRetainedSecret, established->sas);
            qCInfo(lcEsession) << "encrypted session started";
            Q_EMIT sessionStarted(established->peerJid, thread);
            Q_EMIT esessionEstablished(established->peerJid, thread, established->sas,
                                       established->retainedSecretMatched && established->retainedSecretWasVerified,
                                       established->expectedSecretMissing, established->retainedSecretFormerJid,
                                       established->sasAlgorithm);
        } else if (const auto *failed = std::get_if<EsessionFailed>(&event)) {
            qCInfo(lcEsession) << "negotiation failed:" << failed->detail;
            const bool timedOut = failureCode.isEmpty() && failed->failure == EsessionFailure::Abandoned;
            Q_EMIT negotiationFailed(engineEvent.peer, thread,
                                     !failureCode.isEmpty() ? failureCode
                                     : timedOut             ? NegotiationTimeout
                                                            : failed->detail);
        } else if (std::holds_alternative<SsnRequested>(event)) {
            Q_EMIT negotiationRequested(engineEvent.peer, thread);
        } else if (const auto *error = std::get_if<SsnError>(&event)) {
            qCInfo(lcEsession) << "negotiation input refused:" << problemName(error->problem) << error->detail;
        }
    }
}

bool EsessionExtension::negotiate(const QString &peerJid, const QString &thread)
{
    const std::optional<EngineOutput> output = m_engine.negotiate(peerJid, thread, now());
    if (!output)
        return false;
    process(*output);
    return m_engine.isNegotiating(QXmppUtils::jidToBareJid(peerJid), thread);
}

bool EsessionExtension::acceptNegotiation(const QString &peerBareJid, const QString &thread)
{
    const std::optional<EngineOutput> output = m_engine.accept(peerBareJid, thread, now());
    if (output)
        process(*output);
    return output.has_value();
}

bool EsessionExtension::declineNegotiation(const QString &peerBareJid, const QString &thread)
{
    const std::optional<EngineOutput> output = m_engine.decline(peerBareJid, thread, now());
    if (output)
        process(*output);
    return output.has_value();
}

bool EsessionExtension::isNegotiating(const QString &peerBareJid, const QString &thread) const
{
    return m_engine.isNegotiating(peerBareJid, thread);
}

QString EsessionExtension::lastSas(const QString &peerBareJid) const
{
    return m_engine.lastSas(peerBareJid);
}

bool EsessionExtension::verifySas(const QString &peerBareJid, const QString &sas)
{
    return m_engine.verifySas(peerBareJid, sas);
}

bool EsessionExtension::handleHandshakeMessage(const QDomElement &element)
{
    // Plain XEP-0155 requests (and those of a contact with encryption off) are left to the SsnHandler, which
    // refuses e2e.
    const EngineOutput output = m_engine.handleMessage(element, now());
    process(output);
    return output.consumed;
}

bool EsessionExtension::terminateSession(const QString &peerJid, const QString &thread)
{
    const std::optional<EngineOutput> output = m_engine.terminate(peerJid, thread, now());
    if (output)
        process(*output);
    return output.has_value();
}

int EsessionExtension::closeAll()
{
    const bool canSend = client() && client()->isConnected();
    int told = 0;
    for (const EsessionChannel *channel : m_engine.channels())
        told += canSend && channel->isActive() ? 1 : 0;
    process(m_engine.closeAll(canSend), NegotiationAbandoned);
    return told;
}

bool EsessionExtension::holdsKeys() const
{
    return m_engine.holdsSecrets();
}

void EsessionExtension::onRegistered(QXmppClient *client)
{
    QXmppClientExtension::onRegistered(client);
    // Our own stream is gone: the contact's server tells the contact we went offline, and its client ends the
    // session bound to our resource (as we do below for theirs). Ours ends too, with nothing sent, and what the
    // user writes next negotiates a new one once we are back.
    connect(client, &QXmppClient::disconnected, this, [this] { process(m_engine.closeAll(false), NegotiationAbandoned); });
    // A session is bound to one resource of the contact: once that resource is gone, nothing sent into the
    // session can be read, so it ends here and what the user writes next waits for a new one. Unauthenticated,
    // like any presence: at worst a denial of service, never plaintext.
    connect(client, &QXmppClient::presenceReceived, this, [this](const QXmppPresence &presence) {
        if (presence.type() == QXmppPresence::Unavailable)
            process(m_engine.endChannelsOf(presence.from(), ContactOffline));
    });
}

bool EsessionExtension::endedOrderly(const QString &peerJid, const QString &thread) const
{
    const EsessionChannel *channel = m_engine.channel(peerJid, thread);
    return channel && channel->isEnded() && channel->endedOrderly();
}

bool EsessionExtension::requestRekey(const QString &peerJid, const QString &thread)
{
    EsessionChannel *channel = m_engine.channel(peerJid, thread);
    return channel && channel->requestRekey();
}

void EsessionExtension::startSession(const QString &peerFullJid, const QString &thread, CipherParameters parameters)
{
    const std::optional<EngineOutput> output = m_engine.startChannel(peerFullJid, thread, std::move(parameters), now());
    if (!output)
        return;
    qCInfo(lcEsession) << "encrypted session started";
    Q_EMIT sessionStarted(peerFullJid, thread);
    process(*output);
}

QString EsessionExtension::sessionPeer(const QString &peerJid, const QString &thread) const
{
    const EsessionChannel *channel = m_engine.channel(peerJid, thread);
    return channel ? channel->peer() : QString();
}

void EsessionExtension::endSession(const QString &peerFullJid, const QString &thread)
{
    if (const std::optional<EngineOutput> output = m_engine.endChannel(peerFullJid, thread, EndedLocally))
        process(*output);
}

EsessionExtension::SessionState EsessionExtension::sessionState(const QString &peerJid, const QString &thread) const
{
    const EsessionChannel *channel = m_engine.channel(peerJid, thread);
    return !channel ? SessionState::None : (channel->isEnded() ? SessionState::Ended : SessionState::Active);
}

EsessionExtension::SessionState EsessionExtension::resourceSessionState(const QString &peerFullJid) const
{
    const EsessionChannel *channel = m_engine.channelForResource(peerFullJid);
    return !channel ? SessionState::None : (channel->isEnded() ? SessionState::Ended : SessionState::Active);
}

std::optional<QDomElement> EsessionExtension::seal(EsessionChannel &channel, const QByteArray &stanzaXml, QString *error)
{
    const QDomElement stanza = parseStanza(stanzaXml);
    if (stanza.isNull()) {
        *error = FailureCode::InvalidStanza;
        return std::nullopt;
    }
    const EngineOutput output = m_engine.sealStanza(channel, stanza);
    process(output);
    if (!output.error.isEmpty()) {
        *error = output.error;
        return std::nullopt;
    }
    return output.stanza;
}

QXmppTask<QXmppE2eeExtension::MessageEncryptResult>
EsessionExtension::encryptMessage(QXmppMessage &&message, const std::optional<QXmppSendStanzaParams> &)
{
    // A session is bound to one resource: a message to the bare JID could reach another one, so it never passes.
    EsessionChannel *channel
        = message.to().contains(u'/') ? m_engine.channel(message.to(), message.thread()) : nullptr;
    if (!channel) {
        return ready<MessageEncryptResult>(QXmppError{FailureCode::NoSession, {}});
    }
    // Session messages belong to this resource only: no carbons, no server archive.
    message.setPrivate(true);
    message.addHint(QXmppMessage::NoCopy);
    message.addHint(QXmppMessage::NoPermanentStore);

    QString error;
    QByteArray xml;
    {
        QXmlStreamWriter writer(&xml);
        message.toXml(&writer, QXmpp::SceAll);
    }
    const auto sealed = seal(*channel, xml, &error);
    if (!sealed)
        return ready<MessageEncryptResult>(QXmppError{error, {}});

    // QXmpp writes an encrypted message in its public form, which leaves out <body/> and <thread/>:
    // everything that goes on the wire is carried as extensions.
    auto out = std::make_unique<QXmppMessage>();
    out->setId(message.id());
    out->setTo(message.to());
    out->setFrom(message.from());
    out->setType(message.type());
    out->setExtensions(childrenAsExtensions(*sealed));
    return ready<MessageEncryptResult>(std::move(out));
}

QXmppTask<QXmppE2eeExtension::MessageDecryptResult> EsessionExtension::decryptMessage(QXmppMessage &&message)
{
    // Reached for forwarded copies (carbons, archives). A session is bound to one resource and its
    // counters: a copy can never be opened, and its fallback (if any) is not its content.
    if (!isEncrypted(message))
        return ready<MessageDecryptResult>(NotEncrypted{});
    return ready<MessageDecryptResult>(
        QXmppError{FailureCode::CopyFromOtherDevice, {}});
}

QXmppTask<QXmppE2eeExtension::IqEncryptResult> EsessionExtension::encryptIq(QXmppIq &&iq,
                                                                            const std::optional<QXmppSendStanzaParams> &)
{
    EsessionChannel *channel = m_engine.channelForResource(iq.to());
    if (!channel) {
        return ready<IqEncryptResult>(QXmppError{FailureCode::NoSession, {}});
    }
    QString error;
    const auto sealed = seal(*channel, serialise(iq), &error);
    if (!sealed)
        return ready<IqEncryptResult>(QXmppError{error, {}});
    auto out = std::make_unique<QXmppIq>(iq.type());
    out->setId(iq.id());
    out->setTo(iq.to());
    out->setFrom(iq.from());
    out->setExtensions(childrenAsExtensions(*sealed));
    return ready<IqEncryptResult>(std::move(out));
}

QXmppTask<QXmppE2eeExtension::IqDecryptResult> EsessionExtension::decryptIq(const QDomElement &element)
{
    // QXmpp calls this for the response to an iq we sent with sendSensitiveIq(); requests and
    // unsolicited iqs are opened in handleStanza().
    if (!hasC(element)) {
        // We asked inside a session: an answer in plaintext is refused, not taken as it is.
        if (m_engine.hasSessionsWith(element.attribute(QStringLiteral("from"))))
            return ready<IqDecryptResult>(QXmppError{FailureCode::UnencryptedAnswer, {}});
        return ready<IqDecryptResult>(NotEncrypted{});
    }
    const EngineOutput output = m_engine.openStanza(element, now());
    process(output);
    if (!output.error.isEmpty())
        return ready<IqDecryptResult>(QXmppError{output.error, {}});
    return ready<IqDecryptResult>(QDomElement(output.stanza));
}

bool EsessionExtension::isEncrypted(const QDomElement &element)
{
    return hasC(element);
}

bool EsessionExtension::isEncrypted(const QXmppMessage &message)
{
    const auto extensions = message.extensions();
    for (const QXmppElement &extension : extensions) {
        if (extension.tagName() == Xep0200::CElement && extension.attribute(QStringLiteral("xmlns")) == Xep0200::Namespace)
            return true;
    }
    return false;
}

QXmppTask<QXmpp::SendResult> EsessionExtension::sendPresence(QXmppPresence &&presence)
{
    EsessionChannel *channel = m_engine.channelForResource(presence.to());
    if (!channel && m_engine.hasSessionsWith(presence.to())) {
        // Several sessions with that resource and no way to tell which one: refused rather than sent in plaintext.
        return ready<QXmpp::SendResult>(QXmppError{FailureCode::NoSession, {}});
    }
    if (!channel)
        return client()->send(std::move(presence));
    QString error;
    const auto sealed = seal(*channel, serialise(presence), &error);
    if (!sealed)
        return ready<QXmpp::SendResult>(QXmppError{error, {}});
    QXmppPresence out(presence.type());
    out.setTo(presence.to());
    out.setId(presence.id());
    out.setExtensions(childrenAsExtensions(*sealed));
    return client()->send(std::move(out));
}

bool EsessionExtension::handleStanza(const QDomElement &element)
{
    const QString kind = element.tagName();
    if (kind == u"message"
        && (SsnNegotiation::isNegotiationMessage(element)
            || !childElements(element, Xep0116::InitElement, Xep0116::InitNamespace).isEmpty())) {
        // ESession negotiation first (messages 1-4; message 4 may carry a first <c/>, opened below
        // with the session it just established), then plain XEP-0155.
        const bool consumed = handleHandshakeMessage(element);
        if (consumed && !hasC(element))
            return true;
        if (!consumed && !hasC(element) && m_ssn->handleMessage(element))
            return true;
    }
    if (kind == u"message" && element.attribute(QStringLiteral("type")) == u"error" && !hasC(element)) {
        // The peer could not open a stanza of the session (a lost, duplicated or forged one): its side has
        // ended, so ours ends too, visibly; nothing of what was not confirmed is marked failed here, since ending
        // the session put it back in the outbox.
        const EngineOutput output = m_engine.handleNotAcceptable(element);
        process(output);
        return output.consumed;
    }
    if ((kind != u"message" && kind != u"presence" && kind != u"iq") || !hasC(element))
        return false;

    const QString from = element.attribute(QStringLiteral("from"));
    const QString id = element.attribute(QStringLiteral("id"));
    const QString thread = element.firstChildElement(Xep0200::ThreadElement).text();
    if (element.attribute(QStringLiteral("type")) == u"error") {
        // Our own <c/> bounced by a server: delivery failed; it is not an attack on the session.
        Q_EMIT undecryptable(from, thread, id, FailureCode::Bounced);
        return true;
    }
    const EngineOutput output = m_engine.openStanza(element, now());
    process(output);
    if (!output.error.isEmpty()) {
        Q_EMIT undecryptable(from, thread, id, output.error);
        return true;
    }
    if (output.stanza.isNull())
        return true; // a terminate form or its acknowledgement, handled by the engine
    if (kind == u"message") {
        QXmppMessage message;
        message.parse(output.stanza);
        message.setE2eeMetadata(esessionMetadata());
        injectMessage(std::move(message));
    } else if (kind == u"iq") {
        injectIq(output.stanza, esessionMetadata());
    } else {
        QXmppPresence presence;
        presence.parse(output.stanza);
        presence.setE2eeMetadata(esessionMetadata());
        Q_EMIT presenceDecrypted(presence);
    }
    return true;
}

QStringList EsessionExtension::discoveryFeatures() const
{
    // Stanza session negotiation is answered (XEP-0155); ESessions (XEP-0116/0217) once retained
    // secrets have a place to live.
    return m_engine.retainedSecretStore() ? EsessionHandshake::discoFeatures() : SsnNegotiation::discoFeatures();
}
