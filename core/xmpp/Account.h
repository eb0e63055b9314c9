#pragma once

#include <functional>

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <QXmppClient.h>
#include <QXmppTask.h>

#include "crypto/DiffieHellman.h"

class QSslSocket;
class EsessionExtension;
class QXmppMessage;
class QXmppRosterManager;

/// How to reach and log into the server. The password stays in memory only.
struct AccountConfig
{
    QString jid;            ///< bare JID, e.g. alice@localhost
    QString password;
    QString host;           ///< empty: from the JID's domain (SRV)
    quint16 port = 0;       ///< 0: default
    QString trustedCertPath; ///< PEM: when set, the only certificate(s) trusted for TLS
    QString resource = QStringLiteral("sotto");
};

/// One contact as the roster and presence know it.
struct Contact
{
    QString jid;
    QString name;
    QString subscription; ///< none / to / from / both, plus "pending" while our request waits
    bool online = false;
    QStringList resources;
};

/// An XMPP account: owns the QXmppClient; connects, reconnects with backoff, keeps the roster and
/// presence, and sends and receives chat messages. No protocol engine or storage here.
class Account : public QObject
{
    Q_OBJECT

public:
    enum class State { Offline, Connecting, Online };
    Q_ENUM(State)

    explicit Account(QObject *parent = nullptr);
    ~Account() override;

    void setConfig(const AccountConfig &config);
    const AccountConfig &config() const { return m_config; }
    QString jid() const { return m_config.jid; }

    /// Reconnection after a lost connection: first delay, doubling up to the maximum (with jitter).
    void setReconnectDelays(int initialMs, int maxMs);
    /// Off: a failed or lost connection stays offline (the CLI reports and exits instead).
    void setReconnectEnabled(bool enabled) { m_reconnectEnabled = enabled; }
    /// Approve every incoming subscription request (headless peers); otherwise only those we asked for.
    void setAutoApproveSubscriptions(bool enabled) { m_autoApproveAll = enabled; }

    State state() const { return m_state; }
    /// Why the account is offline (or the last error), in words for people. Empty when all is well.
    QString errorReason() const { return m_errorReason; }
    /// True when the last failure needs the user (wrong password, untrusted certificate): no retry.
    bool errorIsPermanent() const { return m_errorPermanent; }
    /// Milliseconds until the next reconnection attempt, or -1 when none is scheduled.
    int reconnectIn() const;

    void connectToServer();
    void disconnectFromServer();

    /// Sends a message. Inside an encrypted session (XEP-0200) it goes out encrypted, and once that
    /// session has ended it fails rather than go out in plaintext. The task finishes once the server
    /// acknowledged it (XEP-0198) or on failure.
    /// With @p mustEncrypt, a message that finds no encrypted session in its thread is refused.
    QXmppTask<QXmpp::SendResult> send(QXmppMessage &&message, bool mustEncrypt = false);
    /// Whether encrypted sessions are allowed with a contact (its policy is not "off"); unset: allowed.
    void setEncryptionAllowedFunction(std::function<bool(const QString &bareJid)> allowed)
    {
        m_encryptionAllowed = std::move(allowed);
    }
    /// Whether negotiations with a contact may agree on the older sas28x5 verification code (compatibility with
    /// other ESession clients); unset or false: only the committed code is offered and accepted.
    void setWeakSasAllowedFunction(std::function<bool(const QString &bareJid)> allowed)
    {
        m_weakSasAllowed = std::move(allowed);
    }
    /// The MODP groups new encrypted-session negotiations offer (in this order) and accept; empty: the
    /// engine's defaults. Sessions already negotiated keep their group.
    void setPreferredGroups(const QList<Crypto::ModpGroup> &groups) { m_preferredGroups = groups; }
    QList<Crypto::ModpGroup> preferredGroups() const { return m_preferredGroups; }
    /// Whether a message to @p to in @p thread would travel encrypted.
    bool isEncryptedConversation(const QString &to, const QString &thread) const;

    QList<Contact> contacts() const;
    Contact contact(const QString &bareJid) const;
    bool isRosterReceived() const;
    /// Adds to the roster and asks for a presence subscription.
    void addContact(const QString &bareJid, const QString &name = {});
    void approveSubscription(const QString &bareJid);
    void refuseSubscription(const QString &bareJid);
    QStringList pendingSubscriptionRequests() const { return m_pendingRequests; }

    QXmppClient *client() const { return m_client; }
    /// No TCP connection, not even one still closing after disconnectFromServer().
    bool isConnectionClosed() const;
    EsessionExtension *esession() const { return m_esession; }

Q_SIGNALS:
    void stateChanged(Account::State state);
    void errorReasonChanged(const QString &reason);
    void connected();
    /// The TCP connection is closed, after the stream: what disconnectFromServer() started is over.
    void connectionClosed();
    void messageReceived(const QXmppMessage &message);
    /// The server or the peer bounced a message we sent (by stanza id).
    void messageFailed(const QString &stanzaId, const QString &reason);
    void rosterChanged();
    void presenceChanged(const QString &bareJid);
    void subscriptionRequested(const QString &bareJid);
    /// Encrypted content that could not be opened, with its stable code (Esession::FailureCode; the front ends
    /// word it).
    void undecryptableReceived(const QString &from, const QString &thread, const QString &stanzaId,
                               const QString &code);

private:
    std::function<bool(const QString &)> m_encryptionAllowed;
    std::function<bool(const QString &)> m_weakSasAllowed;
    QList<Crypto::ModpGroup> m_preferredGroups;
    void setState(State state);
    void setError(const QString &reason, bool permanent);
    void onClientStateChanged(QXmppClient::State state);
    void onErrorOccurred(const QXmppError &error);
    void tuneSocket();
    void onConnectionClosed();
    QSslSocket *socket() const;
    void onSubscriptionRequest(const QString &bareJid);
    void onMessage(const QXmppMessage &message);
    void scheduleReconnect();
    QXmppConfiguration makeConfiguration() const;

    AccountConfig m_config;
    QXmppClient *m_client;
    bool m_connectWhenClosed = false;
    QXmppRosterManager *m_roster;
    EsessionExtension *m_esession;
    State m_state = State::Offline;
    QString m_errorReason;
    bool m_errorPermanent = false;
    QStringList m_sslErrors;
    bool m_wantOnline = false;
    bool m_reconnectEnabled = true;
    bool m_autoApproveAll = false;
    int m_initialDelayMs = 1000;
    int m_maxDelayMs = 60000;
    int m_nextDelayMs = 1000;
    QTimer m_reconnectTimer;
    QStringList m_pendingRequests;
};
