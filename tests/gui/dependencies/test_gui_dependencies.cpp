// The weather scenario end to end, offscreen with the real widgets and servers: `mldeckctl
// simulate`'s engine plays weather-down, the status bar shows "weather: fallback 0 min" in the
// theme's warning look, the dashboard shows the line for the selected deployment, a guard round
// fires the dependency_fallback alert (threshold lowered to 0 min so the test need not wait 10), the
// recovery resolves it, and a stopped backend's report expires to "unknown".
#include "../shell/ShellFixture.h"
#include "core/services/DependencyService.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/simulator/Simulator.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/Theme.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/dashboard/DependencyStrip.h"
#include "ui/widgets/DependencyIndicator.h"

#include <QApplication>
#include <QComboBox>
#include <QTest>

#include <thread>

using namespace mldeck;

namespace {

constexpr int kTimeoutMs = 20000;

// The theme's warning text colour, as a label styled like an info-bar warning gets it.
QColor themedWarningText()
{
    QLabel probe;
    probe.setObjectName(QStringLiteral("dependencyStatus"));
    probe.setProperty("level", QStringLiteral("warning"));
    probe.ensurePolished();
    return probe.palette().color(QPalette::WindowText);
}

} // namespace

class TestGuiDependencies final : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;

    QList<Alert> dependencyAlerts(const QString &dep)
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QList<Alert> out;
        const QList<Alert> all =
            AlertStore(*conn).list(dep, true).value(); // kept: a range-for over a temporary's value() dangles
        for (const Alert &a : all)
            if (a.dedupKey == QLatin1String("dependency_fallback"))
                out << a;
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        test::isolateFromEnvironment();
        ui::applyTheme(*qApp);
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("guideps"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn, qPrintable(conn.errorMessage()));
        const auto migrated = Migrator::migrate(*conn.value());
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
    }

    void formatting()
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        DependencyState s;
        s.deployment = QStringLiteral("eta");
        s.name = QStringLiteral("weather");
        s.state = DependencyHealth::Down;
        s.fallbackActive = true;
        s.fallbackSince = now.addSecs(-12 * 60 - 5);
        QCOMPARE(ui::DependencyIndicator::entryText(s, now), QStringLiteral("weather: fallback 12 min"));
        QCOMPARE(ui::DependencyIndicator::level({s}), QStringLiteral("warning"));
        s.fallbackActive = false;
        QCOMPARE(ui::DependencyIndicator::entryText(s, now), QStringLiteral("weather: down"));
        s.state = DependencyHealth::Unknown;
        QCOMPARE(ui::DependencyIndicator::entryText(s, now), QStringLiteral("weather: unknown"));
        QCOMPARE(ui::DependencyIndicator::level({s}), QStringLiteral("unknown"));
        s.state = DependencyHealth::Up;
        QCOMPARE(ui::DependencyIndicator::level({s}), QString());
    }

    void weatherScenarioShowsInTheStatusBarAndFiresItsAlert()
    {
        const QString dep = test::uniqueName(QStringLiteral("guiweather"));
        SimulatorOptions o;
        o.deployment = dep;
        o.redis = test::TestServers::redis();
        o.pg = m_db->endpoint();
        o.rate = 50;
        o.initialPercentage = 100;
        o.dependencyReportMs = 500; // a stopped backend's report expires 1.5 s later
        o.scenarios.push_back(parseScenario(QStringLiteral("weather-down@2s+6s")).value());
        Simulator sim(o);
        const Status prepared = sim.prepare();
        QVERIFY2(prepared.ok(), qPrintable(prepared.errorMessage()));
        std::atomic_bool stop{false};
        Status ran;
        std::thread backend([&] { ran = sim.run(stop, {}); });
        auto stopBackend = qScopeGuard([&] {
            stop = true;
            backend.join();
        });

        // The dashboard lists deployments with logged predictions: wait for the first batch.
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        auto logged = [&] {
            const auto rows =
                test::query(*pg, QStringLiteral("SELECT count(*) FROM mldeck.kpi_hour WHERE deployment = $1"), {dep});
            return rows && !rows->isEmpty() && rows->first().first().toLongLong() > 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(logged(), kTimeoutMs);

        test::Shell shell;
        ui::MainWindow &window = *shell.window;
        window.resize(1400, 800);
        window.show();
        ui::DependencyIndicator *indicator = window.dependencyIndicator();
        indicator->service()->setPollInterval(250);
        ConnectionProfile real;
        real.name = QStringLiteral("Test servers");
        real.redis = test::TestServers::redis();
        real.pg = m_db->endpoint();
        shell.session.activate(real, real.redis.password, real.pg.password);

        // Up at first: nothing of this deployment in the status bar.
        // Then the weather API goes down: the entry appears, in the theme's warning look.
        QTRY_VERIFY_WITH_TIMEOUT(indicator->isVisible() && indicator->toolTip().contains(dep) &&
                                     indicator->text().contains(QLatin1String("weather: fallback 0 min")),
                                 kTimeoutMs);
        QCOMPARE(indicator->property("level").toString(), QStringLiteral("warning"));
        QCOMPARE(indicator->palette().color(QPalette::WindowText), themedWarningText());
        QVERIFY(indicator->palette().color(QPalette::WindowText) != window.palette().color(QPalette::WindowText));
        QVERIFY2(indicator->toolTip().contains(QLatin1String("simulated outage")), qPrintable(indicator->toolTip()));

        // The dashboard shows the line for the selected deployment.
        auto *dashboard = qobject_cast<ui::DashboardPage *>(window.page(ui::PageId::Dashboard));
        QVERIFY(dashboard);
        window.showPage(ui::PageId::Dashboard);
        QTRY_VERIFY_WITH_TIMEOUT(dashboard->deploymentBox()->findText(dep) >= 0, kTimeoutMs);
        dashboard->deploymentBox()->setCurrentIndex(dashboard->deploymentBox()->findText(dep));
        ui::DependencyStrip *strip = dashboard->dependencyStrip();
        strip->service()->setPollInterval(250);
        QTRY_VERIFY_WITH_TIMEOUT(strip->isVisible() && strip->text().contains(QLatin1String("weather: fallback")),
                                 kTimeoutMs);
        QCOMPARE(strip->property("level").toString(), QStringLiteral("warning"));

        // A guard round fires the alert (0 min instead of the default 10, so the test need not wait).
        {
            auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
            AlertRule rule = AlertRule::defaultFor(AlertRule::Metric::DependencyFallback);
            rule.threshold = 0;
            QVERIFY(AlertRuleStore(*conn).saveRule(dep, rule,
                                                   AlertActor{QStringLiteral("tester"), QStringLiteral("host")}));
        }
        GuardContext guard;
        guard.redis = test::TestServers::redis();
        guard.pg = m_db->endpoint();
        guard.deployment = dep;
        guard.actor = QStringLiteral("guard@test");
        auto job = makeKpiAlertGuardJob(KpiAlertGuardOptions{});
        // Guard rounds until the fallback has lasted more than 0 whole seconds on the guard's clock.
        QTRY_VERIFY_WITH_TIMEOUT(job->runOnce(guard).ok() && dependencyAlerts(dep).size() == 1, kTimeoutMs);
        QList<Alert> alerts = dependencyAlerts(dep);
        QVERIFY(!alerts.first().resolved());
        QCOMPARE(alerts.first().title, QStringLiteral("weather in fallback for more than 0 min"));

        // The outage ends: the entry goes, and the next guard round resolves the alert.
        QTRY_VERIFY_WITH_TIMEOUT(!strip->text().contains(QLatin1String("fallback")), kTimeoutMs);
        QVERIFY(strip->text().contains(QLatin1String("weather: up")));
        QTRY_VERIFY_WITH_TIMEOUT(!indicator->toolTip().contains(dep), kTimeoutMs);
        QVERIFY(job->runOnce(guard).ok());
        alerts = dependencyAlerts(dep);
        QCOMPARE(alerts.size(), 1);
        QVERIFY(alerts.first().resolved());

        // The backend stops: its report expires and the dependency reads as unknown.
        stopBackend.dismiss();
        stop = true;
        backend.join();
        QVERIFY2(ran.ok(), qPrintable(ran.errorMessage()));
        QTRY_VERIFY_WITH_TIMEOUT(strip->text().contains(QLatin1String("weather: unknown")), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(indicator->toolTip().contains(dep), kTimeoutMs);
        QVERIFY(indicator->text().contains(QLatin1String("weather: unknown")));
    }
};

QTEST_MAIN(TestGuiDependencies)
#include "test_gui_dependencies.moc"
