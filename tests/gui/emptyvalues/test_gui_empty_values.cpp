// The Dashboard and the Retrain page, offscreen against real PostgreSQL, on a deployment that has logged
// nothing: every KPI tile over the empty window and the trigger figures that need feedback or outcomes
// read "no data" (no figure behind them), never 0 or 100 %; the counts read a true 0.
#include "core/config/Settings.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/domain/Figure.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/RetrainPage.h"
#include "ui/pages/dashboard/KpiTileWidget.h"
#include "ui/pages/dashboard/KpiTiles.h"
#include "ui/pages/retrain/RetrainWizard.h"

#include <QComboBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

class TestGuiEmptyValues : public QObject
{
    Q_OBJECT

    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QString m_dep;

    struct Session
    {
        Settings settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session;
        explicit Session(const QString &ini) : settings(ini), session(settings, secrets, monitor) {}
    };

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiempty"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_empty_values"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        m_dep = uniqueName(QStringLiteral("empty"));
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, QString(), RideDelayGenerator::schema()).ok());
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    // Pure: the tiles of an empty snapshot (no predictions now or before).
    void tilesOfAnEmptySnapshot()
    {
        KpiSnapshot empty;
        empty.query = *KpiQuery::lastRange(m_dep, QStringLiteral("1h"), QDateTime::currentSecsSinceEpoch());
        empty.overall = stats::computeFigures(stats::PathSums{}, 3600, 5);
        for (const ui::TileState &t : ui::KpiTiles::compute(empty)) {
            if (t.key == QLatin1String("throughput"))
                continue; // no traffic in the hour is a measured rate of 0
            QVERIFY2(!t.raw.has_value(), qPrintable(t.key));
            QCOMPARE(t.value, noDataText());
            QCOMPARE(t.verdict, ui::TileState::Verdict::NoData);
            QVERIFY2(t.trendText.isEmpty(), qPrintable(t.key)); // no figure, no trend
        }
    }

    void dashboardTilesSayNoData()
    {
        Session s(m_dir.filePath(QStringLiteral("dash.ini")));
        ui::DashboardPage page(s.session);
        page.resize(1400, 1000);
        page.show();
        s.session.start();
        QTRY_VERIFY_WITH_TIMEOUT(page.deploymentBox()->findText(m_dep) >= 0, 20000);
        page.deploymentBox()->setCurrentIndex(page.deploymentBox()->findText(m_dep));
        QTRY_VERIFY2_WITH_TIMEOUT(page.state() == ui::DashboardPage::State::NoData, qPrintable(page.stateText()),
                                  20000);
        for (const QString &key : ui::KpiTiles::keys()) {
            ui::KpiTileWidget *tile = page.tile(key);
            QVERIFY2(tile, qPrintable(key));
            if (key == QLatin1String("throughput"))
                continue;
            QCOMPARE(tile->valueText(), noDataText());
            QVERIFY2(!tile->property("figure").isValid(), qPrintable(key));
            QCOMPARE(tile->verdict(), ui::TileState::Verdict::NoData);
        }
    }

    // The first step of the wizard: the satisfaction (no feedback) and the MAE (no outcomes) have no value.
    void retrainTriggersSayNoData()
    {
        Session s(m_dir.filePath(QStringLiteral("retrain.ini")));
        ui::RetrainPage page(s.session);
        page.resize(1200, 800);
        page.show();
        s.session.start();
        page.selectDeployment(m_dep);
        auto *table = page.wizard()->findChild<QTableWidget *>(QStringLiteral("triggerTable"));
        QVERIFY(table);
        QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() == 5, 20000);
        QMap<QString, QString> values;
        for (int r = 0; r < table->rowCount(); ++r)
            values.insert(table->item(r, 0)->text(), table->item(r, 1)->text());
        QCOMPARE(values.value(QStringLiteral("Satisfaction (positive share)")), noDataText());
        QCOMPARE(values.value(QStringLiteral("MAE of the window above target")), noDataText());
        QCOMPARE(values.value(QStringLiteral("Feedback items in the last 30 days")), QStringLiteral("0"));
        for (const QString &v : values)
            QVERIFY2(!v.contains(QLatin1String("100")), qPrintable(v));
    }
};

QTEST_MAIN(TestGuiEmptyValues)
#include "test_gui_empty_values.moc"
