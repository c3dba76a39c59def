#include "core/services/ImageDrift.h"

#include "core/Text.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/ReadInParallel.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QMutexLocker>

#include <algorithm>

namespace mldeck {

namespace {

QString cacheKey(const QString &store, const QString &key)
{
    return store + QLatin1Char('\n') + key;
}

} // namespace

QStringList imageDriftFeatures()
{
    return {kDriftImageBrightness, kDriftImageContrast, kDriftImageWidth, kDriftImageHeight};
}

bool isImageDriftFeature(const QString &feature)
{
    return imageDriftFeatures().contains(feature);
}

bool ImageStatsCache::find(const QString &store, const QString &key, ImageStats &out) const
{
    const QMutexLocker lock(&m_mutex);
    const ImageStats *s = m_cache.object(cacheKey(store, key));
    if (!s)
        return false;
    out = *s;
    return true;
}

void ImageStatsCache::insert(const QString &store, const QString &key, const ImageStats &stats)
{
    const QMutexLocker lock(&m_mutex);
    m_cache.insert(cacheKey(store, key), new ImageStats(stats));
}

drift::Dataset emptyImageStats()
{
    drift::Dataset d;
    for (const QString &name : imageDriftFeatures())
        d.columns.push_back(drift::Column{name, drift::FeatureKind::Numeric, {}, {}});
    return d;
}

ImageSample measureImages(const ImageStore &store, const QStringList &keys, ImageStatsCache *cache)
{
    const QString storeName = store.describe();
    // One image at a time per thread: its bytes and decoded pixels are dropped as soon as it is measured.
    const std::function<Result<ImageStats>(const QString &)> measure = [&](const QString &key) -> Result<ImageStats> {
        ImageStats stats;
        if (cache && cache->find(storeName, key, stats))
            return stats;
        auto bytes = store.read(key);
        if (!bytes)
            return bytes.error();
        auto measured = imageStats(*bytes);
        if (measured && cache)
            cache->insert(storeName, key, *measured);
        return measured;
    };
    const QList<Result<ImageStats>> results = readInParallel(keys, measure, QThreadPool::globalInstance());

    ImageSample sample;
    sample.stats = emptyImageStats();
    sample.info.sampled = keys.size();
    for (auto &c : sample.stats.columns)
        c.numeric.reserve(std::size_t(keys.size()));
    for (qsizetype i = 0; i < results.size(); ++i) {
        const Result<ImageStats> &r = results.at(i);
        if (!r) {
            if (sample.info.skipped.size() < std::size_t(ImageSampleInfo::kListedSkips))
                sample.info.skipped.push_back(SkippedImage{keys.at(i), r.errorMessage()});
            continue;
        }
        ++sample.info.read;
        sample.stats.columns[0].numeric.push_back(r->brightness);
        sample.stats.columns[1].numeric.push_back(r->contrast);
        sample.stats.columns[2].numeric.push_back(r->width);
        sample.stats.columns[3].numeric.push_back(r->height);
    }
    return sample;
}

QString imageSampleSummary(const ImageSampleInfo &info)
{
    if (!info.problem.isEmpty())
        return ServiceText::tr("no image read: %1").arg(info.problem);
    if (info.sampled == 0)
        return ServiceText::tr("no image to sample"); // the side's source says where none was found
    if (info.unreadable() == 0)
        return ServiceText::tr("computed from %Ln sampled image(s) of %L1", nullptr, int(info.read))
            .arg(info.population);
    return ServiceText::tr("computed from %L1 of %Ln sampled image(s) of %L2 (%L3 unreadable)", nullptr,
                           int(info.sampled))
        .arg(info.read)
        .arg(info.population)
        .arg(info.unreadable());
}

QStringList imageDriftTextLines(const ImageDriftReport &report)
{
    QStringList lines;
    lines << ServiceText::tr("Image statistics (brightness, contrast, width, height) computed by MLDeck from a "
                             "sample of at most %L1 images per side, read through %2:")
                 .arg(report.sampleSize)
                 .arg(report.store);
    // The indentation is layout, not text: outside the translated strings.
    const QString indent = QStringLiteral("  ");
    const auto side = [&](const QString &name, const ImageSampleInfo &info) {
        lines << indent + ServiceText::tr("%1: %2, %3").arg(name, info.source, imageSampleSummary(info));
        for (const SkippedImage &s : info.skipped)
            lines << indent + indent + ServiceText::tr("unreadable %1: %2").arg(s.key, s.reason);
        if (info.unreadable() > qint64(info.skipped.size()) && !info.skipped.empty())
            lines
                << indent + indent +
                       ServiceText::tr("and %L1 more unreadable").arg(info.unreadable() - qint64(info.skipped.size()));
    };
    side(ServiceText::tr("window"), report.current);
    side(ServiceText::tr("reference"), report.reference);
    return lines;
}

namespace {

QJsonObject toJson(const ImageSampleInfo &info)
{
    QJsonArray skipped;
    for (const SkippedImage &s : info.skipped)
        skipped.append(QJsonObject{{QStringLiteral("key"), s.key}, {QStringLiteral("reason"), s.reason}});
    QJsonObject o{{QStringLiteral("source"), info.source},           {QStringLiteral("population"), info.population},
                  {QStringLiteral("sampled"), info.sampled},         {QStringLiteral("read"), info.read},
                  {QStringLiteral("unreadable"), info.unreadable()}, {QStringLiteral("skipped"), skipped}};
    if (!info.problem.isEmpty())
        o.insert(QStringLiteral("problem"), info.problem);
    return o;
}

} // namespace

QJsonObject toJson(const ImageDriftReport &report)
{
    return {{QStringLiteral("sample_size"), report.sampleSize},
            {QStringLiteral("store"), report.store},
            {QStringLiteral("current"), toJson(report.current)},
            {QStringLiteral("reference"), toJson(report.reference)}};
}

QStringList sampleKeysByHash(QStringList keys, qint64 n)
{
    std::vector<std::pair<QByteArray, QString>> hashed;
    hashed.reserve(std::size_t(keys.size()));
    for (QString &k : keys)
        hashed.emplace_back(QCryptographicHash::hash(k.toUtf8(), QCryptographicHash::Md5), std::move(k));
    std::sort(hashed.begin(), hashed.end());
    QStringList out;
    for (std::size_t i = 0; i < hashed.size() && qint64(i) < n; ++i)
        out << hashed[i].second;
    return out;
}

} // namespace mldeck
