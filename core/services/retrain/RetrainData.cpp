// The retraining data: the window of the prediction log joined with outcomes (EvaluationData), rows with
// missing values left out, split by TIME (the newest rows are the holdout, never trained on), and the
// requests that received negative feedback marked (they weigh double in training, see RetrainRunner.cpp).
#include "core/services/retrain/RetrainInternal.h"

#include "core/domain/Deployment.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/EvaluationData.h"
#include "core/store/pg/RetrainStore.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace mldeck::retrain {

QJsonObject RetrainRequest::toJson() const
{
    return {{QStringLiteral("days_back"), daysBack},
            {QStringLiteral("holdout_fraction"), holdoutFraction},
            {QStringLiteral("validation_fraction"), validationFraction},
            {QStringLiteral("include_feedback"), includeFeedback},
            {QStringLiteral("training"), training.toJson()},
            {QStringLiteral("augmentation"), augmentation.toJson()},
            {QStringLiteral("force"), force},
            {QStringLiteral("dry_run"), dryRun},
            {QStringLiteral("min_improvement"), minImprovement}};
}

namespace detail {

Status validateRequest(const RetrainRequest &r)
{
    if (!isValidDeploymentName(r.deployment))
        return Error{ServiceText::tr("\"%1\" is not a valid deployment name.").arg(r.deployment)};
    if (r.daysBack < 1 || r.daysBack > 3650)
        return Error{ServiceText::tr("Days back must be between 1 and 3650 (got %1).").arg(r.daysBack)};
    if (!(r.holdoutFraction >= 0.05 && r.holdoutFraction <= 0.5))
        return Error{
            ServiceText::tr("The holdout share must be between 5 % and 50 % (got %1 %).").arg(r.holdoutFraction * 100)};
    if (!(r.validationFraction >= 0.05 && r.validationFraction <= 0.5))
        return Error{ServiceText::tr("The validation share must be between 5 % and 50 % (got %1 %).")
                         .arg(r.validationFraction * 100)};
    if (!(r.minImprovement >= 0 && r.minImprovement < 1))
        return Error{ServiceText::tr("The minimum improvement must be between 0 % and 100 % (got %1 %).")
                         .arg(r.minImprovement * 100)};
    if (r.bootstrapResamples < 100 || r.bootstrapResamples > 100000)
        return Error{ServiceText::tr("Bootstrap resamples must be between 100 and 100000.")};
    if (!classificationMetricOf(r.classificationMetric))
        return Error{ServiceText::tr("The decision metric of a classifier must be \"accuracy\" or \"log_loss\" (got "
                                     "\"%1\").")
                         .arg(r.classificationMetric)};
    return r.training.validate();
}

Dataset subset(const Dataset &data, const std::vector<qint64> &rows)
{
    Dataset out;
    out.source = data.source;
    out.header = data.header;
    out.notes = data.notes;
    out.target.reserve(rows.size());
    for (qint64 i : rows)
        out.target.push_back(data.target[size_t(i)]);
    if (!data.tsMicros.empty()) {
        out.tsMicros.reserve(rows.size());
        for (qint64 i : rows)
            out.tsMicros.push_back(data.tsMicros[size_t(i)]);
    }
    for (auto it = data.numeric.cbegin(); it != data.numeric.cend(); ++it) {
        std::vector<float> &col = out.numeric[it.key()];
        col.reserve(rows.size());
        for (qint64 i : rows)
            col.push_back(it.value()[size_t(i)]);
    }
    for (auto it = data.categorical.cbegin(); it != data.categorical.cend(); ++it) {
        CategoricalColumn &col = out.categorical[it.key()];
        col.levels = it.value().levels;
        col.codes.reserve(rows.size());
        for (qint64 i : rows)
            col.codes.push_back(it.value().codes[size_t(i)]);
    }
    return out;
}

Result<Window> loadWindow(PgConnection &pg, const RetrainRequest &request, const std::atomic<bool> *cancel)
{
    if (Status s = validateRequest(request); !s)
        return s.error();
    Window w;
    const auto deployment = DeploymentStore(pg).show(request.deployment);
    if (!deployment)
        return deployment.error();
    w.classifier = deployment->task == QLatin1String("classification");
    w.classSpec = deployment->classSpec;
    if (w.classifier && !w.classSpec.validate())
        return Error{ServiceText::tr("Classification deployment \"%1\" has no valid classes to retrain with: %2")
                         .arg(request.deployment, w.classSpec.validate().errorMessage())};
    w.toMicros = QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() * 1000 + 1000;
    w.fromMicros = w.toMicros - qint64(request.daysBack) * 86'400'000'000LL;
    if (deployment->isImage())
        return loadImageWindow(pg, request, w.classSpec, w.fromMicros, w.toMicros, cancel);
    auto loaded = EvaluationData(pg).load(request.deployment, w.fromMicros, w.toMicros);
    if (!loaded)
        return loaded.error();
    if (cancel && cancel->load())
        return Error{ServiceText::tr("cancelled")};
    Dataset all = std::move(loaded).value();
    DataSummary &s = w.summary;

    // Rows with a missing (non-finite) feature value cannot be trained on: left out, counted per feature.
    // A classifier's rows need a label that is one of its class indices.
    std::vector<qint64> clean;
    clean.reserve(size_t(all.rowCount()));
    qint64 notAClass = 0;
    for (qint64 i = 0; i < all.rowCount(); ++i) {
        const double y = all.target[size_t(i)];
        bool ok = std::isfinite(y);
        if (ok && w.classifier && (y != std::floor(y) || y < 0 || y >= w.classSpec.count())) {
            ok = false;
            ++notAClass;
        }
        for (auto it = all.numeric.cbegin(); it != all.numeric.cend(); ++it)
            if (!std::isfinite(it.value()[size_t(i)])) {
                ok = false;
                s.missingByFeature[it.key()] += 1;
            }
        if (ok)
            clean.push_back(i);
    }
    w.data = qint64(clean.size()) == all.rowCount() ? std::move(all) : subset(all, clean);
    const qint64 n = w.data.rowCount();
    s.notes = w.data.notes;
    for (auto it = s.missingByFeature.cbegin(); it != s.missingByFeature.cend(); ++it)
        s.notes << ServiceText::tr("%1 rows left out: feature \"%2\" was missing.").arg(it.value()).arg(it.key());
    if (notAClass > 0)
        s.notes << ServiceText::tr("%1 rows left out: their label is not a class index from 0 to %2.")
                       .arg(notAClass)
                       .arg(w.classSpec.count() - 1);

    constexpr qint64 kMinRows = 100;
    if (n < kMinRows)
        return Error{ServiceText::tr(
                         "The last %1 days of \"%2\" hold %3 rows with an outcome; at least %4 are needed to retrain.")
                         .arg(request.daysBack)
                         .arg(request.deployment)
                         .arg(n)
                         .arg(kMinRows)};

    // Time-based split: EvaluationData returns rows ordered by time.
    const qint64 holdout = std::max<qint64>(1, qint64(std::llround(double(n) * request.holdoutFraction)));
    const qint64 rest = n - holdout;
    const qint64 validation = std::max<qint64>(1, qint64(std::llround(double(rest) * request.validationFraction)));
    w.trainEnd = rest - validation;
    w.holdoutBegin = rest;

    // Requests with negative feedback (first prediction of the request, matched by its timestamp).
    const auto negativeTs = RetrainStore(pg).negativeFeedbackTimes(request.deployment, w.fromMicros, w.toMicros);
    if (!negativeTs)
        return negativeTs.error();
    w.negative.assign(size_t(n), 0);
    for (qint64 i = 0; i < n && !w.data.tsMicros.empty(); ++i)
        if (negativeTs->contains(w.data.tsMicros[size_t(i)])) {
            w.negative[size_t(i)] = 1;
            ++s.feedbackRows;
        }

    s.from = QDateTime::fromMSecsSinceEpoch(w.fromMicros / 1000, Qt::UTC);
    s.to = QDateTime::fromMSecsSinceEpoch(w.toMicros / 1000, Qt::UTC);
    if (!w.data.tsMicros.empty())
        s.holdoutFrom = QDateTime::fromMSecsSinceEpoch(w.data.tsMicros[size_t(w.holdoutBegin)] / 1000, Qt::UTC);
    s.rows = n;
    s.trainRows = w.trainEnd;
    s.validationRows = w.holdoutBegin - w.trainEnd;
    s.holdoutRows = n - w.holdoutBegin;
    const auto [lo, hi] = std::minmax_element(w.data.target.begin(), w.data.target.end());
    s.targetMin = *lo;
    s.targetMax = *hi;
    double sum = 0, sq = 0;
    for (double v : w.data.target)
        sum += v;
    s.targetMean = sum / double(n);
    for (double v : w.data.target)
        sq += (v - s.targetMean) * (v - s.targetMean);
    s.targetStd = n > 1 ? std::sqrt(sq / double(n - 1)) : 0;
    if (w.classifier) {
        s.classes = w.classSpec.classes;
        s.classCounts.assign(size_t(w.classSpec.count()), 0);
        for (double v : w.data.target)
            s.classCounts[size_t(v)] += 1;
    } else {
        s.targetHistogram.assign(20, 0);
        const double width = (s.targetMax - s.targetMin) / 20.0;
        for (double v : w.data.target) {
            const int bin = width > 0 ? std::clamp(int((v - s.targetMin) / width), 0, 19) : 0;
            s.targetHistogram[size_t(bin)] += 1;
        }
    }
    if (request.includeFeedback && s.feedbackRows > 0)
        s.notes << ServiceText::tr("%1 rows with negative feedback weigh double in training.").arg(s.feedbackRows);
    return w;
}

} // namespace detail

Result<DataSummary> summarizeData(PgConnection &pg, const RetrainRequest &request)
{
    auto w = detail::loadWindow(pg, request);
    if (!w)
        return w.error();
    return w->summary;
}

} // namespace mldeck::retrain
