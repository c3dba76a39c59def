#include "core/demo/RideDelayGenerator.h"
#include "core/demo/RideOfferGenerator.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/CompareService.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/EvaluationData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/SignalArgs.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QSignalSpy>
#include <QTest>

using namespace mldeck;

// A comparison on a window of the prediction log: logged features joined with the latest outcome.
class TestCompareWindow final : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;
    QString m_deployment;
    qint64 m_start = 1714521600LL * 1000000; // 2024-05-01T00:00:00Z
    int m_withOutcome = 0;

    static QString model(const char *name)
    {
        return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + QLatin1String(name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("evalwin"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        QVERIFY(Migrator::migrate(*conn.value()).ok());
        m_deployment = test::uniqueName(QStringLiteral("eta"));
        auto schema = DeploymentStore(*conn.value()).ensure(m_deployment, QString(), RideDelayGenerator::schema());
        QVERIFY2(schema.ok(), qPrintable(schema.errorMessage()));

        RideDelayGenerator gen(11);
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < 600; ++i) {
            const RideRequest r = gen.next(m_start + qint64(i) * 60'000'000);
            PredictionRow p;
            p.tsMicros = r.tsMicros;
            p.deployment = m_deployment;
            p.requestKey = r.requestKey;
            p.path = PredictionPath::Heuristic;
            p.predicted = heuristicDelay(r.features);
            p.featureSchema = schema.value();
            p.features = r.features;
            p.failed = i % 50 == 7; // failed predictions are not scored
            predictions.push_back(p);
            if (i % 10 != 3 && !p.failed) { // some requests never get an outcome
                // A first, wrong observation and a later correction: the latest wins.
                outcomes.push_back({r.tsMicros + 1'000'000, m_deployment, r.requestKey, -999});
                outcomes.push_back({r.tsMicros + 2'000'000, m_deployment, r.requestKey, r.actualDelay});
                ++m_withOutcome;
            }
        }
        PredictionLog log(*conn.value());
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());
    }

    void windowJoinsLatestOutcome()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY(conn.ok());
        auto ds = EvaluationData(*conn.value()).load(m_deployment, m_start, m_start + 600LL * 60'000'000);
        QVERIFY2(ds.ok(), qPrintable(ds.errorMessage()));
        QCOMPARE(ds->rowCount(), m_withOutcome);
        for (double y : ds->target)
            QVERIFY(y != -999); // never the superseded observation
        QVERIFY(std::is_sorted(ds->tsMicros.begin(), ds->tsMicros.end()));
        QCOMPARE(ds->numeric.size(), RideDelayGenerator::kNumericCount);
        QCOMPARE(ds->categorical[QStringLiteral("pickup_zone")].codes.size(), size_t(m_withOutcome));

        auto empty = EvaluationData(*conn.value()).load(m_deployment, m_start - 3600'000'000LL, m_start);
        QVERIFY(!empty.ok());
        auto bad = EvaluationData(*conn.value()).load(QStringLiteral("no such; deployment"), m_start, m_start + 1);
        QVERIFY(bad.errorMessage().contains(QStringLiteral("not a deployment name")));
    }

    void compareMlpAndLstmOnTheWindow()
    {
        CompareRequest req;
        req.models = {model("eta_mlp.pt"), model("eta_lstm.pt")};
        req.pg = m_db->endpoint();
        req.deployment = m_deployment;
        req.windowEndMicros = m_start + 600LL * 60'000'000;
        req.windowSeconds = 600 * 60;
        req.resamples = 300;
        req.latencySamples = 5;
        const auto out = runComparison(req);
        QVERIFY2(out.ok(), qPrintable(out.errorMessage()));
        const auto &r = *out;
        QCOMPARE(r.rows, m_withOutcome);
        QCOMPARE(r.models.size(), size_t(2));
        QCOMPARE(r.deltas.size(), size_t(2)); // MAE and RMSE of B vs A
        QCOMPARE(r.verdicts.size(), 1);
        QVERIFY(r.models[0].regression.mae > 0 && r.models[0].regression.mae < 20);
        QVERIFY(!r.segments.empty());
        QVERIFY(std::any_of(r.segments.begin(), r.segments.end(),
                            [](const auto &s) { return s.segment == QLatin1String("hour"); }));
    }

    // A classification deployment's window: the logged offers with their drivers' answers (class indices),
    // two classifiers compared on them (accuracy and log-loss), every labelled row counted once.
    void compareClassifiersOnTheWindow()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY(conn.ok());
        NewDeployment d;
        d.name = test::uniqueName(QStringLiteral("accept"));
        d.task = QStringLiteral("classification");
        d.schema = RideOfferGenerator::schema();
        d.classSpec = RideOfferGenerator::classSpec();
        const auto created = DeploymentStore(*conn.value()).create(d, Actor::current());
        QVERIFY2(created.ok(), qPrintable(created.errorMessage()));
        RideOfferGenerator gen(12);
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        std::array<qint64, 2> labelled{};
        for (int i = 0; i < 400; ++i) {
            const RideOffer o = gen.next(m_start + qint64(i) * 60'000'000);
            PredictionRow p;
            p.tsMicros = o.tsMicros;
            p.deployment = d.name;
            p.requestKey = o.requestKey;
            p.path = PredictionPath::Heuristic;
            p.predictedClass = 1;
            p.predicted = 0.64;
            p.probabilities = {0.36f, 0.64f};
            p.featureSchema = created->featureSchemaId;
            p.features = o.features;
            predictions.push_back(p);
            if (i % 4 != 1) { // a quarter of the drivers never answered
                outcomes.push_back({o.tsMicros + 30'000'000, d.name, o.requestKey, double(o.accepted)});
                ++labelled[size_t(o.accepted)];
            }
        }
        PredictionLog log(*conn.value());
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());

        CompareRequest req;
        req.models = {model("fixtures/accept_logistic.pt"), model("accept_mlp.pt")};
        req.pg = m_db->endpoint();
        req.deployment = d.name;
        req.windowEndMicros = m_start + 400LL * 60'000'000;
        req.windowSeconds = 400 * 60;
        req.resamples = 200;
        req.latencySamples = 5;
        const auto out = runComparison(req);
        QVERIFY2(out.ok(), qPrintable(out.errorMessage()));
        const auto &r = *out;
        QCOMPARE(r.task, QStringLiteral("classification"));
        QCOMPARE(r.rows, labelled[0] + labelled[1]);
        QCOMPARE(r.classSpec.classes, RideOfferGenerator::classSpec().classes);
        for (const auto &m : r.models) {
            QVERIFY(m.classification.has_value());
            const auto &c = m.classification->figures.confusion;
            QCOMPARE(c[0] + c[1], labelled[0]); // true class declined, either served class
            QCOMPARE(c[2] + c[3], labelled[1]);
            QVERIFY(*m.classification->figures.accuracy > 0.6 && *m.classification->figures.accuracy < 0.9);
        }
        QCOMPARE(r.deltas.size(), size_t(2));
        QCOMPARE(r.deltas[0].metric, QStringLiteral("accuracy"));
        QCOMPARE(r.deltas[1].metric, QStringLiteral("log_loss"));
    }

    void serviceEmitsExactlyOnceAndCancels()
    {
        CompareService service;
        QSignalSpy spy(&service, &CompareService::finished);
        CompareRequest req;
        req.models = {model("eta_mlp.pt"), model("eta_lstm.pt")};
        req.pg = m_db->endpoint();
        req.deployment = m_deployment;
        req.windowEndMicros = m_start + 600LL * 60'000'000;
        req.windowSeconds = 600 * 60;
        req.resamples = 100000; // long enough to be cancelled in the bootstrap at the latest
        QVERIFY(service.start(req));
        QVERIFY(!service.start(req)); // one at a time
        service.cancel();
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 1, 60000);
        const auto &cancelled = test::signalArg<Result<stats::ComparisonReport>>(spy.at(0).at(0));
        QVERIFY(!cancelled.ok() && cancelled.error().isCancelled());
        QVERIFY(!test::happensWithin([&] { return spy.count() > 1; }, 300));
        QVERIFY(!service.isRunning());

        // A window without PostgreSQL fails cleanly, once.
        req.pg.reset();
        req.resamples = 0;
        QVERIFY(service.start(req));
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 2, 60000);
        const auto &failed = test::signalArg<Result<stats::ComparisonReport>>(spy.at(1).at(0));
        QVERIFY(!failed.ok() && !failed.error().isCancelled());
        QVERIFY(failed.errorMessage().contains(QStringLiteral("PostgreSQL")));
    }
};

QTEST_GUILESS_MAIN(TestCompareWindow)
#include "test_comparewindow.moc"
