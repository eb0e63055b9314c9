#include "DiffieHellman.h"

#include <QtCrypto>

namespace Crypto {

namespace {

// The RFC primes QCA's OpenSSL provider (qca-ossl 2.3.10) does not ship: it has IETF_1024, IETF_2048 and
// IETF_4096 (groups 2, 14, 16) only, although QCA's DLGroupSet enum names all eight. Copied from the RFCs'
// hex; tst_diffiehellman checks every group's p against SHA-256 digests of the primes computed independently
// from the RFC formula (and compared with OpenSSL's BN_get_rfc2409_prime_* / BN_get_rfc3526_prime_*).
// RFC 2409 §6.1 (First Oakley Group, 768-bit): p = 2^768 - 2^704 - 1 + 2^64 * { [2^638 pi] + 149686 }
const char group1Prime[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 "
    "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD "
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 "
    "E485B576 625E7EC6 F44C42E9 A63A3620 FFFFFFFF FFFFFFFF";
// RFC 3526 §2 (1536-bit MODP Group): p = 2^1536 - 2^1472 - 1 + 2^64 * { [2^1406 pi] + 741804 }
const char group5Prime[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 "
    "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD "
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 "
    "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D "
    "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F "
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D "
    "670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF";
// RFC 3526 §4 (3072-bit MODP Group): p = 2^3072 - 2^3008 - 1 + 2^64 * { [2^2942 pi] + 1690314 }
const char group15Prime[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 "
    "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD "
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 "
    "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D "
    "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F "
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D "
    "670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 "
    "DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510 "
    "15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64 "
    "ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B "
    "F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C "
    "BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31 "
    "43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF";
// RFC 3526 §6 (6144-bit MODP Group): p = 2^6144 - 2^6080 - 1 + 2^64 * { [2^6014 pi] + 929484 }
const char group17Prime[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 "
    "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD "
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 "
    "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D "
    "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F "
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D "
    "670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 "
    "DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510 "
    "15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64 "
    "ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B "
    "F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C "
    "BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31 "
    "43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 "
    "88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA "
    "2583E9CA 2AD44CE8 DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 "
    "287C5947 4E6BC05D 99B2964F A090C3A2 233BA186 515BE7ED "
    "1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 "
    "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492 "
    "36C3FAB4 D27C7026 C1D4DCB2 602646DE C9751E76 3DBA37BD "
    "F8FF9406 AD9E530E E5DB382F 413001AE B06A53ED 9027D831 "
    "179727B0 865A8918 DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B "
    "DB7F1447 E6CC254B 33205151 2BD7AF42 6FB8F401 378CD2BF "
    "5983CA01 C64B92EC F032EA15 D1721D03 F482D7CE 6E74FEF6 "
    "D55E702F 46980C82 B5A84031 900B1C9E 59E7C97F BEC7E8F3 "
    "23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA "
    "CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328 "
    "06A1D58B B7C5DA76 F550AA3D 8A1FBFF0 EB19CCB1 A313D55C "
    "DA56C9EC 2EF29632 387FE8D7 6E3C0468 043E8F66 3F4860EE "
    "12BF2D5B 0B7474D6 E694F91E 6DCC4024 FFFFFFFF FFFFFFFF";
// RFC 3526 §7 (8192-bit MODP Group): p = 2^8192 - 2^8128 - 1 + 2^64 * { [2^8062 pi] + 4743158 }
const char group18Prime[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 "
    "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD "
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 "
    "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED "
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D "
    "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F "
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D "
    "670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B "
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 "
    "DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510 "
    "15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64 "
    "ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7 "
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B "
    "F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C "
    "BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31 "
    "43DB5BFC E0FD108E 4B82D120 A9210801 1A723C12 A787E6D7 "
    "88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA "
    "2583E9CA 2AD44CE8 DBBBC2DB 04DE8EF9 2E8EFC14 1FBECAA6 "
    "287C5947 4E6BC05D 99B2964F A090C3A2 233BA186 515BE7ED "
    "1F612970 CEE2D7AF B81BDD76 2170481C D0069127 D5B05AA9 "
    "93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34028492 "
    "36C3FAB4 D27C7026 C1D4DCB2 602646DE C9751E76 3DBA37BD "
    "F8FF9406 AD9E530E E5DB382F 413001AE B06A53ED 9027D831 "
    "179727B0 865A8918 DA3EDBEB CF9B14ED 44CE6CBA CED4BB1B "
    "DB7F1447 E6CC254B 33205151 2BD7AF42 6FB8F401 378CD2BF "
    "5983CA01 C64B92EC F032EA15 D1721D03 F482D7CE 6E74FEF6 "
    "D55E702F 46980C82 B5A84031 900B1C9E 59E7C97F BEC7E8F3 "
    "23A97A7E 36CC88BE 0F1D45B7 FF585AC5 4BD407B2 2B4154AA "
    "CC8F6D7E BF48E1D8 14CC5ED2 0F8037E0 A79715EE F29BE328 "
    "06A1D58B B7C5DA76 F550AA3D 8A1FBFF0 EB19CCB1 A313D55C "
    "DA56C9EC 2EF29632 387FE8D7 6E3C0468 043E8F66 3F4860EE "
    "12BF2D5B 0B7474D6 E694F91E 6DBE1159 74A3926F 12FEE5E4 "
    "38777CB6 A932DF8C D8BEC4D0 73B931BA 3BC832B6 8D9DD300 "
    "741FA7BF 8AFC47ED 2576F693 6BA42466 3AAB639C 5AE4F568 "
    "3423B474 2BF1C978 238F16CB E39D652D E3FDB8BE FC848AD9 "
    "22222E04 A4037C07 13EB57A8 1A23F0C7 3473FC64 6CEA306B "
    "4BCBC886 2F8385DD FA9D4B7F A2C087E8 79683303 ED5BDD3A "
    "062B3CF5 B3A278A6 6D2A13F8 3F44F82D DF310EE0 74AB6A36 "
    "4597E899 A0255DC1 64F31CC5 0846851D F9AB4819 5DED7EA1 "
    "B1D510BD 7EE74D73 FAF36BC3 1ECFA268 359046F4 EB879F92 "
    "4009438B 481C6CD7 889A002E D5EE382B C9190DA6 FC026E47 "
    "9558E447 5677E9AA 9E3050E2 765694DF C81F56E8 80B96E71 "
    "60C980DD 98EDD3DF FFFFFFFF FFFFFFFF";

struct GroupInfo
{
    ModpGroup group;
    int bits;
    QCA::DLGroupSet set;
    const char *hex; // nullptr: QCA's provider ships the group
};

constexpr GroupInfo groups[] = {
    {ModpGroup::Group18, 8192, QCA::IETF_8192, group18Prime},
    {ModpGroup::Group17, 6144, QCA::IETF_6144, group17Prime},
    {ModpGroup::Group16, 4096, QCA::IETF_4096, nullptr},
    {ModpGroup::Group15, 3072, QCA::IETF_3072, group15Prime},
    {ModpGroup::Group14, 2048, QCA::IETF_2048, nullptr},
    {ModpGroup::Group5, 1536, QCA::IETF_1536, group5Prime},
    {ModpGroup::Group2, 1024, QCA::IETF_1024, nullptr},
    {ModpGroup::Group1, 768, QCA::IETF_768, group1Prime},
};

const GroupInfo *findInfo(ModpGroup group)
{
    for (const GroupInfo &info : groups) {
        if (info.group == group)
            return &info;
    }
    return nullptr;
}

// QCA's BigInteger reads its array as two's complement: a leading zero octet keeps the value non-negative.
QCA::BigInteger fromUnsigned(const QCA::SecureArray &bigEndian)
{
    QCA::SecureArray octets(1, '\0');
    octets += bigEndian;
    return QCA::BigInteger(octets);
}

QByteArray withoutLeadingZeros(const QCA::SecureArray &octets)
{
    int first = 0;
    while (first < octets.size() && octets[first] == '\0')
        ++first;
    return octets.toByteArray().mid(first);
}

// The XEP-0116 MPI of a non-negative integer (empty for zero).
QByteArray toMpi(const QCA::BigInteger &n)
{
    return withoutLeadingZeros(n.toArray());
}

int bitLength(const QCA::SecureArray &bigEndian)
{
    for (int i = 0; i < bigEndian.size(); ++i) {
        const auto octet = static_cast<unsigned char>(bigEndian[i]);
        if (octet == 0)
            continue;
        int bits = 8;
        while (!(octet & (1u << (bits - 1))))
            --bits;
        return (bigEndian.size() - i - 1) * 8 + bits;
    }
    return 0;
}

QCA::BigInteger powerOfTwo(int exponent)
{
    QCA::SecureArray octets(exponent / 8 + 1, '\0');
    octets[0] = char(1u << (exponent % 8));
    return fromUnsigned(octets);
}

// p and g from QCA's provider when it ships the group, otherwise from the RFC constant above. A group from
// a provider must at least have the RFC's size and generator; its digits are the unit test's business.
std::optional<QCA::DLGroup> loadDomain(const GroupInfo &info)
{
    if (!QCA::isSupported("dh"))
        return std::nullopt;
    QCA::DLGroup domain;
    if (QCA::DLGroup::supportedGroupSets().contains(info.set)) {
        QCA::KeyGenerator generator; // blocking: the group is a table lookup, not a search
        domain = generator.createDLGroup(info.set);
    }
    if (domain.isNull() && info.hex) {
        const QByteArray prime = QByteArray::fromHex(QByteArray(info.hex).replace(' ', QByteArray()));
        domain = QCA::DLGroup(fromUnsigned(QCA::SecureArray(prime)), QCA::BigInteger(modpGenerator));
    }
    if (domain.isNull() || domain.g() != QCA::BigInteger(modpGenerator) || toMpi(domain.p()).size() * 8 != info.bits)
        return std::nullopt;
    return domain;
}

std::optional<DhError> checkBlockBits(const GroupInfo &info, int blockBits)
{
    // 2^(2n-1) < x < p-1 must leave room for x; every cipher XEP-0116 names has n = 128.
    if (blockBits <= 0 || 2 * blockBits >= info.bits)
        return DhError::InvalidBlockSize;
    return std::nullopt;
}

// The checks that need no arithmetic: a 10 kB value never becomes a number.
std::optional<DhError> encodingError(const GroupInfo &info, const QByteArray &value)
{
    if (value.isEmpty())
        return DhError::EmptyValue;
    if (value.at(0) == '\0')
        return DhError::NonMinimalEncoding;
    if (value.size() > info.bits / 8)
        return DhError::ValueTooLong;
    return std::nullopt;
}

std::optional<DhError> valueError(const GroupInfo &info, const QCA::DLGroup &domain, const QByteArray &value)
{
    if (const auto error = encodingError(info, value))
        return error;

    // Range: 2 <= y <= p-2, compared as received. OpenSSL's derive reduces y mod p first, so y+p would
    // otherwise pass as y.
    const QCA::BigInteger p = domain.p();
    const QCA::BigInteger y = fromUnsigned(QCA::SecureArray(value));
    QCA::BigInteger pMinus2 = p;
    pMinus2 -= QCA::BigInteger(2);
    if (y < QCA::BigInteger(2) || y > pMinus2)
        return DhError::OutOfRange;

    // Subgroup: y^q == 1 (mod p), q = (p-1)/2. A derive with the exponent q cannot tell: OpenSSL refuses any
    // derive whose result is 1 or p-1, and those are its only two results here. With the exponent
    // q+1 = (p+1)/2 the result is y * y^q: y itself when y^q == 1, p-y when y^q == -1 (Euler's criterion; p is
    // prime), both inside [2, p-2], so the derive always runs and y^q == 1 exactly when it gives back y.
    QCA::BigInteger qPlus1 = p;
    qPlus1 += QCA::BigInteger(1);
    qPlus1 /= QCA::BigInteger(2);
    // The key's own public value is not used by a derive; g stands in for it.
    QCA::DHPrivateKey exponent(domain, QCA::BigInteger(modpGenerator), qPlus1);
    const QCA::DHPublicKey peer(domain, y);
    if (exponent.isNull() || peer.isNull())
        return DhError::DeriveFailed;
    const QCA::SymmetricKey result = exponent.deriveKey(peer);
    if (result.isEmpty())
        return DhError::DeriveFailed;
    if (withoutLeadingZeros(result) != value)
        return DhError::NotInSubgroup;
    return std::nullopt;
}

} // namespace

QList<ModpGroup> allModpGroups()
{
    QList<ModpGroup> list;
    for (const GroupInfo &info : groups)
        list << info.group;
    return list;
}

std::optional<ModpGroup> modpGroupFromNumber(int number)
{
    for (const GroupInfo &info : groups) {
        if (int(info.group) == number)
            return info.group;
    }
    return std::nullopt;
}

std::optional<ModpGroup> modpGroupFromFieldValue(const QString &value)
{
    // Only the canonical spelling: "014", "+14" or " 14" would hash differently inside the forms.
    if (value.isEmpty() || value.size() > 2 || value.front() == QLatin1Char('0'))
        return std::nullopt;
    for (const QChar c : value) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return std::nullopt;
    }
    return modpGroupFromNumber(value.toInt());
}

QString modpFieldValue(ModpGroup group)
{
    return QString::number(modpGroupNumber(group));
}

int modpGroupNumber(ModpGroup group)
{
    return int(group);
}

int modpPrimeBits(ModpGroup group)
{
    const GroupInfo *info = findInfo(group);
    return info ? info->bits : 0;
}

std::optional<QByteArray> modpPrime(ModpGroup group)
{
    const GroupInfo *info = findInfo(group);
    if (!info)
        return std::nullopt;
    const auto domain = loadDomain(*info);
    if (!domain)
        return std::nullopt;
    return toMpi(domain->p());
}

QString dhErrorText(DhError error)
{
    switch (error) {
    case DhError::NoDhSupport:
        return QStringLiteral("Diffie-Hellman group not available from QCA");
    case DhError::InvalidBlockSize:
        return QStringLiteral("cipher block size too large for the group");
    case DhError::RandomnessFailed:
        return QStringLiteral("random source failed");
    case DhError::KeyGenerationFailed:
        return QStringLiteral("Diffie-Hellman key generation failed");
    case DhError::InvalidPrivateExponent:
        return QStringLiteral("private exponent out of range");
    case DhError::EmptyValue:
        return QStringLiteral("empty Diffie-Hellman value");
    case DhError::NonMinimalEncoding:
        return QStringLiteral("Diffie-Hellman value has a leading zero octet");
    case DhError::ValueTooLong:
        return QStringLiteral("Diffie-Hellman value longer than the prime");
    case DhError::OutOfRange:
        return QStringLiteral("Diffie-Hellman value outside [2, p-2]");
    case DhError::NotInSubgroup:
        return QStringLiteral("Diffie-Hellman value outside the prime-order subgroup");
    case DhError::DeriveFailed:
        return QStringLiteral("Diffie-Hellman derive failed");
    }
    return QStringLiteral("unknown Diffie-Hellman error");
}

std::optional<DhError> peerValueError(ModpGroup group, const QByteArray &value)
{
    const auto checked = checkPeerValue(group, value);
    if (const auto *error = std::get_if<DhError>(&checked))
        return *error;
    return std::nullopt;
}

std::variant<CheckedPeerValue, DhError> checkPeerValue(ModpGroup group, const QByteArray &value)
{
    const GroupInfo *info = findInfo(group);
    if (!info)
        return DhError::NoDhSupport;
    if (const auto error = encodingError(*info, value))
        return *error;
    const auto domain = loadDomain(*info);
    if (!domain)
        return DhError::NoDhSupport;
    if (const auto error = valueError(*info, *domain, value))
        return *error;
    return CheckedPeerValue(group, value);
}

namespace {

struct KeyMaterial
{
    QCA::DLGroup domain;
    QCA::DHPrivateKey key; // x lives here: OpenSSL clears it when the key is freed
    QByteArray publicValue;
    int exponentBits = 0;
};

std::variant<KeyMaterial, DhError> makeKey(const QCA::DLGroup &domain, const QCA::BigInteger &x)
{
    // e = g^x mod p. QCA can build a DH key from x but has no call that computes its public value, and its
    // key generator takes OpenSSL's short exponent; a derive of x against g as the "peer" value is the same
    // exponentiation. The placeholder public value g is never used by the derive.
    QCA::DHPrivateKey withoutE(domain, QCA::BigInteger(modpGenerator), x);
    const QCA::DHPublicKey generator(domain, QCA::BigInteger(modpGenerator));
    if (withoutE.isNull() || generator.isNull())
        return DhError::KeyGenerationFailed;
    const QCA::SymmetricKey e = withoutE.deriveKey(generator);
    // OpenSSL refuses a result of 0, 1 or p-1, so a non-empty e already lies in [2, p-2].
    if (e.isEmpty())
        return DhError::KeyGenerationFailed;

    KeyMaterial made;
    made.domain = domain;
    made.publicValue = withoutLeadingZeros(e);
    made.key = QCA::DHPrivateKey(domain, fromUnsigned(QCA::SecureArray(made.publicValue)), x);
    if (made.key.isNull())
        return DhError::KeyGenerationFailed;
    made.exponentBits = bitLength(x.toArray());
    return made;
}

bool exponentInRange(const QCA::BigInteger &x, const QCA::DLGroup &domain, int blockBits)
{
    QCA::BigInteger pMinus1 = domain.p();
    pMinus1 -= QCA::BigInteger(1);
    return x > powerOfTwo(2 * blockBits - 1) && x < pMinus1;
}

} // namespace

struct DhKeyPair::Private
{
    KeyMaterial material;
    int derivations = 0;
};

DhKeyPair::DhKeyPair(ModpGroup group, std::unique_ptr<Private> d)
    : m_group(group)
    , d(std::move(d))
{
}

DhKeyPair::DhKeyPair(DhKeyPair &&other) noexcept = default;
DhKeyPair &DhKeyPair::operator=(DhKeyPair &&other) noexcept = default;
DhKeyPair::~DhKeyPair() = default;

std::variant<DhKeyPair, DhError> DhKeyPair::generate(ModpGroup group, int blockBits)
{
    const GroupInfo *info = findInfo(group);
    if (!info)
        return DhError::NoDhSupport;
    if (const auto error = checkBlockBits(*info, blockBits))
        return *error;
    const auto domain = loadDomain(*info);
    if (!domain)
        return DhError::NoDhSupport;

    // Uniform in 2^(2n-1) < x < p-1: draw as many random bits as p has and reject what falls outside. Every
    // prime here starts with 64 one bits and has more than 2n+500 bits, so a redraw almost never happens;
    // 64 failures in a row mean a broken random source, not bad luck.
    // QCA's built-in provider answers "random" with std::rand() when no plugin does: never for an exponent.
    if (!QCA::haveSecureRandom())
        return DhError::RandomnessFailed;
    const int octets = info->bits / 8;
    for (int attempt = 0; attempt < 64; ++attempt) {
        const QCA::SecureArray random = QCA::Random::randomArray(octets);
        if (random.size() != octets)
            return DhError::RandomnessFailed;
        const QCA::BigInteger x = fromUnsigned(random);
        if (!exponentInRange(x, *domain, blockBits))
            continue;
        auto made = makeKey(*domain, x);
        if (const auto *error = std::get_if<DhError>(&made))
            return *error;
        return DhKeyPair(group, std::make_unique<Private>(Private{std::move(std::get<KeyMaterial>(made)), 0}));
    }
    return DhError::RandomnessFailed;
}

std::variant<DhKeyPair, DhError> DhKeyPair::fromPrivateExponent(ModpGroup group, const QByteArray &x, int blockBits)
{
    const GroupInfo *info = findInfo(group);
    if (!info)
        return DhError::NoDhSupport;
    if (const auto error = checkBlockBits(*info, blockBits))
        return *error;
    if (x.isEmpty() || x.at(0) == '\0' || x.size() > info->bits / 8)
        return DhError::InvalidPrivateExponent;
    const auto domain = loadDomain(*info);
    if (!domain)
        return DhError::NoDhSupport;
    const QCA::BigInteger exponent = fromUnsigned(QCA::SecureArray(x));
    if (!exponentInRange(exponent, *domain, blockBits))
        return DhError::InvalidPrivateExponent;
    auto made = makeKey(*domain, exponent);
    if (const auto *error = std::get_if<DhError>(&made))
        return *error;
    return DhKeyPair(group, std::make_unique<Private>(Private{std::move(std::get<KeyMaterial>(made)), 0}));
}

ModpGroup DhKeyPair::group() const
{
    return m_group;
}

QByteArray DhKeyPair::publicValue() const
{
    return d ? d->material.publicValue : QByteArray();
}

int DhKeyPair::privateExponentBits() const
{
    return d ? d->material.exponentBits : 0;
}

int DhKeyPair::derivationCount() const
{
    return d ? d->derivations : 0;
}

std::variant<QByteArray, DhError> DhKeyPair::deriveSharedSecret(const QByteArray &peerValue) const
{
    const GroupInfo *info = findInfo(m_group);
    if (!d || !info)
        return DhError::DeriveFailed;
    if (const auto error = valueError(*info, d->material.domain, peerValue))
        return *error;
    return deriveChecked(peerValue);
}

std::variant<QByteArray, DhError> DhKeyPair::deriveSharedSecret(const CheckedPeerValue &peerValue) const
{
    if (peerValue.group() != m_group)
        return deriveSharedSecret(peerValue.bytes());
    if (!d)
        return DhError::DeriveFailed;
    return deriveChecked(peerValue.bytes());
}

std::variant<QByteArray, DhError> DhKeyPair::deriveChecked(const QByteArray &peerValue) const
{
    const QCA::DHPublicKey peer(d->material.domain, fromUnsigned(QCA::SecureArray(peerValue)));
    if (peer.isNull())
        return DhError::DeriveFailed;
    ++d->derivations;
    const QCA::SymmetricKey k = d->material.key.deriveKey(peer);
    if (k.isEmpty())
        return DhError::DeriveFailed;
    // qca-ossl's DH_compute_key already drops leading zero octets; the MPI rule is applied here anyway so
    // that K does not depend on which provider QCA picked (a padded K would change every key derived from it).
    return withoutLeadingZeros(k);
}

} // namespace Crypto
