// Retraining end to end against real PostgreSQL, on rides from the reference generator: a retrain beats a
// degraded champion and is promoted (lineage, window, parameters, metrics, audit); a worse candidate is
// never promoted; Cancel in the middle leaves nothing behind; two promotions at once leave one champion;
// the feedback purge deletes only old feedback, audited; settings are audited; cleanup keeps the champions.
#include "RetrainFixture.h"

#include "core/ml/ModelRunner.h"
#include "core/ml/checks/ModelChecks.h"
#include "core/services/ModelCheckOperations.h"
#include "core/services/guard/GuardJob.h"
#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/RetrainStore.h"
#include "core/store/pg/RolloutPlanStore.h"

#include <QJsonObject>

#include <atomic>
#include <thread>

using namespace mldeck;
using namespace mldeck::test;

class TestRetrain : public QObject
{
    Q_OBJECT

private:
    RetrainFixture f;

    retrain::RetrainRequest request(int epochs, double lr, bool fromBase = true) const
    {
        retrain::RetrainRequest r;
        r.deployment = f.dep;
        r.daysBack = 30;
        r.training.epochs = epochs;
        r.training.learningRate = lr;
        r.training.batchSize = 128;
        r.training.startFromBase = fromBase;
        r.training.seed = 11;
        r.force = true;
        r.storeDirectory = f.store->path();
        r.bootstrapResamples = 400;
        return r;
    }

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void init()
    {
        const QString error = f.setUp(QStringLiteral("rt"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString logged = f.logRides(3000, 5, 120, 40);
        QVERIFY2(logged.isEmpty(), qPrintable(logged));
    }

    void cleanup() { f.tearDown(); }

    void refusesWithoutChampionAndWhenNotDue()
    {
        auto r = request(1, 0.001);
        const auto out = retrain::runRetrain(*f.conn, r, kRetrainActor);
        QCOMPARE(out.run.state, QStringLiteral("failed"));
        QVERIFY2(out.run.error.contains(QLatin1String("no champion")), qPrintable(out.run.error));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE state = 'failed'")), 1);
        QCOMPARE(
            f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE state IN ('queued','running')")), 0);

        // Not due (raise the bar) and not forced: refused before anything is recorded.
        RetrainSettings s;
        s.minFeedback = 1000;
        QVERIFY(retrain::saveSettings(*f.conn, f.dep, s, kRetrainActor).ok());
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'retrain.settings'")), 1);
        QCOMPARE(retrain::loadSettings(*f.conn, f.dep)->minFeedback, qint64(1000));
        r.force = false;
        const auto notDue = retrain::runRetrain(*f.conn, r, kRetrainActor);
        QCOMPARE(notDue.run.id, qint64(0));
        QVERIFY2(notDue.run.error.contains(QLatin1String("not due")), qPrintable(notDue.run.error));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs")), 1);

        // Bad parameters: a readable refusal, nothing recorded.
        auto bad = request(0, 0.001);
        QCOMPARE(retrain::runRetrain(*f.conn, bad, kRetrainActor).run.state, QStringLiteral("failed"));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs")), 1);
    }

    void checkReadsTheDatabase()
    {
        // 120 feedback items, 40 negative: 66.7 % satisfied -> due, trigger "feedback".
        const auto check = retrain::checkTriggers(*f.conn, f.dep);
        QVERIFY2(check.ok(), qPrintable(check.errorMessage()));
        QVERIFY(check->due);
        QCOMPARE(check->conditions.at(0).value, std::optional<double>(120.0));
        QCOMPARE(check->conditions.at(1).value, std::optional<double>(40.0));
        QCOMPARE(retrain::triggerFor(*check), QStringLiteral("feedback"));
        const auto summary = retrain::summarizeData(*f.conn, request(1, 0.001));
        QVERIFY2(summary.ok(), qPrintable(summary.errorMessage()));
        QCOMPARE(summary->rows, qint64(3000));
        QCOMPARE(summary->holdoutRows, qint64(600));
        QCOMPARE(summary->trainRows + summary->validationRows, qint64(2400));
        QCOMPARE(summary->validationRows, qint64(360));
        QCOMPARE(summary->feedbackRows, qint64(40));
        QVERIFY(summary->holdoutFrom > summary->from);
        QCOMPARE(qint64(summary->targetHistogram.size()), qint64(20));
    }

    void retrainBeatsDegradedChampionAndIsPromoted()
    {
        const auto degraded = f.degradedModel(f.store->filePath(QStringLiteral("degraded-src.pt")));
        QVERIFY2(degraded.ok(), qPrintable(degraded.errorMessage()));
        const auto base = f.registerFile(*degraded, QStringLiteral("1"));
        QVERIFY2(base.ok(), qPrintable(base.errorMessage()));
        QVERIFY(f.promote(QStringLiteral("1")).ok());

        std::vector<retrain::RetrainStage> stages;
        int epochs = 0;
        auto r = request(4, 0.005, false);
        r.force = false; // due by feedback
        const auto out =
            retrain::runRetrain(*f.conn, r, kRetrainActor, nullptr, [&](const retrain::RetrainProgress &p) {
                if (stages.empty() || stages.back() != p.stage)
                    stages.push_back(p.stage);
                if (p.epoch)
                    ++epochs;
            });
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QCOMPARE(out.run.trigger, QStringLiteral("feedback"));
        QVERIFY(epochs >= 1);
        QCOMPARE(stages.back(), retrain::RetrainStage::Done);
        QVERIFY(stages.size() >= 5);
        QVERIFY(out.decision.has_value());
        QVERIFY2(out.decision->promote, qPrintable(out.decision->reason));
        qInfo("decision: %s", qPrintable(out.decision->reason));
        QCOMPARE(out.decision->metric, retrain::DecisionMetric::Mae);
        QVERIFY(out.decision->candidate < out.decision->champion);
        QVERIFY(!out.candidateVersion.isEmpty());
        QCOMPARE(f.champion(), QStringLiteral("1")); // runRetrain never moves an alias

        // The registry row: parent, window, parameters and metrics.
        const auto model = ModelRegistry(*f.conn).byVersion(f.dep, out.candidateVersion);
        QVERIFY(model.ok());
        QCOMPARE(model->parentVersion, QStringLiteral("1"));
        QVERIFY(model->trainFrom.isValid() && model->trainTo.isValid());
        QVERIFY(model->metrics.contains(QStringLiteral("mae")));
        QVERIFY(model->metrics.contains(QStringLiteral("params")));
        QCOMPARE(model->metrics.value(QStringLiteral("retrain_run")).toInteger(), out.run.id);
        QVERIFY(QFile::exists(model->filePath));

        // The run row.
        QCOMPARE(out.run.baseVersion, QStringLiteral("1"));
        QCOMPARE(out.run.resultVersion, out.candidateVersion);
        QVERIFY(out.run.durationSeconds().value_or(0) > 0);
        QVERIFY(out.run.metrics.contains(QStringLiteral("mae_difference")));
        // The 40 negative-feedback requests are the oldest, all in the training part: each is seen twice.
        QCOMPARE(out.data->trainRows, qint64(2040));
        QCOMPARE(out.run.metrics.value(QStringLiteral("train_rows")).toInt(), 2040 + 40);
        QCOMPARE(out.run.metrics.value(QStringLiteral("holdout_rows")).toInt(), 600);
        QVERIFY(!out.run.decisionReason.isEmpty());
        // Without golden data the run says no promotion checks are configured (never a pass).
        QCOMPARE(out.run.checks.value(QStringLiteral("configured")).toBool(true), false);
        QCOMPARE(out.run.checks.value(QStringLiteral("passed")).toBool(true), false);

        // A plan whose first step has its own combination: starting the rollout again at 10 % drops it
        // with the step (it would otherwise be stored for a percentage that is not a step).
        StagedPlan old;
        old.steps = {5, 50, 100};
        old.stepCombinations.insert(5, GateCombination{GateCombination::Mode::Any, 1, {}});
        QVERIFY(RolloutPlanStore(*f.conn).save(f.dep, old, -1).ok());

        retrain::ApplyOptions apply;
        apply.action = retrain::RetrainAction::Promote;
        apply.startRolloutPlan = true;
        const auto applied = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor);
        QVERIFY2(applied.ok(), qPrintable(applied.errorMessage()));
        QCOMPARE(applied->decision, QStringLiteral("promoted"));
        QCOMPARE(f.champion(), out.candidateVersion);
        QCOMPARE(f.count(QStringLiteral(
                             "SELECT count(*) FROM mldeck.audit_log WHERE action = 'model.promote' AND deployment = $1 "
                             "AND after->>'alias' = 'champion'"),
                         {f.dep}),
                 2);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'retrain.decision'")), 1);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.rollout_plans WHERE deployment = $1"), {f.dep}),
                 1);
        const auto restarted = RolloutPlanStore(*f.conn).load(f.dep);
        QVERIFY(restarted.ok());
        QCOMPARE(restarted->plan.steps, (QList<int>{10, 25, 50, 100}));
        QVERIFY(restarted->plan.stepCombinations.isEmpty());
        // Applied once only.
        QVERIFY(!retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor).ok());

        // History and cleanup: the champion and the previous champion are never archived.
        const auto runs = retrain::history(*f.conn, f.dep);
        QVERIFY(runs.ok());
        QCOMPARE(runs->size(), 1);
        QCOMPARE(runs->first().decision, QStringLiteral("promoted"));
        const auto cleaned = retrain::cleanup(*f.conn, f.dep, 0, kRetrainActor);
        QVERIFY2(cleaned.ok(), qPrintable(cleaned.errorMessage()));
        QVERIFY(cleaned->archived.isEmpty());
        QCOMPARE(f.champion(), out.candidateVersion);
    }

    void worseCandidateIsNeverPromoted()
    {
        const auto good = f.registerFile(demoModel(), QStringLiteral("1"));
        QVERIFY2(good.ok(), qPrintable(good.errorMessage()));
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        const auto out = retrain::runRetrain(*f.conn, request(1, 1e-7, false), kRetrainActor);
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QVERIFY(out.decision.has_value());
        QVERIFY(!out.decision->promote);
        qInfo("decision: %s", qPrintable(out.decision->reason));
        QVERIFY(out.decision->reason.startsWith(QLatin1String("Do not promote")));
        QCOMPARE(out.run.decision, QStringLiteral("rejected"));

        retrain::ApplyOptions apply;
        apply.action = retrain::RetrainAction::Promote;
        const auto refused = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QLatin1String("refused")), qPrintable(refused.errorMessage()));
        QCOMPARE(f.champion(), QStringLiteral("1"));

        // Kept as challenger instead, then cleanup archives it (not a champion) and removes its file.
        apply.action = retrain::RetrainAction::KeepAsChallenger;
        const auto kept = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor);
        QVERIFY2(kept.ok(), qPrintable(kept.errorMessage()));
        QCOMPARE(kept->decision, QStringLiteral("challenger"));
        QCOMPARE(f.champion(), QStringLiteral("1"));
        const auto candidate = ModelRegistry(*f.conn).byVersion(f.dep, out.candidateVersion);
        QVERIFY(candidate->isChallenger());
        const auto cleaned = retrain::cleanup(*f.conn, f.dep, 0, kRetrainActor);
        QVERIFY2(cleaned.ok(), qPrintable(cleaned.errorMessage()));
        QCOMPARE(cleaned->archived, QStringList{out.candidateVersion});
        QVERIFY(!QFile::exists(candidate->filePath));
        QVERIFY(ModelRegistry(*f.conn).byVersion(f.dep, out.candidateVersion)->archived);
        QCOMPARE(f.champion(), QStringLiteral("1"));
    }

    void cancelInTheMiddle()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")).ok());
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        const int modelsBefore = f.count(QStringLiteral("SELECT count(*) FROM mldeck.models"));
        const int filesBefore = f.storeFiles();
        std::atomic<bool> cancel{false};
        bool sawTraining = false;
        const auto out = retrain::runRetrain(*f.conn, request(3, 0.001), kRetrainActor, &cancel,
                                             [&](const retrain::RetrainProgress &p) {
                                                 if (p.stage == retrain::RetrainStage::Training && p.fraction > 0.1) {
                                                     sawTraining = true;
                                                     cancel = true; // mid-epoch
                                                 }
                                             });
        QVERIFY(sawTraining);
        QCOMPARE(out.run.state, QStringLiteral("cancelled"));
        QVERIFY(out.run.finishedAt.isValid());
        QVERIFY(out.candidateVersion.isEmpty());
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.models")), modelsBefore);
        QCOMPARE(f.storeFiles(), filesBefore);
        QCOMPARE(f.champion(), QStringLiteral("1"));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE state = 'cancelled' "
                                        "AND result_version IS NULL")),
                 1);
        // Nothing is left active: the next run may start.
        QCOMPARE(
            f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE state IN ('queued','running')")), 0);
    }

    void cancelFromAnotherSession()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")).ok());
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        auto other = PgConnection::open(f.db->endpoint(), QStringLiteral("other"));
        QVERIFY(other.ok());
        bool asked = false;
        auto r = request(4, 0.001);
        r.training.earlyStoppingPatience = 0;
        const auto out =
            retrain::runRetrain(*f.conn, r, kRetrainActor, nullptr, [&](const retrain::RetrainProgress &p) {
                if (p.epoch && !asked) {
                    const auto runs = RetrainStore(**other).list(f.dep, 1);
                    asked = runs && !runs->isEmpty() && RetrainStore(**other).requestCancel(runs->first().id).ok();
                }
            });
        QVERIFY(asked);
        QCOMPARE(out.run.state, QStringLiteral("cancelled"));
        QVERIFY(out.history.size() < 4);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.models")), 1);
        QCOMPARE(f.champion(), QStringLiteral("1"));
        QVERIFY(!RetrainStore(**other).requestCancel(out.run.id).ok()); // finished: nothing to cancel
    }

    void oneActiveRunPerDeployment()
    {
        RetrainStore store(*f.conn);
        const auto first = store.insertRun(f.dep, QStringLiteral("manual"), false, {});
        QVERIFY(first.ok());
        const auto second = store.insertRun(f.dep, QStringLiteral("feedback"), false, {});
        QVERIFY(!second.ok());
        QVERIFY(second.errorMessage().contains(QLatin1String("already")));
        QVERIFY(store
                    .finish(*first,
                            RetrainStore::Finish{QStringLiteral("failed"), QStringLiteral("test"), {}, {}, {}, {}, {}})
                    .ok());
        QVERIFY(store.insertRun(f.dep, QStringLiteral("feedback"), false, {}).ok());
    }

    void twoPromotionsAtOnceLeaveOneChampion()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")).ok());
        const auto degraded = f.degradedModel(f.store->filePath(QStringLiteral("degraded-src.pt")));
        QVERIFY2(degraded.ok(), qPrintable(degraded.errorMessage()));
        QVERIFY(f.registerFile(*degraded, QStringLiteral("2")).ok());
        for (int round = 0; round < 6; ++round) {
            std::atomic<int> ready{0};
            std::atomic<int> ok{0};
            const auto promoteOn = [&](const QString &version) {
                auto conn = PgConnection::open(f.db->endpoint(), QStringLiteral("race"));
                if (!conn)
                    return;
                ++ready;
                while (ready.load() < 2)
                    std::this_thread::yield();
                if (models::promote(**conn, std::nullopt, f.dep, version, QStringLiteral("champion"),
                                    QStringLiteral("race"), kRetrainActor))
                    ++ok;
            };
            std::thread a(promoteOn, QStringLiteral("1"));
            std::thread b(promoteOn, QStringLiteral("2"));
            a.join();
            b.join();
            QVERIFY(ok.load() >= 1);
            QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.model_aliases WHERE deployment = $1 "
                                            "AND alias = 'champion'"),
                             {f.dep}),
                     1);
            QVERIFY(f.champion() == QLatin1String("1") || f.champion() == QLatin1String("2"));
        }
    }

    void guardRetrainsOnlyWhenEnabledAndNeverPromotesOnItsOwn()
    {
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")).ok());
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        qputenv("MLDECK_MODEL_STORE", f.store->path().toUtf8());
        GuardContext context{TestServers::redis(), f.db->endpoint(), f.dep, QStringLiteral("guard@test")};

        // Due (120 feedback, 40 negative) but auto-retrain is off by default: reports only.
        auto job = makeRetrainGuardJob();
        QCOMPARE(job->name(), QStringLiteral("retrain"));
        QVERIFY(job->runOnce(context).ok());
        QVERIFY2(job->lastSummary().contains(QLatin1String("auto-retrain is off")), qPrintable(job->lastSummary()));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs")), 0);

        // Switched on (promotion still off): one run, trigger "feedback", kept as challenger at best.
        RetrainSettings s;
        s.autoRetrain = true;
        s.checkIntervalMinutes = 1;
        QVERIFY(retrain::saveSettings(*f.conn, f.dep, s, kRetrainActor).ok());
        job = makeRetrainGuardJob();
        QVERIFY(job->runOnce(context).ok());
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE trigger = 'feedback' "
                                        "AND state = 'succeeded'")),
                 1);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE decision = 'challenger'")), 1);
        QCOMPARE(f.champion(), QStringLiteral("1"));
        // Within the check interval nothing more happens.
        QVERIFY(job->runOnce(context).ok());
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs")), 1);
        qunsetenv("MLDECK_MODEL_STORE");
    }

    void purgeDeletesOnlyOldFeedbackAudited()
    {
        const qint64 now = QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() * 1000;
        std::vector<FeedbackRow> rows;
        for (int i = 0; i < 7; ++i)
            rows.push_back(FeedbackRow{now - qint64(200 + i) * 86'400'000'000LL,
                                       f.dep,
                                       QStringLiteral("old-%1").arg(i),
                                       false,
                                       QStringLiteral("late"),
                                       QStringLiteral("p%1").arg(i),
                                       {}});
        rows.push_back(FeedbackRow{now - 179LL * 86'400'000'000LL, f.dep, QStringLiteral("recent"), true, {}, {}, {}});
        QVERIFY(PredictionLog(*f.conn).appendFeedback(rows).ok());
        // A raw e-mail address as user identifier is refused: feedback is pseudonymised.
        QVERIFY(!PredictionLog(*f.conn)
                     .appendFeedback({FeedbackRow{
                         now, f.dep, QStringLiteral("x"), true, {}, QStringLiteral("alice@example.com"), {}}})
                     .ok());
        const int before =
            f.count(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1"), {f.dep});
        QCOMPARE(*RetrainStore(*f.conn).countFeedbackOlderThan(f.dep, 180), qint64(7));
        const auto purged = retrain::purgeFeedback(*f.conn, f.dep, std::nullopt, kRetrainActor); // default 180 days
        QVERIFY2(purged.ok(), qPrintable(purged.errorMessage()));
        QCOMPARE(*purged, qint64(7));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1"), {f.dep}),
                 before - 7);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE request_key = 'recent'")), 1);
        QCOMPARE(f.count(QStringLiteral(
                             "SELECT (after->>'deleted')::int FROM mldeck.audit_log WHERE action = 'feedback.purge' "
                             "AND deployment = $1"),
                         {f.dep}),
                 7);
        // Again: nothing left to delete, still audited.
        QCOMPARE(*retrain::purgeFeedback(*f.conn, f.dep, 180, kRetrainActor), qint64(0));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'feedback.purge'")), 2);
        QVERIFY(!retrain::purgeFeedback(*f.conn, f.dep, 0, kRetrainActor).ok());
    }
};

QTEST_GUILESS_MAIN(TestRetrain)
#include "test_retrain.moc"
