#pragma once

#include <QObject>
#include <QString>

class Database;

/// What Sotto does about encrypted sessions (XEP-0116/0217) with one contact.
enum class EsessionPolicy {
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
    EsessionPolicy esessionPolicy(const QString &peerBareJid) const;
    bool setEsessionPolicy(const QString &peerBareJid, EsessionPolicy policy);

    static constexpr EsessionPolicy DefaultPolicy = EsessionPolicy::Ask;

Q_SIGNALS:
    void esessionPolicyChanged(const QString &peerBareJid, EsessionPolicy policy);

private:
    Database *m_database;
};
