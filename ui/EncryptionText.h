#pragma once

#include <QCoreApplication>
#include <QString>

/// The words for the stable codes the core gives when a conversation's encryption failed (ConversationSecurity
/// failure codes: the engine's negotiation details and EsessionExtension's session end codes). The core decides,
/// the UI words it.
class EncryptionText
{
    Q_DECLARE_TR_FUNCTIONS(EncryptionText)

public:
    /// @p name: the contact as the user knows them; @p engineReason: the engine's own sentence, used for a code
    /// this table does not know.
    static QString failure(const QString &code, const QString &name, const QString &engineReason = {});
};
