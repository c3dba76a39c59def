#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/PgStandbyPair.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/MainWindow.h"
#include "ui/Theme.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/DashboardPage.h"
#include "ui/reports/ReportExporter.h"
#include "ui/widgets/ReadSourceLine.h"
#include "ui/widgets/StandbyIndicator.h"

#include <QApplication>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace mldeck;
using namespace mldeck::test;

// The dashboard on a profile with a read replica (MLDECK_PG_READ_URL): it says where its figures come from and
// the lag, marks them NOT live when the standby lags beyond the maximum, and, the standby stopped, keeps showing
// figures read from the primary with the notice (no dialog) until the standby answers again. The window's status
// bar says the same of the standby, from the same reads.
class TestGuiReadReplica final : public QObject
{
    Q_OBJECT

    PgStandbyPair m_pair;
    std::unique_ptr<PgConnection> m_primary;
    QString m_dep;
    int m_schema = 1;
    int m_seq = 0;

    void logNow(int n)
    {
        std::vector<PredictionRow> rows;
        const qint64 at = QDateTime::currentMSecsSinceEpoch() * 1000 - 2'000'000;
        for (int i = 0; i < n; ++i) {
            PredictionRow r;
            r.tsMicros = at - i * 1000;
            r.deployment = m_dep;
            r.requestKey = QStringLiteral("g%1").arg(++m_seq);
            r.path = PredictionPath::Heuristic;
            r.predicted = 3.0;
            r.latencyMs = 2;
            r.featureSchema = m_schema;
            rows.push_back(r);
        }
        QVERIFY(PredictionLog(*m_primary).appendPredictions(rows).ok());
    }

    static bool dialogShown()
    {
        for (QWidget *w : QApplication::topLevelWidgets())
            if (qobject_cast<QMessageBox *>(w) && w->isVisible())
                return true;
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS(); // Redis for the page's dependency strip
        QString why;
        QVERIFY2(m_pair.start(&why), qPrintable(why));
        m_primary = PgConnection::open(m_pair.primary(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_primary).ok());
        m_dep = uniqueName(QStringLiteral("replica"));
        auto schema = DeploymentStore(*m_primary).ensure(m_dep, QString(), FeatureSchema{});
        QVERIFY(schema.ok());
        m_schema = *schema;
        logNow(40);
        QVERIFY2(m_pair.waitReplayed(20000, &why), qPrintable(why));
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("MLDECK_PG_URL", m_pair.primary().toUrl(true).toUtf8());
        PgEndpoint standby = m_pair.standby();
        standby.password.clear(); // the primary's is used
        qputenv("MLDECK_PG_READ_URL", standby.toUrl().toUtf8());
        qputenv("MLDECK_PG_READ_MAX_LAG", "1");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void showsLagStalenessAndFallback()
    {
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::MainWindow window(session, monitor);
        session.start();
        QVERIFY(session.activeProfile().pgRead.endpoint.has_value());
        auto &page = *qobject_cast<ui::DashboardPage *>(window.page(ui::PageId::Dashboard));
        window.resize(1280, 900);
        window.show();
        const ui::StandbyIndicator *standbyBar = window.standbyIndicator();
        QVERIFY(standbyBar->isVisible());
        QTimer refresher; // the Refresh button, pressed often (the page's own timer waits 5 s)
        connect(&refresher, &QTimer::timeout, &page, &ui::DashboardPage::refresh);
        refresher.start(300);

        QTRY_VERIFY2_WITH_TIMEOUT(
            page.state() == ui::DashboardPage::State::Live &&
                page.readSourceText().startsWith(QStringLiteral("Read from the standby ") + m_pair.standby().display()),
            qPrintable(page.stateText() + QStringLiteral(" | ") + page.readSourceText()), 20000);
        QVERIFY(page.readSourceText().contains(QStringLiteral("lag 0.0 s")));
        QTRY_VERIFY2_WITH_TIMEOUT(standbyBar->text() == QStringLiteral("Standby: lag 0.0 s"),
                                  qPrintable(standbyBar->text()), 15000);
        QVERIFY2(standbyBar->toolTip().contains(QStringLiteral("Standby: ") + m_pair.standby().display()),
                 qPrintable(standbyBar->toolTip()));
        QCOMPARE(standbyBar->dotColor(), ui::themeColor(ui::Palette::Good));

        // Replay paused, rows written: the lag passes the 1 s allowed and the figures are not called live.
        auto standby = PgConnection::open(m_pair.standby(), QStringLiteral("test"));
        QVERIFY(standby.ok());
        QVERIFY(exec(**standby, QStringLiteral("SELECT pg_wal_replay_pause()")).ok());
        logNow(5);
        QTRY_VERIFY2_WITH_TIMEOUT(page.state() == ui::DashboardPage::State::Stale, qPrintable(page.stateText()), 15000);
        QVERIFY(page.stateText().startsWith(QStringLiteral("NOT live")));
        QTRY_VERIFY2_WITH_TIMEOUT(standbyBar->text().endsWith(QStringLiteral(" s behind (NOT live)")),
                                  qPrintable(standbyBar->text()), 15000);
        QCOMPARE(standbyBar->dotColor(), ui::themeColor(ui::Palette::Warn));
        QVERIFY(exec(**standby, QStringLiteral("SELECT pg_wal_replay_resume()")).ok());
        QTRY_VERIFY2_WITH_TIMEOUT(page.state() == ui::DashboardPage::State::Live, qPrintable(page.stateText()), 15000);
        standby = Error{QString()};
        QTRY_VERIFY2_WITH_TIMEOUT(standbyBar->text().startsWith(QStringLiteral("Standby: lag ")),
                                  qPrintable(standbyBar->text()), 15000);

        // The standby stopped: figures from the primary, the notice, no dialog.
        QString why;
        QVERIFY2(m_pair.stopStandby(&why), qPrintable(why));
        QTRY_VERIFY2_WITH_TIMEOUT(
            page.readSourceText().startsWith(QStringLiteral("Read replica unreachable: reading from the primary")),
            qPrintable(page.readSourceText()), 15000);
        QCOMPARE(page.state(), ui::DashboardPage::State::Live);
        QCOMPARE(page.lastSnapshot()->overall.predictions, 45);
        QVERIFY(!dialogShown());
        QTRY_VERIFY2_WITH_TIMEOUT(standbyBar->text() == QStringLiteral("Standby unreachable: reading from the primary"),
                                  qPrintable(standbyBar->text()), 15000);
        QVERIFY2(
            standbyBar->toolTip().contains(QStringLiteral("Standby: ") + m_pair.standby().display()) &&
                standbyBar->toolTip().contains(QStringLiteral("read from the primary ") + m_pair.primary().display()),
            qPrintable(standbyBar->toolTip()));
        QCOMPARE(standbyBar->dotColor(), ui::themeColor(ui::Palette::Bad));

        QVERIFY2(m_pair.startStandby(&why), qPrintable(why));
        QTRY_VERIFY2_WITH_TIMEOUT(page.readSourceText().startsWith(QStringLiteral("Read from the standby")),
                                  qPrintable(page.readSourceText()), 20000);
        QTRY_VERIFY2_WITH_TIMEOUT(standbyBar->text().startsWith(QStringLiteral("Standby: lag ")),
                                  qPrintable(standbyBar->text()), 15000);
        QVERIFY(!dialogShown());
    }

    // The drift page reads its view on the standby too: it shows the same line under its drift table.
    void driftPageSaysWhereItRead()
    {
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::AlertsDriftPage page(session);
        page.resize(1200, 900);
        page.show();
        const ui::ReadSourceLine *line = page.driftReadSource();
        QTRY_VERIFY2_WITH_TIMEOUT(
            line->shownText().startsWith(QStringLiteral("Read from the standby ") + m_pair.standby().display()),
            qPrintable(line->shownText()), 20000);
    }

    // A report whose figures did not come from the standby says so in its result, like `mldeckctl report`.
    void reportExportSaysItFellBack()
    {
        QTemporaryDir dir;
        ui::ReportExporter exporter;
        PgEndpoint nowhere = m_pair.standby();
        nowhere.port = 1; // nothing listens there: refused at once
        nowhere.password.clear();
        exporter.setReadReplica(ReadReplica{nowhere, 30});
        QSignalSpy finished(&exporter, &ui::ReportExporter::finished);
        exporter.start(m_pair.primary(), m_dep, QStringLiteral("day"), QStringLiteral("csv"),
                       dir.filePath(QStringLiteral("r.csv")));
        QVERIFY(finished.wait(20000));
        const QString message = finished.first().at(1).toString();
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("(read replica unreachable: reading from the primary")),
                 qPrintable(message));
    }
};

QTEST_MAIN(TestGuiReadReplica)
#include "test_gui_read_replica.moc"
