#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

class Account;
class MessageStore;

/// The contacts of the open account: everyone in the roster, plus anyone there is history with (so the
/// list is useful offline too), with presence and unread counts kept live.
class ContactListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The AppContext owns the contact list.")

    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role {
        JidRole = Qt::UserRole + 1,
        NameRole,        ///< the roster name, or the JID when there is none
        OnlineRole,      ///< bool
        PresenceTextRole, ///< "online" / "offline" in words, so that presence never relies on colour
        UnreadRole,
    };
    Q_ENUM(Role)

    explicit ContactListModel(QObject *parent = nullptr);

    /// Follows this account and store (both null: empty).
    void setSources(Account *account, MessageStore *store);

    int count() const { return int(m_entries.size()); }
    /// The row of a contact, or -1.
    Q_INVOKABLE int indexOf(const QString &jid) const;
    /// The display name of a contact (its JID when it has no name or is not in the list).
    Q_INVOKABLE QString displayName(const QString &jid) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void countChanged();

private:
    struct Entry
    {
        QString jid;
        QString name;
        bool online = false;
        int unread = 0;
    };

    void rebuild();
    void refreshPresence(const QString &jid);
    void refreshUnread(const QString &jid, int count);
    Entry makeEntry(const QString &jid) const;

    QPointer<Account> m_account;
    QPointer<MessageStore> m_store;
    QList<QMetaObject::Connection> m_connections;
    QList<Entry> m_entries;
};
