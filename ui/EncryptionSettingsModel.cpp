#include "EncryptionSettingsModel.h"

#include <QLocale>

#include <algorithm>

#include "AppContext.h"
#include "esession/EsessionHandshake.h"
#include "storage/AppSettings.h"
#include "storage/ContactSettings.h"

namespace {

// The groups a user may choose from: every one that clears the engine's floor, strongest first.
QList<Crypto::ModpGroup> choosableGroups()
{
    const int floorBits = Crypto::modpPrimeBits(Esession::EsessionPolicy().minimumGroup);
    QList<Crypto::ModpGroup> groups;
    for (const Crypto::ModpGroup group : Crypto::allModpGroups()) {
        if (Crypto::modpPrimeBits(group) >= floorBits)
            groups << group;
    }
    std::sort(groups.begin(), groups.end(), [](Crypto::ModpGroup a, Crypto::ModpGroup b) {
        return Crypto::modpPrimeBits(a) > Crypto::modpPrimeBits(b);
    });
    return groups;
}

} // namespace

EncryptionSettingsModel::EncryptionSettingsModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

void EncryptionSettingsModel::setContext(AppContext *context)
{
    if (m_context == context)
        return;
    if (m_context)
        disconnect(m_context, nullptr, this, nullptr);
    m_context = context;
    if (m_context) {
        connect(m_context, &AppContext::sessionChanged, this, &EncryptionSettingsModel::reload);
        connect(m_context, &AppContext::encryptionNoticeChanged, this, &EncryptionSettingsModel::reload);
        connect(m_context, &AppContext::encryptionChanged, this, &EncryptionSettingsModel::reload);
    }
    Q_EMIT contextChanged();
    reload();
}

SqlRetainedSecretStore *EncryptionSettingsModel::store() const
{
    return m_context ? m_context->secretStore() : nullptr;
}

bool EncryptionSettingsModel::isAvailable() const
{
    return store() != nullptr;
}

void EncryptionSettingsModel::reload()
{
    disconnect(m_settingsConnection);
    if (AppSettings *settings = m_context ? m_context->appSettings() : nullptr)
        m_settingsConnection = connect(settings, &AppSettings::changed, this, &EncryptionSettingsModel::groupsChanged);
    Q_EMIT groupsChanged();
    disconnect(m_storeConnection);
    beginResetModel();
    m_rows.clear();
    if (SqlRetainedSecretStore *secrets = store()) {
        m_rows = secrets->info();
        m_storeConnection = connect(secrets, &SqlRetainedSecretStore::changed, this, &EncryptionSettingsModel::reload,
                                    Qt::QueuedConnection);
    }
    endResetModel();
    Q_EMIT countChanged();
}

int EncryptionSettingsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant EncryptionSettingsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const SqlRetainedSecretStore::Info &row = m_rows.at(index.row());
    const QLocale locale;
    auto when = [&locale](const QDateTime &time) { return locale.toString(time.toLocalTime(), QLocale::ShortFormat); };
    switch (role) {
    case IdRole:
        return row.id;
    case PeerRole:
        return row.peer;
    case VerifiedRole:
        return row.verified;
    case ReadableRole:
        return row.readable;
    case SummaryRole: {
        if (!row.readable)
            return tr("This secret cannot be opened with the current key; the next session will need a new code.");
        // Each session replaces the secret it used with a new one that carries the count on, so the row stands
        // for the whole chain: "used" means an earlier secret of this contact authenticated a session.
        QString text = row.lastUsed.isValid()
            ? tr("Renewed in every session with this contact. Sessions it authenticated: %n, the last on %1.",
                 nullptr, row.sessions)
                  .arg(when(row.lastUsed))
            : tr("Agreed on %1 in the first session with this contact; the next session will use it.")
                  .arg(when(row.created));
        text += u' ' + (row.verified ? tr("You compared the code with this contact on %1.").arg(when(row.verifiedAt))
                                     : tr("Not verified: compare the code in the next session."));
        return text;
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> EncryptionSettingsModel::roleNames() const
{
    return {{IdRole, "secretId"}, {PeerRole, "peer"}, {VerifiedRole, "verified"}, {ReadableRole, "readable"},
            {SummaryRole, "summary"}};
}

bool EncryptionSettingsModel::markUnverified(int row)
{
    SqlRetainedSecretStore *secrets = store();
    return secrets && row >= 0 && row < m_rows.size() && secrets->markUnverified(m_rows.at(row).id);
}

bool EncryptionSettingsModel::forget(int row)
{
    SqlRetainedSecretStore *secrets = store();
    return secrets && row >= 0 && row < m_rows.size() && secrets->forgetOne(m_rows.at(row).id);
}

bool EncryptionSettingsModel::forgetAll(const QString &peer)
{
    SqlRetainedSecretStore *secrets = store();
    if (!secrets || peer.isEmpty())
        return false;
    secrets->forget(peer);
    return true;
}

int EncryptionSettingsModel::policy(const QString &peer) const
{
    ContactSettings *settings = m_context ? m_context->contactSettings() : nullptr;
    return int(settings ? settings->sessionPolicy(peer) : ContactSettings::DefaultPolicy);
}

bool EncryptionSettingsModel::setPolicy(const QString &peer, int policy)
{
    ContactSettings *settings = m_context ? m_context->contactSettings() : nullptr;
    if (!settings || policy < int(SessionPolicy::Off) || policy > int(SessionPolicy::Always))
        return false;
    return settings->setSessionPolicy(peer, SessionPolicy(policy));
}

bool EncryptionSettingsModel::weakSasAllowed(const QString &peer) const
{
    ContactSettings *settings = m_context ? m_context->contactSettings() : nullptr;
    return settings && settings->weakSasAllowed(peer);
}

bool EncryptionSettingsModel::setWeakSasAllowed(const QString &peer, bool allowed)
{
    ContactSettings *settings = m_context ? m_context->contactSettings() : nullptr;
    if (!settings || peer.isEmpty())
        return false;
    return settings->setWeakSasAllowed(peer, allowed);
}

QVariantList EncryptionSettingsModel::groupChoices() const
{
    QVariantList numbers;
    for (const Crypto::ModpGroup group : choosableGroups())
        numbers << Crypto::modpGroupNumber(group);
    return numbers;
}

QVariantList EncryptionSettingsModel::offeredGroups() const
{
    AppSettings *settings = m_context ? m_context->appSettings() : nullptr;
    if (!settings)
        return {};
    const QList<Crypto::ModpGroup> preferred = settings->preferredGroups();
    QVariantList numbers;
    // Shown (and offered) strongest first, whatever order a CLI or an older version stored.
    for (const Crypto::ModpGroup group : choosableGroups()) {
        if (preferred.contains(group))
            numbers << Crypto::modpGroupNumber(group);
    }
    return numbers;
}

int EncryptionSettingsModel::groupBits(int group) const
{
    const std::optional<Crypto::ModpGroup> known = Crypto::modpGroupFromNumber(group);
    return known ? Crypto::modpPrimeBits(*known) : 0;
}

bool EncryptionSettingsModel::setGroupOffered(int group, bool offered)
{
    AppSettings *settings = m_context ? m_context->appSettings() : nullptr;
    const std::optional<Crypto::ModpGroup> chosen = Crypto::modpGroupFromNumber(group);
    const QList<Crypto::ModpGroup> choices = choosableGroups();
    if (!settings || !chosen || !choices.contains(*chosen))
        return false;
    const QList<Crypto::ModpGroup> current = settings->preferredGroups();
    QList<Crypto::ModpGroup> next;
    for (const Crypto::ModpGroup candidate : choices) {
        const bool keep = candidate == *chosen ? offered : current.contains(candidate);
        if (keep)
            next << candidate;
    }
    // At least one group: without any, no session could ever be negotiated.
    if (next.isEmpty())
        return false;
    if (next == current)
        return true;
    return settings->setPreferredGroups(next);
}
