#pragma once

#include <QByteArray>
#include <QStringList>

// The only place that talks to QCA. Everything above uses these wrappers.
namespace Crypto {

/// Holds QCA's global state; create one before any other call, in main() or a test's main().
class Library
{
public:
    Library();
    ~Library();
    Library(const Library &) = delete;
    Library &operator=(const Library &) = delete;

private:
    struct Private;
    Private *d;
};

/// Algorithms Sotto needs from QCA's providers that are not available here (empty when all are).
QStringList missingFeatures();

/// Cryptographically strong random bytes from QCA's provider.
QByteArray randomBytes(int size);

} // namespace Crypto
