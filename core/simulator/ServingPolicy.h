#pragma once

#include "core/demo/RideDelayGenerator.h"
#include "core/domain/ClassSpec.h"
#include "core/domain/FlagState.h"
#include "core/domain/Prediction.h"

#include <QString>

#include <functional>
#include <optional>
#include <random>
#include <vector>

namespace mldeck {

// What the reference backend does with one request once it knows the flags and, for the ML
// path, the model's output. Pure (no I/O) so the routing and fallback rules can be unit-tested.
//
// Logged semantics (see resources/contract/logging.md):
//   path=heuristic  the request was not routed to ML;
//   path=ml         routed to ML; failed=true and predicted NULL when the model failed with no fallback;
//   path=fallback   routed to ML, the model failed, fallback_on_error served the heuristic (failed=true).
class ServingPolicy final
{
public:
    struct Conditions
    {
        bool errors = false;   // the "errors" scenario: half of the ML calls fail
        bool latency = false;  // the "latency" scenario: ML answers ~1.5 s slower
        bool degraded = false; // the "degraded" scenario: the model's answers get much worse
    };
    // One request as the policy sees it: when, which, and the features served.
    struct Request
    {
        qint64 tsMicros = 0;
        QString requestKey;
        FeatureRow features;
    };

    explicit ServingPolicy(quint64 seed);

    static bool routesToMl(const FlagState &flags, const QString &deployment, const QString &requestKey);

    // mlOutput is the model's answer when the request went to ML and the model ran; mlError is
    // set when the batch failed. inferenceMs is the measured model time attributed to this row.
    PredictionRow serve(const FlagState &flags, const QString &deployment, const RideRequest &request, bool onMl,
                        std::optional<double> mlOutput, const QString &mlError, double inferenceMs,
                        const QString &modelVersion, const Conditions &conditions);

    // The same rules for a classifier: the answers are probability vectors in the order of spec's classes
    // (mlProbabilities empty when the model gave none; heuristicProbabilities the baseline rule's). The row
    // carries the class served (spec.decide), its probability in `predicted`, and the vector.
    // "degraded" inverts the model's answers (binary: P(positive) becomes 1 - P; multi-class: shifted by one class).
    PredictionRow serveClass(const FlagState &flags, const QString &deployment, const ClassSpec &spec,
                             const Request &request, bool onMl, const std::vector<double> &mlProbabilities,
                             const std::vector<double> &heuristicProbabilities, const QString &mlError,
                             double inferenceMs, const QString &modelVersion, const Conditions &conditions);

private:
    // Routing, faults, latency and fallback for any task. answer(row, ml) writes the answer of the path
    // taken: the model's (ml, after the "errors" draw) or the heuristic's.
    PredictionRow route(const FlagState &flags, const QString &deployment, const Request &request, bool onMl,
                        bool mlAnswered, const QString &mlError, double inferenceMs, const QString &modelVersion,
                        const Conditions &conditions, const std::function<void(PredictionRow &, bool ml)> &answer);
    double lognormalMs(double medianMs, double sigma);

    std::mt19937_64 m_rng;
    std::uniform_real_distribution<double> m_uniform{0.0, 1.0};
    std::normal_distribution<double> m_normal{0.0, 1.0};
};

} // namespace mldeck
