#include "EncryptionText.h"

#include "session/ConversationSecurity.h"
#include "xmpp/EsessionExtension.h"

QString EncryptionText::failure(const QString &code, const QString &name, const QString &engineReason)
{
    if (code.isEmpty())
        return {};
    if (code == ConversationSecurity::CodesDiffer)
        return tr("The codes you compared with %1 did not match: someone may be in the middle. The session was ended.")
            .arg(name);
    if (code == ConversationSecurity::CannotStart)
        return tr("An encrypted session with %1 cannot be started now.").arg(name);
    if (code == EsessionExtension::NegotiationTimeout)
        return tr("%1 did not complete the encrypted session in time (their client may be offline or "
                  "unable to answer).")
            .arg(name);
    if (code == EsessionExtension::EndedByContact)
        return tr("%1 ended the encrypted session.").arg(name);
    if (code == EsessionExtension::OutOfStep || code == EsessionExtension::OpenFailed
        || code == EsessionExtension::SendFailed)
        return tr("The encrypted session with %1 broke: a message was lost, repeated or altered on the way. "
                  "Messages that were not confirmed go again in the next session.")
            .arg(name);
    if (code == EsessionExtension::RefusedAfterEstablishment)
        return tr("%1's client refused the end of the negotiation, so the session never started on their side.")
            .arg(name);
    if (code == EsessionExtension::EndedLocally)
        return tr("The encrypted session with %1 was ended.").arg(name);
    if (code == QStringLiteral("sas28x5-not-allowed"))
        return tr("%1's client only knows the older verification code (sas28x5), which someone in the middle can "
                  "fake. To talk to it anyway, switch on compatibility for this contact in Settings > Encryption.")
            .arg(name);
    if (code == QStringLiteral("identity-mac") || code == QStringLiteral("commitment")
        || code == QStringLiteral("nonce") || code == QStringLiteral("signature") || code == QStringLiteral("identity-key"))
        return tr("%1's identity could not be verified; someone may be interfering.").arg(name);
    if (code == QStringLiteral("untrusted-key"))
        return tr("%1 presented a public key this client does not trust.").arg(name);
    if (code == QStringLiteral("declined"))
        return tr("%1 declined the encrypted session.").arg(name);
    if (!engineReason.isEmpty())
        return engineReason;
    return tr("The encrypted session with %1 could not be set up.").arg(name);
}
