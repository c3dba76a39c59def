#pragma once

#include "core/domain/SkippedImage.h"
#include "core/ml/image/ImagePipeline.h"
#include "core/stats/drift/DriftEngine.h"

#include <QCache>
#include <QJsonObject>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <vector>

namespace mldeck {

class ImageStore;

// Drift of an image deployment: its "features" are statistics MLDeck computes from the images themselves
// (brightness, contrast, width, height: ImageStats of the decoded image, before resizing), measured on a
// bounded sample of image keys read through the deployment's image store (resources/contract/drift.md).

// The image statistics as drift columns (pseudo-features, like __prediction__).
inline const QString kDriftImageBrightness = QStringLiteral("__image_brightness__");
inline const QString kDriftImageContrast = QStringLiteral("__image_contrast__");
inline const QString kDriftImageWidth = QStringLiteral("__image_width__");
inline const QString kDriftImageHeight = QStringLiteral("__image_height__");
// The four, in this order.
QStringList imageDriftFeatures();
bool isImageDriftFeature(const QString &feature);

// Where a side's image statistics come from and how many images they cover.
struct ImageSampleInfo
{
    QString source;        // for people: "the window's logged images", "the reference set folder /data/ref"
    qint64 population = 0; // keys the sample was drawn from
    qint64 sampled = 0;    // keys in the sample
    qint64 read = 0;       // of which measured
    qint64 unreadable() const { return sampled - read; }
    std::vector<SkippedImage> skipped; // the first kListedSkips unreadable ones, with their reasons
    QString problem;                   // set when no image could be read at all (the store cannot be opened...)

    static constexpr int kListedSkips = 20;
};

// An image deployment's image statistics in a drift check: each side is a sample of at most `sampleSize`
// images read through its store.
struct ImageDriftReport
{
    qint64 sampleSize = 0; // the "image_sample" drift setting
    QString store;         // the deployment's image store, for people
    ImageSampleInfo current, reference;
};

// For people (`drift check`, the guard's log): what the image statistics were computed from, then each
// unreadable image listed with its reason.
QStringList imageDriftTextLines(const ImageDriftReport &report);
// `drift check --json`'s "images": {"sample_size", "store", "current": {"source", "population", "sampled",
// "read", "unreadable", "skipped": [{"key", "reason"}], "problem"?}, "reference": {...}}.
QJsonObject toJson(const ImageDriftReport &report);
// "computed from 1,998 of 2,000 sampled images (2 unreadable)": one side, short (the drift page, the guard).
QString imageSampleSummary(const ImageSampleInfo &info);

// The statistics of a sample of images: one row per image read, the unreadable ones counted.
struct ImageSample
{
    drift::Dataset stats; // the imageDriftFeatures() columns, one row per image read, in key order
    ImageSampleInfo info;
};

// Statistics already measured, by store and key, so that the guard's next check (whose window overlaps
// this one, and whose reference is the same) decodes only new images. A key names one image: a file
// replaced under a key already measured is not seen while the entry stays cached. Thread-safe.
class ImageStatsCache final
{
public:
    // 20,000 entries (a few MB): a reference and several windows of 2,000 images, for a few deployments.
    explicit ImageStatsCache(int capacity = 20'000) { m_cache.setMaxCost(capacity); }
    bool find(const QString &store, const QString &key, ImageStats &out) const;
    void insert(const QString &store, const QString &key, const ImageStats &stats);

private:
    mutable QMutex m_mutex;
    QCache<QString, ImageStats> m_cache;
};

// The statistics' columns, empty.
drift::Dataset emptyImageStats();

// Reads and measures every key (in parallel, on Qt's global thread pool); a key that cannot be read or
// decoded is counted and listed, never stops the others. `cache` may be null. Fills info's counts and
// skipped images (its source and population are the caller's).
ImageSample measureImages(const ImageStore &store, const QStringList &keys, ImageStatsCache *cache);

// The deterministic sample of a folder's keys: the `n` keys whose MD5 is smallest (the same rule as the
// logged keys' sample, whose rows are ordered by the MD5 of their request key).
QStringList sampleKeysByHash(QStringList keys, qint64 n);

} // namespace mldeck
