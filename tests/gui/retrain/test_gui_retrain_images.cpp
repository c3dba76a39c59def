// The Retrain page of an image deployment, offscreen, against real servers: the digits demo (images made by
// resources/models/make_digits_cnn.py), the degraded champion (never answers 8 or 9), its live images logged
// as predictions with their keys and true classes, plus a key whose file is missing. The wizard is walked
// with clicks: the data step says where the images come from, the training step offers mirroring and crops,
// the run reports the validation accuracy, and the decision names the skipped image and allows Promote.
#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/DeploymentOnboarding.h"
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
#include "ui/pages/retrain/RetrainWizard.h"

#include <QCheckBox>
#include <QDateTime>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
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

class TestGuiRetrainImages : public QObject
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
        QProcess make;
        make.start(QStringLiteral("/usr/bin/python3"),
                   {QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/make_digits_cnn.py"), QStringLiteral("images"),
                    QStringLiteral("--out"), m_dir.filePath(QStringLiteral("images"))});
        QVERIFY(make.waitForFinished(120'000));
        QVERIFY2(make.exitCode() == 0, make.readAllStandardError().constData());

        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiretrainimg"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_retrain_images"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("rti"));
        NewDeployment spec;
        spec.name = m_dep;
        spec.task = QStringLiteral("classification");
        for (int c = 0; c < 10; ++c)
            spec.classSpec.classes << QString::number(c);
        ImageDeployment images;
        images.store = ImageStoreConfig{QStringLiteral("folder"), m_dir.filePath(QStringLiteral("images/store"))};
        images.referenceSet = m_dir.filePath(QStringLiteral("images/reference"));
        images.holdoutSet = m_dir.filePath(QStringLiteral("images/holdout"));
        spec.images = images;
        const auto created = createDeployment(*m_conn, TestServers::redis(), spec, kSetup);
        QVERIFY2(created.ok(), qPrintable(created.errorMessage()));
        qputenv("MLDECK_MODEL_STORE", m_dir.filePath(QStringLiteral("store")).toUtf8());

        models::RegisterRequest req;
        req.file = QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/digits_cnn_degraded.pt");
        req.deployment = m_dep;
        req.storeDirectory = m_dir.filePath(QStringLiteral("store"));
        const auto registered = models::registerModel(*m_conn, req, kSetup);
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));
        QVERIFY(models::promote(*m_conn, std::nullopt, m_dep, registered->model.version, QStringLiteral("champion"),
                                QStringLiteral("setup"), kSetup)
                    .ok());

        // The live pool as logged predictions (key and true class), and one key whose file is gone.
        QStringList keys{QStringLiteral("live/4/missing.png")};
        QList<int> labels{4};
        const QDir store(images.store.root);
        QDirIterator it(store.filePath(QStringLiteral("live")), {QStringLiteral("*.png")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            keys << store.relativeFilePath(path);
            labels << QFileInfo(path).dir().dirName().toInt();
        }
        const qint64 start = (QDateTime::currentMSecsSinceEpoch() - 86'400'000) * 1000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            PredictionRow p;
            p.tsMicros = start + qint64(i) * 60'000'000;
            p.deployment = m_dep;
            p.requestKey = QStringLiteral("g-%1").arg(i);
            p.modelVersion = registered->model.version;
            p.path = PredictionPath::Ml;
            p.predictedClass = 0;
            p.probabilities = std::vector<float>(10, 0.1f);
            p.predicted = 0.1;
            p.imageKey = keys[i];
            predictions.push_back(p);
            outcomes.push_back({p.tsMicros + 1'000'000, m_dep, p.requestKey, double(labels[i])});
        }
        PredictionLog log(*m_conn);
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());
        // The deployment's own augmentation (as the demo's digits): no mirror, crops up to 5 %.
        RetrainSettings retrainSettings;
        retrainSettings.imageAugmentation.horizontalFlip = false;
        retrainSettings.imageAugmentation.maxCrop = 0.05;
        QVERIFY(retrain::saveSettings(*m_conn, m_dep, retrainSettings, kSetup).ok());

        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void walksTheWizardOfAnImageDeployment()
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

        // 2. The data: the window's images through the store, the reference set and the holdout set.
        QTest::mouseClick(child<QPushButton>(w, "dataSummarize"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(next->isEnabled(), 30000);
        const QString rows = child<QLabel>(w, "dataRows")->text();
        QVERIFY2(rows.contains(QLocale().toString(361) + QStringLiteral(" labelled images in the window")) &&
                     rows.contains(QLocale().toString(1078) + QStringLiteral(" in the reference set")),
                 qPrintable(rows));
        const QString split = child<QLabel>(w, "dataSplit")->text();
        QVERIFY2(split.contains(QStringLiteral("holdout %1 images").arg(QLocale().toString(359))), qPrintable(split));
        // The holdout share and the feedback weighting do not apply to images: hidden.
        QVERIFY(!child<QDoubleSpinBox>(w, "dataHoldout")->isVisibleTo(w));
        QVERIFY(!child<QCheckBox>(w, "dataFeedback")->isVisibleTo(w));
        saveScreenshot(&page, QStringLiteral("retrain-images-2-data"));
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::TrainingStepIndex));

        // 3. Training: the images' augmentation is offered, starting from the deployment's settings.
        auto *mirror = child<QCheckBox>(w, "trainMirrorImages");
        auto *crop = child<QDoubleSpinBox>(w, "trainMaxCrop");
        QVERIFY(mirror && mirror->isVisibleTo(w) && crop && crop->isVisibleTo(w));
        QVERIFY(!mirror->isChecked());
        QCOMPARE(crop->value(), 5.0);
        child<QSpinBox>(w, "trainEpochs")->setValue(4);
        child<QSpinBox>(w, "trainBatchSize")->setValue(64);
        auto *rate = child<QLineEdit>(w, "trainLearningRate");
        rate->clear();
        QTest::keyClicks(rate, QStringLiteral("0.002"));
        QVERIFY(next->isEnabled());

        // 4. The run, its validation accuracy per epoch, the augmentation recorded.
        QTest::mouseClick(next, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 180000);
        QVERIFY2(finished.first().at(0).toString() == QStringLiteral("succeeded"), qPrintable(w->outcome()->run.error));
        const QJsonObject augmentation = w->outcome()->run.params.value(QStringLiteral("augmentation")).toObject();
        QCOMPARE(augmentation.value(QStringLiteral("horizontal_flip")).toBool(true), false);
        QCOMPARE(augmentation.value(QStringLiteral("max_crop")).toDouble(), 0.05);
        QVERIFY(!w->outcome()->history.empty() && w->outcome()->history.front().validationAccuracy.has_value());

        // 5 and 6. Accuracy decides; the decision names the skipped image and allows Promote.
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->outcome()->decision->metric, retrain::DecisionMetric::Accuracy);
        QVERIFY2(w->outcome()->decision->promote, qPrintable(w->outcome()->decision->reason));
        QTest::mouseClick(next, Qt::LeftButton);
        const QString summary = child<QLabel>(w, "decisionSummary")->text();
        QVERIFY2(summary.contains(QStringLiteral("could not be used")) &&
                     summary.contains(QStringLiteral("live/4/missing.png")),
                 qPrintable(summary));
        QVERIFY(child<QPushButton>(w, "decisionPromote")->isEnabled());
        saveScreenshot(&page, QStringLiteral("retrain-images-6-decision"));
    }
};

QTEST_MAIN(TestGuiRetrainImages)
#include "test_gui_retrain_images.moc"
