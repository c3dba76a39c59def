#include "core/config/Settings.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/drift/AlertsTableModel.h"
#include "ui/pages/drift/DriftCharts.h"
#include "ui/pages/drift/DriftTableModel.h"

#include <QPushButton>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

class TestGuiAlertsDrift final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;
    qint64 m_alertId = 0;

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guialerts"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("gui"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("rain_mm"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
        const auto raised = AlertStore(*m_conn).raise(m_dep, QStringLiteral("drift"), QStringLiteral("warning"),
                                                      QStringLiteral("drift:rain_mm"),
                                                      QStringLiteral("Drift on rain_mm: wasserstein = 0.8"), {});
        QVERIFY(raised.ok());
        m_alertId = raised->id;
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void firingAlertAcknowledgeAndSilence()
    {
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::AlertsDriftPage page(session);
        page.resize(1200, 800);
        page.show();

        QTRY_COMPARE_WITH_TIMEOUT(page.alertsModel().rowCount(), 1, 10000);
        const QModelIndex state = page.alertsModel().index(0, ui::AlertsTableModel::State);
        QCOMPARE(state.data(ui::AlertsTableModel::StateKeyRole).toString(), QStringLiteral("firing"));
        QCOMPARE(state.data().toString(), QStringLiteral("Firing"));
        QVERIFY(!page.acknowledgeButton()->isEnabled()); // nothing selected yet

        // Select the alert by clicking its row, then Acknowledge.
        QTableView *view = page.alertsView();
        const QRect cell = view->visualRect(page.alertsModel().index(0, ui::AlertsTableModel::Title));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center());
        QTRY_VERIFY(page.acknowledgeButton()->isEnabled());
        QTest::mouseClick(page.acknowledgeButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(page.alertsModel().index(0, 0).data(ui::AlertsTableModel::StateKeyRole).toString(),
                                  QStringLiteral("acknowledged"), 10000);
        QVERIFY(!page.alertsModel().index(0, ui::AlertsTableModel::AcknowledgedBy).data().toString().isEmpty());
        QVERIFY(!page.acknowledgeButton()->isEnabled()); // already acknowledged
        const auto audit = test::query(*m_conn,
                                       QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = "
                                                      "'alert.acknowledge' AND (after ->> 'id')::bigint = $1"),
                                       {QString::number(m_alertId)});
        QVERIFY(audit.ok());
        QCOMPARE(audit->first().first(), QStringLiteral("1"));

        // Silence: the asker stands in for the dialog; a cancelled dialog changes nothing.
        page.setSilenceAsker([](QWidget *) { return std::optional<QDateTime>(); });
        QTRY_VERIFY(page.silenceButton()->isEnabled());
        QTest::mouseClick(page.silenceButton(), Qt::LeftButton);
        QVERIFY(!test::happensWithin(
            [&] {
                return page.alertsModel().index(0, 0).data(ui::AlertsTableModel::StateKeyRole).toString() !=
                       QLatin1String("acknowledged");
            },
            300));
        page.setSilenceAsker(
            [](QWidget *) { return std::optional<QDateTime>(QDateTime::currentDateTimeUtc().addSecs(3600)); });
        QTest::mouseClick(page.silenceButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(page.alertsModel().index(0, 0).data(ui::AlertsTableModel::StateKeyRole).toString(),
                                  QStringLiteral("silenced"), 10000);
        QVERIFY(page.statusText().contains(QStringLiteral("silenced")));
    }

    void driftTableAndFeatureCharts()
    {
        // 600 reference rows an hour ago, 600 current rows (shifted) in the last minute.
        const QDateTime now = QDateTime::currentDateTimeUtc();
        for (const auto &[from, shift] : {std::pair{now.addSecs(-3600), 0.0}, std::pair{now.addSecs(-50), 2.0}})
            QVERIFY(test::exec(*m_conn,
                               QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, path, deployment, "
                                              "request_key, numeric) SELECT '%1'::timestamptz + i * interval "
                                              "'50 milliseconds', 1.0, 'ml', '%2', 'k' || i || '%3', "
                                              "ARRAY[%3 + mod(i, 97) / 10.0]::real[] FROM generate_series(0, 599) AS i")
                                   .arg(from.toString(Qt::ISODateWithMs), m_dep)
                                   .arg(shift))
                        .ok());
        QVERIFY(test::exec(
                    *m_conn,
                    QStringLiteral("UPDATE mldeck.deployments SET settings = '{\"drift\": {\"window\": \"2m\", "
                                   "\"reference\": \"period:%1/%2\"}}' WHERE name = '%3'")
                        .arg(now.addSecs(-3700).toString(Qt::ISODate), now.addSecs(-3000).toString(Qt::ISODate), m_dep))
                    .ok());
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::AlertsDriftPage page(session);
        page.resize(1280, 900);
        page.show();
        QTRY_VERIFY_WITH_TIMEOUT(page.driftModel().rowCount() >= 1, 15000);
        const ui::DriftTableModel &model = page.driftModel();
        QCOMPARE(model.index(0, ui::DriftTableModel::Feature).data().toString(), QStringLiteral("rain_mm"));
        QCOMPARE(model.index(0, ui::DriftTableModel::Test).data().toString(),
                 QStringLiteral("ks")); // 600 reference rows
        QCOMPARE(model.index(0, ui::DriftTableModel::Status).data().toString(), QStringLiteral("Drift"));
        QVERIFY(!model.index(0, ui::DriftTableModel::PValue).data().toString().isEmpty());
        QVERIFY(model.index(0, ui::DriftTableModel::Effect).data().toString().startsWith(QStringLiteral("cohens_d")));

        QTableView *view = page.driftView();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                          view->visualRect(model.index(0, ui::DriftTableModel::Feature)).center());
        QTRY_VERIFY(page.charts()->histogramTitle().contains(QStringLiteral("rain_mm")));
        if (const QByteArray grab = qgetenv("MLDECK_TEST_GRAB"); !grab.isEmpty()) {
            QCoreApplication::processEvents(); // the chart scene's pending update, before the grab
            page.grab().save(QString::fromLocal8Bit(grab));
        }
    }
};

QTEST_MAIN(TestGuiAlertsDrift)
#include "test_gui_alerts_drift.moc"
