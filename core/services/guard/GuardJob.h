#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace mldeck {

// What a guard job may use. Jobs open their own connections (they run on the guard's thread).
struct GuardContext
{
    RedisEndpoint redis;
    PgEndpoint pg;
    QString deployment;
    QString actor; // who acts: "guard@<host>"
    // Set when the guard is stopping: a long job (a retrain run) gives up early, recorded as cancelled.
    const std::atomic<bool> *stop = nullptr;
};

// Who the guard acts as: context.actor when set, else "guard@<host>"; run by the current OS user.
Actor guardActor(const GuardContext &context);

// One periodic check the guard runs while it is the leader (rollout rules, drift, retrain
// triggers). runOnce() does its own auditing and alerting and returns an error only when it
// could not do its work (the guard logs it and tries again next period).
class GuardJob
{
public:
    virtual ~GuardJob() = default;
    virtual QString name() const = 0;
    virtual int intervalMs() const = 0;
    virtual Status runOnce(const GuardContext &context) = 0;
    // A one-line summary of the last run, for `mldeckctl guard` and the GUI.
    virtual QString lastSummary() const = 0;
};

// Every job the guard runs, in order. Defined in GuardJobs.cpp.
std::vector<std::unique_ptr<GuardJob>> standardGuardJobs();

// Factories, one file each (guard/RolloutGuardJob.cpp, guard/DriftGuardJob.cpp).
std::unique_ptr<GuardJob> makeRolloutGuardJob();
std::unique_ptr<GuardJob> makeDriftGuardJob();
std::unique_ptr<GuardJob> makeKpiAlertGuardJob(); // guard/KpiAlertGuardJob.cpp: KPI alert rules
std::unique_ptr<GuardJob> makeRetrainGuardJob();  // guard/RetrainGuardJob.cpp: retrain triggers
std::unique_ptr<GuardJob> makeNannyGuardJob();    // guard/NannyGuardJob.cpp: estimated error before outcomes
// guard/AuditChainGuardJob.cpp: each deployment's audit hash chain, once per period (a day by default)
std::unique_ptr<GuardJob> makeAuditChainGuardJob(qint64 periodSecs = 86'400);

} // namespace mldeck
