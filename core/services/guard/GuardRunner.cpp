#include "core/services/guard/GuardRunner.h"

#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/LeaderLock.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QDeadlineTimer>

#include <algorithm>

#include <thread>

namespace mldeck {

GuardRunner::GuardRunner(GuardRunnerOptions options, std::vector<std::unique_ptr<GuardJob>> jobs)
    : m_options(std::move(options)), m_jobs(std::move(jobs)),
      m_lock(std::make_unique<LeaderLock>(m_options.pg, m_options.scope))
{
}

GuardRunner::~GuardRunner() = default;

bool GuardRunner::isLeader() const
{
    return m_lock->isLeader();
}

int GuardRunner::lockSessionPid() const
{
    return m_lock->backendPid();
}

GuardRunner::Round GuardRunner::runRound(const std::atomic<bool> *stop)
{
    Round round;
    auto leader = m_lock->ensure();
    if (!leader) {
        m_wasLeader = false;
        round.errors << tr("cannot reach PostgreSQL to elect the guard leader: %1").arg(leader.errorMessage());
        return round;
    }
    round.leader = *leader;
    const bool becameLeader = round.leader && !m_wasLeader;
    m_wasLeader = round.leader;
    if (!round.leader) {
        round.lines << tr("standing by: another guard is the leader");
        return round;
    }
    if (becameLeader)
        round.lines << tr("leading: this guard is now the leader of scope \"%1\"").arg(m_options.scope);
    QStringList deployments = m_options.deployments;
    if (deployments.isEmpty()) {
        auto conn = RedisConnection::open(m_options.redis);
        auto names = conn ? FlagStore(**conn).deployments() : Result<QStringList>(conn.error());
        if (!names) {
            round.errors << tr("cannot list the deployments in Redis: %1").arg(names.errorMessage());
            return round;
        }
        deployments = *names;
    }
    // Archived deployments keep their flags and history but are no longer watched. Without
    // PostgreSQL the jobs report their own errors: the list is then used as it is.
    if (auto conn = m_pg.get(m_options.pg))
        if (auto all = DeploymentStore(**conn).list(true))
            for (const DeploymentInfo &d : *all)
                if (d.archived())
                    deployments.removeAll(d.name);
    for (const auto &job : m_jobs) {
        for (const QString &d : deployments) {
            if (stop && *stop) {
                round.abandoned = true;
                return round;
            }
            GuardContext ctx{m_options.redis, m_options.pg, d, m_options.actor, stop};
            if (Status s = job->runOnce(ctx); !s)
                round.errors << job->name() + QStringLiteral(" ") + s.errorMessage();
            else
                round.lines << job->name() + QStringLiteral(" ") + job->lastSummary();
        }
    }
    return round;
}

void GuardRunner::run(const std::atomic<bool> &stop, const std::function<void(const Round &)> &report)
{
    const int interval = qMax(100, m_options.intervalMs);
    const int poll = qBound(50, m_options.leaderPollMs, interval);
    QDeadlineTimer nextRound(0); // the first round at once
    while (!stop) {
        QDeadlineTimer wake = nextRound;
        if (nextRound.hasExpired()) {
            const Round r = runRound(&stop);
            nextRound = QDeadlineTimer(interval);
            if (report)
                report(r);
            // A follower that reached PostgreSQL keeps trying the lock between rounds; one that did
            // not retries on the round schedule rather than hammering an unreachable server.
            wake = r.leader || !r.errors.isEmpty() ? nextRound : QDeadlineTimer(poll);
        } else if (!m_lock->isLeader()) {
            auto leader = m_lock->ensure();
            if (leader && *leader) {
                nextRound = QDeadlineTimer(0); // leads now: a round at once
                continue;
            }
            wake = leader ? QDeadlineTimer(poll) : nextRound;
        }
        if (nextRound.deadline() < wake.deadline())
            wake = nextRound;
        while (!stop && !wake.hasExpired())
            std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<qint64>(wake.remainingTime(), 1, 50)));
    }
    m_lock->release();
}

} // namespace mldeck
