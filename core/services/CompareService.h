#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/services/JobThread.h"
#include "core/stats/ComparisonReport.h"

#include <QObject>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace mldeck {

class KeptPgConnection;

// What to compare (or, with one model, to evaluate) and on which rows.
struct CompareRequest
{
    QStringList models;           // 1-4 references: file paths, "D:champion", "D:challenger", "D@VERSION"
    QString csvPath;              // the rows: a CSV file ...
    QString imagesPath;           // ... or, for image models, a labelled folder (one subfolder per class) ...
    qint64 windowSeconds = 0;     // ... or the last windowSeconds of the prediction log (needs pg; image
                                  // models: the labelled image predictions, read through the deployment's store)
    qint64 windowEndMicros = 0;   // end of the window; 0 = now
    QString deployment;           // window: the deployment (empty: the only one there is)
    std::optional<PgEndpoint> pg; // registry references and windows
    QString target;               // CSV target column; empty = "delay_min"
    QStringList features;         // model inputs by name (models without metadata)
    int threads = 0;              // torch threads; 0 = LibTorch's default
    quint64 seed = 42;
    int resamples = 0; // 0 = stats::defaultResamples(rows)
    int latencySamples = 200;
    int batchSize = 8192;
};

// Runs a comparison on the calling thread (blocking: data loading, inference, bootstrap).
// progress(percent, stage) is called from that thread. Cancelled between batches and resamples.
// The registry and the prediction log are read on `pg` when given (a connection the caller keeps
// on this thread), else on one connection opened for this comparison. A cancelled comparison ends
// with an Error whose isCancelled() is true.
Result<stats::ComparisonReport> runComparison(const CompareRequest &request, const std::atomic<bool> *cancel = nullptr,
                                              const std::function<void(int, const QString &)> &progress = {},
                                              KeptPgConnection *pg = nullptr);

// The asynchronous face for the GUI: one comparison at a time on its own worker thread.
// finished() is emitted exactly once per start(): the report, or the error (cancelled or failed).
class CompareService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareService)

public:
    explicit CompareService(QObject *parent = nullptr);
    ~CompareService() override;

    // Refused (returns false) while a comparison runs.
    bool start(const CompareRequest &request);
    // Asks the running comparison to stop; finished() with a cancelled Error follows.
    void cancel();
    bool isRunning() const { return m_running; }

Q_SIGNALS:
    void progress(int percent, const QString &stage);
    void finished(const mldeck::Result<mldeck::stats::ComparisonReport> &report);

private:
    JobThread *m_jobs = nullptr;
    std::shared_ptr<KeptPgConnection> m_pg; // kept between comparisons; used only inside jobs
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_running = false;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::Result<mldeck::stats::ComparisonReport>)
