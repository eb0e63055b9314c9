// sotto: the desktop GUI. Builds the AppContext, hands it to the QML window, and optionally logs in
// (or opens an account offline) from the command line.
#include <QCommandLineParser>
#include <QFile>
#include <QGuiApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QTranslator>
#include <QtQml/QQmlExtensionPlugin>

#include <cstdio>

#include "AppContext.h"
#include "Logging.h"
#include "crypto/Crypto.h"

Q_IMPORT_QML_PLUGIN(SottoPlugin)

namespace {

void printError(const QString &text)
{
    std::fprintf(stderr, "sotto: %s\n", qPrintable(text));
}

// The first line of @p path, without its line break. The password is never printed or logged.
bool readPasswordFile(const QString &path, QString *password, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QCoreApplication::translate("main", "cannot read the password file %1").arg(path);
        return false;
    }
    QByteArray line = file.readLine();
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    if (line.isEmpty()) {
        *error = QCoreApplication::translate("main", "the password file %1 is empty").arg(path);
        return false;
    }
    *password = QString::fromUtf8(line);
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    Crypto::Library cryptoLibrary;
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("sotto"));
    QGuiApplication::setOrganizationName(QStringLiteral("sotto"));
    QGuiApplication::setApplicationVersion(QStringLiteral(SOTTO_VERSION));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Sotto"));
    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(QStringLiteral("Fusion"));

    QTranslator qtTranslator;
    if (qtTranslator.load(QLocale(), QStringLiteral("qt"), QStringLiteral("_"),
                          QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(&qtTranslator);
    QTranslator appTranslator;
    if (appTranslator.load(QLocale(), QStringLiteral("sotto"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        QCoreApplication::installTranslator(&appTranslator);
        qCInfo(lcUi) << "using the translation for" << QLocale().name();
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Sotto: encrypted XMPP chat. Without options, the login page shows."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption jidOption(QStringLiteral("jid"),
                                       QCoreApplication::translate("main", "Log in (or open) this account."),
                                       QStringLiteral("JID"));
    const QCommandLineOption passwordFileOption(
        QStringLiteral("password-file"),
        QCoreApplication::translate("main", "Read the password from the first line of this file."),
        QStringLiteral("FILE"));
    const QCommandLineOption hostOption(QStringLiteral("host"),
                                        QCoreApplication::translate("main", "Server host (overrides DNS)."),
                                        QStringLiteral("HOST"));
    const QCommandLineOption portOption(QStringLiteral("port"), QCoreApplication::translate("main", "Server port."),
                                        QStringLiteral("PORT"));
    const QCommandLineOption certOption(
        QStringLiteral("trust-cert"),
        QCoreApplication::translate("main", "Trust exactly this PEM certificate for TLS."), QStringLiteral("PEM"));
    const QCommandLineOption dataDirOption(
        QStringLiteral("data-dir"),
        QCoreApplication::translate("main", "Account state directory (default: per account under the XDG data "
                                            "directory)."),
        QStringLiteral("DIR"));
    const QCommandLineOption openChatOption(
        QStringLiteral("open-chat"),
        QCoreApplication::translate("main", "Open the conversation with this contact at start."),
        QStringLiteral("PEER"));
    const QCommandLineOption noKeyringOption(
        QStringLiteral("no-keyring"),
        QCoreApplication::translate("main", "Do not use the desktop keyring: verified contacts are remembered for this run only."));
    const QCommandLineOption offlineOption(
        QStringLiteral("offline"),
        QCoreApplication::translate("main", "Open the account given with --jid without connecting: history can be "
                                            "read and new messages wait until you log in."));
    parser.addOptions({jidOption, passwordFileOption, hostOption, portOption, certOption, dataDirOption,
                       openChatOption, offlineOption, noKeyringOption});
    parser.process(app);

    AppContext context;
    context.setDataDir(parser.value(dataDirOption));
    context.setKeyringEnabled(!parser.isSet(noKeyringOption));

    if (parser.isSet(passwordFileOption) && !parser.isSet(jidOption)) {
        printError(QCoreApplication::translate("main", "--password-file needs --jid"));
        return 2;
    }
    if (parser.isSet(jidOption)) {
        const QString jid = parser.value(jidOption);
        if (parser.isSet(offlineOption)) {
            if (parser.isSet(passwordFileOption)) {
                printError(QCoreApplication::translate("main", "--offline and --password-file exclude each other"));
                return 2;
            }
            if (!context.openOffline(jid))
                printError(context.errorText());
        } else if (parser.isSet(passwordFileOption)) {
            int port = 0;
            if (parser.isSet(portOption)) {
                bool ok = false;
                port = parser.value(portOption).toInt(&ok);
                if (!ok || port <= 0 || port > 65535) {
                    printError(QCoreApplication::translate("main", "--port must be a number from 1 to 65535"));
                    return 2;
                }
            }
            QString password;
            QString error;
            if (!readPasswordFile(parser.value(passwordFileOption), &password, &error)) {
                printError(error);
                return 2;
            }
            // A failed login shows its reason on the login page.
            if (!context.login(jid, password, parser.value(hostOption), port, parser.value(certOption)))
                printError(context.errorText());
        } else {
            printError(QCoreApplication::translate("main", "--jid needs --password-file or --offline"));
            return 2;
        }
    }
    QString openChat;
    if (parser.isSet(openChatOption)) {
        openChat = context.normalizedJid(parser.value(openChatOption));
        if (openChat.isEmpty()) {
            printError(QCoreApplication::translate("main", "--open-chat needs a contact address like name@server"));
            return 2;
        }
    }

    QQmlApplicationEngine engine;
    // Qt 6.4 does not look there by default; 6.5 and later do.
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    QQmlEngine::setObjectOwnership(&context, QQmlEngine::CppOwnership);
    engine.setInitialProperties({
        {QStringLiteral("context"), QVariant::fromValue(&context)},
        {QStringLiteral("initialChat"), openChat},
    });
    const QUrl mainUrl(QStringLiteral("qrc:/qt/qml/Sotto/Main.qml"));
    engine.load(mainUrl);
    if (engine.rootObjects().isEmpty()) {
        qCCritical(lcUi) << "the main window could not be loaded";
        return 1;
    }
    return app.exec();
}
