#include "core/config/Settings.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/charts/TimeSeriesChart.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/dashboard/DashboardCharts.h"
#include "ui/pages/dashboard/KpiBreakdownModel.h"
#include "ui/pages/dashboard/KpiTileWidget.h"
#include "ui/pages/dashboard/KpiTiles.h"
#include "ui/pages/dashboard/RangeSelector.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QElapsedTimer>
#include <QPushButton>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace mldeck;
using namespace mldeck::test;

namespace {

// What the test logged, kept to recompute every figure from the raw rows.
struct Raw
{
    bool failed = false;
    double predicted = 0;
    std::optional<double> actual;
    double latencyMs = 0;
};

struct Expected
{
    qint64 count = 0;
    double failureRate = 0;
    double mae = 0;
    double r2 = 0;
    double p95 = 0;
};

Expected recompute(const QList<Raw> &rows)
{
    Expected e;
    e.count = rows.size();
    qint64 failed = 0;
    std::vector<double> latencies;
    double sumAbs = 0, sumSq = 0, sumA = 0, sumA2 = 0;
    qint64 labelled = 0;
    for (const Raw &r : rows) {
        latencies.push_back(r.latencyMs);
        if (r.failed) {
            ++failed;
            continue;
        }
        if (!r.actual)
            continue;
        ++labelled;
        const double err = r.predicted - *r.actual;
        sumAbs += std::abs(err);
        sumSq += err * err;
        sumA += *r.actual;
        sumA2 += *r.actual * *r.actual;
    }
    e.failureRate = double(failed) / double(e.count);
    e.mae = sumAbs / double(labelled);
    const double sst = sumA2 - sumA * sumA / double(labelled);
    e.r2 = 1.0 - sumSq / sst;
    std::sort(latencies.begin(), latencies.end());
    const auto rank = qint64(std::max<double>(1.0, std::ceil(0.95 * double(latencies.size()))));
    e.p95 = latencies[size_t(rank - 1)];
    return e;
}

double figure(ui::DashboardPage &page, const char *key)
{
    return page.tile(QString::fromLatin1(key))->property("figure").toDouble();
}

bool near(double a, double b, double rel = 1e-9)
{
    return std::abs(a - b) <= rel * std::max(1.0, std::abs(b));
}

} // namespace

class TestGuiDashboard final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;
    QList<Raw> m_old;    // 40 minutes ago: in the last hour, not in the last 15 minutes
    QList<Raw> m_recent; // the last few minutes
    int m_serial = 0;

    // Logs n predictions at `ago` seconds before now (spread over 60 s), ml/heuristic, some failed,
    // outcomes for 3 in 4; appends them to `into`.
    void logRows(int n, qint64 agoSecs, QList<Raw> &into)
    {
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("rain_mm"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
        QRandomGenerator rng{quint32(7 + m_serial)};
        const qint64 base = QDateTime::currentMSecsSinceEpoch() * 1000 - agoSecs * 1'000'000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < n; ++i) {
            PredictionRow p;
            p.tsMicros = base + qint64(i) * (60'000'000 / n);
            p.deployment = m_dep;
            p.requestKey = QStringLiteral("r%1").arg(++m_serial);
            const bool ml = i % 3 != 0;
            p.path = ml ? PredictionPath::Ml : PredictionPath::Heuristic;
            p.modelVersion = ml ? QStringLiteral("v1") : QString();
            p.latencyMs = float(5 + rng.bounded(400));
            Raw raw;
            raw.latencyMs = double(p.latencyMs);
            raw.failed = i % 10 == 7;
            p.failed = raw.failed;
            if (!raw.failed) {
                raw.predicted = double(rng.bounded(200)) / 10.0;
                p.predicted = raw.predicted;
            } else {
                p.error = QStringLiteral("timeout");
            }
            if (i % 4 != 0) {
                const double actual = raw.failed ? 3.0 : raw.predicted + (double(rng.bounded(60)) - 30.0) / 10.0;
                if (!raw.failed)
                    raw.actual = actual;
                outcomes.push_back({p.tsMicros + 1'000'000, m_dep, p.requestKey, actual});
            }
            predictions.push_back(p);
            into.append(raw);
        }
        PredictionLog log(*m_conn);
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());
    }

    std::unique_ptr<ui::ConnectionSession> makeSession(QTemporaryDir &dir, std::unique_ptr<Settings> &settings,
                                                       SecretStore &secrets, ConnectionMonitor &monitor)
    {
        settings = std::make_unique<Settings>(dir.filePath(QStringLiteral("mldeck.ini")));
        auto session = std::make_unique<ui::ConnectionSession>(*settings, secrets, monitor);
        session->start();
        return session;
    }

    void checkTiles(ui::DashboardPage &page, const QList<Raw> &rows)
    {
        const Expected e = recompute(rows);
        QVERIFY2(near(figure(page, "mae"), e.mae),
                 qPrintable(QStringLiteral("%1 vs %2").arg(figure(page, "mae")).arg(e.mae)));
        QCOMPARE(page.tile(QStringLiteral("mae"))->valueText(), ui::KpiTiles::formatMinutes(e.mae));
        QVERIFY(near(figure(page, "r2"), e.r2));
        QCOMPARE(page.tile(QStringLiteral("r2"))->valueText(), ui::KpiTiles::formatRatio(e.r2));
        QVERIFY(near(figure(page, "errorRate"), e.failureRate));
        QCOMPARE(page.tile(QStringLiteral("errorRate"))->valueText(), ui::KpiTiles::formatShare(e.failureRate));
        // Latency quantiles come from the sketch: within its stated 1 % relative error of the exact one.
        QVERIFY2(std::abs(figure(page, "latency") - e.p95) <= 0.01 * e.p95 + 1e-9,
                 qPrintable(QStringLiteral("%1 vs %2").arg(figure(page, "latency")).arg(e.p95)));
        // Green/red against the deployment guide's targets.
        QCOMPARE(page.tile(QStringLiteral("mae"))->verdict(),
                 e.mae < 2.5 ? ui::TileState::Verdict::Good : ui::TileState::Verdict::Bad);
        QCOMPARE(page.tile(QStringLiteral("errorRate"))->verdict(), ui::TileState::Verdict::Good); // 10 % < 20 %
        QCOMPARE(page.lastSnapshot()->overall.predictions, e.count);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guidash"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("dash"));
        const QDate today = QDateTime::currentDateTimeUtc().date();
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(today.addDays(-1), today.addDays(1)).ok());
        logRows(300, 40 * 60, m_old);
        logRows(240, 5 * 60, m_recent);
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void tilesRangesAutoRefreshCustomRange()
    {
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        auto session = makeSession(dir, settings, secrets, monitor);
        ui::DashboardPage page(*session);
        QAbstractItemModelTester tester(page.breakdownModel());
        page.resize(1400, 1000);
        page.show();

        // Default: the last hour, both batches.
        QTRY_VERIFY2_WITH_TIMEOUT(page.state() == ui::DashboardPage::State::Live, qPrintable(page.stateText()), 20000);
        QCOMPARE(page.deploymentBox()->currentText(), m_dep);
        QCOMPARE(page.currentQuery()->rangeSeconds(), qint64(3600));
        QCOMPARE(page.autoRefreshBox()->currentData().toInt(), 5000);
        QVERIFY(page.stateText().contains(QStringLiteral("took")));
        checkTiles(page, m_old + m_recent);
        QVERIFY(page.breakdownModel()->rowCount() >= 3); // ml, heuristic, version v1 (and none)
        QVERIFY(page.charts()->mae()->rawPointCount(QStringLiteral("ML")) >= 2);

        // 15 min: only the recent batch.
        int shown = page.snapshotsShown();
        QTest::mouseClick(page.rangeSelector()->rangeButton(QStringLiteral("15m")), Qt::LeftButton);
        QCOMPARE(page.currentQuery()->rangeSeconds(), qint64(900));
        QTRY_VERIFY_WITH_TIMEOUT(page.snapshotsShown() > shown && page.state() == ui::DashboardPage::State::Live,
                                 15000);
        checkTiles(page, m_recent);
        // 24 h: both again.
        shown = page.snapshotsShown();
        QTest::mouseClick(page.rangeSelector()->rangeButton(QStringLiteral("24h")), Qt::LeftButton);
        QCOMPARE(page.currentQuery()->rangeSeconds(), qint64(86400));
        QTRY_VERIFY_WITH_TIMEOUT(page.snapshotsShown() > shown && page.state() == ui::DashboardPage::State::Live,
                                 15000);
        checkTiles(page, m_old + m_recent);

        // A prediction written now is on the tiles within 5 s (auto-refresh every 5 s; a little slack for
        // the busy test machine).
        QList<Raw> more;
        logRows(120, 62, more); // spread over the minute that ends 2 s ago
        QElapsedTimer clock;
        clock.start();
        const qint64 want = m_old.size() + m_recent.size() + more.size();
        QTRY_VERIFY_WITH_TIMEOUT(page.lastSnapshot() && page.lastSnapshot()->overall.predictions == want, 7000);
        qInfo("new rows on screen after %lld ms", clock.elapsed());
        checkTiles(page, m_old + m_recent + more);
        m_recent += more;

        // Custom range with from >= to: an inline error, nothing changes.
        const KpiQuery before = *page.currentQuery();
        shown = page.snapshotsShown();
        page.autoRefreshBox()->setCurrentIndex(page.autoRefreshBox()->findData(0)); // Off: nothing moves now
        QTest::mouseClick(page.rangeSelector()->rangeButton(QStringLiteral("custom")), Qt::LeftButton);
        QVERIFY(page.rangeSelector()->customPanel()->isVisible());
        const QDateTime now = QDateTime::currentDateTime();
        page.rangeSelector()->fromEdit()->setDateTime(now);
        page.rangeSelector()->toEdit()->setDateTime(now.addSecs(-3600));
        QTest::mouseClick(page.rangeSelector()->applyButton(), Qt::LeftButton);
        QVERIFY(page.rangeSelector()->customError().contains(QStringLiteral("before")));
        QCOMPARE(page.currentQuery()->rangeSeconds(), before.rangeSeconds());
        QCOMPARE(page.currentQuery()->live, true);
        QVERIFY(!test::happensWithin([&] { return page.snapshotsShown() != shown; }, 500));
        QCOMPARE(page.state(), ui::DashboardPage::State::Live);

        // A valid custom range (the last 20 minutes, not live) shows only the recent rows.
        page.rangeSelector()->fromEdit()->setDateTime(now.addSecs(-20 * 60));
        page.rangeSelector()->toEdit()->setDateTime(now.addSecs(120));
        QTest::mouseClick(page.rangeSelector()->applyButton(), Qt::LeftButton);
        QVERIFY(page.rangeSelector()->customError().isEmpty());
        QCOMPARE(page.currentQuery()->live, false);
        QTRY_VERIFY_WITH_TIMEOUT(page.snapshotsShown() > shown && page.state() == ui::DashboardPage::State::Live,
                                 15000);
        checkTiles(page, m_recent);
    }

    void valueAxisLabelsCarryTheTickStepsDecimals()
    {
        // A latency chart (whole milliseconds in tooltips) over 0..1.2 ms gets ticks 0, 0.5, 1 ...:
        // the axis must print them with one decimal, not round them to "0 1 1 2".
        ui::TimeSeriesChart chart;
        chart.resize(640, 360);
        chart.setValueFormat(QStringLiteral("%1 ms"), 0);
        const QDateTime to = QDateTime::currentDateTimeUtc();
        const QDateTime from = to.addSecs(-600);
        chart.setTimeRange(from, to);
        chart.setSeries(QStringLiteral("ml"),
                        QList<QPointF>{{double(from.addSecs(60).toMSecsSinceEpoch()), 0.2},
                                       {double(from.addSecs(300).toMSecsSinceEpoch()), 1.2}},
                        Qt::blue);
        chart.flush();
        QCOMPARE(chart.valueAxisLabelFormat(), QStringLiteral("%.1f"));
        // Hundreds of milliseconds step by whole numbers: no decimals.
        chart.setSeries(QStringLiteral("ml"),
                        QList<QPointF>{{double(from.addSecs(60).toMSecsSinceEpoch()), 120.0},
                                       {double(from.addSecs(300).toMSecsSinceEpoch()), 480.0}},
                        Qt::blue);
        chart.flush();
        QCOMPARE(chart.valueAxisLabelFormat(), QStringLiteral("%.0f"));
    }

    void emptyRangeSaysNoData()
    {
        // A deployment with rows only 3 hours ago: its last 15 minutes have none.
        const QString keep = m_dep;
        m_dep = uniqueName(QStringLiteral("dashold"));
        QList<Raw> old;
        logRows(50, 3 * 3600, old);
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        auto session = makeSession(dir, settings, secrets, monitor);
        ui::DashboardPage page(*session);
        page.show();
        QTRY_VERIFY_WITH_TIMEOUT(page.deploymentBox()->findText(m_dep) >= 0, 20000);
        page.deploymentBox()->setCurrentIndex(page.deploymentBox()->findText(m_dep));
        QTest::mouseClick(page.rangeSelector()->rangeButton(QStringLiteral("15m")), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(page.state() == ui::DashboardPage::State::NoData, qPrintable(page.stateText()),
                                  20000);
        QCOMPARE(page.tile(QStringLiteral("mae"))->valueText(), ui::KpiTiles::tr("no data"));
        QVERIFY(!page.tile(QStringLiteral("mae"))->property("figure").isValid());
        m_dep = keep;
    }

    void unreachableDatabaseSaysSo()
    {
        // Nothing listens on port 1: the page says the database is unreachable and shows no figures.
        PgEndpoint bad = m_db->endpoint();
        bad.port = 1;
        qputenv("MLDECK_PG_URL", bad.toUrl(true).toUtf8());
        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        auto session = makeSession(dir, settings, secrets, monitor);
        ui::DashboardPage page(*session);
        page.show();
        QTRY_COMPARE_WITH_TIMEOUT(page.state(), ui::DashboardPage::State::Unreachable, 20000);
        QVERIFY2(page.stateText().contains(QStringLiteral("cannot connect")), qPrintable(page.stateText()));
        QCOMPARE(page.tile(QStringLiteral("mae"))->valueText(), ui::KpiTiles::tr("no data"));
        QCOMPARE(page.breakdownModel()->rowCount(), 0);
    }
};

QTEST_MAIN(TestGuiDashboard)
#include "test_gui_dashboard.moc"
