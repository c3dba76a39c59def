#pragma once

#include <QByteArray>
#include <QString>

#include <map>
#include <optional>
#include <span>
#include <vector>

// Mergeable per-hour summaries of a feature for drift over long windows (resources/contract/drift.md,
// "Drift from sketches").
namespace mldeck::drift {

// Points kept per hour and feature: the normalised rank error is at most 1 / kSketchPoints (deterministic).
constexpr int kSketchPoints = 256;
// A numeric feature with at most this many distinct values keeps their exact counts (the exact path compares
// such a feature's values as categories when it has 5 or fewer).
constexpr int kSketchDistinctValues = 6;

// A numeric quantile sketch with a deterministic rank error bound.
//
// One hour of n values v(1) <= ... <= v(n) keeps, when n > k, the k points q(j) = v(ceil(j n / k)), each of
// weight w = n / k (when n <= k, every value with weight 1: exact). Ĉ(x), the weight of the points <= x,
// then satisfies 0 <= C(x) - Ĉ(x) < w for every x, where C(x) counts the values <= x, and the error is 0
// below the hour's minimum and from its maximum on. Merging hours keeps every point and adds the errors, so
// a merge of hours of n(h) values each satisfies 0 <= C(x) - Ĉ(x) < Σ w(h) <= N / k: the estimated CDF is
// never above the true one and at most 1 / k below it, whatever the number of hours merged.
class NumericSketch final
{
public:
    // From values (NaN: missing, counted apart), k points at most.
    static NumericSketch fromValues(std::span<const double> values, int k = kSketchPoints);

    void merge(const NumericSketch &other);

    qint64 count() const { return m_count; } // non-missing values
    qint64 missing() const { return m_missing; }
    bool empty() const { return m_count == 0; }
    double min() const { return m_min; }
    double max() const { return m_max; }
    double mean() const { return m_mean; }
    double stddev() const; // population (ddof 0), exact up to rounding (merged moments)
    // Σ w(h) over the compacted hours: 0 <= C(x) - Ĉ(x) < countError() for every x.
    double countError() const;
    // countError() / count(): the bound on the estimated CDF (at most 1 / k); 0 for an exact sketch.
    double rankError() const { return m_count > 0 ? countError() / double(m_count) : 0; }
    // The exact counts of each value while the merged hours hold at most kSketchDistinctValues values.
    const std::optional<std::map<double, qint64>> &distinctValues() const { return m_distinct; }

    // Sorted (value, weight) points of every merged hour, ties merged.
    struct Point
    {
        double value = 0;
        double weight = 0;
    };
    std::vector<Point> points() const;
    // The range of a compacted hour and the weight of its points: the error is in [min, max) only.
    struct ErrorRun
    {
        double min = 0, max = 0, weight = 0;
    };
    const std::vector<ErrorRun> &errorRuns() const { return m_runs; }

    QByteArray serialise() const;
    // An error text when the bytes are not a numeric sketch.
    static std::optional<NumericSketch> deserialise(const QByteArray &bytes, QString *error = nullptr);

private:
    qint64 m_count = 0;
    qint64 m_missing = 0;
    double m_min = 0, m_max = 0, m_mean = 0, m_m2 = 0;
    std::vector<Point> m_points; // unsorted across merged hours
    std::vector<ErrorRun> m_runs;
    std::optional<std::map<double, qint64>> m_distinct = std::map<double, qint64>{};
};

// Exact counts of a categorical feature's labels (and of the missing values).
class CategorySketch final
{
public:
    static CategorySketch fromLabels(const QStringList &labels); // null: missing
    void merge(const CategorySketch &other);
    qint64 count() const;
    qint64 missing() const { return m_missing; }
    bool empty() const { return count() == 0; }
    const std::map<QString, qint64> &counts() const { return m_counts; }

    QByteArray serialise() const;
    static std::optional<CategorySketch> deserialise(const QByteArray &bytes, QString *error = nullptr);

private:
    std::map<QString, qint64> m_counts;
    qint64 m_missing = 0;
};

} // namespace mldeck::drift
