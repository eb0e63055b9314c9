#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

#include "EsessionKeys.h"
#include "SsnNegotiation.h"
#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"
#include "crypto/RsaKey.h"

// What this side allows in an ESession negotiation: read by the form codecs (EsessionForms.h), which decide an
// answer from an offer and this policy alone, and by the handshake (EsessionHandshake.h) that drives it.
namespace Esession {

/// The local rules of an ESession negotiation.
struct EsessionPolicy
{
    /// MODP groups offered (initiator: in this order, strongest first) and accepted (responder: the initiator's
    /// most preferred one that is listed here). Kept to 15 and 14 by default: 16–18 are much slower (a group-18
    /// handshake takes about a second here).
    QList<Crypto::ModpGroup> groups = { Crypto::ModpGroup::Group15, Crypto::ModpGroup::Group14 };
    /// The floor: a group with a shorter prime is never offered nor accepted, whatever `groups` says.
    Crypto::ModpGroup minimumGroup = Crypto::ModpGroup::Group14;
    /// `crypt_algs`, preferred first. Only AES-CTR exists here; sha256 and compress none are fixed.
    QList<Crypto::CtrCipher> ciphers = { Crypto::CtrCipher::Aes256, Crypto::CtrCipher::Aes128 };
    /// `sas_algs`: the verification codes offered (initiator, in this order) and accepted (responder: the first of
    /// this list that the initiator offered). By default only our committed SAS, which a man in the middle cannot
    /// grind; sas28x5 is added only where the user switched on compatibility with other ESession clients
    /// (docs/PROTOCOL-NOTES.md, "committed SAS"). A negotiation with nothing in common is refused.
    QList<SasAlgorithm> sasAlgorithms = { SasAlgorithm::Committed };
    /// `stanzas`: the stanza types the session encrypts (XEP-0116 names: message, iq, presence).
    QStringList stanzaTypes = { QStringLiteral("message"), QStringLiteral("iq"), QStringLiteral("presence") };
    /// `rekey_freq` (XEP-0116): the fewest stanzas a party sends between two of its re-keys. The initiator offers
    /// it; a responder answers the larger of this and the offer. 4294967295 means no re-keying (XEP-0217).
    quint32 rekeyFrequency = 100;
    /// The peer may see our presence: only then is a request answered (or refused) without asking the user
    /// (XEP-0155 §Presence Leaks; copied into `ssn`).
    bool mayRevealPresence = false;
    /// XEP-0116 "other shared secret" (e.g. a password agreed out of band, as UTF-8 of its NFC form), mixed into
    /// the final key. Both sides must hold the same one: nothing on the wire says one is in use, and a mismatch
    /// fails the identity check exactly as an attack would.
    QByteArray otherSecret;
    /// The XEP-0155 fields of the forms. `security` is always replaced by e2e: this engine never opens a session
    /// without end-to-end encryption.
    SsnPolicy ssn = SsnPolicy::defaults();

    // XEP-0116 public-key identities (init_pubkey / resp_pubkey = 'key', sign_algs xmldsig#rsa-sha256). With the
    // defaults below only 'none' is offered or accepted and the forms are those of XEP-0217. 'hash' (a fingerprint
    // instead of the key) is never offered nor accepted.

    /// Our signing key. Set: we present it ('key') when the peer asks for it. Unset: we can only present 'none'.
    std::optional<Crypto::RsaKey> identity;
    /// Whether the peer's key (DER, after its signature verified) is acceptable for its bare JID. Set: we ask the
    /// peer for its key ('key' first) and refuse a key it says no to. Unset: we never ask for a key.
    std::function<bool(const QString &bareJid, const QByteArray &publicKeyDer)> trustPeerKey;
    /// Whether a side may present no key ('none'). A session falls back to 'none' in one direction only when both
    /// policies allow it; false here means both directions must be 'key' or the negotiation is refused
    /// (not-acceptable on init_pubkey / resp_pubkey), so it needs `identity` and `trustPeerKey`.
    bool allowNoPublicKey = true;

    /// XEP-0116 3-message negotiation (SIGMA-I: e in message 1, Bob's identity in message 2). It shields the
    /// initiator's identity from active attackers but not the responder's, so XEP-0116/0188 say it SHOULD NOT be
    /// used between clients (it is meant for client-to-service sessions). Off: never requested, and a request is
    /// refused with feature-not-implemented (`dhkeys`). On: the initiator requests it and the responder accepts it,
    /// each only when its policy can present a key and check the peer's (`identity` and `trustPeerKey`: 'none' is
    /// not allowed in that flow) and holds no `otherSecret`; otherwise the initiator uses the 4-message flow and
    /// the responder refuses as when off. That flow has no SAS, no retained secret and no other secret: the peer is
    /// authenticated by its key and trustPeerKey alone, and the retained secrets stay as they were.
    bool allowThreeMessage = false;
};

} // namespace Esession
