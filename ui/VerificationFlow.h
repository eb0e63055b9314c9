#pragma once

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <initializer_list>

/// Verifying one contact's encrypted session by comparing its short authentication string (SAS) aloud.
///
/// The engine reports a negotiated session with its 5-character code and the kind of code it is (sasKind: Sotto's
/// committed code, or the older sas28x5 of other ESession clients, which someone in the middle can make match);
/// the app calls begin() and SasDialog shows both. Both people read the code to each other over the phone or in
/// person:
///
///     Idle/Verified/Mismatch/Cancelled --begin()--> Comparing --theyMatch()--> ConfirmingMatch
///     ConfirmingMatch --confirmMatch()--> Verified          (verificationConfirmed: mark the secret verified)
///     ConfirmingMatch --backToComparing()--> Comparing
///     Comparing/ConfirmingMatch --theyDontMatch()--> Mismatch (mismatchReported: end the session)
///     Comparing/ConfirmingMatch --cancel()--> Cancelled --restart()--> Comparing
///
/// Everything else is refused: the call returns false and nothing changes. Marking a contact verified
/// takes two answers on purpose (a worded confirmation after "They match"); a mismatch takes one, because
/// ending a session that may be intercepted is never the wrong thing to do. A code is never replaced while
/// someone may be reading it aloud: begin() is refused in Comparing and ConfirmingMatch (cancel() first).
///
/// No I/O here and no engine types: the app connects the two signals to the engine and the secret store.
class VerificationFlow : public QObject
{
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString peerJid READ peerJid NOTIFY sasChanged)
    Q_PROPERTY(QString contactName READ contactName NOTIFY sasChanged)
    Q_PROPERTY(QString sas READ sas NOTIFY sasChanged)
    Q_PROPERTY(QString groupedSas READ groupedSas NOTIFY sasChanged)
    Q_PROPERTY(QString spokenSas READ spokenSas NOTIFY sasChanged)
    Q_PROPERTY(QString accessibleSas READ accessibleSas NOTIFY sasChanged)
    Q_PROPERTY(bool alreadyVerified READ alreadyVerified NOTIFY sasChanged)
    Q_PROPERTY(SasKind sasKind READ sasKind NOTIFY sasChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)

public:
    enum State {
        Idle,            ///< no code yet
        Comparing,       ///< the code is shown; waiting for "They match" or "They don't match"
        ConfirmingMatch, ///< "They match" was chosen; waiting for the worded confirmation
        Verified,        ///< confirmed: the retained secret is to be marked verified
        Mismatch,        ///< the codes differ: the session is to be ended
        Cancelled,       ///< closed before an answer; the contact stays unverified
    };
    Q_ENUM(State)

    /// Which code is compared. The dialog names it, and warns about the weaker one.
    enum SasKind {
        Committed, ///< Sotto's own code, computed only from values fixed before any commitment opened
        Sas28x5,   ///< XEP-0116/0217's code (compatibility with other ESession clients): a relay can grind it
    };
    Q_ENUM(SasKind)

    explicit VerificationFlow(QObject *parent = nullptr);

    State state() const { return m_state; }
    QString peerJid() const { return m_peerJid; }
    QString contactName() const { return m_contactName; }
    QString sas() const { return m_sas; }
    /// The code in two groups, three characters then two ("k3dq9" -> "k3d q9"): short chunks are easier
    /// to read aloud and to hold in mind while the other person reads theirs. The space is not part of it.
    QString groupedSas() const { return groupSas(m_sas); }
    /// Each character as a word of the spelling alphabet, joined by " · " ("kilo · three · delta · ...").
    QString spokenSas() const;
    /// What a screen reader says for the code: the code, then each character as a word.
    QString accessibleSas() const;
    /// The retained secret of this session was verified before: comparing again is optional.
    bool alreadyVerified() const { return m_alreadyVerified; }
    SasKind sasKind() const { return m_sasKind; }
    /// Why the last begin() was refused; empty after a successful one.
    QString errorText() const { return m_errorText; }

    /// Shows a new code for @p peerJid: Comparing. Refused (false, state unchanged) while a comparison is
    /// under way, and, with errorText saying why, when @p peerJid is empty or @p sas is not exactly 5
    /// characters of the SAS alphabet (lower case only: the code is shown as the engine computed it).
    /// An empty @p contactName shows the address. @p kind has no default: a caller says which code it is.
    Q_INVOKABLE bool begin(const QString &peerJid, const QString &contactName, const QString &sas,
                           bool alreadyVerified, VerificationFlow::SasKind kind);
    /// Comparing -> ConfirmingMatch.
    Q_INVOKABLE bool theyMatch();
    /// ConfirmingMatch -> Verified; emits verificationConfirmed().
    Q_INVOKABLE bool confirmMatch();
    /// ConfirmingMatch -> Comparing.
    Q_INVOKABLE bool backToComparing();
    /// Comparing or ConfirmingMatch -> Mismatch; emits mismatchReported().
    Q_INVOKABLE bool theyDontMatch();
    /// Comparing or ConfirmingMatch -> Cancelled (the dialog was closed, or the session went away).
    Q_INVOKABLE bool cancel();
    /// Cancelled -> Comparing with the same code, for a user who closed the dialog and comes back.
    Q_INVOKABLE bool restart();

    /// Whether @p sas is a SAS: exactly 5 characters of "acdefghikmopqruvwxy123456789" (both kinds use it).
    [[nodiscard]] static bool isValidSas(const QString &sas);
    /// See groupedSas(); anything that is not 5 characters long comes back unchanged.
    static QString groupSas(const QString &sas);
    /// The spelling-alphabet word for one character of the SAS alphabet ("kilo" for 'k'); empty otherwise.
    static QString spokenCharacter(QChar c);

Q_SIGNALS:
    void stateChanged();
    /// peerJid, contactName, sas (and what is derived from it), alreadyVerified or sasKind changed.
    void sasChanged();
    void errorTextChanged();
    /// A new comparison started (begin() or restart()): the page may show the dialog.
    void started();
    /// Emitted once on entering Verified: the app marks the session's retained secret verified.
    void verificationConfirmed(const QString &peerJid, const QString &sas);
    /// Emitted once on entering Mismatch: the app ends the encrypted session with @p peerJid.
    void mismatchReported(const QString &peerJid, const QString &sas);

private:
    bool moveTo(State to, std::initializer_list<State> from);
    void setErrorText(const QString &text);

    State m_state = Idle;
    QString m_peerJid;
    QString m_contactName;
    QString m_sas;
    QString m_errorText;
    bool m_alreadyVerified = false;
    SasKind m_sasKind = Committed;
};
