// chooseParameters() (EsessionForms.h): what a responder answers to ESession message 1 (XEP-0116 §4.4 "ESession
// Rejection (Bob)", §4.5.2 "Response Form"), decided from the offer and its policy alone. Message 1 is the one a real
// initiator builds (EsessionHandshake::request() with the default policy); each row edits that form and/or the
// responder's policy and states the exact choice, or the exact refusal (condition, fields in order, code).
#include <QDomDocument>
#include <QTest>

#include <functional>
#include <optional>
#include <variant>

#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"
#include "esession/DataForm.h"
#include "esession/EsessionForms.h"
#include "esession/EsessionHandshake.h"
#include "esession/EsessionKeys.h"
#include "esession/FailureCodes.h"
#include "esession/FormConstants.h"
#include "esession/RetainedSecretStore.h"

using namespace Esession;
using namespace Qt::StringLiterals;

namespace {

using OfferEdit = std::function<DataForm(const DataForm &)>;
using PolicyEdit = std::function<void(EsessionPolicy &)>;

/// The parts of a ChosenParameters that a row states; the nonce and the commitment are checked against the offer.
struct Expected
{
    Crypto::ModpGroup group = Crypto::ModpGroup::Group15;
    qsizetype groupIndex = 0;
    Crypto::CtrCipher cipher = Crypto::CtrCipher::Aes256;
    QStringList stanzas;
    quint32 rekeyFrequency = 100;
    std::optional<SasAlgorithm> sasAlgorithm;
    QString initiatorKeyMode;
    QString responderKeyMode;
    std::optional<QString> signAlgorithm;
};

/// @p form with the field @p var replaced by @p field (in its place), removed (nullopt), or appended when absent.
DataForm withField(const DataForm &form, const QString &var, const std::optional<FormField> &field)
{
    DataForm edited(form.type());
    edited.setTitle(form.title());
    edited.setInstructions(form.instructions());
    bool placed = false;
    for (const FormField &existing : form.fields()) {
        if (existing.var != var) {
            if (!edited.addField(existing))
                qFatal("withField: cannot copy a field");
        } else if (field && !placed) {
            placed = true;
            if (!edited.addField(*field))
                qFatal("withField: cannot place the field");
        }
    }
    if (field && !placed && !edited.addField(*field))
        qFatal("withField: cannot append the field");
    return edited;
}

/// Replaces @p var by a field of @p values (hidden: how XEP-0217 sends its fixed parameters).
OfferEdit setValues(const QString &var, const QStringList &values)
{
    return
        [var, values](const DataForm &form) { return withField(form, var, makeField(var, values, FieldType::Hidden)); };
}

/// Replaces @p var by a list offering @p options (how XEP-0116 lists its choices).
OfferEdit setOptions(const QString &var, const QStringList &options)
{
    return [var, options](
               const DataForm &form) { return withField(form, var, makeOffer(var, options, FieldType::ListSingle)); };
}

OfferEdit removeField(const QString &var)
{
    return [var](const DataForm &form) { return withField(form, var, std::nullopt); };
}

/// Several edits, in order.
OfferEdit both(const OfferEdit &first, const OfferEdit &second)
{
    return [first, second](const DataForm &form) { return second(first(form)); };
}

/// The 3-message request's shape: the He values move from dhhashes to dhkeys (the range of e is not this
/// function's business) and sas_algs goes.
DataForm asThreeMessage(const DataForm &form)
{
    const FormField *hashes = form.field(Xep0116::Dhhashes);
    const QStringList values = hashes ? hashes->values : QStringList();
    DataForm edited = withField(form, Xep0116::Dhhashes, std::nullopt);
    edited = withField(edited, Xep0116::SasAlgs, std::nullopt);
    return withField(edited, Xep0116::Dhkeys, makeField(Xep0116::Dhkeys, values, FieldType::Hidden));
}

const QStringList AllStanzas = { u"message"_s, u"iq"_s, u"presence"_s };

} // namespace

Q_DECLARE_METATYPE(OfferEdit)
Q_DECLARE_METATYPE(PolicyEdit)
Q_DECLARE_METATYPE(std::optional<Expected>)
Q_DECLARE_METATYPE(std::optional<ParameterRefusal>)

class TestEsessionForms : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void offerIsTheHandshakes();
    void chooseParameters_data();
    void chooseParameters();

private:
    DataForm m_offer; ///< message 1 of an initiator with the default policy (groups 15 and 14)
};

void TestEsessionForms::initTestCase()
{
    MemoryRetainedSecretStore store;
    EsessionHandshake alice(
        u"bob@example.com/laptop"_s, u"forms-thread"_s, EsessionRole::Initiator, EsessionPolicy {}, &store);
    const EsessionOutput out = alice.request();
    QCOMPARE(out.stanzas.size(), 1);
    const QDomElement x = wrappedForm(out.stanzas.first(), Xep0020::FeatureElement, Xep0020::Namespace);
    QVERIFY(!x.isNull());
    const FormResult parsed = DataForm::parse(x);
    const auto *form = std::get_if<DataForm>(&parsed);
    QVERIFY(form);
    m_offer = *form;
}

void TestEsessionForms::offerIsTheHandshakes()
{
    // The rows below rely on this shape of the default offer.
    QCOMPARE(offeredValues(m_offer.field(Xep0116::Modp)), (QStringList { u"15"_s, u"14"_s }));
    QCOMPARE(offeredValues(m_offer.field(Xep0116::CryptAlgs)), (QStringList { u"aes256-ctr"_s, u"aes128-ctr"_s }));
    QCOMPARE(m_offer.values(Xep0116::Dhhashes).size(), 2);
    QCOMPARE(offeredValues(m_offer.field(Xep0116::SasAlgs)), QStringList { sasAlgorithmName(SasAlgorithm::Committed) });
    QVERIFY(!m_offer.field(Xep0116::SignAlgs));
    QVERIFY(!m_offer.field(Xep0116::Dhkeys));
}

void TestEsessionForms::chooseParameters_data()
{
    QTest::addColumn<OfferEdit>("edit");
    QTest::addColumn<PolicyEdit>("ours");
    QTest::addColumn<std::optional<Expected>>("expected");
    QTest::addColumn<std::optional<ParameterRefusal>>("refusal");

    using G = Crypto::ModpGroup;
    using C = Crypto::CtrCipher;
    const OfferEdit asSent = [](const DataForm &form) { return form; };
    const PolicyEdit defaults = [](EsessionPolicy &) {};
    const QString sas28x5 = sasAlgorithmName(SasAlgorithm::Sas28x5);
    const QString none = FieldValue::NoPublicKey;
    const auto accepted = [](Expected expected) { return std::optional<Expected>(std::move(expected)); };
    const auto refused = [](SsnCondition condition, const QStringList &fields, const QString &code) {
        return std::optional<ParameterRefusal>(ParameterRefusal { condition, fields, code });
    };
    const std::optional<Expected> noChoice;
    const std::optional<ParameterRefusal> noRefusal;

    // Accepted: the initiator's first group and cipher that we allow, our first SAS, the larger rekey_freq.
    QTest::newRow("default offer, first preferences")
        << asSent << defaults
        << accepted({ G::Group15, 0, C::Aes256, AllStanzas, 100, SasAlgorithm::Committed, none, none, std::nullopt })
        << noRefusal;
    QTest::newRow("we allow only group 14: the second offer and its He")
        << asSent << PolicyEdit([](EsessionPolicy &p) { p.groups = { G::Group14 }; })
        << accepted({ G::Group14, 1, C::Aes256, AllStanzas, 100, SasAlgorithm::Committed, none, none, std::nullopt })
        << noRefusal;
    QTest::newRow("we allow only aes128")
        << asSent << PolicyEdit([](EsessionPolicy &p) { p.ciphers = { C::Aes128 }; })
        << accepted({ G::Group15, 0, C::Aes128, AllStanzas, 100, SasAlgorithm::Committed, none, none, std::nullopt })
        << noRefusal;
    QTest::newRow("crypt_algs absent: the XEP-0217 aes128-ctr")
        << removeField(Xep0116::CryptAlgs) << defaults
        << accepted({ G::Group15, 0, C::Aes128, AllStanzas, 100, SasAlgorithm::Committed, none, none, std::nullopt })
        << noRefusal;
    QTest::newRow("our rekey_freq is larger")
        << asSent << PolicyEdit([](EsessionPolicy &p) { p.rekeyFrequency = 5000; })
        << accepted({ G::Group15, 0, C::Aes256, AllStanzas, 5000, SasAlgorithm::Committed, none, none, std::nullopt })
        << noRefusal;
    QTest::newRow("the offer's rekey_freq is larger")
        << setValues(Xep0116::RekeyFreq, { u"4294967295"_s }) << defaults
        << accepted({ G::Group15, 0, C::Aes256, AllStanzas, FieldValue::NoRekey, SasAlgorithm::Committed, none, none,
               std::nullopt })
        << noRefusal;
    QTest::newRow("stanzas in common, in the initiator's order")
        << setOptions(Xep0116::Stanzas, { u"presence"_s, u"jingle"_s, u"message"_s })
        << PolicyEdit([](EsessionPolicy &p) {
               p.stanzaTypes = { u"message"_s, u"presence"_s };
           })
        << accepted({ G::Group15, 0, C::Aes256, { u"presence"_s, u"message"_s }, 100, SasAlgorithm::Committed, none,
               none, std::nullopt })
        << noRefusal;
    QTest::newRow("sas28x5 offered, compatibility on")
        << setValues(Xep0116::SasAlgs, { sas28x5 }) << PolicyEdit([](EsessionPolicy &p) {
               p.sasAlgorithms = { SasAlgorithm::Committed, SasAlgorithm::Sas28x5 };
           })
        << accepted({ G::Group15, 0, C::Aes256, AllStanzas, 100, SasAlgorithm::Sas28x5, none, none, std::nullopt })
        << noRefusal;
    QTest::newRow("both SAS offered, compatibility on: ours first") << setOptions(Xep0116::SasAlgs,
        { sas28x5, sasAlgorithmName(SasAlgorithm::Committed) }) << PolicyEdit([](EsessionPolicy &p) {
        p.sasAlgorithms = { SasAlgorithm::Committed, SasAlgorithm::Sas28x5 };
    }) << accepted({ G::Group15, 0, C::Aes256, AllStanzas, 100, SasAlgorithm::Committed, none, none, std::nullopt })
                                                                    << noRefusal;
    QTest::newRow("sign_algs offered without keys: answered all the same")
        << setOptions(Xep0116::SignAlgs, { u"urn:example:sign"_s, FieldValue::RsaSha256 }) << defaults
        << accepted({ G::Group15, 0, C::Aes256, AllStanzas, 100, SasAlgorithm::Committed, none, none,
               u"urn:example:sign"_s })
        << noRefusal;

    // Refused.
    QTest::newRow("no common group") << asSent << PolicyEdit([](EsessionPolicy &p) {
        p.groups = { G::Group16 };
    }) << noChoice << refused(SsnCondition::NotAcceptable, { Xep0116::Modp }, FailureCode::OfferNotAcceptable);
    QTest::newRow("only sas28x5 offered, compatibility off")
        << setValues(Xep0116::SasAlgs, { sas28x5 }) << defaults << noChoice
        << refused(SsnCondition::NotAcceptable, { Xep0116::SasAlgs }, FailureCode::Sas28x5NotAllowed);
    QTest::newRow("sas_algs absent (XEP-0217 sas28x5), compatibility off")
        << removeField(Xep0116::SasAlgs) << defaults << noChoice
        << refused(SsnCondition::NotAcceptable, { Xep0116::SasAlgs }, FailureCode::Sas28x5NotAllowed);
    QTest::newRow("an unknown SAS only") << setValues(Xep0116::SasAlgs, { u"sas16x4"_s }) << defaults << noChoice
                                         << refused(SsnCondition::NotAcceptable, { Xep0116::SasAlgs },
                                                FailureCode::OfferNotAcceptable);
    QTest::newRow("only sas28x5, and an unknown hash: not the SAS code")
        << both(setValues(Xep0116::SasAlgs, { sas28x5 }), setValues(Xep0116::HashAlgs, { u"whirlpool"_s })) << defaults
        << noChoice
        << refused(
               SsnCondition::NotAcceptable, { Xep0116::HashAlgs, Xep0116::SasAlgs }, FailureCode::OfferNotAcceptable);
    QTest::newRow("unknown hash") << setValues(Xep0116::HashAlgs, { u"whirlpool"_s }) << defaults << noChoice
                                  << refused(SsnCondition::NotAcceptable, { Xep0116::HashAlgs },
                                         FailureCode::OfferNotAcceptable);
    QTest::newRow("several fields, named in the order of the checks")
        << both(both(setOptions(Xep0116::Ver, { u"1.3"_s }), setOptions(Xep0116::Stanzas, { u"jingle"_s })),
               both(setValues(Xep0116::Compress, { u"zlib"_s }), setValues(Xep0116::MyNonce, { u"not base64!"_s })))
        << defaults << noChoice
        << refused(SsnCondition::NotAcceptable, { Xep0116::Compress, Xep0116::Stanzas, Xep0116::Ver, Xep0116::MyNonce },
               FailureCode::OfferNotAcceptable);
    QTest::newRow("a short nonce") << setValues(Xep0116::MyNonce, { b64(QByteArray(15, 'n')) }) << defaults << noChoice
                                   << refused(SsnCondition::NotAcceptable, { Xep0116::MyNonce },
                                          FailureCode::OfferNotAcceptable);
    QTest::newRow("a He of 31 bytes") << setValues(
        Xep0116::Dhhashes, { b64(QByteArray(31, 'h')), b64(QByteArray(32, 'h')) })
                                      << defaults << noChoice
                                      << refused(SsnCondition::NotAcceptable, { Xep0116::Dhhashes },
                                             FailureCode::OfferNotAcceptable);
    QTest::newRow("our keys required, none offered")
        << asSent << PolicyEdit([](EsessionPolicy &p) { p.allowNoPublicKey = false; }) << noChoice
        << refused(SsnCondition::NotAcceptable, { Xep0116::InitPubkey, Xep0116::RespPubkey },
               FailureCode::OfferNotAcceptable);
    QTest::newRow("3-message request, policy disallows")
        << OfferEdit(asThreeMessage) << defaults << noChoice
        << refused(SsnCondition::FeatureNotImplemented, { Xep0116::Dhkeys }, FailureCode::ThreeMessage);
    QTest::newRow("3-message request, allowed but we hold no key")
        << OfferEdit(asThreeMessage) << PolicyEdit([](EsessionPolicy &p) { p.allowThreeMessage = true; }) << noChoice
        << refused(SsnCondition::FeatureNotImplemented, { Xep0116::Dhkeys }, FailureCode::ThreeMessageUnavailable);
    QTest::newRow("3-message request with other faults: still the 3-message refusal")
        << both(OfferEdit(asThreeMessage), setValues(Xep0116::HashAlgs, { u"whirlpool"_s })) << defaults << noChoice
        << refused(SsnCondition::FeatureNotImplemented, { Xep0116::Dhkeys }, FailureCode::ThreeMessage);
}

void TestEsessionForms::chooseParameters()
{
    QFETCH(OfferEdit, edit);
    QFETCH(PolicyEdit, ours);
    QFETCH(std::optional<Expected>, expected);
    QFETCH(std::optional<ParameterRefusal>, refusal);
    QVERIFY(expected.has_value() != refusal.has_value());

    const DataForm request = edit(m_offer);
    EsessionPolicy policy;
    ours(policy);
    const std::variant<ChosenParameters, ParameterRefusal> choice = Esession::chooseParameters(request, policy);
    // Pure: the same offer and policy give the same answer.
    QVERIFY(choice == Esession::chooseParameters(request, policy));
    QCOMPARE(threeMessageRefusal(request, policy).has_value(),
        refusal && refusal->fields == QStringList { Xep0116::Dhkeys }
            && refusal->condition == SsnCondition::FeatureNotImplemented);

    if (refusal) {
        const auto *refused = std::get_if<ParameterRefusal>(&choice);
        QVERIFY2(refused, "the offer was accepted");
        QCOMPARE(conditionName(refused->condition), conditionName(refusal->condition));
        QCOMPARE(refused->fields, refusal->fields);
        QCOMPARE(refused->code, refusal->code);
        QVERIFY(FailureCode::negotiationCodes().contains(refused->code));
        return;
    }
    const auto *chosen = std::get_if<ChosenParameters>(&choice);
    if (!chosen) {
        const auto &refused = std::get<ParameterRefusal>(choice);
        QFAIL(qPrintable(
            u"refused: %1 %2 %3"_s.arg(conditionName(refused.condition), refused.fields.join(u','), refused.code)));
    }
    QVERIFY(!chosen->threeMessage);
    QCOMPARE(Crypto::modpFieldValue(chosen->group), Crypto::modpFieldValue(expected->group));
    QCOMPARE(chosen->groupIndex, expected->groupIndex);
    QCOMPARE(cipherName(chosen->cipher), cipherName(expected->cipher));
    QCOMPARE(chosen->stanzas, expected->stanzas);
    QCOMPARE(chosen->rekeyFrequency, expected->rekeyFrequency);
    QCOMPARE(chosen->sasAlgorithm.has_value(), expected->sasAlgorithm.has_value());
    if (expected->sasAlgorithm)
        QCOMPARE(sasAlgorithmName(*chosen->sasAlgorithm), sasAlgorithmName(*expected->sasAlgorithm));
    QCOMPARE(chosen->initiatorKeyMode, expected->initiatorKeyMode);
    QCOMPARE(chosen->responderKeyMode, expected->responderKeyMode);
    QCOMPARE(chosen->signAlgorithm.has_value(), expected->signAlgorithm.has_value());
    QCOMPARE(chosen->signAlgorithm.value_or(QString()), expected->signAlgorithm.value_or(QString()));
    // N_A and the chosen group's He, as the offer carried them; no e in the 4-message flow.
    QCOMPARE(chosen->initiatorNonce, fromB64(request.values(Xep0116::MyNonce).value(0)).value_or(QByteArray()));
    QCOMPARE(chosen->initiatorNonce.size(), 32);
    QCOMPARE(chosen->commitment,
        fromB64(request.values(Xep0116::Dhhashes).value(chosen->groupIndex)).value_or(QByteArray()));
    QCOMPARE(chosen->commitment.size(), HashBytes);
    QVERIFY(chosen->initiatorValue.isEmpty());
}

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    TestEsessionForms test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_esessionforms.moc"
