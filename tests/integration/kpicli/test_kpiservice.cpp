#include "core/services/KpiService.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/TestServers.h"
#include "tests/support/PgSql.h"

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
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
        for (int i = 0; i < n; ++i) {
            PredictionRow r;
            r.tsMicros = now - i * 1000;
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
        QSignalSpy ready(&svc, &KpiService::snapshotReady), failed(&svc, &KpiService::failed);
        svc.load(lastHour());
        QVERIFY(ready.wait(20000));
        QCOMPARE(failed.count(), 0);
        const auto first = ready.takeFirst().at(0).value<KpiSnapshot>();
        QVERIFY(first.overall.predictions >= 50);
        logNow(7);
        svc.refreshNow();
        QVERIFY(ready.wait(20000));
        const auto second = ready.takeFirst().at(0).value<KpiSnapshot>();
        QCOMPARE(second.overall.predictions, first.overall.predictions + 7);
        QTest::qWait(200);
        QCOMPARE(ready.count() + failed.count(), 0); // exactly one signal per request
    }

    void autoRefreshFollowsNewRows()
    {
        KpiService svc;
        svc.setEndpoint(m_db->endpoint());
        svc.setAutoRefreshMs(300);
        QCOMPARE(svc.autoRefreshMs(), 300);
        QSignalSpy ready(&svc, &KpiService::snapshotReady);
        svc.load(lastHour());
        QVERIFY(ready.wait(20000));
        const qint64 before = ready.last().at(0).value<KpiSnapshot>().overall.predictions;
        logNow(3);
        QTRY_VERIFY_WITH_TIMEOUT(ready.last().at(0).value<KpiSnapshot>().overall.predictions == before + 3, 20000);
        svc.setAutoRefreshMs(0);
        QCOMPARE(svc.autoRefreshMs(), 0);
    }

    void errorsAreSignalled()
    {
        KpiService svc;
        svc.setAutoRefreshMs(0);
        QSignalSpy ready(&svc, &KpiService::snapshotReady), failed(&svc, &KpiService::failed);
        svc.refreshNow(); // nothing loaded, no endpoint
        QVERIFY(failed.wait(10000));
        PgEndpoint nowhere = m_db->endpoint();
        nowhere.port = 1;
        svc.setEndpoint(nowhere);
        svc.load(lastHour());
        QVERIFY(failed.wait(20000));
        QCOMPARE(failed.count(), 2);
        QCOMPARE(ready.count(), 0);
        QSignalSpy listed(&svc, &KpiService::deploymentsListed);
        svc.listDeployments();
        QVERIFY(listed.wait(20000));
        QVERIFY(!listed.first().at(1).toString().isEmpty());
    }

    void reconnectsAfterTheConnectionBroke()
    {
        KpiService svc;
        svc.setAutoRefreshMs(0);
        svc.setEndpoint(m_db->endpoint());
        QSignalSpy ready(&svc, &KpiService::snapshotReady), failed(&svc, &KpiService::failed);
        svc.load(lastHour());
        QVERIFY(ready.wait(20000));
        // Kill the service's session from outside, as a server restart would.
        QVERIFY(test::exec(*m_conn, QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                            "WHERE application_name = 'mldeck-kpi' AND datname = current_database()")).ok());
        logNow(2);
        svc.refreshNow();
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() + failed.count() == 2, 20000);
        if (failed.count() == 1) { // the broken connection was noticed: the next request reconnects
            svc.refreshNow();
            QVERIFY(ready.wait(20000));
        }
        QCOMPARE(ready.count(), 2);
        QSignalSpy listed(&svc, &KpiService::deploymentsListed);
        svc.listDeployments();
        QVERIFY(listed.wait(20000));
        QVERIFY(listed.first().at(0).toStringList().contains(m_deployment));
    }
};

QTEST_GUILESS_MAIN(TestKpiService)
#include "test_kpiservice.moc"
