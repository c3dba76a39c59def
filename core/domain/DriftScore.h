#pragma once

#include <QString>

#include <optional>

namespace mldeck {

// Pseudo-features that drift detection watches next to the schema's features.
inline const QString kDriftPredictionFeature = QStringLiteral("__prediction__");
inline const QString kDriftTargetFeature = QStringLiteral("__target__");
// A classifier's served class (its distribution: the prior shift); there __prediction__ is the predicted
// probability and __target__ the true class.
inline const QString kDriftPredictedClassFeature = QStringLiteral("__predicted_class__");
inline const QString kDriftDatasetFeature = QStringLiteral("__dataset__");
// The multivariate line: the mean PCA reconstruction error of the window against its reference band.
inline const QString kDriftMultivariateFeature = QStringLiteral("__multivariate__");

// One stored drift score of a feature at the end of a window (mldeck.drift_scores).
struct DriftScorePoint
{
    QString feature;
    qint64 windowEndMs = 0;
    QString test;
    double score = 0;
    double threshold = 0;
    bool drift = false;
    // The multivariate line only: its band, and the PCA it was measured with.
    std::optional<double> bandLow, bandHigh;
    int components = 0;
    double varianceShare = 0;
};

} // namespace mldeck
