#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/FlagState.h"
#include "core/domain/Result.h"
#include "core/simulator/Scenario.h"

#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace mldeck {

struct SimulatorOptions
{
    QString deployment = QStringLiteral("eta");
    double rate = 200;      // requests per second
    qint64 durationMs = -1; // -1: until stopped
    // Empty: follow the deployment's champion (models.md), serving the demo MLP shipped with MLDeck
    // until there is one. A file given here is served for the whole run, champion or not.
    QString modelPath;
    std::vector<Scenario> scenarios;
    quint64 seed = 42;
    qint64 outcomeDelayMs = 20'000; // ground truth arrives this long after the prediction (± 50 %)
    double outcomeShare = 0.9;      // share of requests whose outcome becomes known
    // Regression: share of requests with an outcome that also get user feedback. Classification: share of
    // all requests a dispatcher marks right or wrong (with or without an outcome: a binary deployment's
    // feedback is a label of its own).
    double feedbackShare = 0.05;
    int modelThreads = 1;
    int initialPercentage = 25;    // flags created with ML on at this percentage when missing; -1: never create
    int dependencyReportMs = 5000; // how often the simulated weather API's state is reported (expiry: 3x)
    RedisEndpoint redis;
    PgEndpoint pg;
};

struct SimulatorStats
{
    qint64 elapsedMs = 0;
    qint64 requests = 0;
    qint64 ml = 0;
    qint64 heuristic = 0;
    qint64 fallback = 0;
    qint64 failed = 0;
    qint64 predictionsWritten = 0;
    qint64 outcomesWritten = 0;
    qint64 feedbackWritten = 0;
    qint64 pendingOutcomes = 0;
    qint64 buffered = 0;
    qint64 dropped = 0;
    FlagState flags;
    QString redisError;
    QString pgError;
    QStringList activeScenarios;
    QString modelVersion; // what predictions.model_version carries now
    QString modelWarning; // why the champion is not served (the previous model is), or empty
    qint64 modelSwitches = 0;
    bool weatherDown = false; // the weather API is down: neutral weather features are served
    QString dependencyError;  // why the last dependency report could not be written, or empty

    double achievedRate() const { return elapsedMs > 0 ? requests * 1000.0 / elapsedMs : 0; }
};

// The reference serving backend: stands in for production so that MLDeck can be seen working.
// It follows the flags live, buckets each request, predicts with the TorchScript model on the
// ML path and with the heuristic otherwise, falls back when the model fails, logs everything in
// batches and appends outcomes and feedback later. A deployment created as a classifier (the demo's
// `accept`) is served from the ride-offer world (OfferTraffic): its model gives class probabilities, its
// rows carry the class served, its probability and the vector, and its outcomes the true class.
class Simulator final
{
public:
    explicit Simulator(SimulatorOptions options);
    ~Simulator();
    Simulator(const Simulator &) = delete;
    Simulator &operator=(const Simulator &) = delete;

    // Loads the model (the champion, verified, when following one), registers the deployment and its feature schema,
    // makes the day partitions and creates the flags (ML off) when they do not exist. Changes nothing on error.
    Status prepare();
    // Serves traffic until `stop` is set or the duration is over, then flushes everything buffered
    // (predictions and the outcomes still pending). progress() is called about once a second.
    Status run(const std::atomic_bool &stop, const std::function<void(const SimulatorStats &)> &progress);

    static QString defaultModelPath();
    // A model shipped with MLDeck (resources/models), e.g. "accept_mlp.pt".
    static QString bundledModel(const QString &file);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace mldeck
