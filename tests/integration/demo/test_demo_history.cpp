// The demo's month of history against real PostgreSQL and Redis: the story it tells (the plan's steps,
// the incident, the drift episode, the promoted retrain), KPI aggregates over the whole month, the same
// history for the same seed, and a second load that reuses instead of adding.
#include "core/demo/HistoryBackfill.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

// A low rate keeps the test's month small (about 130 000 rides) and its story intact.
constexpr double kRate = 0.05;
const QDateTime kEnd = QDateTime(QDate(2026, 3, 2), QTime(12, 0), Qt::UTC);

struct Database
{
    ScratchDatabase db{QStringLiteral("hist")};
    std::unique_ptr<PgConnection> pg;

    Database()
    {
        auto opened = PgConnection::open(db.endpoint(), QStringLiteral("test"));
        if (!opened) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("PostgreSQL: ") + opened.errorMessage());
            return;
        }
        pg = std::move(opened.value());
        if (const auto migrated = Migrator::migrate(*pg); !migrated)
            MLDECK_FAIL_IN_HELPER(QStringLiteral("migrate: ") + migrated.errorMessage());
    }

    QList<QStringList> rows(const QString &sql, const QStringList &params)
    {
        const auto r = test::query(*pg, sql, params);
        if (!r) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("query failed: ") + r.errorMessage());
            return {};
        }
        return *r;
    }

    QString value(const QString &sql, const QStringList &params)
    {
        const auto r = rows(sql, params);
        return r.isEmpty() || r.first().isEmpty() ? QStringLiteral("<none>") : r.first().first();
    }
};

} // namespace

class TestDemoHistory : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_store;
    QString m_deployment = uniqueName(QStringLiteral("hist"));
    std::unique_ptr<Database> m_first;
    HistoryReport m_report;

    HistoryOptions options(const Database &db) const
    {
        HistoryOptions o;
        o.deployment = m_deployment;
        o.days = 30;
        o.seed = 7;
        o.rate = kRate;
        o.end = kEnd;
        o.storeDirectory = m_store.path();
        o.redis = TestServers::redis();
        o.pg = db.db.endpoint();
        return o;
    }

    // What two histories of the same seed must share: the log's size, the aggregates and the story.
    QStringList fingerprint(Database &db)
    {
        const QStringList d{m_deployment};
        QStringList out;
        for (const char *sql :
             {"SELECT count(*) FROM mldeck.predictions WHERE deployment = $1",
              "SELECT count(*) FROM mldeck.outcomes WHERE deployment = $1",
              "SELECT count(*) FILTER (WHERE positive) || '/' || count(*) FROM mldeck.feedback WHERE deployment = $1",
              "SELECT sum(count) || ' ' || sum(failed) || ' ' || sum(labelled) || ' ' || "
              "round(sum(sum_abs_err)::numeric, 3)"
              " FROM mldeck.kpi_hour WHERE deployment = $1",
              "SELECT string_agg(action || '@' || ts::text, ',' ORDER BY ts, id) FROM mldeck.audit_log"
              " WHERE deployment = $1 AND action <> 'demo.history'",
              "SELECT string_agg(kind || ':' || dedup_key || '@' || raised_at::text, ',' ORDER BY raised_at, dedup_key)"
              " FROM mldeck.alerts WHERE deployment = $1",
              "SELECT count(*) || ' ' || count(*) FILTER (WHERE drift) FROM mldeck.drift_scores WHERE deployment = $1",
              "SELECT string_agg(decision || ' ' || metrics::text, ',') FROM mldeck.retrain_runs WHERE deployment = "
              "$1"})
            out << db.value(QString::fromLatin1(sql), d);
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(m_store.isValid());
        m_first = std::make_unique<Database>();
        MLDECK_HELPERS_OK();
        QElapsedTimer t;
        t.start();
        auto report = HistoryBackfill(options(*m_first)).run();
        QVERIFY2(report, qPrintable(report.errorMessage()));
        m_report = *report;
        qInfo("backfill: %lld predictions, %lld outcomes, %lld feedback in %.1f s", m_report.predictions,
              m_report.outcomes, m_report.feedback, double(t.elapsed()) / 1000);
        QVERIFY(!m_report.reused);
        QVERIFY(m_report.predictions > 100'000);
    }

    void badOptionsChangeNothing()
    {
        Database db;
        MLDECK_HELPERS_OK();
        HistoryOptions o = options(db);
        o.days = 3;
        QVERIFY(!HistoryBackfill(o).run());
        o.days = 30;
        o.rate = 0;
        QVERIFY(!HistoryBackfill(o).run());
        QCOMPARE(db.value(QStringLiteral("SELECT count(*) FROM mldeck.audit_log"), {}), QStringLiteral("0"));
        QCOMPARE(db.value(QStringLiteral("SELECT count(*) FROM mldeck.predictions"), {}), QStringLiteral("0"));
    }

    void planStepsInOrderWithGates()
    {
        const auto steps = m_first->rows(
            QStringLiteral("SELECT after->>'ml_traffic_percentage', jsonb_array_length(after->'details'->'gates') "
                           "FROM mldeck.audit_log WHERE deployment = $1 AND action LIKE 'plan.advance%' ORDER BY ts"),
            {m_deployment});
        QCOMPARE(steps.size(), 4);
        QCOMPARE(
            (QStringList{steps[0][0], steps[1][0], steps[2][0], steps[3][0]}),
            (QStringList{QStringLiteral("10"), QStringLiteral("25"), QStringLiteral("50"), QStringLiteral("100")}));
        QCOMPARE(steps[0][1], QStringLiteral("0")); // nothing to soak before the first step
        for (int i = 1; i < 4; ++i)
            QCOMPARE(steps[i][1], QStringLiteral("6")); // every gate of the plan, with its figure
        QCOMPARE(m_first->value(QStringLiteral("SELECT current_step || ' ' || array_to_string(steps, ',') FROM "
                                               "mldeck.rollout_plans WHERE deployment = $1"),
                                {m_deployment}),
                 QStringLiteral("3 10,25,50,100"));
        // The steps are a week apart.
        QCOMPARE(m_first->value(QStringLiteral("SELECT count(DISTINCT date_trunc('week', ts)) FROM mldeck.audit_log "
                                               "WHERE deployment = $1 AND action LIKE 'plan.advance%'"),
                                {m_deployment}),
                 QStringLiteral("4"));
    }

    void incidentRolledBackAndRearmed()
    {
        const QStringList d{m_deployment};
        const auto story = m_first->rows(
            QStringLiteral("SELECT action, after->>'ml_enabled', coalesce(after->'details'->>'error_rate', '') FROM "
                           "mldeck.audit_log WHERE deployment = $1 AND action IN ('guard.rollback', 'guard.rearm', "
                           "'flags.apply') ORDER BY ts"),
            d);
        QCOMPARE(story.size(), 3);
        QCOMPARE(story[0][0], QStringLiteral("guard.rollback"));
        QCOMPARE(story[0][1], QStringLiteral("0"));
        QVERIFY2(story[0][2].toDouble() > 0.30, qPrintable(story[0][2])); // above the rollback rule
        QCOMPARE(story[1][0], QStringLiteral("guard.rearm"));
        QCOMPARE(story[2][0], QStringLiteral("flags.apply"));
        QCOMPARE(story[2][1], QStringLiteral("1"));
        QCOMPARE(m_first->value(QStringLiteral("SELECT count(*) FROM mldeck.alerts WHERE deployment = $1 AND kind = "
                                               "'guardrail' AND raised_at = (SELECT ts FROM mldeck.audit_log WHERE "
                                               "deployment = $1 AND action = 'guard.rollback')"),
                                d),
                 QStringLiteral("1"));
        // The spike is in the log: failed ML calls served by the fallback, and no ML while the guard held it off.
        QVERIFY(m_first
                    ->value(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND "
                                           "path = 'fallback'"),
                            d)
                    .toLongLong() > 20);
        QCOMPARE(m_first->value(QStringLiteral("SELECT count(*) FROM mldeck.predictions p WHERE deployment = $1 AND "
                                               "path <> 'heuristic' AND ts > (SELECT ts FROM mldeck.audit_log WHERE "
                                               "deployment = $1 AND action = 'guard.rollback') AND ts < (SELECT ts "
                                               "FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                               "'flags.apply')"),
                                d),
                 QStringLiteral("0"));
    }

    void driftAlertAcknowledged()
    {
        const QStringList d{m_deployment};
        QVERIFY(m_first->value(QStringLiteral("SELECT count(*) FROM mldeck.drift_scores WHERE deployment = $1"), d)
                    .toLongLong() > 100);
        // The episode's features drift, and an alert was raised, acknowledged by a person and resolved.
        const QString drifted = m_first->value(
            QStringLiteral("SELECT string_agg(DISTINCT feature, ',' ORDER BY feature) FROM mldeck.drift_scores WHERE "
                           "deployment = $1 AND drift"),
            d);
        QVERIFY2(drifted.contains(QStringLiteral("rain_mm")) || drifted.contains(QStringLiteral("driver_load")),
                 qPrintable(drifted));
        const auto alert = m_first->rows(QStringLiteral("SELECT acknowledged_by, state FROM mldeck.alerts WHERE "
                                                        "deployment = $1 AND kind = 'drift' AND acknowledged_at IS "
                                                        "NOT NULL"),
                                         d);
        QCOMPARE(alert.size(), 1);
        QVERIFY(!alert[0][0].isEmpty());
        QCOMPARE(m_first->value(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND "
                                               "action = 'alert.acknowledge'"),
                                d),
                 QStringLiteral("1"));
    }

    void retrainPromotedSecondVersion()
    {
        const QStringList d{m_deployment};
        const auto run = m_first->rows(QStringLiteral("SELECT state, decision, trigger, base_version, result_version "
                                                      "FROM mldeck.retrain_runs WHERE deployment = $1"),
                                       d);
        QCOMPARE(run.size(), 1);
        QCOMPARE(run[0], (QStringList{QStringLiteral("succeeded"), QStringLiteral("promoted"),
                                      QStringLiteral("feedback"), QStringLiteral("1"), QStringLiteral("2")}));
        QCOMPARE(m_first->value(QStringLiteral("SELECT string_agg(m.version || ':' || coalesce(p.version, '-'), ',' "
                                               "ORDER BY m.version) FROM mldeck.models m LEFT JOIN mldeck.models p ON "
                                               "p.id = m.parent_id WHERE m.deployment = $1"),
                                d),
                 QStringLiteral("1:-,2:1"));
        QCOMPARE(m_first->value(QStringLiteral("SELECT m.version FROM mldeck.model_aliases a JOIN mldeck.models m ON "
                                               "m.id = a.model_id WHERE a.deployment = $1 AND a.alias = 'champion'"),
                                d),
                 QStringLiteral("2"));
        QCOMPARE(m_first->value(QStringLiteral("SELECT string_agg(after->>'version', ',' ORDER BY ts) FROM "
                                               "mldeck.audit_log WHERE deployment = $1 AND action = 'model.promote'"),
                                d),
                 QStringLiteral("1,2"));
        // The second model served after its promotion.
        QVERIFY(m_first
                    ->value(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND "
                                           "model_version = '2'"),
                            d)
                    .toLongLong() > 0);
    }

    void aggregatesCoverTheMonth()
    {
        const QStringList d{m_deployment};
        QCOMPARE(m_first->value(QStringLiteral("SELECT sum(count) FROM mldeck.kpi_hour WHERE deployment = $1"), d),
                 QString::number(m_report.predictions));
        QCOMPARE(m_first
                     ->value(QStringLiteral("SELECT count(DISTINCT date_trunc('day', bucket, 'UTC')) FROM "
                                            "mldeck.kpi_hour WHERE deployment = $1"),
                             d)
                     .toInt(),
                 31); // 30 days from noon to noon
        // Both paths, labelled, every day; feedback aggregated too.
        QCOMPARE(m_first->value(QStringLiteral("SELECT string_agg(DISTINCT path, ',' ORDER BY path) FROM "
                                               "mldeck.kpi_hour WHERE deployment = $1"),
                                d),
                 QStringLiteral("fallback,heuristic,ml"));
        QCOMPARE(m_first->value(QStringLiteral("SELECT sum(labelled) FROM mldeck.kpi_hour WHERE deployment = $1"), d),
                 m_first->value(QStringLiteral("SELECT count(*) FROM mldeck.predictions p JOIN mldeck.outcomes o USING "
                                               "(deployment, request_key) WHERE p.deployment = $1 AND NOT p.failed"),
                                d));
        QCOMPARE(
            m_first->value(QStringLiteral("SELECT sum(total) FROM mldeck.kpi_feedback_hour WHERE deployment = $1"), d),
            QString::number(m_report.feedback));
    }

    void sameSeedSameHistory()
    {
        Database second;
        MLDECK_HELPERS_OK();
        auto report = HistoryBackfill(options(second)).run();
        QVERIFY2(report, qPrintable(report.errorMessage()));
        QCOMPARE(report->predictions, m_report.predictions);
        QCOMPARE(fingerprint(second), fingerprint(*m_first));
    }

    void secondLoadReuses()
    {
        const QStringList before = fingerprint(*m_first);
        auto report = HistoryBackfill(options(*m_first)).run();
        QVERIFY2(report, qPrintable(report.errorMessage()));
        QVERIFY(report->reused);
        QCOMPARE(report->from, m_report.from);
        QCOMPARE(fingerprint(*m_first), before);
    }
};

QTEST_GUILESS_MAIN(TestDemoHistory)
#include "test_demo_history.moc"
