// Training benchmark (prints figures; speed is never asserted in ctest):
//   1. training samples/s for the demo MLP and LSTM with 1 and 2 torch threads (fixed rows and epochs);
//   2. the event-loop stall while the MLP trains on a JobThread: a 10 ms QTimer in the main thread records
//      the largest gap between its ticks (goal <= 50 ms).
// Usage: bench_training [mlpRows] [lstmRows]
#include "../../unit/training/TrainingData.h"

#include "core/ml/Trainer.h"
#include "core/services/JobThread.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <thread>

using namespace mldeck;
using namespace mldeck::testing;

namespace {

TrainingParams params(int threads)
{
    TrainingParams p;
    p.epochs = 2;
    p.learningRate = 0.001;
    p.batchSize = 256;
    p.earlyStoppingPatience = 0;
    p.plateauPatience = 0;
    p.threads = threads;
    return p;
}

void measure(const QString &model, const Dataset &train, const Dataset &validation, int threads,
             const QTemporaryDir &dir)
{
    QElapsedTimer t;
    t.start();
    auto r = trainModel(demoModel(model), train, validation, params(threads), QStringLiteral("bench"),
                        dir.filePath(QStringLiteral("bench.pt")));
    if (!r) {
        std::printf("  %s: %s\n", qPrintable(model), qPrintable(r.errorMessage()));
        return;
    }
    std::printf("  %-12s %d thread(s): %8.0f training samples/s  (%lld rows x %d epochs, whole call %.2f s)\n",
                qPrintable(model), threads, r->samplesPerSecond, static_cast<long long>(train.rowCount()),
                int(r->history.size()), double(t.nsecsElapsed()) / 1e9);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const qint64 mlpRows = argc > 1 ? std::atoll(argv[1]) : 40000;
    const qint64 lstmRows = argc > 2 ? std::atoll(argv[2]) : 4000;
    std::printf("training benchmark, %u hardware threads\n", std::max(1u, std::thread::hardware_concurrency()));
    QTemporaryDir dir;
    const Dataset mlpTrain = generatedDataset(mlpRows, 1);
    const Dataset lstmTrain = generatedDataset(lstmRows, 1);
    const Dataset validation = generatedDataset(2000, 2, 1717200000LL + mlpRows * 50);

    std::printf("1. throughput (batch 256, 2 epochs, validation 2000 rows)\n");
    for (int threads : {1, 2}) {
        measure(QStringLiteral("eta_mlp.pt"), mlpTrain, validation, threads, dir);
        measure(QStringLiteral("eta_lstm.pt"), lstmTrain, validation, threads, dir);
    }

    for (int threads : {1, 2}) {
        std::printf("2. event loop while the MLP trains on a JobThread (%d torch thread(s), 10 ms timer)\n", threads);
        JobThread jobs(QStringLiteral("bench-training"));
        QElapsedTimer sinceTick;
        qint64 maxGapNs = 0, ticks = 0;
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer, &QTimer::timeout, &app, [&] {
            maxGapNs = std::max(maxGapNs, sinceTick.nsecsElapsed());
            sinceTick.restart();
            ++ticks;
        });
        bool done = false;
        QElapsedTimer wall;
        wall.start();
        jobs.post(
            &app,
            [&] {
                return trainModel(demoModel(QStringLiteral("eta_mlp.pt")), mlpTrain, validation, params(threads),
                                  QStringLiteral("bench"), dir.filePath(QStringLiteral("stall.pt")));
            },
            [&](Result<TrainingResult> r) {
                done = true;
                if (!r)
                    std::printf("  training failed: %s\n", qPrintable(r.errorMessage()));
            });
        sinceTick.start();
        timer.start(10);
        while (!done)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        timer.stop();
        std::printf("  training took %.2f s; %lld ticks; largest gap between ticks %.1f ms (goal <= 50 ms)\n",
                    double(wall.nsecsElapsed()) / 1e9, static_cast<long long>(ticks), double(maxGapNs) / 1e6);
    }
    return 0;
}
