#include "core/stats/drift/SpecialFunctions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>
#include <vector>

// Ports of the algorithms SciPy 1.10 uses (scipy/stats/_ksstats.py, cephes kolmogorov.c), so
// that p-values agree with SciPy to about 1e-10; see tests/unit/drift for the fixtures.
namespace mldeck::drift {

namespace {

constexpr int kE128 = 128;
const double kEP128 = std::ldexp(1.0, kE128);
const double kEM128 = std::ldexp(1.0, -kE128);

double clip01(double p)
{
    return std::clamp(p, 0.0, 1.0);
}

// Series for P(a, x), valid for x < a + 1.
double gammaPSeries(double a, double x)
{
    double sum = 1.0 / a;
    double del = sum;
    double ap = a;
    for (int n = 0; n < 100000; ++n) {
        ap += 1;
        del *= x / ap;
        sum += del;
        if (std::fabs(del) < std::fabs(sum) * 1e-16)
            break;
    }
    return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Continued fraction for Q(a, x), valid for x >= a + 1 (modified Lentz).
double gammaQFraction(double a, double x)
{
    constexpr double tiny = 1e-300;
    double b = x + 1 - a;
    double c = 1 / tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < 100000; ++i) {
        const double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (std::fabs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (std::fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        const double del = d * c;
        h *= del;
        if (std::fabs(del - 1) < 1e-16)
            break;
    }
    return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

double logNFactorialDivNPowN(double n)
{
    static constexpr double coeffs[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3, -1.9175269175269175269e-3,
                                        8.4175084175084175084e-4,  -5.952380952380952381e-4, 7.9365079365079365079e-4,
                                        -2.7777777777777777778e-3, 8.3333333333333333333e-2};
    const double rn = 1.0 / n;
    const double y = rn / n;
    double poly = 0;
    for (double c : coeffs)
        poly = poly * y + c;
    return std::log(n) / 2 - n + std::log(2 * std::numbers::pi) / 2 + rn * poly;
}

using Matrix = std::vector<double>; // row-major m x m

Matrix multiply(const Matrix &a, const Matrix &b, int m)
{
    Matrix c(size_t(m) * m, 0.0);
    for (int i = 0; i < m; ++i)
        for (int k = 0; k < m; ++k) {
            const double aik = a[size_t(i) * m + k];
            if (aik == 0)
                continue;
            for (int j = 0; j < m; ++j)
                c[size_t(i) * m + j] += aik * b[size_t(k) * m + j];
        }
    return c;
}

// Durbin matrix, Marsaglia–Tsang–Wang: Pr(D_n <= d).
double kolmogornDmtwCdf(long long n, double d)
{
    if (d >= 1.0)
        return 1.0;
    const double nd = double(n) * d;
    if (nd <= 0.5)
        return 0.0;
    const int k = int(std::ceil(nd));
    const double h = k - nd;
    const int m = 2 * k - 1;
    Matrix H(size_t(m) * m, 0.0);
    std::vector<double> v(m), w(m);
    double fac = 1.0;
    for (int j = 1; j <= m; ++j) {
        v[j - 1] = 1.0 - std::pow(h, j);
        w[j - 1] = fac;
        fac /= j;
        v[j - 1] *= fac;
    }
    const double tt = std::pow(std::max(2 * h - 1.0, 0.0), m) - 2 * std::pow(h, m);
    v[m - 1] = (1.0 + tt) * fac;
    for (int i = 1; i < m; ++i)
        for (int r = i - 1; r < m; ++r)
            H[size_t(r) * m + i] = w[r - (i - 1)];
    for (int r = 0; r < m; ++r)
        H[size_t(r) * m] = v[r];
    for (int c = 0; c < m; ++c)
        H[size_t(m - 1) * m + c] = v[m - 1 - c];
    Matrix power(size_t(m) * m, 0.0);
    for (int i = 0; i < m; ++i)
        power[size_t(i) * m + i] = 1.0;
    long long nn = n;
    long long expnt = 0, hExpnt = 0;
    while (nn > 0) {
        if (nn % 2) {
            power = multiply(power, H, m);
            expnt += hExpnt;
        }
        H = multiply(H, H, m);
        hExpnt *= 2;
        if (std::fabs(H[size_t(k - 1) * m + (k - 1)]) > kEP128) {
            for (double &x : H)
                x /= kEP128;
            hExpnt += kE128;
        }
        nn /= 2;
    }
    double p = power[size_t(k - 1) * m + (k - 1)];
    for (long long i = 1; i <= n; ++i) {
        p = double(i) * p / double(n);
        if (std::fabs(p) < kEM128) {
            p *= kEP128;
            expnt -= kE128;
        }
    }
    if (expnt != 0)
        p = std::ldexp(p, int(expnt));
    return clip01(p);
}

std::pair<long long, long long> pomeranzJ1J2(long long i, long long n, long long ll, int ceilf, int roundf)
{
    long long j1 = 0, j2 = 0;
    if (i == 0) {
        j1 = -ll - ceilf - 1;
        j2 = ll + ceilf - 1;
    } else {
        const long long ip1div2 = (i + 1) / 2, ip1mod2 = (i + 1) % 2;
        if (ip1mod2 == 0) {
            if (ip1div2 == n + 1) {
                j1 = n - ll - ceilf - 1;
                j2 = n + ll + ceilf - 1;
            } else {
                j1 = ip1div2 - 1 - ll - roundf - 1;
                j2 = ip1div2 + ll - 1 + ceilf - 1;
            }
        } else {
            j1 = ip1div2 - 1 - ll - 1;
            j2 = ip1div2 + ll + roundf - 1;
        }
    }
    return {std::max(j1 + 2, 0LL), std::min(j2, n)};
}

// Pomeranz recursion: Pr(D_n <= x), used for n <= 140.
double kolmogornPomeranzCdf(long long n, double x)
{
    const double t = double(n) * x;
    const long long ll = (long long)std::floor(t);
    const double f = t - double(ll);
    const double g = std::min(f, 1.0 - f);
    const int ceilf = f > 0 ? 1 : 0;
    const int roundf = f > 0.5 ? 1 : 0;
    const long long npwrs = 2 * (ll + 1);
    std::vector<double> gpower(npwrs), twogpower(npwrs), onem2gpower(npwrs);
    gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
    long long expnt = 0;
    const double gOverN = g / n, twoGOverN = 2 * g / n, oneMinusTwoGOverN = (1 - 2 * g) / n;
    for (long long m = 1; m < npwrs; ++m) {
        gpower[m] = gpower[m - 1] * gOverN / m;
        twogpower[m] = twogpower[m - 1] * twoGOverN / m;
        onem2gpower[m] = onem2gpower[m - 1] * oneMinusTwoGOverN / m;
    }
    std::vector<double> V0(npwrs, 0.0), V1(npwrs, 0.0);
    V1[0] = 1;
    long long V0s = 0, V1s = 0;
    auto [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
    for (long long i = 1; i < 2 * n + 2; ++i) {
        const long long k1 = j1;
        std::swap(V0, V1);
        std::swap(V0s, V1s);
        std::fill(V1.begin(), V1.end(), 0.0);
        std::tie(j1, j2) = pomeranzJ1J2(i, n, ll, ceilf, roundf);
        const std::vector<double> &pwrs = (i == 1 || i == 2 * n + 1) ? gpower : ((i % 2) ? twogpower : onem2gpower);
        const long long ln2 = j2 - k1 + 1;
        if (ln2 > 0) {
            const long long start = k1 - V0s;
            const long long aLen = std::max(0LL, std::min(ln2, npwrs - start));
            const long long convStart = j1 - k1;
            const long long convLen = j2 - j1 + 1;
            for (long long c = 0; c < convLen; ++c) {
                const long long kk = convStart + c;
                double s = 0;
                for (long long a = std::max(0LL, kk - (ln2 - 1)); a <= std::min(kk, aLen - 1); ++a)
                    s += V0[start + a] * pwrs[kk - a];
                V1[c] = s;
            }
            const double mx = *std::max_element(V1.begin(), V1.end());
            if (mx > 0 && mx < kEM128) {
                for (double &v : V1)
                    v *= kEP128;
                expnt -= kE128;
            }
            V1s = V0s + j1 - k1;
        }
    }
    double ans = V1[n - V1s];
    for (long long m = 1; m <= n; ++m) {
        if (std::fabs(ans) > kEP128) {
            ans *= kEM128;
            expnt += kE128;
        }
        ans *= double(m);
    }
    if (expnt != 0)
        ans = std::ldexp(ans, int(expnt));
    return clip01(ans);
}

// Pelz–Good asymptotic series for Pr(D_n <= x).
double kolmogornPelzGoodCdf(long long n, double x)
{
    constexpr double pi = std::numbers::pi;
    const double sqrt2pi = std::sqrt(2 * pi);
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    const double z = std::sqrt(double(n)) * x;
    const double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
    const double qlog = -pi * pi / 8 / z2;
    if (qlog < -708)
        return 0.0;
    double q = std::exp(qlog);
    const double pi2 = pi * pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    const double k1a = -z2, k1b = pi2 / 4;
    const double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
    const double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16,
                 k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);
    double K[4] = {0, 0, 0, 0};
    const int maxk = int(std::ceil(16 * z / pi));
    for (int k = maxk; k > 0; --k) {
        const double m = 2.0 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
        const double qp = std::pow(q, 8.0 * k);
        const double coeffs[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; ++i)
            K[i] = K[i] * qp + coeffs[i];
    }
    const double div[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
    for (int i = 0; i < 4; ++i)
        K[i] = K[i] * q * sqrt2pi / div[i];
    q = std::exp(-pi2 / 2 / z2);
    double k2extra = 0, k3extra = 0;
    const double sqrt3z = std::sqrt(3.0) * z;
    for (int k = maxk; k > 0; --k) {
        const double ks2 = double(k) * k;
        const double qp = std::pow(q, ks2);
        k2extra += ks2 * qp;
        const double kspi = pi * k;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3);
    K[3] += k3extra * pi2 * sqrt2pi / (216 * z6);
    double sum = 0;
    for (int i = 0; i < 4; ++i)
        sum += K[i] / std::pow(double(n), i / 2.0);
    return sum;
}

} // namespace

double gammaQ(double a, double x)
{
    if (!(x > 0) || !(a > 0))
        return x <= 0 ? 1.0 : std::numeric_limits<double>::quiet_NaN();
    if (x < a + 1)
        return clip01(1.0 - gammaPSeries(a, x));
    return clip01(gammaQFraction(a, x));
}

double chiSquareSf(double statistic, double dof)
{
    return gammaQ(dof / 2, statistic / 2);
}

double normalTwoSidedP(double z)
{
    return std::erfc(std::fabs(z) / std::numbers::sqrt2);
}

double smirnovSf(long long n, double x)
{
    if (!(x > 0))
        return 1.0;
    if (x >= 1)
        return 0.0;
    if (n == 1)
        return 1.0 - x;
    const double dn = double(n);
    if (n > 1'000'000) { // cephes: too long to sum, p ~ exp(-(6nx+1)^2 / 18n)
        const double logp = -std::pow(6.0 * dn * x + 1, 2) / 18.0 / dn;
        return std::exp(logp);
    }
    if (dn * x * x >= 15) // p < 1e-12: cephes' large-n form; the exact sum would take n terms
        return std::exp(-std::pow(6.0 * dn * x + 1, 2) / 18.0 / dn);
    // Birnbaum–Tingey: x * sum_j C(n,j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1), summed in logs,
    // log C(n, j) kept incrementally (re-anchored on lgamma every 1024 terms).
    const long long last = (long long)std::floor(dn * (1 - x));
    const double lgn = std::lgamma(dn + 1);
    double logBinom = 0, sum = 0, peak = 0;
    for (long long j = 0; j <= last; ++j) {
        if (j > 0) {
            logBinom = (j % 1024 == 0) ? lgn - std::lgamma(double(j) + 1) - std::lgamma(dn - double(j) + 1)
                                       : logBinom + std::log((dn - double(j) + 1) / double(j));
        }
        const double a = (dn - double(j)) / dn - x;
        if (a <= 0)
            break;
        const double logTerm =
            logBinom + (dn - double(j)) * std::log(a) + (double(j) - 1) * std::log(x + double(j) / dn);
        const double term = std::exp(logTerm);
        sum += term;
        peak = std::max(peak, term);
        if (j > 10 && term < peak * 1e-18 && term < sum * 1e-18)
            break; // the terms fall off fast past their peak
    }
    return clip01(x * sum);
}

double kolmogorovSf(long long n, double x)
{
    if (n <= 0 || std::isnan(x))
        return std::numeric_limits<double>::quiet_NaN();
    if (x >= 1.0)
        return 0.0;
    if (x <= 0.0)
        return 1.0;
    const double dn = double(n);
    const double t = dn * x;
    if (t <= 1.0) {
        if (t <= 0.5)
            return 1.0;
        double prob = 1.0;
        if (n <= 140) {
            for (long long i = 1; i <= n; ++i)
                prob *= double(i) * (1.0 / dn) * (2 * t - 1);
        } else {
            prob = std::exp(logNFactorialDivNPowN(dn) + dn * std::log(2 * t - 1));
        }
        return clip01(1.0 - prob);
    }
    if (t >= dn - 1)
        return clip01(2 * std::pow(1.0 - x, dn));
    if (x >= 0.5)
        return clip01(2 * smirnovSf(n, x));
    const double nx2 = t * x;
    if (n <= 140) {
        if (nx2 <= 0.754693)
            return clip01(1.0 - kolmogornDmtwCdf(n, x));
        if (nx2 <= 4)
            return clip01(1.0 - kolmogornPomeranzCdf(n, x));
        return clip01(2 * smirnovSf(n, x));
    }
    if (nx2 >= 370.0)
        return 0.0;
    if (nx2 >= 2.2)
        return clip01(2 * smirnovSf(n, x));
    double cdf = 0;
    if (n <= 100000 && dn * std::pow(x, 1.5) <= 1.4)
        cdf = kolmogornDmtwCdf(n, x);
    else
        cdf = kolmogornPelzGoodCdf(n, x);
    return clip01(1.0 - cdf);
}

} // namespace mldeck::drift
