#include "EsessionForms.h"

#include "FormConstants.h"
#include "FormNormalizer.h"

namespace Esession {

using namespace FieldValue;

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

std::optional<QByteArray> fromB64(const QString &text)
{
    QByteArray ascii;
    ascii.reserve(text.size());
    for (const QChar c : text) {
        if (c == u' ' || c == u'\t' || c == u'\n' || c == u'\r')
            continue;
        if (c.unicode() > 0x7f)
            return std::nullopt;
        ascii.append(char(c.unicode()));
    }
    if (ascii.isEmpty() || ascii.size() % 4 != 0)
        return std::nullopt;
    auto decoded = QByteArray::fromBase64Encoding(ascii, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return std::nullopt;
    return std::move(decoded.decoded);
}

std::optional<quint32> readRekeyFrequency(const QString &text)
{
    if (text.isEmpty() || text.size() > 10)
        return std::nullopt;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
    }
    bool ok = false;
    const qulonglong value = text.toULongLong(&ok);
    if (!ok || value < 1 || value > NoRekey)
        return std::nullopt;
    return quint32(value);
}

QString cipherName(Crypto::CtrCipher cipher)
{
    return cipher == Crypto::CtrCipher::Aes128 ? Aes128Ctr : Aes256Ctr;
}

FormField makeOffer(const QString &var, const QStringList &options, FieldType type)
{
    FormField field;
    field.var = var;
    field.type = type;
    for (const QString &option : options)
        field.options << FormOption { QString(), option };
    return field;
}

QStringList offeredValues(const FormField *field)
{
    if (!field)
        return {};
    QStringList values;
    for (const FormOption &option : field->options)
        values << option.value;
    return values.isEmpty() ? field->values : values;
}

std::optional<QString> singleValue(const DataForm &form, const QString &var)
{
    const FormField *field = form.field(var);
    if (!field || field->values.size() != 1)
        return std::nullopt;
    return field->values.first();
}

std::optional<QByteArray> singleBytes(const DataForm &form, const QString &var)
{
    const std::optional<QString> text = singleValue(form, var);
    return text ? fromB64(*text) : std::nullopt;
}

void addUnique(QStringList &list, const QString &value)
{
    if (!list.contains(value))
        list << value;
}

QDomElement wrappedForm(const QDomElement &message, const QString &wrapper, const QString &wrapperNamespace)
{
    const QList<QDomElement> wrappers = childElements(message, wrapper, wrapperNamespace);
    if (wrappers.size() != 1)
        return {};
    const QList<QDomElement> forms = childElements(wrappers.first(), Xep0004::XElement, Xep0004::Namespace);
    return forms.size() == 1 ? forms.first() : QDomElement();
}

QString describeStanzaError(const std::optional<SsnStanzaError> &error)
{
    if (!error)
        return {};
    QStringList parts { error->conditionName };
    parts << error->fields;
    return parts.join(u' ');
}

QList<Crypto::ModpGroup> allowedGroups(const EsessionPolicy &policy)
{
    QList<Crypto::ModpGroup> groups;
    const int floorBits = Crypto::modpPrimeBits(policy.minimumGroup);
    for (const Crypto::ModpGroup group : policy.groups) {
        if (Crypto::modpPrimeBits(group) >= floorBits && !groups.contains(group))
            groups << group;
    }
    return groups;
}

QStringList ownKeyModes(const EsessionPolicy &policy, bool threeMessage)
{
    QStringList modes;
    if (policy.identity)
        modes << PublicKey;
    if (policy.allowNoPublicKey && !threeMessage)
        modes << NoPublicKey;
    return modes;
}

QStringList peerKeyModes(const EsessionPolicy &policy, bool threeMessage)
{
    QStringList modes;
    if (policy.trustPeerKey)
        modes << PublicKey;
    if (policy.allowNoPublicKey && !threeMessage)
        modes << NoPublicKey;
    return modes;
}

bool threeMessagePossible(const EsessionPolicy &policy)
{
    return policy.allowThreeMessage && policy.identity && policy.trustPeerKey && policy.otherSecret.isEmpty();
}

QStringList sasNames(const EsessionPolicy &policy)
{
    QStringList names;
    for (const SasAlgorithm algorithm : std::as_const(policy.sasAlgorithms))
        addUnique(names, sasAlgorithmName(algorithm));
    if (names.isEmpty())
        names << sasAlgorithmName(SasAlgorithm::Committed);
    return names;
}

bool usesPublicKeys(const EsessionPolicy &policy)
{
    return policy.identity || policy.trustPeerKey || !policy.allowNoPublicKey;
}

std::optional<QString> pickKeyMode(const QStringList &ours, const QStringList &offered)
{
    for (const QString &mode : ours) {
        if (offered.contains(mode))
            return mode;
    }
    return std::nullopt;
}

} // namespace Esession
