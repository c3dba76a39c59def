#pragma once

#include "core/services/KpiReport.h"
#include "core/services/KpiSnapshot.h"
#include "core/services/NannyQuality.h"
#include "core/services/PgService.h"

#include <QDateTime>
#include <QTimer>

#include <memory>

namespace mldeck {

class KpiCache;

// The dashboard's data on its PgService worker: loads a query, then refreshes it incrementally
// every interval; builds the KPI report of a period. Each load()/refreshNow() finishes with exactly
// one snapshotRead. A refresh is skipped while the previous one still runs.
class KpiService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KpiService)

public:
    explicit KpiService(QObject *parent = nullptr);
    ~KpiService() override;

    void load(const KpiQuery &query); // -> snapshotRead
    void refreshNow();                // -> snapshotRead
    void setAutoRefreshMs(int ms);    // 0 stops; default 5000
    int autoRefreshMs() const;

    // The report of [end - period, end) (see buildKpiReport); end invalid: now. -> reportBuilt
    void buildReport(const QString &deployment, const QString &period, const QDateTime &end = {});
    // The nanny model's quality over [fromSecs, toSecs): the hours with estimates and outcomes
    // (readNannyQuality). -> nannyQualityRead
    void readNannyQuality(const QString &deployment, qint64 fromSecs, qint64 toSecs);

Q_SIGNALS:
    void snapshotRead(const mldeck::Result<mldeck::KpiSnapshot> &snapshot);
    void reportBuilt(const mldeck::Result<mldeck::KpiReportData> &report);
    void nannyQualityRead(const QString &deployment, const mldeck::Result<mldeck::NannyQuality> &quality);

private:
    void started();
    void answered();
    // Outcomes a standby read could not count (KpiSnapshot::outcomesAwaitingPrimary) are applied on the primary.
    void applyOnPrimary(const Result<KpiSnapshot> &snapshot);

    std::shared_ptr<KpiCache> m_cache; // touched only inside jobs, on the worker thread
    QTimer m_timer;
    bool m_busy = false;
    int m_pending = 0;     // jobs posted and not answered yet (m_busy = m_pending > 0)
    bool m_loaded = false; // a load succeeded: the timer has something to refresh
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::KpiSnapshot)
Q_DECLARE_METATYPE(mldeck::Result<mldeck::NannyQuality>)
