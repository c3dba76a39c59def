#include "core/services/KpiService.h"

#include "core/services/KpiCache.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QDateTime>

#include <algorithm>

namespace mldeck {

// Lives on the job thread: the connection and the cache are only touched inside jobs.
struct KpiService::Worker
{
    PgEndpoint endpoint;
    bool endpointSet = false;
    std::unique_ptr<PgConnection> conn;
    KpiCache cache;

    Result<PgConnection *> connection()
    {
        if (!endpointSet)
            return Error{tr("No PostgreSQL connection is configured.")};
        if (conn)
            return conn.get();
        auto opened = PgConnection::open(endpoint, QStringLiteral("mldeck-kpi"));
        if (!opened)
            return opened.error();
        conn = std::move(opened).value();
        return conn.get();
    }

    // A failed call may mean the connection broke: the next request opens a new one (one cheap ping
    // decides, so an error in the query itself does not cost a reconnect).
    void checkConnection()
    {
        if (conn && !conn->ping())
            conn.reset();
    }

    template <typename T>
    Result<T> guarded(const std::function<Result<T>(PgConnection &)> &job)
    {
        auto c = connection();
        if (!c)
            return c.error();
        Result<T> r = job(**c);
        if (!r)
            checkConnection();
        return r;
    }
};

KpiService::KpiService(QObject *parent)
    : QObject(parent), m_worker(std::make_shared<Worker>()), m_jobs(QStringLiteral("mldeck-kpi"))
{
    qRegisterMetaType<mldeck::KpiSnapshot>();
    m_timer.setInterval(5000);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (!m_busy && m_loaded) // a refresh never queues behind a slow one
            refreshNow();
    });
}

KpiService::~KpiService() = default;

void KpiService::setEndpoint(const PgEndpoint &pg)
{
    m_jobs.post([w = m_worker, pg] {
        w->endpoint = pg;
        w->endpointSet = true;
        w->conn.reset();
    });
}

void KpiService::started()
{
    ++m_pending;
    m_busy = true;
}

void KpiService::answered()
{
    m_pending = std::max(0, m_pending - 1);
    m_busy = m_pending > 0;
}

void KpiService::load(const KpiQuery &query)
{
    started();
    m_jobs.post(
        this,
        [w = m_worker, query]() {
            return w->guarded<KpiSnapshot>([&](PgConnection &c) {
                return w->cache.load(c, query, QDateTime::currentSecsSinceEpoch());
            });
        },
        [this](Result<KpiSnapshot> r) {
            answered();
            m_loaded = r.ok();
            if (r) {
                if (m_timer.interval() > 0 && !m_timer.isActive())
                    m_timer.start();
                Q_EMIT snapshotReady(r.value());
            } else {
                Q_EMIT failed(r.errorMessage());
            }
        });
}

void KpiService::refreshNow()
{
    started();
    m_jobs.post(
        this,
        [w = m_worker]() -> Result<KpiSnapshot> {
            if (!w->cache.isLoaded())
                return Error{tr("Nothing is loaded yet: choose a deployment and a range first.")};
            return w->guarded<KpiSnapshot>([&](PgConnection &c) {
                return w->cache.refresh(c, QDateTime::currentSecsSinceEpoch());
            });
        },
        [this](Result<KpiSnapshot> r) {
            answered();
            if (r)
                Q_EMIT snapshotReady(r.value());
            else
                Q_EMIT failed(r.errorMessage());
        });
}

void KpiService::setAutoRefreshMs(int ms)
{
    if (ms <= 0) {
        m_timer.stop();
        m_timer.setInterval(0);
        return;
    }
    m_timer.setInterval(ms);
    m_timer.start();
}

int KpiService::autoRefreshMs() const
{
    return m_timer.interval();
}

void KpiService::listDeployments()
{
    m_jobs.post(
        this,
        [w = m_worker]() {
            return w->guarded<QStringList>([](PgConnection &c) { return KpiStore(c).deployments(); });
        },
        [this](Result<QStringList> r) { Q_EMIT deploymentsListed(r ? r.value() : QStringList{}, r.errorMessage()); });
}

} // namespace mldeck
