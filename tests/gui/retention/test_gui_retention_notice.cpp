// The dashboard says that raw rows are gone for the part of its range before the retention horizon
// (resources/contract/retention.md), offscreen, clicking the real range buttons, against real PostgreSQL:
// rows logged a few minutes ago and ten days ago, a retention of 3 days, the guard's retention pass.
#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/guard/RetentionGuardJob.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "core/store/pg/RetentionStore.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/dashboard/RangeSelector.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

class TestGuiRetentionNotice final : public QObject
{
    Q_OBJECT

    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_deployment;

    void logAt(qint64 tsSecs, int n)
    {
        std::vector<PredictionRow> rows;
        for (int i = 0; i < n; ++i) {
            PredictionRow p;
            p.tsMicros = (tsSecs + i) * 1'000'000;
            p.deployment = m_deployment;
            p.requestKey = QStringLiteral("k%1-%2").arg(tsSecs).arg(i);
            p.path = PredictionPath::Ml;
            p.modelVersion = QStringLiteral("v1");
            p.predicted = 2.0 + i;
            p.latencyMs = 10;
            rows.push_back(p);
        }
        QVERIFY(PredictionLog(*m_conn).appendPredictions(rows).ok());
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiretention"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        const QDate today = QDateTime::currentDateTimeUtc().date();
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(today.addDays(-10), today.addDays(1)).ok());
        m_deployment = uniqueName(QStringLiteral("retnotice"));
        QVERIFY(DeploymentStore(*m_conn).ensure(m_deployment, {}, FeatureSchema{}).ok());
        QVERIFY(RetentionStore(*m_conn).setDays(m_deployment, 3, Actor::current()).ok());
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        logAt(now - 300, 20);
        logAt(now - 10 * 86400, 20);
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    // gui: the notice is hidden before the pass and over a range whose raw rows are all there; after the
    // pass, the 30-day range shows it with the horizon while its figures still count the old day's rows.
    void noticeAfterRetention()
    {
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::DashboardPage page(session);
        page.resize(1400, 1000);
        page.show();
        QTRY_VERIFY_WITH_TIMEOUT(page.deploymentBox()->findText(m_deployment) >= 0, 20000);
        page.deploymentBox()->setCurrentIndex(page.deploymentBox()->findText(m_deployment));
        QTest::mouseClick(page.rangeSelector()->rangeButton(QStringLiteral("30d")), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(page.lastSnapshot() && page.lastSnapshot()->query.deployment == m_deployment &&
                                      page.lastSnapshot()->query.rangeSeconds() == 30 * 86400,
                                  qPrintable(page.stateText()), 20000);
        QCOMPARE(page.lastSnapshot()->overall.predictions, qint64(40));
        QVERIFY(!page.retentionNotice()->isVisible());

        auto pass = runRetentionPass(*m_conn, QDateTime::currentSecsSinceEpoch(), Actor::guard());
        QVERIFY2(pass.ok(), qPrintable(pass.errorMessage()));
        const QDate old = QDateTime::currentDateTimeUtc().addDays(-10).date();
        QVERIFY(pass->droppedPartitions.contains(QStringLiteral("predictions_") +
                                                 old.toString(QStringLiteral("yyyyMMdd"))));
        QCOMPARE(pass->droppedRows, qint64(20));

        // A fresh load of the range (another range, then back) reads the horizon.
        QTest::mouseClick(page.rangeSelector()->rangeButton(QStringLiteral("1h")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page.lastSnapshot() && page.lastSnapshot()->query.rangeSeconds() == 3600, 20000);
        QVERIFY(!page.retentionNotice()->isVisible()); // every raw row of the last hour is there
        QTest::mouseClick(page.rangeSelector()->rangeButton(QStringLiteral("30d")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page.lastSnapshot() && page.lastSnapshot()->query.rangeSeconds() == 30 * 86400, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(page.retentionNotice()->isVisible(), 10000);
        QVERIFY2(page.retentionNotice()->text().contains(QStringLiteral("are gone (retention)")),
                 qPrintable(page.retentionNotice()->text()));
        QCOMPARE(page.lastSnapshot()->overall.predictions, qint64(40)); // the aggregates kept the old day
    }
};

QTEST_MAIN(TestGuiRetentionNotice)
#include "test_gui_retention_notice.moc"
