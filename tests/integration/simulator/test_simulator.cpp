// The reference backend against real Redis and PostgreSQL.
#include "core/simulator/Simulator.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QProcess>
#include <QtTest>

#include <csignal>
#include <thread>

using namespace mldeck;
using namespace mldeck::test;

namespace {

qint64 scalar(PgConnection &conn, const QString &sql, const QStringList &params = {})
{
    const auto rows = test::query(conn, sql, params);
    if (!rows || rows->isEmpty()) {
        MLDECK_FAIL_IN_HELPER(QStringLiteral("query failed: ") + rows.errorMessage());
        return -1; // no count: the caller's comparison fails too
    }
    return rows->first().first().toLongLong();
}

struct Fixture
{
    ScratchDatabase db{QStringLiteral("sim")};
    QString deployment = uniqueName(QStringLiteral("sim"));
    std::unique_ptr<PgConnection> pg;
    std::unique_ptr<RedisConnection> redis;

    Fixture()
    {
        auto opened = PgConnection::open(db.endpoint(), QStringLiteral("test"));
        if (!opened) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("PostgreSQL: ") + opened.errorMessage());
            return;
        }
        pg = std::move(opened.value());
        const auto migrated = Migrator::migrate(*pg);
        if (!migrated)
            MLDECK_FAIL_IN_HELPER(QStringLiteral("migrate: ") + migrated.errorMessage());
        auto redisOpened = RedisConnection::open(TestServers::redis());
        if (!redisOpened) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("Redis: ") + redisOpened.errorMessage());
            return;
        }
        redis = std::move(redisOpened.value());
    }

    SimulatorOptions options() const
    {
        SimulatorOptions o;
        o.deployment = deployment;
        o.redis = TestServers::redis();
        o.pg = db.endpoint();
        o.initialPercentage = -1;
        return o;
    }

    FlagState setFlags(bool enabled, int percentage, bool fallback)
    {
        FlagStore store(*redis);
        FlagChange change;
        change.mlEnabled = enabled;
        change.trafficPercentage = percentage;
        change.fallbackOnError = fallback;
        change.actor = QStringLiteral("test");
        const auto current = store.read(deployment);
        if (!current->exists)
            return store.initialiseIfMissing(deployment, change).value();
        return store.write(deployment, change, current->version).value();
    }
};

SimulatorStats runFor(Simulator &sim, qint64 ms, const std::function<void(qint64)> &during = {})
{
    std::atomic_bool stop{false};
    SimulatorStats last;
    Status result;
    std::thread t([&] { result = sim.run(stop, [&](const SimulatorStats &s) { last = s; }); });
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < ms) {
        if (during)
            during(clock.elapsed());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    t.join();
    if (!result)
        MLDECK_FAIL_IN_HELPER(QStringLiteral("simulator failed: ") + result.errorMessage());
    return last;
}

} // namespace

class TestSimulator final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void logsEveryRequestAndFlushesPendingOutcomesOnStop()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        f.setFlags(true, 50, true);
        SimulatorOptions o = f.options();
        o.rate = 1000;
        o.outcomeDelayMs = 120'000; // no outcome is due before stop: all come from the final flush
        Simulator sim(o);
        QVERIFY2(sim.prepare().ok(), "prepare");
        const SimulatorStats s = runFor(sim, 3000);
        MLDECK_HELPERS_OK();

        QVERIFY2(s.requests >= 2500, qPrintable(QString::number(s.requests)));
        QCOMPARE(s.dropped, 0);
        QCOMPARE(s.buffered, 0);
        const QString dep = f.deployment;
        QCOMPARE(scalar(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1"), {dep}),
                 s.requests);
        const qint64 outcomes =
            scalar(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.outcomes WHERE deployment=$1"), {dep});
        QCOMPARE(outcomes, s.outcomesWritten);
        QVERIFY2(std::abs(outcomes / double(s.requests) - 0.9) < 0.03, qPrintable(QString::number(outcomes)));
        QVERIFY(scalar(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment=$1"), {dep}) > 0);

        const double mlShare = s.ml / double(s.requests);
        QVERIFY2(std::abs(mlShare - 0.5) < 0.05, qPrintable(QString::number(mlShare)));
        // Every row routed to ML names its model; no heuristic row does.
        QCOMPARE(scalar(*f.pg,
                        QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1 AND "
                                       "((path='heuristic') = (model_version IS NOT NULL))"),
                        {dep}),
                 0);
        // Outcomes join back to their predictions.
        QCOMPARE(scalar(*f.pg,
                        QStringLiteral("SELECT count(*) FROM mldeck.outcomes o WHERE o.deployment=$1 AND NOT "
                                       "EXISTS (SELECT 1 FROM mldeck.predictions p WHERE p.deployment=o.deployment "
                                       "AND p.request_key=o.request_key)"),
                        {dep}),
                 0);
    }

    void followsAFlagChangeWithinAFewHundredMilliseconds()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        f.setFlags(true, 100, true);
        SimulatorOptions o = f.options();
        o.rate = 1000;
        Simulator sim(o);
        QVERIFY(sim.prepare().ok());
        qint64 switchedAtMs = 0;
        runFor(sim, 3000, [&](qint64 elapsed) {
            if (elapsed > 1000 && switchedAtMs == 0) {
                f.setFlags(false, 100, true);
                switchedAtMs = QDateTime::currentMSecsSinceEpoch();
            }
        });
        MLDECK_HELPERS_OK();
        const QString dep = f.deployment;
        QVERIFY(scalar(*f.pg,
                       QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1 AND path='ml'"),
                       {dep}) > 500);
        const QString after = QString::number(switchedAtMs + 250);
        QCOMPARE(scalar(*f.pg,
                        QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1 AND path='ml' "
                                       "AND ts > to_timestamp($2::bigint / 1000.0)"),
                        {dep, after}),
                 0);
        QVERIFY(scalar(*f.pg,
                       QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1 AND "
                                      "path='heuristic' AND ts > to_timestamp($2::bigint / 1000.0)"),
                       {dep, after}) > 500);
    }

    void modelErrorsWithoutFallbackAreLoggedAsFailures()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        f.setFlags(true, 100, false);
        SimulatorOptions o = f.options();
        o.rate = 500;
        o.scenarios.push_back(*parseScenario(QStringLiteral("errors")));
        Simulator sim(o);
        QVERIFY(sim.prepare().ok());
        const SimulatorStats s = runFor(sim, 2000);
        MLDECK_HELPERS_OK();
        QVERIFY(s.failed > s.requests / 4);
        QCOMPARE(s.fallback, 0);
        const QString dep = f.deployment;
        QCOMPARE(scalar(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1 AND failed"),
                        {dep}),
                 s.failed);
        QCOMPARE(scalar(*f.pg,
                        QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1 AND failed "
                                       "AND (predicted IS NOT NULL OR error IS NULL)"),
                        {dep}),
                 0);
    }

    void badInputChangesNothing()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        SimulatorOptions o = f.options();
        o.modelPath = QStringLiteral("/nonexistent/model.pt");
        Simulator missingModel(o);
        const Status st = missingModel.prepare();
        QVERIFY(!st.ok());
        QVERIFY2(st.errorMessage().contains(QStringLiteral("/nonexistent/model.pt")), qPrintable(st.errorMessage()));

        o = f.options();
        o.deployment = QStringLiteral("Not A Name");
        QVERIFY(!Simulator(o).prepare().ok());

        ScratchDatabase empty(QStringLiteral("simempty"));
        o = f.options();
        o.pg = empty.endpoint();
        o.initialPercentage = 30;
        const Status unmigrated = Simulator(o).prepare();
        QVERIFY(!unmigrated.ok());
        QVERIFY2(unmigrated.errorMessage().contains(QStringLiteral("mldeckctl migrate")),
                 qPrintable(unmigrated.errorMessage()));
        // Nothing was created anywhere.
        QCOMPARE(scalar(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.deployments WHERE name=$1"), {f.deployment}),
                 0);
        QVERIFY(!FlagStore(*f.redis).read(f.deployment)->exists);
    }

    void ctrlCInTheCliFlushesEverything()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        f.setFlags(true, 25, true);
        QProcess proc;
        proc.setProgram(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"));
        proc.setArguments({QStringLiteral("simulate"), QStringLiteral("--deployment"), f.deployment,
                           QStringLiteral("--rate"), QStringLiteral("2000"), QStringLiteral("--outcome-delay"),
                           QStringLiteral("10m"), QStringLiteral("--json"), QStringLiteral("--redis"),
                           TestServers::redis().toUrl(true), QStringLiteral("--pg"), f.db.endpoint().toUrl(true)});
        proc.start();
        QVERIFY(proc.waitForStarted());
        // Interrupted once it has logged some traffic (and is still running: a pid of 0 would signal ctest).
        QTRY_VERIFY_WITH_TIMEOUT(proc.state() != QProcess::Running ||
                                     scalar(*f.pg,
                                            QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE "
                                                           "deployment=$1"),
                                            {f.deployment}) > 2000,
                                 60'000);
        QVERIFY2(signalChild(proc, SIGINT), proc.readAllStandardError().constData());
        QVERIFY(proc.waitForFinished(60'000));
        QCOMPARE(proc.exitCode(), 0);
        const auto summary = QJsonDocument::fromJson(proc.readAllStandardOutput()).object();
        const qint64 requests = summary.value(QStringLiteral("requests")).toInteger();
        QVERIFY2(requests > 2000, proc.readAllStandardError().constData());
        QCOMPARE(scalar(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment=$1"),
                        {f.deployment}),
                 requests);
        QCOMPARE(
            scalar(*f.pg, QStringLiteral("SELECT count(*) FROM mldeck.outcomes WHERE deployment=$1"), {f.deployment}),
            summary.value(QStringLiteral("outcomes_written")).toInteger());
    }
};

QTEST_GUILESS_MAIN(TestSimulator)
#include "test_simulator.moc"
