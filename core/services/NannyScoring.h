#pragma once

#include "core/domain/Result.h"
#include "core/ml/Nanny.h"

#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace mldeck {

class PgConnection;

struct NannyScoringOptions
{
    qint64 batchRows = 5000;       // predictions per worker request and per transaction
    qint64 maxRowsPerRun = 500000; // one run stops after this many (the next run goes on)
    // A run starts no new batch after this long (0: no limit): the guard runs its jobs one after another,
    // and the rollout rules must not wait behind a backlog (resources/contract/nanny.md).
    qint64 runBudgetMs = 2000;
    // Only predictions logged this long ago or more are scored: a batch a backend commits a little late
    // with an older timestamp is still below the watermark's reach (resources/contract/nanny.md).
    qint64 settleSeconds = 15;
    int threads = 1; // torch threads of the scoring worker
};

struct NannyScoringReport
{
    bool noNanny = false; // no nanny for the current champion (or no regression champion)
    bool busy = false;    // another scorer holds the deployment, or moved its watermark: it goes on
    qint64 nannyId = 0;
    QString modelVersion;
    qint64 scored = 0;
    qint64 skipped = 0; // logged rows that cannot be scored (a missing or non-finite value): no estimate
    qint64 batches = 0;
    qint64 watermarkMicros = 0;
    bool caughtUp = false; // the run reached the settle time (false: it stopped on its budget)
    double workerMs = 0;   // time spent encoding and scoring (not reading or writing PostgreSQL)
};

// Scores a deployment's new ML predictions with the nanny of its current champion and adds the estimates
// to the KPI aggregates, batch by batch, each batch moving the watermark in the same transaction. Keeps
// the nanny's worker between runs (the guard calls it every round). Blocking; one owner at a time, and one
// run per deployment at a time across processes (an advisory lock: a second one returns busy).
class NannyScoringSession final
{
public:
    NannyScoringSession();
    explicit NannyScoringSession(NannyScoringOptions options);
    ~NannyScoringSession();
    Q_DISABLE_COPY_MOVE(NannyScoringSession)

    Result<NannyScoringReport> run(PgConnection &conn, const QString &deployment, qint64 nowMicros,
                                   const std::atomic<bool> *cancel = nullptr);

private:
    struct Loaded;
    Result<Loaded *> load(PgConnection &conn, const QString &deployment, qint64 nannyId, int schemaId);
    NannyScoringOptions m_options;
    std::unique_ptr<Loaded> m_loaded;
};

} // namespace mldeck
