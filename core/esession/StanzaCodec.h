#pragma once

#include <QDomElement>

#include <variant>

#include "StanzaCipher.h"

namespace Esession {

/// Whether a child of a <message/>, <presence/> or <iq/> stays in plaintext next to <c/>: <thread/>,
/// <amp/>, <error/> (XEP-0200 never encrypts them) and server-directed hints (XEP-0334 and XEP-0280
/// <private/>, which postdate XEP-0200 and only make sense to servers).
bool staysInPlaintext(const QDomElement &child);

/// The encryptable children of @p stanza, serialised in document order (UTF-8, no indentation).
QByteArray encryptableContent(const QDomElement &stanza);

/// Replaces the encryptable children of @p stanza by one <c/> (in place). Nothing of the content is
/// left in the stanza when this fails.
[[nodiscard]] std::optional<CipherError> encryptStanza(StanzaCipher &cipher, QDomElement &stanza);

/// Why a stanza could not be opened.
enum class OpenError {
    NoEncryptedContent, ///< no <c/> child: not for the cipher
    Cipher,             ///< the cipher refused it (see cipherError)
    UnparseableContent, ///< decrypted bytes are not well-formed XML, or hold forbidden markup
};

struct OpenFailure
{
    OpenError error;
    CipherError cipherError = CipherError::MalformedElement;
};

/// Decrypts the <c/> of @p stanza and returns a copy in which <c/> is replaced by the decrypted
/// children. Unencrypted siblings other than the plaintext ones (staysInPlaintext) are dropped: they
/// are not authenticated and must never pass for part of the secure content. Content that is not
/// well-formed, declares a DTD or entities, or smuggles <thread/>, <amp/> or <c/> ends the session.
[[nodiscard]] std::variant<QDomElement, OpenFailure> decryptStanza(StanzaCipher &cipher, const QDomElement &stanza);

} // namespace Esession
