// Retraining an image classifier end to end against real PostgreSQL and the LibTorch worker: the demo
// digits deployment (images made by resources/models/make_digits_cnn.py), logged predictions that refer
// to their images by key, the reference and holdout folders. A degraded champion (never answers 8 or 9) is
// beaten and promoted; a worse candidate never is; unreadable images are counted, never stop the run; and
// training streams its images: a folder whose decoded images exceed the worker's memory limit trains.
#include "RetrainFixture.h"

#include "core/ml/ImageTrainer.h"
#include "core/ml/ModelWorker.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/services/retrain/RetrainRunner.h"

#include <QDirIterator>
#include <QFile>
#include <QImage>
#include <QProcess>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QString modelFile(const char *name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + QLatin1String(name);
}

QStringList digitClasses()
{
    QStringList c;
    for (int i = 0; i < 10; ++i)
        c << QString::number(i);
    return c;
}

// The worker's peak resident memory (VmHWM), in MB; 0 when it cannot be read.
qint64 peakResidentMb(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() / 1024;
    return 0;
}

} // namespace

class TestRetrainImages : public QObject
{
    Q_OBJECT

private:
    RetrainFixture f;
    QTemporaryDir m_images; // reference/, holdout/, store/live/ (make_digits_cnn.py images)

    QString dir(const QString &sub) const { return m_images.filePath(sub); }

    // The live pool's images logged as predictions of the last days, each with its true class as outcome,
    // plus a key whose file is missing and one whose file is not an image.
    void logLivePool()
    {
        const qint64 end = (QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() - 3'600'000) * 1000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        QStringList keys;
        QList<int> labels;
        QDirIterator it(dir(QStringLiteral("store/live")), {QStringLiteral("*.png")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            if (path.endsWith(QLatin1String("/corrupt.png"))) // written below by an earlier case
                continue;
            keys << QDir(dir(QStringLiteral("store"))).relativeFilePath(path);
            labels << QFileInfo(path).dir().dirName().toInt();
        }
        QFile corrupt(dir(QStringLiteral("store/live/3/corrupt.png")));
        QVERIFY(corrupt.open(QIODevice::WriteOnly));
        corrupt.write("\x89PNG\r\n\x1a\nnot really");
        corrupt.close();
        keys << QStringLiteral("live/3/corrupt.png") << QStringLiteral("live/4/missing.png");
        labels << 3 << 4;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            PredictionRow p;
            p.tsMicros = end - 2 * 86'400'000'000LL + qint64(i) * 60'000'000;
            p.deployment = f.dep;
            p.requestKey = QStringLiteral("img-%1").arg(i);
            p.modelVersion = QStringLiteral("1");
            p.path = PredictionPath::Ml;
            p.predictedClass = 0;
            p.probabilities = std::vector<float>(10, 0.1f);
            p.predicted = 0.1;
            p.imageKey = keys[i];
            predictions.push_back(p);
            outcomes.push_back(OutcomeRow{p.tsMicros + 1'000'000, f.dep, p.requestKey, double(labels[i])});
        }
        PredictionLog log(*f.conn);
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());
    }

    retrain::RetrainRequest request() const
    {
        retrain::RetrainRequest r;
        r.deployment = f.dep;
        r.daysBack = 30;
        r.force = true;
        r.storeDirectory = f.store->path();
        r.training.epochs = 6;
        r.training.learningRate = 0.002;
        r.training.batchSize = 64;
        r.training.earlyStoppingPatience = 2;
        r.augmentation.horizontalFlip = false; // digits are not symmetric: a mirrored 2 is no 2
        r.augmentation.maxCrop = 0.1;
        r.bootstrapResamples = 500;
        return r;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(), "MLDECKCTL must point at mldeckctl");
        QVERIFY(m_images.isValid());
        QProcess make;
        make.start(QStringLiteral("/usr/bin/python3"),
                   {QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/make_digits_cnn.py"), QStringLiteral("images"),
                    QStringLiteral("--out"), m_images.path()});
        QVERIFY(make.waitForFinished(120'000));
        QVERIFY2(make.exitCode() == 0, make.readAllStandardError().constData());
    }

    void init()
    {
        QVERIFY(f.openDatabase(QStringLiteral("rti")).isEmpty());
        NewDeployment spec;
        spec.name = f.dep;
        spec.task = QStringLiteral("classification");
        spec.description = QStringLiteral("digits");
        spec.classSpec = ClassSpec{digitClasses(), 0.5};
        ImageDeployment images;
        images.store = ImageStoreConfig{QStringLiteral("folder"), dir(QStringLiteral("store"))};
        images.referenceSet = dir(QStringLiteral("reference"));
        images.holdoutSet = dir(QStringLiteral("holdout"));
        spec.images = images;
        const auto created = createDeployment(*f.conn, TestServers::redis(), spec, kRetrainActor);
        QVERIFY2(created.ok(), qPrintable(created.errorMessage()));
    }

    void cleanup() { f.tearDown(); }

    void degradedChampionIsBeatenAndPromoted()
    {
        logLivePool();
        const auto registered = f.registerFile(modelFile("digits_cnn_degraded.pt"), QStringLiteral("1"));
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));
        QVERIFY(f.promote(QStringLiteral("1")).ok());

        std::vector<EpochReport> epochs;
        const retrain::RetrainOutcome out =
            retrain::runRetrain(*f.conn, request(), kRetrainActor, nullptr, [&](const retrain::RetrainProgress &p) {
                if (p.epoch)
                    epochs.push_back(*p.epoch);
            });
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QVERIFY(out.data && out.data->images);
        QCOMPARE(out.data->referenceImages, qint64(1078));
        QCOMPARE(out.data->windowImages, qint64(362)); // the live pool and the two unusable keys
        QCOMPARE(out.data->holdoutRows, qint64(359));
        // The corrupt and the missing image: skipped, counted, named; the run went on.
        QCOMPARE(out.skippedImageCount, qint64(2));
        QStringList skipped;
        for (const SkippedImage &s : out.skippedImages)
            skipped << s.key;
        skipped.sort();
        QCOMPARE(skipped, QStringList({QStringLiteral("live/3/corrupt.png"), QStringLiteral("live/4/missing.png")}));
        QVERIFY(!epochs.empty());
        QVERIFY(epochs.front().validationAccuracy.has_value());

        QVERIFY(out.decision);
        QVERIFY2(out.decision->promote, qPrintable(out.decision->reason));
        QCOMPARE(out.decision->metric, retrain::DecisionMetric::Accuracy);
        QVERIFY2(out.decision->champion < 0.85, qPrintable(QString::number(out.decision->champion)));
        QVERIFY2(out.decision->candidate > 0.95, qPrintable(QString::number(out.decision->candidate)));
        QCOMPARE(out.run.metrics.value(QStringLiteral("holdout_rows")).toDouble(), 359.0);
        QCOMPARE(out.run.metrics.value(QStringLiteral("images")).toObject().value(QStringLiteral("skipped_count")).toDouble(),
                 2.0);
        qInfo("champion %.4f -> candidate %.4f on the holdout, %d epochs", out.decision->champion,
              out.decision->candidate, int(epochs.size()));

        retrain::ApplyOptions promote;
        promote.action = retrain::RetrainAction::Promote;
        const auto applied = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, promote, kRetrainActor);
        QVERIFY2(applied.ok(), qPrintable(applied.errorMessage()));
        QCOMPARE(f.champion(), out.candidateVersion);
    }

    void worseCandidateIsNeverPromoted()
    {
        logLivePool();
        const auto registered = f.registerFile(modelFile("digits_cnn.pt"), QStringLiteral("1"));
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        retrain::RetrainRequest r = request();
        r.training.startFromBase = false; // re-initialised, one epoch at a tiny learning rate: worse
        r.training.epochs = 1;
        r.training.learningRate = 1e-6;
        const retrain::RetrainOutcome out = retrain::runRetrain(*f.conn, r, kRetrainActor);
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QVERIFY(out.decision);
        QVERIFY2(!out.decision->promote, qPrintable(out.decision->reason));
        QVERIFY(out.decision->candidate < out.decision->champion);

        retrain::ApplyOptions promote;
        promote.action = retrain::RetrainAction::Promote;
        QVERIFY(!retrain::applyDecision(*f.conn, std::nullopt, out.run.id, promote, kRetrainActor).ok());
        QCOMPARE(f.champion(), QStringLiteral("1"));
    }

    void cancelLeavesNoFile()
    {
        const auto reference = listLabelledImages(dir(QStringLiteral("reference")), digitClasses());
        QVERIFY(reference.ok());
        const ImageStoreConfig store{QStringLiteral("folder"), dir(QStringLiteral("reference"))};
        std::atomic<bool> cancel{false};
        int epochs = 0;
        TrainingOptions options;
        options.cancel = &cancel;
        options.epochDone = [&](const EpochReport &) {
            ++epochs;
            cancel = true; // Cancel once the first epoch is reported
        };
        TrainingParams p;
        p.epochs = 5;
        const QString output = f.store->filePath(QStringLiteral("cancelled.pt"));
        const auto trained = trainImageModel(modelFile("digits_cnn.pt"), {ImageSet{store, reference->items}},
                                             {ImageSet{store, {reference->items.begin(), reference->items.begin() + 50}}},
                                             p, ImageAugmentation{}, QStringLiteral("c"), output, options);
        QVERIFY2(trained.ok(), qPrintable(trained.errorMessage()));
        QVERIFY(trained->training.cancelled);
        QCOMPARE(epochs, 1);
        QVERIFY(!QFile::exists(output));
        QCOMPARE(QDir(f.store->path()).entryList(QDir::Files).size(), 0); // no temporary file left either
    }

    void cliRetrainsAnImageDeployment()
    {
        logLivePool();
        const auto registered = f.registerFile(modelFile("digits_cnn_degraded.pt"), QStringLiteral("1"));
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        const auto ctl = [this](QStringList args) {
            args = QStringList{QStringLiteral("retrain"), QStringLiteral("run"), QStringLiteral("--deployment"), f.dep,
                               QStringLiteral("--force"), QStringLiteral("--dry-run")} +
                   args;
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("MLDECK_PG_URL"), f.db->endpoint().toUrl(true));
            env.insert(QStringLiteral("MLDECK_MODEL_STORE"), f.store->path());
            p.setProcessEnvironment(env);
            p.start(qEnvironmentVariable("MLDECKCTL"), args);
            p.waitForFinished(120'000);
            return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()));
        };
        // A crop beyond half the side: refused before anything is recorded.
        const auto refused = ctl({QStringLiteral("--max-crop"), QStringLiteral("0.9")});
        QVERIFY(refused.first != 0);
        QVERIFY2(refused.second.contains(QStringLiteral("largest crop")), qPrintable(refused.second));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE deployment = $1"), {f.dep}), 0);

        const auto run = ctl({QStringLiteral("--epochs"), QStringLiteral("2"), QStringLiteral("--learning-rate"),
                              QStringLiteral("0.002"), QStringLiteral("--batch-size"), QStringLiteral("64"),
                              QStringLiteral("--no-flip")});
        QVERIFY2(run.first == 0, qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("Images: 362 labelled in the window")), qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("Skipped images: 2")), qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("live/4/missing.png")), qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("Dry run: nothing was registered.")), qPrintable(run.second));
        QCOMPARE(f.champion(), QStringLiteral("1"));
    }

    void decodedImagesLargerThanTheWorkerMemoryTrain()
    {
        // 48 images of 1448 x 1448: decoded to floats for the model they would take 384 MB at once, more
        // than the worker's 320 MB limit (heap and resident size); streamed, a batch at a time, they fit.
        constexpr int kImages = 48, kSide = 1448, kLimitMb = 320;
        QTemporaryDir big;
        QVERIFY(big.isValid());
        std::vector<ImageItem> items;
        for (int i = 0; i < kImages; ++i) {
            const int label = i % 10;
            const QString source = QDir(dir(QStringLiteral("reference/%1").arg(label)))
                                       .entryInfoList({QStringLiteral("*.png")}, QDir::Files, QDir::Name)
                                       .value(i / 10)
                                       .filePath();
            const QImage image = QImage(source).scaled(kSide, kSide);
            const QString key = QStringLiteral("%1/%2.png").arg(label).arg(i);
            QVERIFY(QDir(big.path()).mkpath(QString::number(label)));
            QVERIFY(image.save(big.filePath(key), "PNG", 100)); // fastest compression
            items.push_back(ImageItem{key, label});
        }
        const double decodedMb = double(kImages) * kSide * kSide * sizeof(float) / (1024.0 * 1024.0);
        QVERIFY(decodedMb > kLimitMb);

        WorkerLimits limits = WorkerLimits::defaults();
        const WorkerLimits before = limits;
        limits.memoryMb = kLimitMb;
        WorkerLimits::setDefaults(limits);
        const ImageStoreConfig store{QStringLiteral("folder"), big.path()};
        TrainingParams p;
        p.epochs = 1;
        p.batchSize = 8;
        p.earlyStoppingPatience = 0;
        std::atomic<qint64> pid{0};
        qint64 peakMb = 0;
        TrainingOptions options;
        options.workerPid = &pid;
        options.progress = [&](double) {
            if (const qint64 id = pid.load())
                peakMb = std::max(peakMb, peakResidentMb(id));
        };
        ImageAugmentation aug;
        const auto trained = trainImageModel(modelFile("digits_cnn.pt"), {ImageSet{store, items}},
                                             {ImageSet{store, {items.begin(), items.begin() + 2}}}, p, aug,
                                             QStringLiteral("big"), f.store->filePath(QStringLiteral("big.pt")), options);
        WorkerLimits::setDefaults(before);
        QVERIFY2(trained.ok(), qPrintable(trained.errorMessage()));
        QCOMPARE(trained->trainImages, qint64(kImages));
        QCOMPARE(trained->skippedCount, qint64(0));
        QVERIFY(QFile::exists(f.store->filePath(QStringLiteral("big.pt"))));
        QVERIFY(peakMb > 0);
        QVERIFY2(peakMb < kLimitMb, qPrintable(QString::number(peakMb)));
        qInfo("decoded size %.0f MB, worker peak resident %lld MB (limit %d MB), decode %.2f s, model %.2f s", decodedMb,
              peakMb, kLimitMb, trained->decodeSeconds, trained->modelSeconds);
    }
};

QTEST_GUILESS_MAIN(TestRetrainImages)
#include "test_retrain_images.moc"
