// Offline evaluation benchmark (prints figures; never asserts speed):
//  1. batch rows/s of eta_mlp.pt and eta_lstm.pt in MLDeck through its model worker process, with LibTorch
//     in this process (the path before the worker split, mldeck_torch), and in python3-torch on the same
//     CSV, same thread count, in the same run (python via QProcess and bench_eval.py);
//  2. single-row latency p50/p99;
//  3. the time to compare two models on 1 M rows (CSV read + inference + bootstrap + segments).
// Usage: bench_evaluation [rows (default 20000)] [threads (default 1)] [compareRows (default 1000000)]
#include "core/demo/DemoCsv.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/Evaluator.h"
#include "core/ml/InputEncoding.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/torch/TorchModel.h"
#include "core/services/CompareService.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdio>
#include <string>

using namespace mldeck;

namespace {

QString modelPath(const char *name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + QLatin1String(name);
}

void writeCsv(const QString &path, qint64 rows)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    RideDelayGenerator gen(99);
    QByteArray chunk = demoCsvHeader();
    for (qint64 i = 0; i < rows; ++i) {
        chunk += demoCsvLine(gen.next(1714521600LL * 1000000 + i * 20'000'000));
        if (chunk.size() > (1 << 20)) {
            f.write(chunk);
            chunk.clear();
        }
    }
    f.write(chunk);
}

double pythonRowsPerSecond(const QString &csv, const QString &model, int threads)
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"),
            {QStringLiteral(MLDECK_SOURCE_DIR "/tests/benchmarks/evaluation/bench_eval.py"), QStringLiteral("--csv"),
             csv, QStringLiteral("--model"), model, QStringLiteral("--threads"), QString::number(threads)});
    if (!p.waitForFinished(600000) || p.exitCode() != 0) {
        std::fprintf(stderr, "python failed: %s\n", p.readAllStandardError().constData());
        return 0;
    }
    const QByteArray out = p.readAllStandardOutput().trimmed();
    return QJsonDocument::fromJson(out.split('\n').constLast())
        .object()
        .value(QStringLiteral("rows_per_second"))
        .toDouble();
}

// The same batches as evaluateModel, run by LibTorch in this process: rows/s, best of 3.
double inProcessRowsPerSecond(const QString &path, const Dataset &ds, int threads)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    auto model = TorchModel::load(file.readAll(), path);
    if (!model)
        qFatal("%s", qPrintable(model.errorMessage()));
    TorchModel::setThreads(threads);
    const ModelInfo &info = model.value()->info();
    const InputEncoder encoder(info);
    const qint64 n = ds.rowCount(), batch = 8192, context = std::max(0, info.sequenceLength - 1);
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        QElapsedTimer t;
        t.start();
        for (qint64 begin = 0; begin < n; begin += batch) {
            const qint64 end = std::min(n, begin + batch), from = std::max<qint64>(0, begin - context);
            const auto rows = ds.featureRows(info.schema.numericNames(), info.schema.categoricalNames(), from, end);
            std::vector<float> table(rows.size() * size_t(encoder.width()));
            if (!encoder.encode(rows, table.data()) ||
                !model.value()->predict(table.data(), qint64(rows.size()), encoder.width()))
                qFatal("in-process prediction failed");
        }
        best = std::max(best, double(n) * 1e9 / double(t.nsecsElapsed()));
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const qint64 rows = args.size() > 1 ? args[1].toLongLong() : 20000;
    const int threads = args.size() > 2 ? args[2].toInt() : 1;
    const qint64 compareRows = args.size() > 3 ? args[3].toLongLong() : 1000000;
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("bench.csv"));
    writeCsv(csv, rows);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::printf("rows %lld, torch threads %d\n", qlonglong(rows), threads);

    for (const char *name : {"eta_mlp.pt", "eta_lstm.pt"}) {
        auto model = ModelRunner::load(modelPath(name));
        if (!model)
            qFatal("%s", qPrintable(model.errorMessage()));
        DatasetColumns c;
        c.numeric = model.value()->info().schema.numericNames();
        c.categorical = model.value()->info().schema.categoricalNames();
        auto ds = readCsvDataset(csv, c);
        auto in = modelInputs(model.value()->info(), ds->header, c, {});
        EvaluationOptions o;
        o.threads = threads;
        o.latencySamples = 1000;
        // Best of 3 on both sides (the machine is shared and noisy).
        double best = 0;
        EvaluationResult last;
        for (int rep = 0; rep < 3; ++rep) {
            auto r = evaluateModel(*model.value(), ds.value(), in.value(), o);
            if (!r)
                qFatal("%s", qPrintable(r.errorMessage()));
            best = std::max(best, r->rowsPerSecond);
            last = r.value();
        }
        const double inProcess = inProcessRowsPerSecond(modelPath(name), ds.value(), threads);
        double py = 0;
        for (int rep = 0; rep < 3; ++rep)
            py = std::max(py, pythonRowsPerSecond(csv, modelPath(name), threads));
        std::printf("%-12s MLDeck (worker) %10.0f rows/s | in-process %10.0f rows/s | python3-torch %10.0f rows/s | "
                    "worker/python %.2f | worker/in-process %.2f | single row p50 %.3f ms p99 %.3f ms\n",
                    name, best, inProcess, py, py > 0 ? best / py : 0.0, inProcess > 0 ? best / inProcess : 0.0,
                    last.latencyP50Ms, last.latencyP99Ms);
    }

    const QString big = dir.filePath(QStringLiteral("compare.csv"));
    writeCsv(big, compareRows);
    // The LSTM runs at ~1k rows/s on this CPU (both LibTorch and python3-torch), so 1 M rows compare the
    // scripted MLP with its traced twin; pass a smaller compareRows to time MLP vs LSTM.
    for (const auto &pair :
         {std::pair{"eta_mlp.pt", "fixtures/eta_mlp_traced.pt"}, std::pair{"eta_mlp.pt", "eta_lstm.pt"}}) {
        const qint64 n = std::string(pair.second) == "eta_lstm.pt" ? std::min<qint64>(compareRows, 20000) : compareRows;
        const QString file = n == compareRows ? big : dir.filePath(QStringLiteral("compare_small.csv"));
        if (n != compareRows)
            writeCsv(file, n);
        CompareRequest req;
        req.models = {modelPath(pair.first), modelPath(pair.second)};
        req.csvPath = file;
        req.threads = threads;
        QElapsedTimer t;
        t.start();
        QString lastStage;
        qint64 stageStart = 0;
        const auto out = runComparison(req, nullptr, [&](int, const QString &stage) {
            if (stage != lastStage) {
                if (!lastStage.isEmpty())
                    std::printf("   %-40s %6.2f s\n", qPrintable(lastStage), double(t.elapsed() - stageStart) / 1000);
                lastStage = stage;
                stageStart = t.elapsed();
            }
        });
        std::printf("compare %s vs %s on %lld rows: %.1f s (%s, %d resamples)\n", pair.first, pair.second, qlonglong(n),
                    double(t.elapsed()) / 1000, out ? "done" : qPrintable(out.errorMessage()),
                    out ? out->resamples : 0);
        for (const QString &v : out ? out->verdicts : QStringList())
            std::printf("   %s\n", qPrintable(v));
    }
    return 0;
}
