#pragma once

#include "core/config/Endpoints.h"
#include "core/services/guard/GuardJob.h"

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
    QString scope = QStringLiteral("default"); // guards with the same scope elect one leader
    QString actor;                             // empty: "guard@<host>"
};

// Runs the guard jobs on a schedule, only while this process is the elected leader: several
// guards may run (two laptops and a server), exactly one acts at a time (pg_try_advisory_lock
// on a dedicated session; when the leader dies the server frees the lock and another guard takes
// over on its next round, i.e. within one interval). Blocking: run it on its own thread.
class GuardRunner final
{
public:
    explicit GuardRunner(GuardRunnerOptions options, std::vector<std::unique_ptr<GuardJob>> jobs = standardGuardJobs());
    ~GuardRunner();
    GuardRunner(const GuardRunner &) = delete;
    GuardRunner &operator=(const GuardRunner &) = delete;

    struct Round
    {
        bool leader = false;
        QStringList lines;  // one per job and deployment: what was decided
        QStringList errors; // what could not be done
    };
    Round runRound();

    // Rounds every intervalMs until stop is set (checked every 50 ms); each round is reported.
    void run(const std::atomic<bool> &stop, const std::function<void(const Round &)> &report);

    bool isLeader() const;
    int lockSessionPid() const; // the backend holding (or trying for) the lock; tests terminate it
    const GuardRunnerOptions &options() const { return m_options; }

private:
    GuardRunnerOptions m_options;
    std::vector<std::unique_ptr<GuardJob>> m_jobs;
    std::unique_ptr<LeaderLock> m_lock;
};

} // namespace mldeck
