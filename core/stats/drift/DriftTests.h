#pragma once

#include "core/stats/drift/SortedSample.h"

#include <QString>

#include <vector>

// The statistical tests of drift detection. Pure functions over sorted samples or category
// counts; each agrees with SciPy/NumPy (see tests/unit/drift/make_drift_fixtures.py).
namespace mldeck::drift {

struct KsResult
{
    double statistic = 0;
    double pValue = 1;
    bool exact = false; // exact lattice-path p-value (as SciPy's method='auto' below 10,000 rows)
};
// scipy.stats.ks_2samp(reference, current) with method='auto', alternative='two-sided'.
KsResult ksTwoSample(const SortedSample &reference, const SortedSample &current);
// The same from the statistic D of samples of n1 and n2 values (the p-value does not increase with D).
KsResult ksFromStatistic(long long n1, long long n2, double d);

// KS and the Wasserstein distance from one merge walk over the two sorted samples.
struct OrderStatistics
{
    KsResult ks;
    double wasserstein = 0;
};
OrderStatistics orderStatistics(const SortedSample &reference, const SortedSample &current);

// scipy.stats.wasserstein_distance(reference, current).
double wassersteinDistance(const SortedSample &reference, const SortedSample &current);
// Divided by the reference's standard deviation (at least 0.001, as Evidently), so the
// threshold 0.1 means "a tenth of a standard deviation of mass moved".
double normalisedWasserstein(const SortedSample &reference, const SortedSample &current);

// Bins from reference quantiles: the distinct interior edges
// np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1))[1:-1]); bin k holds [e(k-1), e(k)).
std::vector<double> quantileEdges(const SortedSample &reference, int bins);
// Shares of a sample in the bins given by edges (sum 1; empty sample -> all 0).
std::vector<double> binShares(const SortedSample &sample, const std::vector<double> &edges);

// Population Stability Index: sum (c - r) ln(c / r), shares below `floor` raised to it.
double psi(const std::vector<double> &referenceShares, const std::vector<double> &currentShares, double floor = 1e-4);
// scipy.spatial.distance.jensenshannon(p, q) (natural log): inputs are normalised first.
double jensenShannonDistance(const std::vector<double> &p, const std::vector<double> &q);

// Counts of each category in the two samples, over the union of categories.
struct CategoryCounts
{
    std::vector<QString> labels;
    std::vector<double> reference;
    std::vector<double> current;
    double referenceTotal() const;
    double currentTotal() const;
};

struct ChiSquareResult
{
    double statistic = 0;
    double pValue = 1;
    int dof = 0;
    double cramersV = 0;
};
// scipy.stats.chi2_contingency([reference, current]) (Yates' correction when dof is 1).
ChiSquareResult chiSquareContingency(const CategoryCounts &counts);

struct ZTestResult
{
    double statistic = 0;
    double pValue = 1;
    double cohensH = 0;
};
// Two-proportion z-test for a binary feature (Evidently's proportions_diff_z_test), on the
// share of the first label.
ZTestResult proportionZTest(const CategoryCounts &counts);

// Cohen's d: (mean_current - mean_reference) / sqrt((var_r + var_c) / 2).
double cohensD(const SortedSample &reference, const SortedSample &current);

} // namespace mldeck::drift
