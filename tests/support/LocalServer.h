#pragma once

#include <QString>
#include <QTemporaryDir>

/// A throwaway Prosody for one test program, run through scripts/local-server (the same script the
/// demo uses) in a private runtime dir. Stopped and removed on destruction.
class LocalServer
{
public:
    LocalServer();
    ~LocalServer();

    [[nodiscard]] bool start(QString *error = nullptr);
    [[nodiscard]] bool stop();
    /// SIGKILL: the server dies without closing its streams, as in a crash.
    [[nodiscard]] bool kill();
    /// Creates NAME@localhost and returns the path of its password file (empty on failure).
    QString addUser(const QString &name);

    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    QString certPath() const { return m_cert; }
    QString dir() const { return m_dir.path(); }
    QString passwordFile(const QString &user) const;
    /// Every byte the server wrote under its dir: its log (every stanza, with SOTTO_SERVER_DEBUG=1) and its
    /// storage (offline messages), for tests that check what the server saw.
    QByteArray storedBytes() const;
    QString password(const QString &user) const;

private:
    bool run(const QStringList &args, QString *output = nullptr);

    QTemporaryDir m_dir;
    QString m_host;
    quint16 m_port = 0;
    QString m_cert;
};
