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
#include "core/store/pg/NannyStore.h"
#include "tests/integration/retrain/RetrainFixture.h"
#include "tests/support/LoginRole.h"

#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

constexpr qint64 kMinute = 60'000'000;

// Relative tolerance of the estimated MAE against the realised MAE of a window of 1,200 rides, with and
// without drift. Measured: see resources/contract/nanny.md ("Accuracy on the demo").
constexpr double kTolerance = 0.15;
constexpr qint64 kAnchorHour = 12; // UTC hour of day of the drift test's "now"

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
            outcomes.push_back(
                OutcomeRow{rides[i].tsMicros + 1'000'000, f.dep, rides[i].requestKey, rides[i].actualDelay});
        }
        PredictionLog log(*f.conn);
        QVERIFY2(log.appendPredictions(predictions), "predictions logged");
        if (withOutcomes)
            QVERIFY2(log.appendOutcomes(outcomes), "outcomes logged");
        else
            pendingOutcomes.insert(pendingOutcomes.end(), outcomes.begin(), outcomes.end());
    }

    NannyTrainingRequest request() const
    {
        NannyTrainingRequest r;
        r.deployment = f.dep;
        r.reason = QStringLiteral("test");
        r.params.threads = 1;
        return r;
    }

    static QString iso(qint64 micros)
    {
        return QDateTime::fromMSecsSinceEpoch(micros / 1000, Qt::UTC).toString(Qt::ISODate);
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
        // The windows' hours of the day are features: the test's own "now" is always the same hour of the day
        // (the last 12:00 UTC), so that its rides, nanny and figures do not depend on when it runs.
        const qint64 wall = QDateTime::currentMSecsSinceEpoch() * 1000;
        constexpr qint64 kDay = 24 * 60 * kMinute;
        qint64 now = wall / kDay * kDay + kAnchorHour * 60 * kMinute;
        if (now > wall)
            now -= kDay;
        // The reference: 4,000 rides with their outcomes, two to three days ago.
        logRides(gen, 4000, now - 72 * 60 * kMinute, now - 50 * 60 * kMinute, true, QStringLiteral("ref"));
        QVERIFY(setDriftReference(*f.conn, f.dep, QStringLiteral("first_rows:4000"), kRetrainActor));
        NannyTrainingRequest request;
        request.deployment = f.dep;
        request.reason = QStringLiteral("test");
        request.backfillSeconds = (wall - (now - 27 * 60 * kMinute)) / 1'000'000; // scoring starts at now - 27 h
        request.params.threads = 2;    // the same nanny whatever the machine's cores (2: this machine's default)
        request.params.maxSeconds = 0; // and whatever its speed
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
        options.runBudgetMs = 0;  // all in one run: this test is about the figures, not the guard's share
        NannyScoringSession session(options);
        const auto scored = session.run(*f.conn, f.dep, now);
        QVERIFY2(scored, qPrintable(scored.errorMessage()));
        QCOMPARE(scored->scored, qint64(6000));
        QVERIFY(scored->batches >= 6);
        QCOMPARE(scored->watermarkMicros, now - options.settleSeconds * 1'000'000);
        qInfo("scored %lld predictions in %lld batches, %.1f ms in the worker", scored->scored, scored->batches,
              scored->workerMs);
        QCOMPARE(queryValue(*f.conn, QStringLiteral("SELECT sum(est_count) FROM mldeck.kpi_hour WHERE deployment = $1"),
                            {f.dep}),
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
        const QString sums =
            QStringLiteral("SELECT sum(est_count)::text || '/' || round(sum(est_abs_err_sum)::numeric, 6) "
                           "FROM mldeck.%1 WHERE deployment = $1");
        const QString minuteSums = queryValue(*f.conn, sums.arg(QStringLiteral("kpi_minute")), {f.dep});
        const QString hourSums = queryValue(*f.conn, sums.arg(QStringLiteral("kpi_hour")), {f.dep});
        QVERIFY(query(*f.conn,
                      QStringLiteral("SELECT mldeck.kpi_rebuild($1, to_timestamp($2::float8 / 1e6), "
                                     "to_timestamp($3::float8 / 1e6))"),
                      {f.dep, QString::number(now - 27 * 60 * kMinute), QString::number(now)}));
        QCOMPARE(queryValue(*f.conn, sums.arg(QStringLiteral("kpi_minute")), {f.dep}), minuteSums);
        QCOMPARE(queryValue(*f.conn, sums.arg(QStringLiteral("kpi_hour")), {f.dep}), hourSums);

        // Its own quality, per hour with outcomes.
        const auto quality = readNannyQuality(*f.conn, f.dep, now - 27 * 60 * kMinute, now);
        QVERIFY2(quality, qPrintable(quality.errorMessage()));
        QVERIFY(quality->hours.size() >= 4);
        QVERIFY(quality->meanAbsDiff);
        qInfo("quality: %d hours, mean |estimated - realised| %.3f", int(quality->hours.size()), *quality->meanAbsDiff);
    }

    // A retrain for the same champion (the on-demand `nanny train`) never scores a prediction twice; a row
    // that cannot be scored is skipped, not fatal; while another session holds the deployment, a run is busy.
    void retrainAddsNothingTwiceAndBadRowsAreSkipped()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")));
        QVERIFY(f.promote(QStringLiteral("1")));
        RideDelayGenerator gen(13);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
        logRides(gen, 1000, now - 300 * kMinute, now - 200 * kMinute, true, QStringLiteral("ref"));
        QVERIFY(setDriftReference(*f.conn, f.dep, QStringLiteral("first_rows:1000"), kRetrainActor));
        logRides(gen, 400, now - 50 * kMinute, now - 20 * kMinute, false, QStringLiteral("live"));
        PredictionRow bad; // a logged row whose first feature is not a number
        bad.tsMicros = now - 30 * kMinute + 1;
        bad.deployment = f.dep;
        bad.requestKey = QStringLiteral("bad");
        bad.modelVersion = QStringLiteral("1");
        bad.path = PredictionPath::Ml;
        bad.predicted = 5.0;
        bad.features = gen.next(bad.tsMicros).features;
        bad.features.numeric[0] = std::numeric_limits<float>::quiet_NaN();
        QVERIFY(PredictionLog(*f.conn).appendPredictions({bad}));

        const auto trained = trainDeploymentNanny(*f.conn, request(), kRetrainActor);
        QVERIFY2(trained, qPrintable(trained.errorMessage()));
        // A run stops on its time budget (the guard's share of a round): here after its first batch.
        NannyScoringOptions brief;
        brief.batchRows = 50;
        brief.runBudgetMs = 1;
        NannyScoringSession briefSession(brief);
        const auto first = briefSession.run(*f.conn, f.dep, QDateTime::currentMSecsSinceEpoch() * 1000);
        QVERIFY2(first, qPrintable(first.errorMessage()));
        QCOMPARE(first->batches, qint64(1));
        QVERIFY(first->scored >= 49 && first->scored < 400);
        QVERIFY(!first->caughtUp);

        NannyScoringSession session;
        const QString estimated = QStringLiteral("SELECT coalesce(sum(est_count), 0) FROM mldeck.kpi_hour "
                                                 "WHERE deployment = $1");
        const auto scored = session.run(*f.conn, f.dep, QDateTime::currentMSecsSinceEpoch() * 1000);
        QVERIFY2(scored, qPrintable(scored.errorMessage()));
        QCOMPARE(first->scored + scored->scored, qint64(400));
        QCOMPARE(first->skipped + scored->skipped, qint64(1));
        QVERIFY(scored->caughtUp);
        QCOMPARE(f.count(estimated, {f.dep}), 400);

        // Another session (a second guard) holds the deployment: this run is busy and does nothing.
        auto other = PgConnection::open(f.db->endpoint(), QStringLiteral("other-scorer"));
        QVERIFY2(other, qPrintable(other.errorMessage()));
        const QString lock = QStringLiteral("SELECT %1(hashtext('mldeck.nanny'), hashtext($1))");
        QVERIFY(query(**other, lock.arg(QStringLiteral("pg_advisory_lock")), {f.dep}));
        const auto busy = session.run(*f.conn, f.dep, QDateTime::currentMSecsSinceEpoch() * 1000);
        QVERIFY2(busy, qPrintable(busy.errorMessage()));
        QVERIFY(busy->busy);
        QCOMPARE(busy->scored, qint64(0));
        QVERIFY(query(**other, lock.arg(QStringLiteral("pg_advisory_unlock")), {f.dep}));

        // The same champion again, its new nanny starting an hour back: nothing is added a second time.
        const auto retrained = trainDeploymentNanny(*f.conn, request(), kRetrainActor);
        QVERIFY2(retrained, qPrintable(retrained.errorMessage()));
        QVERIFY(retrained->nannyId > trained->nannyId);
        const auto again = session.run(*f.conn, f.dep, QDateTime::currentMSecsSinceEpoch() * 1000);
        QVERIFY2(again, qPrintable(again.errorMessage()));
        QCOMPARE(again->nannyId, retrained->nannyId);
        QCOMPARE(again->scored, qint64(0));
        QCOMPARE(f.count(estimated, {f.dep}), 400);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.kpi_hour WHERE deployment = $1 "
                                        "AND est_count > count"),
                         {f.dep}),
                 0);
    }

    // The nanny never learns on the champion's training rows: a reference inside its training window is
    // refused, one after it is taken.
    void referenceInTheTrainingWindowIsRefused()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")));
        QVERIFY(f.promote(QStringLiteral("1")));
        RideDelayGenerator gen(17);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
        logRides(gen, 800, now - 300 * kMinute, now - 200 * kMinute, true, QStringLiteral("fit"));
        logRides(gen, 600, now - 90 * kMinute, now - 60 * kMinute, true, QStringLiteral("after"));
        QVERIFY(query(*f.conn,
                      QStringLiteral("UPDATE mldeck.models SET train_from = to_timestamp($2::float8 / 1e6), "
                                     "train_to = to_timestamp($3::float8 / 1e6) WHERE deployment = $1"),
                      {f.dep, QString::number(now - 400 * kMinute), QString::number(now - 100 * kMinute)}));
        for (const QString &spec : {QStringLiteral("first_rows:800"), QStringLiteral("model")}) {
            QVERIFY(setDriftReference(*f.conn, f.dep, spec, kRetrainActor));
            const auto trained = trainDeploymentNanny(*f.conn, request(), kRetrainActor);
            QVERIFY2(!trained, qPrintable(spec));
            QVERIFY2(trained.errorMessage().contains(QLatin1String("overlaps the champion's training window")),
                     qPrintable(trained.errorMessage()));
        }
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.nanny_models")), 0);

        const QString after = QStringLiteral("period:%1/%2").arg(iso(now - 95 * kMinute), iso(now - 55 * kMinute));
        QVERIFY(setDriftReference(*f.conn, f.dep, after, kRetrainActor));
        const auto trained = trainDeploymentNanny(*f.conn, request(), kRetrainActor);
        QVERIFY2(trained, qPrintable(trained.errorMessage()));
        QCOMPARE(trained->rows, qint64(600));
    }

    // nanny_add_estimates takes the version from the nanny and refuses figures that would poison the
    // aggregates; nanny_start is the scientist's and refuses an older nanny; an operator only scores.
    void estimatesAndWatermarkAreGuarded()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")));
        const QString modelId =
            queryValue(*f.conn, QStringLiteral("SELECT id FROM mldeck.models WHERE deployment = $1"), {f.dep});
        const QString insert = QStringLiteral(
            "INSERT INTO mldeck.nanny_models (deployment, model_id, model_version, weights, sha256, meta, reference, "
            "rows, validation_mae) VALUES ($1, $2::bigint, '1', '\\x00'::bytea, repeat('b', 64), '{}'::jsonb, "
            "'test rows', 100, 0.5) RETURNING id");
        const QString older = queryValue(*f.conn, insert, {f.dep, modelId});
        const QString nanny = queryValue(*f.conn, insert, {f.dep, modelId});
        const QString start = QStringLiteral("SELECT mldeck.nanny_start($1, $2::bigint, to_timestamp(0))");
        QVERIFY(!query(*f.conn, start, {f.dep, older}));
        QVERIFY(query(*f.conn, start, {f.dep, nanny}));

        const QString add = QStringLiteral(
            "SELECT mldeck.nanny_add_estimates($1, $2::bigint, to_timestamp($3::float8), to_timestamp($4::float8), "
            "$5::timestamptz[], $6::float8[], $7::bigint[])");
        const QString minute1 = QStringLiteral("{\"1970-01-01 00:01:00+00\"}");
        QVERIFY(query(*f.conn, add,
                      {f.dep, nanny, QStringLiteral("0"), QStringLiteral("120"), minute1, QStringLiteral("{3}"),
                       QStringLiteral("{2}")}));
        const QString minute3 = QStringLiteral("{\"1970-01-01 00:03:00+00\"}");
        const QList<QStringList> refused{
            {QStringLiteral("{NaN}"), QStringLiteral("{1}"), minute3},
            {QStringLiteral("{Infinity}"), QStringLiteral("{1}"), minute3},
            {QStringLiteral("{-1}"), QStringLiteral("{1}"), minute3},
            {QStringLiteral("{1}"), QStringLiteral("{0}"), minute3},
            {QStringLiteral("{1}"), QStringLiteral("{1}"), QStringLiteral("{\"1970-01-01 00:10:00+00\"}")}};
        for (const QStringList &r : refused)
            QVERIFY2(
                !query(*f.conn, add, {f.dep, nanny, QStringLiteral("120"), QStringLiteral("240"), r[2], r[0], r[1]}),
                qPrintable(r.join(QLatin1Char(' '))));
        // Another deployment's nanny, and a watermark that is not where the caller read it.
        QVERIFY(!query(*f.conn, add,
                       {f.dep, QString::number(nanny.toLongLong() + 1000), QStringLiteral("120"), QStringLiteral("240"),
                        minute3, QStringLiteral("{1}"), QStringLiteral("{1}")}));
        bool moved = false;
        QVERIFY(
            !NannyStore(*f.conn).addEstimates(f.dep, nanny.toLongLong(), 0, 240'000'000, {180'000'000}, {1.0}, &moved));
        QVERIFY(moved);
        QCOMPARE(queryValue(*f.conn,
                            QStringLiteral("SELECT sum(est_count)::text || '/' || sum(est_abs_err_sum) || '/' || "
                                           "min(model_version) FROM mldeck.kpi_minute WHERE deployment = $1"),
                            {f.dep}),
                 QStringLiteral("2/3/1"));

        const LoginRole operatorRole{QStringLiteral("mldeck_operator")};
        auto op = PgConnection::open(operatorRole.endpoint(f.db->endpoint()), QStringLiteral("operator"));
        QVERIFY2(op, qPrintable(op.errorMessage()));
        QVERIFY(!query(**op, start, {f.dep, nanny}));
        QVERIFY(query(**op, add,
                      {f.dep, nanny, QStringLiteral("120"), QStringLiteral("240"), minute3, QStringLiteral("{1}"),
                       QStringLiteral("{1}")}));
        QCOMPARE(f.count(QStringLiteral("SELECT sum(est_count) FROM mldeck.kpi_hour WHERE deployment = $1"), {f.dep}),
                 3);
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
