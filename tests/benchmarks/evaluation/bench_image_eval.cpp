// Offline evaluation of an image classifier (prints figures; never asserts speed): images per second
// through evaluateImages (read + decode + preprocess in this process, the model in its worker), with 1
// and 2 threads, and the split between reading/decoding/preprocessing and the model.
//  1. the demo CNN (resources/models/digits_cnn.pt, input 1 x 16 x 16) on scikit-learn's digits as the
//     32 x 32 PNG files make_digits_cnn.py writes;
//  2. the same digits as 256 x 256 JPEG files (written here): what a photo-sized input costs to decode;
//  3. memory: a 3 x 224 x 224 input model over 2,000 images (1.1 GB of tensors), peak resident sizes.
// Usage: bench_image_eval [passes over the reference set (default 4)]
#include "core/ml/ImageEvaluation.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/LabelledImages.h"
#include "tests/support/BenchOutput.h"
#include "tests/support/PeakMemory.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>

using namespace mldeck;

namespace {

const QStringList kClasses{u"0"_qs, u"1"_qs, u"2"_qs, u"3"_qs, u"4"_qs, u"5"_qs, u"6"_qs, u"7"_qs, u"8"_qs, u"9"_qs};

void run(ModelRunner &model, const QString &root, const std::vector<ImageItem> &items, const QString &what)
{
    const FolderImageStore store(root);
    for (int threads : {1, 2}) {
        ImageEvaluationOptions o;
        o.threads = threads;
        o.latencySamples = 200;
        auto r = evaluateImages(model, store, items, o);
        if (!r)
            bench::die(r.errorMessage());
        const double total = r->readSeconds + r->modelSeconds;
        bench::out() << what << ", " << threads << " thread(s): " << qRound(r->imagesPerSecond) << " images/s over "
                     << r->evaluated.size() << " images; read + decode + preprocess " << r->readSeconds << " s ("
                     << qRound(100 * r->readSeconds / total) << " %), model " << r->modelSeconds << " s ("
                     << qRound(100 * r->modelSeconds / total) << " %); one image p50 " << r->latencyP50Ms << " ms, p99 "
                     << r->latencyP99Ms << " ms; skipped " << r->skipped.size() << "\n";
        bench::out().flush();
    }
}

// Streaming: a model of large input (3 × 224 × 224, test_retrain_images' fixture) over 2,000 images whose
// tensors would take 1.1 GB; the peaks of this process (from just before the run) and of the worker.
void boundedMemory(const QString &scratch)
{
    constexpr int kImages = 2000;
    const QString out = scratch + u"/big"_qs;
    QDir().mkpath(out);
    QProcess python;
    python.start(u"/usr/bin/python3"_qs,
                 {QStringLiteral(MLDECK_SOURCE_DIR "/tests/integration/retrain/make_big_input_cnn.py"), out,
                  QString::number(kImages)});
    if (!python.waitForFinished(300000) || python.exitCode() != 0)
        bench::die(u"make_big_input_cnn.py failed: "_qs + QString::fromLocal8Bit(python.readAllStandardError()));
    std::vector<ImageItem> items;
    for (int i = 0; i < kImages; ++i)
        items.push_back(ImageItem{QStringLiteral("%1/%2.png").arg(i % 10).arg(i), i % 10});
    auto model = ModelRunner::load(out + u"/big_cnn.pt"_qs);
    if (!model)
        bench::die(model.errorMessage());
    const FolderImageStore store(out + u"/images"_qs);
    if (!test::resetPeakResident())
        bench::die(u"cannot reset the peak resident size (/proc/self/clear_refs)"_qs);
    const qint64 before = test::peakResidentMb();
    qint64 worker = 0;
    ImageEvaluationOptions o;
    o.progress = [&](qint64, qint64) { worker = std::max(worker, test::peakResidentMb(model.value()->workerPid())); };
    QElapsedTimer t;
    t.start();
    auto r = evaluateImages(*model.value(), store, items, o);
    if (!r)
        bench::die(r.errorMessage());
    worker = std::max(worker, test::peakResidentMb(model.value()->workerPid()));
    const qint64 tensors = qint64(kImages) * 3 * 224 * 224 * qint64(sizeof(float)) / (1024 * 1024);
    bench::out() << "3×224×224 input, " << r->evaluated.size() << " images in " << t.elapsed() / 1000.0
                 << " s: all their tensors would take " << tensors << " MB; this process's peak resident size grew "
                 << "by " << test::peakResidentMb() - before << " MB (from " << before << " MB), the worker's peak "
                 << worker << " MB\n";
}

} // namespace

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv); // image format plugins (JPEG)
    const int passes = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 4;
    QTemporaryDir dir;
    QProcess python;
    python.start(u"/usr/bin/python3"_qs, {QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/make_digits_cnn.py"),
                                          u"images"_qs, u"--out"_qs, dir.path()});
    if (!python.waitForFinished(300000) || python.exitCode() != 0)
        bench::die(u"make_digits_cnn.py images failed: "_qs + QString::fromLocal8Bit(python.readAllStandardError()));
    const QString reference = dir.filePath(u"reference"_qs);
    auto listed = listLabelledImages(reference, kClasses);
    if (!listed)
        bench::die(listed.errorMessage());
    std::vector<ImageItem> items;
    for (int p = 0; p < passes; ++p)
        items.insert(items.end(), listed->items.begin(), listed->items.end());

    auto model = ModelRunner::load(QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/digits_cnn.pt"));
    if (!model)
        bench::die(model.errorMessage());
    run(*model.value(), reference, items, u"digits_cnn, 32×32 PNG"_qs);

    // The same images as 256 x 256 JPEG: decoding and resizing now dominate.
    const QString large = dir.filePath(u"large"_qs);
    for (const ImageItem &item : listed->items) {
        QImage image(QDir(reference).filePath(item.key));
        const QString to = QDir(large).filePath(item.key.chopped(4) + u".jpg"_qs);
        QDir().mkpath(QFileInfo(to).path());
        if (!image.scaled(256, 256, Qt::IgnoreAspectRatio, Qt::SmoothTransformation).save(to, "JPEG", 90))
            bench::die(u"cannot write "_qs + to);
    }
    std::vector<ImageItem> largeItems;
    for (int p = 0; p < passes; ++p)
        for (const ImageItem &item : listed->items)
            largeItems.push_back({item.key.chopped(4) + u".jpg"_qs, item.label});
    run(*model.value(), large, largeItems, u"digits_cnn, 256×256 JPEG"_qs);
    boundedMemory(dir.path());
    return 0;
}
