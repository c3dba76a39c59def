#pragma once

#include "core/domain/ClassSpec.h"

#include <QtGlobal>

#include <atomic>
#include <functional>
#include <span>
#include <vector>

namespace mldeck::stats {

// How a per-row series becomes one figure: a mean (MAE from absolute errors, accuracy from 0/1 hits)
// or the root of a mean (RMSE from squared errors).
enum class Aggregate
{
    Mean,
    RootMean
};

// Per-row values of one quantity for model A and model B on the SAME rows (paired).
struct PairedSeries
{
    std::vector<double> a;
    std::vector<double> b;
    Aggregate aggregate = Aggregate::Mean;
};

// The difference B - A of an aggregate, and the same relative to A ((B - A) / A), with percentile
// confidence intervals from the paired bootstrap.
struct DifferenceInterval
{
    double valueA = 0;
    double valueB = 0;
    double difference = 0; // B - A
    double low = 0;
    double high = 0;
    double relative = 0; // (B - A) / A; 0 when A is 0
    double relativeLow = 0;
    double relativeHigh = 0;
    double level = 0.95;
    int resamples = 0;
};

struct BootstrapOptions
{
    int resamples = 1000;
    quint64 seed = 42;
    double level = 0.95;
    // Stops between resamples when set; progress gets the fraction done (0..1).
    const std::atomic<bool> *cancel = nullptr;
    std::function<void(double)> progress;
};

// Paired bootstrap: every resample draws the same row indices for A and B and for every series, so
// the intervals account for the rows both models found hard. Deterministic for a seed. Returns one
// interval per series, or nothing when cancelled or when the series are empty or of unequal length.
std::vector<DifferenceInterval> pairedBootstrap(const std::vector<PairedSeries> &series,
                                                const BootstrapOptions &options);

// The paired series of two classifiers on the same labelled rows (probabilities row-major [rows x K], the
// true class per row; Metrics.h's rowHits and rowLogLoss): accuracy (per row 1 when right) and log-loss
// (per row -ln clip(p[actual])). Both are means, so pairedBootstrap() gives their differences B - A.
PairedSeries accuracySeries(const ClassSpec &spec, std::span<const double> probabilitiesA,
                            std::span<const double> probabilitiesB, std::span<const int> actual);
PairedSeries logLossSeries(int classes, std::span<const double> probabilitiesA, std::span<const double> probabilitiesB,
                           std::span<const int> actual);

// Enough resamples for stable 95 % percentiles, fewer on very large data so that a comparison of
// a million rows still takes seconds (the intervals are then narrow anyway).
int defaultResamples(qint64 rows);

} // namespace mldeck::stats
