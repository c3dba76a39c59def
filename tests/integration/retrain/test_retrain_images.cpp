// Retraining an image classifier end to end against real PostgreSQL and the LibTorch worker: the demo
// digits deployment (images made by resources/models/make_digits_cnn.py), logged predictions that refer
// to their images by key, the reference and holdout folders. A degraded champion (never answers 8 or 9) is
// beaten and promoted; a worse candidate never is; unreadable images are counted, never stop the run; and
// training streams its images: a folder whose decoded images exceed the worker's memory limit trains.
#include "RetrainFixture.h"

#include "core/ml/ImageTrainer.h"
#include "core/ml/ModelWorker.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/services/guard/GuardJob.h"
#include "core/services/retrain/RetrainRunner.h"

#include <QDirIterator>
#include <QFile>
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

#if !defined(MLDECK_SANITIZED)
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
#endif

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
        QCOMPARE(out.run.metrics.value(QStringLiteral("images"))
                     .toObject()
                     .value(QStringLiteral("skipped_count"))
                     .toDouble(),
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
        const auto trained =
            trainImageModel(modelFile("digits_cnn.pt"), {ImageSet{store, reference->items}},
                            {ImageSet{store, {reference->items.begin(), reference->items.begin() + 50}}}, p,
                            ImageAugmentation{}, QStringLiteral("c"), output, options);
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
        const auto mldeckctl = [this](const QStringList &args) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("MLDECK_PG_URL"), f.db->endpoint().toUrl(true));
            env.insert(QStringLiteral("MLDECK_MODEL_STORE"), f.store->path());
            p.setProcessEnvironment(env);
            p.start(qEnvironmentVariable("MLDECKCTL"), args);
            p.waitForFinished(120'000);
            return std::make_pair(p.exitCode(),
                                  QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()));
        };
        const auto ctl = [&](const QStringList &args) {
            return mldeckctl(QStringList{QStringLiteral("retrain"), QStringLiteral("run"),
                                         QStringLiteral("--deployment"), f.dep, QStringLiteral("--force"),
                                         QStringLiteral("--dry-run")} +
                             args);
        };
        // The deployment's augmentation, set as the demo sets it for digits: the run starts from it.
        const auto set =
            mldeckctl({QStringLiteral("retrain"), QStringLiteral("settings"), QStringLiteral("--deployment"), f.dep,
                       QStringLiteral("set"), QStringLiteral("image_augmentation.horizontal_flip=false"),
                       QStringLiteral("image_augmentation.max_crop=0.05")});
        QVERIFY2(set.first == 0, qPrintable(set.second));
        QVERIFY2(set.second.contains(QStringLiteral("image_augmentation.horizontal_flip = false")),
                 qPrintable(set.second));
        const auto both = ctl({QStringLiteral("--flip"), QStringLiteral("--no-flip")});
        QVERIFY2(both.first != 0 && both.second.contains(QStringLiteral("exclude")), qPrintable(both.second));
        // A crop beyond half the side: refused before anything is recorded.
        const auto refused = ctl({QStringLiteral("--max-crop"), QStringLiteral("0.9")});
        QVERIFY(refused.first != 0);
        QVERIFY2(refused.second.contains(QStringLiteral("largest crop")), qPrintable(refused.second));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE deployment = $1"), {f.dep}), 0);

        const auto run = ctl({QStringLiteral("--epochs"), QStringLiteral("2"), QStringLiteral("--learning-rate"),
                              QStringLiteral("0.002"), QStringLiteral("--batch-size"), QStringLiteral("64")});
        QVERIFY2(run.first == 0, qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("Images: 362 labelled in the window")), qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("Skipped images: 2")), qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("live/4/missing.png")), qPrintable(run.second));
        QVERIFY2(run.second.contains(QStringLiteral("Dry run: nothing was registered.")), qPrintable(run.second));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE deployment = $1 AND "
                                        "params->'augmentation'->>'horizontal_flip' = 'false' AND "
                                        "(params->'augmentation'->>'max_crop')::float8 = 0.05"),
                         {f.dep}),
                 1);
        QCOMPARE(f.champion(), QStringLiteral("1"));
    }

    // One image logged five times is one training item (its latest label); a logged key that resolves into
    // the holdout set (a store root written before the holdout had to lie outside it) is never trained on.
    void loggedDuplicatesMergedAndHoldoutKeysLeftOut()
    {
        QVERIFY(f.registerFile(modelFile("digits_cnn.pt"), QStringLiteral("1")).ok());
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        // The store's root moved up to the folder that holds the holdout, as an older configuration could.
        const auto moved = test::query(*f.conn,
                                       QStringLiteral("UPDATE mldeck.deployments SET settings = jsonb_set(settings, "
                                                      "'{images,store,root}', to_jsonb($2::text)) WHERE name = $1"),
                                       {f.dep, m_images.path()});
        QVERIFY2(moved.ok(), qPrintable(moved.errorMessage()));
        const QString live =
            QDir(m_images.path())
                .relativeFilePath(QDir(dir(QStringLiteral("store/live/2")))
                                      .entryInfoList({QStringLiteral("*.png")}, QDir::Files, QDir::Name)
                                      .value(0)
                                      .filePath());
        const QStringList holdoutKeys = QDir(dir(QStringLiteral("holdout/5")))
                                            .entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name)
                                            .mid(0, 2);
        QCOMPARE(holdoutKeys.size(), 2);
        const qint64 end = (QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() - 3'600'000) * 1000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        const QStringList keys = QStringList{live,
                                             live,
                                             live,
                                             live,
                                             live,
                                             QStringLiteral("holdout/5/") + holdoutKeys[0],
                                             QStringLiteral("holdout/5/") + holdoutKeys[1]};
        for (qsizetype i = 0; i < keys.size(); ++i) {
            PredictionRow p;
            p.tsMicros = end - 86'400'000'000LL + qint64(i) * 60'000'000;
            p.deployment = f.dep;
            p.requestKey = QStringLiteral("dup-%1").arg(i);
            p.modelVersion = QStringLiteral("1");
            p.path = PredictionPath::Ml;
            p.predictedClass = 0;
            p.probabilities = std::vector<float>(10, 0.1f);
            p.predicted = 0.1;
            p.imageKey = keys[i];
            predictions.push_back(p);
            outcomes.push_back(OutcomeRow{p.tsMicros + 1'000'000, f.dep, p.requestKey, i < 5 ? 2.0 : 5.0});
        }
        PredictionLog log(*f.conn);
        QVERIFY(log.appendPredictions(predictions).ok());
        QVERIFY(log.appendOutcomes(outcomes).ok());

        const auto summary = retrain::summarizeData(*f.conn, request());
        QVERIFY2(summary.ok(), qPrintable(summary.errorMessage()));
        QCOMPARE(summary->windowImages, qint64(1));
        const QString notes = summary->notes.join(QLatin1Char('\n'));
        // (English plural forms come from the translations, not loaded here: match around them.)
        QVERIFY2(notes.contains(QStringLiteral("4 logged prediction")) && notes.contains(QStringLiteral("were merged")),
                 qPrintable(notes));
        QVERIFY2(notes.contains(QStringLiteral("2 logged image")) &&
                     notes.contains(QStringLiteral("in the holdout set and were left out")),
                 qPrintable(notes));
    }

    // The guard starts a run from the deployment's retrain settings: with mirroring off there (as the demo's
    // digits has it), the run it records trains without mirrored images.
    void guardRunTakesTheDeploymentsAugmentation()
    {
        logLivePool();
        const auto registered = f.registerFile(modelFile("digits_cnn.pt"), QStringLiteral("1"));
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        // The guard trains with the default parameters (10 epochs): on the window's images alone, to stay short.
        const auto noReference = test::query(*f.conn,
                                             QStringLiteral("UPDATE mldeck.deployments SET settings = settings #- "
                                                            "'{images,reference_set}' WHERE name = $1"),
                                             {f.dep});
        QVERIFY2(noReference.ok(), qPrintable(noReference.errorMessage()));
        const qint64 now = QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() * 1000;
        std::vector<FeedbackRow> feedback;
        for (int i = 0; i < 3; ++i)
            feedback.push_back(FeedbackRow{now - 3'600'000'000LL,
                                           f.dep,
                                           QStringLiteral("img-%1").arg(i),
                                           false,
                                           QStringLiteral("wrong digit"),
                                           QStringLiteral("p%1").arg(i),
                                           {}});
        QVERIFY(PredictionLog(*f.conn).appendFeedback(feedback).ok());
        RetrainSettings s;
        s.minFeedback = 1;
        s.minNegative = 1;
        s.autoRetrain = true;
        s.checkIntervalMinutes = 1;
        s.imageAugmentation.horizontalFlip = false;
        s.imageAugmentation.maxCrop = 0.05;
        QVERIFY(retrain::saveSettings(*f.conn, f.dep, s, kRetrainActor).ok());
        QString error;
        QCOMPARE(RetrainSettings::fromJson(s.toJson(), &error).imageAugmentation.horizontalFlip, false);
        QVERIFY(error.isEmpty());

        qputenv("MLDECK_MODEL_STORE", f.store->path().toUtf8());
        GuardContext context{TestServers::redis(), f.db->endpoint(), f.dep, QStringLiteral("guard@test")};
        auto job = makeRetrainGuardJob();
        const Status ran = job->runOnce(context);
        qunsetenv("MLDECK_MODEL_STORE");
        QVERIFY2(ran.ok(), qPrintable(ran.errorMessage()));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE deployment = $1 AND "
                                        "state = 'succeeded' AND params->'augmentation'->>'horizontal_flip' = 'false' "
                                        "AND (params->'augmentation'->>'max_crop')::float8 = 0.05"),
                         {f.dep}),
                 1);
    }

#if !defined(MLDECK_SANITIZED)
    // Not in the sanitizer build (the CI's Release suite runs it): a sanitized worker cannot cap its heap and
    // AddressSanitizer's own overhead alone exceeds the memory limit this case sets.
    void decodedImagesLargerThanTheWorkerMemoryTrain()
    {
        // 700 distinct small PNG files (16 x 16 RGB, about 1 MB on disk) for a model whose input is RGB
        // 224 x 224: preprocessed for it, each image is 602,112 bytes of floats, all of them 402 MiB, more
        // than the worker's 320 MB limit (heap and resident size). Read a batch of 8 at a time, they fit.
        constexpr int kImages = 700, kLimitMb = 320;
        QTemporaryDir big;
        QVERIFY(big.isValid());
        QProcess make;
        make.start(QStringLiteral("/usr/bin/python3"),
                   {QStringLiteral(MLDECK_SOURCE_DIR "/tests/integration/retrain/make_big_input_cnn.py"), big.path(),
                    QString::number(kImages)});
        QVERIFY(make.waitForFinished(120'000));
        QVERIFY2(make.exitCode() == 0, make.readAllStandardError().constData());
        std::vector<ImageItem> items;
        for (int i = 0; i < kImages; ++i)
            items.push_back(ImageItem{QStringLiteral("%1/%2.png").arg(i % 10).arg(i), i % 10});
        const double decodedMb = double(kImages) * 3 * 224 * 224 * sizeof(float) / (1024.0 * 1024.0);
        QVERIFY(decodedMb > kLimitMb);

        WorkerLimits limits = WorkerLimits::defaults();
        const WorkerLimits before = limits;
        limits.memoryMb = kLimitMb;
        WorkerLimits::setDefaults(limits);
        const ImageStoreConfig store{QStringLiteral("folder"), big.filePath(QStringLiteral("images"))};
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
        const auto trained =
            trainImageModel(big.filePath(QStringLiteral("big_cnn.pt")), {ImageSet{store, items}},
                            {ImageSet{store, {items.begin(), items.begin() + 2}}}, p, aug, QStringLiteral("big"),
                            f.store->filePath(QStringLiteral("big.pt")), options);
        WorkerLimits::setDefaults(before);
        QVERIFY2(trained.ok(), qPrintable(trained.errorMessage()));
        QCOMPARE(trained->trainImages, qint64(kImages));
        QCOMPARE(trained->skippedCount, qint64(0));
        QVERIFY(QFile::exists(f.store->filePath(QStringLiteral("big.pt"))));
        QVERIFY(peakMb > 0);
        QVERIFY2(peakMb < kLimitMb, qPrintable(QString::number(peakMb)));
        qInfo("decoded size %.0f MiB, worker peak resident %lld MiB (limit %d MB), decode %.2f s, model %.2f s",
              decodedMb, peakMb, kLimitMb, trained->decodeSeconds, trained->modelSeconds);
    }
#endif
};

QTEST_GUILESS_MAIN(TestRetrainImages)
#include "test_retrain_images.moc"
