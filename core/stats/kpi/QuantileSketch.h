#pragma once

#include <QtGlobal>

#include <optional>
#include <vector>

namespace mldeck::stats {

// A mergeable quantile sketch with a relative error bound (the DDSketch idea): a value v > 0 falls
// in bin i = ceil(log(v) / log(gamma)), gamma = (1 + a) / (1 - a), and a bin answers with
// 2 * gamma^i / (gamma + 1). Every value of bin i lies in (gamma^(i-1), gamma^i], so the answer is
// within a relative error a of any of them: the quantile returned is within a of the exact order
// statistic of the same rank. Merging adds counts bin by bin, so sketches of minutes merge into
// hours, of paths into a deployment, exactly as if every value had been added to one sketch.
//
// The bin function is mirrored in SQL (mldeck.kpi_latency_bin in resources/sql/007_kpi.sql):
// PostgreSQL and C++ must put every value in the same bin.
class QuantileSketch final
{
public:
    static constexpr double kRelativeAccuracy = 0.01; // a: 1 %
    static constexpr double kMinValue = 0.001;        // values below (incl. 0) count in this value's bin
    static constexpr double kMaxValue = 1e12;         // values above (incl. +inf) count in this value's bin (as in SQL)

    static double gamma();
    static int binOf(double value);
    static double binValue(int bin);

    void add(double value, qint64 count = 1);
    void addBin(int bin, qint64 count);
    void merge(const QuantileSketch &other);

    qint64 count() const { return m_count; }
    bool isEmpty() const { return m_count == 0; }
    // q in [0, 1]: the value of rank max(1, ceil(q * n)) (the lower order statistic), within the
    // relative error bound. Empty for an empty sketch.
    std::optional<double> quantile(double q) const;

    // Dense storage: counts()[k] is the count of bin offset() + k. What the store reads and writes.
    int offset() const { return m_offset; }
    const std::vector<qint64> &counts() const { return m_counts; }
    static QuantileSketch fromDense(int offset, std::vector<qint64> counts);

    bool operator==(const QuantileSketch &other) const = default;

private:
    int m_offset = 0;
    std::vector<qint64> m_counts;
    qint64 m_count = 0;
};

} // namespace mldeck::stats
