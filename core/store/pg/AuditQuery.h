#pragma once

#include "core/audit/AuditFilter.h"
#include "core/audit/ServedTimeline.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QList>

#include <functional>

namespace mldeck {

class PgConnection;

// Reads of mldeck.audit_log for the Audit page, `mldeckctl audit`, the dashboard's markers and the
// KPI report. Rows are listed newest first by id (handed out at insert, not commit). Paging is by
// offset below a fixed "top" id, so that rows inserted meanwhile never shift a page (the log is
// append-only): a view takes top = settledTop() once, pages below it, and asks newerThan(top) for
// live rows.
class AuditQuery final
{
public:
    explicit AuditQuery(PgConnection &conn);

    // The highest id in the log (0 when empty).
    Result<qint64> newestId();
    // The highest id of the rows written more than settleSeconds ago (0 when none). Ids are handed out
    // at insert, not commit: a lower id can still commit after a higher one, so a view tops below the
    // rows that may still have gaps and re-reads everything above its top.
    Result<qint64> settledTop(int settleSeconds);
    // How many rows match with id <= topId.
    Result<qint64> count(const AuditFilter &filter, qint64 topId);
    // Rows matching with id <= topId, newest first, skipping `offset`, at most `limit` (<= 1000).
    // `total`, when the caller knows it (count() of the same filter and top, as a view does), lets a
    // page past the middle be read from the oldest end: the last page is as fast as the first.
    Result<QList<AuditEntry>> page(const AuditFilter &filter, qint64 topId, qint64 offset, int limit,
                                   qint64 total = -1);
    // Rows matching with id > afterId, newest first, at most `limit`.
    Result<QList<AuditEntry>> newerThan(const AuditFilter &filter, qint64 afterId, int limit);
    // Every matching row, newest first, handed over in batches (a server-side cursor: memory stays
    // flat whatever the count). The callback returns false to stop. For exports.
    Status forEach(const AuditFilter &filter, const std::function<bool(const QList<AuditEntry> &)> &batch);

    // What served when: the champion and ML traffic of a deployment over [from, to).
    Result<ServedTimeline> timeline(const QString &deployment, const QDateTime &from, const QDateTime &to);

    // The distinct actors and action kinds present (for the filter's choices), at most `limit` each.
    Result<QStringList> actors(int limit = 200);
    Result<QStringList> actions(int limit = 200);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
