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

/// Per-contact settings kept in the database (`contact_settings`: the policy since schema 4, the sas28x5
/// compatibility since schema 7), under the contact's bare JID as XMPP compares it (Esession::normalizedBareJid(),
/// schema 9): any spelling of the JID reads and sets the same settings, and the signals name that form.
class ContactSettings : public QObject
{
    Q_OBJECT

public:
    explicit ContactSettings(Database *database, QObject *parent = nullptr);

    /// The contact's policy; Ask for a contact nobody set one for.
    SessionPolicy sessionPolicy(const QString &peerBareJid) const;
    bool setSessionPolicy(const QString &peerBareJid, SessionPolicy policy);

    static constexpr SessionPolicy DefaultPolicy = SessionPolicy::Ask;

    /// Compatibility with other ESession clients: whether negotiations with the contact may agree on the older
    /// sas28x5 verification code (XEP-0116/0217), which someone in the middle can make match. False for a
    /// contact nobody switched it on for: then only Sotto's committed code is offered and accepted.
    bool weakSasAllowed(const QString &peerBareJid) const;
    bool setWeakSasAllowed(const QString &peerBareJid, bool allowed);

Q_SIGNALS:
    void sessionPolicyChanged(const QString &peerBareJid, SessionPolicy policy);
    void weakSasAllowedChanged(const QString &peerBareJid, bool allowed);

private:
    Database *m_database;
};
