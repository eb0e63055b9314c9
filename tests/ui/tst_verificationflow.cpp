// VerificationFlow without a window: every transition from every state, the signals the app acts on
// (each exactly once), the checks on the code, and how the code is grouped and spelled.
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <iterator>

#include "VerificationFlow.h"
#include "esession/EsessionKeys.h"

namespace {

const QString bob = QStringLiteral("bob@example.org");
const QString bobName = QStringLiteral("Bob");
const QString code = QStringLiteral("k3dq9");
const QString otherCode = QStringLiteral("a1y8w");

using State = VerificationFlow::State;

// Drives a new flow to @p state through the public API only.
void reach(VerificationFlow &flow, State state)
{
    switch (state) {
    case VerificationFlow::Idle:
        return;
    case VerificationFlow::Comparing:
        QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
        return;
    case VerificationFlow::ConfirmingMatch:
        QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
        QVERIFY(flow.theyMatch());
        return;
    case VerificationFlow::Verified:
        QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
        QVERIFY(flow.theyMatch());
        QVERIFY(flow.confirmMatch());
        return;
    case VerificationFlow::Mismatch:
        QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
        QVERIFY(flow.theyDontMatch());
        return;
    case VerificationFlow::Cancelled:
        QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
        QVERIFY(flow.cancel());
        return;
    }
}

enum class Action { Begin, TheyMatch, ConfirmMatch, BackToComparing, TheyDontMatch, Cancel, Restart };

bool perform(VerificationFlow &flow, Action action)
{
    switch (action) {
    case Action::Begin:
        return flow.begin(bob, bobName, otherCode, true, VerificationFlow::Committed);
    case Action::TheyMatch:
        return flow.theyMatch();
    case Action::ConfirmMatch:
        return flow.confirmMatch();
    case Action::BackToComparing:
        return flow.backToComparing();
    case Action::TheyDontMatch:
        return flow.theyDontMatch();
    case Action::Cancel:
        return flow.cancel();
    case Action::Restart:
        return flow.restart();
    }
    return false;
}

const char *actionName(Action action)
{
    switch (action) {
    case Action::Begin:
        return "begin";
    case Action::TheyMatch:
        return "theyMatch";
    case Action::ConfirmMatch:
        return "confirmMatch";
    case Action::BackToComparing:
        return "backToComparing";
    case Action::TheyDontMatch:
        return "theyDontMatch";
    case Action::Cancel:
        return "cancel";
    case Action::Restart:
        return "restart";
    }
    return "?";
}

const char *stateName(State state)
{
    return QMetaEnum::fromType<VerificationFlow::State>().valueToKey(state);
}

} // namespace

Q_DECLARE_METATYPE(Action)

class VerificationFlowTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsIdle();
    void transitions_data();
    void transitions();
    void matchIsConfirmedOnceAfterTwoAnswers();
    void mismatchIsReportedOnce();
    void cancelledComparisonCanBeResumed();
    void malformedCodesAreRefused_data();
    void malformedCodesAreRefused();
    void malformedCodeLeavesAFinishedFlowAlone();
    void emptyPeerIsRefused();
    void everyCharacterOfTheAlphabetIsAccepted();
    void codeIsGroupedThreeThenTwo();
    void codeIsSpelled();
    void screenReadersGetTheCodeAndItsSpelling();
    void contactNameFallsBackToTheAddress();
    void kindOfCodeFollowsEachBegin();
};

void VerificationFlowTest::startsIdle()
{
    VerificationFlow flow;
    QCOMPARE(flow.state(), VerificationFlow::Idle);
    QVERIFY(flow.sas().isEmpty());
    QVERIFY(flow.groupedSas().isEmpty());
    QVERIFY(flow.spokenSas().isEmpty());
    QVERIFY(flow.accessibleSas().isEmpty());
    QVERIFY(flow.peerJid().isEmpty());
    QVERIFY(!flow.alreadyVerified());
    QVERIFY(flow.errorText().isEmpty());
}

// Every action from every state: the allowed ones move to their target and signal once, the others return
// false and change nothing.
void VerificationFlowTest::transitions_data()
{
    QTest::addColumn<State>("from");
    QTest::addColumn<Action>("action");
    QTest::addColumn<bool>("allowed");
    QTest::addColumn<State>("to");

    const QList<State> states{VerificationFlow::Idle,     VerificationFlow::Comparing, VerificationFlow::ConfirmingMatch,
                              VerificationFlow::Verified, VerificationFlow::Mismatch,  VerificationFlow::Cancelled};
    const QList<Action> actions{Action::Begin,           Action::TheyMatch,     Action::ConfirmMatch,
                                Action::BackToComparing, Action::TheyDontMatch, Action::Cancel,
                                Action::Restart};
    // The allowed transitions; everything else is refused.
    const QMap<QPair<State, Action>, State> allowed{
        {{VerificationFlow::Idle, Action::Begin}, VerificationFlow::Comparing},
        {{VerificationFlow::Comparing, Action::TheyMatch}, VerificationFlow::ConfirmingMatch},
        {{VerificationFlow::Comparing, Action::TheyDontMatch}, VerificationFlow::Mismatch},
        {{VerificationFlow::Comparing, Action::Cancel}, VerificationFlow::Cancelled},
        {{VerificationFlow::ConfirmingMatch, Action::ConfirmMatch}, VerificationFlow::Verified},
        {{VerificationFlow::ConfirmingMatch, Action::BackToComparing}, VerificationFlow::Comparing},
        {{VerificationFlow::ConfirmingMatch, Action::TheyDontMatch}, VerificationFlow::Mismatch},
        {{VerificationFlow::ConfirmingMatch, Action::Cancel}, VerificationFlow::Cancelled},
        {{VerificationFlow::Verified, Action::Begin}, VerificationFlow::Comparing},
        {{VerificationFlow::Mismatch, Action::Begin}, VerificationFlow::Comparing},
        {{VerificationFlow::Cancelled, Action::Begin}, VerificationFlow::Comparing},
        {{VerificationFlow::Cancelled, Action::Restart}, VerificationFlow::Comparing},
    };
    for (const State from : states) {
        for (const Action action : actions) {
            const auto target = allowed.constFind({from, action});
            const bool ok = target != allowed.cend();
            QTest::addRow("%s-%s", stateName(from), actionName(action))
                << from << action << ok << (ok ? *target : from);
        }
    }
}

void VerificationFlowTest::transitions()
{
    QFETCH(State, from);
    QFETCH(Action, action);
    QFETCH(bool, allowed);
    QFETCH(State, to);

    VerificationFlow flow;
    reach(flow, from);
    QCOMPARE(flow.state(), from);
    const QString sasBefore = flow.sas();

    QSignalSpy stateChanged(&flow, &VerificationFlow::stateChanged);
    QSignalSpy sasChanged(&flow, &VerificationFlow::sasChanged);
    QSignalSpy started(&flow, &VerificationFlow::started);
    QSignalSpy confirmed(&flow, &VerificationFlow::verificationConfirmed);
    QSignalSpy mismatch(&flow, &VerificationFlow::mismatchReported);

    QCOMPARE(perform(flow, action), allowed);
    QCOMPARE(flow.state(), to);
    QCOMPARE(stateChanged.size(), allowed ? 1 : 0);

    const bool begun = allowed && action == Action::Begin;
    QCOMPARE(sasChanged.size(), begun ? 1 : 0);
    QCOMPARE(flow.sas(), begun ? otherCode : sasBefore);
    QCOMPARE(started.size(), allowed && (action == Action::Begin || action == Action::Restart) ? 1 : 0);

    QCOMPARE(confirmed.size(), allowed && action == Action::ConfirmMatch ? 1 : 0);
    if (!confirmed.isEmpty())
        QCOMPARE(confirmed.first(), (QVariantList{bob, code}));
    QCOMPARE(mismatch.size(), allowed && action == Action::TheyDontMatch ? 1 : 0);
    if (!mismatch.isEmpty())
        QCOMPARE(mismatch.first(), (QVariantList{bob, code}));
}

// "They match" alone verifies nothing; going back and forth still ends in one confirmation.
void VerificationFlowTest::matchIsConfirmedOnceAfterTwoAnswers()
{
    VerificationFlow flow;
    QSignalSpy confirmed(&flow, &VerificationFlow::verificationConfirmed);
    QSignalSpy mismatch(&flow, &VerificationFlow::mismatchReported);
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    QVERIFY(flow.theyMatch());
    QCOMPARE(confirmed.size(), 0);
    QVERIFY(flow.backToComparing());
    QCOMPARE(flow.state(), VerificationFlow::Comparing);
    QVERIFY(flow.theyMatch());
    QVERIFY(flow.confirmMatch());
    QCOMPARE(flow.state(), VerificationFlow::Verified);
    QVERIFY(!flow.confirmMatch());
    QVERIFY(!flow.theyDontMatch());
    QVERIFY(!flow.cancel());
    QCOMPARE(confirmed.size(), 1);
    QCOMPARE(confirmed.first(), (QVariantList{bob, code}));
    QCOMPARE(mismatch.size(), 0);
    QCOMPARE(flow.state(), VerificationFlow::Verified);
}

void VerificationFlowTest::mismatchIsReportedOnce()
{
    VerificationFlow flow;
    QSignalSpy confirmed(&flow, &VerificationFlow::verificationConfirmed);
    QSignalSpy mismatch(&flow, &VerificationFlow::mismatchReported);
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    QVERIFY(flow.theyMatch());
    // Second thoughts at the confirmation are a mismatch too.
    QVERIFY(flow.theyDontMatch());
    QVERIFY(!flow.theyDontMatch());
    QVERIFY(!flow.theyMatch());
    QVERIFY(!flow.confirmMatch());
    QVERIFY(!flow.restart());
    QCOMPARE(mismatch.size(), 1);
    QCOMPARE(mismatch.first(), (QVariantList{bob, code}));
    QCOMPARE(confirmed.size(), 0);
    QCOMPARE(flow.state(), VerificationFlow::Mismatch);
}

void VerificationFlowTest::cancelledComparisonCanBeResumed()
{
    VerificationFlow flow;
    QSignalSpy confirmed(&flow, &VerificationFlow::verificationConfirmed);
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    QVERIFY(flow.cancel());
    QVERIFY(!flow.cancel());
    QVERIFY(flow.restart());
    QCOMPARE(flow.state(), VerificationFlow::Comparing);
    QCOMPARE(flow.sas(), code);
    QVERIFY(!flow.restart());
    QVERIFY(flow.theyMatch());
    QVERIFY(flow.confirmMatch());
    QCOMPARE(confirmed.size(), 1);
}

void VerificationFlowTest::malformedCodesAreRefused_data()
{
    QTest::addColumn<QString>("sas");
    QTest::newRow("empty") << QString();
    QTest::newRow("4 characters") << QStringLiteral("k3dq");
    QTest::newRow("6 characters") << QStringLiteral("k3dq9a");
    QTest::newRow("zero") << QStringLiteral("k3dq0");
    QTest::newRow("b") << QStringLiteral("k3dqb");
    QTest::newRow("l") << QStringLiteral("l3dq9");
    QTest::newRow("upper case") << QStringLiteral("K3DQ9");
    QTest::newRow("one upper case") << QStringLiteral("k3dQ9");
    QTest::newRow("grouped") << QStringLiteral("k3d q9");
    QTest::newRow("leading space") << QStringLiteral(" k3dq");
    QTest::newRow("accented") << QStringLiteral("k3dq\u00e9");
}

void VerificationFlowTest::malformedCodesAreRefused()
{
    QFETCH(QString, sas);
    VerificationFlow flow;
    QSignalSpy stateChanged(&flow, &VerificationFlow::stateChanged);
    QSignalSpy sasChanged(&flow, &VerificationFlow::sasChanged);
    QSignalSpy errorChanged(&flow, &VerificationFlow::errorTextChanged);
    QVERIFY(!VerificationFlow::isValidSas(sas));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("malformed code")));
    QVERIFY(!flow.begin(bob, bobName, sas, false, VerificationFlow::Committed));
    QCOMPARE(flow.state(), VerificationFlow::Idle);
    QVERIFY(flow.sas().isEmpty());
    QVERIFY(flow.peerJid().isEmpty());
    QVERIFY(!flow.errorText().isEmpty());
    QCOMPARE(errorChanged.size(), 1);
    QCOMPARE(stateChanged.size(), 0);
    QCOMPARE(sasChanged.size(), 0);

    // A good code afterwards clears the error.
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    QVERIFY(flow.errorText().isEmpty());
    QCOMPARE(flow.state(), VerificationFlow::Comparing);
}

void VerificationFlowTest::malformedCodeLeavesAFinishedFlowAlone()
{
    VerificationFlow flow;
    reach(flow, VerificationFlow::Verified);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("malformed code")));
    QVERIFY(!flow.begin(bob, bobName, QStringLiteral("K3DQ9"), false, VerificationFlow::Committed));
    QCOMPARE(flow.state(), VerificationFlow::Verified);
    QCOMPARE(flow.sas(), code);
    QVERIFY(!flow.errorText().isEmpty());
}

void VerificationFlowTest::emptyPeerIsRefused()
{
    VerificationFlow flow;
    QVERIFY(!flow.begin(QString(), bobName, code, false, VerificationFlow::Committed));
    QCOMPARE(flow.state(), VerificationFlow::Idle);
    QVERIFY(!flow.errorText().isEmpty());
}

void VerificationFlowTest::everyCharacterOfTheAlphabetIsAccepted()
{
    const QString alphabet = QString::fromLatin1(Esession::SasAlphabet);
    QCOMPARE(alphabet, QStringLiteral("acdefghikmopqruvwxy123456789"));
    for (const QChar c : alphabet) {
        const QString sas = QStringLiteral("aaaa") + c;
        QVERIFY2(VerificationFlow::isValidSas(sas), qPrintable(sas));
        VerificationFlow flow;
        QVERIFY2(flow.begin(bob, bobName, sas, false, VerificationFlow::Committed), qPrintable(sas));
    }
    // And nothing else of the printable ASCII range.
    for (char c = 0x20; c < 0x7f; ++c) {
        const QString sas = QStringLiteral("aaaa") + QLatin1Char(c);
        if (!alphabet.contains(QLatin1Char(c)))
            QVERIFY2(!VerificationFlow::isValidSas(sas), qPrintable(sas));
    }
}

void VerificationFlowTest::codeIsGroupedThreeThenTwo()
{
    VerificationFlow flow;
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    QCOMPARE(flow.groupedSas(), QStringLiteral("k3d q9"));
    QCOMPARE(VerificationFlow::groupSas(QStringLiteral("a1y8w")), QStringLiteral("a1y 8w"));
    // Only a whole code is grouped.
    QCOMPARE(VerificationFlow::groupSas(QStringLiteral("k3dq")), QStringLiteral("k3dq"));
    QCOMPARE(VerificationFlow::groupSas(QString()), QString());
}

void VerificationFlowTest::codeIsSpelled()
{
    VerificationFlow flow;
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    QCOMPARE(flow.spokenSas(), QStringLiteral("kilo · three · delta · quebec · nine"));

    // One word per character, no two alike, and none for characters outside the alphabet.
    QSet<QString> words;
    for (const QChar c : QString::fromLatin1(Esession::SasAlphabet)) {
        const QString word = VerificationFlow::spokenCharacter(c);
        QVERIFY2(!word.isEmpty(), qPrintable(QString(c)));
        words << word;
    }
    QCOMPARE(words.size(), qsizetype(std::size(Esession::SasAlphabet) - 1));
    QVERIFY(VerificationFlow::spokenCharacter(u'b').isEmpty());
    QVERIFY(VerificationFlow::spokenCharacter(u'K').isEmpty());
    QVERIFY(VerificationFlow::spokenCharacter(u'0').isEmpty());
    QCOMPARE(VerificationFlow::spokenCharacter(u'a'), QStringLiteral("alfa"));
    QCOMPARE(VerificationFlow::spokenCharacter(u'x'), QStringLiteral("x-ray"));
    QCOMPARE(VerificationFlow::spokenCharacter(u'1'), QStringLiteral("one"));
}

void VerificationFlowTest::screenReadersGetTheCodeAndItsSpelling()
{
    VerificationFlow flow;
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    const QString text = flow.accessibleSas();
    QVERIFY2(text.contains(code), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("kilo, three, delta, quebec, nine")), qPrintable(text));
}

void VerificationFlowTest::contactNameFallsBackToTheAddress()
{
    VerificationFlow flow;
    QVERIFY(flow.begin(bob, QString(), code, true, VerificationFlow::Committed));
    QCOMPARE(flow.contactName(), bob);
    QCOMPARE(flow.peerJid(), bob);
    QVERIFY(flow.alreadyVerified());
    QVERIFY(flow.cancel());
    QVERIFY(flow.begin(bob, bobName, otherCode, false, VerificationFlow::Committed));
    QCOMPARE(flow.contactName(), bobName);
    QVERIFY(!flow.alreadyVerified());
}

// The kind of code (Sotto's committed one, or the weaker sas28x5) comes with each code and stays with it: restart()
// keeps it, a refused begin() leaves it, and QML hears of a change even when only the kind changed.
void VerificationFlowTest::kindOfCodeFollowsEachBegin()
{
    VerificationFlow flow;
    QSignalSpy changed(&flow, &VerificationFlow::sasChanged);
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Sas28x5));
    QCOMPARE(flow.sasKind(), VerificationFlow::Sas28x5);
    QCOMPARE(flow.property("sasKind").value<VerificationFlow::SasKind>(), VerificationFlow::Sas28x5);
    QVERIFY(flow.cancel());
    QVERIFY(flow.restart());
    QCOMPARE(flow.sasKind(), VerificationFlow::Sas28x5);
    QVERIFY(flow.cancel());

    // The same code and contact, the other kind.
    changed.clear();
    QVERIFY(flow.begin(bob, bobName, code, false, VerificationFlow::Committed));
    QCOMPARE(flow.sasKind(), VerificationFlow::Committed);
    QCOMPARE(changed.size(), 1);
    QVERIFY(flow.cancel());

    QVERIFY(!flow.begin(bob, bobName, QStringLiteral("bbbbb"), false, VerificationFlow::Sas28x5));
    QCOMPARE(flow.sasKind(), VerificationFlow::Committed);
}

QTEST_GUILESS_MAIN(VerificationFlowTest)

#include "tst_verificationflow.moc"
