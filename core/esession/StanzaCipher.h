#pragma once

#include <QByteArray>
#include <QDomElement>
#include <QString>

#include <variant>

#include "BlockCounter.h"
#include "crypto/Crypto.h"

class QDomDocument;

namespace Esession {

/// Keys and counter of one direction of an ESession (XEP-0200 KC, KM, C).
struct DirectionKeys
{
    QByteArray cipherKey; ///< KC: 16 bytes for aes128-ctr, 32 for aes256-ctr
    QByteArray macKey;    ///< KM: HMAC-SHA-256 key
    BlockCounter counter; ///< C: the next block counter value
};

/// What a negotiation (XEP-0116/0217) hands to the stanza layer.
struct CipherParameters
{
    Crypto::CtrCipher cipher = Crypto::CtrCipher::Aes128;
    DirectionKeys send;
    DirectionKeys receive;
};

/// Why a <c/> was refused. Every one of these ends the session (XEP-0200 §"Decrypting": the
/// receiver MUST terminate on a MAC mismatch or unparseable content; we treat malformed input alike).
enum class CipherError {
    Terminated,        ///< the session already ended; nothing is encrypted or decrypted any more
    MalformedElement,  ///< not a <c/>, an unknown or repeated child, bad Base64, missing <mac/>
    BadMac,            ///< tampered, replayed, reordered or lost stanza: the counters no longer agree
    RekeyUnsupported,  ///< a <key/> (DH re-key) arrived; not negotiated in this session
    TooLarge,          ///< over Xep0200::MaxPlaintext
    KeyExhausted,      ///< the key protected its maximum number of blocks; re-key or end the session
    CryptoFailure,     ///< the crypto provider failed
};

QString describe(CipherError error);

/// XEP-0200 stanza encryption for one ESession, sans I/O: content bytes in, a <c/> element out, and
/// back. AES-CTR with a fresh context per stanza, IV = the 16-byte counter, the counter advancing by
/// one per (partial) block; HMAC-SHA-256 over the normalised <c/> children followed by the counter
/// before encryption (minimal big-endian). The MAC is checked before anything is decrypted.
///
/// After the first refused stanza the cipher is terminated: keys are wiped and every later call
/// fails, so a session can never continue on counters that no longer agree.
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

    /// Ends the session: wipes the keys; later calls fail with CipherError::Terminated.
    void terminate();
    bool isTerminated() const { return m_terminated; }

    BlockCounter sendCounter() const { return m_params.send.counter; }
    BlockCounter receiveCounter() const { return m_params.receive.counter; }

    /// The MAC input for the given <c/> children (every child but <mac/>, in document order, as
    /// <name>text</name>) followed by the counter's minimal big-endian bytes. Exposed for tests.
    static QByteArray macInput(const QDomElement &c, const BlockCounter &counter);

private:
    CipherError fail(CipherError error);

    CipherParameters m_params;
    quint64 m_blocksSent = 0;
    quint64 m_blocksReceived = 0;
    bool m_terminated = false;
};

} // namespace Esession
