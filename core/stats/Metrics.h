#pragma once

#include "core/domain/ClassSpec.h"
#include "core/stats/kpi/ClassificationFigures.h"

#include <QtGlobal>

#include <optional>
#include <span>
#include <vector>

namespace mldeck::stats {

// Regression quality of predictions against actual values (same length, finite values).
struct RegressionMetrics
{
    qint64 rows = 0;
    double mae = 0;
    double rmse = 0;
    double r2 = 0;                     // 1 - SSE/SST; 0 when every actual value is the same and SSE is 0
    std::optional<double> mape;        // percent, over the rows whose actual value is not 0
    qint64 mapeSkippedZeroTargets = 0; // rows left out of MAPE because their actual value is 0
};

RegressionMetrics regressionMetrics(std::span<const double> predicted, std::span<const double> actual);

// Binary confusion matrix: the positive class is actual >= 0.5 and predicted score >= threshold.
struct ConfusionMatrix
{
    qint64 truePositive = 0;
    qint64 falsePositive = 0;
    qint64 trueNegative = 0;
    qint64 falseNegative = 0;
};

struct ClassificationMetrics
{
    qint64 rows = 0;
    double threshold = 0.5;
    double accuracy = 0;
    double precision = 0; // 0 when nothing is predicted positive
    double recall = 0;    // 0 when nothing is actually positive
    double f1 = 0;
    std::optional<double> rocAuc; // undefined when only one class is present
    ConfusionMatrix confusion;
};

// scores: probabilities or scores (higher = more likely positive); actual: 0/1 labels.
ClassificationMetrics classificationMetrics(std::span<const double> scores, std::span<const double> actual,
                                            double threshold = 0.5);

// Area under the ROC curve by the rank (Mann-Whitney) formula; tied scores count one half.
std::optional<double> rocAuc(std::span<const double> scores, std::span<const double> actual);

// Area under the precision-recall curve as average precision, sum over the distinct scores (highest first)
// of (recall gained) x (precision there): scikit-learn's average_precision_score. Empty without a positive.
std::optional<double> averagePrecision(std::span<const double> scores, std::span<const double> actual);

// ---- Classifiers with K >= 2 classes, on probability vectors (offline evaluation and comparison) ----
// Rows are given as `probabilities`, row-major [rows x K] (each row the model's probabilities, summing to 1),
// and `actual`, the true class index per row (a value outside 0..K-1 leaves the row unlabelled). The served
// class is spec.decide(row). A binary model's scores P(positive) become vectors with binaryProbabilities().

std::vector<double> binaryProbabilities(std::span<const double> positive); // {1 - p, p} per row

// The sums of these rows exactly as the database folds them (ClassificationSums' conventions), so that the
// live figures and the offline ones are one computation.
ClassificationSums classificationSums(const ClassSpec &spec, std::span<const double> probabilities,
                                      std::span<const int> actual);

// One bin of a reliability diagram: labelled rows whose score (binary: P(positive); multi-class: the
// confidence) lies in [low, high); `observed` is their share of positives (binary) or of right answers.
struct ReliabilityBin
{
    double low = 0;
    double high = 0;
    qint64 rows = 0;
    double meanScore = 0;
    double observed = 0;
};
// The kCalibrationBins bins of sums that hold labelled rows (empty bins left out).
std::vector<ReliabilityBin> reliabilityDiagram(const ClassificationSums &sums);

// Everything about a classifier on labelled rows. `figures` are computeClassificationFigures() of the rows'
// sums (accuracy, per-class and macro precision/recall/F1, log-loss clipped at 1e-15, Brier, ECE, ...) except
// rocAuc, which is exact here (rocAucBound 0): binary the AUC of P(positive), multi-class the mean over the
// classes of the one-vs-rest AUC of p[k] (scikit-learn's multi_class="ovr", average="macro").
struct ClassifierMetrics
{
    qint64 rows = 0;
    ClassificationFigures figures;
    std::optional<double> prAuc; // binary: average precision of P(positive); multi-class: macro one-vs-rest
    std::vector<ReliabilityBin> reliability;
};
ClassifierMetrics classifierMetrics(const ClassSpec &spec, std::span<const double> probabilities,
                                    std::span<const int> actual);

// Per-row series for the paired bootstrap (their mean is the figure): 1 when the served class is the true
// one, else 0 (accuracy); -ln(clip(p[actual], 1e-15, 1 - 1e-15)) (log-loss). Unlabelled rows are left out.
std::vector<double> rowHits(const ClassSpec &spec, std::span<const double> probabilities, std::span<const int> actual);
std::vector<double> rowLogLoss(int classes, std::span<const double> probabilities, std::span<const int> actual);

} // namespace mldeck::stats
