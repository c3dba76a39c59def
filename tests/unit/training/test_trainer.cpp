#include "TrainingData.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/Trainer.h"
#include "tests/support/TestChecks.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mldeck;
using namespace mldeck::testing;

namespace {

// Small and fast, for a busy 2-core machine: 20k training rows, 4k validation rows, later in time.
const Dataset &trainRows()
{
    static const Dataset d = generatedDataset(20000, 11, 1717200000LL);
    return d;
}
const Dataset &validationRows()
{
    static const Dataset d = generatedDataset(4000, 12, 1717200000LL + 20000 * 50);
    return d;
}

TrainingParams quickParams()
{
    TrainingParams p;
    p.epochs = 3;
    p.learningRate = 0.002;
    p.batchSize = 256;
    p.threads = 1;
    p.seed = 5;
    return p;
}

QStringList filesIn(const QTemporaryDir &dir)
{
    return QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
}

double maeOf(const std::vector<double> &predicted, const Dataset &data)
{
    double abs = 0;
    for (size_t i = 0; i < predicted.size(); ++i)
        abs += std::abs(predicted[i] - data.target[i]);
    return abs / double(predicted.size());
}

std::vector<double> predictAll(ModelRunner &model, const Dataset &data)
{
    auto p = model.predict(data.featureRows(model.info().schema.numericNames(), model.info().schema.categoricalNames(),
                                            0, data.rowCount()));
    if (!p) {
        MLDECK_FAIL_IN_HELPER(QStringLiteral("predict failed: ") + p.errorMessage());
        return {}; // no predictions: the caller's figures fail their checks
    }
    return p.value();
}

} // namespace

class TestTrainer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFile::exists(demoModel(QStringLiteral("eta_mlp.pt"))));
        QCOMPARE(trainRows().rowCount(), 20000);
    }

    // Re-initialised weights (seeded) learn the task within three epochs.
    void reinitialisedMlpLearns()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("scratch.pt"));
        TrainingParams p = quickParams();
        p.startFromBase = false;
        std::vector<EpochReport> reports;
        std::vector<double> fractions;
        TrainingOptions options;
        options.epochDone = [&](const EpochReport &r) { reports.push_back(r); };
        options.progress = [&](double f) { fractions.push_back(f); };
        auto result = trainModel(demoModel(QStringLiteral("eta_mlp.pt")), trainRows(), validationRows(), p,
                                 QStringLiteral("2.0.0"), out, options);
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        QVERIFY(!result->cancelled);
        const auto &h = result->history;
        QCOMPARE(int(h.size()), 3);
        QCOMPARE(int(reports.size()), 3);
        for (const EpochReport &r : h)
            qInfo("epoch %d train %.4f validation %.4f mae %.3f lr %g %.0f samples/s", r.epoch, r.trainLoss,
                  r.validationLoss, r.validationMae, r.learningRate, r.samplesPerSecond);
        QVERIFY(h[2].validationLoss < h[0].validationLoss);
        QVERIFY(h[2].trainLoss < h[0].trainLoss);
        QVERIFY2(h[2].validationLoss < 0.5, "better than predicting the mean (1.0) by far");
        QVERIFY(h[2].validationMae < 3.0);
        QVERIFY(h[0].samplesPerSecond > 0 && result->samplesPerSecond > 0);
        QCOMPARE(h[2].secondsLeft, 0.0);
        QVERIFY(!fractions.empty());
        QVERIFY(std::is_sorted(fractions.begin(), fractions.end()));
        QVERIFY(qFuzzyCompare(fractions.back(), 1.0));
        QCOMPARE(filesIn(dir), QStringList{QStringLiteral("scratch.pt")});
        QCOMPARE(result->info.version, u"2.0.0"_qs);
        QCOMPARE(result->info.trainingRows, 20000);
        QCOMPARE(result->info.sequenceLength, 1);
    }

    // From the champion's weights: still a good model, loadable, with updated metadata.
    void fromBaseKeepsQualityAndMetadata()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("tuned.pt"));
        TrainingParams p = quickParams();
        p.epochs = 2;
        p.learningRate = 0.0005;
        auto result = trainModel(demoModel(QStringLiteral("eta_mlp.pt")), trainRows(), validationRows(), p,
                                 QStringLiteral("1.1.0"), out);
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        auto base = ModelRunner::load(demoModel(QStringLiteral("eta_mlp.pt")));
        auto tuned = ModelRunner::load(out);
        QVERIFY2(tuned.ok(), qPrintable(tuned.errorMessage()));
        const double baseMae = maeOf(predictAll(*base.value(), validationRows()), validationRows());
        const double tunedMae = maeOf(predictAll(*tuned.value(), validationRows()), validationRows());
        qInfo("validation MAE: base %.4f, fine-tuned %.4f", baseMae, tunedMae);
        QVERIFY2(tunedMae < baseMae * 1.05, "fine-tuning a good model keeps it good");
        const ModelInfo &info = tuned.value()->info();
        QCOMPARE(info.version, u"1.1.0"_qs);
        QCOMPARE(info.name, base.value()->info().name);
        QCOMPARE(info.formatVersion, base.value()->info().formatVersion);
        QCOMPARE(info.scalerMean, base.value()->info().scalerMean);
        QCOMPARE(info.scalerStd, base.value()->info().scalerStd);
        QCOMPARE(info.schema.numericNames(), base.value()->info().schema.numericNames());
        QCOMPARE(info.trainingRows, 20000);
        QVERIFY(!info.holdoutMae); // the base model's holdout figures describe other data
        QCOMPARE(info.sha256, result->info.sha256);
        const QJsonObject training =
            QJsonDocument::fromJson(info.metadataJson).object().value(u"training"_qs).toObject();
        QCOMPARE(training.value(u"base_version"_qs).toString(), base.value()->info().version);
        QCOMPARE(training.value(u"best_epoch"_qs).toInt(), result->bestEpoch);
        QCOMPARE(training.value(u"params"_qs).toObject(), p.toJson());
    }

    // The weights kept are the best epoch's; early stopping and plateau steps follow their rules.
    void keepsTheBestEpochAndFollowsTheSchedule()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("best.pt"));
        const Dataset train = generatedDataset(3000, 21);
        const Dataset validation = generatedDataset(1000, 22, 1717200000LL + 3000 * 50);
        TrainingParams p = quickParams();
        p.startFromBase = true;
        p.epochs = 12;
        p.learningRate = 0.03; // too high for a trained model: validation gets worse, then stalls
        p.batchSize = 64;
        p.earlyStoppingPatience = 3;
        p.plateauPatience = 1;
        p.plateauFactor = 0.5;
        auto result =
            trainModel(demoModel(QStringLiteral("eta_mlp.pt")), train, validation, p, QStringLiteral("9"), out);
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        const auto &h = result->history;
        double best = 1e300;
        int bestEpoch = 0, since = 0, sincePlateau = 0;
        double lr = p.learningRate;
        for (const EpochReport &r : h) {
            qInfo("epoch %d validation %.4f lr %g", r.epoch, r.validationLoss, r.learningRate);
            QCOMPARE(r.learningRate, lr);
            if (r.validationLoss < best) {
                best = r.validationLoss;
                bestEpoch = r.epoch;
                since = sincePlateau = 0;
            } else {
                ++since;
                ++sincePlateau;
            }
            if (since >= p.earlyStoppingPatience) {
                QCOMPARE(r.epoch, int(h.size())); // stopped right here
                break;
            }
            if (sincePlateau >= p.plateauPatience) {
                lr *= p.plateauFactor;
                sincePlateau = 0;
            }
        }
        QCOMPARE(result->bestEpoch, bestEpoch);
        QVERIFY2(h.size() < 12 || since < p.earlyStoppingPatience, "early stopping fires when due");
        QVERIFY2(h.back().learningRate < p.learningRate, "the plateau reduced the learning rate");
        // The file holds the best epoch's weights: its validation MAE is that epoch's.
        auto saved = ModelRunner::load(out);
        QVERIFY2(saved.ok(), qPrintable(saved.errorMessage()));
        const double mae = maeOf(predictAll(*saved.value(), validation), validation);
        QVERIFY2(std::abs(mae - h[size_t(bestEpoch - 1)].validationMae) < 1e-4,
                 qPrintable(QStringLiteral("%1 vs %2").arg(mae).arg(h[size_t(bestEpoch - 1)].validationMae)));
    }

    void sameSeedSameHistory()
    {
        QTemporaryDir dir;
        const Dataset train = generatedDataset(4000, 31);
        const Dataset validation = generatedDataset(1000, 32, 1717200000LL + 4000 * 50);
        TrainingParams p = quickParams();
        p.startFromBase = false;
        p.epochs = 2;
        p.threads = 1;
        const QString model = demoModel(QStringLiteral("eta_mlp.pt"));
        auto a = trainModel(model, train, validation, p, u"a"_qs, dir.filePath(u"a.pt"_qs));
        auto b = trainModel(model, train, validation, p, u"b"_qs, dir.filePath(u"b.pt"_qs));
        p.seed = 6;
        auto c = trainModel(model, train, validation, p, u"c"_qs, dir.filePath(u"c.pt"_qs));
        QVERIFY(a.ok() && b.ok() && c.ok());
        for (size_t i = 0; i < a->history.size(); ++i) {
            QCOMPARE(a->history[i].trainLoss, b->history[i].trainLoss); // bit for bit
            QCOMPARE(a->history[i].validationLoss, b->history[i].validationLoss);
            QCOMPARE(a->history[i].validationMae, b->history[i].validationMae);
        }
        QVERIFY(a->history[0].trainLoss != c->history[0].trainLoss);
    }

    void cancelInTheMiddleLeavesNoFile()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("cancelled.pt"));
        std::atomic<bool> cancel{false};
        TrainingOptions options;
        options.cancel = &cancel;
        int epochsDone = 0;
        options.epochDone = [&](const EpochReport &) { ++epochsDone; };
        options.progress = [&](double f) {
            if (f > 0.5)
                cancel = true;
        };
        TrainingParams p = quickParams();
        p.epochs = 2;
        auto result = trainModel(demoModel(QStringLiteral("eta_mlp.pt")), trainRows(), validationRows(), p, u"x"_qs,
                                 out, options);
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        QVERIFY(result->cancelled);
        QCOMPARE(epochsDone, 1);
        QCOMPARE(int(result->history.size()), 1);
        QVERIFY(filesIn(dir).isEmpty());

        // Cancelled before it starts: nothing at all.
        cancel = true;
        auto early = trainModel(demoModel(QStringLiteral("eta_mlp.pt")), trainRows(), validationRows(), p, u"x"_qs, out,
                                options);
        QVERIFY(early.ok() && early->cancelled && early->history.empty());
        QVERIFY(filesIn(dir).isEmpty());
    }

    void divergenceIsAnErrorAndLeavesNoFile()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("diverged.pt"));
        // An existing file at the output path stays as it was.
        {
            QFile f(out);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("previous");
        }
        // Adam bounds each step by the learning rate: even 1.0 (the largest allowed) does not make the demo
        // MLP diverge (measured: its ReLUs die, the loss stays finite). What does overflow is a loss on inputs
        // in an absurd unit (x 1e20): the first batch's float32 loss is infinite.
        TrainingParams p = quickParams();
        p.learningRate = 1.0;
        p.startFromBase = false;
        p.epochs = 20;
        p.batchSize = 32;
        p.earlyStoppingPatience = 0;
        p.plateauPatience = 0;
        Dataset train = generatedDataset(4000, 41);
        for (auto &column : train.numeric)
            for (float &v : column)
                v *= 1e20f;
        const Dataset validation = generatedDataset(500, 42);
        auto result = trainModel(demoModel(QStringLiteral("eta_mlp.pt")), train, validation, p, u"x"_qs, out);
        if (result.ok())
            for (const EpochReport &r : result->history)
                qInfo("epoch %d train %g validation %g", r.epoch, r.trainLoss, r.validationLoss);
        QVERIFY(!result.ok());
        qInfo("%s", qPrintable(result.errorMessage()));
        QVERIFY2(result.errorMessage().contains(u"training diverged: loss is infinite at epoch 1, batch 1"_qs) ||
                     result.errorMessage().contains(u"training diverged: loss is NaN at epoch 1, batch 1"_qs),
                 qPrintable(result.errorMessage()));
        QVERIFY(result.errorMessage().contains(u"try a lower learning rate"_qs));
        QCOMPARE(filesIn(dir), QStringList{QStringLiteral("diverged.pt")});
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("previous"));
    }

    void badParamsAreRefused_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("epochs 0") << u"epochs"_qs << QJsonValue(0) << u"Epochs must be from 1 to 1000"_qs;
        QTest::newRow("epochs 1001") << u"epochs"_qs << QJsonValue(1001) << u"Epochs"_qs;
        QTest::newRow("epochs text") << u"epochs"_qs << QJsonValue(u"ten"_qs) << u"\"epochs\""_qs;
        QTest::newRow("epochs 2.5") << u"epochs"_qs << QJsonValue(2.5) << u"\"epochs\""_qs;
        QTest::newRow("lr 0") << u"learning_rate"_qs << QJsonValue(0) << u"learning rate"_qs;
        QTest::newRow("lr 1.5") << u"learning_rate"_qs << QJsonValue(1.5) << u"learning rate"_qs;
        QTest::newRow("lr negative") << u"learning_rate"_qs << QJsonValue(-0.1) << u"learning rate"_qs;
        QTest::newRow("lr text") << u"learning_rate"_qs << QJsonValue(u"fast"_qs) << u"\"learning_rate\""_qs;
        QTest::newRow("batch 0") << u"batch_size"_qs << QJsonValue(0) << u"batch size"_qs;
        QTest::newRow("batch 65537") << u"batch_size"_qs << QJsonValue(65537) << u"batch size"_qs;
        QTest::newRow("patience -1") << u"early_stopping_patience"_qs << QJsonValue(-1) << u"patience"_qs;
        QTest::newRow("factor 1") << u"plateau_factor"_qs << QJsonValue(1.0) << u"plateau factor"_qs;
        QTest::newRow("factor 0") << u"plateau_factor"_qs << QJsonValue(0.0) << u"plateau factor"_qs;
        QTest::newRow("plateau -2") << u"plateau_patience"_qs << QJsonValue(-2) << u"plateau patience"_qs;
        QTest::newRow("threads -1") << u"threads"_qs << QJsonValue(-1) << u"Threads"_qs;
        QTest::newRow("seed -1") << u"seed"_qs << QJsonValue(-1) << u"\"seed\""_qs;
        QTest::newRow("seed text") << u"seed"_qs << QJsonValue(u"abc"_qs) << u"\"seed\""_qs;
        QTest::newRow("from base 1") << u"start_from_base"_qs << QJsonValue(1) << u"\"start_from_base\""_qs;
        QTest::newRow("class weights text") << u"class_weights"_qs << QJsonValue(u"even"_qs) << u"\"class_weights\""_qs;
        QTest::newRow("class weights one")
            << u"class_weights"_qs << QJsonValue(QJsonArray{2.0}) << u"one weight per class"_qs;
        QTest::newRow("class weight 0") << u"class_weights"_qs << QJsonValue(QJsonArray{1.0, 0.0})
                                        << u"class weight"_qs;
        QTest::newRow("class weight text")
            << u"class_weights"_qs << QJsonValue(QJsonArray{1.0, u"x"_qs}) << u"\"class_weights\""_qs;
    }

    void badParamsAreRefused()
    {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, expected);
        QJsonObject o = TrainingParams{}.toJson();
        o.insert(key, value);
        auto parsed = TrainingParams::fromJson(o);
        QVERIFY(!parsed.ok());
        QVERIFY2(parsed.errorMessage().contains(expected), qPrintable(parsed.errorMessage()));
    }

    void paramsRoundTripAndBadParamsNeverTrain()
    {
        TrainingParams p;
        p.startFromBase = false;
        p.epochs = 7;
        p.learningRate = 0.01;
        p.batchSize = 128;
        p.earlyStoppingPatience = 0;
        p.plateauFactor = 0.25;
        p.plateauPatience = 4;
        p.seed = 18446744073709551557ULL; // above 2^53: kept exactly
        p.threads = 2;
        auto back = TrainingParams::fromJson(p.toJson());
        QVERIFY2(back.ok(), qPrintable(back.errorMessage()));
        QCOMPARE(back->toJson(), p.toJson());
        QCOMPARE(back->seed, p.seed);
        QVERIFY(TrainingParams::fromJson(QJsonObject{}).ok()); // defaults

        QTemporaryDir dir;
        const QString out = dir.filePath(u"never.pt"_qs);
        TrainingParams bad = quickParams();
        bad.batchSize = 0;
        auto refused = trainModel(demoModel(u"eta_mlp.pt"_qs), trainRows(), validationRows(), bad, u"x"_qs, out);
        QVERIFY(!refused.ok());
        QVERIFY(refused.errorMessage().contains(u"batch size"_qs));
        QVERIFY(filesIn(dir).isEmpty());
    }

    void badDataIsRefused()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(u"never.pt"_qs);
        const QString model = demoModel(u"eta_mlp.pt"_qs);
        const TrainingParams p = quickParams();
        auto noValidation = trainModel(model, trainRows(), Dataset{}, p, u"x"_qs, out);
        QVERIFY(!noValidation.ok());
        QVERIFY2(noValidation.errorMessage().contains(u"validation set has no rows"_qs),
                 qPrintable(noValidation.errorMessage()));
        auto tiny = trainModel(model, generatedDataset(3, 1), validationRows(), p, u"x"_qs, out);
        QVERIFY(!tiny.ok());
        QVERIFY2(tiny.errorMessage().contains(u"Too little training data"_qs), qPrintable(tiny.errorMessage()));
        Dataset missing = generatedDataset(100, 2);
        missing.numeric.remove(u"rain_mm"_qs);
        auto noColumn = trainModel(model, missing, validationRows(), p, u"x"_qs, out);
        QVERIFY(!noColumn.ok());
        QVERIFY2(noColumn.errorMessage().contains(u"rain_mm"_qs), qPrintable(noColumn.errorMessage()));
        Dataset nonFinite = generatedDataset(100, 3);
        nonFinite.numeric[u"distance_km"_qs][17] = std::nanf("");
        auto nan = trainModel(model, nonFinite, validationRows(), p, u"x"_qs, out);
        QVERIFY(!nan.ok());
        QVERIFY2(nan.errorMessage().contains(u"Row 18"_qs), qPrintable(nan.errorMessage()));
        auto noModel = trainModel(dir.filePath(u"missing.pt"_qs), trainRows(), validationRows(), p, u"x"_qs, out);
        QVERIFY(!noModel.ok());
        auto noMetadata = trainModel(QFileInfo(model).absolutePath() + u"/fixtures/no_metadata.pt"_qs, trainRows(),
                                     validationRows(), p, u"x"_qs, out);
        QVERIFY(!noMetadata.ok());
        QVERIFY2(noMetadata.errorMessage().contains(u"mldeck.json"_qs), qPrintable(noMetadata.errorMessage()));
        auto noVersion = trainModel(model, trainRows(), validationRows(), p, u" "_qs, out);
        QVERIFY(!noVersion.ok());
        auto noFolder = trainModel(model, trainRows(), validationRows(), p, u"x"_qs, dir.filePath(u"no/such/x.pt"_qs));
        QVERIFY(!noFolder.ok());
        QVERIFY(filesIn(dir).isEmpty());
    }

    // The trained file is TorchScript that Python reads, and Python's predictions equal MLDeck's.
    void pythonReadsTheTrainedModel_data()
    {
        QTest::addColumn<QString>("base");
        QTest::newRow("mlp") << u"eta_mlp.pt"_qs;
        QTest::newRow("lstm") << u"eta_lstm.pt"_qs;
    }

    void pythonReadsTheTrainedModel()
    {
        QFETCH(QString, base);
        QTemporaryDir dir;
        const QString out = dir.filePath(u"trained.pt"_qs);
        TrainingParams p = quickParams();
        p.epochs = 1;
        const bool lstm = base.contains(u"lstm"_qs);
        // The LSTM is ~50x as costly per row: fewer rows keep the test short.
        const Dataset train = lstm ? generatedDataset(1500, 51) : trainRows();
        const Dataset validation = lstm ? generatedDataset(1000, 52, 1717200000LL + 1500 * 50) : validationRows();
        auto result = trainModel(demoModel(base), train, validation, p, u"3.1.4"_qs, out);
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        QCOMPARE(int(result->history.size()), 1);
        QVERIFY(std::isfinite(result->history[0].validationLoss));
        qInfo("%s: 1 epoch, validation MAE %.3f, %.0f samples/s", qPrintable(base), result->history[0].validationMae,
              result->samplesPerSecond);

        auto runner = ModelRunner::load(out);
        QVERIFY2(runner.ok(), qPrintable(runner.errorMessage()));
        const ModelInfo &info = runner.value()->info();
        const int rows = 30;
        const auto features =
            validation.featureRows(info.schema.numericNames(), info.schema.categoricalNames(), 0, rows);
        auto ours = runner.value()->predict(features);
        QVERIFY2(ours.ok(), qPrintable(ours.errorMessage()));

        const InputEncoder encoder(info);
        std::vector<float> encoded(size_t(rows) * size_t(encoder.width()));
        QVERIFY(encoder.encode(features, encoded.data()).ok());
        const QString csv = dir.filePath(u"inputs.csv"_qs);
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::WriteOnly));
            for (int i = 0; i < rows; ++i) {
                QByteArrayList cells;
                for (int k = 0; k < encoder.width(); ++k)
                    cells << QByteArray::number(encoded[size_t(i * encoder.width() + k)], 'g', 9);
                f.write(cells.join(',') + '\n');
            }
        }
        QProcess python;
        python.start(u"/usr/bin/python3"_qs, {sourceFile(u"tests/unit/training/predict_torchscript.py"_qs), out, csv});
        QVERIFY2(python.waitForFinished(120000), "python3 did not finish");
        QVERIFY2(python.exitCode() == 0, qPrintable(u"python3 with torch must be installed (python3-torch): "_qs +
                                                    QString::fromLocal8Bit(python.readAllStandardError())));
        const QList<QByteArray> lines = python.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), rows + 1);
        QCOMPARE(lines[0].trimmed(), QByteArray("3.1.4"));
        for (int i = 0; i < rows; ++i) {
            const double theirs = lines[i + 1].toDouble();
            QVERIFY2(
                std::abs(theirs - ours.value()[size_t(i)]) < 1e-5,
                qPrintable(
                    QStringLiteral("row %1: python %2, MLDeck %3").arg(i).arg(theirs).arg(ours.value()[size_t(i)])));
        }
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "test_trainer.moc"
