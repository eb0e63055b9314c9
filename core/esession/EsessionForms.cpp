#include "EsessionForms.h"

#include "FailureCodes.h"
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

namespace {

/// The identification modes one side can use: a key when it has the means (a key of ours, a trust decision for
/// theirs), none when the policy allows it and the flow is not the 3-message one.
QStringList keyModes(bool withKey, const EsessionPolicy &policy, bool threeMessage)
{
    QStringList modes;
    if (withKey)
        modes << PublicKey;
    if (policy.allowNoPublicKey && !threeMessage)
        modes << NoPublicKey;
    return modes;
}

} // namespace

QStringList ownKeyModes(const EsessionPolicy &policy, bool threeMessage)
{
    return keyModes(policy.identity.has_value(), policy, threeMessage);
}

QStringList peerKeyModes(const EsessionPolicy &policy, bool threeMessage)
{
    return keyModes(bool(policy.trustPeerKey), policy, threeMessage);
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

std::optional<ParameterRefusal> threeMessageRefusal(const DataForm &request, const EsessionPolicy &policy)
{
    if (!request.field(Xep0116::Dhkeys) || threeMessagePossible(policy))
        return std::nullopt;
    // XEP-0188/0116: the 3-message variant (SIGMA-I) exposes the responder's identity to active attackers and
    // SHOULD NOT be used between clients: only with allowThreeMessage, and only with keys both ways and no
    // other secret (see threeMessagePossible). XEP-0116's answer of a responder that only does 4 messages.
    return ParameterRefusal { SsnCondition::FeatureNotImplemented, { Xep0116::Dhkeys },
        policy.allowThreeMessage ? FailureCode::ThreeMessageUnavailable : FailureCode::ThreeMessage };
}

std::variant<ChosenParameters, ParameterRefusal> chooseParameters(const DataForm &request, const EsessionPolicy &policy)
{
    using namespace Xep0116;
    if (std::optional<ParameterRefusal> refused = threeMessageRefusal(request, policy))
        return std::move(*refused);
    ChosenParameters chosen;
    chosen.threeMessage = request.field(Dhkeys) != nullptr;
    const bool threeMessage = chosen.threeMessage;

    QStringList bad;
    // modp: the initiator's most preferred group that we allow. 3, 4 and unknown numbers are never chosen.
    const FormField *modp = request.field(Modp);
    const QStringList groupsOffered = offeredValues(modp);
    const QList<Crypto::ModpGroup> allowed = allowedGroups(policy);
    std::optional<qsizetype> groupIndex;
    if (modp && modp->values.size() <= 1) {
        for (qsizetype i = 0; i < groupsOffered.size() && !groupIndex; ++i) {
            const std::optional<Crypto::ModpGroup> group = Crypto::modpGroupFromFieldValue(groupsOffered[i]);
            if (group && allowed.contains(*group)) {
                groupIndex = i;
                chosen.group = *group;
            }
        }
    }
    if (!groupIndex)
        bad << Modp;
    // dhhashes: one He per offered group, in the same order; 32 bytes each. 3-message: dhkeys, one e per group
    // (a value that does not decode is judged by the range check that follows the choice, as XEP-0116 asks of a
    // bad e).
    const FormField *hashes = request.field(Dhhashes);
    const FormField *values = request.field(Dhkeys);
    if (threeMessage) {
        if (hashes)
            bad << Dhhashes;
        if (values->values.size() != groupsOffered.size())
            bad << Dhkeys;
        else if (groupIndex)
            chosen.initiatorValue = fromB64(values->values.at(*groupIndex)).value_or(QByteArray());
    } else if (!hashes || hashes->values.size() != groupsOffered.size()) {
        bad << Dhhashes;
    } else if (groupIndex) {
        const std::optional<QByteArray> he = fromB64(hashes->values.at(*groupIndex));
        if (he && he->size() == HashBytes)
            chosen.commitment = *he;
        else
            bad << Dhhashes;
    }
    // crypt_algs: the initiator's most preferred cipher we allow; absent means the XEP-0217 fixed aes128-ctr.
    const FormField *crypt = request.field(CryptAlgs);
    std::optional<Crypto::CtrCipher> cipher;
    const QStringList ciphersOffered = crypt ? offeredValues(crypt) : QStringList { Aes128Ctr };
    for (const QString &name : ciphersOffered) {
        const std::optional<Crypto::CtrCipher> candidate = cipherFromName(name);
        if (!cipher && candidate && policy.ciphers.contains(*candidate))
            cipher = candidate;
    }
    if (cipher)
        chosen.cipher = *cipher;
    else
        bad << CryptAlgs;
    // Fixed by our floor: an absent field means the fixed value (brief part 1 §5.8 #11); a present one must list it.
    const auto checkFixed = [&](const QString &var, const QString &value) {
        const FormField *field = request.field(var);
        if (field && !offeredValues(field).contains(value))
            bad << var;
    };
    checkFixed(HashAlgs, Sha256);
    checkFixed(Compress, NoCompression);
    // init_pubkey: what we require of the initiator, among what it can present; resp_pubkey: what we present, among
    // what it accepts. 'key' wherever both sides can; 'none' only where both allow it. Absent means 'none' (0217).
    const auto offeredModes = [&request](const QString &var) {
        const FormField *field = request.field(var);
        return field ? offeredValues(field) : QStringList { NoPublicKey };
    };
    const std::optional<QString> initMode = pickKeyMode(peerKeyModes(policy, threeMessage), offeredModes(InitPubkey));
    if (initMode)
        chosen.initiatorKeyMode = *initMode;
    else
        bad << InitPubkey;
    const std::optional<QString> respMode = pickKeyMode(ownKeyModes(policy, threeMessage), offeredModes(RespPubkey));
    if (respMode)
        chosen.responderKeyMode = *respMode;
    else
        bad << RespPubkey;
    const QStringList signsOffered = offeredValues(request.field(SignAlgs));
    if (chosen.initiatorKey() || chosen.responderKey()) {
        if (signsOffered.contains(RsaSha256))
            chosen.signAlgorithm = RsaSha256;
        else
            bad << SignAlgs;
    } else if (!signsOffered.isEmpty()) {
        chosen.signAlgorithm = signsOffered.first(); // one answer per field offered (XEP-0116)
    }
    // sas_algs: the first of ours that was offered (absent: XEP-0217's fixed sas28x5). Our order, not the
    // initiator's: the committed SAS whenever both sides have it.
    bool onlyWeakSasOffered = false;
    if (threeMessage && request.field(SasAlgs)) {
        bad << SasAlgs; // XEP-0116: MUST be absent from a 3-message request
    } else if (!threeMessage) {
        const QStringList offered = request.field(SasAlgs) ? offeredValues(request.field(SasAlgs))
                                                           : QStringList { sasAlgorithmName(SasAlgorithm::Sas28x5) };
        std::optional<QString> sasChosen;
        for (const QString &name : sasNames(policy)) {
            if (!sasChosen && offered.contains(name))
                sasChosen = name;
        }
        if (sasChosen) {
            chosen.sasAlgorithm = sasAlgorithmFromName(*sasChosen).value_or(SasAlgorithm::Committed);
        } else {
            bad << SasAlgs;
            onlyWeakSasOffered = offered.contains(sasAlgorithmName(SasAlgorithm::Sas28x5));
        }
    }
    // stanzas: what both want encrypted, in the initiator's order.
    for (const QString &type : offeredValues(request.field(Stanzas))) {
        if (policy.stanzaTypes.contains(type))
            addUnique(chosen.stanzas, type);
    }
    if (chosen.stanzas.isEmpty())
        bad << Stanzas;
    if (!offeredValues(request.field(Ver)).contains(ProtocolVersion))
        bad << Ver;
    // rekey_freq: ours or the initiator's, whichever is larger (XEP-0116: >= the offer, < 2^32).
    chosen.rekeyFrequency = policy.rekeyFrequency;
    if (const FormField *field = request.field(RekeyFreq)) {
        const std::optional<quint32> offered
            = field->values.size() == 1 ? readRekeyFrequency(field->values.first()) : std::nullopt;
        if (offered)
            chosen.rekeyFrequency = std::max(chosen.rekeyFrequency, *offered);
        else
            bad << RekeyFreq;
    }
    const std::optional<QByteArray> initiatorNonce = singleBytes(request, MyNonce);
    if (!initiatorNonce || initiatorNonce->size() < MinimumNonceBytes || initiatorNonce->size() > MaximumNonceBytes)
        bad << MyNonce;
    else
        chosen.initiatorNonce = *initiatorNonce;
    if (bad == QStringList { SasAlgs } && onlyWeakSasOffered)
        return ParameterRefusal { SsnCondition::NotAcceptable, bad, FailureCode::Sas28x5NotAllowed };
    if (!bad.isEmpty())
        return ParameterRefusal { SsnCondition::NotAcceptable, bad, FailureCode::OfferNotAcceptable };
    chosen.groupIndex = *groupIndex;
    return chosen;
}

} // namespace Esession
