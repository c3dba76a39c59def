#include "core/stats/Metrics.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <vector>

using namespace mldeck;
using namespace mldeck::stats;

// MLDeck's classifier metrics against scikit-learn's on the same rows (sklearn_reference.json, written by
// make_sklearn_reference.py with python3-sklearn; the conventions are stated there), within 1e-9.
class TestSklearnReference final : public QObject
{
    Q_OBJECT

    static constexpr double kTolerance = 1e-9;

    static void near(const std::optional<double> &ours, const QJsonValue &theirs, const char *what)
    {
        QVERIFY2(ours.has_value(), what);
        QVERIFY2(theirs.isDouble(), what);
        const QByteArray message = QByteArray(what) + ": MLDeck " + QByteArray::number(*ours, 'g', 17) +
                                   ", scikit-learn " + QByteArray::number(theirs.toDouble(), 'g', 17);
        QVERIFY2(std::abs(*ours - theirs.toDouble()) <= kTolerance, message.constData());
    }

    static QJsonArray cases()
    {
        QFile file(QStringLiteral(MLDECK_SOURCE_DIR "/tests/unit/classification/sklearn_reference.json"));
        if (!file.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("cases")).toArray();
    }

private Q_SLOTS:
    void matchesScikitLearn_data()
    {
        QTest::addColumn<QJsonObject>("c");
        const QJsonArray all = cases();
        QCOMPARE(all.size(), 4);
        for (const QJsonValue &v : all)
            QTest::newRow(v.toObject().value(QStringLiteral("name")).toString().toUtf8().constData()) << v.toObject();
    }

    void matchesScikitLearn()
    {
        QFETCH(QJsonObject, c);
        const int k = c.value(QStringLiteral("classes")).toInt();
        ClassSpec spec;
        for (int i = 0; i < k; ++i)
            spec.classes << QStringLiteral("c%1").arg(i);
        spec.decisionThreshold = c.value(QStringLiteral("threshold")).toDouble();
        std::vector<double> probabilities;
        for (const QJsonValue &v : c.value(QStringLiteral("probabilities")).toArray())
            probabilities.push_back(v.toDouble());
        std::vector<int> actual;
        for (const QJsonValue &v : c.value(QStringLiteral("actual")).toArray())
            actual.push_back(v.toInt());
        QCOMPARE(probabilities.size(), actual.size() * size_t(k));

        const ClassifierMetrics m = classifierMetrics(spec, probabilities, actual);
        const ClassificationFigures &f = m.figures;
        QCOMPARE(m.rows, qint64(actual.size()));
        QCOMPARE(f.labelled, qint64(actual.size()));
        const QJsonArray confusion = c.value(QStringLiteral("confusion")).toArray();
        QCOMPARE(f.confusion.size(), size_t(confusion.size()));
        for (qsizetype i = 0; i < confusion.size(); ++i)
            QCOMPARE(f.confusion[size_t(i)], qint64(confusion[i].toInteger()));

        near(f.accuracy, c[QStringLiteral("accuracy")], "accuracy");
        near(f.balancedAccuracy, c[QStringLiteral("balanced_accuracy")], "balanced accuracy");
        near(f.macroPrecision, c[QStringLiteral("macro_precision")], "macro precision");
        near(f.macroRecall, c[QStringLiteral("macro_recall")], "macro recall");
        near(f.macroF1, c[QStringLiteral("macro_f1")], "macro F1");
        if (k == 2) {
            near(f.precisionPositive, c[QStringLiteral("precision")], "precision");
            near(f.recallPositive, c[QStringLiteral("recall")], "recall");
            near(f.f1Positive, c[QStringLiteral("f1")], "F1");
        } else {
            for (int i = 0; i < k; ++i) {
                near(f.precision[size_t(i)], c[QStringLiteral("precision_per_class")][i], "precision of a class");
                near(f.recall[size_t(i)], c[QStringLiteral("recall_per_class")][i], "recall of a class");
                near(f.f1[size_t(i)], c[QStringLiteral("f1_per_class")][i], "F1 of a class");
            }
        }
        near(f.rocAuc, c[QStringLiteral("roc_auc")], "ROC AUC");
        near(f.logLoss, c[QStringLiteral("log_loss")], "log-loss");
        near(f.brier, c[QStringLiteral("brier")], "Brier");
        near(m.prAuc, c[QStringLiteral("pr_auc")], "PR AUC");
        near(f.ece, c[QStringLiteral("ece")], "ECE");

        // The same rows through the live path (sums -> figures) give the same figures, and the histogram
        // AUC lies within its bound of the exact one.
        const ClassificationFigures live =
            computeClassificationFigures(classificationSums(spec, probabilities, actual));
        near(live.accuracy, c[QStringLiteral("accuracy")], "live accuracy");
        near(live.macroF1, c[QStringLiteral("macro_f1")], "live macro F1");
        near(live.logLoss, c[QStringLiteral("log_loss")], "live log-loss");
        near(live.brier, c[QStringLiteral("brier")], "live Brier");
        QVERIFY(live.rocAuc && live.rocAucBound);
        QVERIFY(std::abs(*live.rocAuc - c[QStringLiteral("roc_auc")].toDouble()) <= *live.rocAucBound + 1e-12);

        // The per-row series of the paired bootstrap average to the same accuracy and log-loss.
        const std::vector<double> hits = rowHits(spec, probabilities, actual);
        const std::vector<double> losses = rowLogLoss(k, probabilities, actual);
        QCOMPARE(hits.size(), actual.size());
        double hitSum = 0, lossSum = 0;
        for (size_t i = 0; i < hits.size(); ++i) {
            hitSum += hits[i];
            lossSum += losses[i];
        }
        near(hitSum / double(hits.size()), c[QStringLiteral("accuracy")], "mean of the hits");
        near(lossSum / double(losses.size()), c[QStringLiteral("log_loss")], "mean of the row losses");
    }
};

QTEST_GUILESS_MAIN(TestSklearnReference)
#include "test_sklearn_reference.moc"
