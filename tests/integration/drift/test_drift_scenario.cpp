#include "core/demo/RideDelayGenerator.h"
#include "core/services/guard/GuardJob.h"
#include "core/simulator/Simulator.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestServers.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <atomic>
#include <thread>

using namespace mldeck;
using namespace mldeck::test;

// The reference backend plays its drift scenario; the guard's drift job (30 s windows, K = 3,
// reference = the minute before onset) must raise drift alerts within 5 minutes of onset on the
// features the scenario drifts, and on no other feature.
class TestDriftScenario final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void driftAlertFiresOnDriftingFeaturesOnly()
    {
        ScratchDatabase db(QStringLiteral("driftsim"));
        auto conn = PgConnection::open(db.endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*conn).ok());
        const QString dep = uniqueName(QStringLiteral("driftsim"));

        constexpr qint64 onsetMs = 65'000;
        SimulatorOptions o;
        o.deployment = dep;
        o.redis = TestServers::redis();
        o.pg = db.endpoint();
        o.rate = 1000; // traffic_index is autocorrelated over ~65 requests: windows need many requests
        o.durationMs = onsetMs + 300'000;
        o.initialPercentage = 25;
        o.scenarios = {parseScenario(QStringLiteral("drift@65s")).value()};
        Simulator sim(o);
        const Status prepared = sim.prepare();
        QVERIFY2(prepared.ok(), qPrintable(prepared.errorMessage()));

        const QDateTime start = QDateTime::currentDateTimeUtc();
        QStringList ignore;
        // hour/weekday follow the clock: if the run crosses an hour, they move for real.
        if (start.time().hour() != start.addSecs(400).time().hour() || start.date() != start.addSecs(400).date())
            ignore << QStringLiteral("hour") << QStringLiteral("weekday");
        QVERIFY(DriftData(*conn)
                    .setDriftSettings(dep, {{QStringLiteral("window"), QStringLiteral("30s")},
                                            {QStringLiteral("k"), 3},
                                            {QStringLiteral("min_samples"), 200},
                                            {QStringLiteral("ignore"), QJsonArray::fromStringList(ignore)},
                                            {QStringLiteral("reference"),
                                             QStringLiteral("period:%1/%2")
                                                 .arg(start.addSecs(5).toString(Qt::ISODate),
                                                      start.addMSecs(onsetMs - 3000).toString(Qt::ISODate))}})
                    .ok());

        std::atomic_bool stop{false};
        Status simResult;
        std::thread runner([&] { simResult = sim.run(stop, {}); });
        auto job = makeDriftGuardJob();
        QVERIFY(job);
        QCOMPARE(job->intervalMs(), 60'000);
        GuardContext context{TestServers::redis(), db.endpoint(), dep, QStringLiteral("guard@test")};

        const QSet<QString> drifting{QStringLiteral("rain_mm"), QStringLiteral("temperature_c"),
                                     QStringLiteral("driver_load"), QStringLiteral("vehicle_type")};
        QStringList schemaFeatures;
        for (const FeatureSpec &f : RideDelayGenerator::schema().features)
            schemaFeatures << f.name;
        QHash<QString, qint64> firedAtMs; // feature -> ms after onset
        QStringList jobErrors;
        QElapsedTimer clock;
        clock.start();
        // Before onset the job runs too: nothing may fire there (windows of clean data).
        qint64 nextRun = 40'000;
        while (clock.elapsed() < onsetMs + 300'000) {
            if (clock.elapsed() >= nextRun) {
                nextRun += 16'000; // more than half a window: every run counts a new window
                const Status s = job->runOnce(context);
                if (!s)
                    jobErrors << s.errorMessage();
                qInfo() << clock.elapsed() / 1000 << "s:" << job->lastSummary();
                const auto alerts = AlertStore(*conn).list(dep, true);
                QVERIFY(alerts.ok());
                for (const Alert &a : *alerts) {
                    const QString feature = a.dedupKey.mid(QStringLiteral("drift:").size());
                    if (a.kind == QLatin1String("drift") && !firedAtMs.contains(feature))
                        firedAtMs.insert(feature, a.raisedAt.toMSecsSinceEpoch() - start.toMSecsSinceEpoch() - onsetMs);
                }
                bool all = true;
                for (const QString &f : drifting)
                    all = all && firedAtMs.contains(f);
                if (all)
                    break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        // One more window after the last alert fired: nothing else may join.
        std::this_thread::sleep_for(std::chrono::milliseconds(16'500));
        QVERIFY(job->runOnce(context).ok());
        const auto finalAlerts = AlertStore(*conn).list(dep, true);
        QVERIFY(finalAlerts.ok());
        for (const Alert &a : *finalAlerts) {
            const QString feature = a.dedupKey.mid(QStringLiteral("drift:").size());
            if (!firedAtMs.contains(feature))
                firedAtMs.insert(feature, a.raisedAt.toMSecsSinceEpoch() - start.toMSecsSinceEpoch() - onsetMs);
        }
        stop = true;
        runner.join();
        QVERIFY2(simResult.ok(), qPrintable(simResult.errorMessage()));
        QVERIFY2(jobErrors.isEmpty(), qPrintable(jobErrors.join(QStringLiteral("; "))));
        qInfo() << "fired (ms after onset):" << firedAtMs << "last summary:" << job->lastSummary();

        for (const QString &f : drifting) {
            QVERIFY2(firedAtMs.contains(f), qPrintable(QStringLiteral("no drift alert for %1").arg(f)));
            QVERIFY2(firedAtMs.value(f) > 0, qPrintable(QStringLiteral("%1 fired before onset").arg(f)));
            QVERIFY2(firedAtMs.value(f) <= 300'000, qPrintable(QStringLiteral("%1 fired too late").arg(f)));
        }
        for (const QString &f : schemaFeatures)
            if (!drifting.contains(f))
                QVERIFY2(!firedAtMs.contains(f), qPrintable(QStringLiteral("false drift alert on %1").arg(f)));
    }
};

QTEST_GUILESS_MAIN(TestDriftScenario)
#include "test_drift_scenario.moc"
