// Diffie-Hellman per MODP group, the two operations an ESession negotiation pays for:
//
//   generate         x uniform in 2^255 < x < p-1, e = g^x mod p
//   check + derive   peer value in [2, p-2] and y^q == 1 (mod p), then K = y^x mod p
//
//   raw OpenSSL      the baseline: BIGNUM calls (BN_priv_rand_range, BN_mod_exp_mont_consttime, BN_mod_exp_mont)
//                    on the primes OpenSSL itself ships (BN_get_rfc2409_prime_*, BN_get_rfc3526_prime_*)
//   Sotto            Crypto::DhKeyPair (core/crypto, every operation through QCA's DH keys and derives)
//
// The ratio is Sotto's time per operation over the baseline's (> 1: Sotto is slower). Before timing, each
// group's prime must equal OpenSSL's and both sides must derive the same K from each other's values; a
// mismatch exits non-zero, timing never does.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>

#include <openssl/bn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <variant>

#include "crypto/Crypto.h"
#include "crypto/DiffieHellman.h"

namespace {

using Bn = std::unique_ptr<BIGNUM, decltype(&BN_clear_free)>;
using BnCtx = std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)>;

Bn bn(BIGNUM *n)
{
    return Bn(n, &BN_clear_free);
}

[[noreturn]] void fatal(int group, const char *what)
{
    std::fprintf(stderr, "bench_dh: modp%d: %s\n", group, what);
    std::exit(1);
}

Bn rfcPrime(Crypto::ModpGroup group)
{
    switch (group) {
    case Crypto::ModpGroup::Group1:
        return bn(BN_get_rfc2409_prime_768(nullptr));
    case Crypto::ModpGroup::Group2:
        return bn(BN_get_rfc2409_prime_1024(nullptr));
    case Crypto::ModpGroup::Group5:
        return bn(BN_get_rfc3526_prime_1536(nullptr));
    case Crypto::ModpGroup::Group14:
        return bn(BN_get_rfc3526_prime_2048(nullptr));
    case Crypto::ModpGroup::Group15:
        return bn(BN_get_rfc3526_prime_3072(nullptr));
    case Crypto::ModpGroup::Group16:
        return bn(BN_get_rfc3526_prime_4096(nullptr));
    case Crypto::ModpGroup::Group17:
        return bn(BN_get_rfc3526_prime_6144(nullptr));
    case Crypto::ModpGroup::Group18:
        return bn(BN_get_rfc3526_prime_8192(nullptr));
    }
    return bn(nullptr);
}

QByteArray toBytes(const BIGNUM *n)
{
    QByteArray out(BN_num_bytes(n), '\0');
    BN_bn2bin(n, reinterpret_cast<unsigned char *>(out.data()));
    return out;
}

Bn fromBytes(const QByteArray &bytes)
{
    return bn(BN_bin2bn(reinterpret_cast<const unsigned char *>(bytes.constData()), int(bytes.size()), nullptr));
}

// The baseline implementation of the same two operations.
struct RawGroup
{
    Bn p = bn(nullptr), pMinus1 = bn(nullptr), pMinus2 = bn(nullptr), q = bn(nullptr), g = bn(nullptr),
       floor = bn(nullptr), span = bn(nullptr);
    BnCtx ctx{BN_CTX_new(), &BN_CTX_free};
};

struct RawKey
{
    Bn x = bn(nullptr);
    QByteArray e;
};

bool rawGenerate(RawGroup &group, RawKey *key)
{
    // x = 2^255 + 1 + r, r uniform in [0, p-2 - (2^255+1)): uniform in 2^255 < x < p-1.
    Bn x = bn(BN_new());
    Bn e = bn(BN_new());
    if (!x || !e || !BN_priv_rand_range(x.get(), group.span.get()) || !BN_add(x.get(), x.get(), group.floor.get())
        || !BN_add_word(x.get(), 1))
        return false;
    BN_set_flags(x.get(), BN_FLG_CONSTTIME);
    if (!BN_mod_exp_mont_consttime(e.get(), group.g.get(), x.get(), group.p.get(), group.ctx.get(), nullptr))
        return false;
    key->x = std::move(x);
    key->e = toBytes(e.get());
    return true;
}

bool rawDerive(RawGroup &group, const RawKey &key, const QByteArray &peer, QByteArray *k)
{
    Bn y = fromBytes(peer);
    Bn t = bn(BN_new());
    if (!y || !t || peer.isEmpty() || peer.front() == '\0')
        return false;
    if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), group.pMinus2.get()) > 0)
        return false;
    if (!BN_mod_exp_mont(t.get(), y.get(), group.q.get(), group.p.get(), group.ctx.get(), nullptr) || !BN_is_one(t.get()))
        return false;
    if (!BN_mod_exp_mont_consttime(t.get(), y.get(), key.x.get(), group.p.get(), group.ctx.get(), nullptr))
        return false;
    *k = toBytes(t.get());
    return true;
}

RawGroup makeRawGroup(Crypto::ModpGroup group)
{
    RawGroup raw;
    raw.p = rfcPrime(group);
    raw.pMinus1 = bn(BN_dup(raw.p.get()));
    raw.pMinus2 = bn(BN_dup(raw.p.get()));
    raw.q = bn(BN_new());
    raw.g = bn(BN_new());
    raw.floor = bn(BN_new());
    raw.span = bn(BN_new());
    const int number = Crypto::modpGroupNumber(group);
    if (!raw.p || !raw.pMinus1 || !raw.pMinus2 || !raw.q || !raw.g || !raw.floor || !raw.span || !raw.ctx
        || !BN_sub_word(raw.pMinus1.get(), 1) || !BN_sub_word(raw.pMinus2.get(), 2)
        || !BN_rshift1(raw.q.get(), raw.pMinus1.get()) || !BN_set_word(raw.g.get(), 2)
        || !BN_lshift(raw.floor.get(), BN_value_one(), 255)
        || !BN_sub(raw.span.get(), raw.pMinus2.get(), raw.floor.get()) || !BN_sub_word(raw.span.get(), 1))
        fatal(number, "OpenSSL setup failed");
    return raw;
}

struct Timing
{
    qint64 ops = 0;
    qint64 nsecs = 0;
    double perOpUs() const
    {
        return ops ? double(nsecs) / double(ops) / 1000.0 : 0.0;
    }
};

} // namespace

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Diffie-Hellman per MODP group: raw OpenSSL against Sotto (QCA)."));
    parser.addHelpOption();
    const QCommandLineOption roundsOption(QStringLiteral("rounds"),
        QStringLiteral("Rounds per group, each one operation per line in alternating order (default 8)."),
        QStringLiteral("n"), QStringLiteral("8"));
    const QCommandLineOption groupsOption(QStringLiteral("groups"),
        QStringLiteral("Comma-separated group numbers (default: all, 1,2,5,14,15,16,17,18)."), QStringLiteral("list"));
    parser.addOption(roundsOption);
    parser.addOption(groupsOption);
    parser.process(app);
    bool ok = false;
    const int rounds = parser.value(roundsOption).toInt(&ok);
    if (!ok || rounds <= 0)
        parser.showHelp(2);
    QList<Crypto::ModpGroup> groups;
    if (parser.isSet(groupsOption)) {
        for (const QString &value : parser.value(groupsOption).split(QLatin1Char(','))) {
            const auto group = Crypto::modpGroupFromFieldValue(value.trimmed());
            if (!group)
                parser.showHelp(2);
            groups << *group;
        }
    } else {
        groups = Crypto::allModpGroups();
        std::reverse(groups.begin(), groups.end());
    }

    std::printf("%-7s %-15s %14s %14s %7s\n", "group", "operation", "OpenSSL us/op", "Sotto us/op", "ratio");
    for (const Crypto::ModpGroup group : groups) {
        const int number = Crypto::modpGroupNumber(group);
        RawGroup raw = makeRawGroup(group);
        const auto prime = Crypto::modpPrime(group);
        if (!prime || *prime != toBytes(raw.p.get()))
            fatal(number, "Sotto's prime differs from OpenSSL's");

        Timing rawGenerateTime, sottoGenerateTime, rawDeriveTime, sottoDeriveTime;
        for (int round = 0; round < rounds; ++round) {
            RawKey rawKey;
            std::optional<Crypto::DhKeyPair> sottoKey;
            QElapsedTimer timer;
            auto timeRaw = [&] {
                timer.start();
                if (!rawGenerate(raw, &rawKey))
                    fatal(number, "OpenSSL generate failed");
                rawGenerateTime.nsecs += timer.nsecsElapsed();
                ++rawGenerateTime.ops;
            };
            auto timeSotto = [&] {
                timer.start();
                auto generated = Crypto::DhKeyPair::generate(group);
                sottoGenerateTime.nsecs += timer.nsecsElapsed();
                ++sottoGenerateTime.ops;
                if (!std::holds_alternative<Crypto::DhKeyPair>(generated))
                    fatal(number, "Sotto generate failed");
                sottoKey.emplace(std::move(std::get<Crypto::DhKeyPair>(generated)));
            };
            if (round % 2) {
                timeSotto();
                timeRaw();
            } else {
                timeRaw();
                timeSotto();
            }

            // Each side derives from the other's public value: both must reach the same K.
            QByteArray rawK;
            std::variant<QByteArray, Crypto::DhError> sottoK;
            auto deriveRaw = [&] {
                timer.start();
                if (!rawDerive(raw, rawKey, sottoKey->publicValue(), &rawK))
                    fatal(number, "OpenSSL refused Sotto's public value");
                rawDeriveTime.nsecs += timer.nsecsElapsed();
                ++rawDeriveTime.ops;
            };
            auto deriveSotto = [&] {
                timer.start();
                sottoK = sottoKey->deriveSharedSecret(rawKey.e);
                sottoDeriveTime.nsecs += timer.nsecsElapsed();
                ++sottoDeriveTime.ops;
            };
            if (round % 2) {
                deriveSotto();
                deriveRaw();
            } else {
                deriveRaw();
                deriveSotto();
            }
            if (!std::holds_alternative<QByteArray>(sottoK) || std::get<QByteArray>(sottoK) != rawK)
                fatal(number, "the two sides derived different keys");
        }
        const auto line = [number](const char *operation, const Timing &base, const Timing &sotto) {
            std::printf("modp%-3d %-15s %14.1f %14.1f %7.2f\n", number, operation, base.perOpUs(), sotto.perOpUs(),
                        base.perOpUs() > 0 ? sotto.perOpUs() / base.perOpUs() : 0.0);
        };
        line("generate", rawGenerateTime, sottoGenerateTime);
        line("check + derive", rawDeriveTime, sottoDeriveTime);
        std::fflush(stdout);
    }
    return 0;
}
