// Per-stanza symmetric crypto: AES-128-CTR then HMAC-SHA-256 over the ciphertext, for payloads of 100 B,
// 1 KiB and 16 KiB, a fresh cipher and MAC context for every operation (as XEP-0200 uses them).
//
//   raw QCA         the baseline: QCA::Cipher + QCA::MessageAuthenticationCode used directly, here
//   Sotto wrappers  Crypto::aesCtr + Crypto::hmacSha256 (core/crypto) on the same bytes
//
// Both run in the same process, interleaved in slices, with the order flipped every slice. The ratio is the
// wrapper's time per operation over the baseline's (> 1: the wrapper is slower).
// Before timing, every line's output must open back to the payload (decrypted and MAC-checked by the other
// implementation) and the two lines must agree byte for byte; any failure exits non-zero. Timing never does.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDomDocument>
#include <QElapsedTimer>

#include <QtCrypto>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "crypto/Crypto.h"
#include "esession/StanzaCipher.h"

namespace {

constexpr int tagSize = 32;

[[noreturn]] void fatal(const char *who, const char *what, int size)
{
    std::fprintf(stderr, "bench_cipher: %s: %s (payload %d B)\n", who, what, size);
    std::exit(1);
}

struct Contender
{
    const char *name;
    // The timed operation: ciphertext || tag of @p payload into @p out; false if anything failed.
    std::function<bool(const QByteArray &payload, QByteArray *out)> seal;
    // Untimed: does @p sealed open back to @p payload? (A contender with its own framing, such as the XEP-0200
    // engine, brings its own opener.)
    std::function<bool(const QByteArray &payload, const QByteArray &sealed)> opens;
    // Index of the line this one's ratio is printed against.
    size_t baseline = 0;
    qint64 ops = 0;
    qint64 nsecs = 0;
};

struct Keys
{
    QByteArray cipherKey = Crypto::randomBytes(16);
    QByteArray counterBlock = Crypto::randomBytes(16);
    QByteArray macKey = Crypto::randomBytes(32);
};

// The baseline, straight against QCA.
bool rawSeal(const Keys &keys, const QByteArray &payload, QByteArray *out)
{
    QCA::Cipher cipher(QStringLiteral("aes128"), QCA::Cipher::CTR, QCA::Cipher::NoPadding, QCA::Encode,
        QCA::SymmetricKey(keys.cipherKey), QCA::InitializationVector(keys.counterBlock));
    QCA::SecureArray ciphertext = cipher.update(QCA::MemoryRegion(payload));
    ciphertext += cipher.final();
    if (!cipher.ok())
        return false;
    QCA::MessageAuthenticationCode mac(QStringLiteral("hmac(sha256)"), QCA::SymmetricKey(keys.macKey));
    mac.update(ciphertext);
    *out = ciphertext.toByteArray() + mac.final().toByteArray();
    return out->size() == payload.size() + tagSize;
}

bool rawOpen(const Keys &keys, const QByteArray &sealed, QByteArray *plaintext)
{
    if (sealed.size() < tagSize)
        return false;
    const QByteArray ciphertext = sealed.left(sealed.size() - tagSize);
    QCA::MessageAuthenticationCode mac(QStringLiteral("hmac(sha256)"), QCA::SymmetricKey(keys.macKey));
    mac.update(QCA::MemoryRegion(ciphertext));
    if (mac.final().toByteArray() != sealed.right(tagSize))
        return false;
    QCA::Cipher cipher(QStringLiteral("aes128"), QCA::Cipher::CTR, QCA::Cipher::NoPadding, QCA::Decode,
        QCA::SymmetricKey(keys.cipherKey), QCA::InitializationVector(keys.counterBlock));
    QCA::SecureArray out = cipher.update(QCA::MemoryRegion(ciphertext));
    out += cipher.final();
    *plaintext = out.toByteArray();
    return cipher.ok();
}

// The candidate: Sotto's wrappers.
bool wrapperSeal(const Keys &keys, const QByteArray &payload, QByteArray *out)
{
    const auto ciphertext = Crypto::aesCtr(Crypto::CtrCipher::Aes128, keys.cipherKey, keys.counterBlock, payload);
    if (!ciphertext)
        return false;
    *out = *ciphertext + Crypto::hmacSha256(keys.macKey, *ciphertext);
    return out->size() == payload.size() + tagSize;
}

bool wrapperOpen(const Keys &keys, const QByteArray &sealed, QByteArray *plaintext)
{
    if (sealed.size() < tagSize)
        return false;
    const QByteArray ciphertext = sealed.left(sealed.size() - tagSize);
    if (!Crypto::verifyHmacSha256(keys.macKey, ciphertext, sealed.right(tagSize)))
        return false;
    const auto out = Crypto::aesCtr(Crypto::CtrCipher::Aes128, keys.cipherKey, keys.counterBlock, ciphertext);
    if (!out)
        return false;
    *plaintext = *out;
    return true;
}

// Runs @p c's operation for about @p nsecs, checking the clock every few operations.
void runSlice(Contender &c, const QByteArray &payload, qint64 nsecs, QByteArray *last)
{
    QElapsedTimer timer;
    timer.start();
    qint64 ops = 0;
    qint64 elapsed = 0;
    do {
        for (int i = 0; i < 8; ++i) {
            if (!c.seal(payload, last))
                fatal(c.name, "sealing failed", int(payload.size()));
        }
        ops += 8;
        elapsed = timer.nsecsElapsed();
    } while (elapsed < nsecs);
    c.ops += ops;
    c.nsecs += elapsed;
}

} // namespace

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("AES-128-CTR + HMAC-SHA-256: raw QCA against Sotto's wrappers."));
    parser.addHelpOption();
    const QCommandLineOption durationOption(QStringLiteral("duration-ms"),
        QStringLiteral("Time per line and payload size (default 600)."), QStringLiteral("ms"), QStringLiteral("600"));
    const QCommandLineOption slicesOption(QStringLiteral("slices"),
        QStringLiteral("Interleaved slices per measurement (default 6)."), QStringLiteral("n"), QStringLiteral("6"));
    parser.addOption(durationOption);
    parser.addOption(slicesOption);
    parser.process(app);
    bool ok = false;
    const int durationMs = parser.value(durationOption).toInt(&ok);
    if (!ok || durationMs <= 0)
        parser.showHelp(2);
    const int slices = parser.value(slicesOption).toInt(&ok);
    if (!ok || slices <= 0)
        parser.showHelp(2);

    for (const char *feature : { "aes128-ctr", "hmac(sha256)" }) {
        if (!QCA::isSupported(feature))
            fatal(feature, "not supported by QCA's providers", 0);
    }

    const Keys keys;
    auto opensBoth = [&keys](const QByteArray &payload, const QByteArray &sealed) {
        QByteArray viaRaw, viaWrapper;
        return rawOpen(keys, sealed, &viaRaw) && viaRaw == payload && wrapperOpen(keys, sealed, &viaWrapper)
            && viaWrapper == payload;
    };
    std::vector<Contender> contenders;
    contenders.push_back({ "raw QCA (baseline)",
        [&keys](const QByteArray &p, QByteArray *out) { return rawSeal(keys, p, out); }, opensBoth });
    contenders.push_back({ "Sotto wrappers",
        [&keys](const QByteArray &p, QByteArray *out) { return wrapperSeal(keys, p, out); }, opensBoth });
    // Encrypt + MAC and verify + decrypt as one round trip: raw QCA against the XEP-0200 engine (two
    // StanzaCipher objects back to back: <c/> element, Base64, counters, MAC over the normalised children).
    contenders.push_back({ "raw QCA seal+open",
        [&keys](const QByteArray &p, QByteArray *out) {
            QByteArray sealed;
            return rawSeal(keys, p, &sealed) && rawOpen(keys, sealed, out);
        },
        [](const QByteArray &p, const QByteArray &opened) { return opened == p; } });
    Esession::CipherParameters alice;
    alice.send = { keys.cipherKey, keys.macKey, Esession::BlockCounter(0x0102030405060708ULL, 0x1112131415161718ULL) };
    alice.receive = { Crypto::randomBytes(16), Crypto::randomBytes(32), alice.send.counter.withTopBitFlipped() };
    Esession::CipherParameters bob = alice;
    std::swap(bob.send, bob.receive);
    Esession::StanzaCipher aliceEngine(alice), bobEngine(bob);
    QDomDocument doc;
    contenders.push_back({ "XEP-0200 seal+open",
        [&](const QByteArray &p, QByteArray *out) {
            auto c = aliceEngine.encrypt(doc, p);
            if (!std::holds_alternative<QDomElement>(c))
                return false;
            auto opened = bobEngine.decrypt(std::get<QDomElement>(c));
            if (!std::holds_alternative<QByteArray>(opened))
                return false;
            *out = std::get<QByteArray>(opened);
            return true;
        },
        [](const QByteArray &p, const QByteArray &opened) { return opened == p; }, 2 });
    constexpr size_t kSameBytes = 2;

    std::printf("bench_cipher: AES-128-CTR + HMAC-SHA-256, fresh contexts per op; %d ms per line and size in %d "
                "interleaved slices\n",
        durationMs, slices);
    for (const int size : { 100, 1024, 16 * 1024 }) {
        const QByteArray payload = Crypto::randomBytes(size);
        if (payload.size() != size)
            fatal("Crypto::randomBytes", "short payload", size);

        // Correctness first: each line opens back to the payload, the raw and wrapper lines agree.
        std::vector<QByteArray> outputs(contenders.size());
        for (size_t i = 0; i < contenders.size(); ++i) {
            Contender &c = contenders[i];
            if (!c.seal(payload, &outputs[i]))
                fatal(c.name, "sealing failed", size);
            if (!c.opens(payload, outputs[i]))
                fatal(c.name, "output does not open back to the payload", size);
            c.ops = c.nsecs = 0;
        }
        for (size_t i = 1; i < std::min(kSameBytes, contenders.size()); ++i) {
            if (outputs[i] != outputs[0])
                fatal(contenders[i].name, "output differs from raw QCA's", size);
        }
        // Each opener on its own refuses a flipped ciphertext byte and a flipped last tag byte.
        for (const qsizetype at : { qsizetype(0), outputs[0].size() - 1 }) {
            QByteArray tampered = outputs[0];
            tampered[at] = char(tampered.at(at) ^ 1);
            QByteArray ignored;
            if (rawOpen(keys, tampered, &ignored))
                fatal("raw QCA", "accepted a tampered output", size);
            if (wrapperOpen(keys, tampered, &ignored))
                fatal("Sotto wrappers", "accepted a tampered output", size);
        }

        // Warm-up, then the interleaved slices.
        const qint64 sliceNs = qint64(durationMs) * 1000000 / slices;
        QByteArray last;
        for (Contender &c : contenders)
            runSlice(c, payload, sliceNs / 4, &last);
        for (Contender &c : contenders)
            c.ops = c.nsecs = 0;
        for (int s = 0; s < slices; ++s) {
            for (size_t k = 0; k < contenders.size(); ++k) {
                Contender &c = contenders[s % 2 == 0 ? k : contenders.size() - 1 - k];
                runSlice(c, payload, sliceNs, &last);
                if (!c.opens(payload, last))
                    fatal(c.name, "output does not open back to the payload", size);
            }
        }

        for (const Contender &c : contenders) {
            const double nsPerOp = double(c.nsecs) / double(c.ops);
            std::printf("%6d B  %-20s %10.0f ops/s  %8.2f us/op", size, c.name, 1e9 / nsPerOp, nsPerOp / 1000);
            if (&c != &contenders[c.baseline]) {
                const Contender &base = contenders[c.baseline];
                std::printf("   ratio %.2f vs %s", nsPerOp / (double(base.nsecs) / double(base.ops)), base.name);
            }
            std::printf("   (n=%lld)\n", static_cast<long long>(c.ops));
        }
    }
    return 0;
}
