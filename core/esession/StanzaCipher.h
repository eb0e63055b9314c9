#pragma once

#include <QByteArray>
#include <QDomElement>
#include <QString>

#include <deque>
#include <memory>
#include <variant>

#include "BlockCounter.h"
#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"

class QDomDocument;

namespace Esession {

/// Keys and counter of one direction of an ESession (XEP-0200 KC, KM, C).
struct DirectionKeys
{
    QByteArray cipherKey; ///< KC: 16 bytes for aes128-ctr, 32 for aes256-ctr
    QByteArray macKey;    ///< KM: HMAC-SHA-256 key
    BlockCounter counter; ///< C: the next block counter value
};

/// What XEP-0200 re-keying needs from the negotiation (XEP-0116): our current Diffie-Hellman key (x or y,
/// with e or d), the peer's current public value, and the agreed `rekey_freq`. XEP-0217 sessions have none:
/// that profile removes re-keying.
struct RekeyParameters
{
    std::shared_ptr<const Crypto::DhKeyPair> ownKey;
    QByteArray peerValue; ///< the peer's public value as an MPI, already checked by the negotiation
    quint32 minimumStanzas = 1; ///< rekey_freq: stanzas a party sends between two of its re-keys (1 = every one)
};

/// What a negotiation (XEP-0116/0217) hands to the stanza layer.
struct CipherParameters
{
    Crypto::CtrCipher cipher = Crypto::CtrCipher::Aes128;
    DirectionKeys send;
    DirectionKeys receive;
    std::optional<RekeyParameters> rekey; ///< absent: a <key/> from the peer ends the session
};

/// Why a <c/> was refused. Every one of these ends the session (XEP-0200 §"Decrypting": the
/// receiver MUST terminate on a MAC mismatch or unparseable content; we treat malformed input alike).
enum class CipherError {
    Terminated,        ///< the session already ended; nothing is encrypted or decrypted any more
    MalformedElement,  ///< not a <c/>, an unknown or repeated child, bad Base64, missing <mac/>
    BadMac,            ///< tampered, replayed, reordered or lost stanza: the counters no longer agree
    RekeyUnsupported,  ///< a <key/> (DH re-key) arrived; not negotiated in this session
    BadRekeyValue,     ///< a <key/> whose DH value is not in [2, p-2] and the prime-order subgroup
    RekeyTooSoon,      ///< the peer re-keyed more often than the agreed rekey_freq allows
    TooLarge,          ///< over Xep0200::MaxPlaintext
    KeyExhausted,      ///< the key protected its maximum number of blocks; re-key or end the session
    CryptoFailure,     ///< the crypto provider failed
};

/// The stable code of @p error (FailureCodes.h), for logs and for the front ends to word.
QString cipherErrorCode(CipherError error);

/// The children of one <c/>, Base64 decoded, in any order on the wire (XEP-0200 §"Encrypting a Stanza":
/// data, key, new, old*, mac; the examples put <mac/> last, the schema does not).
struct CParts
{
    std::optional<QByteArray> data; ///< absent for an empty stanza (a bare re-key)
    std::optional<QByteArray> key;  ///< a re-key: the sender's new DH value (an MPI)
    std::optional<QString> newCount; ///< <new/> as written (checked against our re-keys by the cipher)
    QList<QByteArray> old;           ///< published expired MAC keys (ignored)
    QByteArray mac;
};

/// Parses a <c/>: exactly one <mac/>, at most one <data/>, <key/>, <new/>, any number of <old/>, all in
/// the XEP-0200 namespace, text only, strict Base64 (whitespace allowed). Anything else is MalformedElement.
[[nodiscard]] std::variant<CParts, CipherError> parseC(const QDomElement &c);

/// XEP-0200 stanza encryption for one ESession, sans I/O: content bytes in, a <c/> element out, and
/// back. AES-CTR with a fresh context per stanza, IV = the 16-byte counter, the counter advancing by
/// one per (partial) block; HMAC-SHA-256 over the normalised <c/> children followed by the counter
/// before encryption (minimal big-endian). The MAC is checked before anything is decrypted.
///
/// After the first refused stanza the cipher is terminated: keys are wiped and every later call
/// fails, so a session can never continue on counters that no longer agree.
///
/// Re-keying (XEP-0200 §"Re-Key Exchange", when the session has RekeyParameters): requestRekey() makes
/// the next stanza carry <key/> with a fresh DH value; that stanza still uses the old send keys, later
/// ones the new. Our pending receive sets {KC, KM, x} are kept oldest first, one per re-key the peer
/// has not confirmed with <new/>; a <key/> from the peer replaces the receive keys of every set (and our
/// send keys when only one set is kept). Counters carry on across re-keys. Expired MAC keys are
/// published in <old/> once no stanza can use them any more (repudiability).
class StanzaCipher
{
public:
    explicit StanzaCipher(CipherParameters parameters);
    ~StanzaCipher();
    StanzaCipher(const StanzaCipher &) = delete;
    StanzaCipher &operator=(const StanzaCipher &) = delete;

    /// Encrypts @p content (the serialised child elements, may be empty) into a new <c/> of @p doc.
    [[nodiscard]] std::variant<QDomElement, CipherError> encrypt(QDomDocument &doc, const QByteArray &content);
    /// Verifies and decrypts a received <c/>: the plaintext content bytes.
    [[nodiscard]] std::variant<QByteArray, CipherError> decrypt(const QDomElement &c);

    /// Asks for a re-key: the next stanza sent (as soon as rekey_freq allows) carries a new DH value.
    /// False when this session cannot re-key (no RekeyParameters) or has ended.
    bool requestRekey();
    bool canRekey() const { return !m_terminated && m_ownKeyGroup.has_value(); }
    bool isRekeyPending() const { return m_rekeyRequested; }
    /// Stanzas sent with the current send key (for a caller's "re-key every N stanzas" policy).
    quint64 stanzasSentWithCurrentKey() const { return m_stanzasSinceOwnRekey; }
    /// Re-keys this session has gone through, ours and the peer's.
    int rekeyCount() const { return m_rekeys; }
    /// Receive key sets kept, oldest first (1 + our re-keys the peer has not confirmed yet).
    int pendingReceiveSets() const { return int(m_receiveSets.size()); }

    /// Ends the session: wipes the keys; later calls fail with CipherError::Terminated.
    void terminate();
    bool isTerminated() const { return m_terminated; }

    BlockCounter sendCounter() const { return m_send.counter; }
    BlockCounter receiveCounter() const { return m_receiveCounter; }

    /// The MAC input for the given <c/> children (every child but <mac/>, in document order, as
    /// <name>text</name>) followed by the counter's minimal big-endian bytes. Exposed for tests.
    static QByteArray macInput(const QDomElement &c, const BlockCounter &counter);

    /// The four keys of one re-key from the new shared secret K (an MPI; XEP-0200: no hash of K, labels
    /// "Rekey Initiator/Acceptor Crypt/MAC", cipher keys from the least significant end of the HMAC).
    struct RekeyKeys
    {
        QByteArray initiatorCipher, initiatorMac, acceptorCipher, acceptorMac;
    };
    static RekeyKeys deriveRekeyKeys(Crypto::CtrCipher cipher, const QByteArray &sharedSecret);

private:
    /// One of our receive sets (XEP-0200 {KC_B, KM_B, x} seen from the sender A): the peer's keys
    /// towards us and the DH key of ours they belong to.
    struct ReceiveSet
    {
        QByteArray cipherKey;
        QByteArray macKey;
        std::shared_ptr<const Crypto::DhKeyPair> ownKey;
        QByteArray replacedSendMac; ///< our send MAC key this set's re-key retired (published on confirmation)
    };

    CipherError fail(CipherError error);
    void wipeAll();

    Crypto::CtrCipher m_cipher;
    DirectionKeys m_send;
    BlockCounter m_receiveCounter;
    std::deque<ReceiveSet> m_receiveSets;
    std::optional<Crypto::ModpGroup> m_ownKeyGroup;
    QByteArray m_peerValue;
    quint32 m_minimumStanzas = 1;
    quint64 m_blocksSent = 0;
    quint64 m_blocksReceived = 0;
    quint64 m_stanzasSinceOwnRekey = 0;
    quint64 m_stanzasSincePeerRekey = 0;
    int m_keysReceivedSinceSend = 0;
    QList<QByteArray> m_macKeysToPublish;
    bool m_rekeyRequested = false;
    int m_rekeys = 0;
    bool m_terminated = false;
};

} // namespace Esession
