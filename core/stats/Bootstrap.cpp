#include "core/stats/Bootstrap.h"

#include "core/stats/Metrics.h"

#include <algorithm>
#include <cmath>

namespace mldeck::stats {

namespace {

__extension__ typedef unsigned __int128 Uint128; // GCC/Clang: the portable fast bounded draw

// splitmix64 seeding + xoshiro256**: fast and identical on every platform (no std:: distributions).
class Rng
{
public:
    explicit Rng(quint64 seed)
    {
        for (auto &s : m_s) {
            seed += 0x9e3779b97f4a7c15ULL;
            quint64 z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            s = z ^ (z >> 31);
        }
    }
    quint64 next()
    {
        const quint64 result = rotl(m_s[1] * 5, 7) * 9;
        const quint64 t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    // Uniform in [0, n) by the multiply-shift method (bias negligible for n << 2^64).
    size_t below(size_t n) { return size_t(Uint128(next()) * n >> 64); }

private:
    static quint64 rotl(quint64 x, int k) { return (x << k) | (x >> (64 - k)); }
    quint64 m_s[4]{};
};

double finish(double mean, Aggregate aggregate)
{
    return aggregate == Aggregate::RootMean ? std::sqrt(std::max(0.0, mean)) : mean;
}

double relativeTo(double a, double b)
{
    return a != 0 ? (b - a) / std::abs(a) : 0.0;
}

double percentile(std::vector<double> values, double q)
{
    std::sort(values.begin(), values.end());
    const double pos = q * double(values.size() - 1);
    const size_t lo = size_t(std::floor(pos));
    const size_t hi = std::min(values.size() - 1, lo + 1);
    return values[lo] + (values[hi] - values[lo]) * (pos - double(lo));
}

} // namespace

PairedSeries accuracySeries(const ClassSpec &spec, std::span<const double> probabilitiesA,
                            std::span<const double> probabilitiesB, std::span<const int> actual)
{
    return PairedSeries{rowHits(spec, probabilitiesA, actual), rowHits(spec, probabilitiesB, actual), Aggregate::Mean};
}

PairedSeries logLossSeries(int classes, std::span<const double> probabilitiesA, std::span<const double> probabilitiesB,
                           std::span<const int> actual)
{
    return PairedSeries{rowLogLoss(classes, probabilitiesA, actual), rowLogLoss(classes, probabilitiesB, actual),
                        Aggregate::Mean};
}

int defaultResamples(qint64 rows)
{
    if (rows <= 200'000)
        return 1000;
    return int(std::clamp<qint64>(200'000'000 / std::max<qint64>(rows, 1), 200, 1000));
}

std::vector<DifferenceInterval> pairedBootstrap(const std::vector<PairedSeries> &series,
                                                const BootstrapOptions &options)
{
    if (series.empty() || options.resamples < 1)
        return {};
    const size_t n = series.front().a.size();
    for (const auto &s : series)
        if (s.a.size() != n || s.b.size() != n)
            return {};
    if (n == 0)
        return {};

    const size_t k = series.size();
    std::vector<DifferenceInterval> out(k);
    for (size_t j = 0; j < k; ++j) {
        double sa = 0, sb = 0;
        for (size_t i = 0; i < n; ++i) {
            sa += series[j].a[i];
            sb += series[j].b[i];
        }
        out[j].valueA = finish(sa / double(n), series[j].aggregate);
        out[j].valueB = finish(sb / double(n), series[j].aggregate);
        out[j].difference = out[j].valueB - out[j].valueA;
        out[j].relative = relativeTo(out[j].valueA, out[j].valueB);
        out[j].level = options.level;
        out[j].resamples = options.resamples;
    }

    Rng rng(options.seed);
    std::vector<std::vector<double>> diffs(k), rels(k);
    for (size_t j = 0; j < k; ++j) {
        diffs[j].reserve(size_t(options.resamples));
        rels[j].reserve(size_t(options.resamples));
    }
    std::vector<double> sumA(k), sumB(k);
    for (int r = 0; r < options.resamples; ++r) {
        if (options.cancel && options.cancel->load(std::memory_order_relaxed))
            return {};
        std::fill(sumA.begin(), sumA.end(), 0.0);
        std::fill(sumB.begin(), sumB.end(), 0.0);
        for (size_t i = 0; i < n; ++i) {
            const size_t idx = rng.below(n);
            for (size_t j = 0; j < k; ++j) {
                sumA[j] += series[j].a[idx];
                sumB[j] += series[j].b[idx];
            }
        }
        for (size_t j = 0; j < k; ++j) {
            const double a = finish(sumA[j] / double(n), series[j].aggregate);
            const double b = finish(sumB[j] / double(n), series[j].aggregate);
            diffs[j].push_back(b - a);
            rels[j].push_back(relativeTo(a, b));
        }
        if (options.progress && (r % 16 == 15 || r + 1 == options.resamples))
            options.progress(double(r + 1) / double(options.resamples));
    }
    const double tail = (1.0 - options.level) / 2.0;
    for (size_t j = 0; j < k; ++j) {
        out[j].low = percentile(diffs[j], tail);
        out[j].high = percentile(diffs[j], 1.0 - tail);
        out[j].relativeLow = percentile(rels[j], tail);
        out[j].relativeHigh = percentile(rels[j], 1.0 - tail);
    }
    return out;
}

} // namespace mldeck::stats
