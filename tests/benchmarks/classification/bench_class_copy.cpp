// bench_class_copy: what the classification aggregates (resources/sql/012_classification.sql) cost
// the logging path. In a fresh scratch database of MLDECK_TEST_PG_URL, PredictionLog COPY batches of
// 1,000 rows (8 numeric + 2 categorical features, 2,000 rows/s of timestamps, 2 % failed) for
//   - a regression deployment, with the classification trigger as shipped and disabled (what a
//     regression deployment pays for step 12: nothing is the goal);
//   - a binary classifier (class + 2-probability vector) and a 10-class one (class + 10-vector), with
//     the classification trigger enabled and disabled (the cost of the class fold), and with every
//     KPI trigger disabled (the bare COPY);
// then outcome batches of 1,000 labels for earlier predictions of each deployment. Variants are
// interleaved round by round (the machine is shared: the load moves during a run); the median of
// the rounds is printed. Prints figures; asserts nothing. Figures: README.md next to this file.
//
//   bench_class_copy [--rows N] [--rounds R]   (N rows per variant per round, default 20000; R default 3)
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/BenchOutput.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QTextStream>

#include <algorithm>
#include <map>
#include <random>

using namespace mldeck;
using mldeck::bench::die;
using mldeck::bench::out;

namespace {

void exec(PgConnection &conn, const QString &sql)
{
    if (const Status st = test::exec(conn, sql); !st)
        die(st.errorMessage());
}

// Rows of `deployment` with K classes (0: regression), 2,000 per second from startMicros.
std::vector<PredictionRow> rows(const QString &deployment, int classes, int n, qint64 startMicros, int seed)
{
    std::mt19937 rng{quint32(seed)};
    std::uniform_real_distribution<float> uni(0.f, 1.f);
    std::vector<PredictionRow> out(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        PredictionRow &r = out[size_t(i)];
        r.tsMicros = startMicros + qint64(i) * 500;
        r.deployment = deployment;
        r.requestKey = QStringLiteral("%1-%2-%3").arg(deployment).arg(seed).arg(i);
        r.path = (i % 4 == 0) ? PredictionPath::Heuristic : PredictionPath::Ml;
        r.modelVersion = r.path == PredictionPath::Ml ? QStringLiteral("v1") : QString();
        r.failed = i % 50 == 0;
        r.latencyMs = uni(rng) * 3;
        for (int f = 0; f < 8; ++f)
            r.features.numeric.push_back(uni(rng) * 60);
        r.features.categorical = {QStringLiteral("north"), QStringLiteral("car")};
        if (r.failed)
            continue;
        if (classes == 0) {
            r.predicted = double(uni(rng)) * 10;
            continue;
        }
        std::vector<float> p(static_cast<size_t>(classes));
        float total = 0;
        for (float &x : p)
            total += (x = uni(rng) + 0.01f);
        for (float &x : p)
            x /= total;
        const auto best = std::max_element(p.begin(), p.end());
        r.predictedClass = int(best - p.begin());
        r.predicted = double(*best);
        r.probabilities = p;
    }
    return out;
}

double copyRowsPerSecond(PredictionLog &log, const std::vector<PredictionRow> &batch)
{
    QElapsedTimer t;
    t.start();
    for (size_t start = 0; start < batch.size(); start += 1000) {
        const size_t end = std::min(batch.size(), start + 1000);
        if (const Status st = log.appendPredictions({batch.begin() + qsizetype(start), batch.begin() + qsizetype(end)});
            !st)
            die(st.errorMessage());
    }
    return double(batch.size()) / (double(t.nsecsElapsed()) / 1e9);
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

struct Variant
{
    QString label;
    QString deployment;
    int classes;
    bool classTrigger;
    bool kpiTrigger;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("rows"), QStringLiteral("Rows per variant and round (default 20000)."),
                      QStringLiteral("n"), QStringLiteral("20000")});
    parser.addOption(
        {QStringLiteral("rounds"), QStringLiteral("Rounds (default 3)."), QStringLiteral("r"), QStringLiteral("3")});
    parser.process(app);
    const int n = qMax(1000, parser.value(QStringLiteral("rows")).toInt());
    const int rounds = qBound(1, parser.value(QStringLiteral("rounds")).toInt(), 20);

    QString why;
    if (!test::TestServers::available(&why))
        die(why);
    test::ScratchDatabase db(QStringLiteral("benchclasscopy"));
    auto opened = PgConnection::open(db.endpoint(), QStringLiteral("bench_class_copy"));
    if (!opened)
        die(opened.errorMessage());
    PgConnection &conn = *opened.value();
    if (const auto m = Migrator::migrate(conn); !m)
        die(m.errorMessage());
    exec(conn,
         QStringLiteral("INSERT INTO mldeck.deployments (name, task, classes) VALUES ('eta', 'regression', NULL), "
                        "('accept', 'classification', '{declined,accepted}'), ('ten', 'classification', "
                        "'{c0,c1,c2,c3,c4,c5,c6,c7,c8,c9}')"));
    PredictionLog log(conn);
    const QDate today = QDateTime::currentDateTimeUtc().date();
    if (const auto p = log.ensurePartitions(today.addDays(-2), today.addDays(1)); !p)
        die(p.errorMessage());

    const QList<Variant> variants{
        {QStringLiteral("regression, as shipped"), QStringLiteral("eta"), 0, true, true},
        {QStringLiteral("regression, class trigger off (before step 12)"), QStringLiteral("eta"), 0, false, true},
        {QStringLiteral("binary, as shipped"), QStringLiteral("accept"), 2, true, true},
        {QStringLiteral("binary, class trigger off"), QStringLiteral("accept"), 2, false, true},
        {QStringLiteral("binary, no KPI trigger"), QStringLiteral("accept"), 2, false, false},
        {QStringLiteral("10-class, as shipped"), QStringLiteral("ten"), 10, true, true},
        {QStringLiteral("10-class, class trigger off"), QStringLiteral("ten"), 10, false, true},
        {QStringLiteral("10-class, no KPI trigger"), QStringLiteral("ten"), 10, false, false},
    };
    const auto triggers = [&conn](bool classOn, bool kpiOn) {
        exec(conn, QStringLiteral("ALTER TABLE mldeck.predictions %1 TRIGGER kpi_class_predictions; ALTER TABLE "
                                  "mldeck.predictions %2 TRIGGER kpi_predictions")
                       .arg(classOn ? QStringLiteral("ENABLE") : QStringLiteral("DISABLE"),
                            kpiOn ? QStringLiteral("ENABLE") : QStringLiteral("DISABLE")));
    };
    // Warm-up: plans cached, partitions touched.
    const qint64 start = (QDateTime::currentSecsSinceEpoch() - 86400) * 1000000;
    for (const Variant &v : variants)
        copyRowsPerSecond(log, rows(v.deployment, v.classes, 2000, start, 999));

    std::map<QString, std::vector<double>> rates;
    std::map<QString, std::vector<int>> seeds; // per deployment: the seeds of its logged keys
    int seed = 0;
    for (int round = 0; round < rounds; ++round) {
        for (const Variant &v : variants) {
            triggers(v.classTrigger, v.kpiTrigger);
            // Each variant's rows continue its deployment's timeline (new minutes, as live traffic does).
            const qint64 from = start + qint64(++seed) * qint64(n) * 500;
            seeds[v.deployment].push_back(seed);
            rates[v.label].push_back(copyRowsPerSecond(log, rows(v.deployment, v.classes, n, from, seed)));
        }
    }
    triggers(true, true);

    out() << QStringLiteral("COPY batches of 1000 rows, %1 rows per variant and round, %2 rounds (median):\n")
                 .arg(n)
                 .arg(rounds);
    const double regression = median(rates[variants[1].label]);
    for (const Variant &v : variants) {
        const double r = median(rates[v.label]);
        out() << QStringLiteral("  %1: %2 rows/s (%3 x the regression before step 12)\n")
                     .arg(v.label, -48)
                     .arg(r, 8, 'f', 0)
                     .arg(r / regression, 0, 'f', 2);
    }

    // Outcome batches: 1,000 labels of earlier predictions of each deployment (through the triggers).
    std::mt19937 rng(7);
    for (const auto &[deployment, classes] : std::vector<std::pair<QString, int>>{
             {QStringLiteral("eta"), 0}, {QStringLiteral("accept"), 2}, {QStringLiteral("ten"), 10}}) {
        std::vector<double> ms;
        for (int b = 0; b < 5; ++b) {
            std::vector<OutcomeRow> outs;
            for (int i = 0; i < 1000; ++i) {
                OutcomeRow o;
                o.deployment = deployment;
                o.requestKey = QStringLiteral("%1-%2-%3")
                                   .arg(deployment)
                                   .arg(seeds[deployment][rng() % seeds[deployment].size()])
                                   .arg(int(rng() % quint32(n)));
                o.observedMicros = QDateTime::currentMSecsSinceEpoch() * 1000 + b * 1000 + i;
                o.actual = classes == 0 ? 5.0 : double(rng() % quint32(classes));
                outs.push_back(o);
            }
            QElapsedTimer t;
            t.start();
            if (const Status st = log.appendOutcomes(outs); !st)
                die(st.errorMessage());
            ms.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        out() << QStringLiteral("outcome batch of 1000 labels, %1: %2 ms (median of 5)\n")
                     .arg(deployment, -6)
                     .arg(median(ms), 0, 'f', 1);
    }
    const auto size = test::queryValue(
        conn, QStringLiteral("SELECT pg_size_pretty(pg_total_relation_size('mldeck.kpi_class_minute')) || ' / ' || "
                             "(SELECT count(*) FROM mldeck.kpi_class_minute) || ' rows'"));
    out() << QStringLiteral("kpi_class_minute after the run: %1\n").arg(size);
    out().flush();
    return 0;
}
