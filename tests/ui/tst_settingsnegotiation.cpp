// Settings > Encryption, end to end with the negotiation engine: what "Mark as unverified", "Forget" and
// "Compatibility with other ESession clients" in the settings model do to the next encrypted session. Alice's retained secrets live in the app's encrypted store
// (AppContext with a passphrase vault, as a user without a keyring has it); Bob is a second engine with his own
// store. Every negotiation runs both engines back to back with the messages serialised on the way.
#include <QCoreApplication>
#include <QDomDocument>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTextStream>

#include "AppContext.h"
#include "EncryptionSettingsModel.h"
#include "EncryptionText.h"
#include "VerificationFlow.h"
#include "crypto/Crypto.h"
#include "esession/EsessionHandshake.h"
#include "esession/RetainedSecretStore.h"
#include "storage/ContactSettings.h"
#include "storage/SqlRetainedSecretStore.h"
#include "xmpp/Account.h"
#include "xmpp/EsessionExtension.h"

using namespace Esession;

namespace {

const QString AliceBare = QStringLiteral("alice@localhost");
const QString AliceFull = QStringLiteral("alice@localhost/desktop");
const QString BobBare = QStringLiteral("bob@localhost");
const QString BobFull = QStringLiteral("bob@localhost/laptop");

// What the other side receives: the stanza as text, parsed again, `from` set as a server would.
QDomDocument onTheWire(const QDomElement &stanza, const QString &from)
{
    QString text;
    QTextStream stream(&text);
    stanza.save(stream, -1);
    stream.flush();
    QDomDocument doc;
    if (!doc.setContent(text, true))
        return {};
    doc.documentElement().setAttribute(QStringLiteral("from"), from);
    return doc;
}

struct Outcome
{
    std::optional<EsessionEstablished> alice;
    std::optional<EsessionEstablished> bob;
    std::optional<EsessionFailed> aliceFailed;
    std::optional<EsessionFailed> bobFailed;
};

} // namespace

class SettingsNegotiationTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void markUnverifiedAndForgetChangeTheNextNegotiation();
    void weakSasCompatibilityChangesTheNextNegotiation_data();
    void weakSasCompatibilityChangesTheNextNegotiation();

private:
    Outcome negotiate(RetainedSecretStore *aliceStore, RetainedSecretStore *bobStore);
    /// Alice and Bob with their own policies; @p aliceInitiates says who sends the request.
    Outcome negotiate(RetainedSecretStore *aliceStore, RetainedSecretStore *bobStore, const EsessionPolicy &alicePolicy,
                      const EsessionPolicy &bobPolicy, bool aliceInitiates);
    int rowOf(const EncryptionSettingsModel &model, const QString &peer) const;
    QString summaryOf(const EncryptionSettingsModel &model, const QString &peer) const;

    QTemporaryDir m_dir;
    int m_threads = 0;
};

void SettingsNegotiationTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

Outcome SettingsNegotiationTest::negotiate(RetainedSecretStore *aliceStore, RetainedSecretStore *bobStore)
{
    EsessionPolicy policy;
    policy.mayRevealPresence = true; // contacts: requests are answered without asking
    return negotiate(aliceStore, bobStore, policy, policy, true);
}

Outcome SettingsNegotiationTest::negotiate(RetainedSecretStore *aliceStore, RetainedSecretStore *bobStore,
                                           const EsessionPolicy &alicePolicy, const EsessionPolicy &bobPolicy,
                                           bool aliceInitiates)
{
    const QString thread = QStringLiteral("settings-%1").arg(++m_threads);
    EsessionHandshake alice(BobFull, thread, aliceInitiates ? EsessionRole::Initiator : EsessionRole::Responder,
                            alicePolicy, aliceStore);
    EsessionHandshake bob(AliceFull, thread, aliceInitiates ? EsessionRole::Responder : EsessionRole::Initiator,
                          bobPolicy, bobStore);

    Outcome outcome;
    QList<QDomDocument> toBob;
    QList<QDomDocument> toAlice;
    const auto collect = [&](const EsessionOutput &out, bool fromAlice) {
        for (const QDomElement &stanza : out.stanzas)
            (fromAlice ? toBob : toAlice) << onTheWire(stanza, fromAlice ? AliceFull : BobFull);
        for (const EsessionEvent &event : out.events) {
            if (const auto *established = std::get_if<EsessionEstablished>(&event))
                (fromAlice ? outcome.alice : outcome.bob) = *established;
            else if (const auto *failed = std::get_if<EsessionFailed>(&event))
                (fromAlice ? outcome.aliceFailed : outcome.bobFailed) = *failed;
        }
    };
    if (aliceInitiates)
        collect(alice.request(), true);
    else
        collect(bob.request(), false);
    for (int i = 0; i < 8 && (!toBob.isEmpty() || !toAlice.isEmpty()); ++i) {
        if (!toBob.isEmpty())
            collect(bob.handleMessage(toBob.takeFirst().documentElement()), false);
        if (!toAlice.isEmpty())
            collect(alice.handleMessage(toAlice.takeFirst().documentElement()), true);
    }
    return outcome;
}

int SettingsNegotiationTest::rowOf(const EncryptionSettingsModel &model, const QString &peer) const
{
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.data(model.index(row), EncryptionSettingsModel::PeerRole).toString() == peer)
            return row;
    }
    return -1;
}

QString SettingsNegotiationTest::summaryOf(const EncryptionSettingsModel &model, const QString &peer) const
{
    const int row = rowOf(model, peer);
    return row < 0 ? QString() : model.data(model.index(row), EncryptionSettingsModel::SummaryRole).toString();
}

void SettingsNegotiationTest::markUnverifiedAndForgetChangeTheNextNegotiation()
{
    AppContext context;
    context.setKeyringEnabled(false);
    context.setDataDir(m_dir.filePath(QStringLiteral("alice")));
    QVERIFY(context.openOffline(AliceBare));
    QCOMPARE(context.usePassphrase(QStringLiteral("settings and sessions")), QString());
    SqlRetainedSecretStore *aliceStore = context.secretStore();
    QVERIFY(aliceStore);
    MemoryRetainedSecretStore bobStore;

    EncryptionSettingsModel model;
    model.setContext(&context);
    QCOMPARE(model.count(), 0);

    // First session: nothing retained, so the code has to be compared. Both confirm it.
    Outcome first = negotiate(aliceStore, &bobStore);
    QVERIFY(first.alice && first.bob);
    QCOMPARE(first.alice->sas, first.bob->sas);
    QVERIFY(!first.alice->retainedSecretMatched);
    QVERIFY(aliceStore->markVerified(BobBare, first.alice->newRetainedSecret));
    QVERIFY(bobStore.markVerified(AliceBare, first.bob->newRetainedSecret));
    // The row says what the secret is for: made in the first session, to be used by the next one.
    model.reload();
    QVERIFY2(summaryOf(model, BobBare).contains(QStringLiteral("in the first session")), qPrintable(summaryOf(model, BobBare)));
    QVERIFY(summaryOf(model, BobBare).contains(QStringLiteral("You compared the code")));

    // Second: authenticated by the verified retained secret; no code to compare.
    Outcome second = negotiate(aliceStore, &bobStore);
    QVERIFY(second.alice && second.bob);
    QVERIFY(second.alice->retainedSecretMatched);
    QVERIFY(second.alice->retainedSecretWasVerified);
    QVERIFY(!second.alice->expectedSecretMissing);

    // Settings: Bob's row, verified. "Mark as unverified": the next session still matches the secret but is
    // no longer authenticated by it, so the code has to be compared again.
    model.reload();
    int row = rowOf(model, BobBare);
    QVERIFY(row >= 0);
    QVERIFY(model.data(model.index(row), EncryptionSettingsModel::VerifiedRole).toBool());
    QVERIFY2(summaryOf(model, BobBare).contains(QStringLiteral("Sessions it authenticated: 1,")),
             qPrintable(summaryOf(model, BobBare)));
    QVERIFY(model.markUnverified(row));
    // The model follows the store (a queued reload).
    QTRY_VERIFY(!model.data(model.index(rowOf(model, BobBare)), EncryptionSettingsModel::VerifiedRole).toBool());
    Outcome third = negotiate(aliceStore, &bobStore);
    QVERIFY(third.alice && third.bob);
    QVERIFY(third.alice->retainedSecretMatched);
    QVERIFY(!third.alice->retainedSecretWasVerified);
    QCOMPARE(third.alice->sas, third.bob->sas);
    model.reload();
    QVERIFY(summaryOf(model, BobBare).contains(QStringLiteral("Sessions it authenticated: 2,")));
    QVERIFY(summaryOf(model, BobBare).contains(QStringLiteral("Not verified")));

    // The code is compared again and confirmed; then "Forget": Alice starts over with nothing retained (a new
    // code to compare), and Bob, who still has the chain, sees that Alice's client no longer does.
    QVERIFY(aliceStore->markVerified(BobBare, third.alice->newRetainedSecret));
    QVERIFY(bobStore.markVerified(AliceBare, third.bob->newRetainedSecret));
    model.reload();
    row = rowOf(model, BobBare);
    QVERIFY(row >= 0);
    QVERIFY(model.forget(row));
    QTRY_COMPARE(rowOf(model, BobBare), -1);
    QVERIFY(aliceStore->secrets(BobBare).isEmpty());
    Outcome fourth = negotiate(aliceStore, &bobStore);
    QVERIFY(fourth.alice && fourth.bob);
    QVERIFY(!fourth.alice->retainedSecretMatched);
    QVERIFY(!fourth.alice->retainedSecretWasVerified);
    QVERIFY(!fourth.bob->retainedSecretMatched);
    QVERIFY(fourth.bob->expectedSecretMissing); // Bob's client warns: the identity changed
    QCOMPARE(fourth.alice->sas, fourth.bob->sas);
    // The new chain starts unverified in the settings.
    model.reload();
    row = rowOf(model, BobBare);
    QVERIFY(row >= 0);
    QVERIFY(!model.data(model.index(row), EncryptionSettingsModel::VerifiedRole).toBool());
    QVERIFY(summaryOf(model, BobBare).contains(QStringLiteral("in the first session")));
}

void SettingsNegotiationTest::weakSasCompatibilityChangesTheNextNegotiation_data()
{
    QTest::addColumn<bool>("aliceInitiates");
    QTest::newRow("Alice asks") << true;
    QTest::newRow("Bob asks") << false;
}

// "Compatibility with other ESession clients" for Bob: Alice's next negotiation with him takes the policy the app's
// Account builds from the stored switch. Bob's client knows only the older sas28x5 code. Off (the default): no
// session, and when Bob's client asks, Alice's side says that sas28x5 is why. On: a session with the sas28x5 code,
// which the verification flow then shows as the weaker kind. With a client that knows Sotto's own code, that one
// is still agreed, switch or not.
void SettingsNegotiationTest::weakSasCompatibilityChangesTheNextNegotiation()
{
    QFETCH(bool, aliceInitiates);
    AppContext context;
    context.setKeyringEnabled(false);
    context.setDataDir(m_dir.filePath(QStringLiteral("alice-compat-%1").arg(aliceInitiates)));
    QVERIFY(context.openOffline(AliceBare));
    EsessionExtension *esession = context.account()->esession();
    MemoryRetainedSecretStore aliceStore;
    MemoryRetainedSecretStore bobStore;
    EncryptionSettingsModel model;
    model.setContext(&context);

    // What the app's Account gives the engine for Bob right now; offline there is no roster, so requests are
    // answered without asking as for a contact who sees our presence.
    const auto alicePolicy = [&]() {
        std::optional<EsessionPolicy> policy = esession->handshakePolicy(BobBare);
        if (policy)
            policy->mayRevealPresence = policy->ssn.mayRevealPresence = true;
        return policy;
    };
    EsessionPolicy otherClient; // another ESession client: sas28x5 only
    otherClient.mayRevealPresence = true;
    otherClient.sasAlgorithms = { SasAlgorithm::Sas28x5 };
    EsessionPolicy sottoClient; // another Sotto, compatibility on for Alice
    sottoClient.mayRevealPresence = true;
    sottoClient.sasAlgorithms = { SasAlgorithm::Committed, SasAlgorithm::Sas28x5 };

    // Off by default.
    QVERIFY(!model.weakSasAllowed(BobBare));
    std::optional<EsessionPolicy> policy = alicePolicy();
    QVERIFY(policy);
    QCOMPARE(policy->sasAlgorithms, QList<SasAlgorithm>{ SasAlgorithm::Committed });
    Outcome refused = negotiate(&aliceStore, &bobStore, *policy, otherClient, aliceInitiates);
    QVERIFY(!refused.alice && !refused.bob);
    QVERIFY(refused.aliceFailed || refused.bobFailed);
    if (!aliceInitiates) {
        // Bob's request offers only sas28x5: Alice refuses it, and says so.
        QVERIFY(refused.aliceFailed);
        QCOMPARE(refused.aliceFailed->failure, EsessionFailure::RefusedByUs);
        QCOMPARE(refused.aliceFailed->detail, QStringLiteral("sas28x5-not-allowed"));
        // The engine gives the code; the window's words name the older code and the switch that allows it.
        const QString shown = EncryptionText::failure(refused.aliceFailed->detail, QStringLiteral("Bob"));
        QVERIFY2(shown.contains(QStringLiteral("sas28x5")) && shown.contains(QStringLiteral("Settings > Encryption")),
                 qPrintable(shown));
    }
    Outcome committed = negotiate(&aliceStore, &bobStore, *policy, sottoClient, aliceInitiates);
    QVERIFY(committed.alice && committed.bob);
    QCOMPARE(committed.alice->sasAlgorithm, std::optional<SasAlgorithm>(SasAlgorithm::Committed));

    // On: stored, and the next negotiation offers and accepts sas28x5 after the committed code.
    QVERIFY(model.setWeakSasAllowed(BobBare, true));
    QVERIFY(model.weakSasAllowed(BobBare));
    QVERIFY(context.contactSettings()->weakSasAllowed(BobBare));
    QVERIFY(!model.weakSasAllowed(QStringLiteral("carol@localhost"))); // per contact
    policy = alicePolicy();
    QVERIFY(policy);
    QCOMPARE(policy->sasAlgorithms, (QList<SasAlgorithm>{ SasAlgorithm::Committed, SasAlgorithm::Sas28x5 }));
    QCOMPARE(esession->handshakePolicy(QStringLiteral("carol@localhost"))->sasAlgorithms,
             QList<SasAlgorithm>{ SasAlgorithm::Committed });
    Outcome weak = negotiate(&aliceStore, &bobStore, *policy, otherClient, aliceInitiates);
    QVERIFY(weak.alice && weak.bob);
    QVERIFY(!weak.aliceFailed && !weak.bobFailed);
    QCOMPARE(weak.alice->sasAlgorithm, std::optional<SasAlgorithm>(SasAlgorithm::Sas28x5));
    QCOMPARE(weak.alice->sas, weak.bob->sas);
    // The committed code is still preferred where both sides know it.
    committed = negotiate(&aliceStore, &bobStore, *policy, sottoClient, aliceInitiates);
    QVERIFY(committed.alice && committed.bob);
    QCOMPARE(committed.alice->sasAlgorithm, std::optional<SasAlgorithm>(SasAlgorithm::Committed));

    // The app hands the kind to the verification flow with the code.
    const auto report = [&](const EsessionEstablished &established) {
        Q_EMIT esession->esessionEstablished(BobFull, QStringLiteral("t"), established.sas, false, false, QString(),
                                             established.sasAlgorithm);
    };
    report(*weak.alice);
    VerificationFlow *flow = context.verificationFlow(BobBare);
    QVERIFY(flow);
    QCOMPARE(flow->sas(), weak.alice->sas);
    QCOMPARE(flow->sasKind(), VerificationFlow::Sas28x5);
    report(*committed.alice);
    QCOMPARE(flow->sas(), committed.alice->sas);
    QCOMPARE(flow->sasKind(), VerificationFlow::Committed);

    // Off again: back to the committed code only.
    QVERIFY(model.setWeakSasAllowed(BobBare, false));
    policy = alicePolicy();
    QVERIFY(policy);
    QCOMPARE(policy->sasAlgorithms, QList<SasAlgorithm>{ SasAlgorithm::Committed });
    refused = negotiate(&aliceStore, &bobStore, *policy, otherClient, aliceInitiates);
    QVERIFY(!refused.alice && !refused.bob);
}

int main(int argc, char *argv[])
{
    Crypto::Library cryptoLibrary;
    QCoreApplication app(argc, argv);
    SettingsNegotiationTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_settingsnegotiation.moc"
