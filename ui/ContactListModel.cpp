#include "ContactListModel.h"

#include <QSet>

#include <algorithm>

#include "esession/FormNormalizer.h"
#include "storage/MessageStore.h"
#include "xmpp/Account.h"

ContactListModel::ContactListModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

void ContactListModel::setSources(Account *account, MessageStore *store)
{
    for (const QMetaObject::Connection &connection : std::as_const(m_connections))
        disconnect(connection);
    m_connections.clear();
    m_account = account;
    m_store = store;

    if (m_account) {
        m_connections << connect(m_account, &Account::rosterChanged, this, &ContactListModel::rebuild);
        m_connections << connect(m_account, &Account::presenceChanged, this, &ContactListModel::refreshPresence);
        // Going offline drops every contact's presence without one signal per contact.
        m_connections << connect(m_account, &Account::stateChanged, this, [this] {
            for (const Entry &entry : std::as_const(m_entries))
                refreshPresence(entry.jid);
        });
    }
    if (m_store) {
        m_connections << connect(m_store, &MessageStore::unreadChanged, this, &ContactListModel::refreshUnread);
        m_connections << connect(m_store, &MessageStore::messageAdded, this, [this](const StoredMessage &message) {
            if (indexOf(message.peer) < 0)
                rebuild();
        });
    }
    rebuild();
}

int ContactListModel::indexOf(const QString &jid) const
{
    for (int row = 0; row < m_entries.size(); ++row) {
        // The store and the core name a contact as XMPP compares JIDs; the roster may spell it otherwise.
        if (Esession::sameBare(m_entries.at(row).jid, jid))
            return row;
    }
    return -1;
}

QString ContactListModel::displayName(const QString &jid) const
{
    const int row = indexOf(jid);
    if (row < 0 || m_entries.at(row).name.isEmpty())
        return jid;
    return m_entries.at(row).name;
}

int ContactListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant ContactListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &entry = m_entries.at(index.row());
    switch (role) {
    case JidRole:
        return entry.jid;
    case Qt::DisplayRole:
    case NameRole:
        return entry.name.isEmpty() ? entry.jid : entry.name;
    case OnlineRole:
        return entry.online;
    case PresenceTextRole:
        return entry.online ? tr("online") : tr("offline");
    case UnreadRole:
        return entry.unread;
    default:
        return {};
    }
}

QHash<int, QByteArray> ContactListModel::roleNames() const
{
    return {
        {JidRole, "jid"},
        {NameRole, "name"},
        {OnlineRole, "online"},
        {PresenceTextRole, "presenceText"},
        {UnreadRole, "unread"},
    };
}

ContactListModel::Entry ContactListModel::makeEntry(const QString &jid) const
{
    Entry entry;
    entry.jid = jid;
    if (m_account) {
        const Contact contact = m_account->contact(jid);
        entry.name = contact.name;
        entry.online = m_account->state() == Account::State::Online && contact.online;
    }
    if (m_store)
        entry.unread = m_store->unreadCount(jid);
    return entry;
}

void ContactListModel::rebuild()
{
    QStringList jids;
    if (m_account) {
        const QList<Contact> roster = m_account->contacts();
        for (const Contact &contact : roster)
            jids << contact.jid;
    }
    if (m_store)
        jids << m_store->peers();
    // One entry per contact as XMPP compares JIDs, in the roster's spelling where it has one.
    QSet<QString> seen;
    if (m_account)
        seen.insert(Esession::normalizedBareJid(m_account->jid()));
    jids.removeIf([&seen](const QString &jid) {
        const QString key = Esession::normalizedBareJid(jid);
        if (seen.contains(key))
            return true;
        seen.insert(key);
        return false;
    });

    QList<Entry> entries;
    entries.reserve(jids.size());
    for (const QString &jid : std::as_const(jids))
        entries << makeEntry(jid);
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
        const QString &nameA = a.name.isEmpty() ? a.jid : a.name;
        const QString &nameB = b.name.isEmpty() ? b.jid : b.name;
        const int order = nameA.compare(nameB, Qt::CaseInsensitive);
        return order != 0 ? order < 0 : a.jid < b.jid;
    });

    const bool sameRows = entries.size() == m_entries.size()
        && std::equal(entries.cbegin(), entries.cend(), m_entries.cbegin(),
                      [](const Entry &a, const Entry &b) { return a.jid == b.jid; });
    if (sameRows) {
        // Keep the view's current item and scroll position: only the values change.
        for (int row = 0; row < entries.size(); ++row) {
            const Entry &now = entries.at(row);
            const Entry &before = m_entries.at(row);
            if (now.name != before.name || now.online != before.online || now.unread != before.unread) {
                m_entries[row] = now;
                Q_EMIT dataChanged(index(row), index(row));
            }
        }
        return;
    }
    const int oldCount = count();
    beginResetModel();
    m_entries = entries;
    endResetModel();
    if (oldCount != count())
        Q_EMIT countChanged();
}

void ContactListModel::refreshPresence(const QString &jid)
{
    const int row = indexOf(jid);
    if (row < 0 || !m_account)
        return;
    const bool online = m_account->state() == Account::State::Online && m_account->contact(jid).online;
    if (m_entries.at(row).online == online)
        return;
    m_entries[row].online = online;
    Q_EMIT dataChanged(index(row), index(row), {OnlineRole, PresenceTextRole});
}

void ContactListModel::refreshUnread(const QString &jid, int count)
{
    const int row = indexOf(jid);
    if (row < 0) {
        rebuild();
        return;
    }
    if (m_entries.at(row).unread == count)
        return;
    m_entries[row].unread = count;
    Q_EMIT dataChanged(index(row), index(row), {UnreadRole});
}
