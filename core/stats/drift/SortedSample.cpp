#include "core/stats/drift/SortedSample.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace mldeck::drift {

namespace {

inline std::uint64_t toKey(double v)
{
    std::uint64_t u = 0;
    std::memcpy(&u, &v, sizeof u);
    // Negative numbers: flip every bit; positive: flip the sign bit. Then unsigned order = numeric order.
    return (u & 0x8000000000000000ULL) ? ~u : (u | 0x8000000000000000ULL);
}

inline double fromKey(std::uint64_t k)
{
    const std::uint64_t u = (k & 0x8000000000000000ULL) ? (k & ~0x8000000000000000ULL) : ~k;
    double v = 0;
    std::memcpy(&v, &u, sizeof v);
    return v;
}

} // namespace

void radixSort(std::vector<double> &values)
{
    const std::size_t n = values.size();
    if (n < 256) {
        std::sort(values.begin(), values.end());
        return;
    }
    std::vector<std::uint64_t> keys(n), tmp(n);
    std::uint64_t anyOne = 0, allOnes = ~std::uint64_t(0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t k = toKey(values[i]);
        keys[i] = k;
        anyOne |= k;
        allOnes &= k;
    }
    // Sort only on the bits that differ between keys: float32-origin data (the log stores real)
    // has 29 constant low bits and few varying exponent bits, so three 12-bit passes do.
    const std::uint64_t varying = anyOne ^ allOnes;
    if (varying == 0)
        return;
    const int low = std::countr_zero(varying);
    const int high = 63 - std::countl_zero(varying);
    constexpr int kBits = 12;
    constexpr std::size_t kBuckets = std::size_t(1) << kBits;
    std::vector<std::uint32_t> counts(kBuckets);
    for (int shift = low; shift <= high; shift += kBits) {
        std::fill(counts.begin(), counts.end(), 0);
        for (std::size_t i = 0; i < n; ++i)
            ++counts[(keys[i] >> shift) & (kBuckets - 1)];
        std::uint32_t sum = 0;
        for (auto &x : counts) {
            const std::uint32_t v = x;
            x = sum;
            sum += v;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t k = keys[i];
            tmp[counts[(k >> shift) & (kBuckets - 1)]++] = k;
        }
        keys.swap(tmp);
    }
    for (std::size_t i = 0; i < n; ++i)
        values[i] = fromKey(keys[i]);
}

SortedSample::SortedSample(std::span<const double> values)
{
    m_values.reserve(values.size());
    for (double v : values)
        if (!std::isnan(v))
            m_values.push_back(v);
    radixSort(m_values);
    if (m_values.empty())
        return;
    // Two-pass mean and variance, as NumPy does.
    double sum = 0;
    for (double v : m_values)
        sum += v;
    m_mean = sum / double(m_values.size());
    double ss = 0;
    for (double v : m_values)
        ss += (v - m_mean) * (v - m_mean);
    m_std = std::sqrt(ss / double(m_values.size()));
}

double SortedSample::quantile(double q) const
{
    if (m_values.empty())
        return std::nan("");
    const double pos = q * double(m_values.size() - 1);
    const std::size_t lo = std::size_t(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, m_values.size() - 1);
    const double frac = pos - double(lo);
    // NumPy's lerp: a + (b - a) * t, computed from the far end when t >= 0.5.
    const double a = m_values[lo], b = m_values[hi];
    const double diff = b - a;
    return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
}

std::size_t SortedSample::countAtMost(double x) const
{
    return std::size_t(std::upper_bound(m_values.begin(), m_values.end(), x) - m_values.begin());
}

std::size_t SortedSample::countBelow(double x) const
{
    return std::size_t(std::lower_bound(m_values.begin(), m_values.end(), x) - m_values.begin());
}

} // namespace mldeck::drift
