#pragma once

#include "core/services/PgService.h"
#include "core/services/retrain/RetrainRunner.h"

#include <atomic>
#include <memory>

namespace mldeck {

// The wizard's asynchronous face: checks, summaries and history on its PgService worker; a run on its
// own training worker (so the check/history worker stays free). Every request finishes with exactly
// one signal; a run ends with runFinished (succeeded, failed or cancelled).
class RetrainService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainService)

public:
    explicit RetrainService(QObject *parent = nullptr);
    ~RetrainService() override;

    void setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis);
    void setActor(const Actor &actor); // default Actor::current()

    void checkTriggers(const QString &deployment);
    void summarize(const retrain::RetrainRequest &request);
    bool startRun(const retrain::RetrainRequest &request); // false while a run is going
    void cancelRun();
    bool isRunning() const { return m_running; }
    void applyDecision(qint64 runId, const retrain::ApplyOptions &options);
    void listHistory(const QString &deployment);
    // The deployment's retrain settings (defaults when none are stored), and saving them: validated as
    // RetrainSettings::fromJson reads them, one audit row "retrain.settings" with before and after.
    void loadSettings(const QString &deployment);                                  // -> settingsLoaded
    void saveSettings(const QString &deployment, const RetrainSettings &settings); // -> settingsSaved

Q_SIGNALS:
    void triggersChecked(const mldeck::Result<mldeck::TriggerCheck> &check);
    void summarized(const mldeck::Result<mldeck::retrain::DataSummary> &summary);
    void runProgress(const mldeck::retrain::RetrainProgress &progress);
    void runFinished(const mldeck::retrain::RetrainOutcome &outcome);
    void decisionApplied(const mldeck::Result<mldeck::RetrainRun> &run);
    void historyListed(const mldeck::Result<QList<mldeck::RetrainRun>> &runs);
    void settingsLoaded(const QString &deployment, const mldeck::Result<mldeck::RetrainSettings> &settings);
    void settingsSaved(const QString &deployment, const mldeck::Result<mldeck::RetrainSettings> &settings);

private:
    PgWorker m_training;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_running = false;
    Actor m_actor;
    std::optional<RedisEndpoint> m_redis;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::TriggerCheck)
Q_DECLARE_METATYPE(mldeck::retrain::DataSummary)
Q_DECLARE_METATYPE(mldeck::retrain::RetrainProgress)
Q_DECLARE_METATYPE(mldeck::retrain::RetrainOutcome)
Q_DECLARE_METATYPE(mldeck::RetrainRun)
