#include "core/simulator/ServingPolicy.h"

#include "core/Text.h"
#include "core/rollout/Bucketing.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>
#include <span>

namespace mldeck {

namespace {
constexpr double kMlBaseMedianMs = 35.0; // feature fetch + serving overhead around the model call
constexpr double kHeuristicMedianMs = 4.0;
constexpr double kLatencySpikeMs = 1500.0;
constexpr double kErrorShare = 0.5;
} // namespace

ServingPolicy::ServingPolicy(quint64 seed) : m_rng(seed) {}

bool ServingPolicy::routesToMl(const FlagState &flags, const QString &deployment, const QString &requestKey)
{
    return flags.routesToMl(bucket(deployment, requestKey));
}

double ServingPolicy::lognormalMs(double medianMs, double sigma)
{
    return medianMs * std::exp(sigma * m_normal(m_rng));
}

PredictionRow ServingPolicy::serve(const FlagState &flags, const QString &deployment, const RideRequest &request,
                                   bool onMl, std::optional<double> mlOutput, const QString &mlError,
                                   double inferenceMs, const QString &modelVersion, const Conditions &conditions)
{
    return route(flags, deployment, Request{request.tsMicros, request.requestKey, request.features}, onMl,
                 mlOutput.has_value(), mlError, inferenceMs, modelVersion, conditions,
                 [&](PredictionRow &row, bool ml) {
                     if (!ml) {
                         row.predicted = heuristicDelay(request.features);
                         return;
                     }
                     double value = *mlOutput;
                     if (conditions.degraded) // a broken model: biased and noisy
                         value = 0.5 * value + 4.0 + 3.0 * m_normal(m_rng);
                     row.predicted = value;
                 });
}

PredictionRow ServingPolicy::serveClass(const FlagState &flags, const QString &deployment, const ClassSpec &spec,
                                        const Request &request, bool onMl, const std::vector<double> &mlProbabilities,
                                        const std::vector<double> &heuristicProbabilities, const QString &mlError,
                                        double inferenceMs, const QString &modelVersion, const Conditions &conditions)
{
    // Decided on the probabilities as logged (single precision), so that the log reads the same class back
    // from its vector even at the threshold.
    const auto answer = [&spec](PredictionRow &row, const std::vector<double> &p) {
        const std::vector<float> logged(p.begin(), p.end());
        row.predictedClass = spec.decide(std::span<const float>(logged));
        row.predicted = double(logged[std::size_t(*row.predictedClass)]);
        if (spec.logsVector())
            row.probabilities = logged;
    };
    return route(flags, deployment, request, onMl, !mlProbabilities.empty(), mlError, inferenceMs, modelVersion,
                 conditions, [&](PredictionRow &row, bool ml) {
                     if (!ml) {
                         answer(row, heuristicProbabilities);
                         return;
                     }
                     std::vector<double> p = mlProbabilities;
                     if (conditions.degraded) // a broken model: confidently wrong
                         std::rotate(p.begin(), p.begin() + 1, p.end());
                     answer(row, p);
                 });
}

PredictionRow ServingPolicy::route(const FlagState &flags, const QString &deployment, const Request &request, bool onMl,
                                   bool mlAnswered, const QString &mlError, double inferenceMs,
                                   const QString &modelVersion, const Conditions &conditions,
                                   const std::function<void(PredictionRow &, bool ml)> &answer)
{
    PredictionRow row;
    row.tsMicros = request.tsMicros;
    row.deployment = deployment;
    row.requestKey = request.requestKey;
    row.features = request.features;

    if (!onMl) {
        row.path = PredictionPath::Heuristic;
        answer(row, false);
        row.latencyMs = static_cast<float>(lognormalMs(kHeuristicMedianMs, 0.3));
        return row;
    }

    row.modelVersion = modelVersion;
    double latency = lognormalMs(kMlBaseMedianMs, 0.35) + inferenceMs;
    if (conditions.latency)
        latency += kLatencySpikeMs * (0.8 + 0.4 * m_uniform(m_rng));

    QString error = mlError;
    if (error.isEmpty() && !mlAnswered)
        error = SimulatorText::tr("the model returned no prediction");
    if (error.isEmpty() && conditions.errors && m_uniform(m_rng) < kErrorShare)
        error = SimulatorText::tr("model server error (simulated fault)");

    if (error.isEmpty()) {
        row.path = PredictionPath::Ml;
        answer(row, true);
    } else if (flags.fallbackOnError) {
        row.path = PredictionPath::Fallback;
        row.failed = true;
        row.error = error;
        answer(row, false);
        latency += lognormalMs(kHeuristicMedianMs, 0.3);
    } else {
        row.path = PredictionPath::Ml;
        row.failed = true;
        row.error = error;
    }
    row.latencyMs = static_cast<float>(latency);
    return row;
}

} // namespace mldeck
