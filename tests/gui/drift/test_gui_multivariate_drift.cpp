// The drift page shows the multivariate line (PCA reconstruction error) as its own row after the features,
// with its band, and its charts when selected: offscreen, against real PostgreSQL.
#include "core/config/Settings.h"
#include "core/domain/DriftScore.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/DriftCheck.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/CorrelatedPairs.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/drift/DriftCharts.h"
#include "ui/pages/drift/DriftTableModel.h"

#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

class TestGuiMultivariateDrift final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;

    // `rows` rows over [from, from + seconds): see correlatedPairsSql.
    Status log(const QDateTime &from, int rows, int seconds, bool rotated, quint64 seed)
    {
        return test::exec(*m_conn, correlatedPairsSql(m_dep, from, rows, seconds, rotated, seed));
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guimvdrift"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("guimv"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        schema.features.push_back({QStringLiteral("y"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
        // Reference: 5,000 rows an hour ago; the current 2-minute window: 1,000 rows turned by 90°.
        const QDateTime now = QDateTime::fromSecsSinceEpoch(QDateTime::currentSecsSinceEpoch(), Qt::UTC);
        const QDateTime refFrom = now.addSecs(-3600);
        QVERIFY(log(refFrom, 5000, 600, false, 1).ok());
        QVERIFY(log(now.addSecs(-100), 1000, 90, true, 2).ok());
        QVERIFY(DriftData(*m_conn)
                    .setDriftSettings(
                        m_dep, {{QStringLiteral("window"), QStringLiteral("2m")},
                                {QStringLiteral("reference"),
                                 QStringLiteral("period:%1/%2")
                                     .arg(refFrom.toString(Qt::ISODate), refFrom.addSecs(600).toString(Qt::ISODate))}})
                    .ok());
        // One recorded check, as the guard's: the line's history with its band.
        DriftCheckRequest request;
        request.deployment = m_dep;
        request.persist = true;
        const auto checked = runDriftCheck(*m_conn, request);
        QVERIFY2(checked.ok(), qPrintable(checked.errorMessage()));
        QVERIFY(checked->multivariate && checked->multivariate->drift);
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void multivariateLineOnTheDriftPage()
    {
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        session.start();
        ui::AlertsDriftPage page(session);
        page.resize(1280, 900);
        page.show();
        const ui::DriftTableModel &model = page.driftModel();
        // x, y, prediction, then the multivariate line.
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 4, 15000);
        const int row = model.rowCount() - 1;
        QCOMPARE(model.nameAt(row), kDriftMultivariateFeature);
        QCOMPARE(model.index(row, ui::DriftTableModel::Feature).data().toString(),
                 QStringLiteral("multivariate (PCA, 1 component, 65 %)"));
        QCOMPARE(model.index(row, ui::DriftTableModel::Test).data().toString(), QStringLiteral("pca"));
        QCOMPARE(model.index(row, ui::DriftTableModel::Status).data().toString(), QStringLiteral("Drift"));
        QVERIFY(model.index(row, ui::DriftTableModel::Threshold).data().toString().contains(QStringLiteral(" to ")));
        QCOMPARE(model.index(row, 0).data(ui::DriftTableModel::SparklineRole).value<QList<double>>().size(), 1);
        for (int r = 0; r < 2; ++r) // no univariate test sees the rotation
            QCOMPARE(model.index(r, ui::DriftTableModel::Status).data().toString(), QStringLiteral("OK"));

        QTableView *view = page.driftView();
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {},
                          view->visualRect(model.index(row, ui::DriftTableModel::Feature)).center());
        QTRY_VERIFY(page.charts()->histogramTitle().startsWith(QStringLiteral("multivariate (PCA")));
        if (const QByteArray grab = qgetenv("MLDECK_TEST_GRAB"); !grab.isEmpty()) {
            QCoreApplication::processEvents(); // the chart scene's pending update, before the grab
            page.grab().save(QString::fromLocal8Bit(grab));
        }
    }
};

QTEST_MAIN(TestGuiMultivariateDrift)
#include "test_gui_multivariate_drift.moc"
