#pragma once

namespace mldeck::drift {

// Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): the chi-square survival
// function is Q(dof / 2, statistic / 2).
double gammaQ(double a, double x);
double chiSquareSf(double statistic, double dof);
// Two-sided normal tail 2 * (1 - Φ(|z|)).
double normalTwoSidedP(double z);

// The survival function of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, as
// scipy.stats.kstwo.sf(x, n) computes it (Simard & L'Ecuyer's choice of algorithm by n and x).
double kolmogorovSf(long long n, double x);
// The one-sided Smirnov survival function P(D+_n >= x) (scipy.special.smirnov).
double smirnovSf(long long n, double x);

} // namespace mldeck::drift
