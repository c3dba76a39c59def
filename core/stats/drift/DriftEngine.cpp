#include "core/stats/drift/DriftEngine.h"

#include "core/stats/drift/DriftTests.h"
#include "core/stats/drift/SortedSample.h"

#include <QHash>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <thread>

namespace mldeck::drift {

QString testKey(TestKind test)
{
    switch (test) {
    case TestKind::Auto:
        return QStringLiteral("auto");
    case TestKind::KolmogorovSmirnov:
        return QStringLiteral("ks");
    case TestKind::Wasserstein:
        return QStringLiteral("wasserstein");
    case TestKind::Psi:
        return QStringLiteral("psi");
    case TestKind::ChiSquare:
        return QStringLiteral("chisquare");
    case TestKind::JensenShannon:
        return QStringLiteral("jensenshannon");
    case TestKind::ZTest:
        return QStringLiteral("ztest");
    }
    return {};
}

std::optional<TestKind> testFromKey(const QString &key)
{
    for (TestKind t : {TestKind::Auto, TestKind::KolmogorovSmirnov, TestKind::Wasserstein, TestKind::Psi,
                       TestKind::ChiSquare, TestKind::JensenShannon, TestKind::ZTest})
        if (testKey(t) == key.trimmed().toLower())
            return t;
    return std::nullopt;
}

bool testHasPValue(TestKind test)
{
    return test == TestKind::KolmogorovSmirnov || test == TestKind::ChiSquare || test == TestKind::ZTest;
}

const Column *Dataset::find(const QString &name) const
{
    for (const Column &c : columns)
        if (c.name == name)
            return &c;
    return nullptr;
}

TestKind chooseTest(FeatureKind kind, qint64 referenceRows, qint64 distinctValues, qint64 smallReferenceRows)
{
    if (referenceRows <= smallReferenceRows) {
        if (kind == FeatureKind::Numeric && distinctValues > 5)
            return TestKind::KolmogorovSmirnov;
        return distinctValues > 2 ? TestKind::ChiSquare : TestKind::ZTest;
    }
    if (kind == FeatureKind::Numeric && distinctValues > 5)
        return TestKind::Wasserstein;
    return TestKind::JensenShannon;
}

namespace {

QString number(double v)
{
    return QString::number(v, 'g', 4);
}

CategoryCounts countLabels(const QStringList &reference, const QStringList &current)
{
    std::map<QString, std::pair<double, double>> counts; // sorted labels: stable output
    for (const QString &s : reference)
        if (!s.isNull())
            counts[s].first += 1;
    for (const QString &s : current)
        if (!s.isNull())
            counts[s].second += 1;
    CategoryCounts c;
    for (const auto &[label, rc] : counts) {
        c.labels.push_back(label);
        c.reference.push_back(rc.first);
        c.current.push_back(rc.second);
    }
    return c;
}

// Distinct values of a numeric feature as categories, capped: only used when there are few.
CategoryCounts countValues(const SortedSample &reference, const SortedSample &current, std::size_t cap)
{
    CategoryCounts c;
    const auto &a = reference.values();
    const auto &b = current.values();
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        const double x = (j >= b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
        double ra = 0, cb = 0;
        while (i < a.size() && a[i] <= x)
            ++i, ++ra;
        while (j < b.size() && b[j] <= x)
            ++j, ++cb;
        c.labels.push_back(number(x));
        c.reference.push_back(ra);
        c.current.push_back(cb);
        if (c.labels.size() > cap)
            break;
    }
    return c;
}

Histogram numericHistogram(const SortedSample &reference, const SortedSample &current, int bins = 20)
{
    Histogram h;
    const double lo = std::min(reference.empty() ? current.values().front() : reference.values().front(),
                               current.empty() ? reference.values().front() : current.values().front());
    const double hi = std::max(reference.empty() ? current.values().back() : reference.values().back(),
                               current.empty() ? reference.values().back() : current.values().back());
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
        h.labels << number(lo);
        h.referenceShares = {reference.empty() ? 0.0 : 1.0};
        h.currentShares = {current.empty() ? 0.0 : 1.0};
        return h;
    }
    std::vector<double> edges;
    for (int k = 1; k < bins; ++k)
        edges.push_back(lo + (hi - lo) * k / bins);
    h.referenceShares = binShares(reference, edges);
    h.currentShares = binShares(current, edges);
    for (int k = 0; k < bins; ++k)
        h.labels << number(lo + (hi - lo) * (k + 0.5) / bins);
    return h;
}

void decide(FeatureDrift &f, const DriftOptions &o)
{
    const bool pTest = testHasPValue(f.test);
    f.threshold = o.thresholdOverrides.value(
        f.name, pTest ? o.pValueThreshold : (f.test == TestKind::Psi ? o.psiThreshold : o.distanceThreshold));
    if (!f.enoughSamples) {
        f.drift = false;
        return;
    }
    f.drift = pTest ? (f.pValue && *f.pValue < f.threshold) : (f.statistic >= f.threshold);
}

FeatureDrift compareNumeric(const Column &ref, const Column &cur, const DriftOptions &o)
{
    FeatureDrift f;
    f.name = cur.name;
    f.kind = FeatureKind::Numeric;
    const SortedSample a(ref.numeric), b(cur.numeric);
    f.referenceCount = qint64(a.size());
    f.currentCount = qint64(b.size());
    f.enoughSamples =
        f.referenceCount >= std::max<qint64>(o.minSamples, 1) && f.currentCount >= std::max<qint64>(o.minSamples, 1);
    if (a.empty() || b.empty()) {
        f.enoughSamples = false;
        f.test = o.testOverrides.value(f.name, TestKind::Auto);
        decide(f, o);
        return f;
    }
    const CategoryCounts values = countValues(a, b, 6);
    const qint64 distinct = qint64(values.labels.size());
    TestKind test = o.testOverrides.value(f.name, TestKind::Auto);
    if (test == TestKind::Auto)
        test = chooseTest(FeatureKind::Numeric, f.referenceCount, distinct, o.smallReferenceRows);
    f.test = test;

    // Every numeric test reuses the two sorted arrays.
    const OrderStatistics order = orderStatistics(a, b);
    const KsResult &ks = order.ks;
    f.ksStatistic = ks.statistic;
    f.ksPValue = ks.pValue;
    f.wasserstein = order.wasserstein / std::max(a.stddev(), 0.001);
    const std::vector<double> edges = quantileEdges(a, o.psiBins);
    const std::vector<double> rs = binShares(a, edges), cs = binShares(b, edges);
    f.psi = psi(rs, cs, o.psiFloor);
    f.effectSize = cohensD(a, b);
    f.effectSizeName = QStringLiteral("cohens_d");

    switch (test) {
    case TestKind::KolmogorovSmirnov:
        f.statistic = ks.statistic;
        f.pValue = ks.pValue;
        break;
    case TestKind::Wasserstein:
        f.statistic = *f.wasserstein;
        break;
    case TestKind::Psi:
        f.statistic = f.psi;
        break;
    case TestKind::JensenShannon:
    case TestKind::Auto:
        f.test = TestKind::JensenShannon;
        if (distinct <= 5) // few values: compare them as categories
            f.statistic = jensenShannonDistance(values.reference, values.current);
        else
            f.statistic = jensenShannonDistance(rs, cs);
        break;
    case TestKind::ChiSquare: {
        CategoryCounts input = values; // few values: as categories; else the PSI bins as counts
        if (distinct > 5) {
            input = {};
            for (std::size_t k = 0; k < rs.size(); ++k) {
                input.labels.push_back(QString::number(k));
                input.reference.push_back(rs[k] * double(a.size()));
                input.current.push_back(cs[k] * double(b.size()));
            }
        }
        const ChiSquareResult chi = chiSquareContingency(input);
        f.statistic = chi.statistic;
        f.pValue = chi.pValue;
        break;
    }
    case TestKind::ZTest: {
        const ZTestResult z = proportionZTest(values);
        f.statistic = z.statistic;
        f.pValue = z.pValue;
        f.effectSize = z.cohensH;
        f.effectSizeName = QStringLiteral("cohens_h");
        break;
    }
    }
    if (!f.jensenShannon)
        f.jensenShannon =
            distinct <= 5 ? jensenShannonDistance(values.reference, values.current) : jensenShannonDistance(rs, cs);
    f.histogram = numericHistogram(a, b);
    decide(f, o);
    return f;
}

} // namespace

FeatureDrift compareCategoryCounts(const QString &name, const CategoryCounts &c, const DriftOptions &o)
{
    FeatureDrift f;
    f.name = name;
    f.kind = FeatureKind::Categorical;
    f.referenceCount = qint64(c.referenceTotal());
    f.currentCount = qint64(c.currentTotal());
    f.enoughSamples =
        f.referenceCount >= std::max<qint64>(o.minSamples, 1) && f.currentCount >= std::max<qint64>(o.minSamples, 1);
    TestKind test = o.testOverrides.value(f.name, TestKind::Auto);
    if (test == TestKind::Auto)
        test = chooseTest(FeatureKind::Categorical, f.referenceCount, qint64(c.labels.size()), o.smallReferenceRows);
    if (test == TestKind::KolmogorovSmirnov || test == TestKind::Wasserstein)
        test = TestKind::JensenShannon; // order-based tests do not apply to categories
    f.test = test;
    std::vector<double> rs = c.reference, cs = c.current;
    for (double &x : rs)
        x /= std::max(c.referenceTotal(), 1.0);
    for (double &x : cs)
        x /= std::max(c.currentTotal(), 1.0);
    f.psi = psi(rs, cs, o.psiFloor);
    f.jensenShannon = jensenShannonDistance(c.reference, c.current);
    const ChiSquareResult chi = chiSquareContingency(c);
    f.effectSize = chi.cramersV;
    f.effectSizeName = QStringLiteral("cramers_v");
    switch (test) {
    case TestKind::ChiSquare:
        f.statistic = chi.statistic;
        f.pValue = chi.pValue;
        break;
    case TestKind::ZTest: {
        const ZTestResult z = proportionZTest(c);
        f.statistic = z.statistic;
        f.pValue = z.pValue;
        f.effectSize = z.cohensH;
        f.effectSizeName = QStringLiteral("cohens_h");
        break;
    }
    case TestKind::Psi:
        f.statistic = f.psi;
        break;
    default:
        f.statistic = *f.jensenShannon;
        break;
    }
    for (const QString &l : c.labels)
        f.histogram.labels << l;
    f.histogram.referenceShares = rs;
    f.histogram.currentShares = cs;
    decide(f, o);
    return f;
}

void decideVerdict(FeatureDrift &f, const DriftOptions &o)
{
    decide(f, o);
}

namespace {

FeatureDrift compareCategorical(const Column &ref, const Column &cur, const DriftOptions &o)
{
    return compareCategoryCounts(cur.name, countLabels(ref.categorical, cur.categorical), o);
}

} // namespace

DatasetDrift compareDatasets(const Dataset &reference, const Dataset &current, const DriftOptions &options)
{
    std::vector<std::pair<const Column *, const Column *>> pairs;
    for (const Column &cur : current.columns)
        if (const Column *ref = reference.find(cur.name); ref && ref->kind == cur.kind)
            pairs.emplace_back(ref, &cur);

    DatasetDrift result;
    result.shareThreshold = options.datasetShare;
    result.features.resize(pairs.size());
    // Parallel over features: each one sorts its own two arrays, nothing is shared.
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t k = next++; k < pairs.size(); k = next++) {
            const auto &[ref, cur] = pairs[k];
            result.features[k] = cur->kind == FeatureKind::Numeric ? compareNumeric(*ref, *cur, options)
                                                                   : compareCategorical(*ref, *cur, options);
        }
    };
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t nThreads =
        std::min<std::size_t>(pairs.size(), options.threads > 0 ? std::size_t(options.threads) : hw);
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < nThreads; ++t)
        threads.emplace_back(worker);
    worker();
    for (auto &t : threads)
        t.join();

    for (const FeatureDrift &f : result.features) {
        if (!f.enoughSamples)
            continue;
        ++result.considered;
        if (f.drift)
            ++result.drifted;
    }
    result.share = result.considered > 0 ? double(result.drifted) / result.considered : 0;
    result.datasetDrift = result.considered > 0 && result.share >= options.datasetShare;
    return result;
}

} // namespace mldeck::drift
