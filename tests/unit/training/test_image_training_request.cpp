// The image training request without a worker: its wire form survives the trip and a damaged one is refused;
// augmentation settings out of range are refused with the field named; trainImageModel refuses a request
// that cannot train (too few images, no validation image, a store folder that does not exist, no output
// folder) before it starts a worker or writes anything.
#include "core/ml/ImageTrainer.h"
#include "core/ml/WorkerProtocol.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;

namespace {

QString digitsModel()
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/digits_cnn.pt");
}

std::vector<ImageItem> items(int n)
{
    std::vector<ImageItem> out;
    for (int i = 0; i < n; ++i)
        out.push_back({QStringLiteral("%1/%2.png").arg(i % 10).arg(i), i % 10});
    return out;
}

} // namespace

class TestImageTrainingRequest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestRoundTrip()
    {
        ImageTrainingRequest q;
        q.basePath = QStringLiteral("/models/digits.pt");
        q.baseBytes = QByteArray("model bytes");
        q.train = {ImageSet{ImageStoreConfig{QStringLiteral("folder"), QStringLiteral("/data/store")}, items(12)},
                   ImageSet{ImageStoreConfig{QStringLiteral("folder"), QStringLiteral("/data/reference")}, items(3)}};
        q.validation = {ImageSet{ImageStoreConfig{QStringLiteral("folder"), QStringLiteral("/data/store")}, items(2)}};
        q.params.epochs = 7;
        q.params.balancedClassWeights = true;
        q.augmentation.horizontalFlip = false;
        q.augmentation.maxCrop = 0.25;
        q.newVersion = QStringLiteral("retrain-3");
        q.outputPath = QStringLiteral("/tmp/out.pt");
        const QByteArray wire = q.encode();
        const auto back = ImageTrainingRequest::decode(wire);
        QVERIFY2(back.ok(), qPrintable(back.errorMessage()));
        QCOMPARE(back->basePath, q.basePath);
        QCOMPARE(back->baseBytes, q.baseBytes);
        QCOMPARE(back->train.size(), size_t(2));
        QCOMPARE(back->train[1].store.root, QStringLiteral("/data/reference"));
        QCOMPARE(back->train[0].items.size(), size_t(12));
        QCOMPARE(back->train[0].items[11].key, QStringLiteral("1/11.png"));
        QCOMPARE(back->train[0].items[11].label, 1);
        QCOMPARE(back->validation[0].items.size(), size_t(2));
        QCOMPARE(back->params.epochs, 7);
        QVERIFY(back->params.balancedClassWeights);
        QCOMPARE(back->augmentation.horizontalFlip, false);
        QCOMPARE(back->augmentation.maxCrop, 0.25);
        QCOMPARE(back->newVersion, q.newVersion);
        QCOMPARE(back->outputPath, q.outputPath);

        // Cut short, or with bytes left over: refused.
        QVERIFY(!ImageTrainingRequest::decode(wire.left(wire.size() - 3)).ok());
        QVERIFY(!ImageTrainingRequest::decode(wire + "x").ok());
    }

    void figuresRoundTrip()
    {
        ImageTrainingResult r;
        r.trainImages = 1400;
        r.validationImages = 250;
        r.skippedCount = 3;
        r.skipped = {{QStringLiteral("live/1/a.png"), QStringLiteral("missing")}};
        r.decodeSeconds = 1.5;
        r.modelSeconds = 2.5;
        QByteArray wire;
        worker::WireWriter w(wire);
        worker::writeImageTrainingFigures(w, r);
        worker::WireReader rd(wire);
        ImageTrainingResult back;
        worker::readImageTrainingFigures(rd, back);
        QVERIFY(!rd.failed() && rd.atEnd());
        QCOMPARE(back.trainImages, qint64(1400));
        QCOMPARE(back.validationImages, qint64(250));
        QCOMPARE(back.skippedCount, qint64(3));
        QCOMPARE(back.skipped.size(), size_t(1));
        QCOMPARE(back.skipped[0].key, QStringLiteral("live/1/a.png"));
        QCOMPARE(back.skipped[0].reason, QStringLiteral("missing"));
        QCOMPARE(back.modelSeconds, 2.5);
    }

    void augmentationRefusesBadValues()
    {
        QVERIFY(ImageAugmentation::fromJson({}).ok()); // defaults
        const auto crop = ImageAugmentation::fromJson({{QStringLiteral("max_crop"), 0.7}});
        QVERIFY(!crop.ok());
        QVERIFY2(crop.errorMessage().contains(QStringLiteral("0.7")), qPrintable(crop.errorMessage()));
        const auto flip = ImageAugmentation::fromJson({{QStringLiteral("horizontal_flip"), QStringLiteral("yes")}});
        QVERIFY(!flip.ok());
        QVERIFY2(flip.errorMessage().contains(QStringLiteral("horizontal_flip")), qPrintable(flip.errorMessage()));
        QVERIFY(!ImageAugmentation::fromJson({{QStringLiteral("max_crop"), -0.1}}).ok());
    }

    void refusedBeforeAnyWorkerStarts()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const ImageStoreConfig store{QStringLiteral("folder"), dir.path()};
        const QString output = dir.filePath(QStringLiteral("out.pt"));
        const TrainingParams p;
        const ImageAugmentation aug;
        const auto tooFew = trainImageModel(digitsModel(), {ImageSet{store, items(9)}}, {ImageSet{store, items(2)}}, p,
                                            aug, QStringLiteral("v"), output);
        QVERIFY(!tooFew.ok());
        QVERIFY2(tooFew.errorMessage().contains(QStringLiteral("at least 10")), qPrintable(tooFew.errorMessage()));
        const auto noValidation =
            trainImageModel(digitsModel(), {ImageSet{store, items(20)}}, {}, p, aug, QStringLiteral("v"), output);
        QVERIFY(!noValidation.ok());
        QVERIFY2(noValidation.errorMessage().contains(QStringLiteral("validation")),
                 qPrintable(noValidation.errorMessage()));
        const QString gone = dir.filePath(QStringLiteral("no-such-folder"));
        const auto noStore =
            trainImageModel(digitsModel(), {ImageSet{ImageStoreConfig{QStringLiteral("folder"), gone}, items(20)}},
                            {ImageSet{store, items(2)}}, p, aug, QStringLiteral("v"), output);
        QVERIFY(!noStore.ok());
        QVERIFY2(noStore.errorMessage().contains(gone), qPrintable(noStore.errorMessage()));
        const auto noFolder = trainImageModel(digitsModel(), {ImageSet{store, items(20)}}, {ImageSet{store, items(2)}},
                                              p, aug, QStringLiteral("v"), dir.filePath(QStringLiteral("x/out.pt")));
        QVERIFY(!noFolder.ok());
        ImageAugmentation bad;
        bad.maxCrop = 0.9;
        QVERIFY(!trainImageModel(digitsModel(), {ImageSet{store, items(20)}}, {ImageSet{store, items(2)}}, p, bad,
                                 QStringLiteral("v"), output)
                     .ok());
        QVERIFY(!QFile::exists(output));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestImageTrainingRequest)
#include "test_image_training_request.moc"
