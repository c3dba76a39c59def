#pragma once

#include "core/rollout/GuardStateMachine.h"
#include "core/services/guard/GuardJob.h"

#include <QDateTime>

#include <functional>
#include <memory>

namespace mldeck {

class FlagService;

// The automatic guard of the rollout (resources/contract/rollout.md, "The guard"): evaluates
// the deployment's rules on the ML window, and when they are breached K times in a row rolls
// ML back (error rate, no data) or halves the percentage (latency, MAE), audits the action with
// its figures, raises a critical "guardrail" alert and latches until a person re-arms it.
class RolloutGuardJob final : public GuardJob
{
public:
    RolloutGuardJob();
    ~RolloutGuardJob() override;

    QString name() const override { return QStringLiteral("rollout"); }
    int intervalMs() const override { return 5000; }
    Status runOnce(const GuardContext &context) override;
    QString lastSummary() const override { return m_lastSummary; }

    GuardDecision lastDecision() const { return m_lastDecision; }
    // Tests: a fake clock, and a private audit spool.
    void setClock(std::function<QDateTime()> clock) { m_clock = std::move(clock); }
    void setSpoolDirectory(const QString &directory) { m_spoolDir = directory; }

private:
    FlagService &flagsFor(const GuardContext &context);

    std::unique_ptr<FlagService> m_flags;
    std::function<QDateTime()> m_clock;
    QString m_spoolDir;
    QString m_lastSummary;
    GuardDecision m_lastDecision;
};

} // namespace mldeck
