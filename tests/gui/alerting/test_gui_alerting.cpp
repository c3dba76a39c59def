#include "core/config/Settings.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/notifications/DesktopNotifier.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/drift/AlertRulesTableModel.h"
#include "ui/pages/drift/AlertRulesView.h"

#include <QMainWindow>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

class TestGuiAlerting final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;
    const AlertActor m_actor{QStringLiteral("tester"), QStringLiteral("testhost")};

    qint64 raise(const QString &key, const QString &title)
    {
        const auto r =
            AlertStore(*m_conn).raise(m_dep, QStringLiteral("kpi"), QStringLiteral("critical"), key, title, {});
        if (!r) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("raise: ") + r.errorMessage());
            return -1;
        }
        return r->id;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guialert"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guialert"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void notifierAnnouncesANewFiringAlertOnce()
    {
        const qint64 old = raise(QStringLiteral("old_rule"), QStringLiteral("Already firing before start"));
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        QMainWindow window;
        auto *notifier = new ui::DesktopNotifier(session, &window);
        QList<QPair<QString, QString>> shown;
        notifier->setSink(
            [&](const QString &title, const QString &message, const Alert &) { shown << qMakePair(title, message); });
        QSignalSpy checked(notifier, &ui::DesktopNotifier::alertsChecked);
        QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, 10000);
        QVERIFY(shown.isEmpty()); // open at start-up: not news

        const qint64 fresh = raise(QStringLiteral("failure_rate"), QStringLiteral("Failure rate > 20.0 %"));
        // A silenced new alert is not announced.
        const qint64 hushed = raise(QStringLiteral("mae"), QStringLiteral("ML MAE > 2.50 min"));
        QVERIFY(AlertStore(*m_conn).silence(hushed, QDateTime::currentDateTimeUtc().addSecs(600), m_actor).ok());
        checked.clear();
        notifier->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, 10000);
        QCOMPARE(shown.size(), 1);
        QVERIFY(shown[0].first.contains(m_dep));
        QCOMPARE(shown[0].second, QStringLiteral("Failure rate > 20.0 %"));

        // Refreshing again (still firing, refreshed by the guard) shows nothing new.
        QVERIFY(AlertStore(*m_conn)
                    .raise(m_dep, QStringLiteral("kpi"), QStringLiteral("critical"), QStringLiteral("failure_rate"),
                           QStringLiteral("Failure rate > 20.0 %"), {})
                    .ok());
        checked.clear();
        notifier->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, 10000);
        QCOMPARE(shown.size(), 1);
        QCOMPARE(notifier->notificationCount(), 1);

        // Resolved and fired again: a new alert row, so a new notification.
        QVERIFY(
            AlertStore(*m_conn).resolve(m_dep, QStringLiteral("kpi"), QStringLiteral("failure_rate"), m_actor).value());
        const qint64 again = raise(QStringLiteral("failure_rate"), QStringLiteral("Failure rate > 20.0 %"));
        QVERIFY(again != fresh);
        checked.clear();
        notifier->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, 10000);
        QCOMPARE(shown.size(), 2);

        // Without a sink and without a system tray (offscreen): the main window's status bar says it.
        notifier->setSink({});
        raise(QStringLiteral("latency_p95_ms"), QStringLiteral("ML latency p95 > 2000 ms"));
        checked.clear();
        notifier->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(checked.count() >= 1, 10000);
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("ML latency p95 > 2000 ms")),
                 qPrintable(window.statusBar()->currentMessage()));
        for (const QString &key : {QStringLiteral("failure_rate"), QStringLiteral("mae"),
                                   QStringLiteral("latency_p95_ms"), QStringLiteral("old_rule")})
            QVERIFY(AlertStore(*m_conn).resolve(m_dep, QStringLiteral("kpi"), key, m_actor).ok());
        Q_UNUSED(old)
    }

    void rulesViewShowsAPendingRule()
    {
        // Half of the last minute's predictions failed; the guard sees it and the rule goes pending.
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        QVERIFY(
            test::exec(
                *m_conn,
                QStringLiteral(
                    "INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, "
                    "request_key, model_version, numeric) SELECT to_timestamp(%1) + i * interval '1 ms', "
                    "CASE WHEN mod(i, 2) = 0 THEN NULL ELSE 3.0 END, 80, mod(i, 2) = 0, 'ml', '%2', 'g' || i, 'v1', "
                    "ARRAY[1.0]::real[] FROM generate_series(0, 199) AS i")
                    .arg(now - 30)
                    .arg(m_dep))
                .ok());
        AlertRule rule = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
        rule.pendingSeconds = 600;
        QVERIFY(AlertRuleStore(*m_conn).saveRule(m_dep, rule, m_actor).ok());
        GuardContext context;
        context.pg = m_db->endpoint();
        context.deployment = m_dep;
        auto job = makeKpiAlertGuardJob();
        QVERIFY2(job->runOnce(context).ok(), qPrintable(job->lastSummary()));

        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::AlertsDriftPage page(session);
        page.resize(1200, 800);
        page.show();
        ui::AlertRulesTableModel &model = page.rulesView()->model();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 6, 10000);
        int row = -1;
        for (int r = 0; r < model.rowCount(); ++r)
            if (model.ruleAt(r)->rule.id == QLatin1String("failure_rate"))
                row = r;
        QVERIFY(row >= 0);
        QCOMPARE(model.index(row, 0).data(ui::AlertRulesTableModel::StateKeyRole).toString(),
                 QStringLiteral("pending"));
        QVERIFY(model.index(row, ui::AlertRulesTableModel::State)
                    .data()
                    .toString()
                    .startsWith(QStringLiteral("Pending since")));
        QCOMPARE(model.index(row, ui::AlertRulesTableModel::LastValue).data().toString(), QStringLiteral("50.0 %"));
        QVERIFY(model.index(row, ui::AlertRulesTableModel::Condition)
                    .data()
                    .toString()
                    .contains(QStringLiteral("for 600 s")));
        QVERIFY(page.rulesView()->summaryText().contains(QStringLiteral("1 pending")));
        if (const QString shot = qEnvironmentVariable("MLDECK_TEST_SCREENSHOT"); !shot.isEmpty()) {
            page.findChild<QTabWidget *>(QStringLiteral("alertTabs"))->setCurrentIndex(1);
            QCoreApplication::processEvents(); // the tab's pending layout, before the grab
            page.grab().save(shot);
        }
    }
};

QTEST_MAIN(TestGuiAlerting)
#include "test_gui_alerting.moc"
