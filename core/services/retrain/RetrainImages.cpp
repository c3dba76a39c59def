// Retraining an image deployment: its data are image keys, never images. The training images are the
// window's labelled predictions (read through the deployment's image store) plus the reference set; the
// holdout is the deployment's fixed holdout set, the same for every run. How and why: retrain.md,
// "Image models".
#include "core/services/retrain/RetrainInternal.h"

#include "core/ml/ImageEvaluation.h"
#include "core/ml/ModelRunner.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/EvaluationData.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <random>

namespace mldeck::retrain::detail {

namespace {

// The validation share of a set: a seeded draw, so a run is reproducible and every class is represented
// in proportion (on average) whatever the set's order.
void splitSet(const ImageStoreConfig &store, const std::vector<ImageItem> &items, double validationFraction,
              quint64 seed, ImageWindow &w)
{
    if (items.empty())
        return;
    std::vector<size_t> order(items.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    const auto validation = std::max<size_t>(1, size_t(std::llround(double(items.size()) * validationFraction)));
    ImageSet train{store, {}}, valid{store, {}};
    for (size_t i = 0; i < order.size(); ++i)
        (i < validation ? valid : train).items.push_back(items[order[i]]);
    std::sort(train.items.begin(), train.items.end(),
              [](const ImageItem &a, const ImageItem &b) { return a.key < b.key; });
    std::sort(valid.items.begin(), valid.items.end(),
              [](const ImageItem &a, const ImageItem &b) { return a.key < b.key; });
    w.trainCount += qint64(train.items.size());
    w.validationCount += qint64(valid.items.size());
    if (!train.items.empty())
        w.train.push_back(std::move(train));
    w.validation.push_back(std::move(valid));
}

// One item per image key: a live pool served repeatedly logs the same image many times, and copies on
// both sides of the split would choose the best epoch on images already trained on. The latest label
// wins (the rows come oldest first). Returns how many duplicates were merged.
qint64 keepOnePerKey(std::vector<ImageItem> &items)
{
    QHash<QString, size_t> at;
    std::vector<ImageItem> unique;
    unique.reserve(items.size());
    for (const ImageItem &item : items) {
        const auto found = at.constFind(item.key);
        if (found != at.constEnd()) {
            unique[*found].label = item.label;
            continue;
        }
        at.insert(item.key, unique.size());
        unique.push_back(item);
    }
    const auto merged = qint64(items.size() - unique.size());
    items = std::move(unique);
    return merged;
}

// A logged key whose file lies in the holdout set (a store root holding the holdout folder, or a symlink
// into it) is left out: the holdout is never trained on. A key that does not resolve stays (it is skipped,
// with its reason, when read).
qint64 dropHoldoutKeys(const ImageStoreConfig &store, const QString &holdoutSet, std::vector<ImageItem> &items)
{
    const QString holdout = QFileInfo(holdoutSet).canonicalFilePath();
    if (store.kind != QLatin1String("folder") || holdout.isEmpty())
        return 0;
    const QString prefix = holdout.endsWith(QLatin1Char('/')) ? holdout : holdout + QLatin1Char('/');
    const QDir root(store.root);
    const auto kept = std::remove_if(items.begin(), items.end(), [&](const ImageItem &item) {
        const QString path = QFileInfo(root.filePath(item.key)).canonicalFilePath();
        return !path.isEmpty() && path.startsWith(prefix);
    });
    const auto dropped = qint64(items.end() - kept);
    items.erase(kept, items.end());
    return dropped;
}

} // namespace

Result<Window> loadImageWindow(PgConnection &pg, const RetrainRequest &request, const ClassSpec &classes,
                               qint64 fromMicros, qint64 toMicros, const std::atomic<bool> *cancel)
{
    auto config = DeploymentStore(pg).images(request.deployment);
    if (!config)
        return config.error();
    if (config->holdoutSet.isEmpty())
        return Error{ServiceText::tr("Image deployment \"%1\" has no holdout set: candidate and champion are compared "
                                     "on it. Set one with `mldeckctl deployments images set`.")
                         .arg(request.deployment)};
    auto store = openImageStore(config->store);
    if (!store)
        return store.error();
    // No labelled image in the window: the reference set alone (a note says so; too few images are refused
    // by the trainer with the count).
    auto logged = EvaluationData(pg).loadImageLabels(request.deployment, classes.count(), fromMicros, toMicros, true);
    if (!logged)
        return logged.error();
    if (cancel && cancel->load())
        return Error{ServiceText::tr("cancelled")};
    LabelledImages reference;
    if (!config->referenceSet.isEmpty()) {
        auto listed = listLabelledImages(config->referenceSet, classes.classes);
        if (!listed)
            return Error{ServiceText::tr("Reference set: %1").arg(listed.errorMessage())};
        reference = std::move(listed).value();
    }
    auto holdout = listLabelledImages(config->holdoutSet, classes.classes);
    if (!holdout)
        return Error{ServiceText::tr("Holdout set: %1").arg(holdout.errorMessage())};
    if (holdout->items.empty())
        return Error{ServiceText::tr("The holdout set %1 holds no image.").arg(config->holdoutSet)};

    Window w;
    w.classifier = true;
    w.classSpec = classes;
    w.fromMicros = fromMicros;
    w.toMicros = toMicros;
    std::vector<ImageItem> windowItems = logged->items;
    const qint64 duplicates = keepOnePerKey(windowItems);
    const qint64 inHoldout = dropHoldoutKeys(config->store, config->holdoutSet, windowItems);
    ImageWindow images;
    images.config = config.value();
    splitSet(config->store, windowItems, request.validationFraction, request.training.seed, images);
    if (!reference.items.empty())
        splitSet(ImageStoreConfig{QStringLiteral("folder"), config->referenceSet}, reference.items,
                 request.validationFraction, request.training.seed + 1, images);
    images.holdout = holdout->items;

    DataSummary &s = w.summary;
    s.images = true;
    s.from = QDateTime::fromMSecsSinceEpoch(fromMicros / 1000, Qt::UTC);
    s.to = QDateTime::fromMSecsSinceEpoch(toMicros / 1000, Qt::UTC);
    s.windowImages = qint64(windowItems.size());
    s.referenceImages = qint64(reference.items.size());
    s.imageStore = store.value()->describe();
    s.referenceSet = config->referenceSet;
    s.holdoutSet = config->holdoutSet;
    s.trainRows = images.trainCount;
    s.validationRows = images.validationCount;
    s.holdoutRows = qint64(images.holdout.size());
    s.rows = s.trainRows + s.validationRows + s.holdoutRows;
    s.classes = classes.classes;
    s.classCounts.assign(size_t(classes.count()), 0);
    for (const ImageSet &set : images.train)
        for (const ImageItem &item : set.items)
            s.classCounts[size_t(item.label)] += 1;
    s.notes << logged->notes << reference.notes << holdout->notes;
    if (duplicates > 0)
        s.notes << ServiceText::tr("%n logged prediction(s) of an image already in the window were merged (one "
                                   "item per image, its latest label).",
                                   nullptr, int(duplicates));
    if (windowItems.empty())
        s.notes << ServiceText::tr("No image prediction in the window has a class as its outcome yet: the training "
                                   "images are the reference set's.");
    if (images.trainCount < kMinTrainingImages)
        s.notes << ServiceText::tr("Only %n training image(s): a run needs at least %1.", nullptr,
                                   int(images.trainCount))
                       .arg(kMinTrainingImages);
    if (inHoldout > 0)
        s.notes << ServiceText::tr("%n logged image(s) are in the holdout set and were left out.", nullptr,
                                   int(inHoldout));
    w.images = std::move(images);
    return w;
}

Result<HoldoutScores> scoreImageHoldout(ModelRunner &champion, ModelRunner &candidate, const Window &window,
                                        const std::atomic<bool> *cancel, std::vector<SkippedImage> &skipped)
{
    const ImageWindow &images = *window.images;
    const FolderImageStore store(images.config.holdoutSet);
    ImageEvaluationOptions options;
    options.cancel = cancel;
    auto candidateRun = evaluateImages(candidate, store, images.holdout, options);
    if (!candidateRun)
        return Error{ServiceText::tr("Candidate: %1").arg(candidateRun.errorMessage())};
    auto championRun = evaluateImages(champion, store, images.holdout, options);
    if (!championRun)
        return Error{ServiceText::tr("Champion: %1").arg(championRun.errorMessage())};
    if (candidateRun->cancelled || championRun->cancelled)
        return Error{ServiceText::tr("cancelled")};
    // The same pipeline reads the same files for both: they see the same images. Paired on the images both saw.
    const int k = window.classSpec.count();
    ClassProbabilities a{k, {}}, b{k, {}};
    std::vector<int> actual;
    size_t j = 0;
    for (size_t i = 0; i < candidateRun->evaluated.size(); ++i) {
        const qint64 item = candidateRun->evaluated[i];
        while (j < championRun->evaluated.size() && championRun->evaluated[j] < item)
            ++j;
        if (j == championRun->evaluated.size() || championRun->evaluated[j] != item)
            continue;
        const auto rowA = championRun->probabilities.row(j);
        const auto rowB = candidateRun->probabilities.row(i);
        a.values.insert(a.values.end(), rowA.begin(), rowA.end());
        b.values.insert(b.values.end(), rowB.begin(), rowB.end());
        actual.push_back(images.holdout[size_t(item)].label);
    }
    // Left out of the pairs: every image either model could not read (the same, unless a candidate's
    // "image" spec differs from the champion's).
    skipped = championRun->skipped;
    QSet<QString> listed;
    for (const SkippedImage &s : skipped)
        listed.insert(s.key);
    for (const SkippedImage &s : candidateRun->skipped)
        if (!listed.contains(s.key))
            skipped.push_back(s);
    if (actual.empty())
        return Error{ServiceText::tr("No holdout image could be read: %n skipped.", nullptr, int(skipped.size()))};
    return classifierScores(window.classSpec, a, b, actual);
}

} // namespace mldeck::retrain::detail
