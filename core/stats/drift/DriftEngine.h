#pragma once

#include <QHash>
#include <QString>
#include <QStringList>

#include "core/stats/drift/DriftTests.h"

#include <optional>
#include <vector>

namespace mldeck::drift {

enum class FeatureKind
{
    Numeric,
    Categorical
};

enum class TestKind
{
    Auto,
    KolmogorovSmirnov, // numeric, p-value
    Wasserstein,       // numeric, normalised by the reference standard deviation
    Psi,               // any, reference-quantile bins
    ChiSquare,         // categorical (or a numeric feature with few values), p-value
    JensenShannon,     // any, distance
    ZTest,             // binary, p-value
};

QString testKey(TestKind test); // "ks", "wasserstein", "psi", "chisquare", "jensenshannon", "ztest", "auto"
std::optional<TestKind> testFromKey(const QString &key);
bool testHasPValue(TestKind test);

// One feature of a data set: numeric values (NaN = missing) or category labels (null = missing).
struct Column
{
    QString name;
    FeatureKind kind = FeatureKind::Numeric;
    std::vector<double> numeric;
    QStringList categorical;
    qint64 size() const { return kind == FeatureKind::Numeric ? qint64(numeric.size()) : qint64(categorical.size()); }
};

struct Dataset
{
    std::vector<Column> columns;
    const Column *find(const QString &name) const;
};

struct DriftOptions
{
    double pValueThreshold = 0.05;    // p-value tests: drift when p < this
    double distanceThreshold = 0.1;   // Wasserstein (normalised) and Jensen–Shannon: drift when >= this
    double psiThreshold = 0.1;        // PSI when chosen: drift when >= this
    qint64 smallReferenceRows = 1000; // up to this many reference rows: p-value tests (as Evidently)
    double datasetShare = 0.5;        // dataset drift when at least this share of the features drift
    qint64 minSamples = 100;          // fewer rows on either side: no verdict for the feature
    int psiBins = 10;
    double psiFloor = 1e-4;
    QHash<QString, TestKind> testOverrides;    // per feature
    QHash<QString, double> thresholdOverrides; // per feature
    int threads = 0;                           // 0: one per core
};

struct Histogram
{
    QStringList labels;                  // bin or category labels
    std::vector<double> referenceShares; // sum 1
    std::vector<double> currentShares;
};

// A figure computed from merged sketches (FeatureSketch.h) rather than raw rows: the interval certain to hold
// the exact statistic (and p-value) on the raw rows, and whether it decided the verdict.
struct SketchBound
{
    double rankError = 0; // the largest error of either side's estimated CDF (0: both sides exact)
    double statisticLow = 0, statisticHigh = 0;
    std::optional<double> pValueLow, pValueHigh;
    // False when the interval straddles the threshold: then no verdict (enoughSamples is false), as for a
    // window without enough rows.
    bool decided = true;
};

struct FeatureDrift
{
    QString name;
    FeatureKind kind = FeatureKind::Numeric;
    TestKind test = TestKind::Auto;
    double statistic = 0; // the score the verdict is made on (p-value tests: the test statistic)
    std::optional<double> pValue;
    double threshold = 0;
    bool drift = false;
    bool enoughSamples = true;
    double effectSize = 0;  // Cohen's d (numeric), Cramér's V (categories), Cohen's h (binary)
    QString effectSizeName; // "cohens_d", "cramers_v", "cohens_h"
    double psi = 0;         // always computed
    std::optional<double> ksStatistic, ksPValue, wasserstein, jensenShannon; // every test that applies
    qint64 referenceCount = 0;                                               // non-missing rows
    qint64 currentCount = 0;
    Histogram histogram;
    std::optional<SketchBound> sketch; // set when computed from sketches
};

struct DatasetDrift
{
    std::vector<FeatureDrift> features;
    int considered = 0; // features with enough samples
    int drifted = 0;
    double share = 0; // drifted / considered
    double shareThreshold = 0.5;
    bool datasetDrift = false;
    // From sketches only: features without a verdict (their interval straddles the threshold) may drift or
    // not, and that decides the dataset verdict either way: no dataset verdict (considered counts them).
    bool datasetUndecided = false;
};

// Evidently's automatic choice for a feature with `referenceRows` rows and `distinctValues`
// distinct values over both samples.
TestKind chooseTest(FeatureKind kind, qint64 referenceRows, qint64 distinctValues, qint64 smallReferenceRows);

// One categorical feature from its exact category counts (the path of compareDatasets for a categorical
// column; counts kept by sketches have no rows to list).
FeatureDrift compareCategoryCounts(const QString &name, const CategoryCounts &counts, const DriftOptions &options);

// Decides f.drift from f.statistic / f.pValue and the threshold of its test (the one rule of compareDatasets).
void decideVerdict(FeatureDrift &f, const DriftOptions &options);

// Compares every column of `current` with the column of the same name in `reference`, in
// parallel over features. Columns missing on one side are skipped.
DatasetDrift compareDatasets(const Dataset &reference, const Dataset &current, const DriftOptions &options);

} // namespace mldeck::drift
