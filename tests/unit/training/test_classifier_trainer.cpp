// Training a classifier with the real LibTorch worker: multi-class cross-entropy on logits, binary
// cross-entropy on probabilities with balanced class weights, the exported metadata, and refusals.
// The untrained classifiers are written by make_test_classifier.py (/usr/bin/python3, python3-torch).
#include "TestClassifiers.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/Trainer.h"
#include "tests/support/TestChecks.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mldeck;
using namespace mldeck::testing;

namespace {

const Dataset &trainRides()
{
    static const Dataset d = generatedDataset(12000, 21, 1717200000LL);
    return d;
}
const Dataset &validationRides()
{
    static const Dataset d = generatedDataset(3000, 22, 1717200000LL + 12000 * 50);
    return d;
}

TrainingParams quickParams()
{
    TrainingParams p;
    p.epochs = 3;
    p.learningRate = 0.005;
    p.batchSize = 256;
    p.threads = 1;
    p.seed = 5;
    p.earlyStoppingPatience = 0;
    return p;
}

// Share of rows of `actual` class c that the model's decisions got right.
double recallOf(const std::vector<int> &decided, const Dataset &data, int c)
{
    qint64 hits = 0, total = 0;
    for (size_t i = 0; i < decided.size(); ++i)
        if (int(data.target[i]) == c) {
            ++total;
            hits += decided[i] == c ? 1 : 0;
        }
    return total > 0 ? double(hits) / double(total) : 0.0;
}

ClassProbabilities probabilitiesOf(ModelRunner &model, const Dataset &data)
{
    auto p = model.predictProbabilities(data.featureRows(model.info().schema.numericNames(),
                                                         model.info().schema.categoricalNames(), 0, data.rowCount()));
    if (!p) {
        MLDECK_FAIL_IN_HELPER(u"predictProbabilities failed: "_qs + p.errorMessage());
        return {};
    }
    return p.value();
}

} // namespace

class TestClassifierTrainer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_threeClass; // logits, [B, 3]
    QString m_binary;     // probabilities, [B]

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_threeClass = makeClassifier(
            m_dir, u"three_class"_qs,
            classifierMetadata(trainRides(), {u"on_time"_qs, u"late"_qs, u"very_late"_qs}, u"logits"_qs));
        m_binary = makeClassifier(
            m_dir, u"binary"_qs,
            classifierMetadata(trainRides(), {u"not_very_late"_qs, u"very_late"_qs}, u"probabilities"_qs));
        QVERIFY(!m_threeClass.isEmpty() && !m_binary.isEmpty());
    }

    // Cross-entropy on logits learns the three classes; the file keeps its classes and output kind, and
    // its probabilities decide as the trainer's validation did.
    void multiClassCrossEntropyLearns()
    {
        const Dataset train = labelled(trainRides(), false);
        const Dataset validation = labelled(validationRides(), false);
        std::vector<qint64> counts(3, 0);
        for (double y : validation.target)
            ++counts[size_t(y)];
        const double majority = double(*std::max_element(counts.begin(), counts.end())) / double(validation.rowCount());
        const QString out = m_dir.filePath(u"three_class_trained.pt"_qs);
        auto result = trainModel(m_threeClass, train, validation, quickParams(), u"1"_qs, out);
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        const auto &h = result->history;
        QCOMPARE(int(h.size()), 3);
        for (const EpochReport &r : h) {
            QVERIFY(r.validationAccuracy.has_value());
            qInfo("epoch %d train %.4f validation %.4f accuracy %.4f (majority class %.4f)", r.epoch, r.trainLoss,
                  r.validationLoss, *r.validationAccuracy, majority);
        }
        QVERIFY(h[2].validationLoss < h[0].validationLoss);
        QVERIFY2(*h[2].validationAccuracy > majority + 0.05, "better than always answering the majority class");

        auto model = ModelRunner::load(out);
        QVERIFY2(model.ok(), qPrintable(model.errorMessage()));
        const ModelInfo &info = model.value()->info();
        QCOMPARE(info.task, u"classification"_qs);
        QCOMPARE(info.classSpec.classes, (QStringList{u"on_time"_qs, u"late"_qs, u"very_late"_qs}));
        QVERIFY(info.outputsLogits);
        const QJsonObject training =
            QJsonDocument::fromJson(info.metadataJson).object().value(u"training"_qs).toObject();
        QCOMPARE(training.value(u"loss"_qs).toString(), u"cross_entropy"_qs);
        QCOMPARE(training.value(u"class_weights"_qs).toArray(), (QJsonArray{1.0, 1.0, 1.0}));
        const EpochReport &best = h[size_t(result->bestEpoch - 1)];
        QCOMPARE(training.value(u"validation_accuracy"_qs).toDouble(), *best.validationAccuracy);

        const ClassProbabilities p = probabilitiesOf(*model.value(), validation);
        QCOMPARE(qint64(p.rows()), validation.rowCount());
        const std::vector<int> decided = p.decide(info.classSpec);
        qint64 hits = 0;
        for (size_t i = 0; i < decided.size(); ++i) {
            double sum = 0;
            for (double v : p.row(i))
                sum += v;
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
            hits += decided[i] == int(validation.target[i]) ? 1 : 0;
        }
        // The worker decides on float32 probabilities, the console on doubles: a row on a tie may differ.
        QVERIFY(std::abs(double(hits) / double(decided.size()) - *best.validationAccuracy) <=
                2.0 / double(decided.size()));
    }

    // Binary cross-entropy on probabilities: balanced class weights raise the recall of the rare class.
    void balancedWeightsRaiseMinorityRecall()
    {
        const Dataset train = labelled(trainRides(), true);
        const Dataset validation = labelled(validationRides(), true);
        qint64 positives = 0;
        for (double y : train.target)
            positives += y == 1 ? 1 : 0;
        qInfo("positive share %.3f", double(positives) / double(train.rowCount()));
        QVERIFY(positives > 0 && positives * 3 < train.rowCount());

        double recall[2] = {0, 0};
        for (int balanced = 0; balanced < 2; ++balanced) {
            TrainingParams p = quickParams();
            p.balancedClassWeights = balanced == 1;
            const QString out = m_dir.filePath(u"binary_%1.pt"_qs.arg(balanced));
            auto result = trainModel(m_binary, train, validation, p, u"1"_qs, out);
            QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
            auto model = ModelRunner::load(out);
            QVERIFY2(model.ok(), qPrintable(model.errorMessage()));
            const QJsonObject training =
                QJsonDocument::fromJson(model.value()->info().metadataJson).object().value(u"training"_qs).toObject();
            QCOMPARE(training.value(u"loss"_qs).toString(), u"binary_cross_entropy"_qs);
            const QJsonArray weights = training.value(u"class_weights"_qs).toArray();
            const double n = double(train.rowCount());
            if (balanced) {
                QVERIFY(std::abs(weights.at(0).toDouble() - n / (2.0 * (n - double(positives)))) < 1e-9);
                QVERIFY(std::abs(weights.at(1).toDouble() - n / (2.0 * double(positives))) < 1e-9);
            } else {
                QCOMPARE(weights, (QJsonArray{1.0, 1.0}));
            }
            QVERIFY(!model.value()->info().outputsLogits);
            const ClassProbabilities probabilities = probabilitiesOf(*model.value(), validation);
            recall[balanced] = recallOf(probabilities.decide(model.value()->info().classSpec), validation, 1);
        }
        qInfo("recall of the rare class: unweighted %.3f, balanced %.3f", recall[0], recall[1]);
        QVERIFY(recall[1] > recall[0] + 0.05);
    }

    // A label outside the classes, class weights that do not fit: readable errors, no file.
    void badLabelsAndWeightsAreRefused()
    {
        Dataset train = labelled(trainRides(), false);
        const Dataset validation = labelled(validationRides(), false);
        const QString out = m_dir.filePath(u"refused.pt"_qs);
        train.target[17] = 3;
        auto badLabel = trainModel(m_threeClass, train, validation, quickParams(), u"1"_qs, out);
        QVERIFY(!badLabel.ok());
        QVERIFY2(badLabel.errorMessage().contains(u"row 18 has the label 3"_qs), qPrintable(badLabel.errorMessage()));

        train.target[17] = 0;
        TrainingParams p = quickParams();
        p.classWeights = {1.0, 2.0};
        auto wrongCount = trainModel(m_threeClass, train, validation, p, u"1"_qs, out);
        QVERIFY(!wrongCount.ok());
        QVERIFY2(wrongCount.errorMessage().contains(u"2 class weight(s) given for a model with 3 classes"_qs),
                 qPrintable(wrongCount.errorMessage()));

        auto regression = trainModel(demoModel(u"eta_mlp.pt"_qs), trainRides(), validationRides(), p, u"1"_qs, out);
        QVERIFY(!regression.ok());
        QVERIFY2(regression.errorMessage().contains(u"classifier only"_qs), qPrintable(regression.errorMessage()));
        QVERIFY(!QFile::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestClassifierTrainer)
#include "test_classifier_trainer.moc"
