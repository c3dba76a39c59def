// bench_metrics: what a Prometheus scrape of the guard costs (prints figures; asserts nothing), in a
// fresh scratch database of MLDECK_TEST_PG_URL with MLDECK_TEST_REDIS_URL for the flags.
//   bench_metrics [--rows-per-deployment N] [--big-rows M]
// 1. 50 deployments, each with N predictions over 30 days (3 paths, 2 versions, 90 % labelled),
//    aggregates built as the migration backfills them. Scrapes of 1, 10 and 50 deployments through
//    MetricsCollector: the first (loads every hour row) and the steady state (median of 5: reads only
//    the rows written since), bytes and series.
// 2. One deployment with M predictions against one with N and one with none: steady-state scrape time
//    (flat in raw rows).
#include "core/services/metrics/MetricsCollector.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QTextStream>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace mldeck;

namespace {

[[noreturn]] void die(const QString &message)
{
    std::fprintf(stderr, "bench_metrics: %s\n", qPrintable(message));
    std::exit(1);
}

void exec(PgConnection &conn, const QString &sql)
{
    if (const Status st = test::exec(conn, sql); !st)
        die(st.errorMessage());
}

// Predictions and outcomes of one deployment, through SQL with the triggers off, then the
// aggregates rebuilt (what bench_kpi does for 10 M rows).
void generate(PgConnection &conn, const QString &d, qint64 rows, qint64 from, qint64 now)
{
    exec(conn, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1') ON CONFLICT DO NOTHING").arg(d));
    exec(conn, QStringLiteral(R"SQL(
INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, request_key, model_version)
SELECT to_timestamp(%1 + i * %2::float8 / %3), CASE WHEN fail THEN NULL ELSE 2 + 10 * random() END,
       exp(random() * 6 - 1)::real, fail, path, '%4', 'r' || i,
       CASE WHEN path <> 'heuristic' THEN (ARRAY['v1', 'v2'])[1 + (i / 7) % 2] END
FROM (SELECT i, random() < 0.02 AS fail, (ARRAY['ml', 'ml', 'heuristic', 'fallback'])[1 + i % 4] AS path
      FROM generate_series(0::bigint, %3::bigint - 1) i) g)SQL")
                   .arg(from)
                   .arg(now - from)
                   .arg(rows)
                   .arg(d));
    exec(conn, QStringLiteral(R"SQL(
INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key)
SELECT to_timestamp(%1 + i * %2::float8 / %3) + interval '20 min', 2 + 10 * random(), '%4', 'r' || i
FROM generate_series(0::bigint, %3::bigint - 1) i WHERE i % 10 <> 0)SQL")
                   .arg(from)
                   .arg(now - from)
                   .arg(rows)
                   .arg(d));
    exec(conn, QStringLiteral(
                   "INSERT INTO mldeck.kpi_outcome_state (deployment, request_key, outcome_id, observed_at, actual) "
                   "SELECT DISTINCT ON (request_key) deployment, request_key, id, observed_at, actual "
                   "FROM mldeck.outcomes WHERE deployment = '%1' ORDER BY request_key, observed_at DESC, id DESC")
                   .arg(d));
    exec(conn, QStringLiteral("SELECT mldeck.kpi_rebuild('%1', to_timestamp(%2), to_timestamp(%3))")
                   .arg(d)
                   .arg(from)
                   .arg(now + 3600));
}

struct Figures
{
    double firstMs = 0;
    double steadyMs = 0;
    qsizetype bytes = 0;
    int series = 0;
};

Figures scrape(const MetricsCollector::Options &options)
{
    MetricsCollector collector(options);
    ExporterProcessState leader;
    leader.leader = true;
    Figures f;
    QElapsedTimer t;
    t.start();
    auto s = collector.collect(leader, QDateTime::currentSecsSinceEpoch());
    f.firstMs = double(t.nsecsElapsed()) / 1e6;
    if (!s.errors.isEmpty())
        die(s.errors.join(QStringLiteral("; ")));
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
        t.restart();
        s = collector.collect(leader, QDateTime::currentSecsSinceEpoch());
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    f.steadyMs = ms[2];
    f.bytes = s.text.size();
    f.series = s.series;
    return f;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("rows-per-deployment"),
                      QStringLiteral("Predictions per deployment (default 20000)."), QStringLiteral("n"),
                      QStringLiteral("20000")});
    parser.addOption({QStringLiteral("big-rows"),
                      QStringLiteral("Predictions of the large deployment (default 2000000)."), QStringLiteral("n"),
                      QStringLiteral("2000000")});
    parser.process(app);
    const qint64 perDeployment =
        std::max<qint64>(100, parser.value(QStringLiteral("rows-per-deployment")).toLongLong());
    const qint64 bigRows = std::max<qint64>(1000, parser.value(QStringLiteral("big-rows")).toLongLong());
    if (qEnvironmentVariableIsEmpty("MLDECK_TEST_PG_URL") || qEnvironmentVariableIsEmpty("MLDECK_TEST_REDIS_URL")) {
        std::fprintf(stderr,
                     "bench_metrics: set MLDECK_TEST_PG_URL and MLDECK_TEST_REDIS_URL (mldeck-dev bench does)\n");
        return 2;
    }
    test::ScratchDatabase db(QStringLiteral("benchmetrics"));
    auto c = PgConnection::open(db.endpoint(), QStringLiteral("bench_metrics"));
    if (!c)
        die(c.errorMessage());
    PgConnection &conn = *c.value();
    if (const auto m = Migrator::migrate(conn); !m)
        die(m.errorMessage());
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const qint64 from = now - 30 * 86400;
    exec(conn, QStringLiteral("SELECT mldeck.ensure_prediction_partitions('%1', '%2')")
                   .arg(QDateTime::fromSecsSinceEpoch(from, Qt::UTC).date().toString(Qt::ISODate),
                        QDateTime::fromSecsSinceEpoch(now + 86400, Qt::UTC).date().toString(Qt::ISODate)));
    exec(conn, QStringLiteral("ALTER TABLE mldeck.predictions DISABLE TRIGGER kpi_predictions; "
                              "ALTER TABLE mldeck.outcomes DISABLE TRIGGER kpi_outcomes"));
    QElapsedTimer t;
    t.start();
    QStringList names;
    for (int i = 0; i < 50; ++i) {
        names << QStringLiteral("d%1").arg(i, 2, 10, QLatin1Char('0'));
        generate(conn, names.last(), perDeployment, from, now);
    }
    generate(conn, QStringLiteral("big"), bigRows, from, now);
    exec(conn, QStringLiteral("ALTER TABLE mldeck.predictions ENABLE TRIGGER kpi_predictions; "
                              "ALTER TABLE mldeck.outcomes ENABLE TRIGGER kpi_outcomes; ANALYZE"));
    std::printf("data: 50 deployments x %lld predictions and one of %lld over 30 days, generated in %.1f s\n",
                qlonglong(perDeployment), qlonglong(bigRows), double(t.elapsed()) / 1000);

    MetricsCollector::Options options{test::TestServers::redis(), db.endpoint(), {}, ReadReplica{}};
    std::printf("%-12s %10s %12s %10s %8s\n", "deployments", "first ms", "steady ms", "bytes", "series");
    for (int n : {1, 10, 50}) {
        options.deployments = names.mid(0, n);
        const Figures f = scrape(options);
        std::printf("%-12d %10.1f %12.1f %10lld %8d\n", n, f.firstMs, f.steadyMs, qlonglong(f.bytes), f.series);
    }
    exec(conn, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('empty')"));
    options.deployments = {QStringLiteral("empty")};
    const Figures empty = scrape(options);
    options.deployments = {names.first()};
    const Figures small = scrape(options);
    options.deployments = {QStringLiteral("big")};
    const Figures big = scrape(options);
    std::printf("one deployment, steady scrape: no predictions %.1f ms, %lld predictions %.1f ms, %lld predictions "
                "%.1f ms (ratio to the smaller %.2f)\n",
                empty.steadyMs, qlonglong(perDeployment), small.steadyMs, qlonglong(bigRows), big.steadyMs,
                small.steadyMs > 0 ? big.steadyMs / small.steadyMs : 0.0);
    return 0;
}
