#include "RetainedSecretStore.h"

#include "FormNormalizer.h"
#include "crypto/Crypto.h"

namespace Esession {

namespace {

/// The key a contact's secrets are filed under: the bare JID as XMPP compares it (one helper for every lookup).
QString keyOf(const QString &bareJid)
{
    return normalizedBareJid(bareJid);
}

void wipe(RetainedSecret &entry)
{
    entry.secret.fill('\0');
    entry.secret.clear();
}

} // namespace

RetainedSecretStore::~RetainedSecretStore() = default;

MemoryRetainedSecretStore::~MemoryRetainedSecretStore()
{
    for (auto it = m_secrets.begin(); it != m_secrets.end(); ++it) {
        for (RetainedSecret &entry : it.value())
            wipe(entry);
    }
}

QList<RetainedSecret> MemoryRetainedSecretStore::secrets(const QString &bareJid) const
{
    return m_secrets.value(keyOf(bareJid));
}

std::optional<qint64> MemoryRetainedSecretStore::replace(
    const QString &bareJid, std::optional<qint64> usedId, const QByteArray &newSecret)
{
    if (bareJid.isEmpty() || newSecret.isEmpty())
        return std::nullopt;
    QList<RetainedSecret> &entries = m_secrets[keyOf(bareJid)];
    bool verified = false;
    if (usedId) {
        for (qsizetype i = 0; i < entries.size(); ++i) {
            if (entries[i].id == *usedId) {
                verified = entries[i].verified;
                wipe(entries[i]);
                entries.removeAt(i);
                break;
            }
        }
    }
    const qint64 id = m_nextId++;
    entries.append(RetainedSecret { id, newSecret, verified });
    return id;
}

bool MemoryRetainedSecretStore::markVerified(const QString &bareJid, const QByteArray &secret)
{
    const auto it = m_secrets.find(keyOf(bareJid));
    if (it == m_secrets.end() || secret.isEmpty())
        return false;
    for (RetainedSecret &entry : it.value()) {
        if (Crypto::constantTimeEquals(entry.secret, secret)) {
            entry.verified = true;
            return true;
        }
    }
    return false;
}

QList<FiledRetainedSecret> MemoryRetainedSecretStore::allSecrets() const
{
    QList<FiledRetainedSecret> all;
    for (auto it = m_secrets.cbegin(); it != m_secrets.cend(); ++it) {
        for (const RetainedSecret &entry : it.value())
            all << FiledRetainedSecret { it.key(), entry };
    }
    return all;
}

std::optional<qint64> MemoryRetainedSecretStore::adopt(
    const QString &bareJid, const QString &formerBareJid, qint64 usedId, const QByteArray &newSecret)
{
    if (bareJid.isEmpty() || newSecret.isEmpty())
        return std::nullopt;
    if (keyOf(formerBareJid) == keyOf(bareJid))
        return replace(bareJid, usedId, newSecret);
    // The used secret is destroyed under the former JID; its verified flag stays behind (see the header).
    const auto former = m_secrets.find(keyOf(formerBareJid));
    if (former != m_secrets.end()) {
        QList<RetainedSecret> &entries = former.value();
        for (qsizetype i = 0; i < entries.size(); ++i) {
            if (entries[i].id == usedId) {
                wipe(entries[i]);
                entries.removeAt(i);
                break;
            }
        }
        if (entries.isEmpty())
            m_secrets.erase(former);
    }
    const qint64 id = m_nextId++;
    m_secrets[keyOf(bareJid)].append(RetainedSecret { id, newSecret, false });
    return id;
}

void MemoryRetainedSecretStore::forget(const QString &bareJid)
{
    const auto it = m_secrets.find(keyOf(bareJid));
    if (it == m_secrets.end())
        return;
    for (RetainedSecret &entry : it.value())
        wipe(entry);
    m_secrets.erase(it);
}

} // namespace Esession
