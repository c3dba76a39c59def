#include "core/stats/kpi/QuantileSketch.h"

#include <algorithm>
#include <cmath>

namespace mldeck::stats {

double QuantileSketch::gamma()
{
    return (1.0 + kRelativeAccuracy) / (1.0 - kRelativeAccuracy);
}

int QuantileSketch::binOf(double value)
{
    // Mirrored by mldeck.kpi_latency_bin (007_kpi.sql): same formula, computed in double.
    // NaN and values below kMinValue share kMinValue's bin, values above kMaxValue its bin: nothing is dropped.
    const double v = (value >= kMinValue) ? std::min(value, kMaxValue) : kMinValue;
    return int(std::ceil(std::log(v) / std::log(gamma())));
}

double QuantileSketch::binValue(int bin)
{
    const double g = gamma();
    return 2.0 * std::pow(g, bin) / (g + 1.0);
}

void QuantileSketch::add(double value, qint64 count)
{
    addBin(binOf(value), count);
}

void QuantileSketch::addBin(int bin, qint64 count)
{
    if (count <= 0)
        return;
    if (m_counts.empty()) {
        m_offset = bin;
        m_counts.assign(1, 0);
    } else if (bin < m_offset) {
        m_counts.insert(m_counts.begin(), size_t(m_offset - bin), 0);
        m_offset = bin;
    } else if (bin >= m_offset + int(m_counts.size())) {
        m_counts.resize(size_t(bin - m_offset + 1), 0);
    }
    m_counts[size_t(bin - m_offset)] += count;
    m_count += count;
}

void QuantileSketch::merge(const QuantileSketch &other)
{
    if (other.m_count == 0)
        return;
    if (m_count == 0) {
        *this = other;
        return;
    }
    const int lo = std::min(m_offset, other.m_offset);
    const int hi = std::max(m_offset + int(m_counts.size()), other.m_offset + int(other.m_counts.size()));
    if (lo < m_offset) {
        m_counts.insert(m_counts.begin(), size_t(m_offset - lo), 0);
        m_offset = lo;
    }
    if (hi > m_offset + int(m_counts.size()))
        m_counts.resize(size_t(hi - m_offset), 0);
    const size_t shift = size_t(other.m_offset - m_offset);
    for (size_t k = 0; k < other.m_counts.size(); ++k)
        m_counts[shift + k] += other.m_counts[k];
    m_count += other.m_count;
}

std::optional<double> QuantileSketch::quantile(double q) const
{
    if (m_count == 0)
        return std::nullopt;
    q = std::clamp(q, 0.0, 1.0);
    const qint64 rank = std::max<qint64>(1, qint64(std::ceil(q * double(m_count))));
    qint64 seen = 0;
    for (size_t k = 0; k < m_counts.size(); ++k) {
        seen += m_counts[k];
        if (seen >= rank)
            return binValue(m_offset + int(k));
    }
    return binValue(m_offset + int(m_counts.size()) - 1);
}

QuantileSketch QuantileSketch::fromDense(int offset, std::vector<qint64> counts)
{
    // Canonical form (no zero bins at either end, offset 0 when empty) so equal contents compare equal.
    QuantileSketch s;
    size_t first = 0, last = counts.size();
    while (first < last && counts[first] <= 0)
        ++first;
    while (last > first && counts[last - 1] <= 0)
        --last;
    if (first == last)
        return s;
    s.m_offset = offset + int(first);
    s.m_counts.assign(counts.begin() + qsizetype(first), counts.begin() + qsizetype(last));
    for (qint64 &c : s.m_counts) {
        if (c < 0)
            c = 0;
        s.m_count += c;
    }
    return s;
}

} // namespace mldeck::stats
