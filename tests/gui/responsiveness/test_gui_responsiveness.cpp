// The UI thread never waits on the network or the database: with PostgreSQL frozen (SIGSTOP)
// the real main window, with every page built, keeps its event loop answering within 50 ms while
// the user clicks through the pages, and the status bar says PostgreSQL is not answering.
#include "ShellFixture.h"
#include "tests/support/EventLoopHeartbeat.h"
#include "tests/support/TestServers.h"
#include "ui/widgets/HealthIndicator.h"

#include <QListWidget>
#include <QTest>
#include <QTimer>

using namespace mldeck;

class TestGuiResponsiveness final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        test::isolateFromEnvironment();
        QVERIFY2(test::TestServers::pgPid() > 0, "MLDECK_TEST_PG_PID is not set");
    }

    void eventLoopAnswersWhilePostgresIsFrozen()
    {
        test::Shell shell;
        ui::MainWindow &window = *shell.window;
        window.resize(1280, 800);
        window.show();
        ConnectionProfile profile;
        profile.name = QStringLiteral("Test servers");
        profile.redis = test::TestServers::redis();
        profile.pg = test::TestServers::pg();
        shell.session.activate(profile, profile.redis.password, profile.pg.password);
        QTRY_COMPARE_WITH_TIMEOUT(window.pgIndicator()->health().state, Health::State::Up, 15000);

        test::ProcessFreezer freeze(test::TestServers::pgPid());
        test::EventLoopHeartbeat heartbeat; // from the freeze on

        QListWidget *nav = window.navigation();
        QElapsedTimer frozenFor;
        frozenFor.start();
        int row = 0;
        // Click through the pages as a user would (a click every 100 ms) while the database hangs: for 7 s,
        // and until the status bar says PostgreSQL is down.
        QTimer clicker;
        QObject::connect(&clicker, &QTimer::timeout, nav, [&] {
            const QRect rect = nav->visualItemRect(nav->item(row % nav->count()));
            QTest::mouseClick(nav->viewport(), Qt::LeftButton, {}, rect.center());
            ++row;
        });
        clicker.start(100);
        QTRY_VERIFY_WITH_TIMEOUT(
            frozenFor.elapsed() >= 7000 && window.pgIndicator()->health().state == Health::State::Down, 60000);
        clicker.stop();
        const Health frozen = window.pgIndicator()->health();
        freeze.thaw();
        heartbeat.stop();

        const qint64 maxGap = heartbeat.maxGapMs();
        QVERIFY2(maxGap < 50, qPrintable(QStringLiteral("the event loop stalled for %1 ms").arg(maxGap)));
        QCOMPARE(frozen.state, Health::State::Down);
        QVERIFY(row > 30);
        // After the thaw it comes back by itself.
        QTRY_COMPARE_WITH_TIMEOUT(window.pgIndicator()->health().state, Health::State::Up, 40000);
    }
};

QTEST_MAIN(TestGuiResponsiveness)
#include "test_gui_responsiveness.moc"
