#pragma once

#include "core/stats/Bootstrap.h"
#include "core/stats/Metrics.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace mldeck::stats {

// One model's results on the comparison rows.
struct ModelSummary
{
    QString label; // what tables and the verdict call it
    QString path;
    QString version;
    RegressionMetrics regression;                        // always filled (for classifiers: on scores)
    std::optional<ClassificationMetrics> classification; // classification task only
    double rowsPerSecond = 0;
    double latencyP50Ms = 0; // one row per call
    double latencyP99Ms = 0;
    qint64 unknownCategoryValues = 0;
};

// A difference between a challenger and the baseline (model 0) on one metric.
struct MetricDelta
{
    int baseline = 0;
    int challenger = 1;
    QString metric; // "mae", "rmse", "accuracy"
    bool lowerIsBetter = true;
    DifferenceInterval interval;
};

// A metric per model on the rows of one segment value (MAE for regression, accuracy for classification).
struct SegmentRow
{
    QString segment; // e.g. "pickup_zone", "hour"
    QString value;   // e.g. "airport", "08"
    qint64 rows = 0;
    std::vector<double> metric; // per model
};

struct ComparisonReport
{
    QString task = QStringLiteral("regression");
    QString data; // where the rows came from, for people
    qint64 rows = 0;
    quint64 seed = 42;
    int resamples = 0;
    std::vector<ModelSummary> models;
    std::vector<MetricDelta> deltas;
    QString segmentMetric; // "mae" or "accuracy"
    std::vector<SegmentRow> segments;
    QStringList verdicts; // one line per challenger
    QStringList notes;    // e.g. rows left out of MAPE
    // Kept for the scatter and residual plots; not exported.
    std::vector<double> actual;
    std::vector<std::vector<double>> predictions;
};

// Groups rows by a key (codes index levels; -1 = no value, skipped) and computes the segment metric
// of every model on each group, in level order.
std::vector<SegmentRow> segmentBreakdown(const QString &segment, const std::vector<int> &codes,
                                         const QStringList &levels, const std::vector<double> &actual,
                                         const std::vector<std::vector<double>> &predictions, bool classification);

// The plain sentence for one delta: "B is 7.9 % better on MAE (95 % CI 6.1–9.6 %)" or
// "No significant difference on MAE between A and B (…)".
QString verdictSentence(const MetricDelta &delta, const QString &baselineLabel, const QString &challengerLabel);

QJsonObject toJson(const ComparisonReport &report);
// Sections separated by a blank line: models, deltas, segments, verdict. RFC 4180 quoting.
QByteArray toCsv(const ComparisonReport &report);

} // namespace mldeck::stats
