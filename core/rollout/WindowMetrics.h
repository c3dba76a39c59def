#pragma once

#include <QtGlobal>

#include <optional>

namespace mldeck {

// What the ML path did over a recent window (core/store/pg/WindowMetricsQuery computes it).
// A figure is empty when it cannot be computed (no samples, no outcomes yet).
struct WindowMetrics
{
    qint64 samples = 0;  // requests routed to ML (path ml or fallback)
    qint64 labelled = 0; // ML predictions with a known outcome (what MAE and R² are computed over)
    std::optional<double> mae;
    std::optional<double> r2;
    std::optional<double> latencyP95Ms;
    std::optional<double> errorRate; // failed share of the samples, 0..1
    // A regression deployment's estimated MAE (the nanny model's expected absolute error) over the
    // window's scored ML predictions, known before their outcomes; empty when none was scored.
    std::optional<double> estimatedMae;

    // A classification deployment (the guard and the gates then judge these in place of MAE and R²),
    // over its labelled ML predictions; `labelled` counts them.
    bool classifier = false;
    std::optional<double> accuracy;
    std::optional<double> f1; // binary: of the positive class; multi-class: macro
    std::optional<double> logLoss;
    std::optional<double> ece;
};

} // namespace mldeck
