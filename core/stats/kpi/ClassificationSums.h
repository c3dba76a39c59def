#pragma once

#include <QtGlobal>

#include <array>
#include <vector>

namespace mldeck::stats {

// Calibration bins: by the "score" of a prediction, [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0]. The score is
// P(positive) on a binary deployment and the probability of the predicted class (the confidence)
// on a multi-class one.
inline constexpr int kCalibrationBins = 10;
int calibrationBin(double score); // clamped to 0..9

// Score histogram bins for ROC AUC: kScoreBins bins equally spaced in logit between -kScoreLogitMax
// and +kScoreLogitMax (the first and last bins are open-ended), so that scores near 0 and 1 -- where a
// confident model puts most of them -- are resolved finely. scoreBinLow(i) is the bin's lower edge
// as a probability (0 for bin 0). The same function is written in SQL (resources/sql/012).
inline constexpr int kScoreBins = 64;
inline constexpr double kScoreLogitMax = 8.0;
int scoreBin(double probability); // 0..kScoreBins-1
double scoreBinLow(int bin);

// Mergeable sums over a set of predictions of one classification deployment with K classes: what
// PostgreSQL keeps per (deployment, minute or hour, path, model version) in mldeck.kpi_class_minute /
// kpi_class_hour (resources/sql/012_classification.sql) and what every classification figure is
// computed from. Two sums of disjoint sets add element-wise into the sums of their union.
//
// Conventions (they are the contract of the SQL fold; resources/contract/classification.md):
//  - a row counts when it did not fail and logged a predicted class; p is its probability vector
//    (logged when K <= 20; a binary row without it gets p = {1 - P(pos), P(pos)} from its predicted
//    class and that class's probability);
//  - "labelled": the request's latest outcome (its `actual` is the true class index 0..K-1; another
//    value leaves the row unlabelled); late, corrected and early labels move the row exactly as for
//    regression;
//  - log-loss per row: -ln(clip(p[actual], 1e-15, 1 - 1e-15)), the clipping scikit-learn uses;
//  - Brier per row: binary (P(pos) - y)^2 (scikit-learn's brier_score_loss); multi-class
//    sum_k (p[k] - [k == actual])^2.
struct ClassificationSums
{
    int classes = 0; // K; 0: no classification row in the set

    // Every counted row, labelled or not.
    std::vector<qint64> predictedCount;                // [K]: rows served as class c
    double sumConfidence = 0;                          // sum of p[predicted]
    std::array<qint64, kCalibrationBins> scoreCount{}; // rows by calibration bin of their score
    std::array<double, kCalibrationBins> scoreSum{};   // sum of the score in the bin
    // Binary only: [predicted class 0|1][kScoreBins] rows by score bin of P(pos); with a calibration
    // map it gives the expected confusion matrix before labels (estimated precision and recall).
    std::vector<qint64> servedScoreCount;
    // Rows with a vector: expected confusion sum_rows p[a] at [a * K + predicted] (actual-major).
    std::vector<double> expectedConfusion; // [K * K]

    // Labelled rows.
    std::vector<qint64> confusion; // [K * K], actual-major: confusion[a * K + predicted]
    qint64 lossCount = 0;          // labelled rows whose loss is known (a vector or a binary row)
    double sumLogLoss = 0;
    double sumBrier = 0;
    std::array<qint64, kCalibrationBins> calibrationCount{};    // labelled rows by calibration bin of their score
    std::array<double, kCalibrationBins> calibrationSum{};      // sum of the score
    std::array<qint64, kCalibrationBins> calibrationPositive{}; // binary: actual positive; multi-class: correct
    // [Kh][2][kScoreBins]: the histogram of class k's probability among labelled rows whose true
    // class is not k ([k][0]) and is k ([k][1]). Kh = 1 on a binary deployment (class 1, P(pos)),
    // K on a multi-class one (rows with a vector only).
    std::vector<qint64> scoreHistogram;

    qint64 labelled() const; // sum of confusion
    qint64 counted() const;  // sum of predictedCount
    // Adds o; sizes follow the larger K (a deployment's K does not change; an empty side is K = 0).
    void merge(const ClassificationSums &o);
    bool operator==(const ClassificationSums &other) const = default;
};

} // namespace mldeck::stats
