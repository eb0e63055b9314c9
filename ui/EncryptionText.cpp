#include "EncryptionText.h"

#include "esession/FailureCodes.h"
#include "session/ConversationSecurity.h"
#include "xmpp/EsessionExtension.h"

namespace FC = Esession::FailureCode;

namespace {

bool oneOf(const QString &code, const QStringList &codes)
{
    return codes.contains(code);
}

} // namespace

QString EncryptionText::failure(const QString &code, const QString &name)
{
    if (code.isEmpty())
        return {};

    // The user's own decisions.
    if (code == ConversationSecurity::CodesDiffer)
        return tr("The codes you compared with %1 did not match: someone may be in the middle. The session was ended.")
            .arg(name);
    if (code == ConversationSecurity::CannotStart)
        return tr("An encrypted session with %1 cannot be started now.").arg(name);
    if (code == FC::DeclinedByUs)
        return tr("You declined %1's request for an encrypted session.").arg(name);

    // A session that was up and ended.
    if (code == EsessionExtension::EndedByContact)
        return tr("%1 ended the encrypted session.").arg(name);
    if (code == EsessionExtension::EndedByUs)
        return tr("You ended the encrypted session with %1.").arg(name);
    if (code == EsessionExtension::EndedUnacknowledged)
        return tr("You ended the encrypted session with %1, and their client did not confirm it in time. Messages "
                  "that were not confirmed go again in the next session.")
            .arg(name);
    if (code == EsessionExtension::EndedLocally)
        return tr("The encrypted session with %1 was ended.").arg(name);
    if (code == EsessionExtension::EndedOffline)
        return tr("The encrypted session with %1 ended when you went offline. A new one starts with your next "
                  "message, or with Retry.")
            .arg(name);
    if (code == EsessionExtension::ContactOffline)
        return tr("%1's client went offline, so the encrypted session ended. A new one starts with your next "
                  "message, or with Retry.")
            .arg(name);
    if (oneOf(code, { EsessionExtension::OutOfStep, EsessionExtension::OpenFailed, EsessionExtension::SendFailed }))
        return tr("The encrypted session with %1 broke: a message was lost, repeated or altered on the way. "
                  "Messages that were not confirmed go again in the next session.")
            .arg(name);

    // Nobody finished in time, or we left.
    if (code == EsessionExtension::NegotiationTimeout)
        return tr("%1 did not complete the encrypted session in time (their client may be offline or "
                  "unable to answer).")
            .arg(name);
    if (code == EsessionExtension::NegotiationAbandoned)
        return tr("You went offline before the encrypted session with %1 was set up. It is tried again when you "
                  "are back online, or with Retry.")
            .arg(name);
    if (code == FC::Abandoned)
        return tr("Setting up the encrypted session with %1 was given up. Retry to start again.").arg(name);

    // The contact said no.
    if (code == FC::Declined)
        return tr("%1 declined the encrypted session.").arg(name);
    if (oneOf(code, { FC::Cancelled, FC::Terminated }))
        return tr("%1 stopped the encrypted session while it was being set up. Retry to try again.").arg(name);
    if (code == FC::PeerError)
        return tr("%1's client refused the encrypted session: it may not support this kind of encryption, or not "
                  "with your settings. Retry later, or ask %1 which client they use.")
            .arg(name);

    // The contact's client could not verify us: its side has no session.
    if (oneOf(code, { FC::Message3Refused, FC::Message4Refused, EsessionExtension::RefusedAfterEstablishment }))
        return tr("%1's client could not verify this device, so the encrypted session did not start on their side. "
                  "Someone may be interfering. Retry; if it keeps failing, check with %1 in person or by phone.")
            .arg(name);

    // We could not verify the contact.
    if (oneOf(code,
            { FC::Nonce, FC::Commitment, FC::IdentityMac, FC::Identity, FC::IdentityKey, FC::Signature, FC::SasSecret,
                FC::Message4Form, FC::Message4Fields }))
        return tr("%1's identity could not be verified; someone may be interfering. Retry; if it keeps failing, "
                  "check with %1 in person or by phone before you trust this conversation.")
            .arg(name);
    if (code == FC::IdentityMacPassword)
        return tr("%1's identity could not be verified: the password you share with them differs from theirs, or "
                  "someone is interfering. Check the password with %1, then Retry.")
            .arg(name);
    if (code == FC::UntrustedKey)
        return tr("%1 presented a public key this device does not trust, so no encrypted session was set up. If "
                  "their key changed, confirm the new one with them in person.")
            .arg(name);

    // The two clients could not agree.
    if (code == FC::Sas28x5NotAllowed)
        return tr("%1's client only knows the older verification code (sas28x5), which someone in the middle can "
                  "fake. To talk to it anyway, choose \"Allow the older code…\" (or switch on compatibility for "
                  "this contact in Settings > Encryption).")
            .arg(name);
    if (oneOf(code, { FC::OfferNotAcceptable, FC::AnswerNotAcceptable }))
        return tr("%1's client and Sotto could not agree on how to encrypt: one of them asks for settings the other "
                  "does not accept (for example the key exchange groups in Settings > Encryption).")
            .arg(name);
    if (code == FC::NoEndToEnd)
        return tr("%1's client offered only a session that is not encrypted end to end, which Sotto never sets up.")
            .arg(name);
    if (oneOf(code, { FC::ThreeMessage, FC::ThreeMessageUnavailable }))
        return tr("%1's client asked for a kind of encrypted session without a verification code, which Sotto does "
                  "not set up with people. Start the encrypted session from your side with Retry.")
            .arg(name);
    if (oneOf(code, { FC::InvalidNegotiation, FC::CompletionNotAcceptable, FC::SasCommitment, FC::DhRange }))
        return tr("%1's client sent something Sotto cannot accept while setting up the encrypted session (it may "
                  "have been changed on the way). Retry; if it keeps failing, their client may not work with Sotto.")
            .arg(name);

    // This side could not do its part.
    if (code == FC::Policy)
        return tr("Your encryption settings leave nothing to offer %1. Check Settings > Encryption, then Retry.")
            .arg(name);
    if (code == FC::Random)
        return tr("This device could not produce the secure random numbers encryption needs, so no session with %1 "
                  "was set up. Retry; if it keeps failing, restart Sotto.")
            .arg(name);
    if (oneOf(code,
            { FC::DhGenerate, FC::DhDerive, FC::BuildRequest, FC::BuildAnswer, FC::NoRequestForm, FC::State,
                FC::SealMessage2, FC::Seal, FC::SealMessage4, FC::CompletionMismatch }))
        return tr("Sotto could not do its part in setting up the encrypted session with %1 (an internal error). "
                  "Retry; if it keeps failing, restart Sotto.")
            .arg(name);

    return tr("The encrypted session with %1 could not be set up.").arg(name);
}

QString EncryptionText::undecryptable(const QString &stored)
{
    const QString &code = stored;
    if (code == FC::NoSession)
        return tr("it was encrypted for a session this device does not have (another of your devices, or one "
                  "that was not set up here). Renegotiate to continue encrypted.");
    if (code == FC::SessionEnded)
        return tr("its encrypted session had already ended. Renegotiate, and the contact's client sends again what "
                  "did not arrive.");
    if (code == FC::CopyFromOtherDevice)
        return tr("it is a copy of a message from an encrypted session of another of your devices; only that device "
                  "can read it.");
    if (code == FC::Bounced)
        return tr("one of your encrypted messages came back undelivered.");
    if (code == FC::BadMac)
        return tr("it failed its integrity check: it was altered or repeated, or a message before it was lost. The "
                  "session was ended; Renegotiate, and the contact's client sends again what did not arrive.");
    if (oneOf(code, { FC::Malformed, FC::InvalidContent, FC::TooLarge }))
        return tr("it was damaged or not valid. The session was ended; Renegotiate, and the contact's client sends "
                  "again what did not arrive.");
    if (oneOf(code, { FC::RekeyUnsupported, FC::BadRekeyValue, FC::RekeyTooSoon }))
        return tr("the contact's client changed keys in a way this session does not allow. The session was ended; "
                  "Renegotiate to start a new one.");
    if (code == FC::KeyExhausted)
        return tr("the session's key was used up. Renegotiate to start a new session.");
    if (code == FC::CryptoFailure)
        return tr("the encryption library on this device failed. Renegotiate; if it keeps failing, restart Sotto.");
    // A sentence stored by an older version; or a code of a newer one, shown without its name.
    if (!FC::hasCodeShape(stored))
        return stored;
    return tr("this version of Sotto does not know why.");
}
