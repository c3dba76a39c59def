// The status bar follows the monitor: Down for a closed port, Up for the real servers, and
// back to Down when the endpoint stops answering — never "up" after a failed probe.
#include "ShellFixture.h"
#include "tests/support/TestServers.h"
#include "ui/widgets/HealthIndicator.h"

#include <QTcpServer>
#include <QTest>

using namespace mldeck;

namespace {

// A port nothing listens on: bound, then released.
int closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 1;
    const int port = server.serverPort();
    server.close();
    return port;
}

ConnectionProfile unreachableProfile()
{
    ConnectionProfile p;
    p.name = QStringLiteral("Nowhere");
    p.redis.host = QStringLiteral("127.0.0.1");
    p.redis.port = closedPort();
    p.pg.host = QStringLiteral("127.0.0.1");
    p.pg.port = closedPort();
    p.pg.user = QStringLiteral("nobody");
    return p;
}

constexpr int kTimeoutMs = 15000;

} // namespace

class TestStatusBar final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        test::isolateFromEnvironment();
    }

    void formatting()
    {
        Health up;
        up.state = Health::State::Up;
        up.detail = QStringLiteral("schema v1");
        QCOMPARE(ui::HealthIndicator::summary(QStringLiteral("PostgreSQL"), up, 0),
                 QStringLiteral("PostgreSQL: up — schema v1"));
        Health down;
        down.state = Health::State::Down;
        down.detail = QStringLiteral("connection refused");
        QCOMPARE(ui::HealthIndicator::summary(QStringLiteral("Redis"), down, 4),
                 QStringLiteral("Redis: down — retry in 4 s"));
        QVERIFY(ui::HealthIndicator::stateColor(Health::State::Up) !=
                ui::HealthIndicator::stateColor(Health::State::Down));
    }

    void downForClosedPortThenUpForRealServersThenDownAgain()
    {
        test::Shell shell;
        ui::MainWindow &window = *shell.window;
        window.show();
        ui::HealthIndicator *redis = window.redisIndicator();
        ui::HealthIndicator *pg = window.pgIndicator();
        QVERIFY(redis->isVisible() && pg->isVisible());

        // 1. Nothing listens there.
        shell.session.activate(unreachableProfile(), QString(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(redis->health().state, Health::State::Down, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(pg->health().state, Health::State::Down, kTimeoutMs);
        QVERIFY2(redis->text().startsWith(QLatin1String("Redis: down")), qPrintable(redis->text()));
        QVERIFY2(pg->text().startsWith(QLatin1String("PostgreSQL: down")), qPrintable(pg->text()));
        QVERIFY(!redis->toolTip().isEmpty());
        QVERIFY2(pg->toolTip().contains(QString::number(unreachableProfile().pg.port)) ||
                     pg->toolTip().contains(QLatin1String("127.0.0.1")),
                 qPrintable(pg->toolTip()));

        // 2. The real servers.
        ConnectionProfile real;
        real.name = QStringLiteral("Test servers");
        real.redis = test::TestServers::redis();
        real.pg = test::TestServers::pg();
        shell.session.activate(real, real.redis.password, real.pg.password);
        QTRY_COMPARE_WITH_TIMEOUT(redis->health().state, Health::State::Up, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(pg->health().state, Health::State::Up, kTimeoutMs);
        QVERIFY2(redis->text().startsWith(QLatin1String("Redis: up")), qPrintable(redis->text()));
        QVERIFY2(pg->text().startsWith(QLatin1String("PostgreSQL: up")), qPrintable(pg->text()));

        // 3. Switching to an unreachable profile must not leave "up" showing.
        shell.session.activate(unreachableProfile(), QString(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(pg->health().state, Health::State::Down, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(redis->health().state, Health::State::Down, kTimeoutMs);
        QVERIFY(!pg->text().contains(QLatin1String(": up")));
    }
};

QTEST_MAIN(TestStatusBar)
#include "TestStatusBar.moc"
