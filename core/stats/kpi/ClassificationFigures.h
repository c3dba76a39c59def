#pragma once

#include "core/stats/kpi/ClassificationSums.h"

#include <QString>

#include <optional>
#include <span>
#include <vector>

namespace mldeck::stats {

// A calibration map from a score (ClassificationSums' calibration score) to the probability that the
// prediction is right (binary: that the row is positive), fitted on a deployment's labelled reference
// rows. method "none" is the identity (the model's probabilities are trusted as they are).
struct Calibration
{
    QString method = QStringLiteral("none"); // "none" | "isotonic" | "binning"
    std::vector<double> x;                   // increasing scores
    std::vector<double> y;                   // mapped values, 0..1 (linear between points, flat outside)
    std::optional<double> referenceEce;      // the ECE left after the map, on held-out reference rows
    qint64 referenceRows = 0;
    // Why there are no reference rows to fit on (retention removed them); empty: there are. An initializer, so
    // that an aggregate list of the fields above stays complete.
    QString unavailable{};
    double apply(double score) const;
};

// Fits the map on reference rows (score, outcome 0/1): isotonic regression (pool adjacent violators)
// and 10-bin binning are fitted on one half, the one with the lowest ECE on the other half wins
// ("none" when neither beats the raw scores); referenceEce is that ECE. Fewer than 100 rows: "none"
// with no referenceEce.
Calibration fitCalibration(std::span<const double> score, std::span<const int> outcome);
// Isotonic regression of the outcomes on the scores by pool adjacent violators, on every row given (the
// non-decreasing step function closest in least squares; each step a point at its lowest and highest score).
Calibration fitIsotonic(std::span<const double> score, std::span<const int> outcome);

// When an estimate before labels is not to be trusted.
inline constexpr qint64 kMinRowsForEstimate = 100;
inline constexpr double kMaxTrustedReferenceEce = 0.05;

// The figures of a classification deployment over a set of predictions. A figure is empty when it
// cannot be computed (no row, no label, a class never seen, ...), never 0.
struct ClassificationFigures
{
    int classes = 0;
    qint64 predictions = 0; // counted rows
    qint64 labelled = 0;
    std::vector<qint64> confusion; // [K * K], actual-major
    std::optional<double> accuracy;
    std::optional<double> balancedAccuracy;                     // mean recall over the classes that occur
    std::vector<std::optional<double>> precision, recall, f1;   // per class
    std::optional<double> macroPrecision, macroRecall, macroF1; // over the classes where defined
    // Binary precision/recall/F1 of the positive class (the headline figures of a binary deployment).
    std::optional<double> precisionPositive, recallPositive, f1Positive;
    std::optional<double> rocAuc;      // binary: from the histogram; multi-class: macro one-vs-rest
    std::optional<double> rocAucBound; // |rocAuc - exact AUC| <= rocAucBound (pairs sharing a bin count one half)
    std::optional<double> logLoss;
    std::optional<double> brier;
    std::optional<double> ece; // expected calibration error over the labelled rows' calibration bins
    std::optional<double> meanConfidence;
    std::optional<double> positiveRate;                // binary: share served as the positive class
    std::optional<double> labelCoverage;               // labelled / predictions
    std::vector<std::optional<double>> predictedShare; // per class: share of rows served as it
    // Expected from the model's probabilities through the calibration map (before labels).
    std::optional<double> estimatedAccuracy, estimatedPrecision, estimatedRecall, estimatedF1;
    QString estimateUntrusted; // empty: the estimate is trusted; else why not (translated text)
};

ClassificationFigures computeClassificationFigures(const ClassificationSums &sums,
                                                   const Calibration &calibration = Calibration{});

} // namespace mldeck::stats
