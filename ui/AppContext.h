#pragma once

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

#include <memory>
#include <optional>

#include "ContactListModel.h"

class Account;
class MessageStore;
class Messenger;
class VerificationFlow;
class SqlRetainedSecretStore;
class ContactSettings;
class AppSettings;

/// Everything the window needs about the signed-in account: owns, for that account, the Account, its
/// database, the message store and the messenger, and tells QML how the connection is doing.
///
/// The application creates one and hands it to the root item (a required property); QML never creates it.
/// An account's local state can be opened without connecting (history and a queue that is sent once
/// online); logging in opens it too.
class AppContext : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The application creates the AppContext and passes it to the window.")

    Q_PROPERTY(bool sessionOpen READ isSessionOpen NOTIFY sessionChanged)
    Q_PROPERTY(QString jid READ jid NOTIFY sessionChanged)
    Q_PROPERTY(bool canReconnect READ canReconnect NOTIFY canReconnectChanged)
    Q_PROPERTY(QString lastJid READ lastJid NOTIFY lastJidChanged)
    Q_PROPERTY(QString lastHost READ lastHost NOTIFY lastServerChanged)
    Q_PROPERTY(int lastPort READ lastPort NOTIFY lastServerChanged)
    Q_PROPERTY(QString lastCertPath READ lastCertPath NOTIFY lastServerChanged)
    Q_PROPERTY(ConnectionState connectionState READ connectionState NOTIFY connectionStateChanged)
    Q_PROPERTY(QString statusText READ statusText NOTIFY statusTextChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    Q_PROPERTY(ContactListModel *contacts READ contacts CONSTANT)
    Q_PROPERTY(QStringList pendingRequests READ pendingRequests NOTIFY pendingRequestsChanged)
    Q_PROPERTY(QString dataDir READ dataDir WRITE setDataDir NOTIFY dataDirChanged)
    Q_PROPERTY(QString encryptionNotice READ encryptionNotice NOTIFY encryptionNoticeChanged)
    Q_PROPERTY(bool vaultLocked READ isVaultLocked NOTIFY encryptionNoticeChanged)
    Q_PROPERTY(int credentialsRevision READ credentialsRevision NOTIFY credentialsChanged)
    /// People who are not contacts and asked for an encrypted session: each waits for the user (answering tells
    /// them we are online, XEP-0155 §Presence Leaks).
    Q_PROPERTY(QStringList encryptionRequests READ encryptionRequests NOTIFY encryptionRequestsChanged)

public:
    enum ConnectionState { Offline, Connecting, Online };
    Q_ENUM(ConnectionState)

    explicit AppContext(QObject *parent = nullptr);
    ~AppContext() override;

    bool isSessionOpen() const { return m_session != nullptr; }
    QString jid() const;
    /// True when the account has what it needs to connect again (a password from a login).
    bool canReconnect() const;
    /// The address last logged in or opened, to fill in the login form again.
    QString lastJid() const { return m_lastJid; }
    /// The server, port (0: the default) and certificate of the last login in this run, for the same purpose:
    /// after "Log out" the form is ready to log in again with only the password to type.
    QString lastHost() const { return m_lastHost; }
    int lastPort() const { return m_lastPort; }
    QString lastCertPath() const { return m_lastCertPath; }
    ConnectionState connectionState() const;
    QString statusText() const;
    /// Why the last login did not work (for the login page); empty when there is nothing to say.
    QString errorText() const { return m_errorText; }
    ContactListModel *contacts() const { return m_contacts; }
    QStringList pendingRequests() const;

    /// Overrides the per-account data directory (the CLI's --data-dir, tests).
    QString dataDir() const { return m_dataDir; }
    void setDataDir(const QString &dir);

    /// Opens the account's local state and connects. False (and errorText says why) when the input is
    /// unusable or the local state cannot be opened; connection errors arrive later through statusText
    /// and, when they need the user, errorText.
    Q_INVOKABLE bool login(const QString &jid, const QString &password, const QString &host, int port,
                           const QString &trustedCertPath);
    /// login(), and then remembers the password (sealed under the vault's master key, once the account was
    /// online and the vault is open) or, when @p remember is false, forgets one remembered before.
    Q_INVOKABLE bool loginAndRemember(const QString &jid, const QString &password, const QString &host, int port,
                                      const QString &trustedCertPath, bool remember);
    /// Logs in with the password remembered for @p jid: opens the vault first (the keyring, or
    /// @p passphrase for a passphrase vault). False, with errorText, when that cannot start; a keyring
    /// that refuses later says so through errorText too.
    Q_INVOKABLE bool loginRemembered(const QString &jid, const QString &passphrase = QString());
    /// Whether a password is remembered for @p jid (only that a sealed row exists: nothing is opened).
    /// @p revision is credentialsRevision, passed so that QML bindings re-evaluate when it changes.
    Q_INVOKABLE bool hasRememberedLogin(const QString &jid, int revision = 0) const;
    /// Where the master key of @p jid's vault lives: "keyring", "passphrase" or "".
    Q_INVOKABLE QString vaultKindOf(const QString &jid) const;
    /// Forgets the password remembered for the open account.
    Q_INVOKABLE void forgetRememberedLogin();
    int credentialsRevision() const { return m_credentialsRevision; }
    /// Opens the account's local state without connecting: history can be read and messages written;
    /// they stay queued until the account logs in.
    Q_INVOKABLE bool openOffline(const QString &jid);
    /// Connects again now (after a permanent error, or to skip the wait before the next attempt).
    Q_INVOKABLE void reconnect();
    /// Disconnects and closes the account's local state.
    Q_INVOKABLE void logout();

    /// Adds a contact and asks for their presence. Returns an empty string, or why it was not done.
    Q_INVOKABLE QString addContact(const QString &jid);
    Q_INVOKABLE void approve(const QString &jid);
    Q_INVOKABLE void refuse(const QString &jid);
    /// A JID as the user typed it, or an empty string when it is not a usable bare JID.
    Q_INVOKABLE QString normalizedJid(const QString &input) const;

    /// Whether the master key that protects retained secrets may live in the desktop keyring. Off (the
    /// app's --no-keyring, tests): retained secrets are kept in memory for this run only.
    bool keyringEnabled() const { return m_keyringEnabled; }
    void setKeyringEnabled(bool enabled) { m_keyringEnabled = enabled; }
    /// Why encrypted sessions are limited right now (e.g. no keyring: secrets last for this run); empty
    /// when all is well.
    QString encryptionNotice() const { return m_encryptionNotice; }

    /// The user asks for encryption with @p peer (or Retry): from now on nothing is sent to them in plaintext
    /// until they say so, and a negotiation starts when online. Returns an empty string, or why no negotiation
    /// could start now (what the user writes still waits).
    Q_INVOKABLE QString startEncryptedSession(const QString &peer);
    /// The contact's client knows only the older verification code (sas28x5): allow it for this contact (Settings >
    /// Encryption, "Compatibility with other ESession clients") and try the encrypted session again. Empty on
    /// success, else why not.
    Q_INVOKABLE QString allowOlderCodeAndRetry(const QString &peer);
    /// "End encryption" (after a worded confirmation): the session ends and the conversation is plain again.
    /// Empty string, or why not (the contact's policy is Always).
    Q_INVOKABLE QString endEncryption(const QString &peer);
    /// "Send unencrypted" (after a worded confirmation): what waits for encryption goes in plaintext, and so
    /// does what follows. Empty string, or why not.
    Q_INVOKABLE QString sendUnencrypted(const QString &peer);
    /// Why the conversation's encryption failed, in words; empty when nothing failed.
    QString encryptionFailureText(const QString &peer) const;
    /// The core's stable code for why encryption with @p peer failed (empty when it did not).
    QString encryptionFailureCode(const QString &peer) const;
    /// Whether the user may choose plaintext with @p peer (the policy is not Always).
    bool plaintextAllowed(const QString &peer) const;
    QStringList encryptionRequests() const;
    /// Whether @p peer (not a contact) waits for an answer to its encryption request.
    bool hasEncryptionRequest(const QString &peer) const;
    Q_INVOKABLE void acceptEncryptionRequest(const QString &peer);
    Q_INVOKABLE void declineEncryptionRequest(const QString &peer);
    /// Protects retained secrets with @p passphrase instead of the keyring: creates the passphrase vault,
    /// or opens the existing one. Returns an empty string, or why not (a wrong passphrase, ...).
    Q_INVOKABLE QString usePassphrase(const QString &passphrase);
    /// Where the master key lives: "keyring", "passphrase", or "" (nowhere yet: secrets last for this run).
    Q_INVOKABLE QString vaultKind() const;
    Q_INVOKABLE bool isVaultUnlocked() const;
    /// A passphrase vault that is not open: the history reads as unreadable and remembered contacts are not used
    /// until usePassphrase() opens it. Every page that shows either offers that.
    bool isVaultLocked() const;
    /// Re-wraps the master key under a new passphrase (passphrase vaults). Empty string, or why not.
    Q_INVOKABLE QString changePassphrase(const QString &oldPassphrase, const QString &newPassphrase);
    /// Forgets the master key of a passphrase vault in memory: remembered secrets stay encrypted until the
    /// passphrase is given again, and no new session can use them meanwhile.
    Q_INVOKABLE void lockVault();
    /// The encryption status of the conversation with @p peer, as ConversationModel::SessionStatus values.
    int sessionStatus(const QString &peer) const;
    bool identityChanged(const QString &peer) const;
    /// The other address whose retained secret authenticated this contact's current session, if any.
    QString formerJid(const QString &peer) const;
    /// The SAS verification of the last session with @p peer (created on first use, owned here).
    VerificationFlow *verificationFlow(const QString &peer);

    // For the C++ models; null while no account is open.
    Account *account() const;
    /// The encrypted retained-secret store while it is the one in use (keyring or passphrase), else null.
    SqlRetainedSecretStore *secretStore() const;
    ContactSettings *contactSettings() const;
    /// Account-wide preferences (the MODP groups offered, ...).
    AppSettings *appSettings() const;
    MessageStore *store() const;
    Messenger *messenger() const;

Q_SIGNALS:
    /// An account's local state was opened or closed (models reload).
    void sessionChanged();
    /// Emitted before the account's objects are destroyed: drop every pointer to them.
    void sessionAboutToClose();
    void canReconnectChanged();
    void lastJidChanged();
    void lastServerChanged();
    void connectionStateChanged();
    void statusTextChanged();
    void errorTextChanged();
    void pendingRequestsChanged();
    void dataDirChanged();
    void encryptionNoticeChanged();
    /// A password was remembered or forgotten.
    void credentialsChanged();
    /// The encryption status, identity warning or verification flow of the conversation with @p peer changed.
    void encryptionChanged(const QString &peer);
    void encryptionRequestsChanged();

private:
    struct Session;

    bool openSession(const QString &bareJid);
    void closeSession(bool notify = true);
    void closeSessionLater();
    void onAccountErrorChanged();
    void onAccountStateChanged();
    void updateCountdown();
    void setErrorText(const QString &text);
    void setLastJid(const QString &jid);
    void setEncryptionNotice(const QString &text);
    void setVerified(const QString &peer, bool verified, std::optional<bool> identityChanged = std::nullopt);
    void wireEncryption();
    void onVaultUnlocked();
    void keepRunSecrets();
    void storeRememberedLogin();
    bool continueRememberedLogin();
    void bumpCredentialsRevision();

    std::unique_ptr<Session> m_session;
    ContactListModel *m_contacts;
    QString m_dataDir;
    QString m_lastJid;
    QString m_lastHost;
    int m_lastPort = 0;
    QString m_lastCertPath;
    QString m_errorText;
    QString m_encryptionNotice;
    bool m_keyringEnabled = true;
    int m_credentialsRevision = 0;
    struct PeerEncryption
    {
        bool verified = false; ///< the current session's retained secret was verified by SAS
        bool identityChanged = false;
        QString requestThread; ///< a stranger's request that waits for the user
        QString formerJid;
        QString thread; ///< the thread of the last negotiated session
        VerificationFlow *flow = nullptr;
    };
    QHash<QString, PeerEncryption> m_encryption;
    QTimer m_countdown; // refreshes "reconnecting in N s"
    quint64 m_generation = 0; // counts sessions, so that a queued close never hits a newer one
};
