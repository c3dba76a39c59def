// bench_logging: rows/s of PredictionLog's batched COPY path against single-row autocommit
// INSERTs (what a naive backend does), in one run, in a fresh scratch database of
// MLDECK_TEST_PG_URL. Also prints the on-disk size per row of the batched rows.
//
//   bench_logging [--rows N] [--batch B] [--singles S]
// The single-row path runs twice: with durable commits (the default, one WAL flush per row)
// and with synchronous_commit=off, which isolates the per-statement round trip.
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QTextStream>

#include <random>

using namespace mldeck;

namespace {

// Rows shaped like the demo deployment: 8 numeric and 2 categorical features.
std::vector<PredictionRow> makeRows(int n, qint64 startMicros, int seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(0.f, 60.f);
    const QStringList zones{QStringLiteral("north"), QStringLiteral("south"), QStringLiteral("east"),
                            QStringLiteral("west"), QStringLiteral("center")};
    const QStringList vehicles{QStringLiteral("car"), QStringLiteral("van"), QStringLiteral("bike")};
    std::vector<PredictionRow> rows(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        PredictionRow &r = rows[size_t(i)];
        r.tsMicros = startMicros + qint64(i) * 500; // 2,000 predictions/s of wall time
        r.deployment = QStringLiteral("eta");
        r.requestKey = QStringLiteral("booking-%1-%2").arg(seed).arg(i);
        r.path = (i % 4 == 0) ? PredictionPath::Heuristic : PredictionPath::Ml;
        r.modelVersion = r.path == PredictionPath::Ml ? QStringLiteral("mlp-2024.05.1") : QString();
        r.failed = i % 50 == 0;
        if (!r.failed)
            r.predicted = double(uni(rng)) / 6.0;
        else
            r.error = QStringLiteral("timeout");
        r.latencyMs = uni(rng) / 20.f;
        for (int f = 0; f < 8; ++f)
            r.features.numeric.push_back(uni(rng));
        r.features.categorical = {zones.at(i % zones.size()), vehicles.at(i % vehicles.size())};
    }
    return rows;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("rows"),
                      QStringLiteral("Predictions written with the batched path (default 50000)."), QStringLiteral("n"),
                      QStringLiteral("50000")});
    parser.addOption({QStringLiteral("batch"), QStringLiteral("Rows per COPY batch (default 1000)."),
                      QStringLiteral("b"), QStringLiteral("1000")});
    parser.addOption({QStringLiteral("singles"),
                      QStringLiteral("Predictions written one INSERT at a time (default rows/10)."),
                      QStringLiteral("n")});
    parser.process(app);
    const int rows = qMax(1, parser.value(QStringLiteral("rows")).toInt());
    const int batch = qMax(1, parser.value(QStringLiteral("batch")).toInt());
    const int singles =
        qMax(1, parser.isSet(QStringLiteral("singles")) ? parser.value(QStringLiteral("singles")).toInt() : rows / 10);
    QTextStream out(stdout);

    if (qEnvironmentVariableIsEmpty("MLDECK_TEST_PG_URL")) {
        QTextStream(stderr)
            << "bench_logging: set MLDECK_TEST_PG_URL (a superuser URL; a scratch database is created)\n";
        return 2;
    }
    mldeck::test::ScratchDatabase db(QStringLiteral("bench"));
    auto c = PgConnection::open(db.endpoint(), QStringLiteral("bench_logging"));
    if (!c) {
        QTextStream(stderr) << "bench_logging: " << c.errorMessage() << "\n";
        return 2;
    }
    PgConnection &conn = *c.value();
    if (const auto m = Migrator::migrate(conn); !m) {
        QTextStream(stderr) << "bench_logging: " << m.errorMessage() << "\n";
        return 2;
    }
    PredictionLog log(conn);
    const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;

    const auto batchedRows = makeRows(rows, now - qint64(rows) * 500, 1);
    const auto singleRows = makeRows(singles, now - qint64(singles) * 500, 2);

    QElapsedTimer timer;
    timer.start();
    for (size_t start = 0; start < batchedRows.size(); start += size_t(batch)) {
        const size_t end = qMin(batchedRows.size(), start + size_t(batch));
        const std::vector<PredictionRow> chunk(batchedRows.begin() + qsizetype(start),
                                               batchedRows.begin() + qsizetype(end));
        if (const Status st = log.appendPredictions(chunk); !st) {
            QTextStream(stderr) << "bench_logging: " << st.errorMessage() << "\n";
            return 1;
        }
    }
    const double batchedS = double(timer.nsecsElapsed()) / 1e9;

    timer.restart();
    for (const PredictionRow &r : singleRows) {
        if (const Status st = log.insertPredictionSingle(r); !st) {
            QTextStream(stderr) << "bench_logging: " << st.errorMessage() << "\n";
            return 1;
        }
    }
    const double singleS = double(timer.nsecsElapsed()) / 1e9;

    const auto asyncRows = makeRows(singles, now - qint64(singles) * 500, 3);
    (void)test::exec(conn, QStringLiteral("SET synchronous_commit = off"));
    timer.restart();
    for (const PredictionRow &r : asyncRows) {
        if (const Status st = log.insertPredictionSingle(r); !st) {
            QTextStream(stderr) << "bench_logging: " << st.errorMessage() << "\n";
            return 1;
        }
    }
    const double asyncS = double(timer.nsecsElapsed()) / 1e9;
    (void)test::exec(conn, QStringLiteral("RESET synchronous_commit"));
    const double asyncRate = singles / asyncS;

    const double batchedRate = rows / batchedS;
    const double singleRate = singles / singleS;
    out << "server: PostgreSQL " << conn.serverVersion() << " at " << db.endpoint().host << ":" << db.endpoint().port
        << "\n";
    out << QStringLiteral("batched COPY   : %1 rows in %2 s = %3 rows/s (batches of %4, one transaction each)\n")
               .arg(rows)
               .arg(batchedS, 0, 'f', 3)
               .arg(batchedRate, 0, 'f', 0)
               .arg(batch);
    out << QStringLiteral("single INSERT  : %1 rows in %2 s = %3 rows/s (autocommit per row)\n")
               .arg(singles)
               .arg(singleS, 0, 'f', 3)
               .arg(singleRate, 0, 'f', 0);
    out << QStringLiteral("single, async  : %1 rows in %2 s = %3 rows/s (autocommit per row, synchronous_commit=off)\n")
               .arg(singles)
               .arg(asyncS, 0, 'f', 3)
               .arg(asyncRate, 0, 'f', 0);
    out << QStringLiteral(
               "ratio          : batched is %1x faster than single INSERT (%2x with synchronous_commit=off)\n")
               .arg(batchedRate / singleRate, 0, 'f', 1)
               .arg(batchedRate / asyncRate, 0, 'f', 1);

    // Size on disk, after a VACUUM ANALYZE so the visibility map and statistics are settled.
    (void)test::exec(conn, QStringLiteral("VACUUM ANALYZE mldeck.predictions"));
    const auto size = test::query(
        conn, QStringLiteral(
                  "SELECT sum(pg_table_size(c.oid))::bigint, sum(pg_indexes_size(c.oid))::bigint, "
                  "(SELECT count(*) FROM mldeck.predictions) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                  "WHERE i.inhparent = 'mldeck.predictions'::regclass"));
    if (size && !size->isEmpty()) {
        const double total = size->first().at(2).toDouble();
        const double heap = size->first().at(0).toDouble();
        const double idx = size->first().at(1).toDouble();
        out << QStringLiteral(
                   "size           : %1 rows, table %2 MB, indexes %3 MB = %4 bytes/row (%5 GB per 10 M rows)\n")
                   .arg(total, 0, 'f', 0)
                   .arg(heap / 1e6, 0, 'f', 1)
                   .arg(idx / 1e6, 0, 'f', 1)
                   .arg((heap + idx) / total, 0, 'f', 0)
                   .arg((heap + idx) / total * 1e7 / 1e9, 0, 'f', 2);
        const auto brin = test::query(
            conn,
            QStringLiteral("SELECT sum(pg_relation_size(ix.indexrelid))::bigint FROM pg_index ix JOIN pg_class c ON "
                           "c.oid = ix.indexrelid "
                           "JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'brin' AND ix.indrelid IN "
                           "(SELECT inhrelid FROM pg_inherits WHERE inhparent = 'mldeck.predictions'::regclass)"));
        if (brin && !brin->isEmpty())
            out << QStringLiteral("               : of which BRIN on ts %1 kB\n")
                       .arg(brin->first().first().toDouble() / 1024, 0, 'f', 0);
    }
    return 0;
}
