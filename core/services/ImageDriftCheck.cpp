#include "core/services/ImageDriftCheck.h"

#include "core/Text.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/LabelledImages.h"
#include "core/services/DriftReferenceSource.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"

#include <QCoreApplication>

namespace mldeck {

namespace {

// A side's image statistics: the keys measured through the store (none read when the store cannot be opened).
ImageSample measureSide(const Result<std::unique_ptr<ImageStore>> &store, const QStringList &keys,
                        ImageStatsCache *cache, const QString &source, qint64 population)
{
    ImageSample sample;
    if (store) {
        sample = measureImages(**store, keys, cache);
    } else {
        sample.stats = emptyImageStats();
        sample.info.sampled = keys.size();
        sample.info.problem = store.errorMessage();
    }
    sample.info.source = source;
    sample.info.population = population;
    return sample;
}

// The reference's image keys: a sample of the reference's logged predictions, or of the deployment's
// reference set folder when those are not usable (a snapshot keeps no image keys; a reference logged
// before image keys were has too few). Without a reference set, the logged keys there are.
Result<ImageSample> measureReferenceImages(DriftData &data, const QString &deployment, const FeatureSchema &schema,
                                           const DeploymentInfo &info, const ReferenceSource &source,
                                           const drift::DriftConfig &cfg,
                                           const Result<std::unique_ptr<ImageStore>> &store, ImageStatsCache *cache)
{
    DriftData::ImageKeySample logged;
    QString why;
    if (source.kind == ReferenceSource::Kind::Snapshot) {
        why = ServiceText::tr("a snapshot keeps no image keys");
    } else {
        auto keys = source.kind == ReferenceSource::Kind::FirstRows
                        ? data.sampleFirstImageKeys(deployment, schema, source.rows, cfg.imageSample)
                        : data.sampleImageKeys(deployment, schema, source.from, source.to, cfg.imageSample);
        if (!keys)
            return keys.error();
        logged = std::move(keys).value();
        if (qint64(logged.keys.size()) < cfg.options.minSamples)
            why =
                ServiceText::tr("the reference's predictions have %Ln image key(s)", nullptr, int(logged.keys.size()));
    }
    const QString folder = info.images ? info.images->referenceSet : QString();
    if (why.isEmpty() || folder.isEmpty())
        return measureSide(store, logged.keys, cache,
                           why.isEmpty() ? ServiceText::tr("the reference's logged images")
                                         : ServiceText::tr("the reference's logged images (%1; no reference set "
                                                           "to fall back on)")
                                               .arg(why),
                           logged.population);
    const QString what = ServiceText::tr("the reference set %1 (%2)").arg(folder, why);
    auto listed = listLabelledImages(folder, info.classSpec.classes);
    if (!listed)
        return measureSide(Error{listed.error()}, {}, cache, what, 0);
    QStringList keys;
    for (const ImageItem &item : listed->items)
        keys << item.key;
    const qint64 population = keys.size();
    const FolderImageStore folderStore(folder);
    ImageSample sample = measureImages(folderStore, sampleKeysByHash(std::move(keys), cfg.imageSample), cache);
    sample.info.source = what;
    sample.info.population = population;
    return sample;
}

} // namespace

Result<ImageSides> measureImageSides(DriftData &data, const QString &deployment, const FeatureSchema &schema,
                                     const DeploymentInfo &info, const ReferenceSource &source, qint64 fromMicros,
                                     qint64 toMicros, const drift::DriftConfig &cfg, ImageStatsCache *cache)
{
    const Result<std::unique_ptr<ImageStore>> store =
        info.images ? openImageStore(info.images->store)
                    : Result<std::unique_ptr<ImageStore>>(Error{ServiceText::tr("the image configuration of \"%1\" "
                                                                                "does not read: %2")
                                                                    .arg(deployment, info.imagesError)});
    auto keys = data.sampleImageKeys(deployment, schema, fromMicros, toMicros, cfg.imageSample);
    if (!keys)
        return keys.error();
    ImageSample current =
        measureSide(store, keys->keys, cache, ServiceText::tr("the window's logged images"), keys->population);
    auto reference = measureReferenceImages(data, deployment, schema, info, source, cfg, store, cache);
    if (!reference)
        return reference.error();
    ImageSides sides;
    sides.report.sampleSize = cfg.imageSample;
    sides.report.store = store ? (*store)->describe() : info.images ? info.images->store.root : QString();
    sides.report.current = std::move(current.info);
    sides.report.reference = std::move(reference.value().info);
    sides.current = std::move(current.stats);
    sides.reference = std::move(reference.value().stats);
    return sides;
}

} // namespace mldeck
