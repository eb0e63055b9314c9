#pragma once

#include <QByteArray>

#include <optional>

// Authenticated encryption for secrets at rest: AES-256-GCM through QCA (96-bit nonce, 128-bit tag).
//
// QCA's Cipher API has no way to feed GCM associated data. Records are bound to their place (a row's
// identity) through the key instead: each record is sealed under HMAC-SHA-256(master key, label | AD),
// so a ciphertext copied into another row is opened under another key and fails its tag.
namespace Crypto {

inline constexpr int Aes256GcmKeyLength = 32;
inline constexpr int Aes256GcmNonceLength = 12;
inline constexpr int Aes256GcmTagLength = 16;

/// Raw AES-256-GCM without associated data: ciphertext followed by the 16-byte tag. nullopt on a key or
/// nonce of the wrong size or a provider failure.
[[nodiscard]] std::optional<QByteArray> aes256GcmSeal(const QByteArray &key, const QByteArray &nonce,
                                                      const QByteArray &plaintext);
/// Opens ciphertext|tag; nullopt when the tag does not verify (no partial plaintext is ever returned).
[[nodiscard]] std::optional<QByteArray> aes256GcmOpen(const QByteArray &key, const QByteArray &nonce,
                                                      const QByteArray &sealed);

/// A stored record: format byte 1 | random 12-byte nonce | ciphertext | tag, under the key derived from
/// @p masterKey (32 bytes) and @p associatedData (e.g. "messages.body:42").
[[nodiscard]] std::optional<QByteArray> sealRecord(const QByteArray &masterKey, const QByteArray &associatedData,
                                                   const QByteArray &plaintext);
/// Opens a record sealed with the same master key and associated data; nullopt for anything else
/// (wrong key, another row's record, a changed byte, an unknown format).
[[nodiscard]] std::optional<QByteArray> openRecord(const QByteArray &masterKey, const QByteArray &associatedData,
                                                   const QByteArray &record);

} // namespace Crypto
