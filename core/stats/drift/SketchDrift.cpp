#include "core/stats/drift/SketchDrift.h"

#include "core/stats/drift/DriftTests.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mldeck::drift {

namespace {

// One side as a step function: Ĉ(x) = weight of the points <= x, with 0 <= C(x) - Ĉ(x) <= u(x), where u(x) sums
// the weights of the compacted hours whose range [min, max) holds x.
struct Side
{
    std::vector<double> xs;  // sorted distinct values
    std::vector<double> cum; // weight of the points <= xs[i]
    std::vector<NumericSketch::ErrorRun> runs;
    double n = 0;
    double countError = 0;
    double min = 0, max = 0;

    explicit Side(const NumericSketch &s, bool useDistinct)
    {
        n = double(s.count());
        min = s.min();
        max = s.max();
        if (useDistinct && s.distinctValues()) { // exact counts: no error
            double c = 0;
            for (const auto &[value, k] : *s.distinctValues()) {
                xs.push_back(value);
                c += double(k);
                cum.push_back(c);
            }
            return;
        }
        double c = 0;
        for (const auto &p : s.points()) {
            xs.push_back(p.value);
            c += p.weight;
            cum.push_back(c);
        }
        if (!cum.empty()) // the points' weights sum to n up to rounding: the last point holds every value
            cum.back() = n;
        runs = s.errorRuns();
        countError = s.countError();
    }
    double atMost(double x) const
    {
        const auto it = std::upper_bound(xs.begin(), xs.end(), x);
        return it == xs.begin() ? 0.0 : cum[std::size_t(it - xs.begin()) - 1];
    }
    double below(double x) const
    {
        const auto it = std::lower_bound(xs.begin(), xs.end(), x);
        return it == xs.begin() ? 0.0 : cum[std::size_t(it - xs.begin()) - 1];
    }
    // The smallest point x with Ĉ(x) >= j: certainly v(j) <= x (the maximum when none). No tolerance: the
    // weights n / k are exact in binary for k = 256, and a sum rounded low only moves x up, still a bound.
    double rankUpper(double j) const
    {
        const auto it = std::lower_bound(cum.begin(), cum.end(), j);
        return it == cum.end() ? max : xs[std::size_t(it - cum.begin())];
    }
    // The largest point x with Ĉ(x) + error < j: certainly v(j) > x (none: no lower bound but the minimum).
    std::optional<double> rankLowerOpen(double j) const
    {
        const auto it = std::lower_bound(cum.begin(), cum.end(), j - countError);
        if (it == cum.begin())
            return std::nullopt;
        return xs[std::size_t(it - cum.begin()) - 1];
    }
};

// np.quantile's linear interpolation on the estimated order statistics.
double quantileEstimate(const Side &s, double q)
{
    const double pos = q * (s.n - 1);
    const double lo = std::floor(pos), frac = pos - lo;
    const double a = s.rankUpper(lo + 1), b = s.rankUpper(std::min(lo + 2, s.n));
    return frac >= 0.5 ? b - (b - a) * (1 - frac) : a + (b - a) * frac;
}

struct Interval
{
    double lo = 0, hi = 0;
};

// Jointly convex f(c, r) >= 0, zero on the diagonal, growing away from it: its range over a box.
template <class F> Interval convexRange(Interval c, Interval r, F f)
{
    const double corners[] = {f(c.lo, r.lo), f(c.lo, r.hi), f(c.hi, r.lo), f(c.hi, r.hi)};
    Interval out{0, *std::max_element(std::begin(corners), std::end(corners))};
    if (c.lo > r.hi)
        out.lo = f(c.lo, r.hi);
    else if (r.lo > c.hi)
        out.lo = f(c.hi, r.lo);
    return out;
}

double psiTerm(double c, double r)
{
    return (c - r) * std::log(c / r);
}

double jsTerm(double p, double q)
{
    const double m = (p + q) / 2;
    double t = 0;
    if (p > 0)
        t += p * std::log(p / m);
    if (q > 0)
        t += q * std::log(q / m);
    return t / 2;
}

// A share in [lo, hi] floored as psi() floors it (an exact 0 becomes `floor`; the smallest non-zero share of n
// rows is 1 / n).
Interval flooredShare(Interval s, double n, double floor)
{
    if (s.lo > 0)
        return s;
    return {std::min(floor, 1.0 / std::max(n, 1.0)), std::max(s.hi, floor)};
}

struct BinnedBounds
{
    bool available = false;
    std::vector<double> refShares, curShares; // estimates on the estimated edges
    Interval psi, js;
};

// PSI and binned Jensen–Shannon on the reference's quantile bins. Each exact edge lies in an interval given by
// the reference sketch; each side's share of a bin then lies in an interval given by its sketch, and both
// statistics (sums of jointly convex terms) in the range of those boxes. No bound when two edge intervals touch
// (the exact edges might merge into fewer bins).
BinnedBounds binnedBounds(const Side &ref, const Side &cur, const DriftOptions &o)
{
    BinnedBounds b;
    const int bins = o.psiBins;
    std::vector<double> edges; // estimates
    std::vector<std::optional<double>> lowOpen;
    std::vector<double> high;
    for (int k = 1; k < bins; ++k) {
        const double q = double(k) / bins, pos = q * (ref.n - 1);
        edges.push_back(quantileEstimate(ref, q));
        lowOpen.push_back(ref.rankLowerOpen(std::floor(pos) + 1));
        high.push_back(ref.rankUpper(std::ceil(pos) + 1));
    }
    std::vector<double> uniqueEdges = edges;
    std::sort(uniqueEdges.begin(), uniqueEdges.end());
    uniqueEdges.erase(std::unique(uniqueEdges.begin(), uniqueEdges.end()), uniqueEdges.end());
    // A reference read exactly (rows, or hours of few rows) has exactly these edges, ties merged as the exact
    // path merges them; a sketched one only edges in intervals, which must not touch.
    const bool exactEdges = ref.countError == 0;
    b.available = exactEdges || uniqueEdges.size() == edges.size();
    for (std::size_t k = 0; !exactEdges && b.available && k + 1 < edges.size(); ++k)
        b.available = lowOpen[k + 1] && high[k] <= *lowOpen[k + 1];
    auto shares = [&](const Side &s, std::vector<double> &est, std::vector<Interval> &iv) {
        std::vector<double> cutEst{0}, cutLo{0}, cutHi{0};
        for (std::size_t k = 0; k < uniqueEdges.size(); ++k) {
            // The values below the exact edge: at least those at most a point certainly below it, at most those
            // below a point certainly above it plus the side's error.
            cutEst.push_back(s.below(uniqueEdges[k]));
            if (b.available && exactEdges) {
                cutLo.push_back(s.below(uniqueEdges[k]));
                cutHi.push_back(std::min(s.n, s.below(uniqueEdges[k]) + s.countError));
            } else if (b.available) {
                cutLo.push_back(lowOpen[k] ? s.atMost(*lowOpen[k]) : 0.0);
                cutHi.push_back(std::min(s.n, s.below(high[k]) + s.countError));
            }
        }
        cutEst.push_back(s.n), cutLo.push_back(s.n), cutHi.push_back(s.n);
        for (std::size_t k = 0; k + 1 < cutEst.size(); ++k) {
            est.push_back((cutEst[k + 1] - cutEst[k]) / s.n);
            if (b.available)
                iv.push_back(
                    {std::max(0.0, cutLo[k + 1] - cutHi[k]) / s.n, std::min(s.n, cutHi[k + 1] - cutLo[k]) / s.n});
        }
    };
    std::vector<Interval> ri, ci;
    shares(ref, b.refShares, ri);
    shares(cur, b.curShares, ci);
    if (!b.available)
        return b;
    double psiLo = 0, psiHi = 0, jsLo = 0, jsHi = 0;
    for (std::size_t k = 0; k < ri.size(); ++k) {
        const Interval p =
            convexRange(flooredShare(ci[k], cur.n, o.psiFloor), flooredShare(ri[k], ref.n, o.psiFloor), psiTerm);
        psiLo += p.lo, psiHi += p.hi;
        const Interval j = convexRange(ci[k], ri[k], jsTerm);
        jsLo += j.lo, jsHi += j.hi;
    }
    b.psi = {psiLo, psiHi};
    b.js = {std::sqrt(std::max(jsLo, 0.0)), std::sqrt(std::max(jsHi, 0.0))};
    return b;
}

QString number(double v)
{
    return QString::number(v, 'g', 4);
}

Histogram histogramOf(const Side &ref, const Side &cur, int bins = 20)
{
    Histogram h;
    const double lo = std::min(ref.min, cur.min), hi = std::max(ref.max, cur.max);
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
        h.labels << number(lo);
        h.referenceShares = {1.0};
        h.currentShares = {1.0};
        return h;
    }
    double pr = 0, pc = 0;
    for (int k = 1; k <= bins; ++k) {
        const double edge = lo + (hi - lo) * k / bins;
        const double r = k == bins ? ref.n : ref.below(edge), c = k == bins ? cur.n : cur.below(edge);
        h.referenceShares.push_back((r - pr) / ref.n);
        h.currentShares.push_back((c - pc) / cur.n);
        pr = r, pc = c;
        h.labels << number(lo + (hi - lo) * (k - 0.5) / bins);
    }
    return h;
}

} // namespace

void decideWithBound(FeatureDrift &f, const DriftOptions &o)
{
    decideVerdict(f, o); // the threshold, and the verdict of the estimate
    if (!f.sketch || !f.enoughSamples)
        return;
    SketchBound &b = *f.sketch;
    bool drift = false, clean = false;
    if (testHasPValue(f.test)) {
        drift = b.pValueHigh && *b.pValueHigh < f.threshold;
        clean = b.pValueLow && *b.pValueLow >= f.threshold;
    } else {
        drift = b.statisticLow >= f.threshold;
        clean = b.statisticHigh < f.threshold;
    }
    b.decided = drift || clean;
    f.drift = drift;
    if (!b.decided)
        f.enoughSamples = false; // no verdict: changes no anti-flap count, not counted in the dataset share
}

FeatureDrift compareNumericSketches(const QString &name, const NumericSketch &reference, const NumericSketch &current,
                                    const DriftOptions &o)
{
    FeatureDrift f;
    f.name = name;
    f.kind = FeatureKind::Numeric;
    f.referenceCount = reference.count();
    f.currentCount = current.count();
    const qint64 minSamples = std::max<qint64>(o.minSamples, 1);
    f.enoughSamples = f.referenceCount >= minSamples && f.currentCount >= minSamples;
    f.test = o.testOverrides.value(name, TestKind::Auto);
    if (reference.empty() || current.empty()) {
        f.enoughSamples = false;
        decideVerdict(f, o);
        return f;
    }
    // Few distinct values, counted exactly: compared as categories, as the exact path does.
    std::map<double, std::pair<double, double>> values;
    qint64 distinct = kSketchDistinctValues + 1;
    if (reference.distinctValues() && current.distinctValues()) {
        for (const auto &[v, c] : *reference.distinctValues())
            values[v].first += double(c);
        for (const auto &[v, c] : *current.distinctValues())
            values[v].second += double(c);
        distinct = qint64(values.size());
    }
    const bool few = distinct <= 5;
    const Side ref(reference, few), cur(current, few);
    if (f.test == TestKind::Auto)
        f.test = chooseTest(FeatureKind::Numeric, f.referenceCount, distinct, o.smallReferenceRows);

    // One sweep over every breakpoint: estimated KS and Wasserstein, and their bounds from u(x).
    std::vector<double> xs = ref.xs;
    xs.insert(xs.end(), cur.xs.begin(), cur.xs.end());
    for (const Side *s : {&ref, &cur})
        for (const auto &r : s->runs)
            xs.push_back(r.min), xs.push_back(r.max);
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    struct Runs
    {
        std::vector<double> starts, ends, startWeight, endWeight;
        std::size_t si = 0, ei = 0;
        double active = 0;
        explicit Runs(const Side &s)
        {
            std::vector<NumericSketch::ErrorRun> a = s.runs, b = s.runs;
            std::sort(a.begin(), a.end(), [](auto &x, auto &y) { return x.min < y.min; });
            std::sort(b.begin(), b.end(), [](auto &x, auto &y) { return x.max < y.max; });
            for (const auto &r : a)
                starts.push_back(r.min), startWeight.push_back(r.weight);
            for (const auto &r : b)
                ends.push_back(r.max), endWeight.push_back(r.weight);
        }
        double at(double x) // Σ weights of the runs with min <= x < max; x increasing
        {
            while (si < starts.size() && starts[si] <= x)
                active += startWeight[si++];
            while (ei < ends.size() && ends[ei] <= x)
                active -= endWeight[ei++];
            return std::max(active, 0.0);
        }
    } refRuns(ref), curRuns(cur);
    std::size_t ir = 0, ic = 0;
    double cr = 0, cc = 0, ks = 0, ksBound = 0, area = 0, areaBound = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double x = xs[i];
        while (ir < ref.xs.size() && ref.xs[ir] <= x)
            cr = ref.cum[ir++];
        while (ic < cur.xs.size() && cur.xs[ic] <= x)
            cc = cur.cum[ic++];
        // The true CDF lies in [F̂, F̂ + u]: estimate it by the middle, off by at most u / 2 on each side, so the
        // difference of the two CDFs is off by at most (u_r + u_c) / 2 (half the width when one side is exact).
        const double ur = std::min(refRuns.at(x), ref.n - cr) / ref.n, uc = std::min(curRuns.at(x), cur.n - cc) / cur.n;
        const double fr = cr / ref.n + ur / 2, fc = cc / cur.n + uc / 2;
        const double m = (ur + uc) / 2;
        ks = std::max(ks, std::fabs(fr - fc));
        ksBound = std::max(ksBound, m);
        if (i + 1 < xs.size()) {
            area += std::fabs(fr - fc) * (xs[i + 1] - x);
            areaBound += m * (xs[i + 1] - x);
        }
    }
    SketchBound bound;
    bound.rankError = std::max(ref.countError / ref.n, cur.countError / cur.n);
    const KsResult ksEst = ksFromStatistic(f.referenceCount, f.currentCount, ks);
    const double ksLo = std::max(0.0, ks - ksBound), ksHi = std::min(1.0, ks + ksBound);
    f.ksStatistic = ksEst.statistic;
    f.ksPValue = ksEst.pValue;
    const double sd = std::max(reference.stddev(), 0.001);
    // The merged moments agree with a two-pass standard deviation to rounding: a relative slack of 1e-9.
    const double slack = 1e-9 * (area + areaBound) / sd;
    f.wasserstein = area / sd;
    const Interval w{std::max(0.0, (area - areaBound) / sd - slack), (area + areaBound) / sd + slack};
    const BinnedBounds binned = binnedBounds(ref, cur, o);
    f.psi = psi(binned.refShares, binned.curShares, o.psiFloor);
    const double pooled =
        std::sqrt((reference.stddev() * reference.stddev() + current.stddev() * current.stddev()) / 2);
    f.effectSize = pooled > 0 ? (current.mean() - reference.mean()) / pooled : 0;
    f.effectSizeName = QStringLiteral("cohens_d");

    CategoryCounts valueCounts;
    for (const auto &[v, rc] : values) {
        valueCounts.labels.push_back(number(v));
        valueCounts.reference.push_back(rc.first);
        valueCounts.current.push_back(rc.second);
    }
    const double unbounded = std::numeric_limits<double>::infinity();
    auto setInterval = [&](double est, double lo, double hi) {
        f.statistic = est;
        bound.statisticLow = std::min(lo, est);
        bound.statisticHigh = std::max(hi, est);
    };
    const double jsEst = few ? jensenShannonDistance(valueCounts.reference, valueCounts.current)
                             : jensenShannonDistance(binned.refShares, binned.curShares);
    const Interval jsIv = few ? Interval{jsEst, jsEst} : (binned.available ? binned.js : Interval{0, unbounded});
    f.jensenShannon = jsEst;
    switch (f.test) {
    case TestKind::KolmogorovSmirnov:
        setInterval(ks, ksLo, ksHi);
        f.pValue = ksEst.pValue;
        bound.pValueLow = ksFromStatistic(f.referenceCount, f.currentCount, ksHi).pValue;
        bound.pValueHigh = ksFromStatistic(f.referenceCount, f.currentCount, ksLo).pValue;
        break;
    case TestKind::Wasserstein:
        setInterval(*f.wasserstein, w.lo, w.hi);
        break;
    case TestKind::Psi:
        setInterval(f.psi, binned.available ? binned.psi.lo : 0, binned.available ? binned.psi.hi : unbounded);
        break;
    case TestKind::ChiSquare:
    case TestKind::ZTest: {
        if (few) { // exact value counts
            if (f.test == TestKind::ChiSquare) {
                const ChiSquareResult chi = chiSquareContingency(valueCounts);
                setInterval(chi.statistic, chi.statistic, chi.statistic);
                f.pValue = chi.pValue;
            } else {
                const ZTestResult z = proportionZTest(valueCounts);
                setInterval(z.statistic, z.statistic, z.statistic);
                f.pValue = z.pValue;
                f.effectSize = z.cohensH;
                f.effectSizeName = QStringLiteral("cohens_h");
            }
            bound.pValueLow = bound.pValueHigh = f.pValue;
        } else { // a chi-square of binned counts has no bound here: no verdict
            setInterval(0, 0, unbounded);
            f.pValue = 1;
            bound.pValueLow = 0;
            bound.pValueHigh = 1;
        }
        break;
    }
    case TestKind::JensenShannon:
    case TestKind::Auto:
        f.test = TestKind::JensenShannon;
        setInterval(jsEst, jsIv.lo, jsIv.hi);
        break;
    }
    if (few) // every figure is exact: the rank error is that of the kept counts, 0
        bound.rankError = 0;
    f.sketch = bound;
    f.histogram = histogramOf(ref, cur);
    decideWithBound(f, o);
    return f;
}

FeatureDrift compareCategorySketches(const QString &name, const CategorySketch &reference,
                                     const CategorySketch &current, const DriftOptions &o)
{
    std::map<QString, std::pair<double, double>> counts;
    for (const auto &[label, c] : reference.counts())
        counts[label].first += double(c);
    for (const auto &[label, c] : current.counts())
        counts[label].second += double(c);
    CategoryCounts c;
    for (const auto &[label, rc] : counts) {
        c.labels.push_back(label);
        c.reference.push_back(rc.first);
        c.current.push_back(rc.second);
    }
    FeatureDrift f = compareCategoryCounts(name, c, o);
    SketchBound bound; // exact counts: a bound of width 0
    bound.statisticLow = bound.statisticHigh = f.statistic;
    bound.pValueLow = bound.pValueHigh = f.pValue;
    f.sketch = bound;
    return f;
}

} // namespace mldeck::drift
