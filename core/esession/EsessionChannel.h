#pragma once

#include <QDomDocument>
#include <QDomElement>
#include <QList>
#include <QString>

#include <chrono>
#include <memory>
#include <optional>

#include "FailureCodes.h"
#include "StanzaCipher.h"

namespace Esession {

/// Why a live session ended: stable codes, for the layers above to decide on and to word.
namespace ChannelEnd {
inline const QString ByUs = QStringLiteral("ended-by-us"); ///< our terminate form, acknowledged
inline const QString Offline = QStringLiteral("ended-offline"); ///< we went offline (or closed every session)
/// Our terminate form was never acknowledged in time: the keys were destroyed anyway.
inline const QString Unacknowledged = QStringLiteral("ended-unacknowledged");
inline const QString ByContact = QStringLiteral("ended-by-contact"); ///< the contact's terminate form
inline const QString Locally = QStringLiteral("ended-locally"); ///< ended on our side (e.g. the codes differed)
inline const QString OutOfStep = QStringLiteral("out-of-step"); ///< the contact could not open one of our stanzas
inline const QString OpenFailed = QStringLiteral("open-failed"); ///< we could not open one of the contact's stanzas
inline const QString SendFailed = QStringLiteral("send-failed"); ///< the cipher refused to go on sending
/// The contact refused the end of the negotiation after our side had its keys (message 4 or 3 refused).
inline const QString RefusedAfterEstablishment = QStringLiteral("refused-after-establishment");
inline const QString ContactOffline = QStringLiteral("contact-offline"); ///< the session's resource went offline
} // namespace ChannelEnd

/// What one call on a channel produced.
struct ChannelResult
{
    /// seal(): the sealed stanza; open(): the opened stanza for the client (null for a terminate form or its
    /// acknowledgement, which the channel handles itself). Null whenever error is set.
    QDomElement stanza;
    QString error; ///< empty on success, else why nothing was sealed or opened (FailureCode)
    QList<QDomElement> send; ///< stanzas the channel wants sent as they are (a terminate form, its acknowledgement)
    QList<QDomDocument> documents; ///< keeps their documents alive
    QString ended; ///< the channel ended in this call, with this code (ChannelEnd)
};

/// One live ESession (XEP-0200 over keys from XEP-0116/0217), sans I/O: a peer's full JID, a thread, and the
/// StanzaCipher with its keys. It seals and opens stanzas, ends the session the ESession way (an encrypted
/// terminate form, answered by an encrypted acknowledgement: XEP-0217/0116 §terminate), and keeps its own
/// deadline for an acknowledgement that never comes.
///
///     Active ──terminate()──▶ Terminating ──ack / deadline──▶ Ended{orderly}
///       │                         │
///       └── terminate form from the contact (acknowledged) ──▶ Ended{orderly}
///       └── a stanza that does not open, the contact's not-acceptable, end() ──▶ Ended{failed}
///
/// Once ended, the keys are wiped and nothing is sealed or opened again.
class EsessionChannel
{
public:
    enum class State { Active, Terminating, Ended };

    /// How long a terminate form waits for its acknowledgement before the keys go anyway.
    static constexpr std::chrono::milliseconds DefaultTerminationTimeout = std::chrono::seconds(10);

    EsessionChannel(const QString &peerFullJid, const QString &thread, CipherParameters parameters);
    ~EsessionChannel();
    EsessionChannel(const EsessionChannel &) = delete;
    EsessionChannel &operator=(const EsessionChannel &) = delete;

    const QString &peer() const { return m_peer; }
    const QString &thread() const { return m_thread; }
    State state() const { return m_state; }
    bool isActive() const { return m_state == State::Active; }
    bool isEnded() const { return m_state == State::Ended; }
    /// Ended by a terminate form (ours or the contact's), or by going offline: nothing was lost on the way.
    bool endedOrderly() const { return m_orderly; }
    const QString &endCode() const { return m_endCode; }
    /// Whether a stanza of the contact was opened: proof that its side has the keys.
    bool hasOpenedFromPeer() const { return m_opened > 0; }
    /// Whether any key is still held (false once ended).
    bool holdsKeys() const { return !m_cipher->isTerminated(); }

    /// Re-key on our own after this many stanzas sent with one key (0: only on request), within rekey_freq.
    void setRekeyInterval(int stanzas) { m_rekeyInterval = stanzas; }
    /// Asks for a re-key (XEP-0200): the next stanza carries a new DH value. False when the session cannot.
    bool requestRekey();
    const StanzaCipher &cipher() const { return *m_cipher; }

    /// Seals a copy of @p stanza (a <message/>, <presence/> or <iq/>): its encryptable children become one <c/>.
    /// Refused (error set) once ended or while terminating; a cipher that refuses to go on ends the channel.
    ChannelResult seal(const QDomElement &stanza);
    /// Opens a stanza holding a <c/> from the peer. A terminate form is acknowledged (result.send) and ends the
    /// channel; the acknowledgement of ours ends it too. A stanza that does not open ends the channel (OpenFailed).
    ChannelResult open(const QDomElement &stanza);

    /// Ends the session the ESession way: returns the sealed terminate form to send; the channel waits for the
    /// acknowledgement until now + @p timeout (see deadline()). Nothing when not active.
    ChannelResult terminate(std::chrono::steady_clock::time_point now,
                            std::chrono::milliseconds timeout = DefaultTerminationTimeout);
    /// The contact could not open one of our stanzas (its not-acceptable error): the session ends (OutOfStep).
    ChannelResult peerReportedNotAcceptable();
    /// Ends the session here, with @p code (ChannelEnd); the keys are wiped at once. Nothing when already ended.
    ChannelResult end(const QString &code, bool orderly);

    /// When handleTimeout() must be called: while terminating, the end of the wait for the acknowledgement.
    std::optional<std::chrono::steady_clock::time_point> deadline() const;
    /// Ends a terminating channel whose acknowledgement did not come by @p now (ChannelEnd::Unacknowledged).
    ChannelResult handleTimeout(std::chrono::steady_clock::time_point now);

private:
    /// A <message/> to the peer in our thread with the terminate form (submit, or result for the acknowledgement),
    /// sealed; null when the cipher refused.
    QDomElement sealedTerminateForm(bool acknowledgement, QDomDocument &doc);
    void finish(const QString &code, bool orderly, ChannelResult &result);

    QString m_peer;
    QString m_thread;
    std::unique_ptr<StanzaCipher> m_cipher;
    State m_state = State::Active;
    bool m_orderly = false;
    QString m_endCode;
    quint64 m_opened = 0;
    int m_rekeyInterval = 0;
    std::optional<std::chrono::steady_clock::time_point> m_ackDeadline;
};

} // namespace Esession
