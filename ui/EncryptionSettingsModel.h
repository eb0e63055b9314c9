#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

#include "storage/SqlRetainedSecretStore.h"

class AppContext;

/// The "Encryption" settings: one row per retained secret (what Sotto remembers about a contact so that
/// later sessions are authenticated), with the facts in plain words, and the actions on them. Also the
/// per-contact session policy and compatibility with other ESession clients. Never exposes a secret.
class EncryptionSettingsModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(AppContext *context READ context WRITE setContext NOTIFY contextChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    /// False while the retained secrets are not in the encrypted store (no keyring, no passphrase yet).
    Q_PROPERTY(bool available READ isAvailable NOTIFY countChanged)
    /// The MODP group numbers the user may offer, strongest first (14–18; 1, 2 and 5 are below the floor).
    Q_PROPERTY(QVariantList groupChoices READ groupChoices CONSTANT)
    /// The group numbers new sessions offer, strongest first; empty while no account is open.
    Q_PROPERTY(QVariantList offeredGroups READ offeredGroups NOTIFY groupsChanged)

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        PeerRole,
        VerifiedRole,
        ReadableRole,
        SummaryRole, ///< one sentence: created, last used, sessions, verified when
    };
    Q_ENUM(Role)

    explicit EncryptionSettingsModel(QObject *parent = nullptr);

    AppContext *context() const { return m_context; }
    void setContext(AppContext *context);
    int count() const { return int(m_rows.size()); }
    bool isAvailable() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    /// The next session with the contact asks for a SAS comparison again, the secret itself stays.
    Q_INVOKABLE bool markUnverified(int row);
    /// Forgets one secret: the next session with that client of the contact starts without it (new SAS).
    Q_INVOKABLE bool forget(int row);
    /// Forgets everything remembered about the contact.
    Q_INVOKABLE bool forgetAll(const QString &peer);
    /// 0 off, 1 ask, 2 always (SessionPolicy).
    Q_INVOKABLE int policy(const QString &peer) const;
    Q_INVOKABLE bool setPolicy(const QString &peer, int policy);
    /// Compatibility with other ESession clients: the contact's next negotiations may agree on the older sas28x5
    /// code (which someone in the middle can make match). Off unless switched on.
    Q_INVOKABLE bool weakSasAllowed(const QString &peer) const;
    Q_INVOKABLE bool setWeakSasAllowed(const QString &peer, bool allowed);
    Q_INVOKABLE void reload();

    QVariantList groupChoices() const;
    QVariantList offeredGroups() const;
    /// Size of the group's prime in bits (2048 for 14 ... 8192 for 18).
    Q_INVOKABLE int groupBits(int group) const;
    /// Offers @p group in new sessions, or stops offering it. Refused (false, nothing changes) for a group
    /// that is not a choice, or when it would leave no group at all.
    Q_INVOKABLE bool setGroupOffered(int group, bool offered);

Q_SIGNALS:
    void contextChanged();
    void countChanged();
    void groupsChanged();

private:
    SqlRetainedSecretStore *store() const;

    QPointer<AppContext> m_context;
    QList<SqlRetainedSecretStore::Info> m_rows;
    QMetaObject::Connection m_storeConnection;
    QMetaObject::Connection m_settingsConnection;
};
