#include "StanzaCipher.h"

#include <QDomDocument>
#include <QSet>

#include "Constants.h"
#include "FailureCodes.h"
#include "Logging.h"

namespace Esession {

namespace {

// Strict Base64: whitespace (allowed between the characters on the wire) removed, anything else invalid.
std::optional<QByteArray> decodeBase64(const QString &text)
{
    QByteArray compact = text.toLatin1();
    if (compact.contains(' ') || compact.contains('\n') || compact.contains('\r') || compact.contains('\t'))
        compact.removeIf([](char ch) { return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t'; });
    auto result = QByteArray::fromBase64Encoding(std::move(compact), QByteArray::AbortOnBase64DecodingErrors);
    if (!result)
        return std::nullopt;
    return std::move(*result);
}

void wipe(QByteArray &bytes)
{
    bytes.fill('\0');
    bytes.clear();
}

QDomElement appendText(QDomDocument &doc, QDomElement &parent, const QString &name, const QString &text)
{
    QDomElement child = doc.createElementNS(Xep0200::Namespace, name);
    child.appendChild(doc.createTextNode(text));
    parent.appendChild(child);
    return child;
}

} // namespace

QString cipherErrorCode(CipherError error)
{
    switch (error) {
    case CipherError::Terminated:
        return FailureCode::SessionEnded;
    case CipherError::MalformedElement:
        return FailureCode::Malformed;
    case CipherError::BadMac:
        return FailureCode::BadMac;
    case CipherError::RekeyUnsupported:
        return FailureCode::RekeyUnsupported;
    case CipherError::BadRekeyValue:
        return FailureCode::BadRekeyValue;
    case CipherError::RekeyTooSoon:
        return FailureCode::RekeyTooSoon;
    case CipherError::TooLarge:
        return FailureCode::TooLarge;
    case CipherError::KeyExhausted:
        return FailureCode::KeyExhausted;
    case CipherError::CryptoFailure:
        return FailureCode::CryptoFailure;
    }
    return FailureCode::CryptoFailure;
}

std::variant<CParts, CipherError> parseC(const QDomElement &c)
{
    if (c.namespaceURI() != Xep0200::Namespace || c.localName() != Xep0200::CElement)
        return CipherError::MalformedElement;
    CParts parts;
    bool haveMac = false;
    for (QDomElement child = c.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        const QString name = child.localName();
        if (child.namespaceURI() != Xep0200::Namespace || child.firstChildElement().isElement())
            return CipherError::MalformedElement;
        if (name == Xep0200::New) {
            if (parts.newCount)
                return CipherError::MalformedElement;
            parts.newCount = child.text();
            continue;
        }
        if (name != Xep0200::Data && name != Xep0200::Key && name != Xep0200::Mac && name != Xep0200::Old)
            return CipherError::MalformedElement;
        auto decoded = decodeBase64(child.text());
        if (!decoded)
            return CipherError::MalformedElement;
        if (name == Xep0200::Old) {
            parts.old << std::move(*decoded);
        } else if (name == Xep0200::Mac) {
            if (haveMac)
                return CipherError::MalformedElement;
            haveMac = true;
            parts.mac = std::move(*decoded);
        } else {
            std::optional<QByteArray> &slot = name == Xep0200::Data ? parts.data : parts.key;
            if (slot)
                return CipherError::MalformedElement;
            slot = std::move(*decoded);
        }
    }
    if (!haveMac)
        return CipherError::MalformedElement;
    return parts;
}

StanzaCipher::StanzaCipher(CipherParameters parameters)
    : m_cipher(parameters.cipher)
    , m_send(std::move(parameters.send))
    , m_receiveCounter(parameters.receive.counter)
{
    ReceiveSet first{std::move(parameters.receive.cipherKey), std::move(parameters.receive.macKey), {}, {}};
    if (parameters.rekey && parameters.rekey->ownKey) {
        first.ownKey = std::move(parameters.rekey->ownKey);
        m_ownKeyGroup = first.ownKey->group();
        m_peerValue = std::move(parameters.rekey->peerValue);
        m_minimumStanzas = qMax<quint32>(1, parameters.rekey->minimumStanzas);
    }
    m_receiveSets.push_back(std::move(first));
}

StanzaCipher::~StanzaCipher()
{
    wipeAll();
}

void StanzaCipher::wipeAll()
{
    wipe(m_send.cipherKey);
    wipe(m_send.macKey);
    for (ReceiveSet &set : m_receiveSets) {
        wipe(set.cipherKey);
        wipe(set.macKey);
        wipe(set.replacedSendMac);
    }
    m_receiveSets.clear(); // drops our DH private keys with them
    for (QByteArray &key : m_macKeysToPublish)
        wipe(key);
    m_macKeysToPublish.clear();
    m_rekeyRequested = false;
}

void StanzaCipher::terminate()
{
    m_terminated = true;
    wipeAll();
}

CipherError StanzaCipher::fail(CipherError error)
{
    qCInfo(lcEsession) << "encrypted session ends:" << cipherErrorCode(error);
    terminate();
    return error;
}

bool StanzaCipher::requestRekey()
{
    if (!canRekey())
        return false;
    m_rekeyRequested = true;
    return true;
}

StanzaCipher::RekeyKeys StanzaCipher::deriveRekeyKeys(Crypto::CtrCipher cipher, const QByteArray &sharedSecret)
{
    // "as many bits ... as are needed for each key MUST be taken from the least significant bits": the
    // tail of the big-endian HMAC output. MAC keys take the whole output (the maximum length).
    const int cipherKeyLength = Crypto::keyLength(cipher);
    auto derive = [&sharedSecret](const char *label) {
        return Crypto::hmacSha256(sharedSecret, QByteArray(label));
    };
    return {derive("Rekey Initiator Crypt").right(cipherKeyLength), derive("Rekey Initiator MAC"),
            derive("Rekey Acceptor Crypt").right(cipherKeyLength), derive("Rekey Acceptor MAC")};
}

QByteArray StanzaCipher::macInput(const QDomElement &c, const BlockCounter &counter)
{
    QByteArray input;
    for (QDomElement child = c.firstChildElement(); !child.isNull(); child = child.nextSiblingElement()) {
        if (child.localName() == Xep0200::Mac)
            continue;
        const QByteArray name = child.localName().toUtf8();
        input += '<' + name + '>' + child.text().toUtf8() + "</" + name + '>';
    }
    return input + counter.mpi();
}

std::variant<QDomElement, CipherError> StanzaCipher::encrypt(QDomDocument &doc, const QByteArray &content)
{
    if (m_terminated)
        return CipherError::Terminated;
    if (content.size() > Xep0200::MaxPlaintext)
        return CipherError::TooLarge; // the caller's input; the session itself is fine
    // An empty stanza still uses one counter value (replay protection).
    const quint64 blocks = qMax<quint64>(1, blocksFor(content.size()));
    if (m_blocksSent + blocks > Xep0200::MaxBlocksPerKey)
        return fail(CipherError::KeyExhausted);

    // A requested re-key rides on this stanza once rekey_freq allows it (this stanza counts).
    std::optional<Crypto::DhKeyPair> newKey;
    RekeyKeys newKeys;
    if (m_rekeyRequested && m_stanzasSinceOwnRekey + 1 >= m_minimumStanzas) {
        auto generated = Crypto::DhKeyPair::generate(*m_ownKeyGroup);
        if (!std::holds_alternative<Crypto::DhKeyPair>(generated))
            return fail(CipherError::CryptoFailure);
        newKey.emplace(std::move(std::get<Crypto::DhKeyPair>(generated)));
        auto secret = newKey->deriveSharedSecret(m_peerValue);
        if (!std::holds_alternative<QByteArray>(secret))
            return fail(CipherError::CryptoFailure);
        newKeys = deriveRekeyKeys(m_cipher, std::get<QByteArray>(secret));
        wipe(std::get<QByteArray>(secret));
        if (newKeys.initiatorMac.size() != 32 || newKeys.acceptorMac.size() != 32)
            return fail(CipherError::CryptoFailure);
    }

    const BlockCounter before = m_send.counter;
    QDomElement c = doc.createElementNS(Xep0200::Namespace, Xep0200::CElement);
    if (!content.isEmpty()) {
        const auto encrypted = Crypto::aesCtr(m_cipher, m_send.cipherKey, before.block(), content);
        if (!encrypted)
            return fail(CipherError::CryptoFailure);
        appendText(doc, c, Xep0200::Data, QString::fromLatin1(encrypted->toBase64()));
    }
    if (newKey)
        appendText(doc, c, Xep0200::Key, QString::fromLatin1(newKey->publicValue().toBase64()));
    if (m_keysReceivedSinceSend > 0)
        appendText(doc, c, Xep0200::New, QString::number(m_keysReceivedSinceSend));
    for (const QByteArray &old : std::as_const(m_macKeysToPublish))
        appendText(doc, c, Xep0200::Old, QString::fromLatin1(old.toBase64()));
    // The stanza carrying <key/> is still sealed with the old keys; the MAC covers <key/>.
    const QByteArray mac = Crypto::hmacSha256(m_send.macKey, macInput(c, before));
    if (mac.size() != 32)
        return fail(CipherError::CryptoFailure);
    appendText(doc, c, Xep0200::Mac, QString::fromLatin1(mac.toBase64()));

    m_send.counter.advance(blocks);
    m_blocksSent += blocks;
    ++m_stanzasSinceOwnRekey;
    m_keysReceivedSinceSend = 0;
    for (QByteArray &old : m_macKeysToPublish)
        wipe(old);
    m_macKeysToPublish.clear();

    if (newKey) {
        // From now on the new send keys; the old cipher key is destroyed, the old MAC key waits until
        // the peer confirms the re-key and is then published.
        wipe(m_send.cipherKey);
        ReceiveSet set{std::move(newKeys.acceptorCipher), std::move(newKeys.acceptorMac),
                       std::make_shared<const Crypto::DhKeyPair>(std::move(*newKey)), std::move(m_send.macKey)};
        m_send.cipherKey = std::move(newKeys.initiatorCipher);
        m_send.macKey = std::move(newKeys.initiatorMac);
        m_receiveSets.push_back(std::move(set));
        m_blocksSent = 0;
        m_stanzasSinceOwnRekey = 0;
        m_rekeyRequested = false;
        ++m_rekeys;
    }
    return c;
}

std::variant<QByteArray, CipherError> StanzaCipher::decrypt(const QDomElement &c)
{
    if (m_terminated)
        return CipherError::Terminated;
    auto parsed = parseC(c);
    if (auto *error = std::get_if<CipherError>(&parsed))
        return fail(*error);
    CParts &parts = std::get<CParts>(parsed);
    // Checked before the MAC on purpose: a session that never negotiated re-keying ends either way.
    if (parts.key && !m_ownKeyGroup)
        return fail(CipherError::RekeyUnsupported);
    const QByteArray ciphertext = parts.data.value_or(QByteArray());
    if (ciphertext.size() > Xep0200::MaxPlaintext)
        return fail(CipherError::TooLarge);

    // <new>N</new>: the peer had received N of our <key/> stanzas since it last sent, so it used the
    // receive set N places after the oldest one we keep. Only positive decimal integers we can map.
    qsizetype setIndex = 0;
    if (parts.newCount) {
        const QString text = *parts.newCount;
        bool ok = false;
        const uint n = text.toUInt(&ok);
        if (!ok || n == 0 || text.startsWith(QLatin1Char('0')) || text.startsWith(QLatin1Char('+'))
            || qsizetype(n) >= qsizetype(m_receiveSets.size()))
            return fail(CipherError::MalformedElement);
        setIndex = qsizetype(n);
    }
    ReceiveSet &set = m_receiveSets[size_t(setIndex)];

    // Verify before decrypting. A full 32-byte tag only: a truncated one never matches.
    const BlockCounter before = m_receiveCounter;
    if (!Crypto::verifyHmacSha256(set.macKey, macInput(c, before), parts.mac))
        return fail(CipherError::BadMac);

    const quint64 blocks = qMax<quint64>(1, blocksFor(ciphertext.size()));
    if (m_blocksReceived + blocks > Xep0200::MaxBlocksPerKey)
        return fail(CipherError::KeyExhausted);
    QByteArray plaintext;
    if (!ciphertext.isEmpty()) {
        auto decrypted = Crypto::aesCtr(m_cipher, set.cipherKey, before.block(), ciphertext);
        if (!decrypted)
            return fail(CipherError::CryptoFailure);
        plaintext = std::move(*decrypted);
    }

    // The peer confirmed setIndex of our re-keys: older sets are destroyed, and the MAC keys no stanza
    // can use any more (theirs in the dropped sets, ours retired by the confirmed re-keys) get published.
    for (qsizetype i = 0; i < setIndex; ++i) {
        ReceiveSet &dropped = m_receiveSets.front();
        m_macKeysToPublish << dropped.macKey;
        wipe(dropped.cipherKey);
        wipe(dropped.macKey);
        m_receiveSets.pop_front();
        ReceiveSet &confirmed = m_receiveSets.front();
        m_macKeysToPublish << confirmed.replacedSendMac;
        wipe(confirmed.replacedSendMac);
    }
    if (setIndex > 0)
        m_blocksReceived = 0;

    ++m_stanzasSincePeerRekey;
    if (parts.key) {
        // Re-key acceptance: e from the peer, checked like a negotiation value (stricter than the XEP's
        // "greater than one"); K = e^y with y of our oldest set, the one that opened this stanza.
        const std::optional<QByteArray> &e = parts.key;
        const auto checked = Crypto::checkPeerValue(*m_ownKeyGroup, *e);
        if (std::holds_alternative<Crypto::DhError>(checked))
            return fail(CipherError::BadRekeyValue);
        if (m_stanzasSincePeerRekey < m_minimumStanzas)
            return fail(CipherError::RekeyTooSoon);
        // Checked once, above; the derive does not repeat the subgroup exponentiation.
        auto secret = m_receiveSets.front().ownKey->deriveSharedSecret(std::get<Crypto::CheckedPeerValue>(checked));
        if (!std::holds_alternative<QByteArray>(secret))
            return fail(CipherError::CryptoFailure);
        RekeyKeys keys = deriveRekeyKeys(m_cipher, std::get<QByteArray>(secret));
        wipe(std::get<QByteArray>(secret));
        if (keys.initiatorMac.size() != 32 || keys.acceptorMac.size() != 32)
            return fail(CipherError::CryptoFailure);
        // The peer switched after this stanza: its old MAC key can be published from our side too.
        for (ReceiveSet &each : m_receiveSets) {
            if (!m_macKeysToPublish.contains(each.macKey))
                m_macKeysToPublish << each.macKey;
            wipe(each.cipherKey);
            wipe(each.macKey);
            each.cipherKey = keys.initiatorCipher;
            each.macKey = keys.initiatorMac;
        }
        if (m_receiveSets.size() == 1) {
            wipe(m_send.cipherKey);
            wipe(m_send.macKey);
            m_send.cipherKey = keys.acceptorCipher;
            m_send.macKey = keys.acceptorMac;
            m_blocksSent = 0;
        }
        wipe(keys.initiatorCipher);
        wipe(keys.initiatorMac);
        wipe(keys.acceptorCipher);
        wipe(keys.acceptorMac);
        m_peerValue = *e;
        m_blocksReceived = 0;
        m_stanzasSincePeerRekey = 0;
        ++m_keysReceivedSinceSend;
        ++m_rekeys;
    } else {
        m_blocksReceived += blocks;
    }
    m_receiveCounter.advance(blocks);
    return plaintext;
}

} // namespace Esession
