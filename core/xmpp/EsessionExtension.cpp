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
#include <QTextStream>

#include "Logging.h"
#include "esession/Constants.h"
#include "esession/FailureCodes.h"
#include "esession/FormNormalizer.h"
#include "esession/RetainedSecretStore.h"
#include "esession/SsnNegotiation.h"
#include "esession/StanzaCodec.h"
#include "SsnHandler.h"

using namespace Esession;

struct EsessionExtension::Session
{
    QString peer;
    QString thread;
    std::unique_ptr<StanzaCipher> cipher;
    bool ended = false;
    bool terminating = false; ///< our terminate form went out: nothing more is sent, the ack is awaited
    bool orderlyEnd = false; ///< ended by a terminate form (ours or the contact's), not by a failure
    QString endCode; ///< EsessionExtension's stable code for why it ended
};

namespace {

QString key(const QString &peer, const QString &thread)
{
    return peer + QChar(0) + thread;
}

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

const QString FeatureNegNamespace = QStringLiteral("http://jabber.org/protocol/feature-neg");
const QString DataFormsNamespace = QStringLiteral("jabber:x:data");
const QString InitNamespace = QStringLiteral("http://www.xmpp.org/extensions/xep-0116.html#ns-init");

QDomElement childNS(const QDomElement &parent, const QString &name, const QString &ns)
{
    return Esession::childElements(parent, name, ns).value(0);
}

// The data form of a feature-negotiation payload (XEP-0020) directly under @p stanza, or null.
QDomElement negotiationForm(const QDomElement &stanza)
{
    return childNS(childNS(stanza, QStringLiteral("feature"), FeatureNegNamespace), QStringLiteral("x"),
                   DataFormsNamespace);
}

QString fieldValue(const QDomElement &form, const QString &var)
{
    for (QDomElement field = form.firstChildElement(); !field.isNull(); field = field.nextSiblingElement()) {
        if (field.localName() == u"field" && field.attribute(QStringLiteral("var")) == var)
            return childNS(field, QStringLiteral("value"), DataFormsNamespace).text();
    }
    return {};
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
    // Negotiation messages travel in the clear by definition (XEP-0155, XEP-0116 messages 1-4); the
    // thread and the forms go as they are, byte for byte.
    QXmppMessage message;
    message.setTo(stanza.attribute(QStringLiteral("to")));
    if (stanza.hasAttribute(QStringLiteral("id")))
        message.setId(stanza.attribute(QStringLiteral("id")));
    const QString type = stanza.attribute(QStringLiteral("type"));
    message.setType(type == u"error"  ? QXmppMessage::Error
                    : type == u"chat" ? QXmppMessage::Chat
                                      : QXmppMessage::Normal);
    message.setExtensions(childrenAsExtensions(stanza));
    if (client())
        client()->send(std::move(message));
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
    return m_lastSessions.value(peerBareJid).sas;
}

bool EsessionExtension::verifySas(const QString &peerBareJid, const QString &sas)
{
    const auto last = m_lastSessions.constFind(peerBareJid);
    RetainedSecretStore *store = m_engine.retainedSecretStore();
    if (!store || last == m_lastSessions.constEnd() || last->sas.isEmpty() || sas != last->sas)
        return false;
    return store->markVerified(peerBareJid, last->newRetainedSecret);
}

bool EsessionExtension::handleHandshakeMessage(const QDomElement &element)
{
    // Plain XEP-0155 requests (and those of a contact with encryption off) are left to the SsnHandler, which
    // refuses e2e.
    const EngineOutput output = m_engine.handleMessage(element, now());
    process(output);
    return output.consumed;
}

void EsessionExtension::process(const EngineOutput &output, const QString &failureCode)
{
    for (const QDomElement &stanza : output.stanzas)
        sendRaw(stanza);
    armTimer();
    for (const EngineEvent &engineEvent : output.events) {
        const QString &thread = engineEvent.thread;
        const EsessionEvent &event = engineEvent.event;
        if (const auto *established = std::get_if<EsessionEstablished>(&event)) {
            m_lastSessions.insert(QXmppUtils::jidToBareJid(established->peerJid),
                                  {established->sas, established->newRetainedSecret});
            Q_EMIT retainedSecretCreated(QXmppUtils::jidToBareJid(established->peerJid), established->newRetainedSecret,
                                         established->sas);
            startSession(established->peerJid, thread, established->parameters);
            Q_EMIT esessionEstablished(established->peerJid, thread, established->sas,
                                       established->retainedSecretMatched && established->retainedSecretWasVerified,
                                       established->expectedSecretMissing, established->retainedSecretFormerJid,
                                       established->sasAlgorithm);
        } else if (const auto *failed = std::get_if<EsessionFailed>(&event)) {
            qCInfo(lcEsession) << "negotiation failed:" << failed->detail;
            // A refusal after the keys were handed over (the contact refused our message 4, or our message 3 in
            // the 3-message flow): the contact has no session, so ours must not go on sending into it.
            const QString peer = sessionPeer(engineEvent.peer, thread);
            if (Session *session = peer.isEmpty() ? nullptr : find(peer, thread); session && !session->ended)
                fail(session, RefusedAfterEstablishment);
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

bool EsessionExtension::terminateSession(const QString &peerJid, const QString &thread)
{
    const QString peer = sessionPeer(peerJid, thread);
    Session *session = peer.isEmpty() ? nullptr : find(peer, thread);
    if (!session || session->ended || session->terminating)
        return false;
    sendTerminateForm(session, false);
    // XEP-0217: nothing more is sent in this session; its receive keys wait for the acknowledgement, but not for
    // ever (XEP-0217 §terminate: the keys MUST be destroyed): after the limit they go, and what the contact did
    // not confirm waits for the next session, as after any end that proves nothing.
    session->terminating = true;
    QTimer::singleShot(m_terminationTimeout, this, [this, key = key(session->peer, thread)] {
        const std::shared_ptr<Session> pending = m_sessions.value(key);
        if (pending && pending->terminating && !pending->ended)
            fail(pending.get(), EndedUnacknowledged, true);
    });
    return true;
}

void EsessionExtension::sendTerminateForm(Session *session, bool acknowledgement)
{
    QDomDocument doc;
    QDomElement message = doc.createElementNS(Xep0200::ClientNamespace, QStringLiteral("message"));
    doc.appendChild(message);
    QDomElement feature = doc.createElementNS(FeatureNegNamespace, QStringLiteral("feature"));
    QDomElement x = doc.createElementNS(DataFormsNamespace, QStringLiteral("x"));
    x.setAttribute(QStringLiteral("type"), acknowledgement ? QStringLiteral("result") : QStringLiteral("submit"));
    const std::pair<QString, QString> fields[] = {{QStringLiteral("FORM_TYPE"), QStringLiteral("urn:xmpp:ssn")},
                                                  {QStringLiteral("terminate"), QStringLiteral("1")}};
    for (const auto &[var, value] : fields) {
        QDomElement field = doc.createElementNS(DataFormsNamespace, QStringLiteral("field"));
        field.setAttribute(QStringLiteral("var"), var);
        QDomElement valueElement = doc.createElementNS(DataFormsNamespace, QStringLiteral("value"));
        valueElement.appendChild(doc.createTextNode(value));
        field.appendChild(valueElement);
        x.appendChild(field);
    }
    feature.appendChild(x);
    message.appendChild(feature);
    QByteArray xml;
    {
        QTextStream stream(&xml);
        message.save(stream, -1);
    }
    QString error;
    const auto sealed = seal(session, xml, &error);
    if (!sealed) {
        qCInfo(lcEsession) << "could not send the terminate form:" << error;
        return;
    }
    QDomDocument threadDoc;
    QDomElement threadElement = threadDoc.createElement(Xep0200::ThreadElement);
    threadElement.appendChild(threadDoc.createTextNode(session->thread));
    QXmppMessage out;
    out.setTo(session->peer);
    out.setType(QXmppMessage::Chat);
    QXmppElementList extensions{QXmppElement(threadElement)};
    extensions << childrenAsExtensions(*sealed);
    out.setExtensions(extensions);
    client()->send(std::move(out));
}

int EsessionExtension::closeAll()
{
    int told = 0;
    const auto sessions = m_sessions.values();
    for (const std::shared_ptr<Session> &session : sessions) {
        if (session->ended)
            continue;
        if (!session->terminating && client() && client()->isConnected()) {
            sendTerminateForm(session.get(), false);
            ++told;
        }
        fail(session.get(), EndedOffline, true);
    }
    process(m_engine.abandonAll(), NegotiationAbandoned);
    return told;
}

bool EsessionExtension::holdsKeys() const
{
    for (const std::shared_ptr<Session> &session : m_sessions) {
        if (!session->ended)
            return true;
    }
    return m_engine.holdsSecrets();
}

void EsessionExtension::onRegistered(QXmppClient *client)
{
    QXmppClientExtension::onRegistered(client);
    // A session is bound to one resource of the contact: once that resource is gone, nothing sent into the
    // session can be read, so it ends here and what the user writes next waits for a new one. Unauthenticated,
    // like any presence: at worst a denial of service, never plaintext.
    // Our own stream is gone: the contact's server tells the contact we went offline, and its client ends the
    // session bound to our resource (as we do below for theirs). Ours ends too, with nothing sent, and what the
    // user writes next negotiates a new one once we are back.
    connect(client, &QXmppClient::disconnected, this, [this] {
        const auto sessions = m_sessions.values();
        for (const std::shared_ptr<Session> &session : sessions) {
            if (!session->ended)
                fail(session.get(), EndedOffline, true);
        }
        process(m_engine.abandonAll(), NegotiationAbandoned);
    });
    connect(client, &QXmppClient::presenceReceived, this, [this](const QXmppPresence &presence) {
        if (presence.type() != QXmppPresence::Unavailable)
            return;
        const auto sessions = m_sessions.values();
        for (const std::shared_ptr<Session> &session : sessions) {
            if (!session->ended && session->peer.compare(presence.from(), Qt::CaseInsensitive) == 0)
                fail(session.get(), ContactOffline);
        }
    });
}

bool EsessionExtension::endedOrderly(const QString &peerJid, const QString &thread) const
{
    const QString peer = sessionPeer(peerJid, thread);
    const Session *session = peer.isEmpty() ? nullptr : find(peer, thread);
    return session && session->ended && session->orderlyEnd;
}

bool EsessionExtension::handleTermination(Session *session, const QDomElement &opened)
{
    const QDomElement form = negotiationForm(opened);
    if (form.isNull() || fieldValue(form, QStringLiteral("FORM_TYPE")) != u"urn:xmpp:ssn")
        return false;
    const QString terminate = fieldValue(form, QStringLiteral("terminate"));
    if (terminate != u"1" && terminate != u"true")
        return false;
    const QString type = form.attribute(QStringLiteral("type"));
    if (type == u"result") {
        // The acknowledgement of our terminate: its MAC proved the contact received everything we sent.
        if (session->terminating)
            fail(session, EndedByUs, true);
        return true;
    }
    // The contact ends the session: acknowledge at once, encrypted, then destroy the keys.
    sendTerminateForm(session, true);
    fail(session, EndedByContact, true);
    return true;
}

EsessionExtension::~EsessionExtension() = default;

bool EsessionExtension::requestRekey(const QString &peerJid, const QString &thread)
{
    Session *session = find(peerJid, thread);
    return session && !session->ended && session->cipher->requestRekey();
}

void EsessionExtension::startSession(const QString &peerFullJid, const QString &thread, CipherParameters parameters)
{
    auto session = std::make_shared<Session>();
    session->peer = peerFullJid;
    session->thread = thread;
    session->cipher = std::make_unique<StanzaCipher>(std::move(parameters));
    m_sessions.insert(key(peerFullJid, thread), session);
    qCInfo(lcEsession) << "encrypted session started with" << peerFullJid;
    Q_EMIT sessionStarted(peerFullJid, thread);
}

QString EsessionExtension::sessionPeer(const QString &peerJid, const QString &thread) const
{
    if (const Session *exact = find(peerJid, thread))
        return exact->peer;
    if (peerJid.contains(u'/'))
        return {};
    QString ended;
    for (const auto &session : m_sessions) {
        if (session->thread != thread || !session->peer.startsWith(peerJid + u'/'))
            continue;
        if (!session->ended)
            return session->peer;
        ended = session->peer;
    }
    return ended;
}

void EsessionExtension::sendNotAcceptable(const QString &to, const QString &thread, const QString &id)
{
    QDomDocument doc;
    QDomElement threadElement = doc.createElement(Xep0200::ThreadElement);
    threadElement.appendChild(doc.createTextNode(thread));
    QXmppMessage error;
    error.setTo(to);
    error.setId(id);
    error.setType(QXmppMessage::Error);
    error.setError(QXmppStanza::Error(QXmppStanza::Error::Modify, QXmppStanza::Error::NotAcceptable,
                                      QStringLiteral("the encrypted session is out of step")));
    error.setExtensions({QXmppElement(threadElement)});
    client()->send(std::move(error));
}

void EsessionExtension::endSession(const QString &peerFullJid, const QString &thread)
{
    if (Session *session = find(peerFullJid, thread); session && !session->ended)
        fail(session, EndedLocally);
}

EsessionExtension::Session *EsessionExtension::find(const QString &peerJid, const QString &thread) const
{
    return m_sessions.value(key(peerJid, thread)).get();
}

EsessionExtension::Session *EsessionExtension::findForResource(const QString &peerFullJid) const
{
    Session *found = nullptr;
    for (const auto &session : m_sessions) {
        if (session->peer == peerFullJid) {
            if (found)
                return nullptr; // several sessions with that resource: a thread-less stanza is ambiguous
            found = session.get();
        }
    }
    return found;
}

EsessionExtension::SessionState EsessionExtension::sessionState(const QString &peerJid, const QString &thread) const
{
    const Session *session = find(peerJid, thread);
    return !session ? SessionState::None : (session->ended ? SessionState::Ended : SessionState::Active);
}

EsessionExtension::SessionState EsessionExtension::resourceSessionState(const QString &peerFullJid) const
{
    const Session *session = findForResource(peerFullJid);
    return !session ? SessionState::None : (session->ended ? SessionState::Ended : SessionState::Active);
}

void EsessionExtension::fail(Session *session, const QString &code, bool orderly)
{
    session->cipher->terminate();
    session->ended = true;
    session->terminating = false;
    session->orderlyEnd = orderly;
    session->endCode = code;
    qCInfo(lcEsession) << "encrypted session with" << session->peer << "ended:" << code;
    Q_EMIT sessionEnded(session->peer, session->thread, code);
}

std::optional<QDomElement> EsessionExtension::seal(Session *session, const QByteArray &stanzaXml, QString *error)
{
    if (session->ended) {
        *error = FailureCode::SessionEnded;
        return std::nullopt;
    }
    if (session->terminating) {
        *error = FailureCode::SessionEnding;
        return std::nullopt;
    }
    QDomDocument doc;
    if (!doc.setContent("<w xmlns=\"jabber:client\">" + stanzaXml + "</w>", true)) {
        *error = FailureCode::InvalidStanza;
        return std::nullopt;
    }
    QDomElement stanza = doc.documentElement().firstChildElement();
    // XEP-0200: re-key "as regularly as possible"; the cipher holds it back until rekey_freq allows.
    if (m_rekeyInterval > 0 && session->cipher->canRekey() && !session->cipher->isRekeyPending()
        && session->cipher->stanzasSentWithCurrentKey() + 1 >= quint64(m_rekeyInterval))
        session->cipher->requestRekey();
    if (const auto failure = encryptStanza(*session->cipher, stanza)) {
        *error = cipherErrorCode(*failure);
        if (session->cipher->isTerminated())
            fail(session, SendFailed);
        return std::nullopt;
    }
    return stanza;
}

QXmppTask<QXmppE2eeExtension::MessageEncryptResult>
EsessionExtension::encryptMessage(QXmppMessage &&message, const std::optional<QXmppSendStanzaParams> &)
{
    Session *session = find(message.to(), message.thread());
    if (!session) {
        return ready<MessageEncryptResult>(
            QXmppError{FailureCode::NoSession, {}});
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
    const auto sealed = seal(session, xml, &error);
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
    Session *session = findForResource(iq.to());
    if (!session) {
        return ready<IqEncryptResult>(
            QXmppError{FailureCode::NoSession, {}});
    }
    QString error;
    const auto sealed = seal(session, serialise(iq), &error);
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
    const QString from = element.attribute(QStringLiteral("from"));
    Session *session = findForResource(from);
    if (!hasC(element)) {
        // We asked inside a session: an answer in plaintext is refused, not taken as it is.
        if (session)
            return ready<IqDecryptResult>(QXmppError{FailureCode::UnencryptedAnswer, {}});
        return ready<IqDecryptResult>(NotEncrypted{});
    }
    QString code;
    auto opened = open(session, element, &code);
    if (!opened)
        return ready<IqDecryptResult>(QXmppError{code, {}});
    return ready<IqDecryptResult>(std::move(*opened));
}

std::optional<QDomElement> EsessionExtension::open(Session *session, const QDomElement &stanza, QString *code)
{
    if (!session) {
        *code = FailureCode::NoSession;
        return std::nullopt;
    }
    if (session->ended) {
        *code = FailureCode::SessionEnded;
        return std::nullopt;
    }
    auto result = decryptStanza(*session->cipher, stanza);
    if (auto *failure = std::get_if<OpenFailure>(&result)) {
        *code = failure->error == OpenError::Cipher ? cipherErrorCode(failure->cipherError)
                                                    : FailureCode::InvalidContent;
        fail(session, OpenFailed);
        return std::nullopt;
    }
    return std::get<QDomElement>(result);
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
    Session *session = findForResource(presence.to());
    if (!session)
        return client()->send(std::move(presence));
    QString error;
    const auto sealed = seal(session, serialise(presence), &error);
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
    if (kind == u"message" && (SsnNegotiation::isNegotiationMessage(element)
                               || !childNS(element, QStringLiteral("init"), InitNamespace).isNull())) {
        // ESession negotiation first (messages 1-4; message 4 may carry a first <c/>, opened below
        // with the session it just established), then plain XEP-0155.
        const bool consumed = handleHandshakeMessage(element);
        if (consumed && !hasC(element))
            return true;
        if (!consumed && !hasC(element) && m_ssn->handleMessage(element))
            return true;
    }
    if (kind == u"message" && element.attribute(QStringLiteral("type")) == u"error" && !hasC(element)) {
        // The peer could not open a stanza of the session (a lost, duplicated or forged one): its side
        // has ended, so ours ends too, visibly. Unauthenticated, like all error stanzas: at worst a
        // denial of service, never a downgrade.
        const QDomElement error = element.firstChildElement(QStringLiteral("error"));
        Session *session = find(element.attribute(QStringLiteral("from")),
                                element.firstChildElement(Xep0200::ThreadElement).text());
        if (session && !error.firstChildElement(QStringLiteral("not-acceptable")).isNull()) {
            // Every later stanza of the session gets the same answer: the first one ends it, and none of them
            // marks a message failed, since ending the session put what was not confirmed back in the outbox.
            if (!session->ended)
                fail(session, OutOfStep);
            return true;
        }
        return false;
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
    Session *session = kind == u"message" ? find(from, thread) : findForResource(from);
    QString code;
    const auto result = open(session, element, &code);
    if (!result) {
        // The sender is told (XEP-0200 not-acceptable) when we had a session with it there, active or already
        // ended (our keys went when we went offline), or a negotiation that never completed on our side (its
        // message 4 was lost, so the sender has keys we do not): its side ends too, and what it sent goes again in
        // a new session. A stranger's <c/> for a thread we never negotiated gets no answer (no presence leak).
        if (kind == u"message"
            && (session || m_engine.hasNegotiated(QXmppUtils::jidToBareJid(from), thread)))
            sendNotAcceptable(from, thread, id);
        Q_EMIT undecryptable(from, thread, id, code);
        return true;
    }
    const QDomElement &opened = *result;
    if (kind == u"message" && handleTermination(session, opened))
        return true;
    if (kind == u"message") {
        QXmppMessage message;
        message.parse(opened);
        message.setE2eeMetadata(esessionMetadata());
        injectMessage(std::move(message));
    } else if (kind == u"iq") {
        injectIq(opened, esessionMetadata());
    } else {
        QXmppPresence presence;
        presence.parse(opened);
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
