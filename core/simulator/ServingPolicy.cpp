#include "core/simulator/ServingPolicy.h"

#include "core/Text.h"
#include "core/rollout/Bucketing.h"

#include <QCoreApplication>

#include <cmath>

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
    PredictionRow row;
    row.tsMicros = request.tsMicros;
    row.deployment = deployment;
    row.requestKey = request.requestKey;
    row.features = request.features;

    if (!onMl) {
        row.path = PredictionPath::Heuristic;
        row.predicted = heuristicDelay(request.features);
        row.latencyMs = static_cast<float>(lognormalMs(kHeuristicMedianMs, 0.3));
        return row;
    }

    row.modelVersion = modelVersion;
    double latency = lognormalMs(kMlBaseMedianMs, 0.35) + inferenceMs;
    if (conditions.latency)
        latency += kLatencySpikeMs * (0.8 + 0.4 * m_uniform(m_rng));

    QString error = mlError;
    if (error.isEmpty() && !mlOutput)
        error = SimulatorText::tr("the model returned no prediction");
    if (error.isEmpty() && conditions.errors && m_uniform(m_rng) < kErrorShare)
        error = SimulatorText::tr("model server error (simulated fault)");

    if (error.isEmpty()) {
        row.path = PredictionPath::Ml;
        double value = *mlOutput;
        if (conditions.degraded) // a broken model: biased and noisy
            value = 0.5 * value + 4.0 + 3.0 * m_normal(m_rng);
        row.predicted = value;
    } else if (flags.fallbackOnError) {
        row.path = PredictionPath::Fallback;
        row.failed = true;
        row.error = error;
        row.predicted = heuristicDelay(request.features);
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
