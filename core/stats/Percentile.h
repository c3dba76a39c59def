#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace mldeck::stats {

// The q-quantile of values by the nearest-rank rule (the smallest value with at least q of them at or
// below it; q = 0: the smallest). 0 when empty. Used for latency p50/p99.
inline double percentile(std::vector<double> values, double q)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto rank = size_t(std::ceil(q * double(values.size())));
    return values[std::min(values.size() - 1, rank > 0 ? rank - 1 : 0)];
}

} // namespace mldeck::stats
