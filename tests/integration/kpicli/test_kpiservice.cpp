#include "core/services/KpiService.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/SignalArgs.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QSignalSpy>
#include <QTest>

using namespace mldeck;

// KpiService: one signal per request, refresh on a timer, and a new connection after the old one broke.
class TestKpiService final : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_deployment;
    int m_schema = 1;
    int m_seq = 0;

    void logNow(int n)
    {
        std::vector<PredictionRow> rows;
        // Two seconds back: a live range ends at the current whole second, so a row of the current
        // second falls outside it when that second opens a minute.
        const qint64 at = QDateTime::currentMSecsSinceEpoch() * 1000 - 2'000'000;
        for (int i = 0; i < n; ++i) {
            PredictionRow r;
            r.tsMicros = at - i * 1000;
            r.deployment = m_deployment;
            r.requestKey = QStringLiteral("k%1").arg(++m_seq);
            r.path = PredictionPath::Heuristic;
            r.predicted = 3.0;
            r.latencyMs = 2;
            r.featureSchema = m_schema;
            rows.push_back(r);
        }
        const Status s = PredictionLog(*m_conn).appendPredictions(rows);
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
    }

    static const Result<KpiSnapshot> &snapshot(const QList<QVariant> &signal)
    {
        return test::signalArg<Result<KpiSnapshot>>(signal.at(0));
    }

    KpiQuery lastHour() const
    {
        return *KpiQuery::lastRange(m_deployment, QStringLiteral("1h"), QDateTime::currentSecsSinceEpoch());
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("kpisvc"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_deployment = test::uniqueName(QStringLiteral("eta"));
        auto schema = DeploymentStore(*m_conn).ensure(m_deployment, QString(), FeatureSchema{});
        QVERIFY(schema.ok());
        m_schema = schema.value();
        logNow(50);
    }

    void loadThenRefreshOneSignalEach()
    {
        KpiService svc;
        svc.setAutoRefreshMs(0);
        svc.setEndpoint(m_db->endpoint());
        QSignalSpy read(&svc, &KpiService::snapshotRead);
        svc.load(lastHour());
        QVERIFY(read.wait(20000));
        const auto first = snapshot(read.takeFirst());
        QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
        QVERIFY(first->overall.predictions >= 50);
        logNow(7);
        svc.refreshNow();
        QVERIFY(read.wait(20000));
        const auto second = snapshot(read.takeFirst());
        QVERIFY2(second.ok(), qPrintable(second.errorMessage()));
        QCOMPARE(second->overall.predictions, first->overall.predictions + 7);
        QVERIFY(!test::happensWithin([&] { return read.count() > 0; }, 200)); // exactly one signal per request
    }

    void autoRefreshFollowsNewRows()
    {
        KpiService svc;
        svc.setEndpoint(m_db->endpoint());
        svc.setAutoRefreshMs(300);
        QCOMPARE(svc.autoRefreshMs(), 300);
        QSignalSpy read(&svc, &KpiService::snapshotRead);
        svc.load(lastHour());
        QVERIFY(read.wait(20000));
        QVERIFY(snapshot(read.last()).ok());
        const qint64 before = snapshot(read.last())->overall.predictions;
        logNow(3);
        QTRY_VERIFY_WITH_TIMEOUT(snapshot(read.last()).ok() && snapshot(read.last())->overall.predictions == before + 3,
                                 20000);
        svc.setAutoRefreshMs(0);
        QCOMPARE(svc.autoRefreshMs(), 0);
    }

    void errorsAreSignalled()
    {
        KpiService svc;
        svc.setAutoRefreshMs(0);
        QSignalSpy read(&svc, &KpiService::snapshotRead);
        svc.refreshNow(); // nothing loaded, no endpoint
        QVERIFY(read.wait(10000));
        PgEndpoint nowhere = m_db->endpoint();
        nowhere.port = 1;
        svc.setEndpoint(nowhere);
        svc.load(lastHour());
        QVERIFY(read.wait(20000));
        QCOMPARE(read.count(), 2);
        QVERIFY(!snapshot(read.at(0)).ok());
        QVERIFY(!snapshot(read.at(1)).ok());
        QSignalSpy listed(&svc, &KpiService::deploymentsListed);
        svc.listDeployments();
        QVERIFY(listed.wait(20000));
        QVERIFY(!test::signalArg<Result<QStringList>>(listed.first().at(0)).errorMessage().isEmpty());
    }

    void reconnectsAfterTheConnectionBroke()
    {
        KpiService svc;
        svc.setAutoRefreshMs(0);
        svc.setEndpoint(m_db->endpoint());
        QSignalSpy read(&svc, &KpiService::snapshotRead);
        svc.load(lastHour());
        QVERIFY(read.wait(20000));
        // Kill the service's session from outside, as a server restart would.
        QVERIFY(test::exec(*m_conn,
                           QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                          "WHERE application_name = 'mldeck-kpi' AND datname = current_database()"))
                    .ok());
        logNow(2);
        svc.refreshNow(); // the kept connection fails its ping: the request runs on a new one
        QTRY_COMPARE_WITH_TIMEOUT(read.count(), 2, 20000);
        QVERIFY2(snapshot(read.at(1)).ok(), qPrintable(snapshot(read.at(1)).errorMessage()));
        QSignalSpy listed(&svc, &KpiService::deploymentsListed);
        svc.listDeployments();
        QVERIFY(listed.wait(20000));
        QVERIFY(test::signalArg<Result<QStringList>>(listed.first().at(0))->contains(m_deployment));
    }
};

QTEST_GUILESS_MAIN(TestKpiService)
#include "test_kpiservice.moc"
