// The classifier's month of demo history (`accept`) against real PostgreSQL and Redis: a deployment
// created as a classifier gets ride offers served by accept_mlp.pt and the baseline rule with class,
// probability and vector, the driver's late answers and dispatchers' marks as labels, the same plan,
// incident and drift story without a retrain, the class aggregates built, and the world's shift in the
// last days that leaves the model's probabilities over-stating acceptance.
#include "core/demo/HistoryBackfill.h"
#include "core/demo/HistoryScript.h"
#include "core/demo/RideOfferGenerator.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

constexpr double kRate = 0.05; // about 130 000 offers in 30 days
const QDateTime kEnd = QDateTime(QDate(2026, 3, 2), QTime(12, 0), Qt::UTC);
const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

} // namespace

class TestClassifierHistory : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_store;
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_pg;
    QString m_deployment = uniqueName(QStringLiteral("acch"));
    HistoryReport m_report;

    QString value(const QString &sql)
    {
        const auto r = test::query(*m_pg, sql, {m_deployment});
        if (!r || r->isEmpty() || r->first().isEmpty()) {
            qWarning() << "query failed:" << sql << r.errorMessage();
            return QStringLiteral("<none>");
        }
        return r->first().first();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(m_store.isValid());
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("acch"));
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        m_pg = std::move(pg).value();
        const auto migrated = Migrator::migrate(*m_pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        // As mldeck-dev demo makes it: a classifier with the model's classes and features.
        NewDeployment spec;
        spec.name = m_deployment;
        spec.task = QStringLiteral("classification");
        spec.schema = RideOfferGenerator::schema();
        spec.classSpec = RideOfferGenerator::classSpec();
        const auto created = createDeployment(*m_pg, TestServers::redis(), spec, kActor);
        QVERIFY2(created, qPrintable(created.errorMessage()));

        HistoryOptions o;
        o.deployment = m_deployment;
        o.days = 30;
        o.seed = 7;
        o.rate = kRate;
        o.end = kEnd;
        o.storeDirectory = m_store.path();
        o.redis = TestServers::redis();
        o.pg = m_db->endpoint();
        QElapsedTimer t;
        t.start();
        auto report = HistoryBackfill(o).run();
        QVERIFY2(report, qPrintable(report.errorMessage()));
        m_report = *report;
        qInfo("backfill: %lld predictions, %lld outcomes, %lld feedback in %.1f s", m_report.predictions,
              m_report.outcomes, m_report.feedback, double(t.elapsed()) / 1000);
        QVERIFY(m_report.predictions > 100'000);
    }

    void cleanupTestCase()
    {
        m_pg.reset();
        m_db.reset();
    }

    void everyRowCarriesClassProbabilityAndVector()
    {
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND NOT failed "
                                      "AND NOT (predicted_class IN (0, 1) AND cardinality(probabilities) = 2 AND "
                                      "abs(predicted - probabilities[predicted_class + 1]) < 1e-6 AND "
                                      "predicted_class = (probabilities[2] >= 0.5)::int)")),
                 QStringLiteral("0"));
        QCOMPARE(value(QStringLiteral("SELECT string_agg(DISTINCT path, ',' ORDER BY path) FROM mldeck.predictions "
                                      "WHERE deployment = $1")),
                 QStringLiteral("fallback,heuristic,ml"));
        // One model, version 1, champion all month; no retrain.
        QCOMPARE(value(QStringLiteral("SELECT string_agg(DISTINCT model_version, ',') FROM mldeck.predictions WHERE "
                                      "deployment = $1 AND path = 'ml'")),
                 QStringLiteral("1"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment = $1")),
                 QStringLiteral("1"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE deployment = $1")),
                 QStringLiteral("0"));
        // The same incident as the regression demo's.
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action IN "
                                      "('guard.rollback', 'guard.rearm')")),
                 QStringLiteral("2"));
    }

    // The deployment was created with ML off; the live traffic that follows starts as the month ended.
    void flagsAsTheMonthEnded()
    {
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY2(redis, qPrintable(redis.errorMessage()));
        const auto flags = FlagStore(**redis).read(m_deployment);
        QVERIFY2(flags, qPrintable(flags.errorMessage()));
        QVERIFY(flags->mlEnabled);
        QCOMPARE(flags->trafficPercentage, 100);
    }

    void labelsAreLateAnswersAndMarks()
    {
        const double predictions = double(m_report.predictions);
        QVERIFY(std::abs(double(m_report.outcomes) / predictions - 0.5) < 0.02);
        QVERIFY(std::abs(double(m_report.feedback) / predictions - 0.1) < 0.01);
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.outcomes o JOIN mldeck.predictions p USING "
                                      "(deployment, request_key) WHERE o.deployment = $1 AND (o.actual NOT IN (0, 1) "
                                      "OR o.observed_at < p.ts + interval '20 minutes')")),
                 QStringLiteral("0"));
        // The month's labels are the drivers' answers (marks loaded with the triggers off are not turned into
        // labels); a mark says whether the class served was the driver's answer.
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.outcomes WHERE deployment = $1")),
                 QString::number(m_report.outcomes));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.feedback f JOIN mldeck.outcomes o USING "
                                      "(deployment, request_key) JOIN mldeck.predictions p USING (deployment, "
                                      "request_key) WHERE f.deployment = $1 AND f.positive <> (p.predicted_class = "
                                      "o.actual)")),
                 QStringLiteral("0"));
    }

    void classAggregatesCoverTheMonth()
    {
        QCOMPARE(value(QStringLiteral("SELECT sum(c) FROM mldeck.kpi_class_hour, unnest(predicted_count) c WHERE "
                                      "deployment = $1")),
                 value(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND NOT failed")));
    }

    void theWorldShiftsInTheLastDays()
    {
        const HistoryScript script = HistoryScript::make(kEnd, 30, kRate);
        const QString from = script.calibrationFrom.toString(Qt::ISODate);
        const auto rate = [&](const char *op) {
            return value(QStringLiteral("SELECT avg(o.actual) FROM mldeck.outcomes o JOIN mldeck.predictions p USING "
                                        "(deployment, request_key) WHERE o.deployment = $1 AND p.ts %1 '%2'")
                             .arg(QLatin1String(op), from))
                .toDouble();
        };
        const auto score = [&](const char *op) {
            return value(
                       QStringLiteral("SELECT avg(probabilities[2]) FROM mldeck.predictions WHERE deployment = $1 AND "
                                      "path = 'ml' AND NOT failed AND ts %1 '%2'")
                           .arg(QLatin1String(op), from))
                .toDouble();
        };
        const double rateBefore = rate("<"), rateAfter = rate(">="), scoreBefore = score("<"), scoreAfter = score(">=");
        qInfo("acceptance %.3f -> %.3f; mean P(accepted) on ML %.3f -> %.3f", rateBefore, rateAfter, scoreBefore,
              scoreAfter);
        QVERIFY(rateAfter < rateBefore - 0.12);
        QVERIFY(scoreAfter - rateAfter > 0.12); // over-confident after the shift
    }
};

QTEST_GUILESS_MAIN(TestClassifierHistory)
#include "test_classifier_history.moc"
