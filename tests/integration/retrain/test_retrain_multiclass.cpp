// Retraining a multi-class classifier end to end against real PostgreSQL and the LibTorch worker: a
// deployment of three classes (ride lateness: on time, late, very late), its untrained champion written by
// python3-torch, outcomes carrying the true class; the retrained candidate (cross-entropy on logits) beats it
// by the accuracy rule, is exported with its three classes, and is promoted.
#include "RetrainFixture.h"

#include "core/ml/ModelRunner.h"
#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/ModelRegistry.h"
#include "tests/unit/training/TestClassifiers.h"

#include <QJsonDocument>
#include <QJsonObject>

using namespace mldeck;
using namespace mldeck::test;

namespace {

const QStringList kClasses{QStringLiteral("on_time"), QStringLiteral("late"), QStringLiteral("very_late")};

} // namespace

class TestRetrainMulticlass : public QObject
{
    Q_OBJECT

private:
    RetrainFixture f;

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void init()
    {
        const QString error =
            f.setUpClassifier(QStringLiteral("rtm"), RideDelayGenerator::schema(), ClassSpec{kClasses, 0.5});
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void cleanup() { f.tearDown(); }

    void threeClassesRetrainedAndPromoted()
    {
        // 3,000 rides, 50 s apart from 5 days ago; each outcome is the ride's lateness class.
        const qint64 startSecs = QDateTime::currentSecsSinceEpoch() - 5 * 86'400;
        const Dataset rides = testing::generatedDataset(3000, 9, startSecs);
        const Dataset classes = testing::labelled(rides, false);
        RideDelayGenerator gen(9);
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (qint64 i = 0; i < classes.rowCount(); ++i) {
            const qint64 ts = rides.tsMicros[size_t(i)];
            PredictionRow p;
            p.tsMicros = ts;
            p.deployment = f.dep;
            p.requestKey = QStringLiteral("m-%1").arg(i);
            p.modelVersion = QStringLiteral("1");
            p.path = PredictionPath::Ml;
            p.predictedClass = 0;
            p.probabilities = {0.5f, 0.3f, 0.2f};
            p.predicted = 0.5;
            p.features = gen.next(ts).features; // the same seed: the same rides as `rides`
            predictions.push_back(p);
            outcomes.push_back(OutcomeRow{ts + 1'000'000, f.dep, p.requestKey, classes.target[size_t(i)]});
        }
        PredictionLog log(*f.conn);
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());

        const QString untrained =
            testing::makeClassifier(*f.store, QStringLiteral("lateness"),
                                    testing::classifierMetadata(rides, kClasses, QStringLiteral("logits")));
        MLDECK_HELPERS_OK();
        QVERIFY(f.registerFile(untrained, QStringLiteral("1")).ok());
        QVERIFY(f.promote(QStringLiteral("1")).ok());

        retrain::RetrainRequest r;
        r.deployment = f.dep;
        r.daysBack = 30;
        r.training.epochs = 4;
        r.training.learningRate = 0.005;
        r.training.batchSize = 128;
        r.training.seed = 11;
        r.force = true;
        r.storeDirectory = f.store->path();
        r.bootstrapResamples = 400;
        const auto out = retrain::runRetrain(*f.conn, r, kRetrainActor);
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QCOMPARE(out.data->classes, kClasses);
        QCOMPARE(qint64(out.data->classCounts.size()), qint64(3));
        qInfo("decision: %s", qPrintable(out.decision->reason));
        QCOMPARE(out.decision->metric, retrain::DecisionMetric::Accuracy);
        QVERIFY2(out.decision->promote, qPrintable(out.decision->reason));
        const QJsonObject candidate = out.run.metrics.value(QStringLiteral("candidate")).toObject();
        QVERIFY(candidate.value(QStringLiteral("macro_f1")).isDouble());
        QVERIFY(candidate.value(QStringLiteral("log_loss")).isDouble());

        const auto model = ModelRegistry(*f.conn).byVersion(f.dep, out.candidateVersion);
        QVERIFY(model.ok());
        auto runner = ModelRunner::load(model->filePath);
        QVERIFY2(runner.ok(), qPrintable(runner.errorMessage()));
        QCOMPARE(runner.value()->info().classSpec.classes, kClasses);
        QVERIFY(runner.value()->info().outputsLogits);
        QCOMPARE(QJsonDocument::fromJson(runner.value()->info().metadataJson)
                     .object()
                     .value(QStringLiteral("training"))
                     .toObject()
                     .value(QStringLiteral("loss"))
                     .toString(),
                 QStringLiteral("cross_entropy"));

        retrain::ApplyOptions apply;
        apply.action = retrain::RetrainAction::Promote;
        const auto applied = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor);
        QVERIFY2(applied.ok(), qPrintable(applied.errorMessage()));
        QCOMPARE(f.champion(), out.candidateVersion);
    }
};

QTEST_GUILESS_MAIN(TestRetrainMulticlass)
#include "test_retrain_multiclass.moc"
