#pragma once

#include "core/stats/kpi/ClassificationSums.h"
#include "core/stats/kpi/QuantileSketch.h"

#include <QtGlobal>

#include <array>

namespace mldeck::stats {

// The "share of real delays anticipated" is kept for every whole threshold X = 1..30 minutes, so the
// threshold stays configurable after the fact (index X - 1).
inline constexpr int kAnticipationThresholds = 30;

// Mergeable sums over a set of predictions: everything the dashboard shows is a function of these,
// and two accumulators of disjoint sets merge into the accumulator of their union (plain addition).
// One accumulator per (deployment, time bucket, path, model version) is what PostgreSQL keeps in
// mldeck.kpi_minute / mldeck.kpi_hour (resources/sql/007_kpi.sql, resources/contract/kpi.md).
struct KpiAccumulator
{
    qint64 count = 0;        // predictions logged
    qint64 failed = 0;       // of which failed (predicted IS NULL)
    double latencySumMs = 0; // over all predictions
    QuantileSketch latency;  // latency_ms of all predictions

    // Non-failed predictions whose request has an outcome (the latest outcome of the request key).
    qint64 labelled = 0;
    double sumError = 0; // sum of (predicted - actual)
    double sumAbsError = 0;
    double sumSqError = 0;
    double sumActual = 0;
    double sumSqActual = 0;
    double sumAbsPctError = 0; // sum of |predicted - actual| / |actual| * 100 over actual != 0
    qint64 pctCount = 0;
    std::array<qint64, kAnticipationThresholds> actualAtLeast{}; // actual >= X
    std::array<qint64, kAnticipationThresholds> bothAtLeast{};   // actual >= X and predicted >= X

    // The nanny model's expected absolute error, summed over the ML predictions it scored (with or
    // without an outcome), and how many (est_abs_err_sum, est_count: resources/sql/017_nanny.sql).
    double estAbsErrSum = 0;
    qint64 estCount = 0;

    // A classification deployment's sums (mldeck.kpi_class_minute / kpi_class_hour); K = 0 otherwise.
    ClassificationSums classification;

    void merge(const KpiAccumulator &other);
    bool operator==(const KpiAccumulator &other) const = default;
};

// Feedback is counted by the minute it was given, per deployment (it is not tied to a path).
struct FeedbackAccumulator
{
    qint64 positive = 0;
    qint64 total = 0;
    void merge(const FeedbackAccumulator &o)
    {
        positive += o.positive;
        total += o.total;
    }
    bool operator==(const FeedbackAccumulator &other) const = default;
};

} // namespace mldeck::stats
