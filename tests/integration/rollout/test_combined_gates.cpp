// Gates that combine metrics on real servers: a plan advancing only when at least 2 of its 3
// deciding gates pass (one more advisory), waiting (inconclusive) on too few samples and saying so;
// plans stored before combinations read as "all"; the estimated MAE gate; the CLI's combination
// options; the guard acting on "any" but not on "all"; a guard condition with hysteresis kept
// breached across rounds through guard_state.
#include "RolloutFixture.h"

#include "core/services/PlanService.h"
#include "core/services/guard/RolloutGuardJob.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/RolloutPlanStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

using namespace mldeck;

namespace {

struct Clock
{
    QDateTime now = QDateTime::currentDateTimeUtc();
    QDateTime operator()()
    {
        now = now.addSecs(5);
        return now;
    }
};

std::unique_ptr<RolloutGuardJob> makeJob(const test::RolloutFixture &f)
{
    auto job = std::make_unique<RolloutGuardJob>();
    job->setSpoolDirectory(f.spool());
    auto clock = std::make_shared<Clock>();
    job->setClock([clock] { return (*clock)(); });
    return job;
}

GuardContext contextOf(const test::RolloutFixture &f)
{
    return GuardContext{test::TestServers::redis(), f.db->endpoint(), f.deployment, QStringLiteral("guard@test")};
}

// The last minute's window replaced by n predictions: failed share, latency, absolute error 1.0.
bool replaceWindow(test::RolloutFixture &f, int n, double failedShare, double latencyMs)
{
    if (!test::exec(*f.pg, QStringLiteral("DELETE FROM mldeck.predictions WHERE deployment = '%1'; "
                                          "DELETE FROM mldeck.outcomes WHERE deployment = '%1'")
                               .arg(f.deployment)))
        return false;
    return f.logPredictions(n, failedShare, latencyMs, 1.0);
}

struct Run
{
    int code = -1;
    QByteArray out;
    QString err;
};

Run mldeckctl(const test::RolloutFixture &f, QStringList args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("MLDECK_REDIS_URL"), test::TestServers::redis().toUrl(true));
    env.insert(QStringLiteral("MLDECK_PG_URL"), f.db->endpoint().toUrl(true));
    p.setProcessEnvironment(env);
    args << QStringLiteral("--deployment") << f.deployment;
    p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
    if (!p.waitForFinished(60000))
        return {};
    return Run{p.exitCode(), p.readAllStandardOutput(), QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestCombinedGates : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    // MAE, latency and error rate decide (R² advisory); at least 2 of them must pass.
    void planAdvancesOnAtLeastTwoOfThree()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        auto flags = f.service();
        PlanService plans(*flags);
        StagedPlan p;
        p.steps = {10, 50, 100};
        p.gates.minSamples = 100;
        p.gates.minSoakSeconds = 0;
        p.combination = GateCombination{GateCombination::Mode::AtLeast, 2, {QString::fromLatin1(plan::kGateR2)}};
        p.stepCombinations.insert(50, GateCombination{GateCombination::Mode::All, 1, {}});
        auto saved = plans.save(f.deployment, p, Actor::current());
        QVERIFY2(saved, qPrintable(saved.errorMessage()));
        QCOMPARE(saved->currentStep, 0);

        // Too few samples: inconclusive, and the plan says what it waits for.
        QVERIFY(replaceWindow(f, 50, 0.0, 100));
        auto st = plans.status(f.deployment);
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QCOMPARE(st->outcome, GateState::Inconclusive);
        QVERIFY2(st->waitingFor.join(QLatin1Char(' ')).contains(QLatin1String("min_samples: 50 of 100 predictions")),
                 qPrintable(st->waitingFor.join(QLatin1Char(' '))));
        auto refused = plans.advance(f.deployment, {}, Actor::current());
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QLatin1String("inconclusive")), qPrintable(refused.errorMessage()));

        // 30 % errors and a 2 s p95: only the MAE passes, 1 of 3.
        QVERIFY(replaceWindow(f, 200, 0.3, 2000));
        refused = plans.advance(f.deployment, {}, Actor::current());
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QLatin1String("gates failing (at-least-2)")),
                 qPrintable(refused.errorMessage()));
        QCOMPARE(f.state().trafficPercentage, 10);

        // The latency recovers: 2 of 3 pass although the error rate still fails.
        QVERIFY(replaceWindow(f, 200, 0.3, 100));
        auto moved = plans.advance(f.deployment, {}, Actor::current());
        QVERIFY2(moved, qPrintable(moved.errorMessage()));
        QCOMPARE(f.state().trafficPercentage, 50);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'plan.advance' AND "
                                            "after->'details'->'gate_combination'->>'mode' = 'at_least'")),
                 1);

        // The step at 50 % asks for all of them: the failing error rate holds it back.
        st = plans.status(f.deployment);
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QCOMPARE(st->combination.mode, GateCombination::Mode::All);
        QCOMPARE(st->outcome, GateState::Fail);
        QVERIFY(!st->canAdvance);

        // The combinations round-trip through the store.
        auto back = RolloutPlanStore(*f.pg).load(f.deployment);
        QVERIFY2(back, qPrintable(back.errorMessage()));
        QVERIFY(back->plan.combination == p.combination);
        QCOMPARE(back->plan.stepCombinations, p.stepCombinations);
    }

    // The nanny's estimated MAE gates a regression step from the minute aggregates it fills.
    void estimatedMaeGate()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        auto flags = f.service();
        PlanService plans(*flags);
        StagedPlan p;
        p.steps = {10, 50};
        p.gates.minSamples = 100;
        p.gates.minSoakSeconds = 0;
        p.gates.maxEstimatedMae = 2.0;
        QVERIFY(plans.save(f.deployment, p, Actor::current()));
        QVERIFY(replaceWindow(f, 200, 0.0, 100));
        auto st = plans.status(f.deployment);
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QCOMPARE(st->outcome, GateState::Inconclusive); // nothing scored yet
        QVERIFY2(st->waitingFor.join(QLatin1Char(' ')).contains(QLatin1String("max_estimated_mae: no prediction")),
                 qPrintable(st->waitingFor.join(QLatin1Char(' '))));
        const QString scored =
            QStringLiteral("INSERT INTO mldeck.kpi_minute (deployment, bucket, path, model_version, "
                           "est_abs_err_sum, est_count) VALUES ('%1', date_trunc('minute', now()), "
                           "'ml', 'nanny-test', %2, 100) ON CONFLICT (deployment, bucket, path, "
                           "model_version) DO UPDATE SET est_abs_err_sum = EXCLUDED.est_abs_err_sum");
        QVERIFY(test::exec(*f.pg, scored.arg(f.deployment).arg(300)));
        st = plans.status(f.deployment);
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QCOMPARE(st->outcome, GateState::Fail);
        const GateStatus *estimate = nullptr;
        for (const GateStatus &g : st->gates)
            if (g.name == QLatin1String(plan::kGateEstimatedMae))
                estimate = &g;
        QVERIFY(estimate && estimate->value);
        QCOMPARE(*estimate->value, 3.0);
        QVERIFY(test::exec(*f.pg, scored.arg(f.deployment).arg(150)));
        st = plans.status(f.deployment);
        QVERIFY2(st && st->canAdvance, qPrintable(st ? st->waitingFor.join(QLatin1Char(' ')) : st.errorMessage()));
        QCOMPARE(RolloutPlanStore(*f.pg).load(f.deployment)->plan.gates.maxEstimatedMae, std::optional<double>(2.0));
    }

    // The CLI sets and shows combinations, advisory gates and hysteresis; bad ones are refused.
    void cliSetsCombinations()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        const QStringList set{QStringLiteral("plan"), QStringLiteral("set")};
        Run r = mldeckctl(f, set + QStringList{QStringLiteral("--combine"), QStringLiteral("most")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("at-least-N")), qPrintable(r.err));
        r = mldeckctl(f, set + QStringList{QStringLiteral("--advisory"), QStringLiteral("min_samples")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("always required")), qPrintable(r.err));
        r = mldeckctl(f,
                      set + QStringList{QStringLiteral("--combine"), QStringLiteral("at-least-2"),
                                        QStringLiteral("--advisory"), QStringLiteral("min_r2"),
                                        QStringLiteral("--step-combine"), QStringLiteral("100:any"),
                                        QStringLiteral("--min-soak"), QStringLiteral("600"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject shown = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(shown.value(QStringLiteral("combination")).toObject().value(QStringLiteral("at_least")).toInt(), 2);
        QCOMPARE(shown.value(QStringLiteral("outcome")).toString(), QStringLiteral("inconclusive"));
        QVERIFY(shown.value(QStringLiteral("waiting_for")).toArray().size() >= 1);
        r = mldeckctl(f, {QStringLiteral("plan"), QStringLiteral("show")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("of the others, at least 2 of 3 must pass") && r.out.contains("WAIT min_soak_s"),
                 r.out.constData());
        auto flags = f.service();
        const auto stored = PlanService(*flags).plan(f.deployment);
        QVERIFY(stored);
        QCOMPARE(stored->stepCombinations.value(100).mode, GateCombination::Mode::Any);
        // Checked against this regression deployment's gates (min_r2 advisory: 3 decide), with a readable
        // refusal; "at least 4" would have passed when N was bounded by the 9 gates of both tasks.
        r = mldeckctl(f, set + QStringList{QStringLiteral("--combine"), QStringLiteral("at-least-4")});
        QCOMPARE(r.code, 2);
        QVERIFY2(
            r.err.contains(QLatin1String("Regression plan: At least 4 can never be met: only 3 condition(s) decide "
                                         "here (max_mae, max_latency_p95_ms, max_error_rate)")),
            qPrintable(r.err));
        // Names are trimmed; the labelled wait is set and removed.
        r = mldeckctl(f, set + QStringList{QStringLiteral("--advisory"), QStringLiteral("min_r2, max_latency_p95_ms"),
                                           QStringLiteral("--min-labelled"), QStringLiteral("1")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto trimmed = PlanService(*flags).plan(f.deployment);
        QVERIFY(trimmed);
        QCOMPARE(trimmed->combination.advisory,
                 (QStringList{QStringLiteral("min_r2"), QStringLiteral("max_latency_p95_ms")}));
        QCOMPARE(trimmed->gates.minLabelled, std::optional<qint64>(1));
        // plan show says what the quality gates wait for, in text and JSON (null: the minimum samples).
        const QStringList show{QStringLiteral("plan"), QStringLiteral("show")};
        r = mldeckctl(f, show);
        QVERIFY2(r.code == 0 && r.out.contains("quality gates wait for 1 labelled predictions"), r.out.constData());
        r = mldeckctl(f, show + QStringList{QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("min_labelled")), QJsonValue(1));
        r = mldeckctl(f, set + QStringList{QStringLiteral("--min-labelled"), QStringLiteral("none")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(!PlanService(*flags).plan(f.deployment)->gates.minLabelled);
        r = mldeckctl(f, show);
        QVERIFY2(r.code == 0 && r.out.contains("as many labelled predictions as the minimum samples"),
                 r.out.constData());
        r = mldeckctl(f, show + QStringList{QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject unset = QJsonDocument::fromJson(r.out).object();
        QVERIFY(unset.contains(QStringLiteral("min_labelled")) && unset.value(QStringLiteral("min_labelled")).isNull());

        const QStringList rules{QStringLiteral("guard"), QStringLiteral("rules")};
        r = mldeckctl(f, rules + QStringList{QStringLiteral("--hysteresis"), QStringLiteral("max_mae:3:60"),
                                             QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(r.code, 2); // resolves above the firing threshold 2.5
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rules'")), 0);
        // A regression deployment has one rollback condition: "at least 2" would never turn ML off.
        r = mldeckctl(f, rules + QStringList{QStringLiteral("--rollback-combine"), QStringLiteral("at-least-2"),
                                             QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("Rollback conditions of a regression deployment")), qPrintable(r.err));
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rules'")), 0);
        r = mldeckctl(f, rules + QStringList{QStringLiteral("--halve-combine"), QStringLiteral("all"),
                                             QStringLiteral("--advisory"), QStringLiteral("max_latency_p95_ms"),
                                             QStringLiteral("--hysteresis"), QStringLiteral("max_mae:2:60"),
                                             QStringLiteral("--reason"), QStringLiteral("less flapping")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("halved on all (advisory: max_latency_p95_ms)") &&
                     r.out.contains("max_mae: resolves past 2 for 60 s"),
                 r.out.constData());
        const GuardRules g = GuardStore(*f.pg).rules(f.deployment).value();
        QCOMPARE(g.halveCombination.mode, GateCombination::Mode::All);
        QCOMPARE(g.hysteresis.value(QStringLiteral("max_mae")).keepFiringSeconds, 60);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rules' AND after->'halve_combination'->>'mode' = 'all'")),
                 1);
    }

    // A plan row written before 020 (no combination given): every gate must pass, none advisory.
    void oldPlansReadAsAll()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        QVERIFY(test::exec(*f.pg, QStringLiteral("INSERT INTO mldeck.rollout_plans (deployment, steps) "
                                                 "VALUES ('%1', '{10,50}')")
                                      .arg(f.deployment)));
        auto st = RolloutPlanStore(*f.pg).load(f.deployment);
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QCOMPARE(st->plan.combination.mode, GateCombination::Mode::All);
        QVERIFY(st->plan.combination.advisory.isEmpty() && st->plan.stepCombinations.isEmpty());
    }

    // A slow but accurate window: "any" halves the traffic after K rounds, "all" (latency and MAE
    // both) never does; the rules round-trip through the store.
    void guardAnyVersusAll()
    {
        for (const auto mode : {GateCombination::Mode::Any, GateCombination::Mode::All}) {
            test::RolloutFixture f;
            QString why;
            QVERIFY2(f.setUp(&why, 50), qPrintable(why));
            GuardRules r;
            r.consecutiveBreaches = 2;
            r.halveCombination = GateCombination{mode, 1, {}};
            QVERIFY(GuardStore(*f.pg).saveRules(f.deployment, r, Actor::current(), QStringLiteral("test")));
            auto stored = GuardStore(*f.pg).rules(f.deployment);
            QVERIFY2(stored, qPrintable(stored.errorMessage()));
            QCOMPARE(stored->halveCombination.mode, mode);
            QVERIFY(replaceWindow(f, 200, 0.0, 2500));
            auto job = makeJob(f);
            for (int i = 0; i < 3; ++i)
                QVERIFY(job->runOnce(contextOf(f)));
            if (mode == GateCombination::Mode::Any) {
                QCOMPARE(f.state().trafficPercentage, 25);
            } else {
                QCOMPARE(f.state().trafficPercentage, 50);
                QVERIFY2(job->lastDecision().summary.contains(QLatin1String("do not meet the combination")),
                         qPrintable(job->lastDecision().summary));
            }
        }
    }

    // Latency fires above 1000 ms and resolves below 500 ms: a window at 800 ms right after a breach
    // keeps the streak (the state is read back from guard_state each round), so K = 2 halves.
    void guardHysteresisAcrossRounds()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        GuardRules r;
        r.consecutiveBreaches = 2;
        r.hysteresis.insert(QStringLiteral("max_latency_p95_ms"), GuardRules::ConditionHysteresis{500.0, 0});
        QVERIFY(GuardStore(*f.pg).saveRules(f.deployment, r, Actor::current(), QStringLiteral("test")));
        auto job = makeJob(f);
        QVERIFY(replaceWindow(f, 200, 0.0, 2500));
        QVERIFY(job->runOnce(contextOf(f)));
        auto memory = GuardStore(*f.pg).memory(f.deployment);
        QVERIFY2(memory, qPrintable(memory.errorMessage()));
        QVERIFY(memory->conditions.value(QStringLiteral("max_latency_p95_ms")).active);
        QVERIFY(replaceWindow(f, 200, 0.0, 800));
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::Halve);
        QCOMPARE(f.state().trafficPercentage, 25);
        QVERIFY2(job->lastDecision().summary.contains(QLatin1String("held until past 500 ms")),
                 qPrintable(job->lastDecision().summary));

        // A resolve threshold on the wrong side is refused and changes nothing.
        r.hysteresis.insert(QStringLiteral("max_latency_p95_ms"), GuardRules::ConditionHysteresis{1500.0, 0});
        QVERIFY(!GuardStore(*f.pg).saveRules(f.deployment, r, Actor::current(), QStringLiteral("test")));
        QCOMPARE(*GuardStore(*f.pg)
                      .rules(f.deployment)
                      ->hysteresis.value(QStringLiteral("max_latency_p95_ms"))
                      .resolveThreshold,
                 500.0);
    }
};

QTEST_GUILESS_MAIN(TestCombinedGates)
#include "test_combined_gates.moc"
