// bench_scale: one PostgreSQL primary at scale, every figure of resources/contract/scale.md in one run, in a fresh
// scratch database of MLDECK_TEST_PG_URL. Prints figures; asserts nothing.
//
//   bench_scale [--rows N] [--days D] [--batch B] [--dense M] [--writers W] [--no-analyze]
//   (defaults: 2,000,000 predictions over 30 days, batches of 1,000, M = min(N, 1,000,000), 1 writer)
// 1. Logs N predictions (8 numeric + 2 categorical features, ml/heuristic, 2 versions, 2 % failures) over the last D
//    days through PredictionLog's COPY, as a serving backend does, with every aggregate trigger on; after each
//    batch of predictions, the outcomes of the batch before it (90 % of the predictions, observed 20 minutes after
//    them) and feedback on 1 %, also through PredictionLog. Prints rows/s per step of the log, so a slope shows.
//    Each day's partition is analyzed once the log has moved past it (autovacuum's work in production). With W
//    writers, W connections log interleaved batches at the same time, as a serving fleet does.
// 2. The guard's sketch step (sketchCompletedHours, no time budget) over every hour: rows/s, and the combined
//    "log + sketch" rate of the predictions.
// 3. Disk: WAL written, dead aggregate rows before VACUUM, the VACUUM ANALYZE time, then the size of the raw log,
//    the aggregates and the sketches, and bytes per prediction.
// 4. The dashboard (KpiCache::load, what KpiService runs for the GUI) for D days and 24 hours against the plain SQL
//    over the raw rows, and the drift check over D - 1 days from sketches against the exact path (runDriftCheck).
// 5. M more predictions of a second deployment at a billion a day (11,574/s of served time): the same log when each
//    batch falls into one or two minutes.
#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/services/FeatureSketching.h"
#include "core/services/KpiCache.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/BenchOutput.h"
#include "tests/support/PgSql.h"
#include "tests/support/PlainKpiSql.h"
#include "tests/support/TestServers.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>

#include <unistd.h>

#include <cmath>
#include <mutex>
#include <random>
#include <thread>

using namespace mldeck;
using mldeck::bench::die;

namespace {

const QString kDeployment = QStringLiteral("eta");
constexpr int kNumeric = 8;

void say(const QString &line)
{
    static std::mutex printing; // writers print from their threads
    const std::lock_guard lock(printing);
    mldeck::bench::out() << line << Qt::endl;
}

double seconds(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e9;
}

// CPU seconds a process has used (user + system), from /proc: the server's work per row, which does not depend on
// what else the machine runs nor on how long the client takes between batches. The benchmark's server is local.
double cpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
    return fields.size() > 12 ? double(fields[11].toLongLong() + fields[12].toLongLong()) / double(sysconf(_SC_CLK_TCK))
                              : 0;
}

QList<QStringList> query(PgConnection &conn, const QString &sql)
{
    auto r = test::query(conn, sql);
    if (!r)
        die(r.errorMessage());
    return r.value();
}

double scalar(PgConnection &conn, const QString &sql)
{
    const auto rows = query(conn, sql);
    return rows.isEmpty() || rows.first().isEmpty() ? 0 : rows.first().first().toDouble();
}

// Rows [first, first + n) of the log: row i is served at start + i * step.
std::vector<PredictionRow> predictions(const QString &deployment, qint64 first, qint64 n, qint64 startUs, double stepUs,
                                       std::mt19937 &rng)
{
    std::normal_distribution<float> normal(0.f, 1.f);
    std::uniform_real_distribution<float> uni(0.f, 1.f);
    static const QStringList zones{QStringLiteral("north"), QStringLiteral("south"), QStringLiteral("east"),
                                   QStringLiteral("west"), QStringLiteral("center")};
    static const QStringList vehicles{QStringLiteral("car"), QStringLiteral("van"), QStringLiteral("bike")};
    std::vector<PredictionRow> rows(static_cast<size_t>(n));
    for (qint64 k = 0; k < n; ++k) {
        const qint64 i = first + k;
        PredictionRow &r = rows[size_t(k)];
        r.tsMicros = startUs + qint64(double(i) * stepUs);
        r.deployment = deployment;
        r.requestKey = QStringLiteral("booking-%1").arg(i);
        r.path = i % 4 == 0 ? PredictionPath::Heuristic : PredictionPath::Ml;
        r.modelVersion = r.path == PredictionPath::Ml ? QStringLiteral("mlp-%1").arg(1 + i % 2) : QString();
        r.failed = i % 50 == 0;
        if (r.failed)
            r.error = QStringLiteral("timeout");
        else
            r.predicted = 10 + 3 * double(normal(rng));
        r.latencyMs = std::exp(2 * uni(rng));
        for (int f = 0; f < kNumeric; ++f)
            r.features.numeric.push_back(normal(rng) + float(f));
        r.features.categorical = {zones.at(int(i % zones.size())), vehicles.at(int(i % vehicles.size()))};
    }
    return rows;
}

struct LogFigures
{
    double predS = 0, outS = 0, fbS = 0;       // time in each table's COPY
    double predCpu = 0, outCpu = 0, fbCpu = 0; // the server's CPU seconds in each table's COPY
    double wallS = 0;                          // row generation included
    double analyzeS = 0;                       // ANALYZE of the finished days (autovacuum's work in production)
    qint64 predictions = 0, outcomes = 0, feedback = 0;
    // Concurrent writers: the COPY rates add up, the wall time is the longest writer's.
    void addConcurrent(const LogFigures &w)
    {
        predRate += double(w.predictions) / w.predS;
        outRate += double(w.outcomes) / w.outS;
        predictions += w.predictions;
        outcomes += w.outcomes;
        feedback += w.feedback;
        analyzeS += w.analyzeS;
        predCpu += w.predCpu;
        outCpu += w.outCpu;
        fbCpu += w.fbCpu;
        predS = std::max(predS, w.predS);
        outS = std::max(outS, w.outS);
        fbS = std::max(fbS, w.fbS);
    }
    double predRate = 0, outRate = 0; // summed over concurrent writers; 0 for one
};

// Logs n predictions of a deployment through PredictionLog, as a backend does: after each batch of predictions,
// the outcomes of the batch before it (90 %, observed 20 minutes after the prediction) and feedback on 1 %.
// Prints the rates of every `step` rows. With `analyze`, each day's partition is analyzed once the log has moved
// to the next day: in production autovacuum analyzes a partition within a minute or so of it filling, while here a
// day is logged in seconds, and the outcome lookup probes every partition with the plan its statistics give.
// Writer w of W logs batches w, w + W, w + 2W, ... (and their follow-ups), so W writers log the same rows.
LogFigures logPredictions(PgConnection &conn, PredictionLog &log, const QString &deployment, qint64 n, qint64 startUs,
                          double stepUs, qint64 batch, qint64 step, bool analyze, int writer = 0, int writers = 1)
{
    const QString who = writers > 1 ? QStringLiteral("  writer %1:").arg(writer) : QString();
    const qint64 server = qint64(scalar(conn, QStringLiteral("SELECT pg_backend_pid()")));
    QDate day; // of the last batch
    LogFigures all, part;
    std::mt19937 rng(11);
    QElapsedTimer wall, t;
    wall.start();
    qint64 printed = 0; // rows reported so far
    std::vector<PredictionRow> previous;
    const auto logFollowUps = [&](const std::vector<PredictionRow> &rows) {
        std::vector<OutcomeRow> outs;
        std::vector<FeedbackRow> fbs;
        for (const PredictionRow &r : rows) {
            const qint64 i = r.requestKey.mid(8).toLongLong(); // "booking-<i>"
            if (i % 10 != 0 && r.predicted)
                outs.push_back(
                    {r.tsMicros + 20LL * 60 * 1'000'000, deployment, r.requestKey, *r.predicted + double(i % 7) - 3});
            if (i % 100 == 1)
                fbs.push_back({r.tsMicros + 60'000'000, deployment, r.requestKey, i % 3 != 0, QString(),
                               QStringLiteral("u%1").arg(i % 997), QString()});
        }
        t.restart();
        double cpu = cpuSeconds(server);
        if (const Status s = log.appendOutcomes(outs); !s)
            die(s.errorMessage());
        part.outS += seconds(t);
        part.outCpu += cpuSeconds(server) - cpu;
        t.restart();
        cpu = cpuSeconds(server);
        if (const Status s = log.appendFeedback(fbs); !s)
            die(s.errorMessage());
        part.fbS += seconds(t);
        part.fbCpu += cpuSeconds(server) - cpu;
        part.outcomes += qint64(outs.size());
        part.feedback += qint64(fbs.size());
    };
    qint64 mine = 0; // rows this writer logged
    for (qint64 first = qint64(writer) * batch; first < n; first += qint64(writers) * batch) {
        auto rows = predictions(deployment, first, std::min(batch, n - first), startUs, stepUs, rng);
        const QDate batchDay = QDateTime::fromMSecsSinceEpoch(rows.front().tsMicros / 1000, Qt::UTC).date();
        if (analyze && writer == 0 && day.isValid() && batchDay != day) {
            t.restart();
            if (const Status s = test::exec(
                    conn,
                    QStringLiteral("ANALYZE mldeck.predictions_%1").arg(day.toString(QStringLiteral("yyyyMMdd"))));
                !s)
                die(s.errorMessage());
            part.analyzeS += seconds(t);
        }
        day = batchDay;
        t.restart();
        const double cpu = cpuSeconds(server);
        if (const Status s = log.appendPredictions(rows); !s)
            die(s.errorMessage());
        part.predS += seconds(t);
        part.predCpu += cpuSeconds(server) - cpu;
        mine += qint64(rows.size());
        if (!previous.empty())
            logFollowUps(previous);
        previous = std::move(rows);
        const bool last = first + qint64(writers) * batch >= n;
        const qint64 done = mine;
        if (done - printed < step / writers && !last)
            continue;
        if (last)
            logFollowUps(previous);
        part.wallS = seconds(wall) - all.wallS;
        const double stepRows = double(done - printed);
        part.predictions = done - printed;
        say(QStringLiteral("%7  rows %1-%2: predictions COPY %3 rows/s, outcomes COPY %4 rows/s, feedback COPY %5 "
                           "rows/s; predictions per wall second (all three, row generation included) %6")
                .arg(printed)
                .arg(done)
                .arg(stepRows / part.predS, 0, 'f', 0)
                .arg(double(part.outcomes) / part.outS, 0, 'f', 0)
                .arg(double(part.feedback) / part.fbS, 0, 'f', 0)
                .arg(stepRows / part.wallS, 0, 'f', 0)
                .arg(who));
        all.predictions += part.predictions;
        all.predS += part.predS;
        all.predCpu += part.predCpu;
        all.outCpu += part.outCpu;
        all.fbCpu += part.fbCpu;
        all.outS += part.outS;
        all.fbS += part.fbS;
        all.outcomes += part.outcomes;
        all.feedback += part.feedback;
        all.wallS += part.wallS;
        all.analyzeS += part.analyzeS;
        part = {};
        printed = done;
    }
    return all;
}

void sayLogFigures(const QString &what, qint64 n, const LogFigures &f)
{
    say(QStringLiteral("%1: %2 predictions, %3 outcomes, %4 feedback in %5 s wall; COPY time predictions %6 s (%7 "
                       "rows/s), outcomes %8 s (%9 rows/s), feedback %10 s; %11 predictions per wall second")
            .arg(what)
            .arg(n)
            .arg(f.outcomes)
            .arg(f.feedback)
            .arg(f.wallS, 0, 'f', 1)
            .arg(f.predS, 0, 'f', 1)
            .arg(f.predRate > 0 ? f.predRate : double(n) / f.predS, 0, 'f', 0)
            .arg(f.outS, 0, 'f', 1)
            .arg(f.outRate > 0 ? f.outRate : double(f.outcomes) / f.outS, 0, 'f', 0)
            .arg(f.fbS, 0, 'f', 1)
            .arg(double(n) / f.wallS, 0, 'f', 0));
    if (f.predCpu > 0) // a local server
        say(QStringLiteral(
                "  server CPU: predictions %1 s = %2 us a row (%3 rows per CPU second), outcomes %4 s = %5 us a "
                "row (%6 rows per CPU second), feedback %7 s; all three: %8 predictions per server CPU second")
                .arg(f.predCpu, 0, 'f', 1)
                .arg(f.predCpu / double(n) * 1e6, 0, 'f', 1)
                .arg(double(n) / f.predCpu, 0, 'f', 0)
                .arg(f.outCpu, 0, 'f', 1)
                .arg(f.outCpu / double(f.outcomes) * 1e6, 0, 'f', 1)
                .arg(double(f.outcomes) / f.outCpu, 0, 'f', 0)
                .arg(f.fbCpu, 0, 'f', 1)
                .arg(double(n) / (f.predCpu + f.outCpu + f.fbCpu), 0, 'f', 0));
    if (f.analyzeS > 0)
        say(QStringLiteral("  (of the wall time, %1 s went to ANALYZE of each finished day's partition)")
                .arg(f.analyzeS, 0, 'f', 1));
}

// The log written by `writers` connections at once (one: this connection); the COPY rates are the writers' summed.
LogFigures logConcurrently(PgConnection &conn, const PgEndpoint &endpoint, const QString &deployment, qint64 n,
                           qint64 startUs, double stepUs, qint64 batch, qint64 step, bool analyze, int writers)
{
    if (writers == 1) {
        PredictionLog log(conn);
        return logPredictions(conn, log, deployment, n, startUs, stepUs, batch, step, analyze);
    }
    std::vector<std::unique_ptr<PgConnection>> conns;
    for (int w = 0; w < writers; ++w) {
        auto opened = PgConnection::open(endpoint, QStringLiteral("bench_scale writer %1").arg(w));
        if (!opened)
            die(opened.errorMessage());
        conns.push_back(std::move(opened.value()));
    }
    std::vector<LogFigures> figures(static_cast<size_t>(writers));
    std::vector<std::thread> threads;
    QElapsedTimer wall;
    wall.start();
    for (int w = 0; w < writers; ++w)
        threads.emplace_back([&, w] {
            PredictionLog log(*conns[size_t(w)]);
            figures[size_t(w)] = logPredictions(*conns[size_t(w)], log, deployment, n, startUs, stepUs, batch, step,
                                                analyze, w, writers);
        });
    for (std::thread &t : threads)
        t.join();
    LogFigures all;
    for (const LogFigures &f : figures)
        all.addConcurrent(f);
    all.wallS = seconds(wall);
    return all;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption(
        {QStringLiteral("rows"),
         QStringLiteral("Predictions logged (default 2000000, the size measured in scale.md; 10 M takes ~25 min)."),
         QStringLiteral("n"), QStringLiteral("2000000")});
    parser.addOption({QStringLiteral("days"), QStringLiteral("Days they span (default 30)."), QStringLiteral("d"),
                      QStringLiteral("30")});
    parser.addOption({QStringLiteral("batch"), QStringLiteral("Rows per COPY batch (default 1000)."),
                      QStringLiteral("b"), QStringLiteral("1000")});
    parser.addOption({QStringLiteral("dense"),
                      QStringLiteral("Predictions logged at the end at 1 billion a day (default min(rows, 1000000)); "
                                     "0: none."),
                      QStringLiteral("n")});
    parser.addOption({QStringLiteral("writers"),
                      QStringLiteral("Connections logging at the same time, interleaved batches (default 1)."),
                      QStringLiteral("w"), QStringLiteral("1")});
    parser.addOption({QStringLiteral("fillfactor"),
                      QStringLiteral("Sets the fillfactor of the KPI aggregate tables before logging (default: as "
                                     "migrated), to compare."),
                      QStringLiteral("percent")});
    parser.addOption({QStringLiteral("no-analyze"),
                      QStringLiteral("Do not analyze each day's partition once it is logged (then the outcome lookup "
                                     "plans with no statistics on the partitions being filled).")});
    parser.process(app);
    const bool analyze = !parser.isSet(QStringLiteral("no-analyze"));
    const qint64 n = std::max<qint64>(10000, parser.value(QStringLiteral("rows")).toLongLong());
    const int days = std::clamp(parser.value(QStringLiteral("days")).toInt(), 3, 365);
    const qint64 batch = std::clamp<qint64>(parser.value(QStringLiteral("batch")).toLongLong(), 100, 100000);
    const qint64 dense = parser.isSet(QStringLiteral("dense"))
                             ? std::max<qint64>(0, parser.value(QStringLiteral("dense")).toLongLong())
                             : std::min<qint64>(n, 1'000'000);
    const int writers = std::clamp(parser.value(QStringLiteral("writers")).toInt(), 1, 16);
    const qint64 step = std::max(batch, std::min<qint64>(1'000'000, n / 10) / batch * batch); // rows per line

    QString why;
    if (!test::TestServers::available(&why))
        die(why);
    test::ScratchDatabase db(QStringLiteral("benchscale"));
    auto opened = PgConnection::open(db.endpoint(), QStringLiteral("bench_scale"));
    if (!opened)
        die(opened.errorMessage());
    PgConnection &conn = *opened.value();
    if (const auto m = Migrator::migrate(conn); !m)
        die(m.errorMessage());
    FeatureSchema schema;
    for (int f = 0; f < kNumeric; ++f)
        schema.features.push_back({QStringLiteral("x%1").arg(f), FeatureSpec::Kind::Numeric, {}});
    schema.features.push_back({QStringLiteral("zone"), FeatureSpec::Kind::Categorical, {}});
    schema.features.push_back({QStringLiteral("vehicle"), FeatureSpec::Kind::Categorical, {}});
    if (auto e = DeploymentStore(conn).ensure(kDeployment, {}, schema); !e)
        die(e.errorMessage());

    QFile loadavg(QStringLiteral("/proc/loadavg"));
    say(QStringLiteral("server: PostgreSQL %1, shared_buffers %2, max_wal_size %3, synchronous_commit %4; load %5")
            .arg(conn.serverVersion())
            .arg(query(conn, QStringLiteral("SHOW shared_buffers")).first().first())
            .arg(query(conn, QStringLiteral("SHOW max_wal_size")).first().first())
            .arg(query(conn, QStringLiteral("SHOW synchronous_commit")).first().first())
            .arg(loadavg.open(QIODevice::ReadOnly) ? QString::fromLatin1(loadavg.readAll()).trimmed() : QString()));

    const qint64 hourUs = 3600LL * 1'000'000;
    const qint64 endUs = (QDateTime::currentMSecsSinceEpoch() * 1000 / hourUs) * hourUs; // a whole hour
    const qint64 startUs = endUs - qint64(days) * 24 * hourUs;
    const double stepUs = double(endUs - startUs) / double(n);
    QElapsedTimer t;
    const QDate firstDay = QDateTime::fromMSecsSinceEpoch(startUs / 1000, Qt::UTC).date();
    if (auto p = PredictionLog(conn).ensurePartitions(firstDay, firstDay.addDays(days + 1)); !p)
        die(p.errorMessage());

    // --- 1. the log ------------------------------------------------------------------------------
    const QString walStart = query(conn, QStringLiteral("SELECT pg_current_wal_lsn()")).first().first();
    say(QStringLiteral("logging %1 predictions over %2 days, COPY batches of %3, outcomes for 90 %, feedback on 1 %; "
                       "%4")
            .arg(n)
            .arg(days)
            .arg(batch)
            .arg(analyze ? QStringLiteral("each day's partition analyzed once logged")
                         : QStringLiteral("no ANALYZE but autovacuum's")));
    if (parser.isSet(QStringLiteral("fillfactor"))) {
        const int fill = std::clamp(parser.value(QStringLiteral("fillfactor")).toInt(), 10, 100);
        for (const char *table : {"kpi_minute", "kpi_hour", "kpi_class_minute", "kpi_class_hour"})
            if (const Status s = test::exec(
                    conn,
                    QStringLiteral("ALTER TABLE mldeck.%1 SET (fillfactor = %2)").arg(QLatin1String(table)).arg(fill));
                !s)
                die(s.errorMessage());
    }
    say(QStringLiteral("KPI aggregate tables' fillfactor: %1; writers: %2")
            .arg(query(conn,
                       QStringLiteral("SELECT coalesce((SELECT option_value FROM pg_options_to_table("
                                      "(SELECT reloptions FROM pg_class WHERE oid = 'mldeck.kpi_minute'::regclass)) "
                                      "WHERE option_name = 'fillfactor'), '100')"))
                     .first()
                     .first())
            .arg(writers));
    const LogFigures logged =
        logConcurrently(conn, db.endpoint(), kDeployment, n, startUs, stepUs, batch, step, analyze, writers);
    const double walBytes =
        scalar(conn, QStringLiteral("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '%1')").arg(walStart));
    sayLogFigures(QStringLiteral("log"), n, logged);
    say(QStringLiteral("WAL written by the log: %1 MB = %2 bytes per prediction (outcomes and feedback included)")
            .arg(walBytes / 1e6, 0, 'f', 0)
            .arg(walBytes / double(n), 0, 'f', 0));

    // --- 2. the guard's sketch step over every hour ----------------------------------------------
    t.restart();
    FeatureSketchingOptions options;
    options.runBudgetMs = 0;
    const auto sketched = sketchCompletedHours(conn, kDeployment, endUs + hourUs, options);
    if (!sketched)
        die(sketched.errorMessage());
    const double sketchS = seconds(t);
    say(QStringLiteral("sketches: %1 hours, %2 predictions in %3 s = %4 rows/s; log + sketches: %5 predictions per "
                       "second of (COPY of all three + sketching), %6 per wall second")
            .arg(sketched->hours)
            .arg(sketched->rows)
            .arg(sketchS, 0, 'f', 1)
            .arg(double(sketched->rows) / sketchS, 0, 'f', 0)
            .arg(double(n) / (logged.predS + logged.outS + logged.fbS + sketchS), 0, 'f', 0)
            .arg(double(n) / (logged.wallS + sketchS), 0, 'f', 0));

    // --- 3. disk ---------------------------------------------------------------------------------
    for (const QStringList &r : query(
             conn, QStringLiteral("SELECT relname, n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, autovacuum_count "
                                  "FROM pg_stat_user_tables WHERE schemaname = 'mldeck' AND relname IN "
                                  "('kpi_minute', 'kpi_hour', 'kpi_outcome_state', 'kpi_feedback_minute') "
                                  "ORDER BY relname")))
        say(QStringLiteral("  before VACUUM %1: %2 live, %3 dead rows, %4 updates (%5 HOT), autovacuumed %6 times")
                .arg(r[0], r[1], r[2], r[3], r[4], r[5]));
    t.restart();
    if (const Status s = test::exec(conn, QStringLiteral("VACUUM ANALYZE")); !s)
        die(s.errorMessage());
    say(QStringLiteral("VACUUM ANALYZE of the database: %1 s").arg(seconds(t), 0, 'f', 1));
    // Raw log partitions (table, indexes), then every other table of the schema with its indexes and TOAST.
    const auto sizes = query(conn, QStringLiteral(R"SQL(
SELECT 'predictions (' || count(*) || ' partitions)', sum(pg_table_size(c.oid))::bigint,
       sum(pg_indexes_size(c.oid))::bigint
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'mldeck.predictions'::regclass
UNION ALL
SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid)
FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
WHERE s.nspname = 'mldeck' AND c.relkind = 'r' AND NOT c.relispartition
  AND pg_total_relation_size(c.oid) > 1000000
ORDER BY 2 DESC)SQL"));
    double total = 0, raw = 0;
    for (const QStringList &r : sizes) {
        const double bytes = r[1].toDouble() + r[2].toDouble();
        total += bytes;
        if (r[0].startsWith(QLatin1String("predictions")) || r[0] == QLatin1String("outcomes") ||
            r[0] == QLatin1String("feedback"))
            raw += bytes;
        say(QStringLiteral("  %1: table %2 MB + indexes %3 MB = %4 bytes per prediction")
                .arg(r[0], -36)
                .arg(r[1].toDouble() / 1e6, 8, 'f', 1)
                .arg(r[2].toDouble() / 1e6, 8, 'f', 1)
                .arg(bytes / double(n), 0, 'f', 1));
    }
    say(QStringLiteral("disk: raw log %1 MB (%2 bytes per prediction), everything %3 MB (%4 bytes per prediction, "
                       "%5 GB per million), database %6 MB")
            .arg(raw / 1e6, 0, 'f', 0)
            .arg(raw / double(n), 0, 'f', 0)
            .arg(total / 1e6, 0, 'f', 0)
            .arg(total / double(n), 0, 'f', 0)
            .arg(total / double(n) * 1e6 / 1e9, 0, 'f', 3)
            .arg(scalar(conn, QStringLiteral("SELECT pg_database_size(current_database())")) / 1e6, 0, 'f', 0));

    // --- 4. reads: the dashboard, then drift -----------------------------------------------------
    const qint64 nowSecs = endUs / 1'000'000;
    for (const QString &range : {QStringLiteral("%1d").arg(days), QStringLiteral("24h")}) {
        const auto q = KpiQuery::lastRange(kDeployment, range, nowSecs);
        if (!q)
            die(QStringLiteral("bad range %1").arg(range));
        double best = 1e18;
        qint64 bucketRows = 0, counted = 0;
        for (int rep = 0; rep < 3; ++rep) { // a fresh cache each time: a dashboard being opened
            KpiCache cache;
            t.restart();
            auto snap = cache.load(conn, *q, nowSecs);
            if (!snap)
                die(snap.errorMessage());
            best = std::min(best, seconds(t) * 1000);
            bucketRows = snap->bucketRowsRead;
            counted = snap->overall.predictions;
        }
        t.restart();
        const auto plain = query(conn, bench::plainKpiSql(kDeployment, q->fromSecs, q->toSecs));
        const double plainMs = seconds(t) * 1000;
        qint64 plainCounted = 0;
        for (const QStringList &r : plain)
            plainCounted += r.value(1).toLongLong();
        say(QStringLiteral("dashboard %1: KpiCache::load %2 ms (best of 3, %3 aggregate rows, %4 predictions) | plain "
                           "SQL %5 ms (%6 predictions) | ratio %7x")
                .arg(range)
                .arg(best, 0, 'f', 1)
                .arg(bucketRows)
                .arg(counted)
                .arg(plainMs, 0, 'f', 0)
                .arg(plainCounted)
                .arg(plainMs / best, 0, 'f', 0));
    }

    QJsonObject tests;
    for (int f = 0; f < kNumeric; ++f)
        tests.insert(QStringLiteral("x%1").arg(f), QStringLiteral("ks"));
    const QDateTime refFrom = QDateTime::fromMSecsSinceEpoch(startUs / 1000, Qt::UTC);
    if (auto s = DriftData(conn).setDriftSettings(
            kDeployment, {{QStringLiteral("reference"),
                           QStringLiteral("period:%1/%2")
                               .arg(refFrom.toString(Qt::ISODate), refFrom.addSecs(2 * 3600).toString(Qt::ISODate))},
                          {QStringLiteral("max_rows"), 100'000'000},
                          {QStringLiteral("multivariate"), false},
                          {QStringLiteral("tests"), tests}});
        !s)
        die(s.errorMessage());
    DriftCheckRequest request;
    request.deployment = kDeployment;
    request.now = QDateTime::fromMSecsSinceEpoch(endUs / 1000, Qt::UTC);
    request.windowSeconds = qint64(days - 1) * 24 * 3600;
    t.restart();
    auto fromSketches = runDriftCheck(conn, request);
    const double sketchCheckS = seconds(t);
    if (!fromSketches)
        die(fromSketches.errorMessage());
    request.sketches = DriftCheckRequest::Sketches::Never;
    t.restart();
    auto exact = runDriftCheck(conn, request);
    const double exactS = seconds(t);
    if (!exact)
        die(exact.errorMessage());
    double largestDiff = 0;
    qint64 windowRows = 0;
    for (const auto &e : exact->result.features)
        for (const auto &s : fromSketches->result.features)
            if (s.name == e.name && e.kind == drift::FeatureKind::Numeric) {
                largestDiff = std::max(largestDiff, std::fabs(s.statistic - e.statistic));
                windowRows = std::max(windowRows, e.currentCount);
            }
    say(QStringLiteral("drift over %1 days (KS on %2 numeric features + categorical, %3 rows): from sketches %4 s "
                       "(%5 hours, %6 raw rows) | exact %7 s | ratio %8x; largest |sketch - exact| KS %9")
            .arg(days - 1)
            .arg(kNumeric)
            .arg(windowRows)
            .arg(sketchCheckS, 0, 'f', 2)
            .arg(fromSketches->sketchedHours)
            .arg(fromSketches->rawRows)
            .arg(exactS, 0, 'f', 1)
            .arg(exactS / sketchCheckS, 0, 'f', 0)
            .arg(largestDiff, 0, 'g', 3));

    // --- 5. the log at production density -------------------------------------------------------
    // Spread over D days, each batch of predictions (and of their outcomes) folds into a few hundred minute
    // aggregate rows; at a billion predictions a day (11,574 per second) a batch falls into one or two minutes.
    if (dense > 0) {
        const qint64 denseStep = std::max(batch, std::min<qint64>(100'000, dense / 5) / batch * batch);
        say(QStringLiteral("logging %1 predictions of another deployment at 11,574 per second of served time (a "
                           "billion a day), same batches, outcomes and feedback")
                .arg(dense));
        const QString denseWal = query(conn, QStringLiteral("SELECT pg_current_wal_lsn()")).first().first();
        const LogFigures f = logConcurrently(conn, db.endpoint(), QStringLiteral("dense"), dense, endUs - 2 * hourUs,
                                             1e6 / 11574.0, batch, denseStep, analyze, writers);
        sayLogFigures(QStringLiteral("dense log"), dense, f);
        const double denseWalBytes =
            scalar(conn, QStringLiteral("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '%1')").arg(denseWal));
        say(QStringLiteral("WAL written by the dense log: %1 bytes per prediction (outcomes and feedback included)")
                .arg(denseWalBytes / double(dense), 0, 'f', 0));
    }
    return 0;
}
