// Retention of raw rows with the aggregates kept (resources/contract/retention.md), on a real PostgreSQL:
// rows over ten days for two deployments sharing the daily partitions, one with a shorter retention;
// the guard's retention job drops exactly the days past both retentions, deletes the shorter one's older
// rows in bounded batches, folds old minute aggregates, audits each step, and the KPI figures read by
// the dashboard's cache are the same before and after.
#include "core/services/DriftCheck.h"
#include "core/services/DriftReference.h"
#include "core/services/FeatureSketching.h"
#include "core/services/KpiCache.h"
#include "core/services/guard/RetentionGuardJob.h"
#include "core/store/pg/ClassificationStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/EvaluationData.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "core/store/pg/RetentionStore.h"
#include "core/store/pg/RetrainStore.h"
#include "core/store/pg/WindowMetricsQuery.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace mldeck;

namespace {

constexpr int kDays = 10;  // days of rows, today included
constexpr int kPerDay = 6; // predictions per deployment and day (each with an outcome and a feedback)

QString fig(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'g', 12) : QStringLiteral("none");
}

// Every figure the dashboard shows for the whole range, per path, as text to compare.
QStringList figures(const KpiSnapshot &s)
{
    QStringList out;
    const auto add = [&out](const QString &what, const stats::KpiFigures &f) {
        out << QStringLiteral("%1 n=%2 failed=%3 labelled=%4 mae=%5 rmse=%6 r2=%7 mape=%8 p50=%9 p95=%10 mean=%11 "
                              "sat=%12 thr=%13")
                   .arg(what)
                   .arg(f.predictions)
                   .arg(f.failed)
                   .arg(f.labelled)
                   .arg(fig(f.mae), fig(f.rmse), fig(f.r2), fig(f.mape), fig(f.latencyP50Ms), fig(f.latencyP95Ms),
                        fig(f.latencyMeanMs), fig(f.satisfaction), fig(f.throughputPerSecond));
    };
    add(QStringLiteral("all"), s.overall);
    add(QStringLiteral("previous"), s.previous);
    for (auto it = s.byPath.begin(); it != s.byPath.end(); ++it)
        add(it.key(), it.value());
    for (auto it = s.byVersion.begin(); it != s.byVersion.end(); ++it)
        add(QStringLiteral("v:") + it.key(), it.value());
    return out;
}

// A drift data set as text, each column's values sorted: equal for the same rows in any order.
QStringList datasetText(const drift::Dataset &d)
{
    QStringList out;
    for (const drift::Column &c : d.columns) {
        QStringList values = c.categorical;
        for (double v : c.numeric)
            values << QString::number(v, 'g', 12);
        values.sort();
        out << c.name + QLatin1Char('=') + values.join(QLatin1Char(','));
    }
    return out;
}

} // namespace

class TestRetention : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    qint64 m_now = 0;
    QDate m_today;

    qint64 scalar(const QString &sql, const QStringList &params = {})
    {
        return test::queryValue(*m_conn, sql, params).toLongLong();
    }

    struct CliRun
    {
        int code = -1;
        QString out;
        QString err;
    };
    CliRun cli(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.remove(QStringLiteral("MLDECK_PG_READ_URL"));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
        if (!p.waitForFinished(60000))
            return {};
        return CliRun{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                      QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

    Result<KpiSnapshot> dashboard(const QString &deployment, qint64 from, qint64 to)
    {
        KpiCache cache;
        return cache.load(*m_conn, KpiQuery{deployment, from, to, false}, m_now);
    }

    void writeDays(const QString &deployment, qint64 dayStart)
    {
        std::vector<PredictionRow> preds;
        std::vector<OutcomeRow> outcomes;
        std::vector<FeedbackRow> feedback;
        for (int d = 0; d < kDays; ++d) {
            for (int i = 0; i < kPerDay; ++i) {
                PredictionRow p;
                // Spread over the day's first hours (all in the past, also for today's partition).
                p.tsMicros = (dayStart - qint64(d) * 86400 + 60 + i * 601) * 1'000'000;
                p.deployment = deployment;
                p.requestKey = QStringLiteral("%1-%2-%3").arg(deployment).arg(d).arg(i);
                p.path = i % 3 == 2 ? PredictionPath::Heuristic : PredictionPath::Ml;
                if (p.path == PredictionPath::Ml)
                    p.modelVersion = QStringLiteral("v1");
                p.predicted = 5.0 + i;
                p.latencyMs = float(3 + i * 2 + d);
                preds.push_back(p);
                outcomes.push_back(OutcomeRow{});
                outcomes.back().deployment = deployment;
                outcomes.back().requestKey = p.requestKey;
                outcomes.back().observedMicros = p.tsMicros + 300'000'000;
                outcomes.back().actual = 4.0 + i * 1.5 + d * 0.25;
                FeedbackRow f;
                f.tsMicros = p.tsMicros + 120'000'000;
                f.deployment = deployment;
                f.requestKey = p.requestKey;
                f.positive = (i + d) % 3 != 0;
                feedback.push_back(f);
            }
        }
        PredictionLog log(*m_conn);
        QVERIFY2(log.appendPredictions(preds), "predictions");
        QVERIFY2(log.appendOutcomes(outcomes), "outcomes");
        QVERIFY2(log.appendFeedback(feedback), "feedback");
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("retention"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test_retention"));
        QVERIFY2(c, qPrintable(c.errorMessage()));
        m_conn = std::move(c).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        m_now = QDateTime::currentSecsSinceEpoch();
        m_today = QDateTime::fromSecsSinceEpoch(m_now, Qt::UTC).date();
    }

    // integration: bad retention values are refused by the store, by the SQL function and by the
    // table's constraint, and nothing changes.
    void badRetentionRefused()
    {
        DeploymentStore deployments(*m_conn);
        NewDeployment spec;
        spec.name = QStringLiteral("ret-bad");
        QVERIFY(deployments.create(spec, Actor::current()));
        RetentionStore store(*m_conn);
        const qint64 auditBefore = scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log"));
        for (int bad : {0, -5, 3651}) {
            const Status s = store.setDays(spec.name, bad, Actor::current());
            QVERIFY(!s);
            QVERIFY2(s.errorMessage().contains(QStringLiteral("1 to 3650")), qPrintable(s.errorMessage()));
        }
        QVERIFY(!test::exec(*m_conn, QStringLiteral("SELECT mldeck.retention_set_days('ret-bad', 0)")));
        QVERIFY(!test::exec(*m_conn, QStringLiteral("UPDATE mldeck.deployments SET settings = settings || "
                                                    "'{\"retention_days\": 2.5}' WHERE name = 'ret-bad'")));
        QVERIFY(!test::exec(*m_conn, QStringLiteral("UPDATE mldeck.deployments SET settings = settings || "
                                                    "'{\"retention_days\": \"30\"}' WHERE name = 'ret-bad'")));
        QVERIFY(!store.setDays(QStringLiteral("ret-nobody"), 30, Actor::current()));
        QCOMPARE(store.days(spec.name).value(), RetentionStore::kDefaultDays);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log")), auditBefore);

        // A good value is stored and audited once; setting it again audits nothing.
        QVERIFY(store.setDays(spec.name, 30, Actor::current(), QStringLiteral("GDPR")));
        QVERIFY(store.setDays(spec.name, 30, Actor::current()));
        QCOMPARE(store.days(spec.name).value(), 30);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'deployment.retention' "
                                       "AND deployment = 'ret-bad' AND after ->> 'retention_days' = '30' "
                                       "AND before ->> 'default' = 'true'")),
                 1);
        QVERIFY(store.setDays(spec.name, std::nullopt, Actor::current()));
        QCOMPARE(store.days(spec.name).value(), RetentionStore::kDefaultDays);

        // 30.0 passes the constraint: it must read as 30, since one unreadable setting would stop every drop.
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.deployments SET settings = settings || "
                                                   "'{\"retention_days\": 30.0}' WHERE name = 'ret-bad'")));
        QCOMPARE(store.days(spec.name).value(), 30);
        QVERIFY(store.setDays(spec.name, std::nullopt, Actor::current()));
        QCOMPARE(store.days(spec.name).value(), RetentionStore::kDefaultDays);
    }

    // integration: the guard's retention pass on two deployments sharing the daily partitions.
    void dropsExactlyTheOldPartitionsAndKeepsTheAggregates()
    {
        DeploymentStore deployments(*m_conn);
        RetentionStore store(*m_conn);
        for (const char *name : {"ret-long", "ret-short"}) {
            NewDeployment spec;
            spec.name = QString::fromLatin1(name);
            QVERIFY(deployments.create(spec, Actor::current()));
        }
        QVERIFY(store.setDays(QStringLiteral("ret-long"), 6, Actor::current()));
        QVERIFY(store.setDays(QStringLiteral("ret-short"), 3, Actor::current()));
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(m_today.addDays(-(kDays - 1)), m_today));
        const qint64 todayStart = m_today.startOfDay(Qt::UTC).toSecsSinceEpoch();
        writeDays(QStringLiteral("ret-long"), todayStart);
        writeDays(QStringLiteral("ret-short"), todayStart);
        // Minute rows are kept 5 days here (14 by default): the fold runs on this data too.
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.retention_policy SET minute_fold_days = 5")));

        // The dashboard's figures before: 30 days to the last whole hour, a live 30 days, and six hours of
        // a day past the minute horizon (read at minute resolution before the fold, hours after).
        // Hour-aligned, to the end of the current hour: today's rows are logged in its first hour, which may not be
        // over yet (a run just after midnight UTC).
        const qint64 hourEnd = m_now - m_now % 3600 + 3600;
        const qint64 day7 = todayStart - 7 * 86400;
        struct Range
        {
            QString deployment;
            qint64 from, to;
        };
        const QList<Range> ranges = {{QStringLiteral("ret-long"), hourEnd - 30 * 86400, hourEnd},
                                     {QStringLiteral("ret-short"), hourEnd - 30 * 86400, hourEnd},
                                     {QStringLiteral("ret-long"), m_now - 30 * 86400, m_now},
                                     {QStringLiteral("ret-long"), day7, day7 + 6 * 3600},
                                     {QStringLiteral("ret-short"), day7, day7 + 6 * 3600}};
        QList<QStringList> before;
        for (const Range &r : ranges) {
            auto snap = dashboard(r.deployment, r.from, r.to);
            QVERIFY2(snap, qPrintable(snap.errorMessage()));
            QVERIFY(!snap->rawRowsGoneInRange());
            before << figures(*snap);
        }
        QVERIFY(before.first().first().contains(QStringLiteral("n=%1 ").arg(kDays * kPerDay)));
        const QString hourSums = QStringLiteral(
            "SELECT deployment, sum(count), sum(labelled), sum(sum_abs_err), sum(latency_sum) FROM mldeck.kpi_hour "
            "GROUP BY 1 ORDER BY 1");
        const auto hoursBefore = test::query(*m_conn, hourSums);
        QVERIFY(hoursBefore);

        // The guard's retention step, in batches of 4 rows so that the deletes take several transactions.
        RetentionPassOptions options;
        options.rowsPerBatch = 4;
        auto job = makeRetentionGuardJob(3600, options);
        GuardContext ctx{test::TestServers::redis(), m_db->endpoint(), QStringLiteral("ret-long"),
                         QStringLiteral("guard@test"), nullptr};
        const Status ran = job->runOnce(ctx);
        QVERIFY2(ran, qPrintable(ran.errorMessage()));
        qInfo("%s", qPrintable(job->lastSummary()));

        // Partitions: the days ending by today - 6 (past both retentions) are gone, the others are there.
        for (int d = 0; d < kDays; ++d) {
            const QString part =
                QStringLiteral("predictions_") + m_today.addDays(-d).toString(QStringLiteral("yyyyMMdd"));
            const bool exists =
                !test::queryValue(*m_conn, QStringLiteral("SELECT to_regclass('mldeck.' || $1)"), {part}).isEmpty();
            QVERIFY2(exists == (d <= 6), qPrintable(part));
        }
        // Rows: ret-long keeps 7 days (today - 6 .. today), ret-short 4 (today - 3 .. today), in every table.
        for (const auto &[dep, days] : {std::pair{QStringLiteral("ret-long"), 7}, {QStringLiteral("ret-short"), 4}}) {
            const qint64 cutoff = todayStart - qint64(days - 1) * 86400;
            QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1"), {dep}),
                     qint64(days * kPerDay));
            QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.outcomes WHERE deployment = $1"), {dep}),
                     qint64(days * kPerDay));
            QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1"), {dep}),
                     qint64(days * kPerDay));
            QCOMPARE(scalar(QStringLiteral("SELECT extract(epoch FROM min(ts))::bigint / 86400 * 86400 FROM "
                                           "mldeck.predictions WHERE deployment = $1"),
                            {dep}),
                     cutoff);
            QCOMPARE(store.horizons(dep).value().rawBeforeSecs, cutoff);
        }
        // The outcomes' day index keeps the days of the partitions left (ret-short's keys of the days ret-long keeps
        // included: harmless, a probe that finds nothing) and nothing older.
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.request_days")), qint64(2 * 7 * kPerDay));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.request_days WHERE day < $1::date"),
                        {m_today.addDays(-6).toString(Qt::ISODate)}),
                 qint64(0));

        // The audit log: one row per dropped partition naming it, its range and its rows; the deletes of
        // ret-short add up to the rows it lost from the shared partitions (days today - 4 .. today - 6).
        const auto drops =
            test::query(*m_conn, QStringLiteral("SELECT after ->> 'partition', after ->> 'rows', after ->> 'from', "
                                                "after ->> 'rows_estimated' FROM mldeck.audit_log "
                                                "WHERE action = 'retention.drop_partition' ORDER BY 1"));
        QVERIFY(drops);
        QStringList dropped;
        for (const QStringList &row : drops.value()) {
            dropped << row[0];
            QCOMPARE(row[1], QString::number(2 * kPerDay));
            QCOMPARE(row[3], QStringLiteral("false")); // a small partition is counted, not estimated
        }
        QStringList expected;
        for (int d = kDays - 1; d >= 7; --d)
            expected << QStringLiteral("predictions_") + m_today.addDays(-d).toString(QStringLiteral("yyyyMMdd"));
        QCOMPARE(dropped, expected);
        QCOMPARE(
            scalar(QStringLiteral(
                       "SELECT sum((t ->> 'rows')::bigint) FROM mldeck.audit_log, jsonb_array_elements(after -> "
                       "'deleted') t "
                       "WHERE action = 'retention.delete_rows' AND deployment = 'ret-short' AND t ->> 'table' = $1"),
                   {QStringLiteral("predictions")}),
            qint64(3 * kPerDay));
        QVERIFY(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'retention.delete_rows' "
                                      "AND deployment = 'ret-short'")) >= 5); // 18 rows in batches of 4
        // ret-long's old predictions went with the partitions; outcomes and feedback are not partitioned:
        // their rows of days today - 7 .. today - 9 were deleted.
        const QString deletedOf =
            QStringLiteral("SELECT coalesce(sum((t ->> 'rows')::bigint), 0) FROM mldeck.audit_log, "
                           "jsonb_array_elements(after -> 'deleted') t "
                           "WHERE action = 'retention.delete_rows' AND deployment = $1 AND t ->> 'table' = $2");
        QCOMPARE(scalar(deletedOf, {QStringLiteral("ret-long"), QStringLiteral("predictions")}), qint64(0));
        QCOMPARE(scalar(deletedOf, {QStringLiteral("ret-long"), QStringLiteral("outcomes")}), qint64(3 * kPerDay));
        QCOMPARE(scalar(deletedOf, {QStringLiteral("ret-short"), QStringLiteral("feedback")}), qint64(6 * kPerDay));

        // Minute rows before the horizon are gone, their hours folded; none left to mismatch.
        const qint64 horizon = store.minuteHorizon(m_now).value();
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.kpi_minute WHERE bucket < to_timestamp($1)"),
                        {QString::number(horizon)}),
                 qint64(0));
        QCOMPARE(
            scalar(QStringLiteral("SELECT count(*) FROM mldeck.kpi_feedback_minute WHERE bucket < to_timestamp($1)"),
                   {QString::number(horizon)}),
            qint64(0));
        QVERIFY(scalar(QStringLiteral("SELECT count(*) FROM mldeck.kpi_minute")) > 0); // the recent ones stay
        QVERIFY(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'retention.fold_minutes' "
                                      "AND (after ->> 'hours_kept_mismatched')::int = 0")) >= 2);

        // The aggregates are what they were, and so is every figure of the dashboard; it now says that
        // raw rows are gone for the part of its range before the horizon.
        const auto hoursAfter = test::query(*m_conn, hourSums);
        QVERIFY(hoursAfter);
        QCOMPARE(hoursAfter.value(), hoursBefore.value());
        for (int i = 0; i < ranges.size(); ++i) {
            auto snap = dashboard(ranges[i].deployment, ranges[i].from, ranges[i].to);
            QVERIFY2(snap, qPrintable(snap.errorMessage()));
            QCOMPARE(figures(*snap), before[i]);
            QVERIFY(snap->rawRowsGoneInRange());
        }

        // A rebuild over hours whose raw rows are gone would erase the kept figures: refused.
        const Status rebuilt = KpiStore(*m_conn).rebuild(QStringLiteral("ret-long"), day7, day7 + 3600);
        QVERIFY(!rebuilt);
        QVERIFY2(rebuilt.errorMessage().contains(QStringLiteral("gone")), qPrintable(rebuilt.errorMessage()));
        QCOMPARE(test::query(*m_conn, hourSums).value(), hoursBefore.value());

        // What needs raw rows (evaluation and retrain windows here; drift's exact path makes the same check)
        // refuses a window that starts before the horizon, naming it, instead of using the rows left.
        auto evaluation =
            EvaluationData(*m_conn).load(QStringLiteral("ret-short"), day7 * 1'000'000, m_now * 1'000'000);
        QVERIFY(!evaluation);
        QVERIFY2(evaluation.errorMessage().contains(QStringLiteral("are gone (retention)")),
                 qPrintable(evaluation.errorMessage()));
        evaluation = EvaluationData(*m_conn).load(QStringLiteral("ret-short"), (todayStart - 2 * 86400) * 1'000'000,
                                                  m_now * 1'000'000);
        // (this deployment has no feature schema: whatever else it says, not the retention refusal)
        QVERIFY2(!evaluation.errorMessage().contains(QStringLiteral("retention")),
                 qPrintable(evaluation.errorMessage()));

        // A second pass finds nothing more to do and audits nothing.
        const qint64 audits = scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log"));
        auto again = runRetentionPass(*m_conn, m_now, Actor::guard(), options);
        QVERIFY2(again, qPrintable(again.errorMessage()));
        QCOMPARE(again->droppedPartitions.size(), 0);
        QCOMPARE(again->deletedRows, qint64(0));
        QCOMPARE(again->foldedMinuteRows, qint64(0));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log")), audits);
    }

    // integration: minute rows of an hour whose hour row does not hold their sums are kept (and reported)
    // rather than folded; once the hour agrees they are folded.
    void foldKeepsMinutesWhenHoursDisagree()
    {
        NewDeployment spec;
        spec.name = QStringLiteral("ret-mis");
        QVERIFY(DeploymentStore(*m_conn).create(spec, Actor::current()));
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.retention_policy SET minute_fold_days = 5")));
        const QDate day = m_today.addDays(-8);
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(day, day));
        std::vector<PredictionRow> preds;
        for (int i = 0; i < 5; ++i) {
            PredictionRow p;
            p.tsMicros = (day.startOfDay(Qt::UTC).toSecsSinceEpoch() + 7200 + i * 60) * 1'000'000;
            p.deployment = spec.name;
            p.requestKey = QStringLiteral("mis-%1").arg(i);
            p.path = PredictionPath::Ml;
            p.modelVersion = QStringLiteral("v1");
            p.predicted = 3.0;
            p.latencyMs = 4;
            preds.push_back(p);
        }
        QVERIFY(PredictionLog(*m_conn).appendPredictions(preds));
        const QString minutes = QStringLiteral("SELECT count(*) FROM mldeck.kpi_minute WHERE deployment = 'ret-mis'");
        QCOMPARE(scalar(minutes), qint64(5));
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.kpi_hour SET count = count + 1 "
                                                   "WHERE deployment = 'ret-mis'")));
        auto pass = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        QCOMPARE(pass->mismatchedHours, qint64(1));
        QCOMPARE(scalar(minutes), qint64(5));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'retention.fold_minutes' "
                                       "AND deployment = 'ret-mis' AND (after ->> 'hours_kept_mismatched')::int = 1")),
                 qint64(1));

        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.kpi_hour SET count = count - 1 "
                                                   "WHERE deployment = 'ret-mis'")));
        // Counts moved to other latency bins keep every total: the sketch's moments still see it.
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.kpi_hour SET lat_offset = lat_offset + 1 "
                                                   "WHERE deployment = 'ret-mis'")));
        pass = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        QCOMPARE(pass->mismatchedHours, qint64(1));
        QCOMPARE(scalar(minutes), qint64(5));
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.kpi_hour SET lat_offset = lat_offset - 1 "
                                                   "WHERE deployment = 'ret-mis'")));
        pass = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        QCOMPARE(pass->mismatchedHours, qint64(0));
        QCOMPARE(scalar(minutes), qint64(0));
        QCOMPARE(scalar(QStringLiteral("SELECT sum(count) FROM mldeck.kpi_hour WHERE deployment = 'ret-mis'")),
                 qint64(5));
    }

    // integration: a guard whose role may not remove history says so (naming mldeck_admin) and removes nothing;
    // an admin may, and may set a retention, which an operator may not.
    void retentionNeedsTheAdminRole()
    {
        const qint64 rows = scalar(QStringLiteral("SELECT count(*) FROM mldeck.predictions"));
        test::LoginRole operatorRole(QStringLiteral("mldeck_operator"));
        auto job = makeRetentionGuardJob();
        GuardContext ctx{test::TestServers::redis(), operatorRole.endpoint(m_db->endpoint()),
                         QStringLiteral("ret-long"), QStringLiteral("guard@test"), nullptr};
        const Status refused = job->runOnce(ctx);
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("mldeck_admin")), qPrintable(refused.errorMessage()));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.predictions")), rows);
        auto asOperator = PgConnection::open(operatorRole.endpoint(m_db->endpoint()), QStringLiteral("test"));
        QVERIFY(asOperator);
        QVERIFY(!RetentionStore(**asOperator).setDays(QStringLiteral("ret-long"), 10, Actor::current()));

        test::LoginRole adminRole(QStringLiteral("mldeck_admin"));
        auto asAdmin = PgConnection::open(adminRole.endpoint(m_db->endpoint()), QStringLiteral("test"));
        QVERIFY(asAdmin);
        QCOMPARE(RetentionStore(**asAdmin).passRefusal().value(), QString());
        auto pass = runRetentionPass(**asAdmin, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        QVERIFY(RetentionStore(**asAdmin).setDays(QStringLiteral("ret-long"), 6, Actor::current()));
    }

    // integration: the rollout gates' estimated MAE (the nanny's estimates, kept per minute and per hour) over
    // a window longer than the fold horizon is the same after the old minute rows are folded into hours.
    void estimatedMaeReadsFoldedHours()
    {
        NewDeployment spec;
        spec.name = QStringLiteral("ret-est");
        QVERIFY(DeploymentStore(*m_conn).create(spec, Actor::current()));
        QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.retention_policy SET minute_fold_days = 5")));
        const QDate old = m_today.addDays(-8);
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(old, m_today.addDays(1)));
        std::vector<PredictionRow> preds;
        const auto add = [&](qint64 secs, int i) {
            PredictionRow p;
            p.tsMicros = secs * 1'000'000;
            p.deployment = spec.name;
            p.requestKey = QStringLiteral("est-%1").arg(i);
            p.path = PredictionPath::Ml;
            p.modelVersion = QStringLiteral("v1");
            p.predicted = 3.0;
            preds.push_back(p);
        };
        for (int i = 0; i < 5; ++i)
            add(old.startOfDay(Qt::UTC).toSecsSinceEpoch() + 7200 + i * 60, i);
        for (int i = 5; i < 8; ++i)
            add(m_now - 3600 - i * 60, i);
        QVERIFY(PredictionLog(*m_conn).appendPredictions(preds));
        // Estimates as the nanny writes them: the same amounts in the minute and the hour rows (1.5 per old
        // prediction, 3.0 per recent one).
        for (const char *table : {"kpi_minute", "kpi_hour"})
            QVERIFY(test::exec(*m_conn, QStringLiteral("UPDATE mldeck.%1 SET est_count = count, est_abs_err_sum = "
                                                       "count * CASE WHEN bucket < now() - interval '5 days' "
                                                       "THEN 1.5 ELSE 3.0 END WHERE deployment = 'ret-est'")
                                            .arg(QLatin1String(table))));
        const double expected = (5 * 1.5 + 3 * 3.0) / 8;
        auto before = WindowMetricsQuery(*m_conn).mlWindow(spec.name, 10 * 86400);
        QVERIFY2(before, qPrintable(before.errorMessage()));
        QVERIFY(before->estimatedMae.has_value());
        QCOMPARE(*before->estimatedMae, expected);

        auto pass = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.kpi_minute WHERE deployment = 'ret-est' "
                                       "AND bucket < now() - interval '5 days'")),
                 qint64(0));
        auto after = WindowMetricsQuery(*m_conn).mlWindow(spec.name, 10 * 86400);
        QVERIFY2(after, qPrintable(after.errorMessage()));
        QVERIFY(after->estimatedMae.has_value());
        QCOMPARE(*after->estimatedMae, expected);
    }

    // integration: the admin's manual drop_prediction_partitions (step 1) notes what it removed too.
    void manualDropNotesTheHorizon()
    {
        const QDate day = m_today.addDays(-20);
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(day, day));
        PredictionRow p;
        p.tsMicros = day.startOfDay(Qt::UTC).toMSecsSinceEpoch() * 1000 + 3'600'000'000;
        p.deployment = QStringLiteral("ret-manual");
        p.requestKey = QStringLiteral("m1");
        p.path = PredictionPath::Heuristic;
        p.predicted = 1;
        QVERIFY(PredictionLog(*m_conn).appendPredictions({p}));
        QVERIFY(test::exec(*m_conn, QStringLiteral("SELECT mldeck.drop_prediction_partitions('%1'::date)")
                                        .arg(day.addDays(1).toString(Qt::ISODate))));
        QCOMPARE(RetentionStore(*m_conn).horizons(QStringLiteral("ret-manual")).value().rawBeforeSecs,
                 day.addDays(1).startOfDay(Qt::UTC).toSecsSinceEpoch());
    }

    // integration: `mldeckctl deployments retention` refuses bad values (nothing changed) and sets a good
    // one; `mldeckctl kpi` over a range partly past retention says that the raw rows are gone there.
    void cliRetentionAndKpiNotice()
    {
        const QString dep = QStringLiteral("ret-short");
        for (const QString &bad :
             {QStringLiteral("0"), QStringLiteral("3651"), QStringLiteral("ten"), QStringLiteral("2.5")}) {
            const CliRun r =
                cli({QStringLiteral("deployments"), QStringLiteral("retention"), dep, QStringLiteral("--days"), bad});
            QVERIFY2(r.code != 0, qPrintable(bad));
            QVERIFY2(r.err.contains(QStringLiteral("--days")) || r.err.contains(QStringLiteral("1 to 3650")),
                     qPrintable(r.err));
        }
        QCOMPARE(RetentionStore(*m_conn).days(dep).value(), 3);
        CliRun r = cli({QStringLiteral("deployments"), QStringLiteral("retention"), dep, QStringLiteral("--days"),
                        QStringLiteral("45"), QStringLiteral("--reason"), QStringLiteral("audit ask")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("keeps its raw rows 45 day")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("Raw rows before")), qPrintable(r.out));
        QCOMPARE(RetentionStore(*m_conn).days(dep).value(), 45);
        QCOMPARE(test::queryValue(*m_conn, QStringLiteral("SELECT reason FROM mldeck.audit_log WHERE action = "
                                                          "'deployment.retention' ORDER BY id DESC LIMIT 1")),
                 QStringLiteral("audit ask"));

        r = cli({QStringLiteral("kpi"), QStringLiteral("--deployment"), dep, QStringLiteral("--range"),
                 QStringLiteral("30d")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("Raw rows before")), qPrintable(r.out));
        r = cli({QStringLiteral("kpi"), QStringLiteral("--deployment"), dep, QStringLiteral("--range"),
                 QStringLiteral("1h"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(!r.out.contains(QStringLiteral("raw_rows_before")), qPrintable(r.out)); // all raw rows there
        r = cli({QStringLiteral("kpi"), QStringLiteral("--deployment"), dep, QStringLiteral("--range"),
                 QStringLiteral("30d"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(!QJsonDocument::fromJson(r.out.toUtf8())
                     .object()
                     .value(QStringLiteral("raw_rows_before"))
                     .toString()
                     .isEmpty());
    }

    // integration: the label state (kpi_outcome_state) of a request key past retention goes once no prediction of
    // it remains, in bounded batches, audited and counted in the guard's line; a key whose prediction remains
    // keeps it, so that a later outcome moves its label instead of adding one (the aggregates equal a rebuild's).
    void outcomeStateTrimmedExactly()
    {
        const QString dep = QStringLiteral("ret-state");
        NewDeployment spec;
        spec.name = dep;
        QVERIFY(DeploymentStore(*m_conn).create(spec, Actor::current()));
        QVERIFY(RetentionStore(*m_conn).setDays(dep, 3, Actor::current()));
        const QDate old = m_today.addDays(-5);
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(old, m_today));
        const qint64 oldSecs = old.startOfDay(Qt::UTC).toSecsSinceEpoch() + 3600;
        const qint64 recent = m_now - 7200;
        std::vector<PredictionRow> preds;
        std::vector<OutcomeRow> outcomes;
        const auto predict = [&](const QString &key, qint64 secs, double predicted) {
            PredictionRow p;
            p.tsMicros = secs * 1'000'000;
            p.deployment = dep;
            p.requestKey = key;
            p.path = PredictionPath::Ml;
            p.modelVersion = QStringLiteral("v1");
            p.predicted = predicted;
            p.latencyMs = 2;
            preds.push_back(p);
        };
        const auto outcome = [&](const QString &key, qint64 secs, double actual) {
            OutcomeRow o;
            o.observedMicros = secs * 1'000'000;
            o.deployment = dep;
            o.requestKey = key;
            o.actual = actual;
            outcomes.push_back(o);
        };
        for (int i = 0; i < 4; ++i) { // past retention with their predictions: their state goes
            predict(QStringLiteral("old-%1").arg(i), oldSecs + i * 60, 5);
            outcome(QStringLiteral("old-%1").arg(i), oldSecs + i * 60 + 300, 6 + i);
        }
        outcome(QStringLiteral("orphan"), oldSecs, 1); // no prediction ever: its state goes
        outcome(QStringLiteral("early"), oldSecs, 2);  // labelled long before its (kept) prediction: kept
        predict(QStringLiteral("early"), recent, 3);
        for (int i = 0; i < 3; ++i) { // recent: kept
            predict(QStringLiteral("new-%1").arg(i), recent + i * 60, 4);
            outcome(QStringLiteral("new-%1").arg(i), recent + i * 60 + 30, 5);
        }
        QVERIFY(PredictionLog(*m_conn).appendOutcomes(outcomes));
        QVERIFY(PredictionLog(*m_conn).appendPredictions(preds));
        const QString states =
            QStringLiteral("SELECT string_agg(request_key, ',' ORDER BY request_key) FROM mldeck.kpi_outcome_state "
                           "WHERE deployment = 'ret-state'");
        QCOMPARE(test::queryValue(*m_conn, states),
                 QStringLiteral("early,new-0,new-1,new-2,old-0,old-1,old-2,old-3,orphan"));
        const QString sums = QStringLiteral("SELECT sum(count), sum(labelled), sum(sum_abs_err) FROM mldeck.kpi_hour "
                                            "WHERE deployment = 'ret-state' AND bucket >= to_timestamp($1)");
        const auto before = test::query(*m_conn, sums, {QStringLiteral("0")});
        QVERIFY(before);

        RetentionPassOptions options;
        options.rowsPerBatch = 2; // 5 state rows: three transactions
        auto job = makeRetentionGuardJob(3600, options);
        GuardContext ctx{test::TestServers::redis(), m_db->endpoint(), dep, QStringLiteral("guard@test"), nullptr};
        const Status ran = job->runOnce(ctx);
        QVERIFY2(ran, qPrintable(ran.errorMessage()));
        qInfo("%s", qPrintable(job->lastSummary()));
        QVERIFY2(job->lastSummary().contains(QStringLiteral("5 label states trimmed")), qPrintable(job->lastSummary()));

        QCOMPARE(test::queryValue(*m_conn, states), QStringLiteral("early,new-0,new-1,new-2"));
        QCOMPARE(scalar(QStringLiteral("SELECT sum((t ->> 'rows')::bigint) FROM mldeck.audit_log, "
                                       "jsonb_array_elements(after -> 'deleted') t WHERE action = "
                                       "'retention.delete_rows' AND deployment = 'ret-state' "
                                       "AND t ->> 'table' = 'kpi_outcome_state'")),
                 qint64(5));
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'retention.delete_rows' "
                                       "AND deployment = 'ret-state' AND after -> 'deleted' @> "
                                       "'[{\"table\": \"kpi_outcome_state\"}]'")),
                 qint64(3));
        QCOMPARE(test::query(*m_conn, sums, {QStringLiteral("0")}).value(), before.value());

        // A later outcome of the kept key replaces its label (|3 - 2| becomes |3 - 10|), exactly as a rebuild of
        // the kept range computes it from the raw rows.
        const qint64 rawBefore = RetentionStore(*m_conn).horizons(dep).value().rawBeforeSecs;
        QCOMPARE(rawBefore, m_today.addDays(-3).startOfDay(Qt::UTC).toSecsSinceEpoch());
        OutcomeRow later;
        later.observedMicros = m_now * 1'000'000;
        later.deployment = dep;
        later.requestKey = QStringLiteral("early");
        later.actual = 10;
        QVERIFY(PredictionLog(*m_conn).appendOutcomes({later}));
        const auto moved = test::query(*m_conn, sums, {QString::number(rawBefore)});
        QVERIFY(moved);
        QCOMPARE(moved->at(0), (QStringList{QStringLiteral("4"), QStringLiteral("4"), QStringLiteral("10")}));
        QVERIFY(KpiStore(*m_conn).rebuild(dep, rawBefore, m_now + 3600));
        QCOMPARE(test::query(*m_conn, sums, {QString::number(rawBefore)}).value(), moved.value());
    }

    // integration: a first_rows drift reference whose rows retention is about to remove is kept as a snapshot
    // before the pass removes them (a snapshot someone stored under that name is left alone), so that drift
    // reads the same reference rows after; set back to first_rows it is refused by name.
    void firstRowsReferenceKeptAsSnapshot()
    {
        const QString dep = QStringLiteral("ret-ref");
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back({QStringLiteral("c"), FeatureSpec::Kind::Categorical, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(dep, {}, schema));
        QVERIFY(RetentionStore(*m_conn).setDays(dep, 3, Actor::current()));
        auto set = setDriftReference(*m_conn, dep, QStringLiteral("first_rows:100"), Actor::current());
        QVERIFY2(set, qPrintable(set.errorMessage()));
        DriftData data(*m_conn);
        const FeatureSchema logged = data.latestSchema(dep).value();
        const QDate old = m_today.addDays(-5);
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(old, m_today));
        std::vector<PredictionRow> preds;
        for (int i = 0; i < 110; ++i) { // 105 rows 5 days old, then 5 recent ones
            PredictionRow p;
            p.tsMicros =
                (i < 105 ? old.startOfDay(Qt::UTC).toSecsSinceEpoch() + 3600 + i * 60 : m_now - 7200 + i) * 1'000'000LL;
            p.deployment = dep;
            p.requestKey = QStringLiteral("ref-%1").arg(i);
            p.featureSchema = logged.id;
            p.features.numeric = {float(i * 1.5)};
            p.features.categorical = {i % 2 ? QStringLiteral("a") : QStringLiteral("b")};
            p.predicted = i;
            preds.push_back(p);
        }
        QVERIFY(PredictionLog(*m_conn).appendPredictions(preds));
        QVERIFY(data.createSnapshot(dep, QStringLiteral("first-rows"), logged, (m_now - 7300) * 1'000'000LL,
                                    m_now * 1'000'000LL, 100));
        const auto before = data.loadFirstRows(dep, logged, 100);
        QVERIFY2(before, qPrintable(before.errorMessage()));
        QCOMPARE(before->columns.front().size(), qint64(100));

        auto pass = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        QCOMPARE(pass->keptReferences, QStringList{QStringLiteral("ret-ref: first-rows-2")});
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = 'ret-ref'")),
                 qint64(5));
        QCOMPARE(data.driftSettings(dep).value().value(QStringLiteral("reference")).toString(),
                 QStringLiteral("snapshot:first-rows-2"));
        auto reference = loadDriftReference(*m_conn, dep, logged, m_now * 1'000'000LL);
        QVERIFY2(reference, qPrintable(reference.errorMessage()));
        QCOMPARE(datasetText(reference->data), datasetText(*before));
        QCOMPARE(scalar(QStringLiteral("SELECT row_count FROM mldeck.drift_snapshots WHERE deployment = 'ret-ref' "
                                       "AND name = 'first-rows'")),
                 qint64(5));
        QCOMPARE(scalar(QStringLiteral(
                     "SELECT count(*) FROM mldeck.audit_log WHERE action = 'drift.reference' "
                     "AND deployment = 'ret-ref' AND after ->> 'reference' = 'snapshot:first-rows-2' "
                     "AND reason = 'retention would remove the first 100 logged predictions: kept as snapshot "
                     "first-rows-2 (100 rows)'")),
                 qint64(1));

        // "The first 100 logged predictions" are other rows now: refused by name, and not kept again.
        QVERIFY(setDriftReference(*m_conn, dep, QStringLiteral("first_rows:100"), Actor::current()));
        const auto refused = loadDriftReference(*m_conn, dep, logged, m_now * 1'000'000LL);
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("no longer the same rows")),
                 qPrintable(refused.errorMessage()));
        const auto images = data.sampleFirstImageKeys(dep, logged, 100, 10);
        QVERIFY(!images);
        QVERIFY2(images.errorMessage().contains(QStringLiteral("no longer the same rows")),
                 qPrintable(images.errorMessage()));
        auto again = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(again, qPrintable(again.errorMessage()));
        QVERIFY(again->keptReferences.isEmpty());
    }

    // integration: a classifier's calibration map is fitted on the same reference rows after retention: its
    // first_rows reference kept as a snapshot keeps each row's path and time, and the map reads them there.
    void classifierCalibrationKeepsItsReferenceRows()
    {
        NewDeployment spec;
        spec.name = QStringLiteral("ret-cal");
        spec.task = QStringLiteral("classification");
        spec.classSpec.classes = QStringList{QStringLiteral("no"), QStringLiteral("yes")};
        spec.schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        spec.driftReference = QStringLiteral("first_rows:100");
        auto created = DeploymentStore(*m_conn).create(spec, Actor::current());
        QVERIFY2(created, qPrintable(created.errorMessage()));
        QVERIFY(RetentionStore(*m_conn).setDays(spec.name, 3, Actor::current()));
        const int schemaId = DriftData(*m_conn).latestSchema(spec.name).value().id;
        const qint64 oldSecs = m_today.addDays(-5).startOfDay(Qt::UTC).toSecsSinceEpoch() + 3600;
        std::vector<PredictionRow> preds;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < 102; ++i) { // 100 old rows (one on the heuristic path), 2 recent ones
            PredictionRow p;
            p.tsMicros = (i < 100 ? oldSecs + i * 60 : m_now - 7200 + i) * 1'000'000LL;
            p.deployment = spec.name;
            p.requestKey = QStringLiteral("cal-%1").arg(i);
            p.path = i == 2 ? PredictionPath::Heuristic : PredictionPath::Ml;
            if (p.path == PredictionPath::Ml)
                p.modelVersion = QStringLiteral("v1");
            p.featureSchema = schemaId;
            p.features.numeric = {float(i)};
            const float yes = 0.05f + 0.009f * float(i % 100);
            p.predictedClass = yes >= 0.5f ? 1 : 0;
            p.predicted = p.predictedClass == 1 ? yes : 1 - yes;
            p.probabilities = {1 - yes, yes};
            preds.push_back(p);
            OutcomeRow o;
            o.observedMicros = p.tsMicros + 60'000'000;
            o.deployment = spec.name;
            o.requestKey = p.requestKey;
            o.actual = i % 3 == 0 ? 1 : 0;
            outcomes.push_back(o);
        }
        QVERIFY(PredictionLog(*m_conn).appendPredictions(preds));
        QVERIFY(PredictionLog(*m_conn).appendOutcomes(outcomes));
        const qint64 nowMicros = m_now * 1'000'000LL;
        const auto before = ClassificationStore(*m_conn).referenceRows(spec.name, nowMicros);
        QVERIFY2(before, qPrintable(before.errorMessage()));
        QCOMPARE(before->score.size(), size_t(99)); // the ML path's labelled rows among the first 100

        auto pass = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        QCOMPARE(pass->keptReferences, QStringList{QStringLiteral("ret-cal: first-rows")});
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = 'ret-cal'")),
                 qint64(2));
        const auto after = ClassificationStore(*m_conn).referenceRows(spec.name, nowMicros);
        QVERIFY2(after, qPrintable(after.errorMessage()));
        QVERIFY2(after->gone.isEmpty(), qPrintable(after->gone));
        QCOMPARE(after->score, before->score);
        QCOMPARE(after->outcome, before->outcome);
    }

    // integration: the other readers of raw rows refuse a window that starts before the horizon, by name (image
    // labels and samples, the retrain window's MAE and feedback), a classifier's calibration map is not fitted on
    // the rows left of its reference (the estimate says why), and the hourly sketcher starts at the horizon.
    void readersOfRawRowsRefuseOrSaySo()
    {
        const QString dep = QStringLiteral("ret-ref"); // after the pass of firstRowsReferenceKeptAsSnapshot
        const qint64 oldMicros = m_today.addDays(-5).startOfDay(Qt::UTC).toMSecsSinceEpoch() * 1000;
        const qint64 nowMicros = m_now * 1'000'000LL;
        const QString gone = QStringLiteral("are gone (retention)");
        const auto labels = EvaluationData(*m_conn).loadImageLabels(dep, 2, oldMicros, nowMicros);
        QVERIFY(!labels);
        QVERIFY2(labels.errorMessage().contains(gone), qPrintable(labels.errorMessage()));
        const FeatureSchema logged = DriftData(*m_conn).latestSchema(dep).value();
        const auto sample = DriftData(*m_conn).sampleImageKeys(dep, logged, oldMicros, nowMicros, 10);
        QVERIFY(!sample);
        QVERIFY2(sample.errorMessage().contains(gone), qPrintable(sample.errorMessage()));
        QVERIFY(DriftData(*m_conn).sampleImageKeys(dep, logged, nowMicros - 86'400'000'000LL, nowMicros, 10));
        const auto mae = WindowMetricsQuery(*m_conn).mlMae(dep, 30);
        QVERIFY(!mae);
        QVERIFY2(mae.errorMessage().contains(gone), qPrintable(mae.errorMessage()));
        QVERIFY(WindowMetricsQuery(*m_conn).mlMae(dep, 1));
        const auto feedback = RetrainStore(*m_conn).feedbackCounts(dep, 30);
        QVERIFY(!feedback);
        QVERIFY2(feedback.errorMessage().contains(gone), qPrintable(feedback.errorMessage()));

        // The hourly sketcher, its watermark left before the horizon, starts at the horizon.
        const qint64 rawBefore = RetentionStore(*m_conn).horizons(dep).value().rawBeforeSecs;
        QVERIFY(
            test::exec(*m_conn, QStringLiteral("INSERT INTO mldeck.feature_sketch_watermark (deployment, sketched_to) "
                                               "VALUES ('ret-ref', to_timestamp(%1))")
                                    .arg(oldMicros / 1'000'000)));
        FeatureSketchingOptions sketching;
        sketching.runBudgetMs = 0;
        auto sketched = sketchCompletedHours(*m_conn, dep, nowMicros, sketching);
        QVERIFY2(sketched, qPrintable(sketched.errorMessage()));
        QVERIFY(sketched->watermarkMicros >= rawBefore * 1'000'000);
        QCOMPARE(sketched->rows, qint64(5));

        // A classifier whose reference is a period retention removed: no calibration map from the rows left.
        NewDeployment spec;
        spec.name = QStringLiteral("ret-cls");
        spec.task = QStringLiteral("classification");
        spec.classSpec.classes = QStringList{QStringLiteral("no"), QStringLiteral("yes")};
        const QDateTime oldTime = QDateTime::fromMSecsSinceEpoch(oldMicros / 1000, Qt::UTC);
        spec.driftReference = QStringLiteral("period:%1/%2")
                                  .arg(oldTime.toString(Qt::ISODate), oldTime.addSecs(3600).toString(Qt::ISODate));
        auto created = DeploymentStore(*m_conn).create(spec, Actor::current());
        QVERIFY2(created, qPrintable(created.errorMessage()));
        QVERIFY(RetentionStore(*m_conn).setDays(spec.name, 3, Actor::current()));
        auto pass = runRetentionPass(*m_conn, m_now, Actor::guard());
        QVERIFY2(pass, qPrintable(pass.errorMessage()));
        const auto calibrationRows = ClassificationStore(*m_conn).referenceRows(spec.name, nowMicros);
        QVERIFY2(calibrationRows, qPrintable(calibrationRows.errorMessage()));
        QVERIFY2(calibrationRows->gone.contains(gone), qPrintable(calibrationRows->gone));
        auto snap = dashboard(spec.name, m_now - 86400, m_now);
        QVERIFY2(snap, qPrintable(snap.errorMessage()));
        QCOMPARE(snap->calibration.unavailable, calibrationRows->gone);
    }
};

QTEST_GUILESS_MAIN(TestRetention)
#include "test_retention.moc"
