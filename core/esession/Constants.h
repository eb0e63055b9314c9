#pragma once

#include <QString>

// XEP-0200 (stanza encryption) names. One place each; nothing else spells them out.
namespace Esession::Xep0200 {

inline const QString Namespace = QStringLiteral("http://www.xmpp.org/extensions/xep-0200.html#ns");
inline const QString CElement = QStringLiteral("c");
inline const QString Data = QStringLiteral("data");
inline const QString Key = QStringLiteral("key");
inline const QString Mac = QStringLiteral("mac");
inline const QString New = QStringLiteral("new");
inline const QString Old = QStringLiteral("old");

/// Elements that stay in plaintext next to <c/> (XEP-0200 §"Encryptable content": routing and
/// delivery semantics servers need), and later server-directed hints that postdate the XEP.
inline const QString ThreadElement = QStringLiteral("thread");
inline const QString AmpElement = QStringLiteral("amp");
inline const QString ErrorElement = QStringLiteral("error");
inline const QString HintsNamespace = QStringLiteral("urn:xmpp:hints");
inline const QString CarbonsNamespace = QStringLiteral("urn:xmpp:carbons:2");
inline const QString ClientNamespace = QStringLiteral("jabber:client");

/// Largest decrypted payload accepted (bytes); a stanza above this terminates the session.
constexpr int MaxPlaintext = 256 * 1024;
/// Blocks one key may protect in one direction before the session must be re-keyed or ended.
/// XEP-0200 allows 2^32 blocks in all; we stop at half of it, counted per direction (brief 4.14 #10).
constexpr quint64 MaxBlocksPerKey = quint64(1) << 31;

} // namespace Esession::Xep0200
