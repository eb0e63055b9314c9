#include "TestClient.h"

#include "LocalServer.h"
#include "session/Messenger.h"
#include "storage/Database.h"

TestClient::TestClient(const LocalServer &server, const QString &user, const QString &password,
                       const QString &existingDir, const QString &resource)
    : dataDir(existingDir.isEmpty() ? dir.path() : existingDir)
{
    AccountConfig config;
    config.jid = user + QStringLiteral("@localhost");
    config.password = password.isEmpty() ? server.password(user) : password;
    config.host = server.host();
    config.port = server.port();
    config.trustedCertPath = server.certPath();
    if (!resource.isEmpty())
        config.resource = resource;
    account.setConfig(config);
    account.setReconnectDelays(200, 1000);
    db = std::make_unique<Database>(dataDir + QStringLiteral("/sotto.sqlite"));
    if (!db->open())
        qFatal("cannot open the test database");
    store = std::make_unique<MessageStore>(db.get());
    messenger = std::make_unique<Messenger>(&account, store.get());
    QObject::connect(messenger.get(), &Messenger::messageReceived, messenger.get(),
                     [this](const StoredMessage &m) { received << m; });
}

TestClient::~TestClient()
{
    messenger.reset();
    store.reset();
    account.disconnectFromServer();
}

QStringList TestClient::bodies() const
{
    QStringList result;
    for (const auto &m : received)
        result << m.body;
    return result;
}
