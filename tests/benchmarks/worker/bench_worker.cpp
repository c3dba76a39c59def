// Model worker benchmark (prints figures; never asserts speed):
//  1. `mldeckctl --help` and `mldeckctl flags status` start to exit, wall time and peak memory (RSS), as
//     built now (no LibTorch) and with LibTorch loaded into the same binary (LD_PRELOAD of Debian's
//     libtorch_cpu, which is what every console process loaded before the worker split); when
//     MLDECK_BENCH_BEFORE_CLI names an mldeckctl built from the tree before the split, that one too;
//  2. the model worker's start time (spawn to ready) and ModelRunner::load of the demo MLP;
//  3. the time from a hung model (its request times out) to a usable fresh worker.
// Servers: `flags status` needs MLDECK_TEST_REDIS_URL (mldeck-dev bench exports it); skipped without.
#include "../../unit/training/TrainingData.h"

#include "core/ml/ModelRunner.h"
#include "core/ml/ModelWorker.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <vector>

extern char **environ;

using namespace mldeck;
using namespace mldeck::testing;

namespace {

struct Run
{
    double ms = 0;
    double peakMb = 0;
    int status = -1;
};

// One run of argv with extra environment entries; wall time and the child's peak RSS (wait4).
Run runOnce(const QStringList &argv, const QByteArrayList &extraEnv)
{
    std::vector<QByteArray> storage;
    std::vector<char *> args, env;
    for (const QString &a : argv)
        storage.push_back(a.toLocal8Bit());
    for (QByteArray &s : storage)
        args.push_back(s.data());
    args.push_back(nullptr);
    std::vector<QByteArray> envStorage(extraEnv.begin(), extraEnv.end());
    for (char **e = environ; *e; ++e)
        envStorage.emplace_back(*e);
    for (QByteArray &s : envStorage)
        env.push_back(s.data());
    env.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    QElapsedTimer clock;
    clock.start();
    pid_t pid = 0;
    Run r;
    if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data()) != 0)
        return r;
    rusage usage{};
    int status = 0;
    wait4(pid, &status, 0, &usage);
    r.ms = double(clock.nsecsElapsed()) / 1e6;
    r.peakMb = double(usage.ru_maxrss) / 1024.0;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    posix_spawn_file_actions_destroy(&actions);
    return r;
}

void measure(const char *label, const QStringList &argv, const QByteArrayList &env)
{
    std::vector<double> ms, mb;
    int status = 0;
    runOnce(argv, env); // warm the page cache
    for (int i = 0; i < 10; ++i) {
        const Run r = runOnce(argv, env);
        ms.push_back(r.ms);
        mb.push_back(r.peakMb);
        status = r.status;
    }
    std::sort(ms.begin(), ms.end());
    std::sort(mb.begin(), mb.end());
    std::printf("  %-44s median %7.1f ms (min %7.1f)  peak RSS %6.1f MB  exit %d\n", label, ms[5], ms[0], mb[5],
                status);
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const QString cli = QStringLiteral(MLDECKCTL_PATH);
    const QByteArray torch("LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13");
    const QString before = qEnvironmentVariable("MLDECK_BENCH_BEFORE_CLI");
    const QString redis = qEnvironmentVariable("MLDECK_TEST_REDIS_URL");

    std::printf("1. CLI start to exit, 10 runs each\n");
    const QStringList help{cli, QStringLiteral("--help")};
    measure("mldeckctl --help (now)", help, {});
    measure("mldeckctl --help (LibTorch loaded)", help, {torch});
    if (!before.isEmpty())
        measure("mldeckctl --help (tree before the split)", {before, QStringLiteral("--help")}, {});
    if (!redis.isEmpty()) {
        runOnce({cli, QStringLiteral("flags"), QStringLiteral("init"), QStringLiteral("--deployment"),
                 QStringLiteral("benchcli"), QStringLiteral("--redis"), redis},
                {});
        const QStringList status{cli,
                                 QStringLiteral("flags"),
                                 QStringLiteral("status"),
                                 QStringLiteral("--deployment"),
                                 QStringLiteral("benchcli"),
                                 QStringLiteral("--redis"),
                                 redis};
        measure("mldeckctl flags status (now)", status, {});
        measure("mldeckctl flags status (LibTorch loaded)", status, {torch});
        if (!before.isEmpty()) {
            QStringList old = status;
            old[0] = before;
            measure("mldeckctl flags status (tree before the split)", old, {});
        }
    } else {
        std::printf("  (flags status skipped: MLDECK_TEST_REDIS_URL is not set)\n");
    }

    std::printf("2. model worker start (spawn to ready) and ModelRunner::load(eta_mlp.pt), 10 runs\n");
    std::vector<double> starts, loads;
    for (int i = 0; i < 10; ++i) {
        QElapsedTimer clock;
        clock.start();
        auto model = ModelRunner::load(demoModel(QStringLiteral("eta_mlp.pt")));
        if (!model)
            qFatal("%s", qPrintable(model.errorMessage()));
        loads.push_back(double(clock.nsecsElapsed()) / 1e6);
        starts.push_back(model.value()->workerStartMs());
    }
    std::printf("  worker start median %.1f ms; load (start + model) median %.1f ms\n", median(starts), median(loads));

    std::printf("3. hung model -> usable fresh worker (request timeout 1 s), 5 runs\n");
    WorkerLimits limits;
    limits.requestTimeoutMs = 1000;
    const Dataset data = generatedDataset(64, 7);
    std::vector<double> recover, timedOut;
    for (int i = 0; i < 5; ++i) {
        auto hung = ModelRunner::load(sourceFile(QStringLiteral("resources/models/fixtures/hang.pt")), {}, limits);
        if (!hung)
            qFatal("%s", qPrintable(hung.errorMessage()));
        const auto rows = data.featureRows(hung.value()->info().schema.numericNames(),
                                           hung.value()->info().schema.categoricalNames(), 0, 64);
        QElapsedTimer clock;
        clock.start();
        if (hung.value()->predict(rows).ok())
            qFatal("the hung model answered");
        timedOut.push_back(double(clock.nsecsElapsed()) / 1e6);
        clock.restart();
        auto fresh = ModelRunner::load(demoModel(QStringLiteral("eta_mlp.pt")));
        if (!fresh || !fresh.value()->predict(rows).ok())
            qFatal("no fresh worker");
        recover.push_back(double(clock.nsecsElapsed()) / 1e6);
    }
    std::printf("  the hung request ends after %.0f ms (limit 1000 ms); a fresh worker has loaded a model and "
                "answered %.1f ms later (median)\n",
                median(timedOut), median(recover));
    return 0;
}
