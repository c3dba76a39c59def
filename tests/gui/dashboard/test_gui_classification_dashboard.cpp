#include "core/config/Settings.h"
#include "core/rollout/AuditRecord.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/charts/ConfusionMatrixView.h"
#include "ui/charts/ReliabilityDiagram.h"
#include "ui/charts/TimeSeriesChart.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/dashboard/ClassificationCharts.h"
#include "ui/pages/dashboard/ClassificationDetail.h"
#include "ui/pages/dashboard/DashboardCharts.h"
#include "ui/pages/dashboard/KpiBreakdownModel.h"
#include "ui/pages/dashboard/KpiTileWidget.h"
#include "ui/pages/dashboard/KpiTiles.h"
#include "ui/pages/dashboard/RangeSelector.h"
#include "ui/settings/KpiTargetsEditor.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QPushButton>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <span>

using namespace mldeck;
using namespace mldeck::test;

namespace {

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

// One logged classification prediction, kept to recompute the figures from the raw rows.
struct Raw
{
    QString path;    // ml, heuristic
    QString version; // "" on the heuristic
    bool failed = false;
    int served = 0;
    std::vector<float> p;
    std::optional<int> actual;
};

// The figures recomputed from raw rows with the contract's conventions (ClassificationSums.h).
struct Exact
{
    qint64 counted = 0, labelled = 0, correct = 0, servedPositive = 0;
    double sumConfidence = 0, sumLogLoss = 0;
    std::vector<qint64> confusion;
    double accuracy() const { return double(correct) / double(labelled); }
};

Exact exact(const QList<Raw> &rows, int k, const std::function<bool(const Raw &)> &keep = {})
{
    Exact e;
    e.confusion.assign(size_t(k * k), 0);
    for (const Raw &r : rows) {
        if (r.failed || (keep && !keep(r)))
            continue;
        ++e.counted;
        e.sumConfidence += double(r.p[size_t(r.served)]);
        e.servedPositive += r.served == 1 ? 1 : 0;
        if (!r.actual)
            continue;
        ++e.labelled;
        e.correct += *r.actual == r.served ? 1 : 0;
        ++e.confusion[size_t(*r.actual * k + r.served)];
        const double p = std::clamp(double(r.p[size_t(*r.actual)]), 1e-15, 1 - 1e-15);
        e.sumLogLoss -= std::log(p);
    }
    return e;
}

bool near(double a, double b, double rel = 1e-9)
{
    return std::abs(a - b) <= rel * std::max(1.0, std::abs(b));
}

double figure(ui::DashboardPage &page, const QString &key)
{
    return page.tile(key)->property("figure").toDouble();
}

} // namespace

class TestGuiClassificationDashboard final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_binary;     // classes declined, accepted
    QString m_multi;      // classes cat, dog, bird
    QString m_regression; // a regression deployment next to them
    QList<Raw> m_binaryRows;
    QList<Raw> m_multiRows;
    qint64 m_smallMinuteMs = 0; // the binary deployment's minute with too few rows for an estimate
    int m_serial = 0;

    void create(const QString &name, const QString &task, const QStringList &classes)
    {
        NewDeployment d;
        d.name = name;
        d.task = task;
        d.description = QStringLiteral("classification dashboard test");
        d.schema.features.push_back({QStringLiteral("distance_km"), FeatureSpec::Kind::Numeric, {}});
        if (!classes.isEmpty())
            d.classSpec.classes = classes;
        const auto created = DeploymentStore(*m_conn).create(d, kActor);
        QVERIFY2(created, qPrintable(created.errorMessage()));
    }

    // Logs n predictions of a K-class deployment spread over the whole minute that starts at or before
    // `agoSecs` before now (one display bucket of a 1 h range); returns its start in ms. ML rows are
    // drawn calibrated (the true class drawn from the served probabilities), heuristic rows are a weaker
    // rule; 1 in 12 fails; 3 in 4 get a label; ML rows alternate between versions v1 and v2.
    qint64 logRows(const QString &deployment, int k, int n, qint64 agoSecs, QList<Raw> &into)
    {
        QRandomGenerator rng{quint32(11 + m_serial)};
        const qint64 minute = (QDateTime::currentSecsSinceEpoch() - agoSecs) / 60 * 60;
        const qint64 base = minute * 1'000'000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < n; ++i) {
            Raw raw;
            PredictionRow p;
            p.tsMicros = base + qint64(i) * (59'000'000 / n);
            p.deployment = deployment;
            p.requestKey = QStringLiteral("c%1").arg(++m_serial);
            const bool ml = i % 3 != 0;
            raw.path = ml ? QStringLiteral("ml") : QStringLiteral("heuristic");
            raw.version = ml ? (i % 2 ? QStringLiteral("v1") : QStringLiteral("v2")) : QString();
            p.path = ml ? PredictionPath::Ml : PredictionPath::Heuristic;
            p.modelVersion = raw.version;
            p.latencyMs = float(3 + rng.bounded(200));
            raw.failed = i % 12 == 5;
            p.failed = raw.failed;
            if (raw.failed) {
                p.error = QStringLiteral("timeout");
            } else {
                // A confident model: one class gets most of the mass.
                std::vector<double> w(static_cast<size_t>(k));
                const int lead = int(rng.bounded(k));
                for (int c = 0; c < k; ++c)
                    w[size_t(c)] = 0.05 + rng.generateDouble() * (c == lead ? (ml ? 6.0 : 1.5) : 1.0);
                double sum = 0;
                for (double x : w)
                    sum += x;
                raw.p.resize(size_t(k));
                for (int c = 0; c < k; ++c)
                    raw.p[size_t(c)] = float(w[size_t(c)] / sum);
                ClassSpec spec;
                for (int c = 0; c < k; ++c)
                    spec.classes << QStringLiteral("c%1").arg(c);
                raw.served = spec.decide(std::span<const float>(raw.p));
                p.predictedClass = raw.served;
                p.predicted = double(raw.p[size_t(raw.served)]);
                p.probabilities = raw.p;
                if (i % 4 != 0) {
                    // ML: the truth drawn from its probabilities; heuristic: the served class 60 % of the time.
                    int actual = 0;
                    if (ml) {
                        double u = rng.generateDouble();
                        while (actual < k - 1 && u >= double(raw.p[size_t(actual)])) {
                            u -= double(raw.p[size_t(actual)]);
                            ++actual;
                        }
                    } else {
                        actual = rng.generateDouble() < 0.6 ? raw.served : int(rng.bounded(k));
                    }
                    raw.actual = actual;
                    outcomes.push_back({p.tsMicros + 1'000'000, deployment, p.requestKey, double(actual)});
                }
            }
            predictions.push_back(p);
            into.append(raw);
        }
        PredictionLog log(*m_conn);
        const auto logged = log.appendPredictions(predictions);
        const auto labelled = log.appendOutcomes(outcomes);
        if (!logged || !labelled)
            qFatal("logging failed: %s", qPrintable(logged ? labelled.errorMessage() : logged.errorMessage()));
        return minute * 1000;
    }

    std::unique_ptr<ui::ConnectionSession> makeSession(QTemporaryDir &dir, std::unique_ptr<Settings> &settings,
                                                       SecretStore &secrets, ConnectionMonitor &monitor)
    {
        settings = std::make_unique<Settings>(dir.filePath(QStringLiteral("mldeck.ini")));
        auto session = std::make_unique<ui::ConnectionSession>(*settings, secrets, monitor);
        session->start();
        return session;
    }

    // Selects a deployment and waits for its figures.
    void showDeployment(ui::DashboardPage &page, const QString &name)
    {
        QTRY_VERIFY_WITH_TIMEOUT(page.deploymentBox()->findText(name) >= 0, 20000);
        const int shown = page.snapshotsShown();
        page.deploymentBox()->setCurrentIndex(page.deploymentBox()->findText(name));
        QTRY_VERIFY2_WITH_TIMEOUT(page.snapshotsShown() > shown && page.lastSnapshot() &&
                                      page.lastSnapshot()->query.deployment == name &&
                                      page.state() == ui::DashboardPage::State::Live,
                                  qPrintable(page.stateText()), 20000);
    }

    // Saves the page once its new tiles are on screen and its charts drawn (with MLDECK_TEST_SCREENSHOT_DIR).
    void screenshot(ui::DashboardPage &page, const QString &name)
    {
        QTRY_VERIFY(page.tile(QStringLiteral("accuracy"))->isVisible());
        for (ui::TimeSeriesChart *chart : page.classificationCharts()->all())
            chart->flush();
        QCoreApplication::processEvents();
        test::saveScreenshot(&page, name);
        test::saveScreenshot(page.classificationDetail(), name + QStringLiteral("-detail"));
    }

    void checkMatrix(ui::ConfusionMatrixView *view, const Exact &e, int k)
    {
        QCOMPARE(view->classCount(), k);
        for (int a = 0; a < k; ++a)
            for (int c = 0; c < k; ++c)
                QCOMPARE(view->count(a, c), e.confusion[size_t(a * k + c)]);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiclassdash"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        const QDate today = QDateTime::currentDateTimeUtc().date();
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(today.addDays(-1), today.addDays(1)).ok());
        m_binary = uniqueName(QStringLiteral("accept"));
        m_multi = uniqueName(QStringLiteral("pets"));
        m_regression = uniqueName(QStringLiteral("eta"));
        create(m_binary, QStringLiteral("classification"), {QStringLiteral("declined"), QStringLiteral("accepted")});
        create(m_multi, QStringLiteral("classification"),
               {QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("bird")});
        create(m_regression, QStringLiteral("regression"), {});
        // A big minute 30 min ago and a small one (fewer rows than an estimate needs) 5 min ago.
        logRows(m_binary, 2, 600, 30 * 60, m_binaryRows);
        m_smallMinuteMs = logRows(m_binary, 2, 40, 5 * 60, m_binaryRows);
        logRows(m_multi, 3, 450, 20 * 60, m_multiRows);
        std::vector<PredictionRow> eta(1);
        eta[0].tsMicros = (QDateTime::currentMSecsSinceEpoch() - 120'000) * 1000;
        eta[0].deployment = m_regression;
        eta[0].requestKey = QStringLiteral("eta-1");
        eta[0].path = PredictionPath::Ml;
        eta[0].modelVersion = QStringLiteral("v1");
        eta[0].predicted = 4.5;
        eta[0].latencyMs = 12;
        QVERIFY(PredictionLog(*m_conn).appendPredictions(eta).ok());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
    }

    void binaryDeploymentTilesChartsMatrixAndReliability()
    {
        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        auto session = makeSession(dir, settings, secrets, monitor);
        ui::DashboardPage page(*session);
        QAbstractItemModelTester tester(page.breakdownModel());
        page.resize(1400, 1200);
        page.show();
        showDeployment(page, m_binary);
        QCOMPARE(page.currentQuery()->rangeSeconds(), qint64(3600));

        // The snapshot knows the classes and the calibration map fitted on the labelled ML rows of the
        // reference (here the first 5,000 logged predictions: every row).
        const KpiSnapshot &snap = *page.lastSnapshot();
        QCOMPARE(snap.task, QStringLiteral("classification"));
        QCOMPARE(snap.classSpec.classes, (QStringList{QStringLiteral("declined"), QStringLiteral("accepted")}));
        const qint64 referenceRows = std::count_if(m_binaryRows.begin(), m_binaryRows.end(), [](const Raw &r) {
            return r.path == QLatin1String("ml") && r.actual.has_value();
        });
        QCOMPARE(snap.calibration.referenceRows, referenceRows);
        QCOMPARE(snap.classSums.counted(), exact(m_binaryRows, 2).counted);

        // The classifier's tiles, not the regression's.
        QCOMPARE(page.tilesTask(), QStringLiteral("classification"));
        QVERIFY(!page.tile(QStringLiteral("mae")));
        QVERIFY(page.classificationCharts()->isVisible());
        QVERIFY(!page.charts()->isVisible());
        QVERIFY(page.classificationDetail()->isVisible());

        // Tiles equal the figures recomputed from the raw rows.
        const Exact all = exact(m_binaryRows, 2);
        QVERIFY2(
            near(figure(page, QStringLiteral("accuracy")), all.accuracy()),
            qPrintable(QStringLiteral("%1 vs %2").arg(figure(page, QStringLiteral("accuracy"))).arg(all.accuracy())));
        QCOMPARE(page.tile(QStringLiteral("accuracy"))->valueText(), ui::KpiTiles::formatShare(all.accuracy()));
        QCOMPARE(page.tile(QStringLiteral("accuracy"))->verdict(),
                 all.accuracy() >= 0.90 ? ui::TileState::Verdict::Good : ui::TileState::Verdict::Bad);
        QVERIFY(page.tile(QStringLiteral("accuracy"))->detailText().contains(QStringLiteral("90.0")));
        QVERIFY(near(figure(page, QStringLiteral("positiveRate")), double(all.servedPositive) / double(all.counted)));
        QVERIFY(near(figure(page, QStringLiteral("labelCoverage")), double(all.labelled) / double(all.counted)));
        QVERIFY(near(figure(page, QStringLiteral("confidence")), all.sumConfidence / double(all.counted)));
        QVERIFY(near(figure(page, QStringLiteral("logLoss")), all.sumLogLoss / double(all.labelled), 1e-6));
        const auto onPath = [](const QString &path) { return [path](const Raw &r) { return r.path == path; }; };
        const Exact ml = exact(m_binaryRows, 2, onPath(QStringLiteral("ml")));
        const Exact heuristic = exact(m_binaryRows, 2, onPath(QStringLiteral("heuristic")));
        QVERIFY(near(figure(page, QStringLiteral("accuracyGain")), (ml.accuracy() - heuristic.accuracy()) * 100.0));
        const double f1 = figure(page, QStringLiteral("f1"));
        const double tp = double(all.confusion[3]), fp = double(all.confusion[1]), fn = double(all.confusion[2]);
        QVERIFY(near(f1, 2 * tp / (2 * tp + fp + fn)));
        QVERIFY(page.tile(QStringLiteral("rocAuc"))->property("figure").isValid());
        QVERIFY(page.tile(QStringLiteral("estimatedAccuracy"))->property("figure").isValid());
        QVERIFY(page.tile(QStringLiteral("ece"))->property("figure").isValid());

        // Charts: ML vs heuristic accuracy; realised and estimated, the small minute shaded as untrusted.
        ui::ClassificationCharts *charts = page.classificationCharts();
        QCOMPARE(charts->accuracy()->rawPointCount(ui::ClassificationCharts::tr("ML")), 2);
        QCOMPARE(charts->accuracy()->rawPointCount(ui::ClassificationCharts::tr("Heuristic")), 2);
        QCOMPARE(charts->estimated()->rawPointCount(ui::ClassificationCharts::tr("Estimated")), 2);
        const auto spans = ui::ClassificationCharts::untrustedSpans(*page.lastSnapshot(), QStringLiteral("ml"));
        QCOMPARE(charts->estimated()->shadedSpanCount(), int(spans.size()));
        const double middle = double(m_smallMinuteMs + 30'000);
        QVERIFY2(std::any_of(spans.begin(), spans.end(),
                             [&](const auto &span) { return span.first <= middle && span.second >= middle; }),
                 "the minute of 40 rows is not shaded as untrusted");
        QVERIFY(charts->positiveRate()->title().contains(QStringLiteral("accepted")));
        QVERIFY(charts->latency()->rawPointCount(ui::ClassificationCharts::tr("p95")) >= 1);

        // Confusion matrix and reliability diagram: all paths, then one path, then one version.
        ui::ClassificationDetail *detail = page.classificationDetail();
        QCOMPARE(detail->scope(), QStringLiteral("all"));
        checkMatrix(detail->confusion(), all, 2);
        QVERIFY(detail->reliability()->pointCount(detail->scopeBox()->currentText()) > 0);
        QVERIFY2(detail->reliability()->caption().contains(QStringLiteral("ECE")),
                 qPrintable(detail->reliability()->caption()));
        detail->setScope(QStringLiteral("path:heuristic"));
        checkMatrix(detail->confusion(), heuristic, 2);
        detail->setScope(QStringLiteral("version:v2"));
        checkMatrix(detail->confusion(),
                    exact(m_binaryRows, 2, [](const Raw &r) { return r.version == QLatin1String("v2"); }), 2);
        // The scope stays across a refresh.
        const int shown = page.snapshotsShown();
        page.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(page.snapshotsShown() > shown, 15000);
        QCOMPARE(detail->scope(), QStringLiteral("version:v2"));

        // The table: paths and versions with the classifier's columns.
        ui::KpiBreakdownModel *table = page.breakdownModel();
        QVERIFY(table->isClassification());
        QCOMPARE(table->columnCount(), int(ui::KpiBreakdownModel::ClassColumnCount));
        QCOMPARE(table->rowCount(), 5); // ml, heuristic, versions (none), v1, v2
        QVERIFY(
            near(table->index(0, ui::KpiBreakdownModel::Accuracy).data(ui::KpiBreakdownModel::FigureRole).toDouble(),
                 ml.accuracy()));
        detail->setScope(QStringLiteral("all"));
        screenshot(page, QStringLiteral("classification-dashboard-binary"));
    }

    void targetsEditorShowsTheTasksTargets()
    {
        // A classifier's targets: accuracy to ECE, no MAE; saved and read back by the dashboard's tile.
        ui::KpiTargetsEditor editor;
        editor.setEndpoint(m_db->endpoint());
        editor.setDeployment(m_binary);
        QTRY_VERIFY_WITH_TIMEOUT(
            editor.isLoaded() && !editor.isReadOnly() && editor.task() == QLatin1String("classification"), 20000);
        QVERIFY(editor.fieldWidget(QStringLiteral("accuracy_min"))->isVisibleTo(&editor));
        QVERIFY(editor.fieldWidget(QStringLiteral("ece_max"))->isVisibleTo(&editor));
        QVERIFY(!editor.fieldWidget(QStringLiteral("mae_max"))->isVisibleTo(&editor));
        QVERIFY(editor.fieldWidget(QStringLiteral("latency_max_ms"))->isVisibleTo(&editor));
        QCOMPARE(editor.value(QStringLiteral("accuracy_min")).toDouble(), 0.90);
        typeInto(editor.fieldWidget(QStringLiteral("stretch_accuracy")), QStringLiteral("0.8"));
        QVERIFY(!editor.saveButton()->isEnabled()); // a stretch below the target
        typeInto(editor.fieldWidget(QStringLiteral("accuracy_min")), QStringLiteral("0.75"));
        QVERIFY(editor.saveButton()->isEnabled());
        QTest::mouseClick(editor.saveButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!editor.isDirty() && editor.status() == ui::SettingsEditor::tr("Saved."), 20000);

        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        auto session = makeSession(dir, settings, secrets, monitor);
        ui::DashboardPage page(*session);
        page.show();
        showDeployment(page, m_binary);
        QCOMPARE(page.lastSnapshot()->targets.accuracyMin, 0.75);
        QVERIFY(page.tile(QStringLiteral("accuracy"))->detailText().contains(QStringLiteral("75.0")));

        // A regression's: MAE and R², no accuracy.
        editor.setDeployment(m_regression);
        QTRY_VERIFY_WITH_TIMEOUT(editor.isLoaded() && editor.task() == QLatin1String("regression"), 20000);
        QVERIFY(editor.fieldWidget(QStringLiteral("mae_max"))->isVisibleTo(&editor));
        QVERIFY(!editor.fieldWidget(QStringLiteral("accuracy_min"))->isVisibleTo(&editor));
    }

    void multiClassDeploymentAndRegressionUnchanged()
    {
        QTemporaryDir dir;
        std::unique_ptr<Settings> settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        auto session = makeSession(dir, settings, secrets, monitor);
        ui::DashboardPage page(*session);
        page.resize(1400, 1200);
        page.show();

        showDeployment(page, m_multi);
        const Exact all = exact(m_multiRows, 3);
        QCOMPARE(page.tilesTask(), QStringLiteral("classification"));
        QVERIFY(near(figure(page, QStringLiteral("accuracy")), all.accuracy()));
        QCOMPARE(page.tile(QStringLiteral("positiveRate"))->valueText(), ui::KpiTiles::tr("no data"));
        checkMatrix(page.classificationDetail()->confusion(), all, 3);
        QCOMPARE(page.classificationCharts()->positiveRate()->seriesNames().size(), 3); // one per class
        screenshot(page, QStringLiteral("classification-dashboard-multiclass"));

        // A regression deployment on the same page: its tiles, charts and table as before.
        showDeployment(page, m_regression);
        QCOMPARE(page.tilesTask(), QStringLiteral("regression"));
        QCOMPARE(page.tile(QStringLiteral("mae"))->valueText(), ui::KpiTiles::tr("no data")); // no outcome yet
        QVERIFY(!page.tile(QStringLiteral("accuracy")));
        QVERIFY(page.charts()->isVisible());
        QVERIFY(!page.classificationCharts()->isVisible());
        QVERIFY(!page.classificationDetail()->isVisible());
        QVERIFY(!page.breakdownModel()->isClassification());
        QCOMPARE(page.breakdownModel()->columnCount(), int(ui::KpiBreakdownModel::ColumnCount));
        QCOMPARE(page.lastSnapshot()->overall.predictions, qint64(1));
        QVERIFY(!page.lastSnapshot()->overall.classification);
    }
};

QTEST_MAIN(TestGuiClassificationDashboard)
#include "test_gui_classification_dashboard.moc"
