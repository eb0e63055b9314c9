// Opening a conversation with sealed history: the first page (the newest 100 messages) of one conversation
// of 100 000 messages, every body sealed at rest (AES-256-GCM under a per-row key, see core/crypto/Aead.h).
//
//   raw SQLite      the baseline: the same SELECT for the same 100 rows through Qt Sql, every column read,
//                   nothing opened
//   MessageStore    MessageStore::history(peer, 100): the query plus opening every body
//
// Both are measured in the same run, interleaved, the order flipped every round; the figures are medians.
// The ratio is MessageStore's time over the baseline's (> 1: slower).
// Setting up also measures what an upgrade costs once: the messages are written the way a version-5 database
// held them (plaintext), and setMasterKey seals them all in one transaction, then vacuums the file and
// truncates the WAL.
// Before timing, the page must read back to the texts written; any mismatch exits non-zero. Timing never does.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "crypto/Crypto.h"
#include "storage/Database.h"
#include "storage/MessageStore.h"

namespace {

const QString Peer = QStringLiteral("bob@example.org");

[[noreturn]] void fatal(const char *what)
{
    std::fprintf(stderr, "bench_history: %s\n", what);
    std::exit(1);
}

// Message texts of everyday lengths (about 10 to 200 characters), different for every row.
QString bodyFor(int i)
{
    static const QString words[] = { QStringLiteral("see"), QStringLiteral("you"), QStringLiteral("tomorrow"),
        QStringLiteral("at"), QStringLiteral("the"), QStringLiteral("station"), QStringLiteral("grüße"),
        QStringLiteral("ok"), QStringLiteral("thanks!") };
    QString text = QStringLiteral("#%1").arg(i);
    const int length = 10 + (i * 7919) % 190;
    for (int w = i; text.size() < length; ++w)
        text += u' ' + words[w % std::size(words)];
    return text;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The baseline: the query history() runs, every column of every row read into memory.
int rawPage(Database &db, int limit)
{
    QSqlQuery q(db.connection());
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, peer, resource, thread, direction, body, timestamp, state, stanza_id, is_read,"
                             " encrypted, body_sealed, body_key FROM messages WHERE peer = ? AND id < ?"
                             " ORDER BY id DESC LIMIT ?"));
    q.addBindValue(Peer);
    q.addBindValue(std::numeric_limits<qint64>::max());
    q.addBindValue(limit);
    if (!q.exec())
        fatal("the raw query failed");
    std::vector<QVariant> values;
    values.reserve(size_t(limit) * 13);
    int rows = 0;
    while (q.next()) {
        for (int c = 0; c < 13; ++c)
            values.push_back(q.value(c));
        ++rows;
    }
    return rows;
}

} // namespace

int main(int argc, char **argv)
{
    Crypto::Library crypto;
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption messagesOption(QStringLiteral("messages"), QStringLiteral("Messages in the conversation."),
        QStringLiteral("N"), QStringLiteral("100000"));
    const QCommandLineOption pageOption(
        QStringLiteral("page"), QStringLiteral("Messages per page."), QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption roundsOption(QStringLiteral("rounds"), QStringLiteral("Timed rounds per line (median)."),
        QStringLiteral("N"), QStringLiteral("31"));
    parser.addHelpOption();
    parser.addOptions({ messagesOption, pageOption, roundsOption });
    parser.process(app);
    const int messages = parser.value(messagesOption).toInt();
    const int page = parser.value(pageOption).toInt();
    const int rounds = parser.value(roundsOption).toInt();
    if (messages < page || page < 1 || rounds < 1)
        fatal("need --messages >= --page >= 1 and --rounds >= 1");

    QTemporaryDir dir;
    Database db(dir.filePath(QStringLiteral("history.sqlite")));
    QString error;
    if (!db.open(&error))
        fatal(qPrintable(error));

    // Written as a version-5 database held its history: plaintext bodies, nothing sealed (body_sealed NULL).
    {
        QSqlDatabase connection = db.connection();
        if (!connection.transaction())
            fatal("no transaction");
        QSqlQuery q(connection);
        q.prepare(QStringLiteral("INSERT INTO messages (peer, direction, body, timestamp, state, is_read, stanza_id)"
                                 " VALUES (?, ?, ?, ?, ?, 1, ?)"));
        for (int i = 0; i < messages; ++i) {
            q.addBindValue(Peer);
            q.addBindValue(i % 3 ? 0 : 1);
            q.addBindValue(bodyFor(i));
            q.addBindValue(1'700'000'000'000LL + qint64(i) * 1000);
            q.addBindValue(i % 3 ? 3 : 2);
            q.addBindValue(QStringLiteral("m%1").arg(i));
            if (!q.exec())
                fatal("could not write the legacy history");
        }
        q.finish();
        if (!connection.commit())
            fatal("could not commit the legacy history");
    }

    MessageStore store(&db);
    QElapsedTimer timer;
    timer.start();
    if (!store.setMasterKey(Crypto::randomBytes(32)))
        fatal("setMasterKey could not seal the legacy history");
    const double resealMs = double(timer.nsecsElapsed()) / 1e6;
    {
        QSqlQuery q(db.connection());
        if (!q.exec(QStringLiteral("SELECT COUNT(*) FROM messages WHERE body_sealed IS NULL OR body != ''"))
            || !q.next() || q.value(0).toInt() != 0)
            fatal("plaintext rows left after setMasterKey");
    }
    // For the split: what the VACUUM and checkpoint alone cost on the sealed file.
    timer.restart();
    {
        QSqlQuery q(db.connection());
        if (!q.exec(QStringLiteral("VACUUM")) || !q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")))
            fatal("VACUUM failed");
    }
    const double vacuumMs = double(timer.nsecsElapsed()) / 1e6;

    // Correct before timed: the page is the newest messages, oldest first, every body as written.
    const QList<StoredMessage> first = store.history(Peer, page);
    if (first.size() != page || rawPage(db, page) != page)
        fatal("the page does not have the expected size");
    for (int k = 0; k < page; ++k) {
        const int i = messages - page + k;
        if (first[k].unreadable || first[k].body != bodyFor(i) || first[k].stanzaId != QStringLiteral("m%1").arg(i))
            fatal("the page does not read back to what was written");
    }

    std::vector<double> raw, sealed;
    for (int round = 0; round < rounds + 2; ++round) {
        double rawNs = 0, sealedNs = 0;
        for (int half = 0; half < 2; ++half) {
            const bool rawNow = (round + half) % 2 == 0;
            timer.restart();
            int rows = 0;
            if (rawNow)
                rows = rawPage(db, page);
            else
                rows = int(store.history(Peer, page).size());
            const double ns = double(timer.nsecsElapsed());
            if (rows != page)
                fatal("a page came back short");
            (rawNow ? rawNs : sealedNs) = ns;
        }
        if (round < 2)
            continue; // warm-up: caches and prepared statements
        raw.push_back(rawNs);
        sealed.push_back(sealedNs);
    }
    const double rawMedian = median(raw);
    const double sealedMedian = median(sealed);

    std::printf("bench_history: one conversation of %d sealed messages, first page of %d, median of %d rounds\n",
        messages, page, rounds);
    std::printf("  raw SQLite query     %9.1f us/page  %6.2f us/message\n", rawMedian / 1000, rawMedian / 1000 / page);
    std::printf("  MessageStore history %9.1f us/page  %6.2f us/message   ratio %.2f vs raw SQLite\n",
        sealedMedian / 1000, sealedMedian / 1000 / page, sealedMedian / rawMedian);
    std::printf("  setMasterKey sealing %d legacy rows: %.0f ms (%.2f us/row), of which VACUUM + WAL truncate about "
                "%.0f ms\n",
        messages, resealMs, resealMs * 1000 / messages, vacuumMs);
    return 0;
}
