// The main window connected through a redis-sentinel:// profile, offscreen, against a Sentinel set-up of the
// test's own (1 master, 1 replica, 3 sentinels). The master is SIGKILLed: the event loop never stalls, the
// Redis indicator names the new master once Sentinel promoted the replica, and the Rollout page's own
// widgets say how each change ended: a rollback pressed during the failover is confirmed by the new master
// and a replica; a change with no replica left says "applied on the master, not yet replicated".
#include "core/config/ConnectionProfile.h"
#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/RolloutService.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/EventLoopHeartbeat.h"
#include "tests/support/SentinelCluster.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/MainWindow.h"
#include "ui/Theme.h"
#include "ui/pages/RolloutPage.h"
#include "ui/pages/rollout/PercentageControl.h"
#include "ui/widgets/DetailsPopup.h"
#include "ui/widgets/HealthIndicator.h"
#include "ui/widgets/InfoBar.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace mldeck;

namespace {

constexpr int kTimeoutMs = 15000;
constexpr qint64 kMaxStallMs = 200;

ui::InfoBar *eventBar(QWidget *page)
{
    for (auto *b : page->findChildren<ui::InfoBar *>())
        if (b->property("role").toString() == QLatin1String("event"))
            return b;
    return nullptr;
}

} // namespace

class TestGuiSentinelFailover final : public QObject
{
    Q_OBJECT

    test::SentinelCluster m_cluster;
    std::unique_ptr<test::ScratchDatabase> m_db;

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        qunsetenv("MLDECK_REDIS_URL");
        qunsetenv("MLDECK_PG_URL");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        ui::applyTheme(*qApp);
        QString why;
        QVERIFY2(m_cluster.start(&why), qPrintable(why));
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("guisentinel"));
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_sentinel_failover"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        auto migrated = Migrator::migrate(**pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
    }

    void failoverSeenAndExplainedInTheWindow()
    {
        QElapsedTimer wall;
        wall.start();
        // Flags on the master, acknowledged by the replica before anything fails.
        const QString dep = test::uniqueName(QStringLiteral("guiha"));
        {
            auto conn = RedisConnection::open(m_cluster.endpoint());
            QVERIFY2(conn, qPrintable(conn.errorMessage()));
            FlagChange init;
            init.mlEnabled = true;
            init.trafficPercentage = 10;
            init.fallbackOnError = true;
            init.actor = QStringLiteral("setup@test");
            QVERIFY(FlagStore(**conn).initialiseIfMissing(dep, init));
            auto acked = (*conn)->waitForReplicas(1, 5000);
            QVERIFY(acked && *acked >= 1);
        }

        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::MainWindow window(session, monitor);
        auto *page = window.findChild<ui::RolloutPage *>();
        QVERIFY(page);
        page->service().setSpoolDirectory(dir.filePath(QStringLiteral("spool")));
        page->setConfirmer([](const ui::ConfirmRequest &) { return true; });
        window.show();
        window.showPage(ui::PageId::Rollout);
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        ConnectionProfile profile;
        profile.name = QStringLiteral("Behind Sentinel");
        profile.redis = m_cluster.endpoint();
        profile.pg = m_db->endpoint();
        session.activate(profile, profile.redis.password, profile.pg.password);

        // The indicator lists the master, the sentinels reached and the replica with its state.
        const QString oldMaster = m_cluster.node(0).display();
        const QString replica = m_cluster.node(1).display();
        ui::HealthIndicator *redis = window.redisIndicator();
        QTRY_VERIFY2_WITH_TIMEOUT(redis->toolTip().contains(QStringLiteral("Master: ") + oldMaster) &&
                                      redis->toolTip().contains(QStringLiteral("Replica %1: online").arg(replica)),
                                  qPrintable(redis->toolTip()), kTimeoutMs);
        QVERIFY2(redis->toolTip().contains(QStringLiteral("Sentinels: 3 of 3 reached")), qPrintable(redis->toolTip()));
        QTRY_VERIFY2_WITH_TIMEOUT(redis->text().contains(QStringLiteral("master ") + oldMaster),
                                  qPrintable(redis->text()), kTimeoutMs);
        // A click on the indicator opens the same on screen, not only in a tooltip.
        QTest::mouseClick(redis, Qt::LeftButton);
        ui::DetailsPopup *details = redis->detailsPopup();
        QVERIFY(details);
        QTRY_VERIFY_WITH_TIMEOUT(details->isVisible(), kTimeoutMs);
        QTRY_VERIFY2_WITH_TIMEOUT(details->text().contains(QStringLiteral("Master: ") + oldMaster) &&
                                      details->text().contains(QStringLiteral("Sentinels: 3 of 3 reached")) &&
                                      details->text().contains(QStringLiteral("Replica %1: online, ").arg(replica)),
                                  qPrintable(details->text()), kTimeoutMs);
        if (qEnvironmentVariableIsSet("MLDECK_KEEP_SCREENSHOTS")) {
            // The panel is a window of its own: painted over the window's grab where it stands.
            QPixmap shot = window.grab();
            QPainter(&shot).drawPixmap(window.mapFromGlobal(details->pos()), details->grab());
            shot.save(qEnvironmentVariable("MLDECK_KEEP_SCREENSHOTS") + QStringLiteral("/sentinel-details.png"));
        }
        details->close(); // a popup takes the next click, which is the Rollback button's

        auto *combo = page->findChild<QComboBox *>(QStringLiteral("deploymentSelector"));
        QVERIFY(combo);
        QTRY_VERIFY_WITH_TIMEOUT(combo->findText(dep) >= 0, kTimeoutMs);
        combo->setCurrentIndex(combo->findText(dep));
        QTRY_VERIFY_WITH_TIMEOUT(page->currentDeployment() == dep && page->confirmedState().exists, kTimeoutMs);
        auto *rollback = page->findChild<QPushButton *>(QStringLiteral("rollbackButton"));
        QVERIFY(rollback);
        QTRY_VERIFY_WITH_TIMEOUT(rollback->isEnabled(), kTimeoutMs);

        // The master dies without a word; the rollback is pressed at once, during the failover. The heartbeat
        // measures the window's event loop only while the test itself blocks on nothing.
        auto failover = std::make_unique<test::EventLoopHeartbeat>();
        m_cluster.killNode(0);
        QTest::mouseClick(rollback, Qt::LeftButton);
        // The status shows the promoted node as master once Sentinel has moved it (the window's own probe).
        QTRY_VERIFY2_WITH_TIMEOUT(redis->text().contains(QStringLiteral("master ") + replica),
                                  qPrintable(redis->text()), kTimeoutMs);
        failover->stop();
        const qint64 failoverStall = failover->maxGapMs();
        // The rollback waits for a replica: the old master comes back as one, as Sentinel would make it
        // (a blocking start, outside the measured windows).
        QString why;
        QVERIFY2(m_cluster.restartNodeAsReplicaOf(0, m_cluster.node(1), &why), qPrintable(why));
        test::EventLoopHeartbeat afterwards;
        ui::InfoBar *bar = eventBar(page);
        QVERIFY(bar);
        QTRY_VERIFY2_WITH_TIMEOUT(bar->text().contains(QStringLiteral("Rolled back")), qPrintable(bar->text()),
                                  kTimeoutMs + 15000);
        QVERIFY2(bar->text().contains(QStringLiteral("Confirmed by the master %1").arg(replica)),
                 qPrintable(bar->text()));
        QCOMPARE(page->confirmedState().mlEnabled, false);
        qInfo("rollback pressed during the failover: %s", qPrintable(bar->text()));

        // The tooltip names the promoted node as master, and the old master as its replica.
        QTRY_VERIFY2_WITH_TIMEOUT(redis->toolTip().contains(QStringLiteral("Master: ") + replica) &&
                                      redis->toolTip().contains(QStringLiteral("Replica %1: online").arg(oldMaster)),
                                  qPrintable(redis->toolTip()), kTimeoutMs);

        // A change through the page's own controls now: confirmed by the replica, and said so.
        auto *status = page->findChild<QLabel *>(QStringLiteral("changeStatus"));
        QVERIFY(status);
        auto *mlSwitch = page->findChild<QAbstractButton *>(QStringLiteral("mlEnabledSwitch"));
        QVERIFY(mlSwitch);
        page->findChild<QLineEdit *>(QStringLiteral("changeReason"))->setText(QStringLiteral("after failover"));
        QTRY_VERIFY_WITH_TIMEOUT(mlSwitch->isEnabled(), kTimeoutMs);
        QTest::mouseClick(mlSwitch, Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(status->text().contains(QStringLiteral("Applied and confirmed by a replica")),
                                  qPrintable(status->text()), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(page->confirmedState().mlEnabled, kTimeoutMs);

        // The only replica dies: the next change is applied on the master alone, and the page says so.
        m_cluster.killNode(0);
        QTRY_VERIFY_WITH_TIMEOUT(mlSwitch->isEnabled(), kTimeoutMs);
        QTest::mouseClick(mlSwitch, Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(bar->text().contains(QStringLiteral("Applied on the master, not yet replicated")),
                                  qPrintable(bar->text()), kTimeoutMs);
        QVERIFY2(!status->text().contains(QStringLiteral("confirmed by a replica")), qPrintable(status->text()));
        QTRY_VERIFY2_WITH_TIMEOUT(redis->toolTip().contains(QStringLiteral("Replicas: none connected")),
                                  qPrintable(redis->toolTip()), kTimeoutMs);
        // The open panel follows the poll: the promoted master and no replica left, said as a warning.
        QTest::mouseClick(redis, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(details->isVisible(), kTimeoutMs);
        QTRY_VERIFY2_WITH_TIMEOUT(details->text().contains(QStringLiteral("Master: ") + replica) &&
                                      details->text().contains(QStringLiteral("Replicas: none connected")),
                                  qPrintable(details->text()), kTimeoutMs);
        details->close();

        afterwards.stop();
        qInfo("longest event-loop stall: %lld ms during the failover, %lld ms afterwards; whole test case %lld ms",
              failoverStall, afterwards.maxGapMs(), wall.elapsed());
        QVERIFY2(failoverStall < kMaxStallMs, qPrintable(QString::number(failoverStall)));
        QVERIFY2(afterwards.maxGapMs() < kMaxStallMs, qPrintable(QString::number(afterwards.maxGapMs())));
    }
};

QTEST_MAIN(TestGuiSentinelFailover)
#include "test_gui_sentinel_failover.moc"
