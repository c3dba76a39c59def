// bench_audit: the audit log at a million rows, in a fresh scratch database of MLDECK_TEST_PG_URL
// (like bench_kpi). Prints figures; asserts nothing.
//
//   bench_audit [--rows N] [--insert-sample N] [--unchained-load] [--repeat R]
// 1. Insert cost of the hash chain: `insert-sample` rows (default 20,000) through the chain trigger
//    and as many with it disabled, in one run, in committed batches of 1,000: rows/s each, the ratio.
// 2. Loads N rows (default 1,000,000; tests/support/SyntheticAudit.h) in committed batches of 1,000,
//    through the chain trigger (or, with --unchained-load, with it off: the reads below do not
//    depend on it, and the load is many times faster).
// 3. Times AuditQuery as the Audit page and `mldeckctl audit` use it (median of R runs, default 5):
//    count, first page, the page at the end (offset N - 200), the middle page, per deployment first
//    and last page, newerThan, actor / kind / time-range / text filters, a 30-day timeline, and
//    forEach over one deployment (the export's read).
#include "core/store/pg/AuditQuery.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/BenchOutput.h"
#include "tests/support/PgSql.h"
#include "tests/support/SyntheticAudit.h"
#include "tests/support/TestServers.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTextStream>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

using namespace mldeck;
using mldeck::bench::die;
using mldeck::bench::out;

namespace {

constexpr qint64 kBatch = 1000;

// Rows first..last of a synthetic log of `total` rows, in committed batches.
double timedLoad(PgConnection &conn, qint64 total, qint64 first, qint64 last, bool chained)
{
    QElapsedTimer t;
    t.start();
    for (qint64 from = first; from <= last; from += kBatch) {
        const QString sql = test::syntheticAuditSql(total, from, qMin(last, from + kBatch - 1));
        if (const Status st = test::exec(conn, chained ? sql : test::withoutAuditChain(sql)); !st)
            die(st.errorMessage());
    }
    return double(t.nsecsElapsed()) / 1e6;
}

double timedExec(PgConnection &conn, const QString &sql)
{
    QElapsedTimer t;
    t.start();
    if (const Status st = test::exec(conn, sql); !st)
        die(st.errorMessage());
    return double(t.nsecsElapsed()) / 1e6;
}

// Median milliseconds of `repeat` runs of f (which dies on error and returns a row count to print).
void timed(const QString &what, int repeat, const std::function<qint64()> &f)
{
    std::vector<double> ms;
    qint64 rows = 0;
    for (int i = 0; i < repeat; ++i) {
        QElapsedTimer t;
        t.start();
        rows = f();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    out() << "  " << what.leftJustified(46) << QString::number(ms[ms.size() / 2], 'f', 1).rightJustified(9) << " ms   ("
          << rows << " rows)\n";
    out().flush();
}

template <typename T> T must(Result<T> r)
{
    if (!r)
        die(r.errorMessage());
    return std::move(r).value();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOptions({{QStringLiteral("rows"), QStringLiteral("Rows to load (default 1000000)."), QStringLiteral("n"),
                        QStringLiteral("1000000")},
                       {QStringLiteral("insert-sample"),
                        QStringLiteral("Rows for the insert cost, with and without the chain (default 20000)."),
                        QStringLiteral("n"), QStringLiteral("20000")},
                       {QStringLiteral("unchained-load"),
                        QStringLiteral("Load the N rows with the chain trigger off (much faster).")},
                       {QStringLiteral("repeat"), QStringLiteral("Runs per query, median shown (default 5)."),
                        QStringLiteral("n"), QStringLiteral("5")}});
    parser.addHelpOption();
    parser.process(app);
    const qint64 rows = parser.value(QStringLiteral("rows")).toLongLong();
    const qint64 sample = parser.value(QStringLiteral("insert-sample")).toLongLong();
    const int repeat = qMax(1, parser.value(QStringLiteral("repeat")).toInt());
    if (rows < 1000 || sample < 1)
        die(QStringLiteral("--rows must be at least 1000 and --insert-sample at least 1"));

    QString why;
    if (!test::TestServers::available(&why))
        die(why);
    // Two fresh databases: one for the insert cost, one for the million rows.
    const auto migrated = [](const test::ScratchDatabase &db) {
        auto opened = PgConnection::open(db.endpoint(), QStringLiteral("bench_audit"));
        if (!opened)
            die(opened.errorMessage());
        if (auto m = Migrator::migrate(**opened); !m)
            die(m.errorMessage());
        return std::move(opened).value();
    };
    test::ScratchDatabase sampleDb(QStringLiteral("bench_audit_insert"));
    std::unique_ptr<PgConnection> sampleConn = migrated(sampleDb);

    out() << "1. insert cost of the hash chain (" << sample << " rows each way, batches of " << kBatch << ")\n";
    out().flush();
    const double withChain = timedLoad(*sampleConn, 2 * sample, 1, sample, true);
    const double withoutChain = timedLoad(*sampleConn, 2 * sample, sample + 1, 2 * sample, false);
    out() << "  with the chain:    " << QString::number(sample / withChain * 1000, 'f', 0) << " rows/s ("
          << QString::number(withChain, 'f', 0) << " ms)\n"
          << "  without the chain: " << QString::number(sample / withoutChain * 1000, 'f', 0) << " rows/s ("
          << QString::number(withoutChain, 'f', 0) << " ms)\n"
          << "  ratio: the chain costs x" << QString::number(withChain / withoutChain, 'f', 1) << "\n";
    sampleConn.reset();
    test::ScratchDatabase db(QStringLiteral("bench_audit"));
    std::unique_ptr<PgConnection> opened = migrated(db);
    PgConnection &conn = *opened;
    const bool chained = !parser.isSet(QStringLiteral("unchained-load"));
    out() << "2. loading " << rows << " rows " << (chained ? "through the chain trigger" : "with the chain trigger off")
          << "\n";
    out().flush();
    const double loadMs = timedLoad(conn, rows, 1, rows, chained);
    timedExec(conn, QStringLiteral("VACUUM ANALYZE mldeck.audit_log"));
    out() << "  " << QString::number(loadMs / 1000, 'f', 1) << " s, " << QString::number(rows / loadMs * 1000, 'f', 0)
          << " rows/s; table + indexes "
          << test::queryValue(conn, QStringLiteral("SELECT pg_size_pretty(pg_total_relation_size('mldeck.audit_log'))"))
          << "\n";

    out() << "3. AuditQuery (median of " << repeat << ")\n";
    AuditQuery q(conn);
    const qint64 top = must(q.newestId());
    const AuditFilter all;
    AuditFilter one;
    one.deployment = QStringLiteral("audit-3");
    const qint64 total = must(q.count(all, top));
    const qint64 oneTotal = must(q.count(one, top));
    timed(QStringLiteral("newestId"), repeat, [&] { return must(q.newestId()) > 0 ? 1 : 0; });
    timed(QStringLiteral("count, unfiltered"), repeat, [&] { return must(q.count(all, top)); });
    timed(QStringLiteral("first page (200), unfiltered"), repeat,
          [&] { return must(q.page(all, top, 0, 200)).size(); });
    timed(QStringLiteral("middle page, unfiltered"), repeat,
          [&] { return must(q.page(all, top, total / 2, 200, total)).size(); });
    timed(QStringLiteral("last page (offset N - 200), unfiltered"), repeat,
          [&] { return must(q.page(all, top, total - 200, 200, total)).size(); });
    timed(QStringLiteral("last page, count not given"), repeat,
          [&] { return must(q.page(all, top, total - 200, 200)).size(); });
    timed(QStringLiteral("count, one deployment"), repeat, [&] { return must(q.count(one, top)); });
    timed(QStringLiteral("first page, one deployment"), repeat, [&] { return must(q.page(one, top, 0, 200)).size(); });
    timed(QStringLiteral("last page, one deployment"), repeat,
          [&] { return must(q.page(one, top, qMax<qint64>(0, oneTotal - 200), 200, oneTotal)).size(); });
    timed(QStringLiteral("newerThan(top - 100)"), repeat,
          [&] { return must(q.newerThan(all, top - 100, 200)).size(); });
    AuditFilter actor;
    actor.actor = QStringLiteral("user13");
    timed(QStringLiteral("first page, actor filter"), repeat, [&] { return must(q.page(actor, top, 0, 200)).size(); });
    timed(QStringLiteral("count, actor filter"), repeat, [&] { return must(q.count(actor, top)); });
    AuditFilter kind;
    kind.kinds = {QStringLiteral("guard")};
    timed(QStringLiteral("first page, kind family guard"), repeat,
          [&] { return must(q.page(kind, top, 0, 200)).size(); });
    timed(QStringLiteral("count, kind family guard"), repeat, [&] { return must(q.count(kind, top)); });
    AuditFilter week = one;
    week.from = QDateTime::currentDateTimeUtc().addDays(-37);
    week.to = QDateTime::currentDateTimeUtc().addDays(-30);
    timed(QStringLiteral("first page, one deployment, a week 30 days ago"), repeat,
          [&] { return must(q.page(week, top, 0, 200)).size(); });
    timed(QStringLiteral("count, one deployment, a week 30 days ago"), repeat,
          [&] { return must(q.count(week, top)); });
    AuditFilter text;
    text.text = QStringLiteral("change 77777");
    timed(QStringLiteral("first page, text search (rare)"), repeat,
          [&] { return must(q.page(text, top, 0, 200)).size(); });
    text.text = QStringLiteral("synthetic");
    timed(QStringLiteral("first page, text search (every row)"), repeat,
          [&] { return must(q.page(text, top, 0, 200)).size(); });
    timed(QStringLiteral("count, text search (every row)"), repeat, [&] { return must(q.count(text, top)); });
    timed(QStringLiteral("timeline of one deployment, 30 days"), repeat, [&] {
        return must(q.timeline(one.deployment, QDateTime::currentDateTimeUtc().addDays(-30),
                               QDateTime::currentDateTimeUtc()))
            .steps.size();
    });
    timed(QStringLiteral("forEach, one deployment (the export's read)"), 1, [&] {
        qint64 n = 0;
        if (Status s = q.forEach(one,
                                 [&n](const QList<AuditEntry> &b) {
                                     n += b.size();
                                     return true;
                                 });
            !s)
            die(s.errorMessage());
        return n;
    });
    return 0;
}
