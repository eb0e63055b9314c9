#include "LocalServer.h"

#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>

LocalServer::LocalServer() = default;

LocalServer::~LocalServer()
{
    if (m_port)
        (void)stop();
}

bool LocalServer::run(const QStringList &args, QString *output)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SOTTO_SERVER_DIR"), m_dir.path() + QStringLiteral("/server"));
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.start(QStringLiteral(SOTTO_SOURCE_DIR "/scripts/local-server"), args);
    if (!process.waitForFinished(60000)) {
        process.kill();
        return false;
    }
    const QString out = QString::fromUtf8(process.readAllStandardOutput());
    if (output)
        *output = out + QString::fromUtf8(process.readAllStandardError());
    return process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

bool LocalServer::start(QString *error)
{
    QString out;
    if (!run({QStringLiteral("start")}, &out)) {
        if (error)
            *error = out;
        return false;
    }
    if (!run({QStringLiteral("env")}, &out))
        return false;
    for (const QString &line : out.split(u'\n')) {
        const qsizetype eq = line.indexOf(u'=');
        if (eq < 0)
            continue;
        QString value = line.mid(eq + 1);
        if (value.startsWith(u'\'') && value.endsWith(u'\''))
            value = value.mid(1, value.size() - 2);
        const QString name = line.left(eq);
        if (name == u"SOTTO_SERVER_HOST")
            m_host = value;
        else if (name == u"SOTTO_SERVER_PORT")
            m_port = quint16(value.toUInt());
        else if (name == u"SOTTO_SERVER_CERT")
            m_cert = value;
    }
    if (!m_port && error)
        *error = QStringLiteral("the server did not report its port: ") + out;
    return m_port != 0;
}

bool LocalServer::stop()
{
    return run({QStringLiteral("stop")});
}

bool LocalServer::kill()
{
    return run({QStringLiteral("kill")});
}

QString LocalServer::addUser(const QString &name)
{
    return run({QStringLiteral("add-user"), name}) ? passwordFile(name) : QString();
}

QString LocalServer::passwordFile(const QString &user) const
{
    return m_dir.path() + QStringLiteral("/server/") + user + QStringLiteral(".password");
}

QString LocalServer::password(const QString &user) const
{
    QFile file(passwordFile(user));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).trimmed();
}

QByteArray LocalServer::storedBytes() const
{
    QByteArray all;
    QDirIterator it(m_dir.path() + QStringLiteral("/server"), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile file(it.next());
        if (file.open(QIODevice::ReadOnly))
            all += file.readAll();
    }
    return all;
}
