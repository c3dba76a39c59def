// bench_nanny: can the nanny model keep up with the serving rate (2,000 predictions/s on the 2-core
// machine)? Prints figures; asserts nothing.
//
//   bench_nanny [--rows N] [--batch B] [--threads T]
// 1. Trains a nanny for the demo model (eta_mlp.pt) on 5,000 rides of the demo generator: seconds.
// 2. Scores N rides (default 200,000) through NannyScorer in batches of B (default 5,000): encoding in
//    this process plus the worker's forward pass, the path the guard takes: rows/s against 2,000/s.
// 3. With MLDECK_TEST_PG_URL set: the whole guard path in a fresh scratch database, N/4 logged ML
//    predictions read back, scored and added to the KPI aggregates batch by batch (NannyScoringSession).
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/Nanny.h"
#include "core/services/DriftReference.h"
#include "core/services/ModelOperations.h"
#include "core/services/NannyScoring.h"
#include "core/services/NannyTraining.h"
#include "core/store/pg/DeploymentStore.h"
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
#include <QTemporaryDir>

using namespace mldeck;
using mldeck::bench::die;
using mldeck::bench::out;

namespace {

constexpr double kServingRate = 2000;

QString demoModel()
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_mlp.pt");
}

void rides(RideDelayGenerator &gen, qint64 n, qint64 fromMicros, qint64 stepMicros, std::vector<RideRequest> &out)
{
    for (qint64 i = 0; i < n; ++i)
        out.push_back(gen.next(fromMicros + i * stepMicros));
}

std::vector<FeatureRow> featuresOf(const std::vector<RideRequest> &r)
{
    std::vector<FeatureRow> f;
    f.reserve(r.size());
    for (const RideRequest &x : r)
        f.push_back(x.features);
    return f;
}

// Step 3: the guard's path through PostgreSQL.
void throughPostgres(ModelRunner &champion, qint64 rows, qint64 batch, int threads)
{
    test::ScratchDatabase db(QStringLiteral("bench_nanny"));
    auto conn = PgConnection::open(db.endpoint(), QStringLiteral("bench_nanny"));
    if (!conn)
        die(conn.errorMessage());
    if (auto m = Migrator::migrate(**conn); !m)
        die(m.errorMessage());
    const QString dep = QStringLiteral("bench");
    if (auto s = DeploymentStore(**conn).ensure(dep, QStringLiteral("bench"), RideDelayGenerator::schema()); !s)
        die(s.errorMessage());
    QTemporaryDir store;
    const Actor actor{QStringLiteral("bench"), QStringLiteral("bench"), QStringLiteral("bench")};
    models::RegisterRequest reg;
    reg.file = demoModel();
    reg.deployment = dep;
    reg.version = QStringLiteral("1");
    reg.storeDirectory = store.path();
    if (auto r = models::registerModel(**conn, reg, actor); !r)
        die(r.errorMessage());
    if (auto p = models::promote(**conn, std::nullopt, dep, QStringLiteral("1"), QStringLiteral("champion"),
                                 QStringLiteral("bench"), actor);
        !p)
        die(p.errorMessage());

    RideDelayGenerator gen(3);
    const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
    const qint64 refRows = 5000;
    std::vector<RideRequest> all;
    rides(gen, refRows, now - 4 * 3'600'000'000LL, 1'000'000, all);
    const qint64 liveFrom = now - 3 * 3'600'000'000LL;
    rides(gen, rows, liveFrom, std::max<qint64>(1, 2 * 3'600'000'000LL / rows), all);
    const auto predicted = champion.predict(featuresOf(all));
    if (!predicted)
        die(predicted.errorMessage());
    std::vector<PredictionRow> log;
    std::vector<OutcomeRow> outcomes;
    for (size_t i = 0; i < all.size(); ++i) {
        PredictionRow p;
        p.tsMicros = all[i].tsMicros;
        p.deployment = dep;
        p.requestKey = QString::number(i);
        p.modelVersion = QStringLiteral("1");
        p.path = PredictionPath::Ml;
        p.predicted = (*predicted)[i];
        p.features = all[i].features;
        log.push_back(p);
        if (qint64(i) < refRows)
            outcomes.push_back(OutcomeRow{p.tsMicros + 1'000'000, dep, p.requestKey, all[i].actualDelay});
    }
    PredictionLog pl(**conn);
    if (auto s = pl.appendPredictions(log); !s)
        die(s.errorMessage());
    if (auto s = pl.appendOutcomes(outcomes); !s)
        die(s.errorMessage());
    if (auto s = setDriftReference(**conn, dep, QStringLiteral("first_rows:5000"), actor); !s)
        die(s.errorMessage());
    NannyTrainingRequest request;
    request.deployment = dep;
    request.backfillSeconds = 3 * 3600 + 60;
    if (auto t = trainDeploymentNanny(**conn, request, actor); !t)
        die(t.errorMessage());
    NannyScoringOptions options;
    options.batchRows = batch;
    options.maxRowsPerRun = rows * 2;
    options.runBudgetMs = 0; // the whole backlog in one run: the rate, not the guard's share
    options.threads = threads;
    NannyScoringSession session(options);
    QElapsedTimer clock;
    clock.start();
    const auto scored = session.run(**conn, dep, now);
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    if (!scored)
        die(scored.errorMessage());
    out() << QStringLiteral("3. through PostgreSQL: %1 predictions read, scored and added in %2 s (%3 batches): "
                            "%4 rows/s, %5x the serving rate; %6 s of it in the worker\n")
                 .arg(scored->scored)
                 .arg(seconds, 0, 'f', 2)
                 .arg(scored->batches)
                 .arg(double(scored->scored) / seconds, 0, 'f', 0)
                 .arg(double(scored->scored) / seconds / kServingRate, 0, 'f', 1)
                 .arg(scored->workerMs / 1000, 0, 'f', 2);
    out().flush();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("rows"), QStringLiteral("Rides to score (default 200000)."), QStringLiteral("n"),
                      QStringLiteral("200000")});
    parser.addOption({QStringLiteral("batch"), QStringLiteral("Rows per worker request (default 5000)."),
                      QStringLiteral("n"), QStringLiteral("5000")});
    parser.addOption({QStringLiteral("threads"), QStringLiteral("Torch threads of the scoring worker (default 1)."),
                      QStringLiteral("n"), QStringLiteral("1")});
    parser.process(app);
    const qint64 rows = parser.value(QStringLiteral("rows")).toLongLong();
    const qint64 batch = parser.value(QStringLiteral("batch")).toLongLong();
    const int threads = parser.value(QStringLiteral("threads")).toInt();
    if (rows < 1000 || batch < 1 || threads < 1)
        die(QStringLiteral("--rows >= 1000, --batch >= 1, --threads >= 1"));

    auto champion = ModelRunner::load(demoModel());
    if (!champion)
        die(champion.errorMessage());
    RideDelayGenerator gen(1);
    std::vector<RideRequest> reference;
    rides(gen, 5000, 1'700'000'000'000'000LL, 1'000'000, reference);
    std::vector<double> actual;
    for (const RideRequest &r : reference)
        actual.push_back(r.actualDelay);
    QElapsedTimer clock;
    clock.start();
    auto nanny = trainNanny(**champion, featuresOf(reference), actual);
    if (!nanny)
        die(nanny.errorMessage());
    out() << QStringLiteral("1. training on 5000 rows: %1 s, %2 epochs (best %3), validation estimated MAE %4 vs "
                            "realised %5\n")
                 .arg(double(clock.nsecsElapsed()) / 1e9, 0, 'f', 2)
                 .arg(nanny->meta.epochs)
                 .arg(nanny->meta.bestEpoch)
                 .arg(nanny->meta.validationEstimatedMae, 0, 'f', 3)
                 .arg(nanny->meta.validationRealisedMae, 0, 'f', 3);
    out().flush();

    std::vector<RideRequest> live;
    rides(gen, rows, 1'700'100'000'000'000LL, 500, live);
    const std::vector<FeatureRow> features = featuresOf(live);
    const auto predicted = (*champion)->predict(features);
    if (!predicted)
        die(predicted.errorMessage());
    auto scorer = NannyScorer::create(*nanny);
    if (!scorer)
        die(scorer.errorMessage());
    (*scorer)->setThreads(threads);
    if (auto warm = (*scorer)->score({features.front()}, {predicted->front()}); !warm) // the worker's start
        die(warm.errorMessage());
    clock.restart();
    for (qint64 begin = 0; begin < rows; begin += batch) {
        const qint64 end = std::min(rows, begin + batch);
        const std::vector<FeatureRow> part(features.begin() + begin, features.begin() + end);
        const std::vector<double> p(predicted->begin() + begin, predicted->begin() + end);
        if (auto s = (*scorer)->score(part, p); !s)
            die(s.errorMessage());
    }
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    out() << QStringLiteral("2. scoring %1 rows in batches of %2, %3 torch thread(s): %4 s, %5 rows/s, %6x the "
                            "serving rate of 2,000/s\n")
                 .arg(rows)
                 .arg(batch)
                 .arg(threads)
                 .arg(seconds, 0, 'f', 2)
                 .arg(double(rows) / seconds, 0, 'f', 0)
                 .arg(double(rows) / seconds / kServingRate, 0, 'f', 1);
    out().flush();
    if (!qEnvironmentVariableIsEmpty("MLDECK_TEST_PG_URL"))
        throughPostgres(**champion, rows / 4, batch, threads);
    else
        out() << QStringLiteral("3. skipped: MLDECK_TEST_PG_URL is not set\n");
    return 0;
}
