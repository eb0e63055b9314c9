// The chat service and its per-contact security state (Messenger, ConversationSecurity) without a server: the
// account stays offline, sessions are installed with given keys (EsessionExtension::startSession) and ended with
// endSession(), incoming messages are handed to the account's signal. Nothing is sent; what is checked is which
// conversation, state and thread every message and event belongs to.
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include "crypto/Crypto.h"
#include "esession/StanzaCipher.h"
#include "session/ConversationSecurity.h"
#include "session/Messenger.h"
#include "storage/ContactSettings.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"
#include "xmpp/Account.h"
#include "xmpp/EsessionExtension.h"

using Phase = ConversationSecurity::Phase;

namespace {

Esession::CipherParameters randomParameters()
{
    Esession::CipherParameters p;
    p.send = {Crypto::randomBytes(16), Crypto::randomBytes(32),
              *Esession::BlockCounter::fromBigEndian(Crypto::randomBytes(16))};
    p.receive = {Crypto::randomBytes(16), Crypto::randomBytes(32), p.send.counter.withTopBitFlipped()};
    return p;
}

QString newThread()
{
    return QString::fromLatin1(Crypto::randomBytes(16).toHex());
}

} // namespace

class TestMessenger : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::make_unique<Database>(m_dir.filePath(QStringLiteral("db-%1.sqlite").arg(++m_counter)));
        QVERIFY(m_db->open());
        m_store = std::make_unique<MessageStore>(m_db.get());
        m_settings = std::make_unique<ContactSettings>(m_db.get());
        m_account = std::make_unique<Account>();
        m_account->setConfig({QStringLiteral("alice@example.com"), {}, {}, 0, {}, QStringLiteral("sotto")});
        m_messenger = std::make_unique<Messenger>(m_account.get(), m_store.get());
        m_messenger->setContactSettings(m_settings.get());
        QCOMPARE(m_account->state(), Account::State::Offline);
    }

    void cleanup()
    {
        m_messenger.reset();
        m_account.reset();
        m_settings.reset();
        m_store.reset();
        m_db.reset();
    }

    // Security review F3: a session of the contact ends after a newer one started (the contact's client renegotiated,
    // or a second device did). What the older session had sent without the contact's confirmation goes back into
    // the outbox; it must go into the newer session, not wait for ever in the older, dead thread.
    void olderSessionEndingAfterANewerOneHandsOverItsMessages_data()
    {
        QTest::addColumn<QString>("newerPeer");
        QTest::newRow("the same resource") << QStringLiteral("bob@example.com/laptop");
        QTest::newRow("another resource") << QStringLiteral("bob@example.com/phone");
    }

    void olderSessionEndingAfterANewerOneHandsOverItsMessages()
    {
        QFETCH(QString, newerPeer);
        const QString bob = QStringLiteral("bob@example.com");
        const QString olderPeer = QStringLiteral("bob@example.com/laptop");
        ConversationSecurity *security = m_messenger->security();
        EsessionExtension *esession = m_account->esession();

        const QString older = newThread();
        esession->startSession(olderPeer, older, randomParameters());
        QCOMPARE(security->phase(bob), Phase::Encrypted);
        QCOMPARE(security->thread(bob), older);
        QList<qint64> ids;
        QStringList stanzaIds;
        for (const char *body : {"one", "two", "three"}) {
            const auto stored = m_messenger->send(bob, QString::fromLatin1(body));
            QVERIFY(stored);
            QVERIFY(stored->encrypted);
            QCOMPARE(stored->thread, older);
            ids << stored->id;
            stanzaIds << stored->stanzaId;
        }
        // The server took all three (XEP-0198); the contact confirmed the first (XEP-0184), which stays where it is.
        for (qint64 id : ids)
            QVERIFY(m_store->setState(id, MessageState::Sent));
        QVERIFY(m_store->setState(ids[0], MessageState::Delivered));

        // A newer session comes up while the older one is still alive: nothing waits, nothing moves.
        const QString newer = newThread();
        esession->startSession(newerPeer, newer, randomParameters());
        QCOMPARE(security->thread(bob), newer);
        QCOMPARE(m_store->waitingEncryptedCount(bob), 0);

        // The older one ends (not by our acknowledged terminate): the conversation stays in the newer session...
        esession->endSession(olderPeer, older, QString());
        QCOMPARE(security->phase(bob), Phase::Encrypted);
        QCOMPARE(security->thread(bob), newer);
        QVERIFY(security->failure(bob).isEmpty());
        // ...and the older one's unconfirmed messages wait in it, in order, with their stanza ids (the contact keeps
        // each once), encrypted.
        QCOMPARE(m_store->waitingEncryptedCount(bob), 2);
        QCOMPARE(m_store->message(ids[0])->thread, older);
        QCOMPARE(m_store->message(ids[0])->state, MessageState::Delivered);
        const QList<StoredMessage> pending = m_store->pendingOutgoing();
        QCOMPARE(pending.size(), 2);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(pending[i].id, ids[i + 1]);
            QCOMPARE(pending[i].thread, newer);
            QCOMPARE(pending[i].stanzaId, stanzaIds[i + 1]);
            QCOMPARE(pending[i].state, MessageState::Queued);
            QVERIFY(pending[i].encrypted);
        }
        // The next message joins them there.
        const auto next = m_messenger->send(bob, QStringLiteral("four"));
        QVERIFY(next);
        QCOMPARE(next->thread, newer);
    }

private:
    QTemporaryDir m_dir;
    int m_counter = 0;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<MessageStore> m_store;
    std::unique_ptr<ContactSettings> m_settings;
    std::unique_ptr<Account> m_account;
    std::unique_ptr<Messenger> m_messenger;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestMessenger test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_messenger.moc"
