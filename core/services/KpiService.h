#pragma once

#include "core/config/Endpoints.h"
#include "core/services/JobThread.h"
#include "core/services/KpiSnapshot.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace mldeck {

// The dashboard's data: loads a query on its own worker thread (one PostgreSQL connection there),
// then refreshes it incrementally every interval. Each load()/refresh finishes with exactly one
// signal: snapshotReady or failed. A refresh is skipped while the previous one still runs.
class KpiService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KpiService)

public:
    explicit KpiService(QObject *parent = nullptr);
    ~KpiService() override;

    void setEndpoint(const PgEndpoint &pg);
    void load(const KpiQuery &query);
    void refreshNow();
    void setAutoRefreshMs(int ms); // 0 stops; default 5000
    int autoRefreshMs() const;
    void listDeployments(); // -> deploymentsListed

Q_SIGNALS:
    void snapshotReady(const mldeck::KpiSnapshot &snapshot);
    void failed(const QString &message);
    void deploymentsListed(const QStringList &deployments, const QString &error);

private:
    struct Worker;
    std::shared_ptr<Worker> m_worker;
    JobThread m_jobs;
    QTimer m_timer;
    bool m_busy = false;
    int m_pending = 0;     // jobs posted and not answered yet (m_busy = m_pending > 0)
    bool m_loaded = false; // a load succeeded: the timer has something to refresh
    void started();
    void answered();
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::KpiSnapshot)
