#pragma once

#include <QCoreApplication>
#include <QString>

/// The words for the stable codes the core gives when encryption failed: ConversationSecurity's failure codes (the
/// engine's negotiation details, Esession::FailureCode, and EsessionExtension's session end codes) and the codes
/// an undecryptable message is stored with. The core decides, the UI words it: what happened and what the user can
/// do, without protocol names.
class EncryptionText
{
    Q_DECLARE_TR_FUNCTIONS(EncryptionText)

public:
    /// Why the encryption of the conversation with @p name (the contact as the user knows them) failed. A code this
    /// table does not know (from a newer version) gets a general sentence; empty for no code.
    static QString failure(const QString &code, const QString &name);
    /// Why a message could not be decrypted, to follow "This message could not be decrypted:". @p stored: the body of
    /// an undecryptable message, its code. Older versions stored a sentence there: anything that is not a code
    /// is shown as it is.
    static QString undecryptable(const QString &stored);
};
