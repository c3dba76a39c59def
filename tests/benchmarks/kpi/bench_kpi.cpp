// bench_kpi: the KPI dashboard at ten-million-prediction scale, in a fresh scratch database of
// MLDECK_TEST_PG_URL (like bench_logging). Prints figures; asserts nothing.
//
//   bench_kpi [--rows N] [--days D] [--task regression|classification]
// --task classification: the same steps 1-3 for a binary classifier (`accept`: the probability of
// "accepted", its class and probability vector, true classes for 90 %), the plain SQL computing its
// dashboard's figures (accuracy, precision, recall, F1, ROC AUC, log-loss, Brier, ECE, confidence,
// positive rate, label coverage, latency quantiles) from the raw log; steps 4-5 are the regression's
// only (the classification fold's COPY cost is bench_class_copy's).
// 1. Generates N predictions over the last D days (3 paths, 2 model versions, 2 % failures) and
//    outcomes for 90 % of them server-side (generate_series), with the KPI triggers DISABLED, then
//    builds the aggregates the way the 007 migration backfills a database (latest outcome per key,
//    then mldeck.kpi_rebuild): much faster than 10 M rows through the triggers, same result.
// 2. Opens the 30-day and 24-hour dashboards through KpiCache::load (all KPIs) and the plain SQL
//    over the raw table (GROUP BY path, percentile_cont p50/p95/p99, MAE/RMSE/R² joined to the
//    latest outcomes): milliseconds and ratio.
// 3. One more minute at 2,000 predictions/s (120,000 rows, through the triggers), then
//    KpiCache::refresh of the 24-hour dashboard.
// 4. Logging cost of the triggers: PredictionLog COPY batches of 1,000 with the KPI trigger
//    enabled and disabled, same run.
// 5. GUI memory with the dashboard open on this database (runs ../charts/bench_charts), as built and
//    with LibTorch preloaded (the console before models moved to their worker process).
#include "core/services/KpiCache.h"
#include "core/store/pg/KpiStore.h"
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
#include <QFileInfo>
#include <QProcess>
#include <QTextStream>

#include <random>

using namespace mldeck;
using mldeck::bench::die;
using mldeck::bench::out;

namespace {

double timedExec(PgConnection &conn, const QString &sql)
{
    QElapsedTimer t;
    t.start();
    if (const Status st = test::exec(conn, sql); !st)
        die(st.errorMessage());
    return double(t.nsecsElapsed()) / 1e6;
}

double timedQuery(PgConnection &conn, const QString &sql, QList<QStringList> *rows = nullptr)
{
    QElapsedTimer t;
    t.start();
    auto r = test::query(conn, sql);
    if (!r)
        die(r.errorMessage());
    const double ms = double(t.nsecsElapsed()) / 1e6;
    if (rows)
        *rows = r.value();
    return ms;
}

// A binary classifier's P(accepted) for row i: a fixed pseudo-random function of i, so that the
// outcome statement draws each row's true class from the probability its prediction logged.
const char *const kP1 = "((i * 2654435761) % 1000003) / 1000003.0";

// What one would write over the raw log for a classification dashboard: the latest label of each
// request, then per path the counts, latency quantiles, confusion, log-loss, Brier, calibration
// error over 10 score bins and ROC AUC (Mann-Whitney over the ranks of P(accepted)).
QString plainClassificationSql(qint64 fromSecs, qint64 toSecs)
{
    return QStringLiteral(R"SQL(
WITH lo AS (
    SELECT DISTINCT ON (deployment, request_key) deployment, request_key, actual
    FROM mldeck.outcomes WHERE deployment = 'accept' ORDER BY deployment, request_key, observed_at DESC, id DESC),
j AS (
    SELECT p.path, p.failed, p.latency_ms, p.predicted_class AS c, p.probabilities[2]::float8 AS p1,
           greatest(p.probabilities[1], p.probabilities[2])::float8 AS conf, lo.actual::int AS y
    FROM mldeck.predictions p LEFT JOIN lo ON lo.request_key = p.request_key AND NOT p.failed
    WHERE p.deployment = 'accept' AND p.ts >= to_timestamp(%1) AND p.ts < to_timestamp(%2)),
bins AS (
    SELECT path, least(floor(p1 * 10), 9) AS b, count(*) AS n, avg(p1) AS s, avg(y) AS o
    FROM j WHERE y IS NOT NULL GROUP BY 1, 2),
ece AS (SELECT path, sum(n * abs(s - o)) / sum(n) AS ece FROM bins GROUP BY path),
ranked AS (SELECT path, y, rank() OVER (PARTITION BY path ORDER BY p1) AS r FROM j WHERE y IS NOT NULL),
auc AS (
    SELECT path, (sum(r) FILTER (WHERE y = 1) - count(*) FILTER (WHERE y = 1) * (count(*) FILTER (WHERE y = 1) + 1) / 2.0)
                 / nullif(count(*) FILTER (WHERE y = 1) * count(*) FILTER (WHERE y = 0), 0) AS auc
    FROM ranked GROUP BY path),
f AS (
    SELECT path, count(*) AS n, avg(failed::int) AS failure_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99,
           avg((c = y)::int) AS accuracy,
           count(*) FILTER (WHERE c = 1 AND y = 1) AS tp, count(*) FILTER (WHERE c = 1 AND y = 0) AS fp,
           count(*) FILTER (WHERE c = 0 AND y = 1) AS fn,
           avg(-ln(least(greatest(CASE y WHEN 1 THEN p1 ELSE 1 - p1 END, 1e-15), 1 - 1e-15))) FILTER (WHERE y IS NOT NULL)
               AS log_loss,
           avg((p1 - y) ^ 2) AS brier, avg(conf) AS confidence, avg(c) AS positive_rate,
           count(y)::float8 / nullif(count(c), 0) AS coverage
    FROM j GROUP BY path)
SELECT f.path, n, failure_rate, p50, p95, p99, accuracy, tp::float8 / nullif(tp + fp, 0) AS precision,
       tp::float8 / nullif(tp + fn, 0) AS recall, 2.0 * tp / nullif(2 * tp + fp + fn, 0) AS f1, auc, log_loss, brier,
       ece, confidence, positive_rate, coverage
FROM f LEFT JOIN ece USING (path) LEFT JOIN auc USING (path) ORDER BY f.path)SQL")
        .arg(fromSecs)
        .arg(toSecs);
}

std::vector<PredictionRow> loggingRows(int n, qint64 startMicros, int seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(0.f, 60.f);
    std::vector<PredictionRow> rows(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        PredictionRow &r = rows[size_t(i)];
        r.tsMicros = startMicros + qint64(i) * 500;
        r.deployment = QStringLiteral("logbench");
        r.requestKey = QStringLiteral("log-%1-%2").arg(seed).arg(i);
        r.path = (i % 4 == 0) ? PredictionPath::Heuristic : PredictionPath::Ml;
        r.modelVersion = r.path == PredictionPath::Ml ? QStringLiteral("v1") : QString();
        r.failed = i % 50 == 0;
        if (!r.failed)
            r.predicted = double(uni(rng)) / 6.0;
        r.latencyMs = uni(rng) / 20.f;
        for (int f = 0; f < 8; ++f)
            r.features.numeric.push_back(uni(rng));
        r.features.categorical = {QStringLiteral("north"), QStringLiteral("car")};
    }
    return rows;
}

double copyRowsPerSecond(PredictionLog &log, const std::vector<PredictionRow> &rows)
{
    QElapsedTimer t;
    t.start();
    for (size_t start = 0; start < rows.size(); start += 1000) {
        const size_t end = std::min(rows.size(), start + 1000);
        if (const Status st = log.appendPredictions({rows.begin() + qsizetype(start), rows.begin() + qsizetype(end)});
            !st)
            die(st.errorMessage());
    }
    return double(rows.size()) / (double(t.nsecsElapsed()) / 1e9);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("rows"), QStringLiteral("Predictions generated (default 10000000)."),
                      QStringLiteral("n"), QStringLiteral("10000000")});
    parser.addOption({QStringLiteral("days"), QStringLiteral("Days they span, ending now (default 30)."),
                      QStringLiteral("d"), QStringLiteral("30")});
    parser.addOption({QStringLiteral("task"), QStringLiteral("regression (default) or classification."),
                      QStringLiteral("task"), QStringLiteral("regression")});
    parser.process(app);
    const qint64 rows = qMax<qint64>(1000, parser.value(QStringLiteral("rows")).toLongLong());
    const int days = qBound(1, parser.value(QStringLiteral("days")).toInt(), 60);
    const QString task = parser.value(QStringLiteral("task"));
    if (task != QLatin1String("regression") && task != QLatin1String("classification"))
        die(QStringLiteral("--task must be regression or classification"));
    const bool classifier = task == QLatin1String("classification");
    const QString deployment = classifier ? QStringLiteral("accept") : QStringLiteral("eta");
    // The KPI triggers the bulk generation bypasses (the aggregates are rebuilt after it).
    const QString predictionTriggers =
        classifier ? QStringLiteral("kpi_predictions, kpi_class_predictions") : QStringLiteral("kpi_predictions");

    if (qEnvironmentVariableIsEmpty("MLDECK_TEST_PG_URL")) {
        QTextStream(stderr) << "bench_kpi: set MLDECK_TEST_PG_URL (a superuser URL; a scratch database is created)\n";
        return 2;
    }
    test::ScratchDatabase db(QStringLiteral("benchkpi"));
    auto c = PgConnection::open(db.endpoint(), QStringLiteral("bench_kpi"));
    if (!c)
        die(c.errorMessage());
    PgConnection &conn = *c.value();
    if (const auto m = Migrator::migrate(conn); !m)
        die(m.errorMessage());
    out() << "PostgreSQL " << conn.serverVersion() << ", " << rows << " predictions over " << days << " days, " << task
          << " deployment '" << deployment << "'\n";

    // --- 1. data --------------------------------------------------------------------------------
    const qint64 now = QDateTime::currentSecsSinceEpoch() / 60 * 60; // a minute boundary
    const qint64 from = now - qint64(days) * 86400;
    const QDate d0 = QDateTime::fromSecsSinceEpoch(from, Qt::UTC).date();
    const QDate d1 = QDateTime::fromSecsSinceEpoch(now + 86400, Qt::UTC).date();
    timedExec(conn, QStringLiteral("INSERT INTO mldeck.deployments (name, task, classes) VALUES ('%1', '%2', %3); "
                                   "SELECT mldeck.ensure_prediction_partitions('%4', '%5')")
                        .arg(deployment, task,
                             classifier ? QStringLiteral("ARRAY['declined', 'accepted']") : QStringLiteral("NULL"),
                             d0.toString(Qt::ISODate), d1.toString(Qt::ISODate)));
    const auto setTriggers = [&](const char *how) {
        QString sql;
        for (const QString &t : predictionTriggers.split(QStringLiteral(", ")))
            sql += QStringLiteral("ALTER TABLE mldeck.predictions %1 TRIGGER %2; ").arg(QLatin1String(how), t);
        timedExec(conn,
                  sql + QStringLiteral("ALTER TABLE mldeck.outcomes %1 TRIGGER kpi_outcomes").arg(QLatin1String(how)));
    };
    setTriggers("DISABLE");
    const qint64 chunks = 10;
    double genMs = 0;
    for (qint64 k = 0; k < chunks; ++k) {
        const qint64 lo = rows * k / chunks, hi = rows * (k + 1) / chunks;
        if (classifier) {
            genMs += timedExec(conn, QStringLiteral(R"SQL(
INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, request_key, model_version,
                                predicted_class, probabilities)
SELECT to_timestamp(%1 + i * %2::float8 / %3), CASE WHEN fail THEN NULL ELSE greatest(p1, 1 - p1) END,
       exp(random() * 6 - 1)::real, fail, path, 'accept', 'r' || i,
       CASE WHEN path <> 'heuristic' THEN (ARRAY['v1', 'v2'])[1 + (i / 7) % 2] END,
       CASE WHEN fail THEN NULL ELSE (p1 >= 0.5)::int END, CASE WHEN fail THEN NULL ELSE ARRAY[1 - p1, p1]::real[] END
FROM (SELECT i, random() < 0.02 AS fail, (ARRAY['ml', 'ml', 'heuristic', 'fallback'])[1 + i % 4] AS path, %6 AS p1
      FROM generate_series(%4::bigint, %5::bigint - 1) i) g)SQL")
                                         .arg(from)
                                         .arg(qint64(days) * 86400)
                                         .arg(rows)
                                         .arg(lo)
                                         .arg(hi)
                                         .arg(QLatin1String(kP1)));
            genMs += timedExec(conn, QStringLiteral(R"SQL(
INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key)
SELECT to_timestamp(%1 + i * %2::float8 / %3) + interval '20 min', (random() < %6)::int, 'accept', 'r' || i
FROM generate_series(%4::bigint, %5::bigint - 1) i WHERE i % 10 <> 0)SQL")
                                         .arg(from)
                                         .arg(qint64(days) * 86400)
                                         .arg(rows)
                                         .arg(lo)
                                         .arg(hi)
                                         .arg(QLatin1String(kP1)));
            continue;
        }
        genMs += timedExec(conn, QStringLiteral(R"SQL(
INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, request_key, model_version)
SELECT to_timestamp(%1 + i * %2::float8 / %3), CASE WHEN fail THEN NULL ELSE 2 + 10 * random() END,
       exp(random() * 6 - 1)::real, fail, path, 'eta', 'r' || i,
       CASE WHEN path <> 'heuristic' THEN (ARRAY['v1', 'v2'])[1 + (i / 7) % 2] END
FROM (SELECT i, random() < 0.02 AS fail, (ARRAY['ml', 'ml', 'heuristic', 'fallback'])[1 + i % 4] AS path
      FROM generate_series(%4::bigint, %5::bigint - 1) i) g)SQL")
                                     .arg(from)
                                     .arg(qint64(days) * 86400)
                                     .arg(rows)
                                     .arg(lo)
                                     .arg(hi));
        genMs += timedExec(conn, QStringLiteral(R"SQL(
INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key)
SELECT to_timestamp(%1 + i * %2::float8 / %3) + interval '20 min', 2 + 10 * random(), 'eta', 'r' || i
FROM generate_series(%4::bigint, %5::bigint - 1) i WHERE i % 10 <> 0)SQL")
                                     .arg(from)
                                     .arg(qint64(days) * 86400)
                                     .arg(rows)
                                     .arg(lo)
                                     .arg(hi));
    }
    setTriggers("ENABLE");
    const double stateMs = timedExec(
        conn, QStringLiteral(
                  "INSERT INTO mldeck.kpi_outcome_state (deployment, request_key, outcome_id, observed_at, actual) "
                  "SELECT DISTINCT ON (deployment, request_key) deployment, request_key, id, observed_at, actual "
                  "FROM mldeck.outcomes ORDER BY deployment, request_key, observed_at DESC, id DESC; ANALYZE"));
    const double rebuildMs =
        timedExec(conn, QStringLiteral("SELECT mldeck.kpi_rebuild('%1', to_timestamp(%2), to_timestamp(%3))")
                            .arg(deployment)
                            .arg(from)
                            .arg(now + 3600));
    timedExec(conn, QStringLiteral("VACUUM ANALYZE"));
    QList<QStringList> sizes;
    timedQuery(
        conn,
        QStringLiteral("SELECT (SELECT count(*) FROM mldeck.kpi_minute), (SELECT count(*) FROM mldeck.kpi_hour), "
                       "pg_size_pretty(pg_total_relation_size('mldeck.kpi_minute')), "
                       "pg_size_pretty(pg_total_relation_size('mldeck.kpi_hour')), "
                       "(SELECT count(*) FROM mldeck.outcomes)"),
        &sizes);
    out() << QStringLiteral("generate: %1 s (raw rows), latest-outcome state: %2 s, kpi_rebuild: %3 s\n")
                 .arg(genMs / 1000, 0, 'f', 1)
                 .arg(stateMs / 1000, 0, 'f', 1)
                 .arg(rebuildMs / 1000, 0, 'f', 1);
    out() << QStringLiteral("aggregates: %1 minute rows (%2), %3 hour rows (%4); outcomes %5\n")
                 .arg(sizes[0][0], sizes[0][2], sizes[0][1], sizes[0][3], sizes[0][4]);
    if (classifier) {
        QList<QStringList> classSizes;
        timedQuery(conn,
                   QStringLiteral("SELECT (SELECT count(*) FROM mldeck.kpi_class_minute), "
                                  "(SELECT count(*) FROM mldeck.kpi_class_hour), "
                                  "pg_size_pretty(pg_total_relation_size('mldeck.kpi_class_minute')), "
                                  "pg_size_pretty(pg_total_relation_size('mldeck.kpi_class_hour'))"),
                   &classSizes);
        out() << QStringLiteral("classification aggregates: %1 minute rows (%2), %3 hour rows (%4)\n")
                     .arg(classSizes[0][0], classSizes[0][2], classSizes[0][1], classSizes[0][3]);
    }
    out().flush();

    // --- 2. open the dashboards -----------------------------------------------------------------
    for (const QString &range : {QStringLiteral("%1d").arg(days), QStringLiteral("24h")}) {
        const auto q = KpiQuery::lastRange(deployment, range, now);
        if (!q)
            die(QStringLiteral("bad range"));
        double best = 1e18;
        qint64 rowsRead = 0;
        std::optional<double> p95, mae;     // a classifier: its accuracy in place of the MAE
        for (int rep = 0; rep < 3; ++rep) { // fresh cache each time: a dashboard being opened
            KpiCache cache;
            QElapsedTimer t;
            t.start();
            auto snap = cache.load(conn, *q, now);
            const double ms = double(t.nsecsElapsed()) / 1e6;
            if (!snap)
                die(snap.errorMessage());
            best = std::min(best, ms);
            rowsRead = snap->bucketRowsRead;
            p95 = snap->overall.latencyP95Ms;
            mae = classifier ? (snap->overall.classification ? snap->overall.classification->accuracy : std::nullopt)
                             : snap->overall.mae;
            if (classifier && rep == 0 && snap->overall.classification) {
                const auto &cf = *snap->overall.classification;
                out() << QStringLiteral("    aggregates: accuracy %1, F1 %2, ROC AUC %3 (bound %4), log-loss %5, "
                                        "Brier %6, ECE %7, estimated accuracy %8%9\n")
                             .arg(cf.accuracy.value_or(-1), 0, 'f', 4)
                             .arg(cf.f1Positive.value_or(-1), 0, 'f', 4)
                             .arg(cf.rocAuc.value_or(-1), 0, 'f', 4)
                             .arg(cf.rocAucBound.value_or(-1), 0, 'f', 4)
                             .arg(cf.logLoss.value_or(-1), 0, 'f', 4)
                             .arg(cf.brier.value_or(-1), 0, 'f', 4)
                             .arg(cf.ece.value_or(-1), 0, 'f', 4)
                             .arg(cf.estimatedAccuracy.value_or(-1), 0, 'f', 4)
                             .arg(cf.estimateUntrusted.isEmpty()
                                      ? QString()
                                      : QStringLiteral(" (untrusted: %1)").arg(cf.estimateUntrusted));
            }
        }
        QList<QStringList> plainRows;
        const double plainMs = timedQuery(conn,
                                          classifier ? plainClassificationSql(q->fromSecs, q->toSecs)
                                                     : bench::plainKpiSql(deployment, q->fromSecs, q->toSecs),
                                          &plainRows);
        out() << QStringLiteral("open %1: KpiCache::load %2 ms (best of 3, %3 aggregate rows, p95 %4 ms, %5 %6) | "
                                "plain SQL %7 ms | ratio %8x\n")
                     .arg(range)
                     .arg(best, 0, 'f', 1)
                     .arg(rowsRead)
                     .arg(p95.value_or(-1), 0, 'f', 2)
                     .arg(classifier ? QStringLiteral("accuracy") : QStringLiteral("MAE"))
                     .arg(mae.value_or(-1), 0, 'f', 4)
                     .arg(plainMs, 0, 'f', 0)
                     .arg(plainMs / best, 0, 'f', 0);
        for (const QStringList &r : plainRows)
            out() << "    plain " << r.join(QLatin1Char(' ')) << "\n";
        out().flush();
    }

    // --- 2b. where the time goes: KpiStore alone ------------------------------------------------
    {
        KpiStore store(conn);
        const auto timeRead = [&](qint64 a, qint64 b, KpiStore::Level level, qsizetype *n) {
            double best = 1e18;
            for (int rep = 0; rep < 3; ++rep) {
                QElapsedTimer t;
                t.start();
                auto r = store.read(deployment, a, b, level);
                if (!r)
                    die(r.errorMessage());
                best = std::min(best, double(t.nsecsElapsed()) / 1e6);
                *n = r->buckets.size();
            }
            return best;
        };
        qsizetype nHour = 0, nMinute = 0;
        const double hourMs = timeRead(now - qint64(days) * 86400, now, KpiStore::Level::Hour, &nHour);
        const double minuteMs = timeRead(now - 86400, now, KpiStore::Level::Minute, &nMinute);
        QElapsedTimer t;
        t.start();
        (void)store.applyPendingOutcomes();
        const double pendingMs = double(t.nsecsElapsed()) / 1e6;
        out() << QStringLiteral(
                     "KpiStore::read %1 d of hour rows: %2 ms (%3 rows); 24 h of minute rows: %4 ms (%5 rows); "
                     "applyPendingOutcomes (none queued): %6 ms\n")
                     .arg(days)
                     .arg(hourMs, 0, 'f', 1)
                     .arg(nHour)
                     .arg(minuteMs, 0, 'f', 1)
                     .arg(nMinute)
                     .arg(pendingMs, 0, 'f', 1);
        out().flush();
    }

    // --- 3. one more minute at 2,000 predictions/s, then refresh ----------------------------------
    {
        const auto q = KpiQuery::lastRange(deployment, QStringLiteral("24h"), now);
        KpiCache cache;
        auto first = cache.load(conn, *q, now);
        if (!first)
            die(first.errorMessage());
        const QString regressionMinute = QStringLiteral(R"SQL(
INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, request_key, model_version)
SELECT to_timestamp(%1 + i / 2000.0), 2 + 10 * random(), exp(random() * 6 - 1)::real, false,
       (ARRAY['ml', 'ml', 'heuristic', 'fallback'])[1 + i % 4], 'eta', 'next-' || i,
       CASE WHEN i % 4 <> 2 THEN 'v2' END
FROM generate_series(0, 119999) i)SQL");
        const QString classificationMinute = QStringLiteral(R"SQL(
INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, request_key, model_version,
                                predicted_class, probabilities)
SELECT to_timestamp(%1 + i / 2000.0), greatest(p1, 1 - p1), exp(random() * 6 - 1)::real, false, path, 'accept',
       'next-' || i, CASE WHEN path <> 'heuristic' THEN 'v2' END, (p1 >= 0.5)::int, ARRAY[1 - p1, p1]::real[]
FROM (SELECT i, (ARRAY['ml', 'ml', 'heuristic', 'fallback'])[1 + i % 4] AS path, random() AS p1
      FROM generate_series(0, 119999) i) g)SQL");
        const double insertMs = timedExec(conn, (classifier ? classificationMinute : regressionMinute).arg(now));
        QElapsedTimer t;
        t.start();
        auto snap = cache.refresh(conn, now + 60);
        const double refreshMs = double(t.nsecsElapsed()) / 1e6;
        if (!snap)
            die(snap.errorMessage());
        QElapsedTimer t2;
        t2.start();
        auto again = cache.refresh(conn, now + 61);
        const double againMs = double(t2.nsecsElapsed()) / 1e6;
        if (!again)
            die(again.errorMessage());
        out() << QStringLiteral("second refresh with nothing new: %1 ms\n").arg(againMs, 0, 'f', 1);
        out() << QStringLiteral("one more minute: 120000 predictions inserted in %1 ms (one statement, triggers on); "
                                "KpiCache::refresh %2 ms (%3 aggregate rows read), predictions now %4 (was %5)\n")
                     .arg(insertMs, 0, 'f', 0)
                     .arg(refreshMs, 0, 'f', 1)
                     .arg(snap->bucketRowsRead)
                     .arg(snap->overall.predictions)
                     .arg(first->overall.predictions);
    }

    if (classifier) { // steps 4-5 measure the regression fold and the GUI over it
        out().flush();
        return 0;
    }

    // --- 4. logging cost of the trigger ----------------------------------------------------------
    {
        PredictionLog log(conn);
        const qint64 micros = QDateTime::currentMSecsSinceEpoch() * 1000;
        timedExec(conn, QStringLiteral("ALTER TABLE mldeck.predictions DISABLE TRIGGER kpi_predictions"));
        const double off = copyRowsPerSecond(log, loggingRows(50000, micros - 50000 * 500, 1));
        timedExec(conn, QStringLiteral("ALTER TABLE mldeck.predictions ENABLE TRIGGER kpi_predictions"));
        const double on = copyRowsPerSecond(log, loggingRows(50000, micros - 50000 * 500, 2));
        out() << QStringLiteral("logging (PredictionLog COPY, batches of 1000, 8+2 features): trigger off %1 rows/s, "
                                "trigger on %2 rows/s (%3 %)\n")
                     .arg(off, 0, 'f', 0)
                     .arg(on, 0, 'f', 0)
                     .arg((on / off - 1) * 100, 0, 'f', 1);
    }
    // --- 5. outcome batches: 1,000 outcomes of existing predictions (every partition's index probed) --
    {
        PredictionLog log(conn);
        std::mt19937 rng(5);
        const auto batch = [&rng, rows](int seed) {
            std::vector<OutcomeRow> outs;
            for (int i = 0; i < 1000; ++i) {
                OutcomeRow o;
                o.deployment = QStringLiteral("eta");
                o.requestKey = QStringLiteral("r%1").arg(qint64(rng() % quint64(rows)));
                o.observedMicros = (QDateTime::currentSecsSinceEpoch() + seed) * 1000000 + i;
                o.actual = 5;
                outs.push_back(o);
            }
            return outs;
        };
        const auto timedBatches = [&](int n, int seedBase) {
            QElapsedTimer t;
            t.start();
            for (int k = 0; k < n; ++k)
                if (const Status st = log.appendOutcomes(batch(seedBase + k)); !st)
                    die(st.errorMessage());
            return double(t.nsecsElapsed()) / 1e6 / n;
        };
        timedExec(conn, QStringLiteral("ALTER TABLE mldeck.outcomes DISABLE TRIGGER kpi_outcomes"));
        const double off = timedBatches(5, 1000);
        timedExec(conn, QStringLiteral("ALTER TABLE mldeck.outcomes ENABLE TRIGGER kpi_outcomes"));
        const double on = timedBatches(5, 2000);
        out() << QStringLiteral(
                     "outcome batches of 1000 (corrections of random earlier predictions): trigger off %1 ms, "
                     "trigger on %2 ms per batch\n")
                     .arg(off, 0, 'f', 1)
                     .arg(on, 0, 'f', 1);
    }
    // --- 5. GUI memory over this database: bench_charts (built next to this benchmark) opens the
    // dashboard on it; its memory lines are the figures for "GUI memory with 10 M predictions".
    const QString charts = QCoreApplication::applicationDirPath() + QStringLiteral("/../charts/bench_charts");
    if (QFileInfo::exists(charts)) {
        // Twice: as built (no LibTorch in the GUI), then with LibTorch preloaded into the same program,
        // which is what every console process loaded before models moved to their worker process.
        for (const bool withTorch : {false, true}) {
            out() << (withTorch ? "GUI memory over this database, LibTorch loaded as before the worker split:\n"
                                : "GUI memory over this database (bench_charts):\n");
            out().flush();
            QProcess gui;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("MLDECK_BENCH_PG_URL"), db.endpoint().toUrl(true));
            env.insert(QStringLiteral("MLDECK_BENCH_MEMORY_ONLY"), QStringLiteral("1"));
            if (withTorch)
                env.insert(QStringLiteral("LD_PRELOAD"),
                           QStringLiteral("/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13"));
            gui.setProcessEnvironment(env);
            gui.setProcessChannelMode(QProcess::ForwardedChannels);
            gui.start(charts, {});
            if (!gui.waitForFinished(300000))
                out() << "bench_charts did not finish within 5 min\n";
        }
    }
    out().flush();
    return 0;
}
