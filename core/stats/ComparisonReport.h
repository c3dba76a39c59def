#pragma once

#include "core/domain/SkippedImage.h"
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
    RegressionMetrics regression;                    // regression task (filled for classifiers too: on scores)
    std::optional<ClassifierMetrics> classification; // classification task only
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
    QString metric; // "mae", "rmse", "accuracy", "log_loss"
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

// Image models: which image each row is, where the keys resolve, and the images left out.
struct ImageRows
{
    QJsonObject store;                 // ImageStoreConfig::toJson(): where the keys (and thumbnails) are read
    QStringList keys;                  // per row
    std::vector<SkippedImage> skipped; // left out of every model's rows, each with its reason
};

struct ComparisonReport
{
    QString task = QStringLiteral("regression");
    ClassSpec classSpec; // classification: the models' classes and decision rule
    QString data;        // where the rows came from, for people
    qint64 rows = 0;
    quint64 seed = 42;
    int resamples = 0;
    std::vector<ModelSummary> models;
    std::vector<MetricDelta> deltas;
    QString segmentMetric; // "mae" or "accuracy"
    std::vector<SegmentRow> segments;
    QStringList verdicts; // one line per challenger
    QStringList notes;    // e.g. rows left out of MAPE
    // Kept for the plots; not exported. actual: the target (a classifier: the true class index);
    // predictions: per model, one value per row (a classifier: its score, ModelSummary's rows);
    // probabilities: a classifier's, per model, row-major [rows x K].
    std::vector<double> actual;
    std::vector<std::vector<double>> predictions;
    std::vector<std::vector<double>> probabilities;
    std::vector<ClassSpec> classSpecs; // a classifier's, per model (each serves by its own decision threshold)
    std::optional<ImageRows> images;   // image models only
};

// A row a classifier got wrong: the true class, the class it served and that class's probability.
struct MisclassifiedRow
{
    qint64 row = 0;
    int actual = 0;
    int predicted = 0;
    double confidence = 0;
};
// Model m's wrong rows of a classification report, in row order.
std::vector<MisclassifiedRow> misclassified(const ComparisonReport &report, size_t model);

// A metric's name for people: "MAE", "RMSE", "accuracy", "log-loss".
QString metricTitle(const QString &metric);

// A classifier's headline precision, recall and F1: the positive class's (binary) or the macro average
// over the classes (multi-class).
struct ClassifierHeadline
{
    std::optional<double> precision, recall, f1;
};
ClassifierHeadline headline(const ClassifierMetrics &metrics);

// Groups rows by a key (codes index levels; -1 = no value, skipped) and gives, on each group in level
// order, the mean of every model's per-row values (rowValues[model][row]: absolute errors for MAE, hits
// for accuracy).
std::vector<SegmentRow> segmentBreakdown(const QString &segment, const std::vector<int> &codes,
                                         const QStringList &levels, const std::vector<std::vector<double>> &rowValues);

// The plain sentence for one delta: "B is 7.9 % better on MAE (95 % CI 6.1–9.6 %)" or
// "No significant difference on MAE between A and B (…)".
QString verdictSentence(const MetricDelta &delta, const QString &baselineLabel, const QString &challengerLabel);

QJsonObject toJson(const ComparisonReport &report);
// Sections separated by a blank line: models, deltas, segments, verdict. RFC 4180 quoting.
QByteArray toCsv(const ComparisonReport &report);

} // namespace mldeck::stats
