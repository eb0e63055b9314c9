#pragma once

#include <QString>
#include <QStringList>

// The stable codes of everything that goes wrong in an encrypted session, in one place: why a negotiation failed
// (EsessionFailed::detail), why the cipher refused a stanza (cipherErrorCode()), why an encrypted stanza could not
// be opened or sent (EsessionExtension). Lower-case kebab-case ASCII, never translated and never holding a value
// (no key, no nonce, no text of a message), so they may be logged as they are. They are stored too (a
// conversation's failure, the body of an undecryptable message): a code keeps its meaning once released. The
// engine and the glue only emit codes; the front ends (ui/EncryptionText, the CLI) word them for people.
namespace Esession::FailureCode {

// ---- Negotiation, EsessionFailure::LocalError: this side could not do its part.

/// The local policy leaves nothing to offer: no group above the floor, no cipher, no stanza type, no identity
/// mode, or no retained-secret store.
inline const QString Policy = QStringLiteral("policy");
/// No secure random numbers were available (a nonce, the initial counter, r_B).
inline const QString Random = QStringLiteral("random");
/// Our Diffie-Hellman key could not be created.
inline const QString DhGenerate = QStringLiteral("dh-generate");
/// The shared secret could not be computed from the contact's Diffie-Hellman value.
inline const QString DhDerive = QStringLiteral("dh-derive");
/// Message 1 (our offer) could not be built.
inline const QString BuildRequest = QStringLiteral("request");
/// Message 2 (our answer to an offer) could not be built or did not leave.
inline const QString BuildAnswer = QStringLiteral("answer");
/// Responder: the offer's normalised form or the retained-secret store is missing when the answer is built.
inline const QString NoRequestForm = QStringLiteral("no-request-form");
/// A step of the negotiation came in a state that cannot take it (an internal inconsistency).
inline const QString State = QStringLiteral("state");
/// XEP-0116 3-message flow: our identity could not be sealed into message 2.
inline const QString SealMessage2 = QStringLiteral("seal-message-2");
/// Our identity could not be sealed into message 3.
inline const QString Seal = QStringLiteral("seal");
/// Message 4 (the responder's identity) could not be built.
inline const QString SealMessage4 = QStringLiteral("seal-message-4");
/// Message 3 as the XEP-0155 layer built it differs from form_A2, which our identity MAC covers: not sent.
inline const QString CompletionMismatch = QStringLiteral("completion-mismatch");

// ---- Negotiation, EsessionFailure::Abandoned.

/// abandon(): given up locally (time-out, going offline); EsessionExtension reports it as "timeout" or "offline".
inline const QString Abandoned = QStringLiteral("abandoned");

// ---- Negotiation, EsessionFailure::RefusedByPeer: the contact's side said no (EsessionFailed::received).

/// The contact declined our request (XEP-0155 accept=0).
inline const QString Declined = QStringLiteral("declined");
/// The contact cancelled the negotiation after answering it (XEP-0155 [5]).
inline const QString Cancelled = QStringLiteral("cancelled");
/// The contact's client answered our request with an error stanza (e.g. no ESession support, nothing in common).
inline const QString PeerError = QStringLiteral("peer-error");
/// The contact's client refused our message 3: it could not verify our identity, or refused the message.
inline const QString Message3Refused = QStringLiteral("message-3-refused");
/// The initiator refused our message 4: it could not verify our identity (or the keys differ), so it has no
/// session.
inline const QString Message4Refused = QStringLiteral("message-4-refused");
/// The contact ended the negotiation (XEP-0155 terminate) before it was complete.
inline const QString Terminated = QStringLiteral("terminated");

// ---- Negotiation, EsessionFailure::RefusedByUs: we refused what the contact sent (EsessionFailed::sent).

/// We declined the contact's request (decline()).
inline const QString DeclinedByUs = QStringLiteral("declined-by-us");
/// The XEP-0155 layer refused the contact's negotiation message (a malformed form, an invalid control field, a
/// request in the wrong state) or ended a negotiation that waited for the contact.
inline const QString InvalidNegotiation = QStringLiteral("invalid-negotiation");
/// The contact asked for the XEP-0116 3-message negotiation, which our policy does not allow.
inline const QString ThreeMessage = QStringLiteral("three-message");
/// The contact asked for the 3-message negotiation, which our policy allows, but this side cannot take part: no key
/// of its own, no trust decision for the contact's key, or a shared password (which that flow cannot check).
inline const QString ThreeMessageUnavailable = QStringLiteral("three-message-unavailable");
/// Message 1 has no acceptable option for some field (EsessionFailed::sent names them).
inline const QString OfferNotAcceptable = QStringLiteral("offer-not-acceptable");
/// Message 1 or 2 leaves only the sas28x5 verification code, which only compatibility mode accepts.
inline const QString Sas28x5NotAllowed = QStringLiteral("sas28x5-not-allowed");
/// Message 2 chose something we never offered, or lacks a field (EsessionFailed::sent names them).
inline const QString AnswerNotAcceptable = QStringLiteral("answer-not-acceptable");
/// Message 2 accepts only a session without end-to-end encryption (XEP-0155 security).
inline const QString NoEndToEnd = QStringLiteral("no-e2e");
/// Message 2 chose our committed SAS but holds no valid commitment to r_B.
inline const QString SasCommitment = QStringLiteral("sas-commitment");
/// Message 3 lacks a field or repeats one (EsessionFailed::sent names them).
inline const QString CompletionNotAcceptable = QStringLiteral("completion-not-acceptable");
/// The contact's Diffie-Hellman value is outside 1 < e < p-1 or the prime-order subgroup (XEP-0116).
inline const QString DhRange = QStringLiteral("dh-range");

// ---- Negotiation, EsessionFailure::IdentityNotVerified: a proof of the contact failed (an attack, a different
// shared password, or a bug).

/// The nonce echoed in message 3 or 4 is not ours: a message of another negotiation (replayed or reflected).
inline const QString Nonce = QStringLiteral("nonce");
/// Message 3's e does not match the hash committed to in message 1 (XEP-0116 He).
inline const QString Commitment = QStringLiteral("commitment");
/// M_A or M_B (the MAC over the encrypted identity) does not verify: other keys than ours, or a changed identity.
inline const QString IdentityMac = QStringLiteral("identity-mac");
/// M_B does not verify while a shared password (XEP-0116 "other shared secret") is in the key: the passwords
/// differ, or someone is interfering.
inline const QString IdentityMacPassword = QStringLiteral("identity-mac-password");
/// mac_A or mac_B inside the identity does not match the forms and values of this negotiation.
inline const QString Identity = QStringLiteral("identity");
/// A 'key' identity that is not an RSA KeyValue and a SignatureValue.
inline const QString IdentityKey = QStringLiteral("identity-key");
/// The identity's signature does not verify with the key it names.
inline const QString Signature = QStringLiteral("signature");
/// The contact's key proved itself but the trust policy does not accept it for the contact's JID.
inline const QString UntrustedKey = QStringLiteral("untrusted-key");
/// Message 4's r_B does not open the commitment of message 2 (or is missing).
inline const QString SasSecret = QStringLiteral("sas-secret");
/// Message 4 holds no result form of XEP-0155.
inline const QString Message4Form = QStringLiteral("message-4-form");
/// Message 4 lacks nonce, srshash, identity or mac, or holds one of them twice.
inline const QString Message4Fields = QStringLiteral("message-4-fields");

// ---- A stanza of an established session that the cipher refused (cipherErrorCode(); XEP-0200). Each ends the
// session.

/// The session had already ended: nothing is encrypted or decrypted any more.
inline const QString SessionEnded = QStringLiteral("session-ended");
/// Not a valid <c/>: an unknown or repeated child, bad Base64, no <mac/>.
inline const QString Malformed = QStringLiteral("malformed");
/// The MAC does not verify: tampered, replayed, reordered or lost stanzas; the counters no longer agree.
inline const QString BadMac = QStringLiteral("bad-mac");
/// A re-key (<key/>) in a session negotiated without re-keying.
inline const QString RekeyUnsupported = QStringLiteral("rekey-unsupported");
/// A re-key whose Diffie-Hellman value is out of range.
inline const QString BadRekeyValue = QStringLiteral("bad-rekey-value");
/// The contact re-keyed more often than the agreed rekey_freq allows.
inline const QString RekeyTooSoon = QStringLiteral("rekey-too-soon");
/// Over the largest payload this client takes.
inline const QString TooLarge = QStringLiteral("too-large");
/// The key protected its maximum number of blocks; a new key or session is needed.
inline const QString KeyExhausted = QStringLiteral("key-exhausted");
/// The crypto provider failed.
inline const QString CryptoFailure = QStringLiteral("crypto-failure");

// ---- An encrypted stanza that could not be opened (EsessionExtension::undecryptable), besides the cipher's codes.

/// Encrypted for a session this device does not have (another device's, or one that never completed here).
inline const QString NoSession = QStringLiteral("no-session");
/// The decrypted content is not well-formed XML or holds markup that must not be inside.
inline const QString InvalidContent = QStringLiteral("invalid-content");
/// A copy of a session's message (carbons, archive): only the device in the session can open it.
inline const QString CopyFromOtherDevice = QStringLiteral("copy-from-other-device");
/// One of our own encrypted stanzas came back as an error: it was not delivered.
inline const QString Bounced = QStringLiteral("bounced");

// ---- A stanza that could not be sent or taken in a session (the description of QXmpp's error; logged only).

/// Our terminate went out: nothing more is sent in the session.
inline const QString SessionEnding = QStringLiteral("session-ending");
/// The stanza to encrypt could not be read back as XML.
inline const QString InvalidStanza = QStringLiteral("invalid-stanza");
/// The answer to an iq sent inside a session came unencrypted.
inline const QString UnencryptedAnswer = QStringLiteral("unencrypted-answer");

/// Whether @p text has the shape of a code: lower-case ASCII letters and digits in words joined by single hyphens.
/// (Stored text without it is a sentence written by a version from before these codes.)
inline bool hasCodeShape(const QString &text)
{
    if (text.isEmpty() || text.startsWith(u'-') || text.endsWith(u'-') || text.contains(QStringLiteral("--")))
        return false;
    for (const QChar c : text) {
        if (!((c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'-'))
            return false;
    }
    return true;
}

/// Every EsessionFailed::detail the engine emits.
inline QStringList negotiationCodes()
{
    return { Policy, Random, DhGenerate, DhDerive, BuildRequest, BuildAnswer, NoRequestForm, State, SealMessage2, Seal,
        SealMessage4, CompletionMismatch, Abandoned, Declined, Cancelled, PeerError, Message3Refused, Message4Refused,
        Terminated, DeclinedByUs, InvalidNegotiation, ThreeMessage, ThreeMessageUnavailable, OfferNotAcceptable,
        Sas28x5NotAllowed, AnswerNotAcceptable, NoEndToEnd, SasCommitment, CompletionNotAcceptable, DhRange, Nonce,
        Commitment, IdentityMac, IdentityMacPassword, Identity, IdentityKey, Signature, UntrustedKey, SasSecret,
        Message4Form, Message4Fields };
}

/// Every code of cipherErrorCode().
inline QStringList cipherCodes()
{
    return { SessionEnded, Malformed, BadMac, RekeyUnsupported, BadRekeyValue, RekeyTooSoon, TooLarge, KeyExhausted,
        CryptoFailure };
}

/// Every code an undecryptable stanza is reported with (EsessionExtension::undecryptable): the cipher's and these.
inline QStringList undecryptableCodes()
{
    return cipherCodes() + QStringList { NoSession, InvalidContent, CopyFromOtherDevice, Bounced };
}

/// The codes only a refused send or iq answer gives (besides NoSession, SessionEnded and the cipher's codes). Never
/// shown: the outbox logs them and keeps the message for the next session.
inline QStringList sendCodes()
{
    return { SessionEnding, InvalidStanza, UnencryptedAnswer };
}

} // namespace Esession::FailureCode
