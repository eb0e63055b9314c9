#include "EsessionChannel.h"

#include "Constants.h"
#include "DataForm.h"
#include "FormConstants.h"
#include "FormNormalizer.h"
#include "Logging.h"
#include "StanzaCodec.h"

namespace Esession {

namespace {

/// The terminate form (XEP-0155 §terminate, carried over to ESessions by XEP-0217/0116) inside an opened message:
/// Submit when the contact ends the session, Result for the acknowledgement of ours, or nullopt when the message is
/// ordinary content.
std::optional<FormType> terminateForm(const QDomElement &opened)
{
    const QList<QDomElement> features = childElements(opened, Xep0020::FeatureElement, Xep0020::Namespace);
    if (features.size() != 1)
        return std::nullopt;
    const QList<QDomElement> forms = childElements(features.first(), Xep0004::XElement, Xep0004::Namespace);
    if (forms.size() != 1)
        return std::nullopt;
    const FormResult parsed = DataForm::parse(forms.first());
    const auto *form = std::get_if<DataForm>(&parsed);
    if (!form || form->formType() != Xep0155::FormType || form->booleanValue(Xep0155::Terminate) != true)
        return std::nullopt;
    // A result acknowledges ours; any other type (submit, as XEP-0155 writes it) ends the session.
    return form->type() == FormType::Result ? FormType::Result : FormType::Submit;
}

} // namespace

EsessionChannel::EsessionChannel(const QString &peerFullJid, const QString &thread, CipherParameters parameters)
    : m_peer(peerFullJid)
    , m_thread(thread)
    , m_cipher(std::make_unique<StanzaCipher>(std::move(parameters)))
{
}

EsessionChannel::~EsessionChannel() = default;

bool EsessionChannel::requestRekey()
{
    return isActive() && m_cipher->requestRekey();
}

ChannelResult EsessionChannel::seal(const QDomElement &stanza)
{
    ChannelResult result;
    if (m_state != State::Active) {
        result.error = m_state == State::Ended ? FailureCode::SessionEnded : FailureCode::SessionEnding;
        return result;
    }
    if (stanza.isNull()) {
        result.error = FailureCode::InvalidStanza;
        return result;
    }
    QDomDocument doc;
    QDomElement copy = doc.importNode(stanza, true).toElement();
    doc.appendChild(copy);
    // XEP-0200: re-key "as regularly as possible"; the cipher holds a request back until rekey_freq allows it.
    if (m_rekeyInterval > 0 && m_cipher->canRekey() && !m_cipher->isRekeyPending()
        && m_cipher->stanzasSentWithCurrentKey() + 1 >= quint64(m_rekeyInterval))
        m_cipher->requestRekey();
    if (const std::optional<CipherError> failure = encryptStanza(*m_cipher, copy)) {
        result.error = cipherErrorCode(*failure);
        if (m_cipher->isTerminated())
            finish(ChannelEnd::SendFailed, false, result);
        return result;
    }
    result.stanza = copy;
    result.documents << doc;
    return result;
}

ChannelResult EsessionChannel::open(const QDomElement &stanza)
{
    ChannelResult result;
    if (m_state == State::Ended) {
        result.error = FailureCode::SessionEnded;
        return result;
    }
    auto opened = decryptStanza(*m_cipher, stanza);
    if (const auto *failure = std::get_if<OpenFailure>(&opened)) {
        result.error = failure->error == OpenError::Cipher ? cipherErrorCode(failure->cipherError)
            : failure->error == OpenError::UnparseableContent ? FailureCode::InvalidContent
                                                               : cipherErrorCode(CipherError::MalformedElement);
        // XEP-0200: a stanza that does not open ends the session; the counters can no longer agree.
        finish(ChannelEnd::OpenFailed, false, result);
        return result;
    }
    ++m_opened;
    const QDomElement content = std::get<QDomElement>(opened);
    const std::optional<FormType> terminate
        = localNameOf(content) == Rfc6120::MessageElement ? terminateForm(content) : std::nullopt;
    if (!terminate) {
        // Content (also while we wait for the acknowledgement: it was sent before our terminate form arrived).
        result.stanza = content;
        return result;
    }
    if (*terminate == FormType::Result) {
        // The acknowledgement of our terminate form: its MAC proves the contact read everything we sent before it.
        if (m_state == State::Terminating)
            finish(ChannelEnd::ByUs, true, result);
        return result;
    }
    // The contact ends the session: acknowledge at once, encrypted, then destroy the keys (XEP-0217 §terminate).
    QDomDocument doc;
    const QDomElement ack = sealedTerminateForm(true, doc);
    if (!ack.isNull()) {
        result.send << ack;
        result.documents << doc;
    }
    finish(ChannelEnd::ByContact, true, result);
    return result;
}

ChannelResult EsessionChannel::terminate(std::chrono::steady_clock::time_point now, std::chrono::milliseconds timeout)
{
    ChannelResult result;
    if (m_state != State::Active)
        return result;
    QDomDocument doc;
    const QDomElement form = sealedTerminateForm(false, doc);
    if (form.isNull()) {
        // The cipher refused (its key used up, say): nothing can be said any more; the keys go now.
        finish(ChannelEnd::SendFailed, false, result);
        return result;
    }
    result.send << form;
    result.documents << doc;
    // XEP-0217: nothing more is sent in this session; the receive keys wait for the acknowledgement, not for ever
    // (the keys MUST be destroyed): after the limit they go anyway.
    m_state = State::Terminating;
    m_ackDeadline = now + timeout;
    return result;
}

ChannelResult EsessionChannel::peerReportedNotAcceptable()
{
    ChannelResult result;
    if (m_state != State::Ended)
        finish(ChannelEnd::OutOfStep, false, result);
    return result;
}

ChannelResult EsessionChannel::end(const QString &code, bool orderly)
{
    ChannelResult result;
    if (m_state != State::Ended)
        finish(code, orderly, result);
    return result;
}

std::optional<std::chrono::steady_clock::time_point> EsessionChannel::deadline() const
{
    return m_state == State::Terminating ? m_ackDeadline : std::nullopt;
}

ChannelResult EsessionChannel::handleTimeout(std::chrono::steady_clock::time_point now)
{
    ChannelResult result;
    if (m_state == State::Terminating && m_ackDeadline && *m_ackDeadline <= now)
        finish(ChannelEnd::Unacknowledged, true, result);
    return result;
}

QDomElement EsessionChannel::sealedTerminateForm(bool acknowledgement, QDomDocument &doc)
{
    QDomElement message = doc.createElementNS(Xep0200::ClientNamespace, Rfc6120::MessageElement);
    doc.appendChild(message);
    message.setAttribute(Rfc6120::ToAttribute, m_peer);
    message.setAttribute(Rfc6120::TypeAttribute, Rfc6120::MessageChat);
    QDomElement thread = doc.createElementNS(Xep0200::ClientNamespace, Xep0200::ThreadElement);
    thread.appendChild(doc.createTextNode(m_thread));
    message.appendChild(thread);
    DataForm form(acknowledgement ? FormType::Result : FormType::Submit);
    std::ignore = form.addField(makeField(Xep0004::FormTypeVar, { Xep0155::FormType }, FieldType::Hidden));
    std::ignore = form.addField(makeField(Xep0155::Terminate, { Xep0004::BooleanOne }));
    QDomElement feature = doc.createElementNS(Xep0020::Namespace, Xep0020::FeatureElement);
    feature.appendChild(form.toElement(doc));
    message.appendChild(feature);
    // Like every stanza of the session: for this resource only, never copied or archived by a server.
    for (const QString &hint : { QStringLiteral("no-copy"), QStringLiteral("no-permanent-store") })
        message.appendChild(doc.createElementNS(Xep0200::HintsNamespace, hint));
    message.appendChild(doc.createElementNS(Xep0200::CarbonsNamespace, QStringLiteral("private")));
    if (encryptStanza(*m_cipher, message))
        return {};
    return message;
}

void EsessionChannel::finish(const QString &code, bool orderly, ChannelResult &result)
{
    m_cipher->terminate();
    m_state = State::Ended;
    m_orderly = orderly;
    m_endCode = code;
    m_ackDeadline.reset();
    result.ended = code;
    qCInfo(lcEsession) << "encrypted session ended:" << code;
}

} // namespace Esession
