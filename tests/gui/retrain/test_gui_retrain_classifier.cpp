// The Retrain page of a classifier, offscreen, against real servers: the demo classifier (accept_mlp.pt)
// as champion, ride offers labelled by outcomes, and the deployment's rule set to log-loss. The wizard is
// walked with clicks: the data step shows the share of each true class, the training step offers balanced
// class weights, the run reports the validation accuracy, the evaluation step shows accuracy, log-loss and
// Brier score with the log-loss interval (the stored rule), and the History tab names the metric.
#include "core/config/Settings.h"
#include "core/demo/RideOfferGenerator.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/ModelOperations.h"
#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/RetrainPage.h"
#include "ui/pages/retrain/RetrainHistoryView.h"
#include "ui/pages/retrain/RetrainRunTableModel.h"
#include "ui/pages/retrain/RetrainWizard.h"

#include <QCheckBox>
#include <QDateTime>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

template <typename T> T *child(QObject *parent, const char *name)
{
    auto *w = parent->findChild<T *>(QString::fromLatin1(name));
    if (!w)
        qWarning("no child %s", name);
    return w;
}

const Actor kSetup{QStringLiteral("setup@h"), QStringLiteral("setup"), QStringLiteral("h")};

} // namespace

class TestGuiRetrainClassifier : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QString m_dep;

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiretrainclf"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_retrain_classifier"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        m_dep = uniqueName(QStringLiteral("rtc"));
        NewDeployment spec;
        spec.name = m_dep;
        spec.task = QStringLiteral("classification");
        spec.schema = RideOfferGenerator::schema();
        spec.classSpec = RideOfferGenerator::classSpec();
        const auto created = DeploymentStore(*m_conn).create(spec, kSetup);
        QVERIFY2(created.ok(), qPrintable(created.errorMessage()));
        qputenv("MLDECK_MODEL_STORE", m_dir.filePath(QStringLiteral("store")).toUtf8());

        models::RegisterRequest req;
        req.file = QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/accept_mlp.pt");
        req.deployment = m_dep;
        req.storeDirectory = m_dir.filePath(QStringLiteral("store"));
        const auto registered = models::registerModel(*m_conn, req, kSetup);
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));
        QVERIFY(models::promote(*m_conn, std::nullopt, m_dep, registered->model.version, QStringLiteral("champion"),
                                QStringLiteral("setup"), kSetup)
                    .ok());
        // The deployment judges its classifier on log-loss: the wizard must run with that rule.
        RetrainSettings settings;
        settings.classificationMetric = QStringLiteral("log_loss");
        QVERIFY(retrain::saveSettings(*m_conn, m_dep, settings, kSetup).ok());

        RideOfferGenerator gen(5);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
        const qint64 span = qint64(4) * 24 * 3600 * 1'000'000;
        constexpr int kRows = 2000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < kRows; ++i) {
            const qint64 ts = now - span + span / kRows * i;
            const RideOffer offer = gen.next(ts);
            PredictionRow p;
            p.tsMicros = ts;
            p.deployment = m_dep;
            p.requestKey = QStringLiteral("%1-%2").arg(m_dep).arg(i);
            p.modelVersion = registered->model.version;
            p.path = PredictionPath::Ml;
            p.predictedClass = 1;
            p.probabilities = {0.4f, 0.6f};
            p.predicted = 0.6;
            p.features = offer.features;
            predictions.push_back(p);
            outcomes.push_back({ts + 1'000'000, m_dep, p.requestKey, double(offer.accepted)});
        }
        PredictionLog log(*m_conn);
        QVERIFY(log.ensurePartitions(QDate::currentDate().addDays(-6), QDate::currentDate().addDays(1)).ok());
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());

        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void walksTheWizardOfAClassifier()
    {
        Settings settings(m_dir.filePath(QStringLiteral("a.ini")));
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session(settings, secrets, monitor);
        ui::RetrainPage page(session);
        page.resize(1200, 800);
        page.show();
        session.start();
        page.selectDeployment(m_dep);
        ui::RetrainWizard *w = page.wizard();
        QSignalSpy finished(w, &ui::RetrainWizard::runFinished);
        auto *next = child<QPushButton>(w, "retrainNext");
        auto *table = child<QTableWidget>(w, "triggerTable");
        QVERIFY(next && table);

        // 1. Not due (no feedback): run anyway.
        QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() >= 3, 20000);
        if (!next->isEnabled())
            child<QCheckBox>(w, "triggerForce")->setChecked(true);
        QVERIFY(next->isEnabled());
        QTest::mouseClick(next, Qt::LeftButton);

        // 2. The data: the share of each true class instead of a target histogram.
        QTest::mouseClick(child<QPushButton>(w, "dataSummarize"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(next->isEnabled(), 30000);
        const QString target = child<QLabel>(w, "dataTarget")->text();
        QVERIFY2(target.contains(QStringLiteral("declined")) && target.contains(QStringLiteral("accepted")),
                 qPrintable(target));
        saveScreenshot(&page, QStringLiteral("retrain-classifier-2-data"));
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::TrainingStepIndex));

        // 3. Training: balanced class weights are offered to a classifier.
        auto *balanced = child<QCheckBox>(w, "trainBalancedClasses");
        QVERIFY(balanced && balanced->isVisibleTo(w));
        balanced->setChecked(true);
        child<QSpinBox>(w, "trainEpochs")->setValue(2);
        auto *rate = child<QLineEdit>(w, "trainLearningRate");
        rate->clear();
        QTest::keyClicks(rate, QStringLiteral("0.002"));
        QVERIFY(next->isEnabled());

        // 4. The run: cross-entropy, validation accuracy per epoch.
        QTest::mouseClick(next, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 180000);
        QVERIFY2(finished.first().at(0).toString() == QStringLiteral("succeeded"), qPrintable(w->outcome()->run.error));
        QVERIFY(w->outcome()
                    ->run.params.value(QStringLiteral("training"))
                    .toObject()
                    .value(QStringLiteral("class_weights")) == QStringLiteral("balanced"));
        QVERIFY(!w->outcome()->history.empty() && w->outcome()->history.front().validationAccuracy.has_value());

        // 5. Evaluation: a classifier's figures, decided on the stored metric (log-loss).
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::EvaluationStepIndex));
        QCOMPARE(w->outcome()->decision->metric, retrain::DecisionMetric::LogLoss);
        auto *metrics = child<QTableWidget>(w, "evalMetrics");
        QCOMPARE(metrics->verticalHeaderItem(0)->text(), QStringLiteral("Accuracy"));
        QCOMPARE(metrics->verticalHeaderItem(1)->text(), QStringLiteral("Log-loss"));
        QCOMPARE(metrics->verticalHeaderItem(2)->text(), QStringLiteral("Brier score"));
        QVERIFY2(metrics->item(0, 0)->text().endsWith(QStringLiteral(" %")), qPrintable(metrics->item(0, 0)->text()));
        QVERIFY2(metrics->item(0, 2)->text().endsWith(QStringLiteral("points")),
                 qPrintable(metrics->item(0, 2)->text()));
        const QString difference = child<QLabel>(w, "evalDifference")->text();
        QVERIFY2(difference.startsWith(QStringLiteral("Log-loss difference")), qPrintable(difference));
        QVERIFY2(child<QLabel>(w, "evalDecision")->text().contains(QStringLiteral("log-loss")),
                 qPrintable(child<QLabel>(w, "evalDecision")->text()));
        saveScreenshot(&page, QStringLiteral("retrain-classifier-5-evaluation"));

        // The History tab names the metric the runs decided on.
        ui::RetrainHistoryView *h = page.history();
        QSignalSpy shown(h, &ui::RetrainHistoryView::historyShown);
        child<QTabWidget>(&page, "retrainTabs")->setCurrentWidget(h);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toInt() == 1, 20000);
        auto *history = child<QTableView>(h, "historyTable");
        QCOMPARE(history->model()->headerData(ui::RetrainRunTableModel::MetricColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Log-loss candidate vs champion"));
        QVERIFY(history->model()
                    ->index(0, ui::RetrainRunTableModel::MetricColumn)
                    .data()
                    .toString()
                    .contains(QStringLiteral(" vs ")));
    }
};

QTEST_MAIN(TestGuiRetrainClassifier)
#include "test_gui_retrain_classifier.moc"
