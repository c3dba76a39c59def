#pragma once

// Shared by the retrain/*.cpp files only (not a public header).
#include "core/services/retrain/RetrainRunner.h"

#include "core/Text.h"
#include "core/domain/ClassSpec.h"
#include "core/ml/Dataset.h"

#include <QCoreApplication>

#include <atomic>
#include <vector>

namespace mldeck {
class ModelRunner;
}

namespace mldeck::retrain::detail {

// The loaded data window, time-ordered, split by time:
// [0, trainEnd) training, [trainEnd, holdoutBegin) validation, [holdoutBegin, rows) holdout.
struct Window
{
    Dataset data;
    std::vector<char> negative; // per row: the request got negative feedback
    qint64 fromMicros = 0;
    qint64 toMicros = 0;
    qint64 trainEnd = 0;
    qint64 holdoutBegin = 0;
    DataSummary summary;
    // A classification deployment: its classes and decision rule; the target is the true class index.
    bool classifier = false;
    ClassSpec classSpec;
};
Status validateRequest(const RetrainRequest &request);
Result<Window> loadWindow(PgConnection &pg, const RetrainRequest &request, const std::atomic<bool> *cancel = nullptr);
// The rows at `rows` (in that order; an index may repeat).
Dataset subset(const Dataset &data, const std::vector<qint64> &rows);

// Champion and candidate on the same holdout rows: per-row series for the paired bootstrap (the
// champion is a, the candidate b) and each model's figures. Regression: absolute errors ("mae").
// Classification: hits of the decided class ("accuracy") and per-row log-loss ("log_loss", the
// probability of the true class clipped to [1e-15, 1 - 1e-15] as scikit-learn does).
struct HoldoutScores
{
    std::vector<stats::PairedSeries> series;
    QStringList keys; // one per series: its metric's key (metricKey)
    QJsonObject champion;
    QJsonObject candidate;
};
Result<HoldoutScores> scoreHoldout(ModelRunner &champion, ModelRunner &candidate, const Dataset &holdout,
                                   const Window &window, const std::atomic<bool> *cancel);

} // namespace mldeck::retrain::detail
