#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace Esession {

/// One secret retained from an earlier ESession with a contact (XEP-0116 "retained secret"): the key continuity
/// that makes a man in the middle have to be present in every session, the first included.
struct RetainedSecret
{
    qint64 id = 0; ///< the store's handle, stable until the secret is replaced or forgotten
    QByteArray secret; ///< HMAC(K, "New Retained Secret") of the session that created it: 32 bytes
    /// The chain this secret continues was confirmed by comparing the short authentication string (SAS) at
    /// least once, with the contact under this JID. Inherited by the secret that replaces it under the same JID,
    /// never by one filed under another JID (adopt()).
    bool verified = false;
};

/// A secret together with the contact it is retained with (XEP-0116's second search looks through all of them).
struct FiledRetainedSecret
{
    QString bareJid;
    RetainedSecret secret;
};

/// Where the retained secrets of one account live, keyed by the contact's bare JID. The engine only needs these
/// operations; the in-memory implementation below serves tests, an encrypted SQL one the application.
/// Expiry is the implementation's business: a secret it considers expired is simply not listed.
///
/// Every JID parameter is compared as XMPP compares JIDs, through Esession::normalizedBareJid() (FormNormalizer.h):
/// local part and domain without case, the resource never part of the key. Secrets are filed under the normalised
/// bare JID, and FiledRetainedSecret::bareJid is that form.
class RetainedSecretStore
{
public:
    virtual ~RetainedSecretStore();

    /// The secrets retained with @p bareJid: one per client of the contact that negotiated with this client.
    [[nodiscard]] virtual QList<RetainedSecret> secrets(const QString &bareJid) const = 0;

    /// Destroys the secret @p usedId (the shared retained secret of the session that just completed; XEP-0116
    /// and XEP-0217: the old SRS MUST be destroyed) and stores @p newSecret in its place. The new secret inherits
    /// the verified flag of the used one; without one (@p usedId nullopt, or no longer stored) it is added
    /// unverified. Returns the new secret's id, nullopt when nothing could be stored.
    [[nodiscard]] virtual std::optional<qint64> replace(
        const QString &bareJid, std::optional<qint64> usedId, const QByteArray &newSecret)
        = 0;

    /// Marks the secret equal to @p secret verified (the user confirmed the SAS of the session that created it).
    /// False when the contact has no such secret.
    virtual bool markVerified(const QString &bareJid, const QByteArray &secret) = 0;

    /// Destroys every secret retained with @p bareJid (contact removed, trust reset).
    virtual void forget(const QString &bareJid) = 0;

    /// Every secret of every contact (XEP-0116: when none of a contact's own secrets matches, the responder searches
    /// the secrets of all JIDs, since the contact may have come back under another JID).
    [[nodiscard]] virtual QList<FiledRetainedSecret> allSecrets() const = 0;

    /// replace() for a secret found under another JID: destroys @p usedId retained with @p formerBareJid and stores
    /// @p newSecret with @p bareJid (the JID the contact uses now), always unverified: "verified" never moves to
    /// another JID, since mac_A, mac_B and the SAS bind no JIDs (a man in the middle who routes the contact's
    /// stanzas can present its chain under any JID), so the user compares the code again (security review L4).
    /// When both JIDs are the same account (normalizedBareJid()), this is replace(). Returns the new secret's id.
    [[nodiscard]] virtual std::optional<qint64> adopt(
        const QString &bareJid, const QString &formerBareJid, qint64 usedId, const QByteArray &newSecret)
        = 0;
};

/// RetainedSecretStore in memory; secrets are overwritten with zeros when destroyed.
class MemoryRetainedSecretStore : public RetainedSecretStore
{
public:
    MemoryRetainedSecretStore() = default;
    ~MemoryRetainedSecretStore() override;
    MemoryRetainedSecretStore(const MemoryRetainedSecretStore &) = delete;
    MemoryRetainedSecretStore &operator=(const MemoryRetainedSecretStore &) = delete;

    [[nodiscard]] QList<RetainedSecret> secrets(const QString &bareJid) const override;
    [[nodiscard]] std::optional<qint64> replace(
        const QString &bareJid, std::optional<qint64> usedId, const QByteArray &newSecret) override;
    bool markVerified(const QString &bareJid, const QByteArray &secret) override;
    void forget(const QString &bareJid) override;
    [[nodiscard]] QList<FiledRetainedSecret> allSecrets() const override;
    [[nodiscard]] std::optional<qint64> adopt(
        const QString &bareJid, const QString &formerBareJid, qint64 usedId, const QByteArray &newSecret) override;

private:
    QHash<QString, QList<RetainedSecret>> m_secrets;
    qint64 m_nextId = 1;
};

} // namespace Esession
