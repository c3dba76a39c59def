// bench_sketch_drift: drift over a long window from the hourly feature sketches against the exact path over the
// same raw rows (resources/contract/drift.md, "Drift from sketches"). In a scratch database of
// MLDECK_TEST_PG_URL: N predictions (4 numeric features of several shapes, 1 categorical, a prediction) spread over
// D days, logged through PredictionLog's COPY, sketched by sketchCompletedHours; then for each statistic (KS,
// normalised Wasserstein, PSI, Jensen–Shannon, set as every feature's test) the drift check of the last D - 1
// days against the first two hours, from sketches and from the raw rows. Prints the times, their ratio and, per
// statistic, the largest |sketch - exact| next to the largest stated half-width, and whether every exact figure
// was inside its interval. Asserts nothing.
//
//   bench_sketch_drift [--rows N] [--days D]   (default 2,000,000 rows over 30 days)
#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/services/FeatureSketching.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/BenchOutput.h"
#include "tests/support/TestServers.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonObject>

#include <cmath>
#include <random>

using namespace mldeck;
using mldeck::bench::die;

namespace {

const QStringList kNumeric{QStringLiteral("normal"), QStringLiteral("lognormal"), QStringLiteral("ties"),
                           QStringLiteral("bimodal")};

void say(const QString &line)
{
    mldeck::bench::out() << line << Qt::endl;
}

double seconds(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e9;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("rows"), QStringLiteral("Predictions logged (default 2000000)."),
                      QStringLiteral("n"), QStringLiteral("2000000")});
    parser.addOption({QStringLiteral("days"), QStringLiteral("Days they span (default 30)."), QStringLiteral("d"),
                      QStringLiteral("30")});
    parser.process(app);
    const qint64 n = std::max<qint64>(10000, parser.value(QStringLiteral("rows")).toLongLong());
    const int days = std::clamp(parser.value(QStringLiteral("days")).toInt(), 3, 365);

    QString why;
    if (!test::TestServers::available(&why))
        die(why);
    test::ScratchDatabase db(QStringLiteral("benchsketchdrift"));
    auto opened = PgConnection::open(db.endpoint(), QStringLiteral("bench_sketch_drift"));
    if (!opened)
        die(opened.errorMessage());
    PgConnection &conn = *opened.value();
    if (const auto m = Migrator::migrate(conn); !m)
        die(m.errorMessage());
    FeatureSchema schema;
    for (const QString &f : kNumeric)
        schema.features.push_back({f, FeatureSpec::Kind::Numeric, {}});
    schema.features.push_back({QStringLiteral("zone"), FeatureSpec::Kind::Categorical, {}});
    const QString dep = QStringLiteral("eta");
    if (auto e = DeploymentStore(conn).ensure(dep, {}, schema); !e)
        die(e.errorMessage());

    const qint64 hourUs = 3600LL * 1'000'000;
    const qint64 endUs = (QDateTime::currentMSecsSinceEpoch() * 1000 / hourUs) * hourUs; // a whole hour
    const qint64 startUs = endUs - qint64(days) * 24 * hourUs;
    PredictionLog log(conn);
    const QDate first = QDateTime::fromMSecsSinceEpoch(startUs / 1000, Qt::UTC).date();
    if (auto p = log.ensurePartitions(first, first.addDays(days + 1)); !p)
        die(p.errorMessage());

    // Rows evenly over the days; from the middle on, "normal" moves by 0.1 sd and "zone" leans a little.
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_real_distribution<double> uniform(0, 1);
    QElapsedTimer t;
    t.start();
    std::vector<PredictionRow> batch;
    const double step = double(endUs - startUs) / double(n);
    for (qint64 i = 0; i < n; ++i) {
        PredictionRow r;
        r.deployment = dep;
        r.tsMicros = startUs + qint64(double(i) * step);
        r.requestKey = QString::number(i);
        const bool late = i > n / 2;
        const double x = normal(rng) + (late ? 0.1 : 0);
        const double bimodal = uniform(rng) < 0.3 ? normal(rng) - 4 : normal(rng) * 0.5 + 3;
        r.features.numeric = {float(x), float(std::exp(normal(rng))), float(std::round(uniform(rng) * 40) / 4),
                              float(bimodal)};
        const double u = uniform(rng) + (late ? 0.02 : 0);
        r.features.categorical = {u < 0.3 ? QStringLiteral("north")
                                          : (u < 0.7 ? QStringLiteral("south") : QStringLiteral("east"))};
        r.predicted = 3 * x + bimodal;
        r.latencyMs = 1;
        batch.push_back(std::move(r));
        if (batch.size() == 10000 || i + 1 == n) {
            if (auto s = log.appendPredictions(batch); !s)
                die(s.errorMessage());
            batch.clear();
        }
    }
    const double logSeconds = seconds(t);
    say(QStringLiteral("logged %1 predictions over %2 days through COPY (every KPI trigger on) in %3 s: %4 rows/s")
            .arg(n)
            .arg(days)
            .arg(logSeconds, 0, 'f', 1)
            .arg(double(n) / logSeconds, 0, 'f', 0));

    t.restart();
    FeatureSketchingOptions options;
    options.runBudgetMs = 0;
    const auto sketched = sketchCompletedHours(conn, dep, endUs + 3600LL * 1'000'000, options);
    if (!sketched)
        die(sketched.errorMessage());
    say(QStringLiteral("sketched %1 hours (%2 predictions) in %3 s")
            .arg(sketched->hours)
            .arg(sketched->rows)
            .arg(seconds(t), 0, 'f', 1));

    const QDateTime refFrom = QDateTime::fromMSecsSinceEpoch(startUs / 1000, Qt::UTC);
    const QString reference = QStringLiteral("period:%1/%2")
                                  .arg(refFrom.toString(Qt::ISODate), refFrom.addSecs(2 * 3600).toString(Qt::ISODate));
    for (const QString &test : {QStringLiteral("ks"), QStringLiteral("wasserstein"), QStringLiteral("psi"),
                                QStringLiteral("jensenshannon")}) {
        QJsonObject tests;
        for (const QString &f : kNumeric)
            tests.insert(f, test);
        tests.insert(QStringLiteral("__prediction__"), test);
        if (auto s = DriftData(conn).setDriftSettings(dep, {{QStringLiteral("reference"), reference},
                                                            {QStringLiteral("max_rows"), 100'000'000},
                                                            {QStringLiteral("multivariate"), false},
                                                            {QStringLiteral("tests"), tests}});
            !s)
            die(s.errorMessage());
        DriftCheckRequest request;
        request.deployment = dep;
        request.now = QDateTime::fromMSecsSinceEpoch(endUs / 1000, Qt::UTC);
        request.windowSeconds = qint64(days - 1) * 24 * 3600;
        t.restart();
        auto fromSketches = runDriftCheck(conn, request);
        const double sketchSeconds = seconds(t);
        request.sketches = DriftCheckRequest::Sketches::Never;
        t.restart();
        auto exact = runDriftCheck(conn, request);
        const double exactSeconds = seconds(t);
        if (!fromSketches || !exact)
            die(fromSketches ? exact.errorMessage() : fromSketches.errorMessage());
        double largestDiff = 0, largestHalfWidth = 0;
        int inside = 0, numeric = 0, undecided = 0;
        qint64 rows = 0;
        for (const auto &e : exact->result.features) {
            if (e.kind != drift::FeatureKind::Numeric || e.currentCount == 0)
                continue;
            for (const auto &s : fromSketches->result.features) {
                if (s.name != e.name || !s.sketch)
                    continue;
                ++numeric;
                rows = std::max(rows, s.currentCount);
                largestDiff = std::max(largestDiff, std::fabs(s.statistic - e.statistic));
                largestHalfWidth = std::max(largestHalfWidth, std::max(s.sketch->statisticHigh - s.statistic,
                                                                       s.statistic - s.sketch->statisticLow));
                const double tol = 1e-9 * std::max(1.0, std::fabs(e.statistic));
                inside += e.statistic >= s.sketch->statisticLow - tol && e.statistic <= s.sketch->statisticHigh + tol;
                undecided += !s.sketch->decided;
                say(QStringLiteral("  %1 %2: exact %3, sketches %4 in [%5, %6]%7")
                        .arg(test, e.name)
                        .arg(e.statistic, 0, 'g', 5)
                        .arg(s.statistic, 0, 'g', 5)
                        .arg(s.sketch->statisticLow, 0, 'g', 5)
                        .arg(s.sketch->statisticHigh, 0, 'g', 5)
                        .arg(e.pValue ? QStringLiteral(" (exact p %1, sketches p in [%2, %3])")
                                            .arg(*e.pValue, 0, 'g', 3)
                                            .arg(s.sketch->pValueLow.value_or(0), 0, 'g', 3)
                                            .arg(s.sketch->pValueHigh.value_or(1), 0, 'g', 3)
                                      : QString()));
            }
        }
        say(QStringLiteral("%1: window of %2 rows (%3 hours from sketches, %4 raw rows): sketches %5 s, exact %6 s, "
                           "exact / sketches %7x; largest |sketch - exact| %8, largest half-width %9; %10 of %11 "
                           "exact figures inside their interval; %12 undecided")
                .arg(test)
                .arg(rows)
                .arg(fromSketches->sketchedHours)
                .arg(fromSketches->rawRows)
                .arg(sketchSeconds, 0, 'f', 3)
                .arg(exactSeconds, 0, 'f', 2)
                .arg(exactSeconds / sketchSeconds, 0, 'f', 0)
                .arg(largestDiff, 0, 'g', 3)
                .arg(largestHalfWidth, 0, 'g', 3)
                .arg(inside)
                .arg(numeric)
                .arg(undecided));
    }
    return 0;
}
