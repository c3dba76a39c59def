#pragma once

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace mldeck {

// The feature values of one request, in the deployment's FeatureSchema order.
struct FeatureRow
{
    std::vector<float> numeric;
    QStringList categorical;
};

enum class PredictionPath
{
    Ml,
    Heuristic,
    Fallback
};

inline QString pathName(PredictionPath p)
{
    switch (p) {
    case PredictionPath::Ml:
        return QStringLiteral("ml");
    case PredictionPath::Heuristic:
        return QStringLiteral("heuristic");
    case PredictionPath::Fallback:
        return QStringLiteral("fallback");
    }
    return {};
}

// One served prediction, as logged in mldeck.predictions.
struct PredictionRow
{
    qint64 tsMicros = 0; // microseconds since the Unix epoch, UTC
    QString deployment;
    QString requestKey;
    QString modelVersion; // empty on the heuristic path
    PredictionPath path = PredictionPath::Heuristic;
    std::optional<double> predicted; // empty when the prediction failed
    float latencyMs = 0;
    bool failed = false;
    QString error;
    int featureSchema = 1;
    FeatureRow features;
    // Classification deployments (resources/contract/classification.md): `predicted` is the
    // probability of the served class, predictedClass its index in the deployment's classes, and
    // probabilities the whole vector (logged when K <= kMaxLoggedProbabilities).
    std::optional<int> predictedClass;
    std::vector<float> probabilities;
    // Image deployments (resources/contract/images.md): the key of the image in the deployment's
    // image store; empty on a tabular deployment. The image itself is never logged.
    QString imageKey;
};

// Ground truth, appended later; never rewrites a prediction.
struct OutcomeRow
{
    qint64 observedMicros = 0;
    QString deployment;
    QString requestKey;
    double actual = 0; // a classification deployment: the true class's index
};

// User feedback on a prediction; the user id is pseudonymised by the backend.
struct FeedbackRow
{
    qint64 tsMicros = 0;
    QString deployment;
    QString requestKey;
    bool positive = true;
    QString comment;
    QString userPseudonym;
    QString imageKey; // image deployments: the key of the image the feedback is about; empty otherwise
};

} // namespace mldeck
