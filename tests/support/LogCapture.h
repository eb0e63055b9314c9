#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

/// For the "no secret in logs" checks of the integration programs: turns every logging category on at debug level
/// (Qt's own and Sotto's) and keeps every line they print, which still goes where it went before (Qt's debug chatter
/// is kept but not echoed). Install once per program, in initTestCase().
namespace LogCapture {

void install();
/// Everything captured since install().
QByteArray text();
/// Which of @p secrets the captured log holds, raw, as hex, as Base64 or as UTF-16: "secret 3 (hex)", or empty when
/// none. Never the secret itself, so that the failure message does not leak it either.
QString findAny(const QList<QByteArray> &secrets);

} // namespace LogCapture
