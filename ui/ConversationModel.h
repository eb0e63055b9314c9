#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

#include "AppContext.h"
#include "VerificationFlow.h"
#include "storage/MessageStore.h"

/// The conversation with one contact: its history from the store, new messages as they are stored, and
/// the delivery state of outgoing ones. While @c active, the conversation is marked read.
///
/// The encryption state of the conversation comes from the engine, not from the store: the app sets
/// sessionStatus, identityChanged and verificationFlow when the engine reports on this contact's session
/// (the page shows the shield, the identity warning and the "Verify…" action from them).
class ConversationModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(AppContext *context READ context WRITE setContext NOTIFY contextChanged)
    Q_PROPERTY(QString peer READ peer WRITE setPeer NOTIFY peerChanged)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(QString peerName READ peerName NOTIFY peerInfoChanged)
    Q_PROPERTY(bool peerOnline READ isPeerOnline NOTIFY peerInfoChanged)
    Q_PROPERTY(QString peerPresenceText READ peerPresenceText NOTIFY peerInfoChanged)
    Q_PROPERTY(bool canSend READ canSend NOTIFY canSendChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(SessionStatus sessionStatus READ sessionStatus WRITE setSessionStatus NOTIFY sessionStatusChanged)
    Q_PROPERTY(bool identityChanged READ identityChanged WRITE setIdentityChanged NOTIFY identityChangedChanged)
    Q_PROPERTY(QString formerJid READ formerJid WRITE setFormerJid NOTIFY formerJidChanged)
    /// Why encryption failed, in words (sessionStatus Failed); empty otherwise.
    Q_PROPERTY(QString failureText READ failureText NOTIFY sessionStatusChanged)
    /// The failure is that the contact's client knows only the older verification code (sas28x5), which this
    /// contact is not allowed: the page offers to allow it.
    Q_PROPERTY(bool olderCodeNeeded READ olderCodeNeeded NOTIFY sessionStatusChanged)
    /// The user may choose plaintext with this contact (End encryption, Send unencrypted): not under Always.
    Q_PROPERTY(bool plaintextAllowed READ plaintextAllowed NOTIFY sessionStatusChanged)
    /// Messages written to the contact that wait for encryption.
    Q_PROPERTY(int waitingCount READ waitingCount NOTIFY sessionStatusChanged)
    /// The contact is not a contact and asks for an encrypted session: the page offers Accept and Decline.
    Q_PROPERTY(bool encryptionRequested READ encryptionRequested NOTIFY sessionStatusChanged)
    Q_PROPERTY(VerificationFlow *verificationFlow READ verificationFlow WRITE setVerificationFlow NOTIFY
                   verificationFlowChanged)

public:
    enum Role {
        MessageIdRole = Qt::UserRole + 1,
        BodyRole,
        OutgoingRole,
        DeliveryStateRole, ///< queued / sending / sent / failed / received (stable keys, not translated)
        StateTextRole,     ///< the delivery state in words
        TimestampRole,
        TimeTextRole,      ///< local time, short format
        EncryptionBadgeRole, ///< plain / encrypted / failed (stable keys, not translated)
        UnreadableRole,      ///< the stored body could not be opened here (locked vault, another run's key, damage)
    };
    Q_ENUM(Role)

    /// The encrypted session with the contact, as the engine last reported it.
    /// What the next message to the contact is (the core's ConversationSecurity), and how far it is trusted.
    enum SessionStatus {
        Plain,       ///< not encrypted: the user has not asked for encryption with this contact
        Unverified,  ///< encrypted, but the retained secret was never verified: encrypted, not authenticated
        Verified,    ///< encrypted with a retained secret the user verified by comparing the code
        Failed,      ///< encryption failed or the session ended: messages wait (never plaintext) until Retry
        Negotiating, ///< an encrypted session is being set up: messages wait for it
        Waiting,     ///< encryption is wanted and no session is up yet: the next message starts one
    };
    Q_ENUM(SessionStatus)

    explicit ConversationModel(QObject *parent = nullptr);

    AppContext *context() const { return m_context; }
    void setContext(AppContext *context);
    QString peer() const { return m_peer; }
    void setPeer(const QString &peer);
    bool isActive() const { return m_active; }
    void setActive(bool active);

    QString peerName() const;
    bool isPeerOnline() const;
    QString peerPresenceText() const;
    bool canSend() const;
    int count() const { return int(m_messages.size()); }

    SessionStatus sessionStatus() const { return m_sessionStatus; }
    void setSessionStatus(SessionStatus status);
    /// A contact that was verified came back without the retained secret we expected: a reinstall or an
    /// attack. The app sets it (and drops sessionStatus to Unverified) until the code is verified again.
    bool identityChanged() const { return m_identityChanged; }
    void setIdentityChanged(bool changed);
    /// The session was authenticated by the secret kept for another address of ours (the contact moved, or
    /// hides behind a second address): shown so that the user knows who this is. Empty otherwise.
    QString formerJid() const { return m_formerJid; }
    void setFormerJid(const QString &jid);
    /// The comparison of the current session's code, when there is one. Not owned.
    VerificationFlow *verificationFlow() const { return m_verificationFlow; }
    void setVerificationFlow(VerificationFlow *flow);

    /// Stores @p text for the contact and sends it when the account can (queued while offline).
    /// False when nothing was stored (empty text, no account open, storage failure).
    Q_INVOKABLE bool send(const QString &text);
    /// Why the last send() returned false (empty: the store failed).
    Q_INVOKABLE QString lastSendError() const { return m_lastSendError; }

    static QString stateKey(MessageState state);
    static QString stateText(MessageState state);
    /// "failed" for what could not be decrypted, "encrypted" for what went through a session,
    /// "unencrypted-arrival" for a plain message that arrived while the conversation was encrypted, else "plain".
    static QString encryptionBadge(const StoredMessage &message);
    QString failureText() const { return m_failureText; }
    bool olderCodeNeeded() const { return m_olderCodeNeeded; }
    bool plaintextAllowed() const { return m_plaintextAllowed; }
    int waitingCount() const;
    bool encryptionRequested() const { return m_encryptionRequested; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void contextChanged();
    void peerChanged();
    void activeChanged();
    void peerInfoChanged();
    void canSendChanged();
    void countChanged();
    void sessionStatusChanged();
    void identityChangedChanged();
    void formerJidChanged();
    void verificationFlowChanged();

private:
    void reload();
    void detach();
    void onMessageAdded(const StoredMessage &message);
    void onStateChanged(qint64 id, MessageState state);
    void syncEncryption();
    /// An outgoing message that must leave encrypted and has not gone yet, while no session is up.
    bool isWaiting(const StoredMessage &message) const;
    QString m_lastSendError;
    void onMessageReplaced(const StoredMessage &message);
    void markReadIfActive();
    int rowOf(qint64 id) const;

    QPointer<AppContext> m_context;
    QString m_peer;
    bool m_active = false;
    QList<StoredMessage> m_messages;
    QList<QMetaObject::Connection> m_sessionConnections;
    SessionStatus m_sessionStatus = Plain;
    bool m_identityChanged = false;
    QString m_failureText;
    bool m_olderCodeNeeded = false;
    bool m_plaintextAllowed = true;
    bool m_encryptionRequested = false;
    QString m_formerJid;
    QPointer<VerificationFlow> m_verificationFlow;
};
