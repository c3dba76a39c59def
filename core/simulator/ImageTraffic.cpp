#include "core/simulator/ImageTraffic.h"

#include "core/Text.h"
#include "core/ml/image/ImagePipeline.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

// FNV-1a of the key: each drifted copy has its own noise, the same on every run and machine.
quint64 keySeed(const QString &key)
{
    quint64 h = 14695981039346656037ULL;
    for (const QChar c : key) {
        h ^= c.unicode();
        h *= 1099511628211ULL;
    }
    return h;
}

} // namespace

ImageTraffic::ImageTraffic(QString storeRoot, std::vector<ImageItem> pool, quint64 seed)
    : m_storeRoot(std::move(storeRoot)), m_pool(std::move(pool)), m_rng(seed)
{
}

Result<ImageTraffic> ImageTraffic::open(const QString &storeRoot, const QStringList &classes, quint64 seed)
{
    const QString live = QDir(storeRoot).filePath(QLatin1String(kLivePool));
    if (!QFileInfo(live).isDir())
        return Error{SimulatorText::tr("The image store %1 has no live pool \"%2\" (one subfolder per class) for the "
                                       "simulator to serve: make it with resources/models/make_digits_cnn.py images.")
                         .arg(storeRoot, QLatin1String(kLivePool))};
    auto listed = listLabelledImages(live, classes);
    if (!listed)
        return listed.error();
    if (listed->items.empty())
        return Error{SimulatorText::tr("The live pool %1 holds no image.").arg(live)};
    std::vector<ImageItem> pool = std::move(listed->items);
    for (ImageItem &item : pool) {
        item.key.prepend(QLatin1String(kLivePool) + QLatin1Char('/'));
        // A key the log refuses (a backslash, a control character: legal in a Linux file name) would
        // have its whole batch refused, again and again: refused here, before anything is served.
        if (Status s = checkImageKey(item.key); !s)
            return Error{SimulatorText::tr("The live pool cannot be served: %1").arg(s.errorMessage())};
    }
    return ImageTraffic(storeRoot, std::move(pool), seed);
}

QString ImageTraffic::driftKey(const QString &liveKey)
{
    return QLatin1String(kDriftFolder) + liveKey.mid(int(qstrlen(kLivePool)));
}

Status ImageTraffic::writeDriftCopies(const ImageStore &store) const
{
    const QDir root(m_storeRoot);
    for (const ImageItem &item : m_pool) {
        const QString target = root.filePath(driftKey(item.key));
        if (QFileInfo::exists(target))
            continue;
        auto bytes = store.read(item.key); // the store's own guards: no symlink escape, its size cap
        if (!bytes)
            return bytes.error();
        auto decoded = decodeImage(*bytes);
        if (!decoded)
            return Error{
                SimulatorText::tr("Cannot decode %1: %2").arg(root.filePath(item.key), decoded.errorMessage())};
        if (!QDir().mkpath(QFileInfo(target).path()))
            return Error{SimulatorText::tr("Cannot create the folder %1.").arg(QFileInfo(target).path())};
        QSaveFile out(target);
        if (!out.open(QIODevice::WriteOnly) || !drift(*decoded, keySeed(item.key)).save(&out, "PNG") || !out.commit())
            return Error{SimulatorText::tr("Cannot write %1: %2").arg(target, out.errorString())};
    }
    return {};
}

QImage ImageTraffic::drift(const QImage &image, quint64 seed)
{
    QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, kDriftNoise);
    for (int y = 0; y < gray.height(); ++y) {
        uchar *line = gray.scanLine(y);
        for (int x = 0; x < gray.width(); ++x)
            line[x] = uchar(std::clamp(std::lround(kDriftGain * line[x] + noise(rng)), 0L, 255L));
    }
    return gray;
}

ImageRequest ImageTraffic::next(qint64 tsMicros, bool drifted)
{
    const ImageItem &item = m_pool[std::uniform_int_distribution<std::size_t>(0, m_pool.size() - 1)(m_rng)];
    ImageRequest r;
    r.tsMicros = tsMicros;
    r.requestKey = QStringLiteral("img-%1").arg(++m_served);
    r.imageKey = drifted ? driftKey(item.key) : item.key;
    r.label = item.label;
    return r;
}

PreparedImages ImageTraffic::prepare(const ImageStore &store, const std::vector<ImageRequest> &requests,
                                     const std::vector<bool> &onMl, const ImageSpec &spec)
{
    PreparedImages out;
    out.batch.target.assign(requests.size(), ModelBatcher::Batch::kNone);
    out.errors.resize(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        if (!onMl[i])
            continue;
        auto bytes = store.read(requests[i].imageKey);
        auto prepared = bytes ? prepareImage(*bytes, spec) : Result<PreparedImage>(bytes.error());
        if (!prepared) {
            out.errors[i] = prepared.errorMessage();
            continue;
        }
        out.batch.target[i] = out.batch.mlCount++;
        out.chw.insert(out.chw.end(), prepared->chw.begin(), prepared->chw.end());
    }
    return out;
}

} // namespace mldeck
