#include "core/services/KpiService.h"

#include "core/services/KpiCache.h"
#include "core/store/pg/KpiStore.h"

#include <algorithm>

namespace mldeck {

KpiService::KpiService(QObject *parent)
    : PgService(QStringLiteral("kpi"), parent), m_cache(std::make_shared<KpiCache>())
{
    qRegisterMetaType<mldeck::KpiSnapshot>();
    qRegisterMetaType<mldeck::Result<mldeck::KpiSnapshot>>();
    qRegisterMetaType<mldeck::Result<mldeck::KpiReportData>>();
    qRegisterMetaType<mldeck::Result<mldeck::NannyQuality>>();
    m_timer.setInterval(5000);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (!m_busy && m_loaded) // a refresh never queues behind a slow one
            refreshNow();
    });
}

KpiService::~KpiService() = default;

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
    postRead(
        [cache = m_cache, query](PgConnection &c) { return cache->load(c, query, QDateTime::currentSecsSinceEpoch()); },
        [this](Result<KpiSnapshot> r) {
            answered();
            m_loaded = r.ok();
            if (r && m_timer.interval() > 0 && !m_timer.isActive())
                m_timer.start();
            applyOnPrimary(r);
            Q_EMIT snapshotRead(r);
        });
}

void KpiService::refreshNow()
{
    started();
    postRead(
        [cache = m_cache](PgConnection &c) -> Result<KpiSnapshot> {
            if (!cache->isLoaded())
                return Error{tr("Nothing is loaded yet: choose a deployment and a range first.")};
            return cache->refresh(c, QDateTime::currentSecsSinceEpoch());
        },
        [this](Result<KpiSnapshot> r) {
            answered();
            applyOnPrimary(r);
            Q_EMIT snapshotRead(r);
        });
}

void KpiService::applyOnPrimary(const Result<KpiSnapshot> &snapshot)
{
    // Read on the standby, outcomes still queued: nobody may apply them on the primary while every dashboard
    // reads the standby (the guard does so only for deployments with KPI alert rules), so ask the primary.
    // The standby replays the result and a later refresh counts them; a failure here is tried again then.
    if (!snapshot || snapshot->outcomesAwaitingPrimary == 0)
        return;
    post([](PgConnection &c) { return KpiStore(c).applyPendingOutcomes(); }, [](const Result<qint64> &) {});
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

void KpiService::buildReport(const QString &deployment, const QString &period, const QDateTime &end)
{
    postRead(
        [deployment, period, end](PgConnection &c) {
            return buildKpiReport(c, deployment, period, end.isValid() ? end : QDateTime::currentDateTimeUtc());
        },
        [this](Result<KpiReportData> r) { Q_EMIT reportBuilt(r); });
}

void KpiService::readNannyQuality(const QString &deployment, qint64 fromSecs, qint64 toSecs)
{
    postRead(
        [deployment, fromSecs, toSecs](PgConnection &c) {
            return mldeck::readNannyQuality(c, deployment, fromSecs * 1'000'000, toSecs * 1'000'000);
        },
        [this, deployment](Result<NannyQuality> r) { Q_EMIT nannyQualityRead(deployment, r); });
}

} // namespace mldeck
