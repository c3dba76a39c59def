// The reference backend serving a classification deployment (ride offers, accept_mlp.pt in its model
// worker) against real Redis and PostgreSQL: every row carries the class served under the deployment's
// decision threshold, its probability and the vector, on the ML and the heuristic path; the true class
// arrives late for a share of the offers and dispatchers' right/wrong marks for another share, agreeing
// with the truth; the calibration scenario lowers the acceptance rate while the model's probabilities stay,
// so the model becomes over-confident; the scenario is refused on a regression.
#include "core/rollout/AuditRecord.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/simulator/OfferTraffic.h"
#include "core/simulator/Simulator.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QtTest>

#include <thread>

using namespace mldeck;
using namespace mldeck::test;

namespace {

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

} // namespace

class TestClassifierSimulator final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_pg;
    std::unique_ptr<RedisConnection> m_redis;

    double number(const QString &sql, const QStringList &params)
    {
        const auto rows = test::query(*m_pg, sql, params);
        if (!rows || rows->isEmpty() || rows->first().isEmpty()) {
            qWarning() << "query failed:" << sql << rows.errorMessage();
            return -1;
        }
        return rows->first().first().toDouble();
    }

    // A classifier deployment as `mldeckctl deployments create --classes declined,accepted` makes it, with
    // ML on for `percentage` % of the offers.
    QString classifier(const QString &prefix, double threshold, int percentage)
    {
        NewDeployment spec;
        spec.name = uniqueName(prefix);
        spec.task = QStringLiteral("classification");
        spec.schema = RideOfferGenerator::schema();
        spec.classSpec = RideOfferGenerator::classSpec();
        spec.classSpec.decisionThreshold = threshold;
        if (auto made = createDeployment(*m_pg, TestServers::redis(), spec, kActor); !made) {
            qWarning() << made.errorMessage();
            return {};
        }
        FlagStore flags(*m_redis);
        FlagChange change;
        change.mlEnabled = true;
        change.trafficPercentage = percentage;
        change.fallbackOnError = true;
        change.actor = QStringLiteral("test");
        const auto current = flags.read(spec.name);
        if (!current || !flags.write(spec.name, change, current->version)) {
            qWarning() << "flags not written";
            return {};
        }
        return spec.name;
    }

    SimulatorOptions options(const QString &deployment) const
    {
        SimulatorOptions o;
        o.deployment = deployment;
        o.redis = TestServers::redis();
        o.pg = m_db->endpoint();
        o.initialPercentage = -1;
        o.rate = 600;
        o.durationMs = 3000;
        o.outcomeDelayMs = 400;
        o.outcomeShare = 0.6;
        o.feedbackShare = 0.3;
        o.modelPath = Simulator::bundledModel(QStringLiteral("accept_mlp.pt"));
        return o;
    }

    // Runs until its duration is over; everything pending is flushed when it returns.
    bool run(const SimulatorOptions &o, SimulatorStats *last = nullptr)
    {
        Simulator sim(o);
        if (auto st = sim.prepare(); !st) {
            qWarning() << "prepare:" << st.errorMessage();
            return false;
        }
        std::atomic_bool stop{false};
        const Status st = sim.run(stop, [last](const SimulatorStats &s) {
            if (last)
                *last = s;
        });
        if (!st)
            qWarning() << "run:" << st.errorMessage();
        return st.ok();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("clssim"));
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        m_pg = std::move(pg).value();
        const auto migrated = Migrator::migrate(*m_pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY2(redis, qPrintable(redis.errorMessage()));
        m_redis = std::move(redis).value();
    }

    void cleanupTestCase()
    {
        m_pg.reset();
        m_db.reset();
    }

    void logsClassVectorAndLabels()
    {
        // A threshold far from 0.5 shows that the deployment's own rule decides the class served.
        const QString d = classifier(QStringLiteral("clsim"), 0.7, 50);
        QVERIFY(!d.isEmpty());
        SimulatorStats stats;
        QVERIFY(run(options(d), &stats));
        QVERIFY2(stats.ml > 200 && stats.heuristic > 200,
                 qPrintable(QStringLiteral("ml %1, heuristic %2").arg(stats.ml).arg(stats.heuristic)));
        const QStringList dep{d};
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1"), dep),
                 double(stats.requests));
        // Every row: a class, its probability, a vector of two that sums to 1, the class the rule gives.
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND NOT ("
                                       "predicted_class IN (0, 1) AND cardinality(probabilities) = 2 AND "
                                       "abs(probabilities[1] + probabilities[2] - 1) < 1e-5 AND "
                                       "abs(predicted - probabilities[predicted_class + 1]) < 1e-6 AND "
                                       "predicted_class = (probabilities[2] >= 0.7)::int)"),
                        dep),
                 0.0);
        QCOMPARE(
            number(QStringLiteral("SELECT count(DISTINCT path) FROM mldeck.predictions WHERE deployment = $1"), dep),
            2.0);
        // The model is confident at times and so is the baseline rule, but not always: both classes are served.
        QCOMPARE(number(QStringLiteral("SELECT count(DISTINCT (path, predicted_class)) FROM mldeck.predictions WHERE "
                                       "deployment = $1"),
                        dep),
                 4.0);

        // Labels: the driver's answer for about 60 % of the offers, a dispatcher's mark for about 30 %, with
        // or without an answer, both kinds. On a binary deployment the database turns each mark into an
        // outcome of its own (the served class, or the other one), so a key has one or two outcomes.
        const double outcomes =
            number(QStringLiteral("SELECT count(*) FROM mldeck.outcomes WHERE deployment = $1"), dep);
        const double marks = number(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1"), dep);
        const double requests = double(stats.requests);
        QVERIFY2(
            std::abs((outcomes - marks) / requests - 0.6) < 0.06,
            qPrintable(QStringLiteral("%1 outcomes, %2 marks for %3 requests").arg(outcomes).arg(marks).arg(requests)));
        QVERIFY2(std::abs(marks / requests - 0.3) < 0.05, qPrintable(QString::number(marks)));
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.outcomes WHERE deployment = $1 AND actual NOT IN "
                                       "(0, 1)"),
                        dep),
                 0.0);
        QVERIFY(number(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1 AND NOT positive"),
                       dep) > 0);
        const QString labelsPerMark =
            QStringLiteral("SELECT count(*) FROM (SELECT f.request_key FROM mldeck.feedback f "
                           "JOIN mldeck.outcomes o USING (deployment, request_key) WHERE "
                           "f.deployment = $1 GROUP BY f.request_key HAVING count(*) = %1) k");
        QVERIFY(number(labelsPerMark.arg(1), dep) > 0); // a mark without the driver's answer
        QVERIFY(number(labelsPerMark.arg(2), dep) > 0); // a mark and an answer
        // Where both are there, they agree: the mark said whether the class served was the driver's answer.
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM (SELECT request_key FROM mldeck.outcomes WHERE deployment "
                                       "= $1 GROUP BY request_key HAVING count(DISTINCT actual) > 1) k"),
                        dep),
                 0.0);
        // Late: no label before its prediction.
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.outcomes o JOIN mldeck.predictions p USING "
                                       "(deployment, request_key) WHERE o.deployment = $1 AND o.observed_at < p.ts"),
                        dep),
                 0.0);
    }

    void calibrationScenarioMakesTheModelOverConfident()
    {
        // Two runs of the same seed, all offers on ML: the world's acceptance rate falls under the
        // scenario, the model's probabilities do not move.
        const QString before = classifier(QStringLiteral("clcal"), 0.5, 100);
        const QString after = classifier(QStringLiteral("clcal"), 0.5, 100);
        QVERIFY(!before.isEmpty() && !after.isEmpty());
        SimulatorOptions o = options(before);
        o.outcomeShare = 1;
        o.feedbackShare = 0;
        QVERIFY(run(o));
        o.deployment = after;
        o.scenarios = {parseScenario(QStringLiteral("calibration")).value()};
        QVERIFY(run(o));
        const auto rate = [this](const QString &d) {
            return number(QStringLiteral("SELECT avg(actual) FROM mldeck.outcomes WHERE deployment = $1"), {d});
        };
        const auto meanScore = [this](const QString &d) {
            return number(QStringLiteral("SELECT avg(probabilities[2]) FROM mldeck.predictions WHERE deployment = $1 "
                                         "AND path = 'ml' AND NOT failed"),
                          {d});
        };
        const double rateBefore = rate(before), rateAfter = rate(after);
        const double scoreBefore = meanScore(before), scoreAfter = meanScore(after);
        qInfo("acceptance rate %.3f -> %.3f, mean P(accepted) %.3f -> %.3f", rateBefore, rateAfter, scoreBefore,
              scoreAfter);
        // Well calibrated before (within 0.05), over-stating acceptance after by about the rival's share.
        QVERIFY(std::abs(scoreBefore - rateBefore) < 0.05);
        QVERIFY(std::abs(scoreAfter - scoreBefore) < 0.03);
        QVERIFY(rateAfter < rateBefore * (1 - OfferTraffic::kRivalShare / 2));
        QVERIFY(scoreAfter - rateAfter > 0.1);
    }

    void calibrationScenarioIsRefusedOnARegression()
    {
        SimulatorOptions o;
        o.deployment = uniqueName(QStringLiteral("clreg"));
        o.redis = TestServers::redis();
        o.pg = m_db->endpoint();
        o.initialPercentage = -1;
        o.scenarios = {parseScenario(QStringLiteral("calibration@1m")).value()};
        Simulator sim(o);
        const Status st = sim.prepare();
        QVERIFY(!st);
        QVERIFY2(st.errorMessage().contains(QStringLiteral("classification deployment")),
                 qPrintable(st.errorMessage()));
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.deployments WHERE name = $1"), {o.deployment}),
                 0.0);
    }
};

QTEST_GUILESS_MAIN(TestClassifierSimulator)
#include "test_classifier_simulator.moc"
