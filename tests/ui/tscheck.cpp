// translations_current: runs lupdate over the sources into a temporary copy of a committed .ts file and
// fails when the sources hold a string the committed file lacks (someone forgot update_translations).
//
//   sotto_tscheck --lupdate LUPDATE --ts COMMITTED.ts --sources LIST [--include DIR]...
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include <cstdio>

namespace {

struct Catalogue
{
    QSet<QString> current;  ///< context + source + comment of every message still in use
    int unfinished = 0;
};

QString keyOf(const QString &context, const QString &source, const QString &comment)
{
    return context + u'\x1f' + source + u'\x1f' + comment;
}

QString describe(const QString &key)
{
    const QStringList parts = key.split(u'\x1f');
    QString text = QStringLiteral("%1: \"%2\"").arg(parts.value(0), parts.value(1));
    if (!parts.value(2).isEmpty())
        text += QStringLiteral(" (%1)").arg(parts.value(2));
    return text;
}

bool readCatalogue(const QString &path, Catalogue *catalogue, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1").arg(path);
        return false;
    }
    QXmlStreamReader xml(&file);
    QString context;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (xml.name() == u"name") {
            context = xml.readElementText();
        } else if (xml.name() == u"message") {
            QString source;
            QString comment;
            QString type;
            QString translation;
            while (xml.readNextStartElement()) {
                if (xml.name() == u"source") {
                    source = xml.readElementText();
                } else if (xml.name() == u"comment") {
                    comment = xml.readElementText();
                } else if (xml.name() == u"translation") {
                    type = xml.attributes().value(QLatin1StringView("type")).toString();
                    translation = xml.readElementText(QXmlStreamReader::IncludeChildElements);
                } else {
                    xml.skipCurrentElement();
                }
            }
            // Strings lupdate found no more in the sources are kept by some options; they do not count.
            if (type == u"vanished" || type == u"obsolete")
                continue;
            catalogue->current.insert(keyOf(context, source, comment));
            if (type == u"unfinished" || translation.trimmed().isEmpty())
                ++catalogue->unfinished;
        }
    }
    if (xml.hasError()) {
        *error = QStringLiteral("%1: %2 at line %3").arg(path, xml.errorString()).arg(xml.lineNumber());
        return false;
    }
    return true;
}

int fail(const QString &message)
{
    std::fflush(stdout);
    std::fprintf(stderr, "FAIL: %s\n", qPrintable(message));
    return 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption lupdateOption(QStringLiteral("lupdate"), QStringLiteral("lupdate to run"),
                                           QStringLiteral("PATH"));
    const QCommandLineOption tsOption(QStringLiteral("ts"), QStringLiteral("the committed .ts file"),
                                      QStringLiteral("FILE"));
    const QCommandLineOption sourcesOption(QStringLiteral("sources"),
                                           QStringLiteral("file listing the sources, one a line"),
                                           QStringLiteral("FILE"));
    const QCommandLineOption includeOption(QStringLiteral("include"), QStringLiteral("include directory for lupdate"),
                                           QStringLiteral("DIR"));
    parser.addOptions({lupdateOption, tsOption, sourcesOption, includeOption});
    parser.process(app);
    if (!parser.isSet(lupdateOption) || !parser.isSet(tsOption) || !parser.isSet(sourcesOption))
        return fail(QStringLiteral("--lupdate, --ts and --sources are required"));

    const QString committed = parser.value(tsOption);
    QTemporaryDir temp;
    if (!temp.isValid())
        return fail(QStringLiteral("no temporary directory"));
    // Same file name: lupdate takes the language from the file, and from the name for a new one.
    const QString fresh = temp.filePath(QFileInfo(committed).fileName());
    if (!QFile::copy(committed, fresh))
        return fail(QStringLiteral("cannot copy %1 to %2").arg(committed, fresh));
    QFile::setPermissions(fresh, QFile::ReadOwner | QFile::WriteOwner);

    QStringList arguments{QStringLiteral("-no-obsolete"), QStringLiteral("-locations"), QStringLiteral("none")};
    const QStringList includes = parser.values(includeOption);
    for (const QString &dir : includes)
        arguments << QStringLiteral("-I") << dir;
    arguments << u'@' + parser.value(sourcesOption) << QStringLiteral("-ts") << fresh;
    QProcess lupdate;
    lupdate.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    lupdate.start(parser.value(lupdateOption), arguments);
    if (!lupdate.waitForFinished(120000) || lupdate.exitStatus() != QProcess::NormalExit || lupdate.exitCode() != 0)
        return fail(QStringLiteral("lupdate failed: %1").arg(QString::fromLocal8Bit(lupdate.readAllStandardOutput())));

    Catalogue inCommitted;
    Catalogue inSources;
    QString error;
    if (!readCatalogue(committed, &inCommitted, &error) || !readCatalogue(fresh, &inSources, &error))
        return fail(error);
    if (inSources.current.isEmpty())
        return fail(QStringLiteral("lupdate found no strings at all: is the source list right?"));

    QStringList missing;
    for (const QString &key : std::as_const(inSources.current)) {
        if (!inCommitted.current.contains(key))
            missing << describe(key);
    }
    QStringList stale;
    for (const QString &key : std::as_const(inCommitted.current)) {
        if (!inSources.current.contains(key))
            stale << describe(key);
    }
    missing.sort();
    stale.sort();

    std::printf("%lld strings in the sources, %lld in %s (%d without a translation)\n",
                qlonglong(inSources.current.size()), qlonglong(inCommitted.current.size()), qPrintable(committed),
                inCommitted.unfinished);
    for (const QString &line : std::as_const(stale))
        std::printf("note: no longer in the sources: %s\n", qPrintable(line));
    if (!missing.isEmpty()) {
        for (const QString &line : std::as_const(missing))
            std::printf("missing: %s\n", qPrintable(line));
        return fail(QStringLiteral("%1 is out of date: %2 source string(s) missing; run "
                                   "`cmake --build <build dir> --target update_translations` and translate them")
                        .arg(committed)
                        .arg(missing.size()));
    }
    std::printf("PASS: %s has every source string\n", qPrintable(committed));
    return 0;
}
