// XEP-0155 stanza session negotiation between two core accounts through a real Prosody: disco
// advertisement, a negotiated and terminated session, the presence-leak rule for strangers, and the
// error stanzas a refused request gets on the wire.
#include <QDomDocument>
#include <QSignalSpy>
#include <QTest>

#include <QXmppClient.h>
#include <QXmppClientExtension.h>
#include <QXmppDiscoveryIq.h>
#include <QXmppDiscoveryManager.h>
#include <QXmppMessage.h>
#include <QXmppUtils.h>

#include <memory>

#include "LocalServer.h"
#include "LogCapture.h"
#include "TestClient.h"
#include "crypto/Crypto.h"
#include "esession/FormConstants.h"
#include "esession/RetainedSecretStore.h"
#include "session/ConversationSecurity.h"
#include "session/Messenger.h"
#include "storage/ContactSettings.h"
#include "session/SessionManager.h"
#include "esession/SsnNegotiation.h"
#include "xmpp/EsessionExtension.h"
#include "xmpp/SsnHandler.h"

using namespace Esession;

namespace {

constexpr int NetTimeout = 15000;
// Sees every message before the rest of the client and keeps the error stanzas.
class ErrorRecorder : public QXmppClientExtension
{
public:
    bool handleStanza(const QDomElement &element) override
    {
        if (element.tagName() == u"message" && element.attribute(QStringLiteral("type")) == u"error") {
            QDomDocument copy;
            copy.appendChild(copy.importNode(element, true));
            errors << copy;
        }
        return false;
    }
    QList<QDomDocument> errors;
};

QString newThread()
{
    return QString::fromLatin1(Crypto::randomBytes(16).toHex());
}

// The request a policy produces, as a <message/> ready to send from a test client.
QXmppMessage requestFrom(const SsnPolicy &policy, const QString &to, const QString &thread,
                         const QString &formTypeOverride = {})
{
    SsnNegotiation machine(to, thread, policy);
    const SsnOutput output = machine.request();
    QDomElement stanza = output.stanzas.value(0);
    if (!formTypeOverride.isEmpty()) {
        // Rewrite the FORM_TYPE value in place.
        const QDomNodeList fields = stanza.elementsByTagNameNS(Xep0004::Namespace, QStringLiteral("field"));
        for (int i = 0; i < fields.size(); ++i) {
            QDomElement field = fields.at(i).toElement();
            if (field.attribute(QStringLiteral("var")) == u"FORM_TYPE")
                field.firstChildElement(QStringLiteral("value")).firstChild().setNodeValue(formTypeOverride);
        }
    }
    QXmppMessage message;
    message.setTo(to);
    message.setType(QXmppMessage::Normal);
    QXmppElementList children;
    for (QDomElement child = stanza.firstChildElement(); !child.isNull(); child = child.nextSiblingElement())
        children << QXmppElement(child);
    message.setExtensions(children);
    return message;
}

} // namespace

class TestSsn : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Every logging category at debug level, captured for logHoldsNoSecret().
        LogCapture::install();
        QString error;
        QVERIFY2(m_server.start(&error), qPrintable(error));
    }

    void init()
    {
        m_alice = std::make_unique<TestClient>(m_server, QStringLiteral("alice"));
        m_bob = std::make_unique<TestClient>(m_server, QStringLiteral("bob"));
        m_alice->account.connectToServer();
        m_bob->account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(m_alice->account.state() == Account::State::Online, NetTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(m_bob->account.state() == Account::State::Online, NetTimeout);
    }

    void cleanup()
    {
        m_alice.reset();
        m_bob.reset();
        m_aliceStore.reset();
        m_bobStore.reset();
    }

    // Kept first: the accounts are strangers until subscribeBothWays() runs in a later test.
    void strangerRequestWaitsForTheUser()
    {
        SsnHandler *bob = m_bob->account.esession()->stanzaSessions();
        SsnHandler *alice = m_alice->account.esession()->stanzaSessions();
        QSignalSpy asked(bob, &SsnHandler::sessionRequested);
        QSignalSpy aliceClosed(alice, &SsnHandler::sessionClosed);
        const QString thread = newThread();
        QVERIFY(alice->request(QStringLiteral("bob@localhost/sotto"), thread));
        // Alice may not see Bob's presence: answering on his own would tell her he is online.
        QTRY_COMPARE_WITH_TIMEOUT(asked.count(), 1, NetTimeout);
        QCOMPARE(asked.first().at(1).toString(), thread);
        QTest::qWait(300);
        QCOMPARE(alice->state(QStringLiteral("bob@localhost"), thread), SsnState::Pending);
        QCOMPARE(aliceClosed.count(), 0);
        // Bob says no; Alice hears it.
        QVERIFY(bob->decline(QStringLiteral("alice@localhost"), thread, QStringLiteral("not now")));
        QTRY_COMPARE_WITH_TIMEOUT(aliceClosed.count(), 1, NetTimeout);
        QVERIFY(aliceClosed.first().at(2).toString().contains(QStringLiteral("not now")));
        QCOMPARE(alice->state(QStringLiteral("bob@localhost"), thread), SsnState::Ended);
        // The thread is spent: a new request needs a new ThreadID.
        QVERIFY(!alice->request(QStringLiteral("bob@localhost/sotto"), thread));
    }

    void discoAdvertisesStanzaSessions()
    {
        auto *disco = m_alice->account.client()->findExtension<QXmppDiscoveryManager>();
        QVERIFY(disco);
        bool done = false;
        QStringList features;
        disco->requestDiscoInfo(QStringLiteral("bob@localhost/sotto"))
            .then(this, [&](QXmppDiscoveryManager::InfoResult &&result) {
                if (auto *info = std::get_if<QXmppDiscoveryIq>(&result))
                    features = info->features();
                done = true;
            });
        QTRY_VERIFY_WITH_TIMEOUT(done, NetTimeout);
        QVERIFY(features.contains(Xep0155::FormType));
    }

    void negotiatedAndTerminatedBetweenContacts()
    {
        subscribeBothWays();
        SsnHandler *alice = m_alice->account.esession()->stanzaSessions();
        SsnHandler *bob = m_bob->account.esession()->stanzaSessions();
        QSignalSpy aliceOpen(alice, &SsnHandler::sessionEstablished);
        QSignalSpy bobOpen(bob, &SsnHandler::sessionEstablished);
        QSignalSpy bobAsked(bob, &SsnHandler::sessionRequested);
        QSignalSpy bobClosed(bob, &SsnHandler::sessionClosed);
        const QString thread = newThread();
        QVERIFY(alice->request(QStringLiteral("bob@localhost"), thread));
        QTRY_COMPARE_WITH_TIMEOUT(aliceOpen.count(), 1, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(bobOpen.count(), 1, NetTimeout);
        QCOMPARE(bobAsked.count(), 0); // a contact's acceptable request is answered without asking
        // Alice asked the bare JID; the session is bound to the resource that answered.
        QCOMPARE(alice->peerJid(QStringLiteral("bob@localhost"), thread), QStringLiteral("bob@localhost/sotto"));
        const SsnParameters agreed = alice->parameters(QStringLiteral("bob@localhost"), thread);
        QCOMPARE(agreed, bob->parameters(QStringLiteral("alice@localhost"), thread));
        // Our server cannot switch archiving off (XEP-0136 not offered), so logging=mustnot is never agreed.
        QCOMPARE(agreed.value(Xep0155::Logging), Xep0155::May);
        QCOMPARE(agreed.value(Xep0155::Security), Xep0155::SecurityC2s);

        QVERIFY(alice->terminate(QStringLiteral("bob@localhost"), thread));
        QTRY_COMPARE_WITH_TIMEOUT(bobClosed.count(), 1, NetTimeout);
        QCOMPARE(bob->state(QStringLiteral("alice@localhost"), thread), SsnState::Ended);
    }

    void refusedRequestsGetTheNamedError_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("condition");
        QTest::addColumn<QString>("field");
        QTest::newRow("unknown FORM_TYPE") << "formtype" << "service-unavailable" << "";
        QTest::newRow("no acceptable option") << "e2e-only" << "not-acceptable" << Xep0155::Security;
        QTest::newRow("required field not implemented") << "unknown-required" << "feature-not-implemented"
                                                        << "x-sotto-unknown";
    }

    void refusedRequestsGetTheNamedError()
    {
        QFETCH(QString, kind);
        QFETCH(QString, condition);
        QFETCH(QString, field);
        subscribeBothWays();
        auto *recorder = new ErrorRecorder;
        m_alice->account.client()->insertExtension(0, recorder);

        SsnPolicy policy = SsnPolicy::defaults();
        QString formType;
        if (kind == u"formtype") {
            formType = QStringLiteral("urn:sotto:not-ssn");
        } else if (kind == u"e2e-only") {
            for (SsnParameterPolicy &p : policy.parameters) {
                if (p.var == Xep0155::Security)
                    p.values = {Xep0155::SecurityE2e};
            }
        } else {
            policy.parameters << SsnParameterPolicy{QStringLiteral("x-sotto-unknown"), {QStringLiteral("a")}, true, false};
        }
        const QString thread = newThread();
        m_alice->account.client()->send(requestFrom(policy, QStringLiteral("bob@localhost/sotto"), thread, formType));

        QTRY_COMPARE_WITH_TIMEOUT(recorder->errors.size(), 1, NetTimeout);
        const QDomElement stanza = recorder->errors.first().documentElement();
        QCOMPARE(SsnNegotiation::threadOf(stanza).value_or(QString()), thread); // thread mirrored
        const QDomElement error = stanza.firstChildElement(QStringLiteral("error"));
        QVERIFY(!error.firstChildElement(condition).isNull());
        if (!field.isEmpty()) {
            const QDomNodeList fields = error.elementsByTagName(QStringLiteral("field"));
            QCOMPARE(fields.size(), 1);
            QCOMPARE(fields.at(0).toElement().attribute(QStringLiteral("var")), field);
        }
        QVERIFY(stanza.firstChildElement(QStringLiteral("body")).isNull());
        QCOMPARE(m_bob->account.esession()->stanzaSessions()->state(QStringLiteral("alice@localhost"), thread),
                 SsnState::Ended);
    }

    void esessionNegotiatedVerifiedAndRemembered()
    {
        prepareEsessions();
        EsessionExtension *alice = m_alice->account.esession();
        EsessionExtension *bob = m_bob->account.esession();
        QSignalSpy aliceUp(alice, &EsessionExtension::esessionEstablished);
        QSignalSpy bobUp(bob, &EsessionExtension::esessionEstablished);
        QSignalSpy failures(alice, &EsessionExtension::negotiationFailed);

        // First contact: negotiated in the conversation's thread, both see the same SAS, unverified.
        const QString thread = negotiateInConversation(aliceUp, bobUp);
        const QString sas = aliceUp.first().at(2).toString();
        QCOMPARE(sas.size(), 5);
        QCOMPARE(bobUp.first().at(2).toString(), sas);
        QCOMPARE(aliceUp.first().at(1).toString(), thread);
        QVERIFY(!aliceUp.first().at(3).toBool());
        QVERIFY(!aliceUp.first().at(4).toBool());

        // The conversation now travels encrypted.
        const auto sent = m_alice->messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("negotiated secret"));
        QVERIFY(sent && sent->encrypted);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->received.size(), 1, NetTimeout);
        QCOMPARE(m_bob->received.first().body, QStringLiteral("negotiated secret"));
        QVERIFY(m_bob->received.first().encrypted);

        // Both compare the SAS; a wrong one changes nothing.
        QVERIFY(!alice->verifySas(QStringLiteral("bob@localhost"), QStringLiteral("aaaaa")));
        QVERIFY(!m_aliceStore->secrets(QStringLiteral("bob@localhost")).first().verified);
        QVERIFY(alice->verifySas(QStringLiteral("bob@localhost"), sas));
        QVERIFY(bob->verifySas(QStringLiteral("alice@localhost"), sas));

        // Later: a new session is authenticated by the retained secret, no SAS needed.
        QVERIFY(alice->negotiate(QStringLiteral("bob@localhost"), newThread()));
        QTRY_COMPARE_WITH_TIMEOUT(aliceUp.count(), 2, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(bobUp.count(), 2, NetTimeout);
        QVERIFY(aliceUp.at(1).at(3).toBool());
        QVERIFY(bobUp.at(1).at(3).toBool());
        QCOMPARE(m_aliceStore->secrets(QStringLiteral("bob@localhost")).size(), 1);

        // Bob's client forgets: Alice is warned that the identity changed, and the session is unverified.
        m_bobStore->forget(QStringLiteral("alice@localhost"));
        QVERIFY(alice->negotiate(QStringLiteral("bob@localhost"), newThread()));
        QTRY_COMPARE_WITH_TIMEOUT(aliceUp.count(), 3, NetTimeout);
        QVERIFY(!aliceUp.at(2).at(3).toBool());
        QVERIFY(aliceUp.at(2).at(4).toBool());
        QCOMPARE(failures.count(), 0);
        rememberSecrets(*m_aliceStore, QStringLiteral("bob@localhost"));
        rememberSecrets(*m_bobStore, QStringLiteral("alice@localhost"));
    }

    void esessionFromANewAddressNamesTheFormerOne()
    {
        // XEP-0116: a responder that finds none of the contact's own secrets searches those of all JIDs. Alice
        // moves to a new account (carol) and takes her client's secrets with her: Bob's client recognises her
        // (the secret goes into the key) and the event names the address the secret was kept for, but the
        // session does not count as verified: "verified" never moves to another JID (review L4; the SAS and
        // MACs bind no JID, so a relay could present Alice's chain under any address). Bob compares again.
        prepareEsessions();
        EsessionExtension *alice = m_alice->account.esession();
        EsessionExtension *bob = m_bob->account.esession();
        QSignalSpy aliceUp(alice, &EsessionExtension::esessionEstablished);
        QSignalSpy bobUp(bob, &EsessionExtension::esessionEstablished);
        QVERIFY(!negotiateInConversation(aliceUp, bobUp).isEmpty());
        QVERIFY(bobUp.first().at(5).toString().isEmpty()); // first contact: no former address
        const QString sas = aliceUp.first().at(2).toString();
        QVERIFY(alice->verifySas(QStringLiteral("bob@localhost"), sas));
        QVERIFY(bob->verifySas(QStringLiteral("alice@localhost"), sas));

        QVERIFY(!m_server.addUser(QStringLiteral("carol")).isEmpty());
        TestClient carol(m_server, QStringLiteral("carol"));
        Esession::MemoryRetainedSecretStore carolStore;
        const QList<Esession::RetainedSecret> taken = m_aliceStore->secrets(QStringLiteral("bob@localhost"));
        QCOMPARE(taken.size(), 1);
        QVERIFY(carolStore.replace(QStringLiteral("bob@localhost"), std::nullopt, taken.first().secret));
        QVERIFY(carolStore.markVerified(QStringLiteral("bob@localhost"), taken.first().secret));
        carol.account.esession()->setRetainedSecretStore(&carolStore);
        carol.account.setAutoApproveSubscriptions(true);
        carol.account.connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(carol.account.state() == Account::State::Online, NetTimeout);
        carol.account.addContact(QStringLiteral("bob@localhost"));
        QTRY_COMPARE_WITH_TIMEOUT(carol.account.contact(QStringLiteral("bob@localhost")).subscription,
                                  QStringLiteral("both"), NetTimeout);

        QSignalSpy carolUp(carol.account.esession(), &EsessionExtension::esessionEstablished);
        const QString thread = carol.messenger->sessions()->startSession(QStringLiteral("bob@localhost"))->threadId();
        QVERIFY(carol.account.esession()->negotiate(QStringLiteral("bob@localhost"), thread));
        QTRY_COMPARE_WITH_TIMEOUT(bobUp.count(), 2, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(carolUp.count(), 1, NetTimeout);
        QCOMPARE(QXmppUtils::jidToBareJid(bobUp.last().at(0).toString()), QStringLiteral("carol@localhost"));
        QCOMPARE(bobUp.last().at(5).toString(), QStringLiteral("alice@localhost"));
        QVERIFY(!bobUp.last().at(3).toBool()); // known secret, new address: the code must be compared again
        QVERIFY(!bobUp.last().at(4).toBool());
        QVERIFY(carolUp.first().at(3).toBool());
        QVERIFY(carolUp.first().at(5).toString().isEmpty()); // the initiator looked under Bob's JID and found it
        // Bob's chain moved to the new address.
        QVERIFY(m_bobStore->secrets(QStringLiteral("alice@localhost")).isEmpty());
        QCOMPARE(m_bobStore->secrets(QStringLiteral("carol@localhost")).size(), 1);
        rememberSecrets(carolStore, QStringLiteral("bob@localhost"));
        rememberSecrets(*m_bobStore, QStringLiteral("carol@localhost"));
    }

    void esessionTerminatedBothWays()
    {
        prepareEsessions();
        EsessionExtension *alice = m_alice->account.esession();
        EsessionExtension *bob = m_bob->account.esession();
        QSignalSpy bobUp(bob, &EsessionExtension::esessionEstablished);
        QSignalSpy aliceUp(alice, &EsessionExtension::esessionEstablished);
        QSignalSpy aliceEnded(alice, &EsessionExtension::sessionEnded);
        QSignalSpy bobEnded(bob, &EsessionExtension::sessionEnded);
        const QString thread = negotiateInConversation(aliceUp, bobUp);
        QVERIFY(alice->terminateSession(QStringLiteral("bob@localhost"), thread));
        QVERIFY(!alice->terminateSession(QStringLiteral("bob@localhost"), thread)); // once
        // Bob acknowledges (encrypted) and ends; Alice ends when the acknowledgement verified.
        QTRY_COMPARE_WITH_TIMEOUT(bobEnded.count(), 1, NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(aliceEnded.count(), 1, NetTimeout);
        QCOMPARE(bobEnded.first().at(2).toString(), EsessionExtension::EndedByContact);
        QCOMPARE(alice->sessionState(QStringLiteral("bob@localhost/sotto"), thread), EsessionExtension::SessionState::Ended);
        // Nothing goes out in that thread any more, in plaintext least of all: the message waits.
        const auto queued = m_alice->messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("after the end"));
        QVERIFY(queued);
        QTest::qWait(500);
        QVERIFY(m_bob->bodies().isEmpty());
        QVERIFY(m_alice->store->message(queued->id)->state != MessageState::Sent);
    }

    void alwaysPolicyNeverSendsPlaintext()
    {
        prepareEsessions();
        ContactSettings aliceSettings(m_alice->db.get());
        ContactSettings bobSettings(m_bob->db.get());
        m_alice->messenger->setContactSettings(&aliceSettings);
        m_bob->messenger->setContactSettings(&bobSettings);
        QVERIFY(aliceSettings.setSessionPolicy(QStringLiteral("bob@localhost"), SessionPolicy::Always));
        QSignalSpy failures(m_alice->account.esession(), &EsessionExtension::negotiationFailed);

        // "always": the first message waits while a session is negotiated, then goes encrypted.
        const auto first = m_alice->messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("only ever encrypted"));
        QVERIFY(first && first->encrypted);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->received.size(), 1, NetTimeout);
        QCOMPARE(m_bob->received.first().body, QStringLiteral("only ever encrypted"));
        QVERIFY(m_bob->received.first().encrypted);

        // Bob turns encryption off for Alice: his side ends the session, and Alice's Retry is refused. What she
        // writes waits (never plaintext) with the reason, until she retries or chooses otherwise.
        QSignalSpy aliceEnded(m_alice->account.esession(), &EsessionExtension::sessionEnded);
        QVERIFY(bobSettings.setSessionPolicy(QStringLiteral("alice@localhost"), SessionPolicy::Off));
        QTRY_COMPARE_WITH_TIMEOUT(aliceEnded.count(), 1, NetTimeout);
        ConversationSecurity *security = m_alice->messenger->security();
        QCOMPARE(security->phase(QStringLiteral("bob@localhost")), ConversationSecurity::Phase::Held);
        QCOMPARE(security->failure(QStringLiteral("bob@localhost")), EsessionExtension::EndedByContact);
        const auto second = m_alice->messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("waits for keys"));
        QVERIFY(second && second->encrypted);
        QVERIFY(security->startEncryption(QStringLiteral("bob@localhost")));
        QTRY_COMPARE_WITH_TIMEOUT(failures.count(), 1, NetTimeout);
        QCOMPARE(security->phase(QStringLiteral("bob@localhost")), ConversationSecurity::Phase::Held);
        const auto third = m_alice->messenger->send(QStringLiteral("bob@localhost"), QStringLiteral("waits for keys"));
        QVERIFY(third && third->encrypted);
        QTest::qWait(500);
        QCOMPARE(m_bob->bodies(), QStringList{QStringLiteral("only ever encrypted")});
        QVERIFY(m_alice->store->message(second->id)->state != MessageState::Sent);
        QVERIFY(m_alice->store->message(third->id)->state != MessageState::Sent);
        // Always: no way to choose plaintext.
        QVERIFY(!security->sendUnencrypted(QStringLiteral("bob@localhost")));
        m_alice->messenger->setContactSettings(nullptr); // the settings go before the clients
        m_bob->messenger->setContactSettings(nullptr);
        rememberSecrets(*m_aliceStore, QStringLiteral("bob@localhost"));
    }

    // Last: everything above ran with every logging category at debug level. Nothing secret was logged.
    void logHoldsNoSecret()
    {
        QVERIFY(LogCapture::text().contains("encrypted session started")); // the capture works
        QVERIFY(LogCapture::text().contains("qt.")); // and takes in Qt's own categories
        QVERIFY(!m_secrets.isEmpty());
        QList<QByteArray> forbidden{"negotiated secret", "only ever encrypted", "waits for keys",
                                    m_server.password(QStringLiteral("alice")).toUtf8(),
                                    m_server.password(QStringLiteral("bob")).toUtf8(),
                                    m_server.password(QStringLiteral("carol")).toUtf8()};
        forbidden << m_secrets;
        const QString found = LogCapture::findAny(forbidden);
        QVERIFY2(found.isEmpty(), qPrintable(found));
    }

private:
    // Both subscribed to each other, each with a retained-secret store: ready for ESessions.
    void prepareEsessions()
    {
        subscribeBothWays();
        m_aliceStore = std::make_unique<Esession::MemoryRetainedSecretStore>();
        m_bobStore = std::make_unique<Esession::MemoryRetainedSecretStore>();
        m_alice->account.esession()->setRetainedSecretStore(m_aliceStore.get());
        m_bob->account.esession()->setRetainedSecretStore(m_bobStore.get());
    }

    // Alice negotiates in a new conversation with Bob; returns its thread once both sides are up.
    QString negotiateInConversation(QSignalSpy &aliceUp, QSignalSpy &bobUp)
    {
        const int before = int(aliceUp.count());
        const QString thread = m_alice->messenger->sessions()->startSession(QStringLiteral("bob@localhost"))->threadId();
        if (!m_alice->account.esession()->negotiate(QStringLiteral("bob@localhost"), thread))
            return {};
        if (!QTest::qWaitFor([&] { return aliceUp.count() > before && bobUp.count() > before; }, NetTimeout))
            return {};
        return thread;
    }

    void rememberSecrets(const Esession::RetainedSecretStore &store, const QString &peer)
    {
        for (const Esession::RetainedSecret &secret : store.secrets(peer))
            m_secrets << secret.secret;
    }

    void subscribeBothWays()
    {
        m_alice->account.setAutoApproveSubscriptions(true);
        m_bob->account.setAutoApproveSubscriptions(true);
        m_alice->account.addContact(QStringLiteral("bob@localhost"));
        m_bob->account.addContact(QStringLiteral("alice@localhost"));
        QTRY_COMPARE_WITH_TIMEOUT(m_alice->account.contact(QStringLiteral("bob@localhost")).subscription,
                                  QStringLiteral("both"), NetTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(m_bob->account.contact(QStringLiteral("alice@localhost")).subscription,
                                  QStringLiteral("both"), NetTimeout);
    }

    QList<QByteArray> m_secrets;
    std::unique_ptr<Esession::MemoryRetainedSecretStore> m_aliceStore, m_bobStore;
    LocalServer m_server;
    std::unique_ptr<TestClient> m_alice;
    std::unique_ptr<TestClient> m_bob;
};

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);

    TestSsn test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ssn.moc"
