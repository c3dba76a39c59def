// The weather-down scenario of the reference backend against real Redis and PostgreSQL: the
// simulated weather API is reported up, then down with the fallback active since the outage began,
// the predictions served meanwhile carry the neutral weather features, and the report of a stopped
// backend expires to unknown.
#include "core/simulator/Simulator.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QtTest>

#include <thread>

using namespace mldeck;
using namespace mldeck::test;

class TestWeatherScenario final : public QObject
{
    Q_OBJECT

    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_pg;
    std::unique_ptr<RedisConnection> m_redis;

    std::optional<DependencyState> weather(const QString &deployment)
    {
        auto deps = DependencyStore(*m_redis).read(deployment);
        if (!deps || deps->empty())
            return std::nullopt;
        return deps->front();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("weather"));
        m_pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        const auto migrated = Migrator::migrate(*m_pg);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        m_redis = RedisConnection::open(TestServers::redis()).value();
    }

    void scenarioParses()
    {
        const auto s = parseScenario(QStringLiteral("weather-down@1m+10m"));
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QCOMPARE(s->kind, Scenario::Kind::WeatherDown);
        QCOMPARE(s->startMs, qint64(60'000));
        QCOMPARE(s->durationMs, qint64(600'000));
        QCOMPARE(Scenario::kindName(s->kind), QStringLiteral("weather-down"));
    }

    void weatherGoesDownAndComesBack()
    {
        const QString dep = uniqueName(QStringLiteral("weather"));
        SimulatorOptions o;
        o.deployment = dep;
        o.redis = TestServers::redis();
        o.pg = m_db->endpoint();
        o.rate = 200;
        o.initialPercentage = 100;
        o.dependencyReportMs = 400; // reports expire after 1.2 s
        o.scenarios.push_back(parseScenario(QStringLiteral("weather-down@1500ms+3s")).value());
        Simulator sim(o);
        const Status prepared = sim.prepare();
        QVERIFY2(prepared.ok(), qPrintable(prepared.errorMessage()));

        std::atomic_bool stop{false};
        std::atomic_bool sawDownInStats{false};
        Status result;
        const QDateTime started = QDateTime::currentDateTimeUtc();
        std::thread t([&] {
            result = sim.run(stop, [&](const SimulatorStats &s) {
                if (s.weatherDown)
                    sawDownInStats = true;
            });
        });
        auto finish = qScopeGuard([&] {
            stop = true;
            t.join();
        });

        QTRY_VERIFY_WITH_TIMEOUT(weather(dep) && weather(dep)->state == DependencyHealth::Up, 5000);
        QVERIFY(!weather(dep)->fallbackActive);
        QTRY_VERIFY_WITH_TIMEOUT(weather(dep) && weather(dep)->state == DependencyHealth::Down, 5000);
        const DependencyState down = *weather(dep);
        QVERIFY(down.fallbackActive);
        QVERIFY(!down.lastError.isEmpty());
        QVERIFY(down.reportedBy.startsWith(QLatin1String("mldeckctl simulate@")));
        // The outage began about 1.5 s after the start, and every report keeps that start.
        const qint64 offset = started.msecsTo(down.fallbackSince);
        QVERIFY2(offset >= 1400 && offset < 3500, qPrintable(QString::number(offset)));
        QTRY_VERIFY_WITH_TIMEOUT(weather(dep)->updatedAt > down.updatedAt, 3000);
        QCOMPARE(weather(dep)->fallbackSince, down.fallbackSince);

        // Recovery after the 3 s outage.
        QTRY_VERIFY_WITH_TIMEOUT(weather(dep) && weather(dep)->state == DependencyHealth::Up, 8000);
        QVERIFY(!weather(dep)->fallbackActive);
        stop = true;
        finish.dismiss();
        t.join();
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        QVERIFY(sawDownInStats);

        // What was served during the outage: dry and 15 °C, every row; outside it, real weather.
        const auto rows = test::query(
            *m_pg,
            QStringLiteral(
                "SELECT count(*) FILTER (WHERE ts BETWEEN $2::timestamptz AND $2::timestamptz + interval '2.5 s'), "
                "count(*) FILTER (WHERE ts BETWEEN $2::timestamptz AND $2::timestamptz + interval '2.5 s' "
                "AND numeric[6] = 0 AND numeric[7] = 15), "
                "count(DISTINCT numeric[7]) FILTER (WHERE ts < $2::timestamptz - interval '0.2 s') "
                "FROM mldeck.predictions WHERE deployment = $1"),
            {dep, down.fallbackSince.addMSecs(200).toString(Qt::ISODateWithMs)});
        QVERIFY2(rows, qPrintable(rows.errorMessage()));
        const qint64 during = rows->first().at(0).toLongLong();
        QVERIFY2(during > 100, qPrintable(QString::number(during)));
        QCOMPARE(rows->first().at(1).toLongLong(), during);
        QVERIFY2(rows->first().at(2).toLongLong() > 5, "real temperatures before the outage");

        // The backend is gone: its last report expires and reads as unknown.
        QTRY_VERIFY_WITH_TIMEOUT(weather(dep) && weather(dep)->isUnknown(), 5000);
    }
};

QTEST_GUILESS_MAIN(TestWeatherScenario)
#include "test_weather_scenario.moc"
