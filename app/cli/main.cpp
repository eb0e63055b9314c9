// sotto-cli: the headless front end over the same core as the GUI. One JSON object per line on stdout.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QEventLoop>
#include <QJsonObject>
#include <QTimer>

#include <QXmppUtils.h>

#include <cstdio>

#include "crypto/Crypto.h"
#include "esession/FailureCodes.h"
#include "session/ConversationSecurity.h"
#include "session/Messenger.h"
#include "session/Outbox.h"
#include "session/SessionManager.h"
#include "storage/AppSettings.h"
#include "storage/ContactSettings.h"
#include "storage/Database.h"
#include "storage/KeyVault.h"
#include "storage/MessageStore.h"
#include "storage/Paths.h"
#include "storage/SqlRetainedSecretStore.h"
#include "xmpp/Account.h"
#include "xmpp/EsessionExtension.h"

namespace {

void emitEvent(const QJsonObject &event)
{
    const QByteArray line = QJsonDocument(event).toJson(QJsonDocument::Compact);
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}


// The `sas_kind` of an esession event: which verification code `sas` is. Empty when there is none (no SAS).
QString sasKindName(std::optional<Esession::SasAlgorithm> algorithm)
{
    if (!algorithm)
        return {};
    switch (*algorithm) {
    case Esession::SasAlgorithm::Committed:
        return QStringLiteral("committed");
    case Esession::SasAlgorithm::Sas28x5:
        return QStringLiteral("sas28x5");
    }
    return {};
}

// This front end's words for the core's stable codes (Esession::FailureCode, EsessionExtension's end codes): the
// "reason" next to the "code" of an event. English only, like the rest of the CLI's output.
QString codeText(const QString &code)
{
    namespace FC = Esession::FailureCode;
    const auto in = [&code](const QStringList &codes) { return codes.contains(code); };
    // Negotiations.
    if (code == EsessionExtension::NegotiationTimeout)
        return QStringLiteral("the contact did not complete the negotiation in time");
    if (in({EsessionExtension::NegotiationAbandoned, FC::Abandoned}))
        return QStringLiteral("the negotiation was given up before it completed");
    if (in({FC::Declined, FC::Cancelled, FC::Terminated}))
        return QStringLiteral("the contact declined the encrypted session");
    if (code == FC::DeclinedByUs)
        return QStringLiteral("the contact's request was declined");
    if (code == FC::PeerError)
        return QStringLiteral("the contact's client refused the encrypted session");
    if (in({FC::Message3Refused, FC::Message4Refused, EsessionExtension::RefusedAfterEstablishment}))
        return QStringLiteral("the contact's client could not verify this client's identity; someone may be "
                              "interfering");
    if (in({FC::Nonce, FC::Commitment, FC::IdentityMac, FC::Identity, FC::IdentityKey, FC::Signature, FC::SasSecret,
            FC::Message4Form, FC::Message4Fields}))
        return QStringLiteral("the contact's identity could not be verified; someone may be interfering");
    if (code == FC::IdentityMacPassword)
        return QStringLiteral("the contact's identity could not be verified: the shared password differs, or someone "
                              "is interfering");
    if (code == FC::UntrustedKey)
        return QStringLiteral("the contact presented a public key this client does not trust");
    if (code == FC::Sas28x5NotAllowed)
        return QStringLiteral("the contact's client knows only the older verification code (sas28x5), which someone "
                              "in the middle can fake");
    if (in({FC::OfferNotAcceptable, FC::AnswerNotAcceptable}))
        return QStringLiteral("the two clients could not agree on the encryption parameters");
    if (code == FC::NoEndToEnd)
        return QStringLiteral("the contact accepted only a session without end-to-end encryption");
    if (in({FC::ThreeMessage, FC::ThreeMessageUnavailable}))
        return QStringLiteral("the contact asked for the 3-message negotiation, which is not allowed here");
    if (in({FC::InvalidNegotiation, FC::CompletionNotAcceptable, FC::SasCommitment, FC::DhRange}))
        return QStringLiteral("the contact's client sent an unacceptable negotiation");
    if (code == FC::Policy)
        return QStringLiteral("the encryption settings leave nothing to offer");
    if (code == FC::Random)
        return QStringLiteral("no secure random numbers are available");
    if (in({FC::DhGenerate, FC::DhDerive, FC::BuildRequest, FC::BuildAnswer, FC::NoRequestForm, FC::State,
            FC::SealMessage2, FC::Seal, FC::SealMessage4, FC::CompletionMismatch}))
        return QStringLiteral("this client could not do its part of the negotiation (internal error)");
    // Sessions that ended.
    if (code == EsessionExtension::EndedByUs)
        return QStringLiteral("you ended the encrypted session");
    if (code == EsessionExtension::EndedUnacknowledged)
        return QStringLiteral("you ended the encrypted session (not acknowledged)");
    if (code == EsessionExtension::EndedOffline)
        return QStringLiteral("you went offline");
    if (code == EsessionExtension::EndedByContact)
        return QStringLiteral("the contact ended the encrypted session");
    if (code == EsessionExtension::EndedLocally)
        return QStringLiteral("the encrypted session was ended here");
    if (code == EsessionExtension::ContactOffline)
        return QStringLiteral("the contact's client went offline");
    if (code == EsessionExtension::OutOfStep)
        return QStringLiteral("the contact could not decrypt a message; the session fell out of step");
    if (in({EsessionExtension::OpenFailed, EsessionExtension::SendFailed}))
        return QStringLiteral("a message of the session could not be decrypted or encrypted; the session ended");
    // Messages that could not be opened.
    if (code == FC::NoSession)
        return QStringLiteral("encrypted for a session this device does not have");
    if (code == FC::SessionEnded)
        return QStringLiteral("the encrypted session has ended");
    if (code == FC::CopyFromOtherDevice)
        return QStringLiteral("a copy of a message from an encrypted session cannot be decrypted on this device");
    if (code == FC::Bounced)
        return QStringLiteral("an encrypted message could not be delivered");
    if (code == FC::BadMac)
        return QStringLiteral("an encrypted message failed its integrity check (tampered, replayed, lost or out of "
                              "order)");
    if (in({FC::Malformed, FC::InvalidContent, FC::TooLarge}))
        return QStringLiteral("an encrypted message was malformed or too large");
    if (in({FC::RekeyUnsupported, FC::BadRekeyValue, FC::RekeyTooSoon}))
        return QStringLiteral("the contact changed keys in a way the session does not allow");
    if (code == FC::KeyExhausted)
        return QStringLiteral("the session key has been used up; a new session is needed");
    if (code == FC::CryptoFailure)
        return QStringLiteral("the encryption library failed");
    return QStringLiteral("encryption failed (%1)").arg(code);
}

// A failed negotiation in words, and what this front end can do about it.
QString negotiationFailure(const QString &code)
{
    if (code == Esession::FailureCode::Sas28x5NotAllowed)
        return QStringLiteral("%1 (--allow-sas28x5 allows it with every contact for this run)").arg(codeText(code));
    return codeText(code);
}

int fail(const QString &reason, const QString &code = {})
{
    QJsonObject event{{QStringLiteral("event"), QStringLiteral("error")}, {QStringLiteral("reason"), reason}};
    if (!code.isEmpty())
        event.insert(QStringLiteral("code"), code);
    emitEvent(event);
    return 1;
}

QJsonObject messageEvent(const StoredMessage &m)
{
    const QString from = m.resource.isEmpty() ? m.peer : m.peer + u'/' + m.resource;
    if (m.state == MessageState::Undecryptable) {
        // The body is the code of why; databases of older versions hold a sentence there, printed as it is.
        const bool isCode = Esession::FailureCode::hasCodeShape(m.body);
        return {{QStringLiteral("event"), QStringLiteral("undecryptable")},
                {QStringLiteral("from"), from},
                {QStringLiteral("thread"), m.thread},
                {QStringLiteral("reason"), isCode ? codeText(m.body) : m.body},
                {QStringLiteral("code"), isCode ? m.body : QString()}};
    }
    return {{QStringLiteral("event"), QStringLiteral("message")},
            {QStringLiteral("from"), from},
            {QStringLiteral("thread"), m.thread},
            {QStringLiteral("body"), m.body},
            {QStringLiteral("encrypted"), m.encrypted}};
}

// The first line of a file holding a secret (a password, a passphrase), without its line end. @p what
// names the file in errors ("password file", "passphrase file"); the secret itself is never printed.
QString readSecretFile(const QString &path, const QString &what, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the %1 %2").arg(what, path);
        return {};
    }
    QByteArray line = file.readLine();
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    if (line.isEmpty())
        *error = QStringLiteral("the %1 %2 is empty").arg(what, path);
    return QString::fromUtf8(line);
}

// The state of one run: the objects of the core and how the command ends.
class Run : public QObject
{
public:
    Run(const AccountConfig &config, const QString &dataDir)
        : m_database(Paths::databaseFile(dataDir))
        , m_vault(Paths::vaultFile(dataDir), QStringLiteral("Sotto"), config.jid)
    {
        m_account.setConfig(config);
        // The first connection must work: a wrong password or a dead server is reported, not retried.
        m_account.setReconnectEnabled(false);
        m_account.setReconnectDelays(500, 10000);
    }

    bool open(QString *error)
    {
        if (!m_database.open(error))
            return false;
        m_store = new MessageStore(&m_database, this);
        m_contactSettings = new ContactSettings(&m_database, this);
        m_messenger = new Messenger(&m_account, m_store, this);
        // The per-contact policy (off / ask / always) the GUI's settings stored, here too.
        m_messenger->setContactSettings(m_contactSettings);
        m_secrets = new SqlRetainedSecretStore(&m_database, &m_vault, this);
        connect(m_account.esession(), &EsessionExtension::retainedSecretCreated, m_secrets,
                &SqlRetainedSecretStore::recordSas);
        connect(&m_account, &Account::errorReasonChanged, this, [this](const QString &reason) {
            if (!reason.isEmpty() && m_account.state() != Account::State::Online && !m_everOnline)
                failWith(reason);
        });
        connect(&m_account, &Account::stateChanged, this, [this](Account::State state) {
            if (state == Account::State::Online && !m_everOnline) {
                m_everOnline = true;
                emitEvent({{QStringLiteral("event"), QStringLiteral("connected")},
                           {QStringLiteral("jid"), m_account.jid()}});
            } else if (state == Account::State::Offline && m_everOnline && !m_finished) {
                emitEvent({{QStringLiteral("event"), QStringLiteral("disconnected")},
                           {QStringLiteral("reason"), m_account.errorReason()}});
            } else if (state == Account::State::Offline && !m_everOnline && !m_account.errorReason().isEmpty()) {
                failWith(m_account.errorReason());
            }
        });
        return true;
    }

    void finish(int code)
    {
        if (m_finished)
            return;
        m_finished = true;
        m_exitCode = code;
        // XEP-0116/0217 §terminate: every open encrypted session is ended before going offline; the keys are
        // destroyed at once, whether the contact's acknowledgement comes or not.
        m_account.esession()->closeAll();
        m_account.disconnectFromServer();
        // Let the closing stream go out before the loop ends: quit once the connection has closed (at most a
        // second), not after a fixed wait.
        const auto quit = [] { QCoreApplication::exit(); };
        if (m_account.isConnectionClosed()) {
            QTimer::singleShot(0, qApp, quit);
            return;
        }
        connect(&m_account, &Account::connectionClosed, qApp, quit, Qt::QueuedConnection);
        QTimer::singleShot(1000, qApp, quit);
    }

    void failWith(const QString &reason, const QString &code = {})
    {
        if (m_finished)
            return;
        fail(reason, code);
        finish(1);
    }

    int exitCode() const { return m_exitCode; }
    bool finished() const { return m_finished; }
    bool everOnline() const { return m_everOnline; }

    /// Opens the vault that protects retained secrets: with the passphrase in @p passphraseFile (a new
    /// vault is created with it), or else through the desktop keyring. Then ESessions are possible.
    bool unlockVault(const QString &passphraseFile, QString *error)
    {
        if (!passphraseFile.isEmpty()) {
            const QString passphrase = readSecretFile(passphraseFile, QStringLiteral("passphrase file"), error);
            if (passphrase.isEmpty())
                return false;
            const bool ok = m_vault.kind() == KeyVault::Kind::None ? m_vault.createWithPassphrase(passphrase, error)
                                                                    : m_vault.unlockWithPassphrase(passphrase, error);
            if (!ok)
                return false;
        } else {
            QEventLoop loop;
            QString reason;
            connect(&m_vault, &KeyVault::unlocked, &loop, &QEventLoop::quit);
            connect(&m_vault, &KeyVault::failed, &loop, [&loop, &reason](const QString &why) {
                reason = why;
                loop.quit();
            });
            m_vault.unlockWithKeyring();
            loop.exec();
            if (!m_vault.isUnlocked()) {
                *error = QStringLiteral("%1; use --passphrase-file to protect the secrets with a passphrase instead").arg(reason);
                return false;
            }
        }
        m_account.esession()->setRetainedSecretStore(m_secrets);
        // History written from now on (and earlier rows of this run or from before sealing) goes under
        // the vault's key, so a later run with the same vault reads it. Should re-sealing fail, every
        // row stays readable in this run (the store logs why) and the next unlock tries again.
        m_store->setMasterKey(m_vault.masterKey());
        return true;
    }

    Account m_account;
    Database m_database;
    KeyVault m_vault;
    MessageStore *m_store = nullptr;
    Messenger *m_messenger = nullptr;
    SqlRetainedSecretStore *m_secrets = nullptr;
    ContactSettings *m_contactSettings = nullptr;

private:
    bool m_everOnline = false;
    bool m_finished = false;
    int m_exitCode = 0;
};

// Waits for every outgoing message to be acknowledged, then finishes.
void finishWhenOutboxEmpty(Run &run)
{
    auto check = [&run] {
        if (run.m_messenger->outbox()->pendingCount() == 0)
            run.finish(0);
    };
    QObject::connect(run.m_messenger->outbox(), &Outbox::acknowledged, &run, check);
    QObject::connect(run.m_messenger->outbox(), &Outbox::failed, &run, [&run](qint64, const QString &reason) {
        run.failWith(reason == Esession::FailureCode::TooLarge
                         ? QStringLiteral("the message is too large for the encrypted session; it was not sent")
                         : reason);
    });
    check();
}

// Prints the "sent" event once the server took @p stored (or, without stream management, once it was written):
// at once when that already happened while it was being handed over, else when the outbox says so.
void reportWhenSent(Run &run, const StoredMessage &stored, std::function<void()> then = {})
{
    auto report = [&run, stored, then] {
        emitEvent({{QStringLiteral("event"), QStringLiteral("sent")},
                   {QStringLiteral("to"), stored.peer},
                   {QStringLiteral("thread"), run.m_store->message(stored.id).value_or(stored).thread},
                   {QStringLiteral("id"), stored.stanzaId},
                   {QStringLiteral("encrypted"), stored.encrypted}});
        if (then)
            then();
    };
    const std::optional<StoredMessage> now = run.m_store->message(stored.id);
    if (now && (now->state == MessageState::Sent || now->state == MessageState::Delivered)) {
        report();
        return;
    }
    QObject::connect(run.m_messenger->outbox(), &Outbox::acknowledged, &run, [id = stored.id, report](qint64 acked) {
        if (acked == id)
            report();
    });
}

} // namespace

int main(int argc, char **argv)
{
    Crypto::Library cryptoLibrary;
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("sotto"));
    QCoreApplication::setOrganizationName(QStringLiteral("sotto"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sotto's headless client.\n\nCommands:\n"
        "  send PEER TEXT...   send a message (waits for the server's acknowledgement; --encrypt\n"
        "                      negotiates an encrypted session first and sends nothing without one)\n"
        "  listen              print incoming messages (--echo answers each, --count N stops after N\n"
        "                      readable ones, --accept-esessions accepts encrypted sessions)\n"
        "  verify PEER --sas X mark the secret of the last encrypted session verified if X is its SAS\n"
        "  end-encryption PEER the conversation with PEER goes back to plaintext (after --encrypt, plain\n"
        "                      sends to PEER are refused until this is said; refused under the policy Always)\n"
        "  roster              print the contacts\n"
        "  add PEER            add a contact and ask for their presence\n\n"
        "Encrypted sessions show Sotto's own verification code (\"sas_kind\":\"committed\"). Other ESession\n"
        "clients only know the older sas28x5, which someone in the middle can make match: it is refused\n"
        "unless the contact's setting (Settings > Encryption in Sotto) or --allow-sas28x5 allows it\n"
        "(\"sas_kind\":\"sas28x5\")."));
    parser.addHelpOption();
    const QCommandLineOption jidOption(QStringLiteral("jid"), QStringLiteral("Account address."), QStringLiteral("JID"));
    const QCommandLineOption passwordFileOption(QStringLiteral("password-file"),
                                                QStringLiteral("File holding the password (first line)."),
                                                QStringLiteral("FILE"));
    const QCommandLineOption hostOption(QStringLiteral("host"), QStringLiteral("Server host (overrides DNS)."),
                                        QStringLiteral("HOST"));
    const QCommandLineOption portOption(QStringLiteral("port"), QStringLiteral("Server port."), QStringLiteral("PORT"));
    const QCommandLineOption certOption(QStringLiteral("trust-cert"),
                                        QStringLiteral("Trust exactly this PEM certificate for TLS."),
                                        QStringLiteral("PEM"));
    const QCommandLineOption dataDirOption(QStringLiteral("data-dir"),
                                           QStringLiteral("Account state directory (default: per account under "
                                                          "the XDG data directory)."),
                                           QStringLiteral("DIR"));
    const QCommandLineOption echoOption(QStringLiteral("echo"), QStringLiteral("listen: answer each message with its text."));
    const QCommandLineOption encryptOption(QStringLiteral("encrypt"),
                                           QStringLiteral("send: negotiate an encrypted session first (XEP-0217)."));
    const QCommandLineOption acceptOption(QStringLiteral("accept-esessions"),
                                          QStringLiteral("listen: accept encrypted sessions from contacts."));
    const QCommandLineOption strangersOption(
        QStringLiteral("accept-strangers"),
        QStringLiteral("listen: also accept encrypted sessions from people who are not contacts (answering them tells "
                       "them you are online)."));
    const QCommandLineOption sasOption(QStringLiteral("sas"), QStringLiteral("verify: the code compared with the contact."),
                                       QStringLiteral("SAS"));
    const QCommandLineOption passphraseOption(
        QStringLiteral("passphrase-file"),
        QStringLiteral("Protect retained secrets with the passphrase in FILE instead of the desktop keyring."),
        QStringLiteral("FILE"));
    const QCommandLineOption countOption(QStringLiteral("count"), QStringLiteral("listen: stop after N messages."),
                                         QStringLiteral("N"));
    const QCommandLineOption timeoutOption(QStringLiteral("timeout"),
                                           QStringLiteral("Give up after S seconds (listen: stop; others: fail)."),
                                           QStringLiteral("S"));
    const QCommandLineOption groupsOption(
        QStringLiteral("groups"),
        QStringLiteral("MODP groups new encrypted sessions offer, in this order, and accept (14 to 18, e.g. 15,14)."),
        QStringLiteral("LIST"));
    const QCommandLineOption weakSasOption(
        QStringLiteral("allow-sas28x5"),
        QStringLiteral("Compatibility with other ESession clients for every contact in this run: allow their older "
                       "verification code (sas28x5), which someone in the middle can make match. Sotto's own code is "
                       "still preferred. Without it, only contacts with the stored setting allow it."));
    parser.addOptions({encryptOption, acceptOption, strangersOption, sasOption, passphraseOption, groupsOption,
                       weakSasOption});
    parser.addOptions({jidOption, passwordFileOption, hostOption, portOption, certOption, dataDirOption, echoOption,
                       countOption, timeoutOption});
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("send, listen, roster or add"));
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        return fail(QStringLiteral("no command given (send, listen, roster, add)"));
    const QString command = args.first();
    if (!parser.isSet(jidOption) || (command != u"verify" && !parser.isSet(passwordFileOption)))
        return fail(QStringLiteral("--jid and --password-file are required"));

    if (const QStringList missing = Crypto::missingFeatures(); !missing.isEmpty())
        return fail(QStringLiteral("the crypto provider lacks: %1").arg(missing.join(u", ")));

    AccountConfig config;
    config.jid = QXmppUtils::jidToBareJid(parser.value(jidOption));
    QString error;
    if (command == u"verify") {
        // Offline: the SAS is compared with the one stored for the last session with the contact.
        if (args.size() != 2 || !parser.isSet(sasOption))
            return fail(QStringLiteral("usage: verify PEER --sas CODE"));
        Run run(config, Paths::accountDataDir(config.jid, parser.value(dataDirOption)));
        if (!run.open(&error) || !run.unlockVault(parser.value(passphraseOption), &error))
            return fail(error);
        const QString peer = QXmppUtils::jidToBareJid(args.at(1));
        if (!run.m_secrets->verifyLastSas(peer, parser.value(sasOption)))
            return fail(QStringLiteral("the code does not match the last encrypted session with %1").arg(peer));
        emitEvent({{QStringLiteral("event"), QStringLiteral("verified")}, {QStringLiteral("peer"), peer}});
        return 0;
    }
    if (command == u"end-encryption") {
        // Offline: the conversation's stored state goes back to plain (the user's explicit choice).
        if (args.size() != 2)
            return fail(QStringLiteral("usage: end-encryption PEER"));
        Run run(config, Paths::accountDataDir(config.jid, parser.value(dataDirOption)));
        if (!run.open(&error))
            return fail(error);
        const QString peer = QXmppUtils::jidToBareJid(args.at(1));
        if (!run.m_messenger->security()->endEncryption(peer))
            return fail(QStringLiteral("the policy for %1 is Always: messages to them are always encrypted").arg(peer));
        emitEvent({{QStringLiteral("event"), QStringLiteral("esession")},
                   {QStringLiteral("state"), QStringLiteral("plain")},
                   {QStringLiteral("peer"), peer}});
        return 0;
    }
    config.password = readSecretFile(parser.value(passwordFileOption), QStringLiteral("password file"), &error);
    if (!error.isEmpty())
        return fail(error);
    config.host = parser.value(hostOption);
    if (parser.isSet(portOption)) {
        bool ok = false;
        const uint port = parser.value(portOption).toUInt(&ok);
        if (!ok || port == 0 || port > 65535)
            return fail(QStringLiteral("--port must be a number between 1 and 65535"));
        config.port = quint16(port);
    }
    config.trustedCertPath = parser.value(certOption);
    // Each run is its own resource, so a listener and a sender of one account can be online together.
    config.resource = QStringLiteral("cli-") + QString::number(QCoreApplication::applicationPid());

    Run run(config, Paths::accountDataDir(config.jid, parser.value(dataDirOption)));
    if (!run.open(&error))
        return fail(error);

    int timeoutSeconds = -1;
    if (parser.isSet(timeoutOption)) {
        bool ok = false;
        timeoutSeconds = parser.value(timeoutOption).toInt(&ok);
        if (!ok || timeoutSeconds <= 0)
            return fail(QStringLiteral("--timeout must be a positive number of seconds"));
    }

    if (parser.isSet(groupsOption)) {
        const auto groups = AppSettings::parseGroups(parser.value(groupsOption));
        if (!groups)
            return fail(QStringLiteral("--groups takes MODP group numbers from 14 to 18, e.g. 15,14"));
        run.m_account.setPreferredGroups(*groups);
    }

    // sas28x5 with a contact: the stored per-contact setting (Settings > Encryption), or everyone in this run.
    const bool weakSasForEveryone = parser.isSet(weakSasOption);
    run.m_account.setWeakSasAllowedFunction([&run, weakSasForEveryone](const QString &bareJid) {
        return weakSasForEveryone || run.m_contactSettings->weakSasAllowed(bareJid);
    });

    const bool encrypt = parser.isSet(encryptOption) || parser.isSet(acceptOption);
    if (encrypt && !run.unlockVault(parser.value(passphraseOption), &error))
        return fail(error);
    auto esessionEvent = [](const QString &peer, const QString &thread, const QString &sas, bool verified,
                            bool identityChanged, const QString &formerJid,
                            std::optional<Esession::SasAlgorithm> sasAlgorithm) {
        QJsonObject event{{QStringLiteral("event"), QStringLiteral("esession")},
                          {QStringLiteral("state"), QStringLiteral("active")},
                          {QStringLiteral("peer"), peer},
                          {QStringLiteral("thread"), thread},
                          {QStringLiteral("sas"), sas},
                          {QStringLiteral("verified"), verified},
                          {QStringLiteral("identity_changed"), identityChanged}};
        // Which code `sas` is: a sas28x5 code that matches proves less (a relay can make it match).
        if (const QString kind = sasKindName(sasAlgorithm); !kind.isEmpty())
            event.insert(QStringLiteral("sas_kind"), kind);
        // Authenticated by the secret kept for another address of ours (XEP-0116's search across JIDs).
        if (!formerJid.isEmpty())
            event.insert(QStringLiteral("former_jid"), formerJid);
        emitEvent(event);
    };
    QObject::connect(run.m_account.esession(), &EsessionExtension::sessionEnded, &run,
                     [](const QString &peer, const QString &thread, const QString &code) {
                         emitEvent({{QStringLiteral("event"), QStringLiteral("esession")},
                                    {QStringLiteral("state"), QStringLiteral("ended")},
                                    {QStringLiteral("peer"), peer},
                                    {QStringLiteral("thread"), thread},
                                    {QStringLiteral("reason"), codeText(code)},
                                    {QStringLiteral("code"), code}});
                     });

    if (command == u"send" && parser.isSet(encryptOption)) {
        if (args.size() < 3)
            return fail(QStringLiteral("usage: send PEER TEXT... --encrypt"));
        const QString peer = QXmppUtils::jidToBareJid(args.at(1));
        const QString text = args.mid(2).join(u' ');
        ConversationSecurity *security = run.m_messenger->security();
        QObject::connect(&run.m_account, &Account::connected, &run, [&run, security, peer, text] {
            // The conversation is encrypted from now on (stored): the text waits for the session, never plain.
            if (!security->startEncryption(peer)) {
                run.failWith(QStringLiteral("could not start an encrypted session with %1").arg(peer));
                return;
            }
            const auto stored = run.m_messenger->send(peer, text);
            if (!stored || !stored->encrypted) {
                run.failWith(QStringLiteral("the message could not be stored for the encrypted session"));
                return;
            }
            reportWhenSent(run, *stored, [&run, peer, security] {
                // ESessions are ended before going offline (XEP-0217): terminate, wait for the ack.
                if (!run.m_account.esession()->terminateSession(peer, security->thread(peer))) {
                    run.finish(0);
                    return;
                }
                QObject::connect(run.m_account.esession(), &EsessionExtension::sessionEnded, &run,
                                 [&run] { run.finish(0); });
                QTimer::singleShot(5000, &run, [&run] { run.finish(0); });
            });
        });
        QObject::connect(run.m_account.esession(), &EsessionExtension::negotiationFailed, &run,
                         [&run, security, peer](const QString &, const QString &thread, const QString &code) {
                             // Nothing is sent: the text waits in the outbox, never unencrypted.
                             if (thread == security->thread(peer))
                                 run.failWith(QStringLiteral("no encrypted session: %1").arg(negotiationFailure(code)),
                                              code);
                         });
        QObject::connect(run.m_account.esession(), &EsessionExtension::esessionEstablished, &run,
                         [security, peer, esessionEvent](const QString &full, const QString &sessionThread,
                                                         const QString &sas, bool verified, bool identityChanged,
                                                         const QString &formerJid,
                                                         std::optional<Esession::SasAlgorithm> sasAlgorithm) {
                             if (sessionThread == security->thread(peer))
                                 esessionEvent(full, sessionThread, sas, verified, identityChanged, formerJid,
                                               sasAlgorithm);
                         });
        if (timeoutSeconds < 0)
            timeoutSeconds = 30;
        QTimer::singleShot(timeoutSeconds * 1000, &run,
                           [&run] { run.failWith(QStringLiteral("timed out before the encrypted message was acknowledged")); });
    } else if (command == u"send") {
        if (args.size() < 3)
            return fail(QStringLiteral("usage: send PEER TEXT..."));
        const QString peer = QXmppUtils::jidToBareJid(args.at(1));
        const QString text = args.mid(2).join(u' ');
        if (run.m_messenger->security()->encryptionWanted(peer)) {
            // Never a silent plaintext message in an encrypted conversation: the user says which.
            return fail(QStringLiteral("the conversation with %1 is encrypted: send with --encrypt, or say "
                                       "end-encryption %1 first to send in plaintext").arg(peer));
        }
        QObject::connect(&run.m_account, &Account::connected, &run, [&run, peer, text] {
            const auto stored = run.m_messenger->send(peer, text);
            if (!stored) {
                run.failWith(QStringLiteral("the message could not be stored"));
                return;
            }
            reportWhenSent(run, *stored);
            finishWhenOutboxEmpty(run);
        });
        if (timeoutSeconds < 0)
            timeoutSeconds = 30;
        QTimer::singleShot(timeoutSeconds * 1000, &run,
                           [&run] { run.failWith(QStringLiteral("timed out before the server acknowledged")); });
    } else if (command == u"listen") {
        const bool echo = parser.isSet(echoOption);
        const int count = parser.isSet(countOption) ? parser.value(countOption).toInt() : -1;
        if (parser.isSet(countOption) && count <= 0)
            return fail(QStringLiteral("--count must be a positive number"));
        run.m_account.setAutoApproveSubscriptions(true);
        if (parser.isSet(acceptOption)) {
            // Contacts are answered by the engine itself. A request waits for a decision only when it comes from
            // someone who may not see our presence (XEP-0155 §Presence Leaks): answering tells them we are online,
            // so it is accepted only with --accept-strangers, and otherwise left unanswered until it times out.
            const bool strangers = parser.isSet(strangersOption);
            QObject::connect(run.m_account.esession(), &EsessionExtension::negotiationRequested, &run,
                             [&run, strangers](const QString &peer, const QString &thread) {
                                 if (strangers) {
                                     run.m_account.esession()->acceptNegotiation(QXmppUtils::jidToBareJid(peer), thread);
                                     return;
                                 }
                                 emitEvent({{QStringLiteral("event"), QStringLiteral("esession")},
                                            {QStringLiteral("state"), QStringLiteral("request-ignored")},
                                            {QStringLiteral("peer"), peer},
                                            {QStringLiteral("reason"), QStringLiteral("not a contact (--accept-strangers)")}});
                             });
            QObject::connect(run.m_account.esession(), &EsessionExtension::esessionEstablished, &run, esessionEvent);
            QObject::connect(run.m_account.esession(), &EsessionExtension::negotiationFailed, &run,
                             [](const QString &peer, const QString &thread, const QString &code) {
                                 emitEvent({{QStringLiteral("event"), QStringLiteral("esession")},
                                            {QStringLiteral("state"), QStringLiteral("failed")},
                                            {QStringLiteral("peer"), peer},
                                            {QStringLiteral("thread"), thread},
                                            {QStringLiteral("reason"), negotiationFailure(code)},
                                            {QStringLiteral("code"), code}});
                             });
        }
        auto received = std::make_shared<int>(0);
        QObject::connect(&run.m_account, &Account::connected, &run, [&run] {
            // Once online, a listener rides out server restarts.
            run.m_account.setReconnectEnabled(true);
        });
        QObject::connect(&run.m_account, &Account::subscriptionRequested, &run, [](const QString &jid) {
            emitEvent({{QStringLiteral("event"), QStringLiteral("subscription")}, {QStringLiteral("from"), jid}});
        });
        QObject::connect(run.m_messenger, &Messenger::messageReceived, &run,
                         [&run, echo, count, received](const StoredMessage &m) {
                             emitEvent(messageEvent(m));
                             if (echo && m.state != MessageState::Undecryptable)
                                 run.m_messenger->send(m.peer, m.body);
                             // --count counts readable messages: a leftover that cannot be opened (an old
                             // session's stanza kept offline by the server) is reported, not counted.
                             if (count > 0 && m.state != MessageState::Undecryptable && ++*received >= count)
                                 finishWhenOutboxEmpty(run);
                         });
        if (timeoutSeconds > 0) {
            QTimer::singleShot(timeoutSeconds * 1000, &run, [&run, count, received] {
                if (count > 0 && *received < count)
                    run.failWith(QStringLiteral("timed out after %1 of %2 messages").arg(*received).arg(count));
                else
                    run.finish(0);
            });
        }
    } else if (command == u"roster") {
        auto print = [&run] {
            const QList<Contact> contacts = run.m_account.contacts();
            for (const Contact &c : contacts) {
                emitEvent({{QStringLiteral("event"), QStringLiteral("contact")},
                           {QStringLiteral("jid"), c.jid},
                           {QStringLiteral("name"), c.name},
                           {QStringLiteral("subscription"), c.subscription},
                           {QStringLiteral("online"), c.online}});
            }
            run.finish(0);
        };
        // Presence of contacts arrives right after the roster; give it a moment, then print once.
        auto scheduled = std::make_shared<bool>(false);
        QObject::connect(&run.m_account, &Account::rosterChanged, &run, [&run, print, scheduled] {
            if (!*scheduled && run.m_account.isRosterReceived()) {
                *scheduled = true;
                QTimer::singleShot(1000, &run, print);
            }
        });
        if (timeoutSeconds < 0)
            timeoutSeconds = 30;
        QTimer::singleShot(timeoutSeconds * 1000, &run, [&run] { run.failWith(QStringLiteral("timed out")); });
    } else if (command == u"add") {
        if (args.size() != 2)
            return fail(QStringLiteral("usage: add PEER"));
        const QString peer = QXmppUtils::jidToBareJid(args.at(1));
        if (!peer.contains(u'@'))
            return fail(QStringLiteral("the contact's address must look like name@server"));
        QObject::connect(&run.m_account, &Account::connected, &run, [&run, peer] {
            run.m_account.addContact(peer);
        });
        QObject::connect(&run.m_account, &Account::rosterChanged, &run, [&run, peer] {
            if (run.finished())
                return;
            const Contact c = run.m_account.contact(peer);
            if (c.subscription.contains(u"pending") || c.subscription.startsWith(u"to") || c.subscription == u"both") {
                emitEvent({{QStringLiteral("event"), QStringLiteral("added")},
                           {QStringLiteral("jid"), peer},
                           {QStringLiteral("subscription"), c.subscription}});
                run.finish(0);
            }
        });
        if (timeoutSeconds < 0)
            timeoutSeconds = 30;
        QTimer::singleShot(timeoutSeconds * 1000, &run, [&run] { run.failWith(QStringLiteral("timed out")); });
    } else {
        return fail(QStringLiteral("unknown command '%1' (send, listen, roster, add, verify)").arg(command));
    }

    run.m_account.connectToServer();
    if (!run.m_account.errorReason().isEmpty() && run.m_account.errorIsPermanent())
        return fail(run.m_account.errorReason());
    app.exec();
    return run.exitCode();
}
