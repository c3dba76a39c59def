#include "core/services/guard/GuardRunner.h"

#include "core/store/pg/LeaderLock.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QDeadlineTimer>

#include <thread>

namespace mldeck {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("mldeck::GuardRunner", text);
}

} // namespace

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

GuardRunner::Round GuardRunner::runRound()
{
    Round round;
    auto leader = m_lock->ensure();
    if (!leader) {
        round.errors << tr("cannot reach PostgreSQL to elect the guard leader: %1").arg(leader.errorMessage());
        return round;
    }
    round.leader = *leader;
    if (!round.leader) {
        round.lines << tr("standing by: another guard is the leader");
        return round;
    }
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
    for (const auto &job : m_jobs) {
        for (const QString &d : deployments) {
            GuardContext ctx{m_options.redis, m_options.pg, d, m_options.actor};
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
    while (!stop) {
        QDeadlineTimer next(qMax(100, m_options.intervalMs));
        const Round r = runRound();
        if (report)
            report(r);
        while (!stop && !next.hasExpired())
            std::this_thread::sleep_for(std::chrono::milliseconds(qMin<qint64>(50, qMax<qint64>(1, next.remainingTime()))));
    }
    m_lock->release();
}

} // namespace mldeck
