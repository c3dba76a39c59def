#pragma once

#include "core/config/Endpoints.h"
#include "core/services/JobThread.h"
#include "core/services/retrain/RetrainRunner.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace mldeck {

// The wizard's asynchronous face: checks, summaries and history on one worker; a run on its own
// training thread (so the check/history worker stays free). Every request finishes with exactly
// one signal; a run ends with runFinished (succeeded, failed or cancelled).
class RetrainService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainService)

public:
    explicit RetrainService(QObject *parent = nullptr);
    ~RetrainService() override;

    void setEndpoints(const PgEndpoint &pg, const std::optional<RedisEndpoint> &redis);
    void setActor(const Actor &actor); // default Actor::current()

    void checkTriggers(const QString &deployment);
    void summarize(const retrain::RetrainRequest &request);
    bool startRun(const retrain::RetrainRequest &request); // false while a run is going
    void cancelRun();
    bool isRunning() const { return m_running; }
    void applyDecision(qint64 runId, const retrain::ApplyOptions &options);
    void listHistory(const QString &deployment);
    void listDeployments(); // added by retrain-gui: the wizard's deployment selector

Q_SIGNALS:
    void triggersChecked(const mldeck::TriggerCheck &check, const QString &error);
    void summarized(const mldeck::retrain::DataSummary &summary, const QString &error);
    void runProgress(const mldeck::retrain::RetrainProgress &progress);
    void runFinished(const mldeck::retrain::RetrainOutcome &outcome);
    void decisionApplied(const mldeck::RetrainRun &run, const QString &error);
    void historyListed(const QList<mldeck::RetrainRun> &runs, const QString &error);
    void deploymentsListed(const QStringList &deployments, const QString &error);

private:
    struct Worker;
    std::shared_ptr<Worker> m_worker;
    JobThread m_jobs;
    JobThread m_training;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_running = false;
    Actor m_actor;
    std::optional<PgEndpoint> m_pg;      // added by retrain-gui: what the next requests use
    std::optional<RedisEndpoint> m_redis;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::TriggerCheck)
Q_DECLARE_METATYPE(mldeck::retrain::DataSummary)
Q_DECLARE_METATYPE(mldeck::retrain::RetrainProgress)
Q_DECLARE_METATYPE(mldeck::retrain::RetrainOutcome)
Q_DECLARE_METATYPE(mldeck::RetrainRun)
