#include "core/services/CompareImages.h"

#include "core/Text.h"
#include "core/ml/ImageEvaluation.h"
#include "core/ml/ModelRunner.h"
#include "core/services/CompareService.h"
#include "core/services/KeptPgConnection.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/EvaluationData.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <map>

namespace mldeck::compare {

namespace {

Result<ImageSource> folderSource(const QString &path, const ClassSpec &classes)
{
    const QString root = QFileInfo(path).absoluteFilePath();
    auto listed = listLabelledImages(root, classes.classes);
    if (!listed)
        return listed.error();
    if (listed->items.empty())
        return Error{ServiceText::tr("%1 holds no image in a class subfolder (%2).")
                         .arg(root, classes.classes.join(QStringLiteral(", ")))};
    ImageStoreConfig config;
    config.root = root;
    auto store = openImageStore(config);
    if (!store)
        return store.error();
    ImageSource s;
    s.store = std::move(store).value();
    s.storeConfig = config.toJson();
    s.items = std::move(listed.value().items);
    s.description = ServiceText::tr("labelled folder %1").arg(QDir::toNativeSeparators(root));
    s.notes = listed->notes;
    return s;
}

// The deployment's labelled image predictions of the window, read through its image store.
Result<ImageSource> loggedImageSource(const CompareRequest &req, const ClassSpec &classes, KeptPgConnection &pg)
{
    if (!req.pg)
        return Error{ServiceText::tr("A time window needs a PostgreSQL connection.")};
    auto conn = pg.get(*req.pg);
    if (!conn)
        return conn.error();
    EvaluationData data(**conn);
    QString deployment = req.deployment;
    if (deployment.isEmpty()) {
        auto sole = data.soleDeployment();
        if (!sole)
            return sole.error();
        deployment = sole.value();
    }
    DeploymentStore deployments(**conn);
    // Outcomes are class indexes of the deployment's list: a model of other classes (or another order) would be
    // scored against the wrong labels.
    auto shown = deployments.show(deployment);
    if (!shown)
        return shown.error();
    if (shown->classSpec.classes != classes.classes)
        return Error{ServiceText::tr("The model's classes (%1) differ from those of deployment \"%2\" (%3): its "
                                     "logged outcomes cannot be scored against this model.")
                         .arg(classes.classes.join(QStringLiteral(", ")), deployment,
                              shown->classSpec.classes.join(QStringLiteral(", ")))};
    auto config = deployments.images(deployment);
    if (!config)
        return config.error();
    auto store = openImageStore(config->store);
    if (!store)
        return Error{ServiceText::tr("The image store of \"%1\": %2").arg(deployment, store.errorMessage())};
    const qint64 end = req.windowEndMicros > 0 ? req.windowEndMicros : QDateTime::currentMSecsSinceEpoch() * 1000;
    auto labelled = data.loadImageLabels(deployment, classes.count(), end - req.windowSeconds * 1'000'000, end);
    if (!labelled)
        return labelled.error();
    ImageSource s;
    s.store = std::move(store).value();
    s.storeConfig = config->store.toJson();
    s.items = std::move(labelled.value().items);
    s.description = ServiceText::tr("%1, labelled image predictions, %2").arg(deployment, s.store->describe());
    s.notes = labelled->notes;
    return s;
}

// "32×32 (998 images)", most frequent first, at most kShownSizes of them; a size met by few images names
// them, so an odd one can be found.
QStringList sizeNotes(const std::vector<QSize> &sizes, const std::vector<qint64> &rows,
                      const std::vector<ImageItem> &items)
{
    constexpr size_t kShownSizes = 8;
    std::map<std::pair<int, int>, std::vector<qint64>> bySize;
    for (size_t i = 0; i < sizes.size() && i < rows.size(); ++i)
        bySize[{sizes[i].width(), sizes[i].height()}].push_back(rows[i]);
    if (bySize.size() < 2)
        return {};
    std::vector<std::pair<std::pair<int, int>, std::vector<qint64>>> ordered(bySize.begin(), bySize.end());
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto &a, const auto &b) { return a.second.size() > b.second.size(); });
    QStringList parts;
    for (size_t k = 0; k < ordered.size() && k < kShownSizes; ++k) {
        const auto &[size, at] = ordered[k];
        QString part = ServiceText::tr("%1×%2 (%n image(s)", nullptr, int(at.size())).arg(size.first).arg(size.second);
        if (at.size() <= 3) {
            QStringList named;
            for (qint64 r : at)
                named << items[size_t(r)].key;
            part += QStringLiteral(": ") + named.join(QStringLiteral(", "));
        }
        parts << part + QLatin1Char(')');
    }
    if (ordered.size() > kShownSizes)
        parts << ServiceText::tr("%n other size(s)", nullptr, int(ordered.size() - kShownSizes));
    return {ServiceText::tr("The images have %1 sizes, each resized to the model's input: %2.")
                .arg(bySize.size())
                .arg(parts.join(QStringLiteral("; ")))};
}

} // namespace

Result<ImageSource> loadImageSource(const CompareRequest &req, const ClassSpec &classes, KeptPgConnection &pg)
{
    if (!req.imagesPath.isEmpty())
        return folderSource(req.imagesPath, classes);
    return loggedImageSource(req, classes, pg);
}

Status evaluateImageModels(const CompareRequest &req, const std::vector<ImageModel> &models, const ImageSource &source,
                           stats::ComparisonReport &rep, const std::atomic<bool> *cancel,
                           const std::function<void(int, const QString &)> &report)
{
    const int evalSpan = models.size() > 1 ? 60 : 85;
    std::vector<ImageEvaluationResult> results;
    for (size_t k = 0; k < models.size(); ++k) {
        const ImageModel &m = models[k];
        const int base = 15 + int(k) * evalSpan / int(models.size());
        ImageEvaluationOptions opt;
        opt.threads = req.threads;
        opt.latencySamples = req.latencySamples;
        opt.cancel = cancel;
        opt.progress = [&](qint64 done, qint64 total) {
            report(base + int(double(done) / double(total) * evalSpan / double(models.size())),
                   ServiceText::tr("Evaluating %1").arg(m.label));
        };
        auto r = evaluateImages(*m.runner, *source.store, source.items, opt);
        if (!r)
            return Error{ServiceText::tr("%1: %2").arg(m.label, r.errorMessage())};
        if (r->cancelled)
            return {};
        results.push_back(std::move(r).value());
    }

    // The rows: the images every model saw (all of them unless an image changed during the run).
    std::vector<int> seen(source.items.size(), 0);
    for (const ImageEvaluationResult &r : results)
        for (qint64 i : r.evaluated)
            ++seen[size_t(i)];
    stats::ImageRows images;
    images.store = source.storeConfig;
    for (const SkippedImage &s : results.front().skipped)
        images.skipped.push_back(s);
    // An image that changed during the run: the reason of the model that could not read it.
    std::map<QString, QString> laterReasons;
    for (size_t k = 1; k < results.size(); ++k)
        for (const SkippedImage &s : results[k].skipped)
            laterReasons.emplace(s.key, s.reason);
    std::vector<qint64> kept;
    for (size_t i = 0; i < seen.size(); ++i) {
        if (seen[i] == int(models.size())) {
            kept.push_back(qint64(i));
        } else if (seen[i] > 0) {
            const auto reason = laterReasons.find(source.items[i].key);
            images.skipped.push_back({source.items[i].key, reason != laterReasons.end()
                                                               ? reason->second
                                                               : ServiceText::tr("not read by every model")});
        }
    }
    if (kept.empty()) {
        QStringList first;
        for (size_t i = 0; i < images.skipped.size() && i < 3; ++i)
            first << images.skipped[i].key + QStringLiteral(": ") + images.skipped[i].reason;
        return Error{ServiceText::tr("None of the %n image(s) could be used (%1).", nullptr, int(source.items.size()))
                         .arg(first.join(QStringLiteral("; ")))};
    }
    for (qint64 i : kept) {
        images.keys << source.items[size_t(i)].key;
        rep.actual.push_back(source.items[size_t(i)].label);
    }
    rep.rows = qint64(kept.size());
    std::vector<int> actual(rep.actual.begin(), rep.actual.end());
    if (!images.skipped.empty())
        rep.notes << ServiceText::tr("%n image(s) could not be read and were left out (listed by key with the reason).",
                                     nullptr, int(images.skipped.size()));

    for (size_t k = 0; k < models.size(); ++k) {
        const ImageEvaluationResult &r = results[k];
        const ClassSpec &spec = models[k].runner->info().classSpec;
        const size_t K = size_t(r.probabilities.classes);
        std::vector<qint64> rowOf(source.items.size(), -1);
        for (size_t j = 0; j < r.evaluated.size(); ++j)
            rowOf[size_t(r.evaluated[j])] = qint64(j);
        std::vector<double> probabilities;
        std::vector<double> scores;
        probabilities.reserve(kept.size() * K);
        for (qint64 i : kept) {
            const std::span<const double> p = r.probabilities.row(size_t(rowOf[size_t(i)]));
            probabilities.insert(probabilities.end(), p.begin(), p.end());
            scores.push_back(spec.isBinary() ? p[1] : p[size_t(spec.decide(p))]);
        }
        stats::ModelSummary s;
        s.label = models[k].label;
        s.path = models[k].runner->info().path;
        s.version = models[k].runner->info().version;
        s.regression = stats::regressionMetrics(scores, rep.actual);
        s.classification = stats::classifierMetrics(spec, probabilities, actual);
        s.rowsPerSecond = r.imagesPerSecond;
        s.latencyP50Ms = r.latencyP50Ms;
        s.latencyP99Ms = r.latencyP99Ms;
        rep.notes << ServiceText::tr("%1: %2 images/s; reading, decoding and preprocessing %3 s, model %4 s.")
                         .arg(s.label)
                         .arg(r.imagesPerSecond, 0, 'f', 0)
                         .arg(r.readSeconds, 0, 'f', 2)
                         .arg(r.modelSeconds, 0, 'f', 2);
        rep.models.push_back(s);
        rep.predictions.push_back(std::move(scores));
        rep.probabilities.push_back(std::move(probabilities));
        rep.classSpecs.push_back(spec);
    }
    rep.notes << sizeNotes(results.front().sizes, results.front().evaluated, source.items);

    // Where the models differ: accuracy per true class.
    rep.segmentMetric = QStringLiteral("accuracy");
    std::vector<std::vector<double>> hits;
    for (size_t k = 0; k < models.size(); ++k)
        hits.push_back(stats::rowHits(rep.classSpecs[k], rep.probabilities[k], actual));
    rep.segments = stats::segmentBreakdown(ServiceText::tr("true class"), actual, rep.classSpec.classes, hits);
    rep.images = std::move(images);
    return {};
}

} // namespace mldeck::compare
