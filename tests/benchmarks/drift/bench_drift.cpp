// Drift benchmark (prints figures; speed is never asserted in ctest):
//   1. all tests over 1 M reference x 1 M current rows x 20 numeric features (goal < 2 s, 2 cores);
//   2. SciPy (ks_2samp + NumPy PSI) on the same data in the same run (goal: MLDeck >= 5x faster);
//   3. KS per feature (both sorts + walk + p-value) against one std::sort of the same data (goal <= 2x).
// Usage: bench_drift [rows] [features]
#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/DriftTests.h"
#include "core/stats/drift/SortedSample.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

using namespace mldeck::drift;

namespace {

std::vector<double> gaussians(std::size_t n, double shift, double scale, quint64 seed)
{
    std::vector<double> v(n);
    quint64 s = seed * 0x9E3779B97F4A7C15ULL + 1;
    auto next = [&s] {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return (double(s >> 11) + 0.5) / double(1ULL << 53);
    };
    for (std::size_t i = 0; i < n; ++i) {
        const double u1 = next(), u2 = next();
        // Rounded to float precision: the prediction log stores features as real (float4).
        v[i] = double(float(shift + scale * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2)));
    }
    return v;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const std::size_t rows = argc > 1 ? std::size_t(std::atoll(argv[1])) : 1'000'000;
    const int features = argc > 2 ? std::atoi(argv[2]) : 20;
    std::printf("drift benchmark: %zu reference x %zu current rows x %d numeric features, %u threads\n", rows, rows,
                features, std::max(1u, std::thread::hardware_concurrency()));

    Dataset reference, current;
    for (int f = 0; f < features; ++f) {
        Column r, c;
        r.name = c.name = QStringLiteral("f%1").arg(f);
        r.numeric = gaussians(rows, 0, 1, quint64(2 * f + 1));
        c.numeric = gaussians(rows, f % 4 == 0 ? 0.05 : 0.0, f % 5 == 0 ? 1.1 : 1.0, quint64(2 * f + 2));
        reference.columns.push_back(std::move(r));
        current.columns.push_back(std::move(c));
    }

    // 1. Everything the drift check computes (KS + p-value, Wasserstein, PSI, Jensen-Shannon, effect size).
    QElapsedTimer timer;
    timer.start();
    const DatasetDrift result = compareDatasets(reference, current, {});
    const double total = timer.nsecsElapsed() / 1e9;
    double checksum = 0;
    for (const FeatureDrift &f : result.features)
        checksum += f.ksStatistic.value_or(0);
    std::printf("mldeck_all_tests_seconds %.3f (goal < 2 s), %d of %d features drift, checksum %.9f\n", total,
                result.drifted, result.considered, checksum);

    // 3. KS per feature (single thread) against one std::sort of the same 2 x rows values.
    double ksSeconds = 0, sortSeconds = 0;
    const int probe = std::min(features, 3);
    for (int f = 0; f < probe; ++f) {
        timer.restart();
        const SortedSample a(reference.columns[f].numeric), b(current.columns[f].numeric);
        const KsResult ks = ksTwoSample(a, b);
        ksSeconds += timer.nsecsElapsed() / 1e9;
        std::vector<double> copy = reference.columns[f].numeric;
        copy.insert(copy.end(), current.columns[f].numeric.begin(), current.columns[f].numeric.end());
        timer.restart();
        std::sort(copy.begin(), copy.end());
        sortSeconds += timer.nsecsElapsed() / 1e9;
        if (ks.statistic < 0)
            return 3;
    }
    std::printf("ks_per_feature_seconds %.4f, std_sort_same_data_seconds %.4f, ratio %.2f (goal <= 2)\n",
                ksSeconds / probe, sortSeconds / probe, ksSeconds / sortSeconds);

    // 2. SciPy on the same data, same run.
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("data.f64")));
    if (!file.open(QIODevice::WriteOnly))
        return 2;
    for (int f = 0; f < features; ++f) {
        file.write(reinterpret_cast<const char *>(reference.columns[f].numeric.data()), qint64(rows * sizeof(double)));
        file.write(reinterpret_cast<const char *>(current.columns[f].numeric.data()), qint64(rows * sizeof(double)));
    }
    file.close();
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral(MLDECK_DRIFT_SCIPY_SCRIPT), file.fileName(),
                                                      QString::number(rows), QString::number(features)});
    if (!python.waitForFinished(600'000) || python.exitCode() != 0) {
        std::printf("scipy: not measured (%s)\n", qPrintable(QString::fromUtf8(python.readAllStandardError())));
        return 0;
    }
    double scipySeconds = 0;
    for (const QByteArray &line : python.readAllStandardOutput().split('\n')) {
        if (line.startsWith("scipy_seconds "))
            scipySeconds = line.mid(14).toDouble();
        if (!line.isEmpty())
            std::printf("scipy: %s\n", line.constData());
    }
    std::printf("speedup_vs_scipy %.1fx (goal >= 5x; SciPy runs KS + PSI only, MLDeck all tests)\n",
                scipySeconds / total);
    return 0;
}
