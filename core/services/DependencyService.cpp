#include "core/services/DependencyService.h"

#include "core/services/JobThread.h"
#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QTimer>

namespace mldeck {

// The worker's connection, opened on first use and again after it broke; touched only in jobs.
struct DependencyService::Worker
{
    explicit Worker(RedisEndpoint e) : endpoint(std::move(e)) {}
    RedisEndpoint endpoint;
    std::unique_ptr<RedisConnection> conn;

    Result<QList<DependencyState>> read(const QStringList &wanted)
    {
        if (!conn || conn->isBroken()) {
            auto opened = RedisConnection::open(endpoint);
            if (!opened)
                return opened.error();
            conn = std::move(opened).value();
        }
        QStringList deployments = wanted;
        if (deployments.isEmpty()) {
            auto all = FlagStore(*conn).deployments();
            if (!all)
                return all.error();
            deployments = *all;
        }
        QList<DependencyState> out;
        DependencyStore store(*conn);
        for (const QString &d : std::as_const(deployments)) {
            auto deps = store.read(d);
            if (!deps)
                return deps.error();
            for (DependencyState &s : deps.value())
                out.append(std::move(s));
        }
        return out;
    }
};

DependencyService::DependencyService(QObject *parent)
    : QObject(parent), m_jobs(new JobThread(QStringLiteral("mldeck-dependencies"), this)), m_poll(new QTimer(this))
{
    qRegisterMetaType<mldeck::Result<QList<mldeck::DependencyState>>>();
    m_poll->setInterval(kDefaultPollMs);
    connect(m_poll, &QTimer::timeout, this, &DependencyService::refresh);
}

DependencyService::~DependencyService() = default;

void DependencyService::setEndpoint(const RedisEndpoint &redis)
{
    // A fresh worker per endpoint; the previous one is released by its last job.
    m_worker = std::make_shared<Worker>(redis);
    m_configured = true;
    ++m_generation;
    if (m_poll->interval() > 0)
        m_poll->start();
    refresh();
}

void DependencyService::setDeployments(const QStringList &deployments)
{
    m_deployments = deployments;
    ++m_generation;
    refresh();
}

void DependencyService::setPollInterval(int ms)
{
    m_poll->setInterval(std::max(0, ms));
    if (ms <= 0)
        m_poll->stop();
    else if (m_configured)
        m_poll->start();
}

int DependencyService::pollInterval() const
{
    return m_poll->isActive() ? m_poll->interval() : 0;
}

void DependencyService::refresh()
{
    if (!m_configured)
        return;
    if (m_busy) {
        m_again = true; // read once more when the running read ends
        return;
    }
    m_busy = true;
    auto worker = m_worker;
    const QStringList wanted = m_deployments;
    const quint64 generation = m_generation;
    m_jobs->post(
        this, [worker, wanted] { return worker->read(wanted); },
        [this, generation](Result<QList<DependencyState>> r) {
            m_busy = false;
            const bool again = m_again;
            m_again = false;
            // An answer for an endpoint or deployments no longer shown is dropped and asked again.
            if (generation != m_generation) {
                refresh();
                return;
            }
            Q_EMIT dependenciesRead(r);
            if (again)
                refresh();
        });
}

} // namespace mldeck
