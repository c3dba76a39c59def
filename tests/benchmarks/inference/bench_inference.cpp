// Prints ModelRunner::predict() throughput for the demo models: batches of 1, 32 and 1,000 rows,
// with 1 and 2 torch threads. The reference backend needs 2,000 predictions/s.
// Usage: bench_inference [models-dir]   (default: <source>/resources/models)
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/ModelRunner.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace mldeck;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString dir =
        argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral(MLDECK_SOURCE_DIR "/resources/models");
    RideDelayGenerator gen(11);
    std::vector<FeatureRow> rows;
    for (int i = 0; i < 1000; ++i)
        rows.push_back(gen.next(1'717'200'000'000'000LL + i * 50'000LL).features);

    std::printf("%-12s %7s %6s %14s\n", "model", "threads", "batch", "rows/s");
    for (const char *file : {"eta_mlp.pt", "eta_lstm.pt"}) {
        auto model = ModelRunner::load(dir + QLatin1Char('/') + QLatin1String(file));
        if (!model) {
            std::fprintf(stderr, "bench_inference: %s\n", qPrintable(model.errorMessage()));
            return 2;
        }
        for (int threads : {1, 2}) {
            model.value()->setThreads(threads);
            for (int batch : {1, 32, 1000}) {
                const std::vector<FeatureRow> input(rows.begin(), rows.begin() + batch);
                (void)model.value()->predict(input); // warm-up
                QElapsedTimer timer;
                timer.start();
                qint64 predicted = 0;
                while (timer.elapsed() < 1000 || predicted < 2000) {
                    if (!model.value()->predict(input))
                        return 2;
                    predicted += batch;
                }
                std::printf("%-12s %7d %6d %14.0f\n", file, threads, batch, predicted * 1e9 / timer.nsecsElapsed());
            }
        }
    }
    return 0;
}
