#include "VerificationFlow.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>
#include <iterator>

#include "Logging.h"
#include "esession/EsessionKeys.h"

namespace {

struct SpokenWord
{
    const char *source;
    const char *comment;
};

struct SpokenCharacter
{
    char character;
    SpokenWord word;
};

// One word per character of the SAS alphabet, in its order. The NATO/ICAO words are the ones most
// people know from the phone; a translation may use its own spelling alphabet.
constexpr SpokenCharacter SpokenAlphabet[] = {
    {'a', QT_TRANSLATE_NOOP3("VerificationFlow", "alfa", "spelling alphabet: a")},
    {'c', QT_TRANSLATE_NOOP3("VerificationFlow", "charlie", "spelling alphabet: c")},
    {'d', QT_TRANSLATE_NOOP3("VerificationFlow", "delta", "spelling alphabet: d")},
    {'e', QT_TRANSLATE_NOOP3("VerificationFlow", "echo", "spelling alphabet: e")},
    {'f', QT_TRANSLATE_NOOP3("VerificationFlow", "foxtrot", "spelling alphabet: f")},
    {'g', QT_TRANSLATE_NOOP3("VerificationFlow", "golf", "spelling alphabet: g")},
    {'h', QT_TRANSLATE_NOOP3("VerificationFlow", "hotel", "spelling alphabet: h")},
    {'i', QT_TRANSLATE_NOOP3("VerificationFlow", "india", "spelling alphabet: i")},
    {'k', QT_TRANSLATE_NOOP3("VerificationFlow", "kilo", "spelling alphabet: k")},
    {'m', QT_TRANSLATE_NOOP3("VerificationFlow", "mike", "spelling alphabet: m")},
    {'o', QT_TRANSLATE_NOOP3("VerificationFlow", "oscar", "spelling alphabet: o")},
    {'p', QT_TRANSLATE_NOOP3("VerificationFlow", "papa", "spelling alphabet: p")},
    {'q', QT_TRANSLATE_NOOP3("VerificationFlow", "quebec", "spelling alphabet: q")},
    {'r', QT_TRANSLATE_NOOP3("VerificationFlow", "romeo", "spelling alphabet: r")},
    {'u', QT_TRANSLATE_NOOP3("VerificationFlow", "uniform", "spelling alphabet: u")},
    {'v', QT_TRANSLATE_NOOP3("VerificationFlow", "victor", "spelling alphabet: v")},
    {'w', QT_TRANSLATE_NOOP3("VerificationFlow", "whiskey", "spelling alphabet: w")},
    {'x', QT_TRANSLATE_NOOP3("VerificationFlow", "x-ray", "spelling alphabet: x")},
    {'y', QT_TRANSLATE_NOOP3("VerificationFlow", "yankee", "spelling alphabet: y")},
    {'1', QT_TRANSLATE_NOOP3("VerificationFlow", "one", "spelling alphabet: digit 1")},
    {'2', QT_TRANSLATE_NOOP3("VerificationFlow", "two", "spelling alphabet: digit 2")},
    {'3', QT_TRANSLATE_NOOP3("VerificationFlow", "three", "spelling alphabet: digit 3")},
    {'4', QT_TRANSLATE_NOOP3("VerificationFlow", "four", "spelling alphabet: digit 4")},
    {'5', QT_TRANSLATE_NOOP3("VerificationFlow", "five", "spelling alphabet: digit 5")},
    {'6', QT_TRANSLATE_NOOP3("VerificationFlow", "six", "spelling alphabet: digit 6")},
    {'7', QT_TRANSLATE_NOOP3("VerificationFlow", "seven", "spelling alphabet: digit 7")},
    {'8', QT_TRANSLATE_NOOP3("VerificationFlow", "eight", "spelling alphabet: digit 8")},
    {'9', QT_TRANSLATE_NOOP3("VerificationFlow", "nine", "spelling alphabet: digit 9")},
};
static_assert(std::size(SpokenAlphabet) == std::size(Esession::SasAlphabet) - 1,
              "one spoken word per character of the SAS alphabet");

// Three then two: see groupedSas().
constexpr int FirstGroupLength = 3;

QStringList spokenWords(const QString &sas)
{
    QStringList words;
    words.reserve(sas.size());
    for (const QChar c : sas)
        words << VerificationFlow::spokenCharacter(c);
    return words;
}

} // namespace

VerificationFlow::VerificationFlow(QObject *parent)
    : QObject(parent)
{
}

QString VerificationFlow::spokenSas() const
{
    return spokenWords(m_sas).join(QStringLiteral(" · "));
}

QString VerificationFlow::accessibleSas() const
{
    if (m_sas.isEmpty())
        return {};
    //: What a screen reader says for the verification code. %1: the code, %2: its characters as words.
    return tr("Verification code %1, spelled %2").arg(m_sas, spokenWords(m_sas).join(QStringLiteral(", ")));
}

bool VerificationFlow::begin(const QString &peerJid, const QString &contactName, const QString &sas,
                             bool alreadyVerified, SasKind kind)
{
    if (m_state == Comparing || m_state == ConfirmingMatch) {
        qCDebug(lcUi) << "verification: a new code while one is being compared was refused";
        return false;
    }
    if (peerJid.isEmpty()) {
        setErrorText(tr("No contact to verify."));
        return false;
    }
    if (!isValidSas(sas)) {
        // The code itself is not logged: it is short-lived, but it is what an attacker would want to match.
        qCWarning(lcUi) << "verification: the engine reported a malformed code of length" << sas.size();
        setErrorText(tr("The verification code is not valid. Start a new encrypted session to get a new one."));
        return false;
    }
    m_peerJid = peerJid;
    m_contactName = contactName.isEmpty() ? peerJid : contactName;
    m_sas = sas;
    m_alreadyVerified = alreadyVerified;
    m_sasKind = kind;
    setErrorText({});
    Q_EMIT sasChanged();
    m_state = Comparing;
    Q_EMIT stateChanged();
    Q_EMIT started();
    return true;
}

bool VerificationFlow::theyMatch()
{
    return moveTo(ConfirmingMatch, {Comparing});
}

bool VerificationFlow::confirmMatch()
{
    if (!moveTo(Verified, {ConfirmingMatch}))
        return false;
    Q_EMIT verificationConfirmed(m_peerJid, m_sas);
    return true;
}

bool VerificationFlow::backToComparing()
{
    return moveTo(Comparing, {ConfirmingMatch});
}

bool VerificationFlow::theyDontMatch()
{
    if (!moveTo(Mismatch, {Comparing, ConfirmingMatch}))
        return false;
    Q_EMIT mismatchReported(m_peerJid, m_sas);
    return true;
}

bool VerificationFlow::cancel()
{
    return moveTo(Cancelled, {Comparing, ConfirmingMatch});
}

bool VerificationFlow::restart()
{
    if (!moveTo(Comparing, {Cancelled}))
        return false;
    Q_EMIT started();
    return true;
}

bool VerificationFlow::isValidSas(const QString &sas)
{
    if (sas.size() != Esession::SasLength)
        return false;
    const QLatin1StringView alphabet(Esession::SasAlphabet);
    return std::all_of(sas.cbegin(), sas.cend(), [&alphabet](QChar c) { return alphabet.contains(c); });
}

QString VerificationFlow::groupSas(const QString &sas)
{
    if (sas.size() != Esession::SasLength)
        return sas;
    return sas.left(FirstGroupLength) + u' ' + sas.mid(FirstGroupLength);
}

QString VerificationFlow::spokenCharacter(QChar c)
{
    for (const SpokenCharacter &entry : SpokenAlphabet) {
        if (c == QLatin1Char(entry.character))
            return QCoreApplication::translate("VerificationFlow", entry.word.source, entry.word.comment);
    }
    return {};
}

bool VerificationFlow::moveTo(State to, std::initializer_list<State> from)
{
    if (std::find(from.begin(), from.end(), m_state) == from.end()) {
        qCDebug(lcUi) << "verification: refused" << m_state << "->" << to;
        return false;
    }
    m_state = to;
    Q_EMIT stateChanged();
    return true;
}

void VerificationFlow::setErrorText(const QString &text)
{
    if (m_errorText == text)
        return;
    m_errorText = text;
    Q_EMIT errorTextChanged();
}
