// The nanny model against real PostgreSQL and a real model worker: trained on the deployment's drift
// reference, scoring the log into the KPI aggregates, its estimate rising under drift before any outcome
// arrives and matching the realised MAE once outcomes are in; a new champion gets its own nanny.
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/ModelRunner.h"
#include "core/services/DriftReference.h"
#include "core/services/NannyQuality.h"
#include "core/services/NannyScoring.h"
#include "core/services/NannyTraining.h"
#include "core/services/guard/GuardJob.h"
#include "tests/integration/retrain/RetrainFixture.h"

#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

constexpr qint64 kMinute = 60'000'000;

// Relative tolerance of the estimated MAE against the realised MAE of a window of 1,200 rides, with and
// without drift. Measured: see resources/contract/nanny.md ("Accuracy on the demo").
constexpr double kTolerance = 0.15;

struct Window
{
    qint64 from = 0;
    qint64 to = 0;
};

} // namespace

class TestNanny : public QObject
{
    Q_OBJECT

private:
    RetrainFixture f;
    std::unique_ptr<ModelRunner> champion;
    std::vector<OutcomeRow> pendingOutcomes;

    // `rows` rides in [from, to), predicted by the champion and logged as its ML predictions (version 1);
    // their outcomes logged now (withOutcomes) or kept in pendingOutcomes for later.
    void logRides(RideDelayGenerator &gen, int rows, qint64 from, qint64 to, bool withOutcomes, const QString &tag)
    {
        std::vector<RideRequest> rides;
        std::vector<FeatureRow> features;
        for (int i = 0; i < rows; ++i) {
            RideRequest r = gen.next(from + (to - from) * i / rows);
            r.requestKey = QStringLiteral("%1-%2").arg(tag).arg(i);
            features.push_back(r.features);
            rides.push_back(r);
        }
        const auto predicted = champion->predict(features);
        QVERIFY2(predicted, qPrintable(predicted.errorMessage()));
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (size_t i = 0; i < rides.size(); ++i) {
            PredictionRow p;
            p.tsMicros = rides[i].tsMicros;
            p.deployment = f.dep;
            p.requestKey = rides[i].requestKey;
            p.modelVersion = QStringLiteral("1");
            p.path = PredictionPath::Ml;
            p.predicted = (*predicted)[i];
            p.features = rides[i].features;
            predictions.push_back(p);
            outcomes.push_back(OutcomeRow{rides[i].tsMicros + 1'000'000, f.dep, rides[i].requestKey,
                                          rides[i].actualDelay});
        }
        PredictionLog log(*f.conn);
        QVERIFY2(log.appendPredictions(predictions), "predictions logged");
        if (withOutcomes)
            QVERIFY2(log.appendOutcomes(outcomes), "outcomes logged");
        else
            pendingOutcomes.insert(pendingOutcomes.end(), outcomes.begin(), outcomes.end());
    }

    // From the minute aggregates: {estimated MAE, scored, realised MAE, labelled} of a window.
    QStringList window(const Window &w)
    {
        const auto r = query(*f.conn,
                             QStringLiteral("SELECT sum(est_abs_err_sum) / nullif(sum(est_count), 0), sum(est_count), "
                                            "sum(sum_abs_err) / nullif(sum(labelled), 0), sum(labelled) "
                                            "FROM mldeck.kpi_minute WHERE deployment = $1 AND path = 'ml' "
                                            "AND bucket >= to_timestamp($2::float8 / 1e6) "
                                            "AND bucket < to_timestamp($3::float8 / 1e6)"),
                             {f.dep, QString::number(w.from), QString::number(w.to)});
        return r && !r->isEmpty() ? r->first() : QStringList();
    }

private Q_SLOTS:
    void init()
    {
        const QString failed = f.setUp(QStringLiteral("nanny"));
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
        auto runner = ModelRunner::load(demoModel());
        QVERIFY2(runner, qPrintable(runner.errorMessage()));
        champion = std::move(runner).value();
        pendingOutcomes.clear();
    }

    void cleanup()
    {
        champion.reset();
        f.tearDown();
    }

    void refusesTooFewReferenceRows()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")));
        QVERIFY(f.promote(QStringLiteral("1")));
        RideDelayGenerator gen(11);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
        logRides(gen, 300, now - 120 * kMinute, now - 90 * kMinute, true, QStringLiteral("ref"));
        QVERIFY(setDriftReference(*f.conn, f.dep, QStringLiteral("first_rows:300"), kRetrainActor));
        NannyTrainingRequest request;
        request.deployment = f.dep;
        const auto trained = trainDeploymentNanny(*f.conn, request, kRetrainActor);
        QVERIFY(!trained);
        QVERIFY2(trained.errorMessage().contains(QLatin1String("at least 500")), qPrintable(trained.errorMessage()));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.nanny_models")), 0);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'nanny.train'")), 0);
    }

    void estimateRisesUnderDriftBeforeOutcomes()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")));
        QVERIFY(f.promote(QStringLiteral("1")));
        RideDelayGenerator gen(5);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000 / kMinute * kMinute; // a whole minute
        // The reference: 4,000 rides with their outcomes, two to three days ago.
        logRides(gen, 4000, now - 72 * 60 * kMinute, now - 50 * 60 * kMinute, true, QStringLiteral("ref"));
        QVERIFY(setDriftReference(*f.conn, f.dep, QStringLiteral("first_rows:4000"), kRetrainActor));
        NannyTrainingRequest request;
        request.deployment = f.dep;
        request.reason = QStringLiteral("test");
        request.backfillSeconds = 27 * 3600;
        const auto trained = trainDeploymentNanny(*f.conn, request, kRetrainActor);
        QVERIFY2(trained, qPrintable(trained.errorMessage()));
        QVERIFY(trained->current);
        QCOMPARE(trained->nannyModelVersion, QStringLiteral("1"));
        QCOMPARE(trained->rows, qint64(4000));
        QVERIFY(trained->meta);
        qInfo("nanny: %d epochs (best %d), validation: estimated MAE %.3f, realised %.3f, per-row %.3f",
              trained->meta->epochs, trained->meta->bestEpoch, trained->meta->validationEstimatedMae,
              trained->meta->validationRealisedMae, trained->meta->validationMae);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'nanny.train' "
                                        "AND deployment = $1"),
                         {f.dep}),
                 1);

        // Live traffic without outcomes: two hours yesterday, then the same two hours of the day today under
        // the drift scenario (hour of day is a feature: the windows must not differ by it).
        const Window normal{now - (24 * 60 + 150) * kMinute, now - (24 * 60 + 30) * kMinute};
        const Window drifted{now - 150 * kMinute, now - 30 * kMinute};
        logRides(gen, 3000, normal.from, normal.to, false, QStringLiteral("normal"));
        gen.setDrift(1.0);
        logRides(gen, 3000, drifted.from, drifted.to, false, QStringLiteral("drift"));

        NannyScoringOptions options;
        options.batchRows = 1000; // several batches, each moving the watermark
        NannyScoringSession session(options);
        const auto scored = session.run(*f.conn, f.dep, now);
        QVERIFY2(scored, qPrintable(scored.errorMessage()));
        QCOMPARE(scored->scored, qint64(6000));
        QVERIFY(scored->batches >= 6);
        QCOMPARE(scored->watermarkMicros, now - options.settleSeconds * 1'000'000);
        qInfo("scored %lld predictions in %lld batches, %.1f ms in the worker", scored->scored, scored->batches,
              scored->workerMs);
        QCOMPARE(queryValue(*f.conn,
                            QStringLiteral("SELECT sum(est_count) FROM mldeck.kpi_hour WHERE deployment = $1"), {f.dep}),
                 QStringLiteral("6000"));
        const auto again = session.run(*f.conn, f.dep, now + 5 * 1'000'000);
        QVERIFY2(again, qPrintable(again.errorMessage()));
        QCOMPARE(again->scored, qint64(0)); // nothing is scored twice

        // Before the outcomes: estimates only, and the drifted window's is higher.
        const QStringList before = window(normal), beforeDrift = window(drifted);
        QCOMPARE(before.value(1), QStringLiteral("3000"));
        QCOMPARE(before.value(3), QStringLiteral("0"));
        QCOMPARE(beforeDrift.value(3), QStringLiteral("0"));
        const double estNormal = before.value(0).toDouble(), estDrift = beforeDrift.value(0).toDouble();
        qInfo("estimated MAE before outcomes: normal %.3f, drift %.3f", estNormal, estDrift);

        // The outcomes arrive: the estimate is within the tolerance of the realised MAE.
        QVERIFY(PredictionLog(*f.conn).appendOutcomes(pendingOutcomes));
        const QStringList after = window(normal), afterDrift = window(drifted);
        const double realNormal = after.value(2).toDouble(), realDrift = afterDrift.value(2).toDouble();
        qInfo("realised MAE: normal %.3f (estimated %.3f, %+.1f %%), drift %.3f (estimated %.3f, %+.1f %%)", realNormal,
              estNormal, 100 * (estNormal / realNormal - 1), realDrift, estDrift, 100 * (estDrift / realDrift - 1));
        QVERIFY(realDrift > realNormal);
        QVERIFY2(estDrift > estNormal, "the estimate rises under drift");
        QVERIFY2(std::abs(estNormal - realNormal) <= kTolerance * realNormal, "normal window within tolerance");
        QVERIFY2(std::abs(estDrift - realDrift) <= kTolerance * realDrift, "drift window within tolerance");

        // A rebuild of the aggregates keeps the estimates.
        const QString sums = QStringLiteral("SELECT sum(est_count)::text || '/' || round(sum(est_abs_err_sum)::numeric, 6) "
                                            "FROM mldeck.%1 WHERE deployment = $1");
        const QString minuteSums = queryValue(*f.conn, sums.arg(QStringLiteral("kpi_minute")), {f.dep});
        const QString hourSums = queryValue(*f.conn, sums.arg(QStringLiteral("kpi_hour")), {f.dep});
        QVERIFY(query(*f.conn, QStringLiteral("SELECT mldeck.kpi_rebuild($1, now() - interval '27 hours', now())"),
                      {f.dep}));
        QCOMPARE(queryValue(*f.conn, sums.arg(QStringLiteral("kpi_minute")), {f.dep}), minuteSums);
        QCOMPARE(queryValue(*f.conn, sums.arg(QStringLiteral("kpi_hour")), {f.dep}), hourSums);

        // Its own quality, per hour with outcomes.
        const auto quality = readNannyQuality(*f.conn, f.dep, now - 27 * 60 * kMinute, now);
        QVERIFY2(quality, qPrintable(quality.errorMessage()));
        QVERIFY(quality->hours.size() >= 4);
        QVERIFY(quality->meanAbsDiff);
        qInfo("quality: %d hours, mean |estimated - realised| %.3f", int(quality->hours.size()), *quality->meanAbsDiff);
    }

    void newChampionGetsItsOwnNannyFromTheGuard()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")));
        QVERIFY(f.promote(QStringLiteral("1")));
        RideDelayGenerator gen(9);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
        logRides(gen, 1500, now - 300 * kMinute, now - 200 * kMinute, true, QStringLiteral("ref"));
        QVERIFY(setDriftReference(*f.conn, f.dep, QStringLiteral("first_rows:1500"), kRetrainActor));

        auto job = makeNannyGuardJob();
        GuardContext context;
        context.pg = f.db->endpoint();
        context.deployment = f.dep;
        QVERIFY(job->runOnce(context));
        auto status = readNannyStatus(*f.conn, f.dep);
        QVERIFY2(status, qPrintable(status.errorMessage()));
        QVERIFY2(status->current, qPrintable(job->lastSummary()));
        QCOMPARE(status->nannyModelVersion, QStringLiteral("1"));
        const qint64 first = status->nannyId;

        QVERIFY(f.registerFile(QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_lstm.pt"), QStringLiteral("2")));
        QVERIFY(f.promote(QStringLiteral("2")));
        QVERIFY(job->runOnce(context));
        status = readNannyStatus(*f.conn, f.dep);
        QVERIFY2(status, qPrintable(status.errorMessage()));
        QVERIFY2(status->current, qPrintable(job->lastSummary()));
        QCOMPARE(status->nannyModelVersion, QStringLiteral("2"));
        QVERIFY(status->nannyId > first);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'nanny.train' "
                                        "AND deployment = $1"),
                         {f.dep}),
                 2);
        QVERIFY(job->runOnce(context)); // the same champion: no third training
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.nanny_models WHERE deployment = $1"), {f.dep}), 2);
    }
};

QTEST_GUILESS_MAIN(TestNanny)
#include "test_nanny.moc"
