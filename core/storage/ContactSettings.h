#pragma once

#include <QObject>
#include <QString>

class Database;

/// What Sotto does about encrypted sessions (XEP-0116/0217) with one contact.
enum class SessionPolicy {
    Off = 0,    ///< never negotiate; a contact's request is declined
    Ask = 1,    ///< plain until the user starts an encrypted session; a contact's request may be accepted
    Always = 2, ///< every conversation negotiates first; when that fails nothing is sent (never plaintext)
};

/// Per-contact settings kept in the database (schema 4).
class ContactSettings : public QObject
{
    Q_OBJECT

public:
    explicit ContactSettings(Database *database, QObject *parent = nullptr);

    /// The contact's policy; Ask for a contact nobody set one for.
    SessionPolicy sessionPolicy(const QString &peerBareJid) const;
    bool setSessionPolicy(const QString &peerBareJid, SessionPolicy policy);

    static constexpr SessionPolicy DefaultPolicy = SessionPolicy::Ask;

Q_SIGNALS:
    void sessionPolicyChanged(const QString &peerBareJid, SessionPolicy policy);

private:
    Database *m_database;
};
