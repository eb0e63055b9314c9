#include "LogCapture.h"

#include <QLoggingCategory>
#include <QMutex>

namespace {

QByteArray s_log;
QMutex s_mutex;
QtMessageHandler s_previous = nullptr;

void capture(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QByteArray category = context.category ? QByteArray(context.category) : QByteArray();
    {
        QMutexLocker lock(&s_mutex);
        s_log += category + ": " + message.toUtf8() + '\n';
    }
    if (s_previous && (type != QtDebugMsg || !category.startsWith("qt.")))
        s_previous(type, context, message);
}

} // namespace

void LogCapture::install()
{
    QLoggingCategory::setFilterRules(QStringLiteral("*.debug=true"));
    s_previous = qInstallMessageHandler(capture);
}

QByteArray LogCapture::text()
{
    QMutexLocker lock(&s_mutex);
    return s_log;
}

QString LogCapture::findAny(const QList<QByteArray> &secrets)
{
    const QByteArray log = text();
    for (qsizetype i = 0; i < secrets.size(); ++i) {
        const QByteArray &secret = secrets.at(i);
        if (secret.isEmpty())
            continue;
        QList<std::pair<const char *, QByteArray>> forms{
            {"raw", secret}, {"hex", secret.toHex()}, {"Base64", secret.toBase64()}};
        const QString asText = QString::fromUtf8(secret);
        if (asText.toUtf8() == secret) // text, not key bytes
            forms.append({"UTF-16", QByteArray(reinterpret_cast<const char *>(asText.utf16()), asText.size() * 2)});
        for (const auto &[name, form] : forms) {
            if (log.contains(form))
                return QStringLiteral("secret %1 (%2)").arg(i).arg(QLatin1String(name));
        }
    }
    return {};
}
