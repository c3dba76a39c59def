#include "core/services/AuditService.h"

#include "core/Text.h"
#include "core/store/pg/AuditQuery.h"
#include "core/store/pg/DeploymentStore.h"

#include <QTimer>

namespace mldeck {

AuditService::AuditService(QObject *parent)
    : PgService(QStringLiteral("audit"), parent), m_exportWorker(QStringLiteral("audit-export")),
      m_cancel(std::make_shared<std::atomic_bool>(false)), m_rows(std::make_shared<std::atomic<qint64>>(0)),
      m_progressTimer(new QTimer(this))
{
    m_progressTimer->setInterval(kProgressMs);
    connect(m_progressTimer, &QTimer::timeout, this, [this] {
        if (const qint64 rows = m_rows->load(); rows != m_reported)
            Q_EMIT exportProgress(m_reported = rows);
    });
}

AuditService::~AuditService()
{
    *m_cancel = true; // a running export stops at its next batch instead of holding the window's close
}

void AuditService::open(const AuditFilter &filter, quint64 ticket, int settleSeconds)
{
    post(
        [filter, settleSeconds](PgConnection &c) -> Result<AuditSnapshot> {
            AuditQuery query(c);
            auto top = query.settledTop(settleSeconds);
            if (!top)
                return top.error();
            auto count = query.count(filter, *top);
            if (!count)
                return count.error();
            return AuditSnapshot{*top, *count};
        },
        [this, ticket](Result<AuditSnapshot> r) { Q_EMIT opened(ticket, r); });
}

void AuditService::fetchPage(const AuditFilter &filter, qint64 top, qint64 total, qint64 offset, int limit,
                             quint64 ticket)
{
    post([filter, top, total, offset,
          limit](PgConnection &c) { return AuditQuery(c).page(filter, top, offset, limit, total); },
         [this, ticket, offset](Result<QList<AuditEntry>> r) { Q_EMIT pageFetched(ticket, offset, r); });
}

void AuditService::fetchNewer(const AuditFilter &filter, qint64 afterId, int limit, quint64 ticket)
{
    post([filter, afterId, limit](PgConnection &c) { return AuditQuery(c).newerThan(filter, afterId, limit); },
         [this, ticket](Result<QList<AuditEntry>> r) { Q_EMIT newerFetched(ticket, r); });
}

void AuditService::listChoices()
{
    post(
        [](PgConnection &c) -> Result<AuditChoices> {
            auto deployments = DeploymentStore(c).names();
            if (!deployments)
                return deployments.error();
            AuditQuery query(c);
            auto actors = query.actors();
            if (!actors)
                return actors.error();
            auto actions = query.actions();
            if (!actions)
                return actions.error();
            return AuditChoices{*deployments, *actors, *actions};
        },
        [this](Result<AuditChoices> r) { Q_EMIT choicesListed(r); });
}

void AuditService::fetchTimeline(const QString &deployment, const QDateTime &from, const QDateTime &to)
{
    post([deployment, from, to](PgConnection &c) { return AuditQuery(c).timeline(deployment, from, to); },
         [this](Result<ServedTimeline> r) { Q_EMIT timelineFetched(r); });
}

void AuditService::exportTo(const AuditFilter &filter, AuditExportFormat format, const QString &path)
{
    if (m_exporting) {
        Q_EMIT exportFinished(Error{ServiceText::tr("An export is already running; wait for it or cancel it.")});
        return;
    }
    m_exporting = true;
    *m_cancel = false;
    *m_rows = 0;
    m_reported = 0;
    m_progressTimer->start();
    // The worker only stores the count; the timer reports it from this object's thread.
    m_exportWorker.post(
        this, endpoint(),
        [filter, format, path, cancel = m_cancel, written = m_rows](PgConnection &c) {
            AuditQuery query(c);
            const auto source = [&query, &filter](const AuditBatchSink &sink) { return query.forEach(filter, sink); };
            return writeAuditExport(source, format, path, [cancel, written](qint64 rows) {
                *written = rows;
                return !cancel->load();
            });
        },
        [this](Result<qint64> r) {
            m_exporting = false;
            m_progressTimer->stop();
            Q_EMIT exportFinished(r);
        });
}

void AuditService::cancelExport()
{
    *m_cancel = true;
}

} // namespace mldeck
