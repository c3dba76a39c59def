#pragma once

#include "core/audit/AuditExport.h"
#include "core/audit/AuditFilter.h"
#include "core/audit/ServedTimeline.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/PgService.h"

#include <QList>
#include <QStringList>

class QTimer;

#include <atomic>
#include <memory>

namespace mldeck {

// A view of the audit log opened under a fixed top id: the rows at or below it never move (the
// log is append-only), so pages of it can be fetched in any order and cached.
struct AuditSnapshot
{
    qint64 top = 0;   // the newest settled id when the view was opened (0: none)
    qint64 count = 0; // rows matching the filter with id <= top
};

// What the filter bar offers: the deployments, the actors and the action kinds present.
struct AuditChoices
{
    QStringList deployments;
    QStringList actors;
    QStringList actions;
};

// The audit log for the GUI, read through AuditQuery on PgService workers: opening a filtered view,
// its pages, the rows newer than it, the served timeline of a deployment, and exports. Every request
// carries the caller's ticket back so that a view can ignore answers for a filter it no longer shows.
// Exports run on a second worker of their own, so paging stays responsive during a long export.
class AuditService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditService)

public:
    static constexpr int kMaxPage = 1000;   // AuditQuery's limit per page
    static constexpr int kProgressMs = 200; // how often a running export reports its rows

    explicit AuditService(QObject *parent = nullptr);
    ~AuditService() override;

    // The view's top is the newest row written more than settleSeconds ago (see AuditQuery::settledTop).
    void open(const AuditFilter &filter, quint64 ticket, int settleSeconds = 0); // -> opened
    // total: the count the view holds for filter and top (a page past the middle is then read from the oldest end).
    void fetchPage(const AuditFilter &filter, qint64 top, qint64 total, qint64 offset, int limit,
                   quint64 ticket);                                                            // -> pageFetched
    void fetchNewer(const AuditFilter &filter, qint64 afterId, int limit, quint64 ticket);     // -> newerFetched
    void listChoices();                                                                        // -> choicesListed
    void fetchTimeline(const QString &deployment, const QDateTime &from, const QDateTime &to); // -> timelineFetched

    // Writes the rows matching filter to path (exportProgress while it runs, then exportFinished with the
    // rows written). One export at a time: a second request while one runs is refused.
    void exportTo(const AuditFilter &filter, AuditExportFormat format, const QString &path);
    void cancelExport(); // the running export stops after its current batch and leaves no file
    bool isExporting() const { return m_exporting; }

Q_SIGNALS:
    void opened(quint64 ticket, const mldeck::Result<mldeck::AuditSnapshot> &snapshot);
    void pageFetched(quint64 ticket, qint64 offset, const mldeck::Result<QList<mldeck::AuditEntry>> &rows);
    void newerFetched(quint64 ticket, const mldeck::Result<QList<mldeck::AuditEntry>> &rows);
    void choicesListed(const mldeck::Result<mldeck::AuditChoices> &choices);
    void timelineFetched(const mldeck::Result<mldeck::ServedTimeline> &timeline);
    void exportProgress(qint64 rows);
    void exportFinished(const mldeck::Result<qint64> &rows);

private:
    PgWorker m_exportWorker;
    std::shared_ptr<std::atomic_bool> m_cancel;
    std::shared_ptr<std::atomic<qint64>> m_rows; // written so far by the running export
    QTimer *m_progressTimer = nullptr;
    qint64 m_reported = 0; // the rows last reported by exportProgress
    bool m_exporting = false;
};

} // namespace mldeck
