// Fine-tuning an image classifier (prints figures; never asserts speed): training images per second
// through trainImageModel (the model worker reads, decodes and preprocesses each batch itself), with 1
// and 2 threads, and the split between decoding + preprocessing + augmentation and the model (forward,
// backward, optimiser step).
//  1. the demo CNN (resources/models/digits_cnn.pt, input 1 x 16 x 16) on the 32 x 32 PNG digits that
//     make_digits_cnn.py writes;
//  2. the same digits as 256 x 256 JPEG files (written here): what a photo-sized input costs to decode.
// Usage: bench_image_train [epochs (default 3)]
#include "core/ml/ImageTrainer.h"
#include "core/ml/image/LabelledImages.h"
#include "tests/support/BenchOutput.h"

#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>

using namespace mldeck;

namespace {

void run(const ImageStoreConfig &store, const std::vector<ImageItem> &train, const std::vector<ImageItem> &validation,
         int epochs, const QString &output, const QString &what)
{
    for (int threads : {1, 2}) {
        TrainingParams p;
        p.epochs = epochs;
        p.batchSize = 64;
        p.learningRate = 0.001;
        p.earlyStoppingPatience = 0;
        p.threads = threads;
        ImageAugmentation aug;
        aug.horizontalFlip = false;
        auto r = trainImageModel(QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/digits_cnn.pt"),
                                 {ImageSet{store, train}}, {ImageSet{store, validation}}, p, aug, u"bench"_qs, output);
        if (!r)
            bench::die(r.errorMessage());
        const double total = r->decodeSeconds + r->modelSeconds;
        bench::out() << what << ", " << threads << " thread(s): " << qRound(r->training.samplesPerSecond)
                     << " training images/s (" << r->trainImages << " images x " << r->training.history.size()
                     << " epochs, validation " << r->validationImages << " images each epoch); decode + preprocess + "
                     << "augment " << r->decodeSeconds << " s (" << qRound(100 * r->decodeSeconds / total)
                     << " %), model " << r->modelSeconds << " s (" << qRound(100 * r->modelSeconds / total)
                     << " %); best validation accuracy "
                     << r->training.history[size_t(r->training.bestEpoch - 1)].validationAccuracy.value_or(0) << "\n";
        bench::out().flush();
    }
}

} // namespace

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv); // image format plugins (JPEG)
    const int epochs = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 3;
    QTemporaryDir dir;
    QProcess python;
    python.start(u"/usr/bin/python3"_qs, {QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/make_digits_cnn.py"),
                                          u"images"_qs, u"--out"_qs, dir.path()});
    if (!python.waitForFinished(300000) || python.exitCode() != 0)
        bench::die(u"make_digits_cnn.py images failed: "_qs + QString::fromLocal8Bit(python.readAllStandardError()));
    QStringList classes;
    for (int c = 0; c < 10; ++c)
        classes << QString::number(c);
    const QString reference = dir.filePath(u"reference"_qs);
    const QString holdout = dir.filePath(u"holdout"_qs);
    auto train = listLabelledImages(reference, classes);
    auto validation = listLabelledImages(holdout, classes);
    if (!train || !validation)
        bench::die(train ? validation.errorMessage() : train.errorMessage());
    // One store over both folders: keys "reference/3/d0042.png" and "holdout/...".
    const auto under = [](const QString &folder, std::vector<ImageItem> items) {
        for (ImageItem &item : items)
            item.key = folder + u'/' + item.key;
        return items;
    };
    const QString output = dir.filePath(u"bench.pt"_qs);
    run(ImageStoreConfig{u"folder"_qs, dir.path()}, under(u"reference"_qs, train->items),
        under(u"holdout"_qs, validation->items), epochs, output, u"digits_cnn, 32×32 PNG"_qs);

    // The same images as 256 x 256 JPEG: decoding and resizing now weigh more.
    const QString large = dir.filePath(u"large"_qs);
    for (const QString &folder : {u"reference"_qs, u"holdout"_qs})
        for (const ImageItem &item : (folder == u"reference"_qs ? train : validation)->items) {
            QImage image(QDir(dir.filePath(folder)).filePath(item.key));
            const QString to = QDir(large).filePath(folder + u'/' + item.key.chopped(4) + u".jpg"_qs);
            QDir().mkpath(QFileInfo(to).path());
            if (!image.scaled(256, 256, Qt::IgnoreAspectRatio, Qt::SmoothTransformation).save(to, "JPEG", 90))
                bench::die(u"cannot write "_qs + to);
        }
    const auto jpeg = [](std::vector<ImageItem> items) {
        for (ImageItem &item : items)
            item.key = item.key.chopped(4) + u".jpg"_qs;
        return items;
    };
    run(ImageStoreConfig{u"folder"_qs, large}, jpeg(under(u"reference"_qs, train->items)),
        jpeg(under(u"holdout"_qs, validation->items)), epochs, output, u"digits_cnn, 256×256 JPEG"_qs);
    return 0;
}
