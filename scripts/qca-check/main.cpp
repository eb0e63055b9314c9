// Fails loudly unless QCA loads a provider supporting every algorithm Sotto relies on.
#include <QCoreApplication>
#include <QtCrypto>
#include <cstdio>

int main(int argc, char **argv)
{
    QCA::Initializer init;
    QCoreApplication app(argc, argv);
    const char *required[] = {"aes128-ctr", "aes256-ctr", "hmac(sha256)", "sha256", "dh", "aes256-gcm", "rsa"};
    int missing = 0;
    for (const char *feature : required) {
        if (!QCA::isSupported(feature)) {
            std::fprintf(stderr, "QCA: '%s' is not supported (is the OpenSSL plugin qca-ossl installed?)\n", feature);
            ++missing;
        }
    }
    if (missing == 0)
        std::printf("QCA ok: %s\n", qPrintable(QCA::findProvider(QStringLiteral("qca-ossl")) ? QStringLiteral("qca-ossl loaded") : QStringLiteral("provider loaded")));
    return missing == 0 ? 0 : 1;
}
