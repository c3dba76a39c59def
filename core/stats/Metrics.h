#pragma once

#include <QtGlobal>

#include <optional>
#include <span>

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

} // namespace mldeck::stats
