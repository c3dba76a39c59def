#pragma once

#include <span>
#include <vector>

namespace mldeck::drift {

// A numeric sample sorted once (LSD radix sort on the IEEE-754 bit pattern, NaN dropped), then
// shared by every test that needs order: KS, Wasserstein, PSI quantiles, histograms.
class SortedSample final
{
public:
    SortedSample() = default;
    explicit SortedSample(std::span<const double> values);

    const std::vector<double> &values() const { return m_values; }
    std::size_t size() const { return m_values.size(); }
    bool empty() const { return m_values.empty(); }
    double mean() const { return m_mean; }
    double stddev() const { return m_std; } // population (ddof 0), as NumPy's np.std
    // np.quantile(values, q) with linear interpolation.
    double quantile(double q) const;
    // How many values are <= x (np.searchsorted(side='right')).
    std::size_t countAtMost(double x) const;
    // How many values are < x.
    std::size_t countBelow(double x) const;

private:
    std::vector<double> m_values;
    double m_mean = 0;
    double m_std = 0;
};

// Sorts finite-or-infinite doubles ascending (NaN must be removed first). Exposed for the benchmark.
void radixSort(std::vector<double> &values);

} // namespace mldeck::drift
