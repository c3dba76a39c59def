#pragma once

#include "core/config/Endpoints.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/guard/GuardJob.h"

#include <QCoreApplication>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace mldeck {

class LeaderLock;

struct GuardRunnerOptions
{
    RedisEndpoint redis;
    PgEndpoint pg;
    QStringList deployments; // empty: every deployment that has flags in Redis
    int intervalMs = 5000;
    // How often a guard that is not the leader tries the lock between rounds, so that it takes over
    // a released (or lost) leadership within this time rather than on its next round.
    int leaderPollMs = 250;
    QString scope = QStringLiteral("default"); // guards with the same scope elect one leader
    QString actor;                             // empty: "guard@<host>"
};

// Runs the guard jobs on a schedule, only while this process is the elected leader: several
// guards may run (two laptops and a server), exactly one acts at a time (pg_try_advisory_lock
// on a dedicated session). A leader that stops unlocks and closes that session at once; a leader
// that dies has its session, and so the lock, freed by the server. The others try the lock every
// leaderPollMs, so one of them leads again within about that time. Blocking: run it on its own thread.
class GuardRunner final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::GuardRunner)

public:
    explicit GuardRunner(GuardRunnerOptions options, std::vector<std::unique_ptr<GuardJob>> jobs = standardGuardJobs());
    ~GuardRunner();
    GuardRunner(const GuardRunner &) = delete;
    GuardRunner &operator=(const GuardRunner &) = delete;

    struct Round
    {
        bool leader = false;
        QStringList lines;      // one per job and deployment: what was decided
        QStringList errors;     // what could not be done
        bool abandoned = false; // stop was set: the jobs not yet run were skipped
    };
    // One round: makes sure of the leadership, then (leader only) every job on every deployment.
    // When stop is given and becomes set, the round ends after the job step under way.
    Round runRound(const std::atomic<bool> *stop = nullptr);

    // Rounds every intervalMs until stop is set (checked every 50 ms); each round is reported.
    // Then releases the leadership before returning.
    void run(const std::atomic<bool> &stop, const std::function<void(const Round &)> &report);

    bool isLeader() const;
    int lockSessionPid() const; // the backend holding (or trying for) the lock; tests terminate it
    const GuardRunnerOptions &options() const { return m_options; }

private:
    GuardRunnerOptions m_options;
    std::vector<std::unique_ptr<GuardJob>> m_jobs;
    std::unique_ptr<LeaderLock> m_lock;
    bool m_wasLeader = false; // at the end of the last round, to report a change of leadership
    KeptPgConnection m_pg{QStringLiteral("mldeck-guard")}; // reads which deployments are archived
};

} // namespace mldeck
