#include "Crypto.h"

#include <QtCrypto>

namespace Crypto {

struct Library::Private
{
    QCA::Initializer init;
};

Library::Library()
    : d(new Private)
{
}

Library::~Library()
{
    delete d;
}

QStringList missingFeatures()
{
    static const char *const required[] = {"aes128-ctr", "aes256-ctr", "hmac(sha256)", "sha256", "dh", "aes256-gcm"};
    QStringList missing;
    for (const char *feature : required) {
        if (!QCA::isSupported(feature))
            missing << QString::fromLatin1(feature);
    }
    return missing;
}

QByteArray randomBytes(int size)
{
    return QCA::Random::randomArray(size).toByteArray();
}

} // namespace Crypto
