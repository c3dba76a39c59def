// A classification deployment's window figures, guard and staged-plan gates on real servers: the
// window's accuracy, F1, log-loss and ECE equal an exact computation over the same rows; accuracy
// below the rollback threshold turns ML off (audited with the figures); a plan step advances only
// when the accuracy gate passes; a regression deployment keeps its MAE gates.
#include "RolloutFixture.h"

#include "core/services/PlanService.h"
#include "core/services/guard/RolloutGuardJob.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/WindowMetricsQuery.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <cmath>

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

// Makes the fixture's deployment a binary classifier (classes declined, accepted).
bool makeClassifier(test::RolloutFixture &f)
{
    return bool(test::exec(*f.pg, QStringLiteral("UPDATE mldeck.deployments SET task = 'classification', "
                                                 "classes = ARRAY['declined', 'accepted'] WHERE name = '%1'")
                                      .arg(f.deployment)));
}

// Replaces the deployment's log by n binary ML predictions of the last 30 s, each labelled: row i is
// served class i % 2 with probability 0.6 + 0.3 * (i % 3) / 2 of that class, and is right when
// i % 20 < 20 * accuracy.
bool logClassified(test::RolloutFixture &f, int n, double accuracy)
{
    QString sql = QStringLiteral(
        "DELETE FROM mldeck.predictions WHERE deployment = '%2';"
        "DELETE FROM mldeck.outcomes WHERE deployment = '%2';"
        "INSERT INTO mldeck.predictions (ts, predicted, predicted_class, probabilities, latency_ms, failed, path, "
        "deployment, request_key) "
        "SELECT now() - make_interval(secs => (i %% 30)), q, c, CASE WHEN c = 1 THEN ARRAY[1 - q, q] "
        "ELSE ARRAY[q, 1 - q] END::real[], 100, false, 'ml', '%2', 'c' || i "
        "FROM (SELECT i, i %% 2 AS c, (0.6 + 0.15 * (i %% 3))::real AS q FROM generate_series(0, %1 - 1) AS i) r;"
        "INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key) "
        "SELECT now(), CASE WHEN i %% 20 < %3 THEN i %% 2 ELSE 1 - i %% 2 END, '%2', 'c' || i "
        "FROM generate_series(0, %1 - 1) AS i;");
    sql = sql.arg(n).arg(f.deployment).arg(int(std::lround(accuracy * 20)));
    sql.replace(QStringLiteral("%%"), QStringLiteral("%"));
    const Status st = test::exec(*f.pg, sql);
    if (!st)
        qWarning("%s", qPrintable(st.errorMessage()));
    return bool(st);
}

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

const GateStatus *gateNamed(const PlanStatus &s, const char *name)
{
    for (const GateStatus &g : s.gates)
        if (g.name == QLatin1String(name))
            return &g;
    return nullptr;
}

} // namespace

class TestClassificationGuard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    // The window's figures against sums written out by hand for the rows logClassified() writes.
    void windowFiguresAreExact()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        QVERIFY(makeClassifier(f));
        QVERIFY(logClassified(f, 600, 0.75));
        auto m = WindowMetricsQuery(*f.pg).mlWindow(f.deployment, 300);
        QVERIFY2(m, qPrintable(m.errorMessage()));
        QVERIFY(m->classifier);
        QCOMPARE(m->samples, 600);
        QCOMPARE(m->labelled, 600);
        QVERIFY(!m->mae && !m->r2); // probabilities are no quantities: no MAE, no R²
        QVERIFY(m->accuracy && m->f1 && m->logLoss && m->ece);
        // Exact figures over the same rows.
        double loss = 0;
        qint64 tp = 0, fp = 0, fn = 0, right = 0;
        double binScore[10] = {}, binPositive[10] = {}, binCount[10] = {};
        for (int i = 0; i < 600; ++i) {
            const int c = i % 2;
            const double q = double(float(0.6 + 0.15 * (i % 3))); // stored as real
            const bool ok = i % 20 < 15;
            const int actual = ok ? c : 1 - c;
            right += ok;
            tp += c == 1 && actual == 1;
            fp += c == 1 && actual == 0;
            fn += c == 0 && actual == 1;
            loss += -std::log(ok ? q : 1 - q);
            const double pPos = c == 1 ? q : double(1.0f - float(q));
            const int bin = std::min(9, int(pPos * 10));
            binScore[bin] += pPos;
            binPositive[bin] += actual;
            binCount[bin] += 1;
        }
        double ece = 0;
        for (int b = 0; b < 10; ++b)
            ece += std::abs(binPositive[b] - binScore[b]) / 600.0;
        QVERIFY(qAbs(*m->accuracy - double(right) / 600) < 1e-12);
        QVERIFY(qAbs(*m->f1 - 2.0 * tp / (2.0 * tp + fp + fn)) < 1e-12);
        QVERIFY2(qAbs(*m->logLoss - loss / 600) < 1e-6, qPrintable(QString::number(*m->logLoss)));
        QVERIFY2(qAbs(*m->ece - ece) < 1e-6, qPrintable(QStringLiteral("%1 vs %2").arg(*m->ece).arg(ece)));
    }

    void lowAccuracyRollsBack()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        QVERIFY(makeClassifier(f));
        GuardRules rules;
        rules.consecutiveBreaches = 2;
        rules.minSamples = 100;
        QVERIFY(GuardStore(*f.pg).saveRules(f.deployment, rules, Actor::current(), QStringLiteral("test")));
        auto job = makeJob(f);

        // A healthy classifier (90 % right): nothing to do.
        QVERIFY(logClassified(f, 400, 0.90));
        for (int i = 0; i < 3; ++i) {
            QVERIFY2(job->runOnce(contextOf(f)), qPrintable(job->lastSummary()));
            QCOMPARE(job->lastDecision().action, GuardDecision::Action::None);
        }
        QVERIFY2(job->lastSummary().contains(QLatin1String("healthy")), qPrintable(job->lastSummary()));

        // Accuracy falls to 40 %, under the rollback threshold (50 %): ML off after two breaches.
        QVERIFY(logClassified(f, 400, 0.40));
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::None);
        QVERIFY2(job->lastSummary().contains(QLatin1String("accuracy 40.0 % < 50.0 %")),
                 qPrintable(job->lastSummary()));
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::Rollback);
        QVERIFY(!f.state().mlEnabled);
        QCOMPARE(f.state().trafficPercentage, 0);
        QCOMPARE(
            f.auditRows(QStringLiteral("action = 'guard.rollback' AND (after->'details'->>'accuracy')::float8 = 0.4 "
                                       "AND after->'details'->>'labelled' = '400' "
                                       "AND after->'details'->'rules'->>'rollback_accuracy' = '0.5' "
                                       "AND NOT (after->'details' ? 'mae')")),
            1);
        auto alerts = test::query(*f.pg,
                                  QStringLiteral("SELECT count(*) FROM mldeck.alerts WHERE deployment = $1 AND "
                                                 "kind = 'guardrail' AND details->>'accuracy' = '0.4'"),
                                  {f.deployment});
        QVERIFY(alerts);
        QCOMPARE(alerts->first().first(), QStringLiteral("1"));
    }

    void middlingAccuracyHalvesAndFewLabelsWait()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        QVERIFY(makeClassifier(f));
        GuardRules rules;
        rules.consecutiveBreaches = 2;
        rules.minSamples = 100;
        QVERIFY(GuardStore(*f.pg).saveRules(f.deployment, rules, Actor::current(), QStringLiteral("test")));
        auto job = makeJob(f);
        // 55 %: under the minimum (60 %) but over the rollback threshold, on only 80 labelled rows:
        // too few labels to judge.
        QVERIFY(logClassified(f, 80, 0.55));
        QVERIFY(
            test::exec(*f.pg, QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, predicted_class, "
                                             "latency_ms, failed, path, deployment, request_key) SELECT now(), "
                                             "0.8, 1, 100, false, 'ml', '%1', 'u' || i FROM generate_series(1, 100) i")
                                  .arg(f.deployment)));
        for (int i = 0; i < 3; ++i) {
            QVERIFY(job->runOnce(contextOf(f)));
            QCOMPARE(job->lastDecision().action, GuardDecision::Action::None);
        }
        QVERIFY(f.state().mlEnabled);
        // Enough labels: halved after two breaches.
        QVERIFY(logClassified(f, 300, 0.55));
        QVERIFY(job->runOnce(contextOf(f)));
        QVERIFY(job->runOnce(contextOf(f)));
        QCOMPARE(job->lastDecision().action, GuardDecision::Action::Halve);
        QCOMPARE(f.state().trafficPercentage, 25);
    }

    void accuracyGatesThePlan()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        QVERIFY(makeClassifier(f));
        auto flags = f.service();
        PlanService plans(*flags);
        StagedPlan plan;
        plan.steps = {10, 50, 100};
        plan.gates.minSamples = 100;
        plan.gates.minSoakSeconds = 0;
        plan.gates.maxEce = 0.5;
        auto saved = plans.save(f.deployment, plan, Actor::current());
        QVERIFY2(saved, qPrintable(saved.errorMessage()));
        QCOMPARE(saved->currentStep, 0);

        // 60 % right: the accuracy gate (90 %) fails, so the plan does not advance.
        QVERIFY(logClassified(f, 400, 0.60));
        auto st = plans.status(f.deployment);
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QVERIFY(!gateNamed(*st, plan::kGateMae) && !gateNamed(*st, plan::kGateR2));
        QVERIFY(!gateNamed(*st, plan::kGateF1) && !gateNamed(*st, plan::kGateLogLoss)); // not set: no gate
        const GateStatus *accuracy = gateNamed(*st, plan::kGateAccuracy);
        QVERIFY(accuracy && gateNamed(*st, plan::kGateEce));
        QVERIFY(qAbs(*accuracy->value - 0.6) < 1e-12);
        QCOMPARE(accuracy->threshold, 0.9);
        QVERIFY(!accuracy->pass);
        QVERIFY(!st->canAdvance);
        auto refused = plans.advance(f.deployment, QString(), Actor::current());
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QLatin1String("min_accuracy")), qPrintable(refused.errorMessage()));
        QCOMPARE(f.state().trafficPercentage, 10);

        // 95 % right: every gate passes and the next step starts, audited with the gates' figures.
        QVERIFY(logClassified(f, 400, 0.95));
        auto moved = plans.advance(f.deployment, QString(), Actor::current());
        QVERIFY2(moved, qPrintable(moved.errorMessage()));
        QCOMPARE(moved->currentStep, 1);
        QCOMPARE(f.state().trafficPercentage, 50);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'plan.advance' AND EXISTS (SELECT 1 FROM "
                                            "jsonb_array_elements(after->'details'->'gates') g WHERE "
                                            "g->>'name' = 'min_accuracy' AND (g->>'value')::float8 = 0.95 AND "
                                            "(g->>'pass')::boolean)")),
                 1);
        // The optional gates round-trip through the store (unset ones stay unset).
        auto back = plans.plan(f.deployment);
        QVERIFY(back);
        QCOMPARE(back->gates.maxEce, std::optional<double>(0.5));
        QVERIFY(!back->gates.minF1 && !back->gates.maxLogLoss);
        QCOMPARE(back->gates.minAccuracy, 0.9);
    }

    // The CLI sets a classifier's guard rules and gates; bad values are refused and change nothing.
    void cliSetsTheClassifierRulesAndGates()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        QVERIFY(makeClassifier(f));
        const QStringList rules{QStringLiteral("guard"), QStringLiteral("rules")};
        Run r = mldeckctl(f, rules + QStringList{QStringLiteral("--min-accuracy"), QStringLiteral("0.4"),
                                                 QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(r.code, 2); // under the rollback accuracy (0.5): refused
        QVERIFY2(r.err.contains(QLatin1String("rollback accuracy")), qPrintable(r.err));
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rules'")), 0);
        r = mldeckctl(f, rules + QStringList{QStringLiteral("--min-accuracy"), QStringLiteral("0.8"),
                                             QStringLiteral("--rollback-accuracy"), QStringLiteral("0.6"),
                                             QStringLiteral("--max-log-loss"), QStringLiteral("0.9"),
                                             QStringLiteral("--reason"), QStringLiteral("stricter")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("below an accuracy of 0.6") && r.out.contains("below an accuracy of 0.8"),
                 r.out.constData());
        const GuardRules stored = GuardStore(*f.pg).rules(f.deployment).value();
        QCOMPARE(stored.minAccuracy, 0.8);
        QCOMPARE(stored.rollbackAccuracy, 0.6);
        QCOMPARE(stored.maxLogLoss, 0.9);

        const QStringList set{QStringLiteral("plan"), QStringLiteral("set")};
        r = mldeckctl(f, set + QStringList{QStringLiteral("--min-accuracy"), QStringLiteral("92")});
        QCOMPARE(r.code, 2);
        r = mldeckctl(f,
                      set + QStringList{QStringLiteral("--min-accuracy"), QStringLiteral("0.92"),
                                        QStringLiteral("--max-ece"), QStringLiteral("0.04"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QStringList gates;
        for (const QJsonValue &g : QJsonDocument::fromJson(r.out).object().value(QStringLiteral("gates")).toArray())
            gates << g.toObject().value(QStringLiteral("name")).toString();
        QCOMPARE(gates, (QStringList{QStringLiteral("min_samples"), QStringLiteral("min_soak_s"),
                                     QStringLiteral("min_accuracy"), QStringLiteral("max_ece"),
                                     QStringLiteral("max_latency_p95_ms"), QStringLiteral("max_error_rate")}));
        r = mldeckctl(f, set + QStringList{QStringLiteral("--max-ece"), QStringLiteral("none")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto flags = f.service();
        const auto plan = PlanService(*flags).plan(f.deployment);
        QVERIFY(plan);
        QCOMPARE(plan->gates.minAccuracy, 0.92);
        QVERIFY(!plan->gates.maxEce);
    }

    void regressionKeepsItsGates()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        QVERIFY(f.logPredictions(200, 0.0, 100, 1.0));
        auto m = WindowMetricsQuery(*f.pg).mlWindow(f.deployment, 300);
        QVERIFY2(m, qPrintable(m.errorMessage()));
        QVERIFY(!m->classifier);
        QVERIFY(m->mae && !m->accuracy);
        auto flags = f.service();
        auto st = PlanService(*flags).status(f.deployment);
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QCOMPARE(st->gates.size(), 6);
        QVERIFY(gateNamed(*st, plan::kGateMae) && gateNamed(*st, plan::kGateR2));
        QVERIFY(!gateNamed(*st, plan::kGateAccuracy));
    }
};

QTEST_GUILESS_MAIN(TestClassificationGuard)
#include "test_classification_guard.moc"
