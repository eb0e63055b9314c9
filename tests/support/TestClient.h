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
    TestClient(const LocalServer &server, const QString &user, const QString &password = {});
    ~TestClient();

    QStringList bodies() const;

    QTemporaryDir dir;
    Account account;
    std::unique_ptr<Database> db;
    std::unique_ptr<MessageStore> store;
    std::unique_ptr<Messenger> messenger;
    QList<StoredMessage> received;
};
