// The nanny model's estimated MAE on the dashboard, offscreen, against real PostgreSQL: predictions logged
// through the prediction log, estimates added through NannyStore::addEstimates (the guard's path, into the
// minute and hour aggregates). The tile, the breakdown and the dashed line on the MAE chart show the mean of
// the estimates, also over a range whose outcomes have not arrived; "no data" where nothing was scored. The
// nanny's quality under it: estimated vs realised MAE per hour that got outcomes, exported as CSV.
#include "core/config/Settings.h"
#include "core/domain/FeatureSchema.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/NannyStore.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/charts/TimeSeriesChart.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/dashboard/DashboardCharts.h"
#include "ui/pages/dashboard/KpiBreakdownModel.h"
#include "ui/pages/dashboard/KpiTileWidget.h"
#include "ui/pages/dashboard/KpiTiles.h"
#include "ui/pages/dashboard/NannyQualityPanel.h"
#include "ui/pages/dashboard/RangeSelector.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <map>
#include <numeric>

using namespace mldeck;
using namespace mldeck::test;

namespace {

bool near(double a, double b)
{
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

double mean(const std::vector<double> &v)
{
    return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

} // namespace

class TestGuiEstimatedMae final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_scored;   // a deployment whose ML predictions the nanny scored
    QString m_unscored; // one without a nanny
    std::vector<double> m_oldEstimates, m_recentEstimates;
    std::vector<qint64> m_oldTs, m_recentTs; // the ML predictions' times (the old ones have outcomes)
    qint64 m_watermark = 0;
    qint64 m_nannyId = 0;
    int m_serial = 0;

    // Logs n predictions spread over the minute that starts `agoSecs` before now, two in three on the ML
    // path (model v1), the rest heuristic; outcomes for all when `withOutcomes`. Returns the ML ones' times.
    std::vector<qint64> logRows(const QString &deployment, int n, qint64 agoSecs, bool withOutcomes)
    {
        std::vector<qint64> ml;
        const qint64 base = QDateTime::currentMSecsSinceEpoch() * 1000 - agoSecs * 1'000'000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < n; ++i) {
            PredictionRow p;
            p.tsMicros = base + qint64(i) * (60'000'000 / n);
            p.deployment = deployment;
            p.requestKey = QStringLiteral("r%1").arg(++m_serial);
            const bool isMl = i % 3 != 0;
            p.path = isMl ? PredictionPath::Ml : PredictionPath::Heuristic;
            p.modelVersion = isMl ? QStringLiteral("v1") : QString();
            p.latencyMs = 20;
            p.predicted = double(i % 11);
            if (isMl)
                ml.push_back(p.tsMicros);
            if (withOutcomes)
                outcomes.push_back({p.tsMicros + 1'000'000, deployment, p.requestKey, double(i % 11) + 1.5});
            predictions.push_back(p);
        }
        PredictionLog log(*m_conn);
        [&] {
            QVERIFY(log.appendPredictions(predictions).ok());
            QVERIFY(log.appendOutcomes(outcomes).ok());
        }();
        return ml;
    }

    // Adds the nanny's estimates of the predictions at `ts` (one each, varied), moving the watermark.
    std::vector<double> addEstimates(const std::vector<qint64> &ts)
    {
        std::vector<double> estimates;
        for (size_t i = 0; i < ts.size(); ++i)
            estimates.push_back(0.5 + double(i % 7) * 0.25);
        const qint64 to = ts.back();
        const auto added = NannyStore(*m_conn).addEstimates(m_scored, m_nannyId, m_watermark, to, ts, estimates);
        [&] {
            QVERIFY2(added.ok(), qPrintable(added.errorMessage()));
            QCOMPARE(added.value(), qint64(ts.size()));
        }();
        m_watermark = to;
        return estimates;
    }

    void open(std::unique_ptr<ui::DashboardPage> &page, std::unique_ptr<ui::ConnectionSession> &session,
              QTemporaryDir &dir, std::unique_ptr<Settings> &settings, SecretStore &secrets, ConnectionMonitor &monitor,
              const QString &deployment)
    {
        settings = std::make_unique<Settings>(dir.filePath(QStringLiteral("mldeck.ini")));
        session = std::make_unique<ui::ConnectionSession>(*settings, secrets, monitor);
        session->start();
        page = std::make_unique<ui::DashboardPage>(*session);
        page->resize(1400, 1000);
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->deploymentBox()->findText(deployment) >= 0, 20000);
        page->deploymentBox()->setCurrentIndex(page->deploymentBox()->findText(deployment));
        QTRY_VERIFY2_WITH_TIMEOUT(page->state() == ui::DashboardPage::State::Live && page->lastSnapshot() &&
                                      page->lastSnapshot()->query.deployment == deployment,
                                  qPrintable(page->stateText()), 20000);
    }

    static double figure(const ui::DashboardPage &page, const char *key)
    {
        return page.tile(QString::fromLatin1(key))->property("figure").toDouble();
    }

    // The breakdown row of the ML path.
    static int mlRow(const ui::DashboardPage &page)
    {
        const auto *model = page.breakdownModel();
        for (int r = 0; r < model->rowCount(); ++r)
            if (model->index(r, ui::KpiBreakdownModel::Name).data().toString() == ui::KpiBreakdownModel::tr("ML"))
                return r;
        return -1;
    }

    void checkEstimate(const ui::DashboardPage &page, const std::vector<double> &estimates)
    {
        const double expected = mean(estimates);
        QVERIFY2(near(figure(page, "estimatedMae"), expected),
                 qPrintable(QStringLiteral("%1 vs %2").arg(figure(page, "estimatedMae")).arg(expected)));
        QCOMPARE(page.tile(QStringLiteral("estimatedMae"))->valueText(), ui::KpiTiles::formatMinutes(expected));
        QCOMPARE(page.tile(QStringLiteral("estimatedMae"))->detailText(),
                 ui::KpiTiles::tr("before outcomes, %n ML predictions scored", nullptr, int(estimates.size())));
        QCOMPARE(page.tile(QStringLiteral("estimatedMae"))->verdict(),
                 expected < 2.5 ? ui::TileState::Verdict::Good : ui::TileState::Verdict::Bad);
        const int row = mlRow(page);
        QVERIFY(row >= 0);
        const QModelIndex cell = page.breakdownModel()->index(row, ui::KpiBreakdownModel::EstimatedMae);
        QVERIFY(near(cell.data(ui::KpiBreakdownModel::FigureRole).toDouble(), expected));
        QCOMPARE(cell.data().toString(), ui::KpiTiles::formatMinutes(expected));
        // The dashed line on the MAE chart, in the ML colour, one point per minute that has estimates.
        const ui::TimeSeriesChart *mae = page.charts()->mae();
        const QString line = ui::DashboardCharts::estimatedSeriesName();
        QVERIFY(mae->seriesNames().contains(line));
        QCOMPARE(mae->seriesStyle(line), Qt::DashLine);
        QCOMPARE(mae->seriesStyle(ui::DashboardCharts::tr("ML")), Qt::SolidLine);
        QVERIFY(mae->rawPointCount(line) >= 1);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiestmae"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        const QDate today = QDateTime::currentDateTimeUtc().date();
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(today.addDays(-1), today.addDays(1)).ok());
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("rain_mm"), FeatureSpec::Kind::Numeric, {}});
        m_scored = uniqueName(QStringLiteral("estmae"));
        m_unscored = uniqueName(QStringLiteral("noest"));
        for (const QString &d : {m_scored, m_unscored})
            QVERIFY(DeploymentStore(*m_conn).ensure(d, {}, schema).ok());

        // The champion and its nanny; the scoring watermark starts at the epoch.
        const QString modelId =
            queryValue(*m_conn,
                       QStringLiteral("INSERT INTO mldeck.models (deployment, name, version, sha256, "
                                      "file_path, task) VALUES ($1, 'm', 'v1', repeat('a', 64), "
                                      "'/nonexistent/m.pt', 'regression') RETURNING id"),
                       {m_scored});
        QVERIFY(!modelId.isNull());
        const QString nannyId = queryValue(
            *m_conn,
            QStringLiteral(
                "INSERT INTO mldeck.nanny_models (deployment, model_id, model_version, weights, sha256, meta, "
                "reference, rows, validation_mae) VALUES ($1, $2::bigint, 'v1', '\\x00'::bytea, "
                "repeat('b', 64), '{}'::jsonb, 'test rows', 100, 0.5) RETURNING id"),
            {m_scored, modelId});
        QVERIFY(!nannyId.isNull());
        m_nannyId = nannyId.toLongLong();
        QVERIFY(query(*m_conn, QStringLiteral("SELECT mldeck.nanny_start($1, $2::bigint, to_timestamp(0))"),
                      {m_scored, nannyId})
                    .ok());

        // 40 minutes ago, with outcomes; 5 minutes ago, outcomes not arrived yet. The nanny scored both.
        m_oldTs = logRows(m_scored, 150, 40 * 60, true);
        m_recentTs = logRows(m_scored, 90, 5 * 60, false);
        m_oldEstimates = addEstimates(m_oldTs);
        m_recentEstimates = addEstimates(m_recentTs);
        logRows(m_unscored, 60, 5 * 60, true);

        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void estimateBeforeOutcomes()
    {
        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        std::unique_ptr<ui::ConnectionSession> session;
        std::unique_ptr<ui::DashboardPage> page;
        open(page, session, dir, settings, secrets, monitor, m_scored);

        // The last hour: every scored prediction; the realised MAE has the old batch's outcomes only.
        std::vector<double> all = m_oldEstimates;
        all.insert(all.end(), m_recentEstimates.begin(), m_recentEstimates.end());
        checkEstimate(*page, all);
        QVERIFY(near(figure(*page, "mae"), 1.5));
        QVERIFY(page->charts()->mae()->rawPointCount(ui::DashboardCharts::estimatedSeriesName()) >= 2);

        // The last 15 minutes: no outcome yet, so no MAE; the estimate is there.
        const int shown = page->snapshotsShown();
        QTest::mouseClick(page->rangeSelector()->rangeButton(QStringLiteral("15m")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page->snapshotsShown() > shown && page->state() == ui::DashboardPage::State::Live,
                                 15000);
        QCOMPARE(page->tile(QStringLiteral("mae"))->valueText(), ui::KpiTiles::tr("no data"));
        checkEstimate(*page, m_recentEstimates);
    }

    void qualityPerHourWithOutcomes()
    {
        // The recent batch's outcomes arrive now (every error 1.5 min, as the old batch's): an hour is judged
        // once its outcomes are in (kNannyQualityMinOutcomeShare), and the recent batch may share an hour with
        // the old one.
        const auto pending =
            query(*m_conn,
                  QStringLiteral("SELECT request_key, predicted FROM mldeck.predictions p WHERE "
                                 "deployment = $1 AND NOT EXISTS (SELECT 1 FROM mldeck.outcomes o "
                                 "WHERE o.deployment = p.deployment AND o.request_key = p.request_key)"),
                  {m_scored});
        QVERIFY(pending);
        std::vector<OutcomeRow> late;
        const qint64 nowMicros = QDateTime::currentMSecsSinceEpoch() * 1000;
        for (const QStringList &row : *pending)
            late.push_back({nowMicros, m_scored, row.value(0), row.value(1).toDouble() + 1.5});
        QVERIFY(!late.empty());
        QVERIFY(PredictionLog(*m_conn).appendOutcomes(late).ok());

        // Expected from the rows: per UTC hour, the mean estimate of every ML prediction scored in that hour
        // against the realised MAE (every error is 1.5 min).
        std::map<qint64, std::pair<double, int>> estimateByHour; // hour -> (sum, count)
        std::map<qint64, int> labelledByHour;
        const qint64 hour = 3'600'000'000;
        for (size_t i = 0; i < m_oldTs.size(); ++i) {
            auto &[sum, count] = estimateByHour[m_oldTs[i] / hour * hour];
            sum += m_oldEstimates[i];
            ++count;
            ++labelledByHour[m_oldTs[i] / hour * hour];
        }
        for (size_t i = 0; i < m_recentTs.size(); ++i) {
            auto &[sum, count] = estimateByHour[m_recentTs[i] / hour * hour];
            sum += m_recentEstimates[i];
            ++count;
            ++labelledByHour[m_recentTs[i] / hour * hour];
        }
        std::vector<std::pair<qint64, double>> expected; // hour, estimated MAE; oldest first
        double diffSum = 0;
        for (const auto &[h, labelled] : labelledByHour) {
            const double estimated = estimateByHour[h].first / estimateByHour[h].second;
            expected.emplace_back(h, estimated);
            diffSum += std::abs(estimated - 1.5);
        }

        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        std::unique_ptr<ui::ConnectionSession> session;
        std::unique_ptr<ui::DashboardPage> page;
        open(page, session, dir, settings, secrets, monitor, m_scored);
        // The last 24 hours hold every hour of the rows whole (the quality is read by whole hours).
        const int shown = page->snapshotsShown();
        QTest::mouseClick(page->rangeSelector()->rangeButton(QStringLiteral("24h")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(page->snapshotsShown() > shown && page->state() == ui::DashboardPage::State::Live,
                                 15000);
        ui::NannyQualityPanel *panel = page->nannyQuality();
        QVERIFY(panel->isVisible());
        QTRY_COMPARE_WITH_TIMEOUT(panel->table()->rowCount(), int(expected.size()), 15000);
        // Newest hour first.
        for (int row = 0; row < int(expected.size()); ++row) {
            const double estimated = expected[expected.size() - 1 - size_t(row)].second;
            QCOMPARE(panel->table()->item(row, 2)->text(), ui::KpiTiles::formatMinutes(estimated));
            QCOMPARE(panel->table()->item(row, 4)->text(), ui::KpiTiles::formatMinutes(1.5));
            QCOMPARE(panel->table()->item(row, 5)->text(), ui::KpiTiles::formatMinutes(std::abs(estimated - 1.5)));
        }
        const QString meanDiff = ui::KpiTiles::formatMinutes(diffSum / double(expected.size()));
        QVERIFY2(panel->summaryText().contains(meanDiff), qPrintable(panel->summaryText()));

        // Exported as CSV: one record per hour, oldest first, figures in full.
        const QString path = dir.filePath(QStringLiteral("quality.csv"));
        panel->setPathAsker([path](QWidget *, const QString &) { return path; });
        QVERIFY(panel->exportButton()->isEnabled());
        QTest::mouseClick(panel->exportButton(), Qt::LeftButton);
        QCOMPARE(panel->exportStatus(), ui::NannyQualityPanel::tr("Wrote %1.").arg(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.first().trimmed(), QByteArray("hour,scored,estimated_mae,labelled,realised_mae,abs_diff"));
        QCOMPARE(lines.size(), int(expected.size()) + 2); // the header, the hours, the empty rest after CRLF
        for (size_t i = 0; i < expected.size(); ++i) {
            const QList<QByteArray> fields = lines[qsizetype(i) + 1].trimmed().split(',');
            QCOMPARE(fields.size(), 6);
            QCOMPARE(QDateTime::fromString(QString::fromUtf8(fields[0]), Qt::ISODate).toMSecsSinceEpoch() * 1000,
                     expected[i].first);
            QVERIFY(near(fields[2].toDouble(), expected[i].second));
            QVERIFY(near(fields[4].toDouble(), 1.5));
        }
    }

    void nothingScoredSaysNoData()
    {
        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        std::unique_ptr<ui::ConnectionSession> session;
        std::unique_ptr<ui::DashboardPage> page;
        open(page, session, dir, settings, secrets, monitor, m_unscored);

        QVERIFY(page->tile(QStringLiteral("mae"))->property("figure").isValid()); // outcomes are there
        const ui::KpiTileWidget *tile = page->tile(QStringLiteral("estimatedMae"));
        QCOMPARE(tile->valueText(), ui::KpiTiles::tr("no data"));
        QVERIFY(!tile->property("figure").isValid());
        QCOMPARE(tile->detailText(), ui::KpiTiles::tr("no nanny model has scored this range"));
        const int row = mlRow(*page);
        QVERIFY(row >= 0);
        const QModelIndex cell = page->breakdownModel()->index(row, ui::KpiBreakdownModel::EstimatedMae);
        QVERIFY(!cell.data(ui::KpiBreakdownModel::FigureRole).isValid());
        QCOMPARE(page->charts()->mae()->rawPointCount(ui::DashboardCharts::estimatedSeriesName()), 0);
        // Nothing scored: no hour to judge the estimate by, nothing to export. Waits for the read itself: the
        // panel's state before any read looks the same.
        QTRY_VERIFY_WITH_TIMEOUT(page->nannyQuality()->qualitiesShown() >= 1, 15000);
        QCOMPARE(page->nannyQuality()->table()->rowCount(), 0);
        QCOMPARE(page->nannyQuality()->summaryText(),
                 ui::NannyQualityPanel::tr("No hour of the range has both estimates and outcomes yet."));
        QVERIFY(!page->nannyQuality()->exportButton()->isEnabled());
    }
};

QTEST_MAIN(TestGuiEstimatedMae)
#include "test_gui_estimated_mae.moc"
