#include "core/stats/drift/DriftTests.h"

#include "core/stats/drift/SpecialFunctions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mldeck::drift {

namespace {

double probOutsideSquare(long long n, long long h)
{
    double P = 0.0;
    long long k = n / h;
    while (k >= 0) {
        double p1 = 1.0;
        for (long long j = 0; j < h; ++j)
            p1 = double(n - k * h - j) * p1 / double(n + k * h + j + 1);
        P = p1 * (1.0 - P);
        --k;
    }
    return 2 * P;
}

// Viehmann's recursion for 1 - p (SciPy's _compute_outer_prob_inside_method).
double outerProbInside(long long m, long long n, long long g, long long h)
{
    if (m < n)
        std::swap(m, n);
    const long long mg = m / g, ng = n / g;
    long long minj = 0;
    long long maxj = std::min((long long)std::ceil(double(h) / double(mg)), n + 1);
    long long curlen = maxj - minj;
    const long long lenA = std::min(2 * maxj + 2, n + 1);
    std::vector<double> A(std::size_t(std::max(lenA, 1LL)), 1.0);
    for (long long j = minj; j < maxj && j < lenA; ++j)
        A[std::size_t(j)] = 0.0;
    for (long long i = 1; i <= m; ++i) {
        const long long lastminj = minj, lastlen = curlen;
        minj = std::max((long long)std::floor(double(ng * i - h) / double(mg)) + 1, 0LL);
        minj = std::min(minj, n);
        maxj = std::min((long long)std::ceil(double(ng * i + h) / double(mg)), n + 1);
        if (maxj <= minj)
            return 1.0;
        double val = minj == 0 ? 0.0 : 1.0;
        for (long long jj = 0; jj < maxj - minj; ++jj) {
            const long long j = jj + minj;
            val = (A[std::size_t(jj + minj - lastminj)] * double(i) + val * double(j)) / double(i + j);
            A[std::size_t(jj)] = val;
        }
        curlen = maxj - minj;
        if (lastlen > curlen)
            for (long long t = maxj - minj; t < maxj - minj + (lastlen - curlen) && t < lenA; ++t)
                A[std::size_t(t)] = 1;
    }
    return A[std::size_t(maxj - minj - 1)];
}

} // namespace

OrderStatistics orderStatistics(const SortedSample &reference, const SortedSample &current)
{
    OrderStatistics out;
    KsResult &r = out.ks;
    const auto &a = reference.values();
    const auto &b = current.values();
    const long long n1 = (long long)a.size(), n2 = (long long)b.size();
    if (n1 == 0 || n2 == 0)
        return out;
    // One merge walk over both sorted arrays gives the KS statistic (ties consumed together, as
    // searchsorted 'right') and the Wasserstein integral of |U - V| between consecutive values.
    const double inv1 = 1.0 / double(n1), inv2 = 1.0 / double(n2);
    double maxS = 0, minS = 0, area = 0;
    std::size_t i = 0, j = 0;
    double prev = std::min(a[0], b[0]);
    while (i < a.size() || j < b.size()) {
        const double x = (j >= b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
        area += std::fabs(double(i) * inv1 - double(j) * inv2) * (x - prev);
        while (i < a.size() && a[i] <= x)
            ++i;
        while (j < b.size() && b[j] <= x)
            ++j;
        const double diff = double(i) / double(n1) - double(j) / double(n2);
        maxS = std::max(maxS, diff);
        minS = std::min(minS, diff);
        prev = x;
    }
    out.wasserstein = area;
    r = ksFromStatistic(n1, n2, std::max(maxS, std::clamp(-minS, 0.0, 1.0)));
    return out;
}

KsResult ksFromStatistic(long long n1, long long n2, double d)
{
    KsResult r;
    if (n1 <= 0 || n2 <= 0)
        return r;
    const long long g = std::gcd(n1, n2);
    bool exactDone = false;
    double prob = 1.0;
    if (std::max(n1, n2) <= 10000) {
        const long long lcm = (n1 / g) * n2;
        const long long h = std::llround(d * double(lcm));
        d = double(h) / double(lcm);
        if (h == 0) {
            prob = 1.0;
            exactDone = true;
        } else {
            prob = n1 == n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
            exactDone = std::isfinite(prob) && prob >= 0 && prob <= 1;
        }
    }
    if (!exactDone) {
        const double m = double(std::max(n1, n2)), n = double(std::min(n1, n2));
        const double en = m * n / (m + n);
        prob = kolmogorovSf((long long)std::nearbyint(en), d);
    }
    r.statistic = d;
    r.pValue = std::clamp(prob, 0.0, 1.0);
    r.exact = exactDone;
    return r;
}

KsResult ksTwoSample(const SortedSample &reference, const SortedSample &current)
{
    return orderStatistics(reference, current).ks;
}

double wassersteinDistance(const SortedSample &reference, const SortedSample &current)
{
    return orderStatistics(reference, current).wasserstein;
}

double normalisedWasserstein(const SortedSample &reference, const SortedSample &current)
{
    return wassersteinDistance(reference, current) / std::max(reference.stddev(), 0.001);
}

std::vector<double> quantileEdges(const SortedSample &reference, int bins)
{
    std::vector<double> edges;
    if (reference.empty() || bins < 2)
        return edges;
    for (int k = 1; k < bins; ++k)
        edges.push_back(reference.quantile(double(k) / bins));
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    return edges;
}

std::vector<double> binShares(const SortedSample &sample, const std::vector<double> &edges)
{
    std::vector<double> shares(edges.size() + 1, 0.0);
    if (sample.empty())
        return shares;
    std::size_t below = 0;
    for (std::size_t k = 0; k < edges.size(); ++k) {
        const std::size_t upto = sample.countBelow(edges[k]);
        shares[k] = double(upto - below);
        below = upto;
    }
    shares.back() = double(sample.size() - below);
    for (double &s : shares)
        s /= double(sample.size());
    return shares;
}

double psi(const std::vector<double> &referenceShares, const std::vector<double> &currentShares, double floor)
{
    double total = 0;
    for (std::size_t k = 0; k < referenceShares.size() && k < currentShares.size(); ++k) {
        const double r = referenceShares[k] == 0 ? floor : referenceShares[k];
        const double c = currentShares[k] == 0 ? floor : currentShares[k];
        total += (c - r) * std::log(c / r);
    }
    return total;
}

double jensenShannonDistance(const std::vector<double> &p, const std::vector<double> &q)
{
    const double sp = std::accumulate(p.begin(), p.end(), 0.0);
    const double sq = std::accumulate(q.begin(), q.end(), 0.0);
    if (sp <= 0 || sq <= 0)
        return 0;
    double js = 0;
    for (std::size_t k = 0; k < p.size() && k < q.size(); ++k) {
        const double pk = p[k] / sp, qk = q[k] / sq;
        const double m = (pk + qk) / 2;
        if (pk > 0)
            js += pk * std::log(pk / m);
        if (qk > 0)
            js += qk * std::log(qk / m);
    }
    return std::sqrt(std::max(js / 2, 0.0));
}

double CategoryCounts::referenceTotal() const
{
    return std::accumulate(reference.begin(), reference.end(), 0.0);
}
double CategoryCounts::currentTotal() const
{
    return std::accumulate(current.begin(), current.end(), 0.0);
}

ChiSquareResult chiSquareContingency(const CategoryCounts &counts)
{
    ChiSquareResult r;
    const double rt = counts.referenceTotal(), ct = counts.currentTotal();
    const double total = rt + ct;
    std::vector<std::size_t> cols;
    for (std::size_t k = 0; k < counts.labels.size(); ++k)
        if (counts.reference[k] + counts.current[k] > 0)
            cols.push_back(k);
    if (rt <= 0 || ct <= 0 || cols.size() < 2)
        return r;
    r.dof = int(cols.size()) - 1;
    double stat = 0;
    for (std::size_t k : cols) {
        const double colTotal = counts.reference[k] + counts.current[k];
        for (int row = 0; row < 2; ++row) {
            const double observed = row == 0 ? counts.reference[k] : counts.current[k];
            const double expected = (row == 0 ? rt : ct) * colTotal / total;
            double diff = observed - expected;
            if (r.dof == 1) // Yates: move each observation half a count towards its expectation
                diff = std::copysign(std::max(std::fabs(diff) - 0.5, 0.0), diff);
            stat += diff * diff / expected;
        }
    }
    r.statistic = stat;
    r.pValue = chiSquareSf(stat, r.dof);
    r.cramersV = std::sqrt(stat / total);
    return r;
}

ZTestResult proportionZTest(const CategoryCounts &counts)
{
    ZTestResult r;
    const double n1 = counts.referenceTotal(), n2 = counts.currentTotal();
    if (counts.labels.empty() || n1 <= 0 || n2 <= 0)
        return r;
    const double p1 = counts.reference[0] / n1, p2 = counts.current[0] / n2;
    const double P = (p1 * n1 + p2 * n2) / (n1 + n2);
    const double var = P * (1 - P) * (1.0 / n1 + 1.0 / n2);
    r.cohensH = std::fabs(2 * std::asin(std::sqrt(p1)) - 2 * std::asin(std::sqrt(p2)));
    if (!(var > 0))
        return r;
    r.statistic = (p1 - p2) / std::sqrt(var);
    r.pValue = normalTwoSidedP(r.statistic);
    return r;
}

double cohensD(const SortedSample &reference, const SortedSample &current)
{
    const double pooled =
        std::sqrt((reference.stddev() * reference.stddev() + current.stddev() * current.stddev()) / 2);
    if (!(pooled > 0))
        return 0;
    return (current.mean() - reference.mean()) / pooled;
}

} // namespace mldeck::drift
