// The incremental KPI aggregates of 007_kpi.sql against an exact recomputation from the raw rows
// (kpi_check.sql): random data with late, corrected, stale and early outcomes; concurrent writers;
// killed writers and a migration backfill; the incremental read watermark; bad input.
#include "core/stats/kpi/QuantileSketch.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QFile>
#include <QTest>

#include <map>
#include <random>
#include <thread>
#include <tuple>

using namespace mldeck;

namespace {

const qint64 kDay0 = QDateTime(QDate(2026, 3, 10), QTime(0, 0), Qt::UTC).toSecsSinceEpoch();

QString checkSql(const QString &level)
{
    QFile f(QStringLiteral(MLDECK_KPI_CHECK_SQL));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).replace(QStringLiteral("LEVEL"), level);
}

std::unique_ptr<PgConnection> openConn(const PgEndpoint &e)
{
    auto c = PgConnection::open(e, QStringLiteral("test_kpistore"));
    if (!c) {
        MLDECK_FAIL_IN_HELPER(c.errorMessage());
        return nullptr; // the caller checks it
    }
    return std::move(c).value();
}

// Random predictions: 3 paths, 2 versions, ~7 % failures, latencies over 5 decades.
struct Generator
{
    std::mt19937_64 rng;
    explicit Generator(quint64 seed) : rng(seed) {}

    PredictionRow prediction(const QString &deployment, const QString &key, qint64 tsSecs)
    {
        PredictionRow r;
        r.tsMicros = tsSecs * 1000000 + qint64(rng() % 1000000);
        r.deployment = deployment;
        r.requestKey = key;
        const int path = int(rng() % 3);
        r.path = path == 0 ? PredictionPath::Ml : path == 1 ? PredictionPath::Heuristic : PredictionPath::Fallback;
        if (r.path != PredictionPath::Heuristic)
            r.modelVersion = (rng() % 2) ? QStringLiteral("v1") : QStringLiteral("v2");
        r.failed = rng() % 15 == 0;
        if (!r.failed)
            r.predicted = std::uniform_real_distribution<double>(-2, 40)(rng);
        r.latencyMs = float(std::exp(std::uniform_real_distribution<double>(-3, 8)(rng)));
        if (rng() % 50 == 0)
            r.latencyMs = 0;
        return r;
    }
    OutcomeRow outcome(const QString &deployment, const QString &key, qint64 observedSecs)
    {
        OutcomeRow o;
        o.deployment = deployment;
        o.requestKey = key;
        o.observedMicros = observedSecs * 1000000 + qint64(rng() % 1000000);
        o.actual = (rng() % 20 == 0) ? 0.0 : std::uniform_real_distribution<double>(-1, 45)(rng);
        return o;
    }
};

} // namespace

class TestKpiStore : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;

    // Buckets of kpi_<level> that differ from the exact recomputation (none when correct).
    int mismatches(PgConnection &conn, const QString &level)
    {
        const auto r = test::query(conn, checkSql(level));
        if (!r) {
            qWarning("%s", qPrintable(r.errorMessage()));
            return -1;
        }
        for (const QStringList &row : r.value().mid(0, 5))
            qWarning("mismatch in kpi_%s: %s", qPrintable(level), qPrintable(row.join(QLatin1Char(' '))));
        return int(r.value().size());
    }
    qint64 scalar(PgConnection &conn, const QString &sql)
    {
        const auto r = test::query(conn, sql);
        return r && !r.value().isEmpty() ? r.value().first().first().toLongLong() : -1;
    }

    // Writes a random history for `deployments` through the COPY path: predictions in several
    // batches, outcomes for ~90 % arriving over later batches (corrections, stale ones, and some
    // before their prediction).
    void writeRandomHistory(PgConnection &conn, const QStringList &deployments, int perDeployment, quint64 seed)
    {
        PredictionLog log(conn);
        QVERIFY(log.ensurePartitions(QDate(2026, 3, 10),
                                     QDate(2026, 3, 11))); // the 9th and 12th land in the default partition
        Generator g(seed);
        for (const QString &dep : deployments) {
            std::vector<PredictionRow> preds;
            std::vector<OutcomeRow> early;
            for (int i = 0; i < perDeployment; ++i) {
                const QString key = QStringLiteral("%1-%2").arg(seed).arg(i);
                const qint64 ts = kDay0 + qint64(g.rng() % (3 * 86400)) - 3600; // some land in the default partition
                preds.push_back(g.prediction(dep, key, ts));
                if (i % 10 == 0)
                    early.push_back(g.outcome(dep, key, ts + 60)); // outcome before the prediction is logged
                if (i % 97 == 0)                                   // a request key predicted twice
                    preds.push_back(g.prediction(dep, key, ts + 30));
                if (i % 89 == 0) // and one predicted again the next day (a user id as request key)
                    preds.push_back(g.prediction(dep, key, ts + 86400 + 45));
            }
            QVERIFY(log.appendOutcomes(early));
            std::vector<OutcomeRow> outcomes;
            for (size_t start = 0; start < preds.size(); start += 700) {
                const size_t end = std::min(preds.size(), start + 700);
                QVERIFY(log.appendPredictions({preds.begin() + qsizetype(start), preds.begin() + qsizetype(end)}));
                for (size_t i = start; i < end; ++i) {
                    const PredictionRow &p = preds[i];
                    const qint64 ts = p.tsMicros / 1000000;
                    if (g.rng() % 10 != 0)
                        outcomes.push_back(g.outcome(dep, p.requestKey, ts + 600));
                    if (g.rng() % 8 == 0) // corrected later
                        outcomes.push_back(g.outcome(dep, p.requestKey, ts + 7200));
                    if (g.rng() % 8 == 0) // stale: observed before the applied one, arrives later
                        outcomes.push_back(g.outcome(dep, p.requestKey, ts - 100000));
                }
                // Late: the outcomes of a batch arrive with the next ones, in shuffled batches.
                std::shuffle(outcomes.begin(), outcomes.end(), g.rng);
                const size_t half = outcomes.size() / 2;
                QVERIFY(log.appendOutcomes({outcomes.begin(), outcomes.begin() + qsizetype(half)}));
                outcomes.erase(outcomes.begin(), outcomes.begin() + qsizetype(half));
            }
            QVERIFY(log.appendOutcomes(outcomes));
            std::vector<FeedbackRow> fb;
            for (int i = 0; i < perDeployment / 5; ++i) {
                FeedbackRow f;
                f.tsMicros = (kDay0 + qint64(g.rng() % 86400)) * 1000000;
                f.positive = g.rng() % 3 != 0;
                f.deployment = dep;
                f.requestKey = QStringLiteral("%1-%2").arg(seed).arg(i);
                fb.push_back(f);
            }
            QVERIFY(log.appendFeedback(fb));
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(!checkSql(QStringLiteral("minute")).isEmpty(), "kpi_check.sql not found");
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("kpistore"));
        m_conn = openConn(m_db->endpoint());
        QVERIFY(m_conn);
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
    }

    void binsMatchTheCppSketch()
    {
        // The SQL bin function must put every value where QuantileSketch::binOf does, including
        // values on the bin edges gamma^i and real (float) latencies.
        QStringList values;
        QList<int> expected;
        std::mt19937 rng(7);
        const double g = stats::QuantileSketch::gamma();
        for (int i = -400; i <= 500; i += 3) {
            for (double v :
                 {std::pow(g, i), std::nextafter(std::pow(g, i), 0.0), std::nextafter(std::pow(g, i), 1e300)}) {
                values << QString::number(v, 'g', 17);
                expected << stats::QuantileSketch::binOf(v);
            }
        }
        for (int i = 0; i < 2000; ++i) {
            const float f = float(std::exp(std::uniform_real_distribution<double>(-8, 10)(rng)));
            values << QString::number(double(f), 'g', 17);
            expected << stats::QuantileSketch::binOf(double(f));
        }
        for (double v : {0.0, -5.0, 0.001, 0.0009})
            values << QString::number(v, 'g', 17), expected << stats::QuantileSketch::binOf(v);
        const auto r = test::query(*m_conn,
                                   QStringLiteral("SELECT mldeck.kpi_latency_bin(v::float8) FROM unnest($1::text[]) "
                                                  "WITH ORDINALITY u(v, n) ORDER BY n"),
                                   {QStringLiteral("{") + values.join(QLatin1Char(',')) + QStringLiteral("}")});
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QCOMPARE(r.value().size(), expected.size());
        for (qsizetype i = 0; i < expected.size(); ++i)
            QVERIFY2(r.value().at(i).first().toInt() == expected.at(i), qPrintable(values.at(i)));
    }

    void randomHistoryIsExact()
    {
        writeRandomHistory(*m_conn, {QStringLiteral("alpha"), QStringLiteral("beta"), QStringLiteral("gamma")}, 1500,
                           1);
        QVERIFY(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions")) > 4000);
        QVERIFY(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions_default")) > 0);
        // Partitions created afterwards move rows out of the default partition: nothing counts twice.
        PredictionLog log(*m_conn);
        QVERIFY(log.ensurePartitions(QDate(2026, 3, 8), QDate(2026, 3, 13)));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions_default")), 0);
        QCOMPARE(mismatches(*m_conn, QStringLiteral("minute")), 0);
        QCOMPARE(mismatches(*m_conn, QStringLiteral("hour")), 0);
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT sum(count) FROM mldeck.kpi_hour")),
                 scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions")));
        QVERIFY(scalar(*m_conn, QStringLiteral("SELECT sum(labelled) FROM mldeck.kpi_hour")) > 3000);
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT sum(total) FROM mldeck.kpi_feedback_hour")),
                 scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.feedback")));

        // What the store reads back is what the table holds, sketches included.
        KpiStore store(*m_conn);
        const auto rows = store.read(QStringLiteral("alpha"), kDay0 - 86400, kDay0 + 4 * 86400, KpiStore::Level::Hour);
        QVERIFY2(rows, qPrintable(rows.errorMessage()));
        qint64 count = 0, latencyCount = 0, labelled = 0, ge5 = 0;
        for (const KpiBucket &b : rows->buckets) {
            QCOMPARE(b.seconds, 3600);
            count += b.sums.count;
            latencyCount += b.sums.latency.count();
            labelled += b.sums.labelled;
            ge5 += b.sums.actualAtLeast[4];
        }
        QCOMPARE(count,
                 scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = 'alpha'")));
        QCOMPARE(latencyCount, count);
        QCOMPARE(
            labelled,
            scalar(*m_conn, QStringLiteral("SELECT sum(labelled) FROM mldeck.kpi_hour WHERE deployment = 'alpha'")));
        QCOMPARE(ge5, scalar(*m_conn, QStringLiteral(
                                          "SELECT sum(actual_ge[5]) FROM mldeck.kpi_hour WHERE deployment = 'alpha'")));
        QCOMPARE(rows->feedback.isEmpty(), false);
        const auto deps = store.deployments();
        QVERIFY(deps);
        QVERIFY(deps->contains(QStringLiteral("alpha")) && deps->contains(QStringLiteral("gamma")));

        // rebuild recomputes the same figures.
        QVERIFY(store.rebuild(QStringLiteral("beta"), kDay0 - 86400, kDay0 + 4 * 86400));
        QCOMPARE(mismatches(*m_conn, QStringLiteral("minute")), 0);
        QCOMPARE(mismatches(*m_conn, QStringLiteral("hour")), 0);
    }

    void concurrentWritersAreExact()
    {
        // Four connections write predictions and outcomes of the SAME request keys in parallel,
        // in random order (outcomes often before or during their prediction's batch); one of them
        // writes outcomes in REPEATABLE READ, which queues them for applyPendingOutcomes.
        const QString dep = QStringLiteral("concurrent");
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        const PgEndpoint endpoint = m_db->endpoint();
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([t, dep, endpoint, &failures] {
                auto opened =
                    PgConnection::open(endpoint, QStringLiteral("test_kpistore")); // no test macros off the test thread
                if (!opened) {
                    ++failures;
                    return;
                }
                const auto &conn = opened.value();
                PredictionLog log(*conn);
                Generator g(100 + quint64(t));
                if (t == 3)
                    (void)test::exec(*conn, QStringLiteral("SET default_transaction_isolation = 'repeatable read'"));
                for (int round = 0; round < 25; ++round) {
                    std::vector<PredictionRow> preds;
                    std::vector<OutcomeRow> outs;
                    for (int i = 0; i < 80; ++i) {
                        const int k = int(g.rng() % 1500);
                        const QString key = QStringLiteral("c-%1").arg(k);
                        if (t % 2 == 0 && g.rng() % 3 != 0 && k % 4 == t) // each key predicted by one writer mostly
                            preds.push_back(g.prediction(dep, key, kDay0 + k * 60));
                        else
                            outs.push_back(g.outcome(dep, key, kDay0 + k * 60 + qint64(g.rng() % 5000)));
                    }
                    if (!log.appendPredictions(preds) || !log.appendOutcomes(outs))
                        ++failures;
                }
            });
        }
        for (auto &th : threads)
            th.join();
        QCOMPARE(failures.load(), 0);
        KpiStore store(*m_conn);
        const auto applied = store.applyPendingOutcomes();
        QVERIFY2(applied, qPrintable(applied.errorMessage()));
        QVERIFY(applied.value() > 0); // the REPEATABLE READ writer's outcomes
        QCOMPARE(store.applyPendingOutcomes().value(), qint64(0));
        QCOMPARE(mismatches(*m_conn, QStringLiteral("minute")), 0);
        QCOMPARE(mismatches(*m_conn, QStringLiteral("hour")), 0);
    }

    void killedWriterLeavesNoTrace()
    {
        // A writer whose session dies mid-transaction: its rows and its aggregate changes go together.
        auto victim = openConn(m_db->endpoint());
        QVERIFY(victim);
        const QString pid = test::query(*victim, QStringLiteral("SELECT pg_backend_pid()")).value().first().first();
        QVERIFY(test::exec(
            *victim,
            QStringLiteral(
                "BEGIN; INSERT INTO mldeck.predictions (ts, predicted, latency_ms, path, deployment, request_key) "
                "SELECT to_timestamp(%1) + i * interval '1 s', i, 5, 'ml', 'alpha', 'killed-' || i FROM "
                "generate_series(1, 500) i")
                .arg(kDay0)));
        QVERIFY(test::query(*m_conn, QStringLiteral("SELECT pg_terminate_backend($1::int)"), {pid}));
        QTRY_COMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = %1").arg(pid)),
                     0);
        QCOMPARE(mismatches(*m_conn, QStringLiteral("minute")), 0);
        QCOMPARE(mismatches(*m_conn, QStringLiteral("hour")), 0);
    }

    void migrationBackfillEqualsTriggers()
    {
        // A database that has data before 007 runs gets the same aggregates as the triggers make.
        test::ScratchDatabase db(QStringLiteral("kpibackfill"));
        auto conn = openConn(db.endpoint());
        QVERIFY(conn);
        const QStringList steps = Migrator::stepNames();
        for (const QString &step : steps) {
            if (step.startsWith(QStringLiteral("007")))
                break;
            QFile f(QStringLiteral(":/sql/%1.sql").arg(step));
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(step));
            QVERIFY2(test::exec(*conn, QString::fromUtf8(f.readAll())), qPrintable(step));
        }
        QVERIFY(test::exec(*conn, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('alpha')")));
        writeRandomHistory(*conn, {QStringLiteral("alpha"), QStringLiteral("beta")}, 1000, 9);
        QFile f(QStringLiteral(":/sql/007_kpi.sql"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const Status st = test::exec(*conn, QString::fromUtf8(f.readAll()));
        QVERIFY2(st, qPrintable(st.errorMessage()));
        QVERIFY(scalar(*conn, QStringLiteral("SELECT count(*) FROM mldeck.kpi_minute")) > 1000);
        QCOMPARE(mismatches(*conn, QStringLiteral("minute")), 0);
        QCOMPARE(mismatches(*conn, QStringLiteral("hour")), 0);
        // ... and the same history written through the triggers gives the same rows.
        test::ScratchDatabase db2(QStringLiteral("kpitriggers"));
        auto conn2 = openConn(db2.endpoint());
        QVERIFY(conn2);
        QVERIFY(Migrator::migrate(*conn2));
        writeRandomHistory(*conn2, {QStringLiteral("alpha"), QStringLiteral("beta")}, 1000, 9);
        const QString digest = QStringLiteral(
            "SELECT md5(string_agg(concat_ws('|', deployment, bucket, path, model_version, count, failed, lat_offset, "
            "lat_counts, labelled, ape_count, actual_ge, both_ge, round(sum_abs_err::numeric, 6)), ';' "
            "ORDER BY deployment, bucket, path, model_version)) FROM mldeck.kpi_hour");
        const auto a = test::query(*conn, digest);
        const auto b = test::query(*conn2, digest);
        QVERIFY(a && b);
        QCOMPARE(a.value(), b.value());
        // A new connection (what a restarted client has) reads the same aggregates.
        auto reopened = openConn(db2.endpoint());
        QVERIFY(reopened);
        KpiStore s1(*conn2), s2(*reopened);
        const auto r1 = s1.read(QStringLiteral("alpha"), kDay0 - 86400, kDay0 + 4 * 86400, KpiStore::Level::Minute);
        const auto r2 = s2.read(QStringLiteral("alpha"), kDay0 - 86400, kDay0 + 4 * 86400, KpiStore::Level::Minute);
        QVERIFY(r1 && r2);
        QCOMPARE(r1->buckets.size(), r2->buckets.size());
        for (qsizetype i = 0; i < r1->buckets.size(); ++i)
            QVERIFY(r1->buckets.at(i).sums == r2->buckets.at(i).sums);
    }

    void outcomesFindPredictionsLoggedBeforeTheDayIndex()
    {
        // Step 28 indexes the days of each request key; a database with a log before it is backfilled, so that
        // outcomes logged afterwards still find (and correct) the predictions logged before it.
        test::ScratchDatabase db(QStringLiteral("kpirequestdays"));
        auto conn = openConn(db.endpoint());
        QVERIFY(conn);
        const auto runSteps = [&](bool before) {
            for (const QString &step : Migrator::stepNames()) {
                if ((step < QStringLiteral("028")) != before)
                    continue;
                QFile f(QStringLiteral(":/sql/%1.sql").arg(step));
                QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(step));
                QVERIFY2(test::exec(*conn, QString::fromUtf8(f.readAll())), qPrintable(step));
            }
        };
        runSteps(true);
        writeRandomHistory(*conn, {QStringLiteral("alpha")}, 600, 21);
        runSteps(false);
        QCOMPARE(scalar(*conn, QStringLiteral("SELECT count(*) FROM mldeck.request_days")),
                 scalar(*conn, QStringLiteral("SELECT count(DISTINCT (deployment, request_key, (ts AT TIME ZONE "
                                              "'UTC')::date)) FROM mldeck.predictions")));
        const qint64 labelledBefore = scalar(*conn, QStringLiteral("SELECT sum(labelled) FROM mldeck.kpi_hour"));
        // A newer outcome for every key, the keys of two days included: each moves the label of all its predictions.
        Generator g(77);
        std::vector<OutcomeRow> corrections;
        for (int i = 0; i < 600; ++i)
            corrections.push_back(
                g.outcome(QStringLiteral("alpha"), QStringLiteral("21-%1").arg(i), kDay0 + 5 * 86400));
        QVERIFY(PredictionLog(*conn).appendOutcomes(corrections));
        QCOMPARE(mismatches(*conn, QStringLiteral("minute")), 0);
        QCOMPARE(mismatches(*conn, QStringLiteral("hour")), 0);
        QVERIFY(scalar(*conn, QStringLiteral("SELECT sum(labelled) FROM mldeck.kpi_hour")) > labelledBefore);
    }

    void incrementalReadReturnsExactlyTheChangedRows()
    {
        KpiStore store(*m_conn);
        const QString dep = QStringLiteral("watermark");
        PredictionLog log(*m_conn);
        Generator g(55);
        std::vector<PredictionRow> preds;
        for (int i = 0; i < 600; ++i)
            preds.push_back(g.prediction(dep, QStringLiteral("w-%1").arg(i), kDay0 + i * 60));
        QVERIFY(log.appendPredictions(preds));
        const auto full = store.read(dep, kDay0, kDay0 + 86400, KpiStore::Level::Minute);
        QVERIFY(full);
        QVERIFY(full->buckets.size() >= 600);
        const quint64 mark = full->nextSinceXid;
        QVERIFY(mark > 0);

        // Rows come back whole and may include rows the previous read already saw (written by
        // transactions that committed between the xmin and the read, e.g. other tests on the
        // cluster); what matters: every changed row is there, and nothing else differs.
        using Key = std::tuple<qint64, QString, QString>;
        std::map<Key, stats::KpiAccumulator> cached;
        for (const KpiBucket &b : full->buckets)
            cached[{b.startSecs, b.path, b.modelVersion}] = b.sums;
        const auto differing = [&cached](const KpiStore::Rows &rows) {
            QSet<qint64> starts;
            for (const KpiBucket &b : rows.buckets) {
                const auto it = cached.find({b.startSecs, b.path, b.modelVersion});
                if (it == cached.end() || !(it->second == b.sums))
                    starts.insert(b.startSecs);
            }
            return starts;
        };

        // Nothing changed: nothing that differs comes back.
        const auto none = store.read(dep, kDay0, kDay0 + 86400, KpiStore::Level::Minute, mark);
        QVERIFY(none);
        QVERIFY(differing(none.value()).isEmpty());

        // A late outcome for an old prediction and one new prediction (minute 700).
        size_t oldIndex = 10;
        while (preds[oldIndex].failed)
            ++oldIndex;
        const PredictionRow &old = preds[oldIndex];
        const qint64 oldMinute = old.tsMicros / 60000000 * 60;
        QVERIFY(log.appendOutcomes({g.outcome(dep, old.requestKey, kDay0 + 50000)}));
        QVERIFY(log.appendPredictions({g.prediction(dep, QStringLiteral("w-new"), kDay0 + 700 * 60)}));
        const auto changed = store.read(dep, kDay0, kDay0 + 86400, KpiStore::Level::Minute, mark);
        QVERIFY(changed);
        QCOMPARE(differing(changed.value()), (QSet<qint64>{oldMinute, kDay0 + 700 * 60}));
        for (const KpiBucket &b : changed->buckets) {
            if (b.startSecs == oldMinute && b.path == pathName(old.path))
                QCOMPARE(b.sums.labelled, (cached[Key{oldMinute, b.path, b.modelVersion}].labelled + 1));
        }
        QVERIFY(changed->nextSinceXid >= mark);
        // The filter is exactly "written by a transaction >= the watermark".
        QCOMPARE(qint64(changed->buckets.size()),
                 scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.kpi_minute WHERE deployment = 'watermark' "
                                                "AND writer_xid >= '%1'::xid8")
                                     .arg(mark)));
        const auto hourly = store.read(dep, kDay0, kDay0 + 86400, KpiStore::Level::Hour, mark);
        QVERIFY(hourly);
        QSet<qint64> hours;
        for (const KpiBucket &b : hourly->buckets)
            hours.insert(b.startSecs);
        QVERIFY(hours.contains(oldMinute / 3600 * 3600) && hours.contains(kDay0 + 11 * 3600));
        for (const KpiBucket &b : changed->buckets)
            cached[{b.startSecs, b.path, b.modelVersion}] = b.sums;
        const auto after = store.read(dep, kDay0, kDay0 + 86400, KpiStore::Level::Minute, changed->nextSinceXid);
        QVERIFY(after);
        QVERIFY(differing(after.value()).isEmpty());
    }

    void badInputChangesNothing()
    {
        KpiStore store(*m_conn);
        const qint64 before = scalar(*m_conn, QStringLiteral("SELECT sum(count) FROM mldeck.kpi_hour"));
        const Status reversed = store.rebuild(QStringLiteral("alpha"), kDay0 + 3600, kDay0);
        QVERIFY(!reversed);
        QVERIFY(!reversed.errorMessage().isEmpty());
        QVERIFY(!store.rebuild(QString(), kDay0, kDay0 + 3600));
        QVERIFY(!test::query(*m_conn,
                             QStringLiteral("SELECT mldeck.kpi_rebuild('alpha', to_timestamp(%1), to_timestamp(%2))")
                                 .arg(kDay0 + 10)
                                 .arg(kDay0)));
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT sum(count) FROM mldeck.kpi_hour")), before);
        const auto unknown =
            store.read(QStringLiteral("no-such-deployment"), kDay0, kDay0 + 86400, KpiStore::Level::Hour);
        QVERIFY(unknown);
        QVERIFY(unknown->buckets.isEmpty() && unknown->feedback.isEmpty());
        QVERIFY(!store.read(QStringLiteral("alpha"), kDay0 + 10, kDay0, KpiStore::Level::Hour));
        QVERIFY(!store.targets(QStringLiteral("no-such-deployment")));
        QVERIFY(!store.setTargets(QStringLiteral("no-such-deployment"), KpiTargets{}));
        QVERIFY(store.rebuild(QStringLiteral("no-such-deployment"), kDay0, kDay0 + 3600)); // nothing to rebuild: fine
        QCOMPARE(mismatches(*m_conn, QStringLiteral("hour")), 0);
    }

    void targetsRoundTripAndAreAudited()
    {
        QVERIFY(test::exec(
            *m_conn, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('alpha') ON CONFLICT DO NOTHING")));
        KpiStore store(*m_conn);
        const auto defaults = store.targets(QStringLiteral("alpha"));
        QVERIFY(defaults);
        QCOMPARE(defaults->maeMax, 2.5);
        KpiTargets t;
        t.maeMax = 2.0;
        t.anticipationMinutes = 7;
        QVERIFY(store.setTargets(QStringLiteral("alpha"), t));
        const auto back = store.targets(QStringLiteral("alpha"));
        QVERIFY(back);
        QCOMPARE(back->maeMax, 2.0);
        QCOMPARE(back->anticipationMinutes, 7);
        QCOMPARE(scalar(*m_conn, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'kpi.targets' "
                                                "AND deployment = 'alpha' AND (after->>'mae_max')::float8 = 2")),
                 1);
        // Markers: flag changes and promotions of this deployment, oldest first; other actions left out.
        QVERIFY(test::exec(
            *m_conn,
            QStringLiteral(
                "INSERT INTO mldeck.audit_log (action, deployment, reason) VALUES ('flags.apply', 'alpha', 'ml 25 %'), "
                "('model.promote', 'alpha', 'v2 champion'), ('model.register', 'alpha', 'x'), ('flags.apply', 'beta', "
                "'y')")));
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const auto markers = store.auditMarkers(QStringLiteral("alpha"), now - 600, now + 600);
        QVERIFY2(markers, qPrintable(markers.errorMessage()));
        QStringList actions;
        for (const AuditMarker &m : markers.value())
            actions << m.action;
        QCOMPARE(actions, (QStringList{QStringLiteral("flags.apply"), QStringLiteral("model.promote")}));
        QCOMPARE(markers->first().summary, QStringLiteral("ml 25 %"));
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }
};

QTEST_GUILESS_MAIN(TestKpiStore)
#include "test_kpistore.moc"
