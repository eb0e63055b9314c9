#pragma once

#include <QList>
#include <QTemporaryDir>

#include <memory>

#include "storage/MessageStore.h"
#include "xmpp/Account.h"

class Database;
class LocalServer;
class Messenger;

/// One logged-in user of the core for tests: account, database and chat service, with what it received.
struct TestClient
{
    /// @p dataDir: where the database lives (a restart opens the same one); empty: a fresh temporary dir.
    /// @p resource: the XMPP resource (a second device of the same user).
    TestClient(const LocalServer &server, const QString &user, const QString &password = {},
               const QString &dataDir = {}, const QString &resource = {});
    ~TestClient();

    QStringList bodies() const;

    QTemporaryDir dir;
    QString dataDir; ///< dir's path, or the one given
    Account account;
    std::unique_ptr<Database> db;
    std::unique_ptr<MessageStore> store;
    std::unique_ptr<Messenger> messenger;
    QList<StoredMessage> received;
};
