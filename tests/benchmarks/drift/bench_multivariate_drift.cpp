// Multivariate drift benchmark (prints figures; speed is never asserted in ctest): the PCA reconstruction-error
// line against the univariate run (every test of every feature) over the same rows, in one run.
// Usage: bench_multivariate_drift [rows] [features]   (default 1,000,000 reference and current rows x 20)
#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/MultivariateDrift.h"
#include "tests/support/BenchOutput.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cmath>
#include <thread>

using namespace mldeck::drift;
using mldeck::bench::die;
using mldeck::bench::out;

namespace {

class Gaussians
{
public:
    explicit Gaussians(quint64 seed) : m_s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
    double next()
    {
        const double u1 = uniform(), u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

private:
    double uniform()
    {
        m_s ^= m_s << 13;
        m_s ^= m_s >> 7;
        m_s ^= m_s << 17;
        return (double(m_s >> 11) + 0.5) / double(1ULL << 53);
    }
    quint64 m_s;
};

// Features that move together: each is its own noise plus one of three shared factors.
Dataset correlated(std::size_t rows, int features, quint64 seed)
{
    Dataset d;
    d.columns.resize(std::size_t(features));
    for (int f = 0; f < features; ++f) {
        d.columns[std::size_t(f)].name = QStringLiteral("f%1").arg(f);
        d.columns[std::size_t(f)].numeric.resize(rows);
    }
    Gaussians g(seed);
    for (std::size_t i = 0; i < rows; ++i) {
        const double factors[3] = {g.next(), g.next(), g.next()};
        for (int f = 0; f < features; ++f)
            d.columns[std::size_t(f)].numeric[i] = double(float(0.8 * factors[f % 3] + 0.6 * g.next()));
    }
    return d;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const std::size_t rows = argc > 1 ? std::size_t(std::atoll(argv[1])) : 1'000'000;
    const int features = argc > 2 ? std::atoi(argv[2]) : 20;
    if (rows < 1000 || features < 2)
        die(QStringLiteral("usage: bench_multivariate_drift [rows >= 1000] [features >= 2]"));
    out() << "multivariate drift benchmark: " << rows << " reference x " << rows << " current rows x " << features
          << " numeric features, " << std::max(1u, std::thread::hardware_concurrency()) << " threads\n";
    const Dataset reference = correlated(rows, features, 1), current = correlated(rows, features, 2);

    QElapsedTimer timer;
    timer.start();
    const DatasetDrift univariate = compareDatasets(reference, current, {});
    const double univariateSeconds = timer.nsecsElapsed() / 1e9;
    out() << "univariate_seconds " << univariateSeconds << " (" << univariate.considered
          << " features, every test, parallel over features)\n";

    MultivariateOptions options;
    options.chunkRows = qint64(rows / 100); // 100 reference chunks
    timer.restart();
    const MultivariateDrift m = compareMultivariate(reference, current, options);
    const double multivariateSeconds = timer.nsecsElapsed() / 1e9;
    if (!m.enoughSamples)
        die(m.problem);
    out() << "multivariate_seconds " << multivariateSeconds << " (fit + reconstruction of both sets, one thread; "
          << m.components << " of " << m.inputs << " components for " << m.explainedShare * 100
          << " % of the variance, mean error " << m.value << ", band " << m.lower << " to " << m.upper
          << (m.drift ? ", drift" : ", no drift") << ")\n";
    out() << "multivariate_over_univariate " << multivariateSeconds / univariateSeconds << "\n";
    out().flush();
    return 0;
}
