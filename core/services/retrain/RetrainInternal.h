#pragma once

// Shared by the retrain/*.cpp files only (not a public header).
#include "core/services/retrain/RetrainRunner.h"

#include "core/Text.h"
#include "core/domain/ClassSpec.h"
#include "core/domain/ImageDeployment.h"
#include "core/ml/Dataset.h"
#include "core/ml/ImageTrainer.h"
#include "core/ml/ModelOutput.h"

#include <QCoreApplication>

#include <atomic>
#include <optional>
#include <vector>

namespace mldeck {
class ModelRunner;
}

namespace mldeck::retrain::detail {

// An image deployment's data: the training and validation images (the window's labelled predictions
// through the deployment's store, and the reference set), and the fixed holdout set.
struct ImageWindow
{
    ImageDeployment config;
    std::vector<ImageSet> train;
    std::vector<ImageSet> validation;
    std::vector<ImageItem> holdout; // keys in config.holdoutSet
    qint64 trainCount = 0, validationCount = 0;
};

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
    // An image deployment: its images instead of `data` (which stays empty).
    std::optional<ImageWindow> images;
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

// An image deployment's window (Window::images set, summary filled); called by loadWindow.
Result<Window> loadImageWindow(PgConnection &pg, const RetrainRequest &request, const ClassSpec &classes,
                               qint64 fromMicros, qint64 toMicros, const std::atomic<bool> *cancel);
// Champion and candidate on the fixed holdout images: the images both models saw (an unreadable one is
// skipped, counted in skipped); figures as scoreHoldout's for a classifier.
Result<HoldoutScores> scoreImageHoldout(ModelRunner &champion, ModelRunner &candidate, const Window &window,
                                        const std::atomic<bool> *cancel, std::vector<SkippedImage> &skipped);
// A classifier's holdout figures from both models' probabilities on the same rows (true classes `actual`).
HoldoutScores classifierScores(const ClassSpec &spec, const ClassProbabilities &champion,
                               const ClassProbabilities &candidate, const std::vector<int> &actual);

} // namespace mldeck::retrain::detail
