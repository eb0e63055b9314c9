// The chat service and its per-contact security state (Messenger, ConversationSecurity) without a server: the
// account stays offline, sessions are installed with given keys (EsessionExtension::startSession) and ended with
// endSession(), incoming messages are handed to the account's signal. Nothing is sent; what is checked is which
// conversation, state and thread every message and event belongs to.
#include <QDomDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <QXmppMessage.h>

#include <memory>

#include "crypto/Crypto.h"
#include "esession/FormNormalizer.h"
#include "esession/StanzaCipher.h"
#include "esession/StanzaCodec.h"
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

    // Review L11: a message too large for a stanza of the session is refused when it is written, with a reason,
    // and nothing is stored or queued (it would fail again at every attempt). Just under the limit is accepted.
    void oversizedMessageIsRefusedAtOnce_data()
    {
        QTest::addColumn<QString>("body");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("at the limit") << QString(Messenger::MaxBodyBytes, u'a') << true;
        QTest::newRow("one byte over") << QString(Messenger::MaxBodyBytes + 1, u'a') << false;
        // Escaped in the stanza, '<' takes four bytes: what counts is the stanza's size.
        QTest::newRow("markup that grows when escaped") << QString(Messenger::MaxBodyBytes / 3, u'<') << false;
        QTest::newRow("multi-byte characters") << QString(Messenger::MaxBodyBytes / 2, QChar(0x00e9)) << true;
        QTest::newRow("multi-byte characters over") << QString(Messenger::MaxBodyBytes / 2 + 1, QChar(0x00e9)) << false;
    }

    void oversizedMessageIsRefusedAtOnce()
    {
        QFETCH(QString, body);
        QFETCH(bool, accepted);
        const QString bob = QStringLiteral("bob@example.com");
        const auto sent = m_messenger->send(bob, body);
        QCOMPARE(sent.has_value(), accepted);
        QCOMPARE(m_store->history(bob).size(), accepted ? 1 : 0);
        if (!accepted)
            QVERIFY2(m_messenger->lastError().contains(QStringLiteral("too long")), qPrintable(m_messenger->lastError()));
        if (!accepted)
            return;
        // What the limit lets through fits a stanza of the session: sealing it is not refused as too large.
        QDomDocument doc;
        QDomElement message = doc.createElementNS(QStringLiteral("jabber:client"), QStringLiteral("message"));
        doc.appendChild(message);
        for (const auto &[name, text] : { std::pair { QStringLiteral("thread"), newThread() },
                                          std::pair { QStringLiteral("body"), body } }) {
            QDomElement child = doc.createElementNS(QStringLiteral("jabber:client"), name);
            child.appendChild(doc.createTextNode(text));
            message.appendChild(child);
        }
        message.appendChild(doc.createElementNS(QStringLiteral("urn:xmpp:receipts"), QStringLiteral("request")));
        Esession::StanzaCipher cipher(randomParameters());
        QCOMPARE(Esession::encryptStanza(cipher, message), std::nullopt);
    }

    void cleanup()
    {
        m_messenger.reset();
        m_account.reset();
        m_settings.reset();
        m_store.reset();
        m_db.reset();
    }

    // Security review F6: XMPP compares the local part and the domain of a JID without case. The user writes to the
    // contact under one spelling, the contact's server (or the user) uses another: it is one conversation all the
    // same: one security state, one policy, the same waiting messages, one stored history.
    void contactsJidCaseIsOneConversation_data()
    {
        QTest::addColumn<QString>("user");    // how the user (the roster, the chat page) names the contact
        QTest::addColumn<QString>("contact"); // the full JID the contact's stanzas and session come from
        QTest::newRow("the server changes the case") << QStringLiteral("bob@example.com")
                                                     << QStringLiteral("Bob@Example.com/Laptop");
        QTest::newRow("the user typed capitals") << QStringLiteral("Bob@Example.COM")
                                                 << QStringLiteral("bob@example.com/laptop");
        QTest::newRow("neither spelling is lower-case") << QStringLiteral("BOB@example.com")
                                                        << QStringLiteral("bob@EXAMPLE.com/Laptop");
        QTest::newRow("beyond ASCII") << QStringLiteral("jürgen@bücher.example")
                                      << QStringLiteral("JÜRGEN@BÜCHER.example/x");
    }

    void contactsJidCaseIsOneConversation()
    {
        QFETCH(QString, user);
        QFETCH(QString, contact);
        const QString contactBare = contact.left(contact.indexOf(u'/'));
        const QString key = Esession::normalizedBareJid(user);
        ConversationSecurity *security = m_messenger->security();
        QSignalSpy changed(security, &ConversationSecurity::changed);

        // The user asks for encryption while offline and writes: the message waits for the session.
        QVERIFY(!security->startEncryption(user));
        QCOMPARE(security->phase(user), Phase::Ready);
        QCOMPARE(security->phase(contactBare), Phase::Ready);
        const auto waiting = m_messenger->send(user, QStringLiteral("first"));
        QVERIFY(waiting);
        QVERIFY(waiting->encrypted);
        QCOMPARE(waiting->peer, key);
        QCOMPARE(m_store->waitingEncryptedCount(contactBare), 1);
        QCOMPARE(m_store->peersWithWaitingEncrypted(), QStringList{key});
        QVERIFY(!changed.isEmpty());
        for (const QList<QVariant> &arguments : std::as_const(changed))
            QCOMPARE(arguments.at(0).toString(), key);

        // The policy the user set under one spelling holds under the other.
        QVERIFY(m_settings->setSessionPolicy(user, SessionPolicy::Always));
        QVERIFY(!security->plaintextAllowed(contactBare));
        QVERIFY(!security->sendUnencrypted(contactBare));

        // A plain message from the contact lands in the same conversation, marked: it arrived unencrypted there.
        QXmppMessage plain(contact, QStringLiteral("alice@example.com/sotto"), QStringLiteral("hello"));
        plain.setType(QXmppMessage::Chat);
        plain.setId(QStringLiteral("m1"));
        plain.setThread(QStringLiteral("their-thread"));
        Q_EMIT m_account->messageReceived(plain);
        QCOMPARE(m_store->peers(), QStringList{key});
        const QList<StoredMessage> history = m_store->history(user);
        QCOMPARE(history.size(), 2);
        QCOMPARE(history.last().body, QStringLiteral("hello"));
        QCOMPARE(history.last().peer, key);
        QVERIFY(history.last().arrivedUnencrypted);
        QCOMPARE(m_store->unreadCount(user), 1);
        // The same message again under the user's spelling is the same message.
        plain.setFrom(user + QStringLiteral("/Laptop"));
        Q_EMIT m_account->messageReceived(plain);
        QCOMPARE(m_store->history(contactBare).size(), 2);

        // A session comes up with the contact: it is this conversation's, and what waited moves into it.
        changed.clear();
        const QString thread = newThread();
        m_account->esession()->startSession(contact, thread, randomParameters());
        QCOMPARE(security->phase(user), Phase::Encrypted);
        QCOMPARE(security->thread(user), thread);
        QCOMPARE(m_store->message(waiting->id)->thread, thread);
        QCOMPARE(m_store->waitingEncryptedCount(user), 1); // still waiting: the account is offline
        QVERIFY(!changed.isEmpty());
        QCOMPARE(changed.last().at(0).toString(), key);
        // What the user writes now goes into that session, to the contact's resource.
        const auto next = m_messenger->send(user, QStringLiteral("second"));
        QVERIFY(next);
        QVERIFY(next->encrypted);
        QCOMPARE(next->thread, thread);

        // The session ends on the contact's side: the conversation waits for the user's Retry.
        m_account->esession()->endSession(contact, thread);
        QCOMPARE(security->phase(user), Phase::Held);
        QCOMPARE(security->failure(contactBare), EsessionExtension::EndedLocally);
        QCOMPARE(m_store->waitingEncryptedCount(contactBare), 2);
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
        esession->endSession(olderPeer, older);
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
