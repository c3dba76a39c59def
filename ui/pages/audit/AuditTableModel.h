#pragma once

#include "core/audit/AuditFilter.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>

class QTimer;

namespace mldeck {
class AuditService;
struct AuditSnapshot;
} // namespace mldeck

namespace mldeck::ui {

// The audit log as a table that pages from the database, newest first. A view is opened under a fixed
// top id, the newest row older than kSettleSeconds (ids are handed out at insert, not commit: a lower id
// may still commit after a higher one). rowCount = the live rows above the top + the rows matching at or
// below it; rows below the top are
// fetched in pages on the service's worker when the view first asks for them, and at most kMaxPages
// pages are kept (least recently used dropped), so memory stays flat whatever the log's size. A row
// whose page is on its way reads "Loading…". Every row above the top is read again every kLivePollMs
// and those not shown yet are inserted at their place by id; past kMaxFresh of them the view is opened
// again under a new top. A view whose opening failed is opened again by the live poll.
class AuditTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditTableModel)

public:
    static constexpr int kPageSize = 200;
    static constexpr int kMaxPages = 10;
    static constexpr int kMaxFresh = 200;
    static constexpr int kLivePollMs = 3000;
    static constexpr int kSettleSeconds = 10;

    enum Column
    {
        Time,
        Actor,
        Action,
        Deployment,
        Reason,
        Change,
        ColumnCount
    };

    explicit AuditTableModel(AuditService &service, QObject *parent = nullptr);
    ~AuditTableModel() override;

    // Opens a view of the rows matching filter (the rows shown are dropped until it is open).
    void setFilter(const AuditFilter &filter);
    const AuditFilter &filter() const { return m_filter; }
    void reload();    // opens the same filter again, under the newest top
    void pollNewer(); // asks for rows newer than the newest shown (also run by the live timer)
    void setLive(bool live);

    // The row's entry, or nullptr while its page loads.
    const AuditEntry *entryAt(int row) const;
    // The row's entry if its page is cached, without asking for it (nullptr otherwise).
    const AuditEntry *cachedEntryAt(int row) const;
    bool isOpen() const { return m_open; }
    qint64 top() const { return m_top; }
    qint64 matchingBelowTop() const { return m_count; }
    int cachedPages() const { return int(m_pages.size()); }
    int freshRows() const { return int(m_fresh.size()); }
    QString lastError() const { return m_error; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void opened();                       // a view is open: rowCount is known
    void pageLoaded(qint64 offset);      // a page arrived (its rows are shown)
    void freshRowsInserted(int rows);    // live rows were inserted at the top
    void failed(const QString &message); // a read failed (the view keeps what it had)

private:
    struct Page
    {
        QList<AuditEntry> rows;
        quint64 used = 0; // for the LRU
    };
    void onOpened(quint64 ticket, const Result<AuditSnapshot> &snapshot);
    void onPageFetched(quint64 ticket, qint64 offset, const Result<QList<AuditEntry>> &rows);
    void onNewerFetched(quint64 ticket, const Result<QList<AuditEntry>> &rows);
    void open(int settleSeconds);
    void insertFresh(const QList<AuditEntry> &rows);
    void requestWanted();
    void evict();

    AuditService &m_service;
    AuditFilter m_filter;
    quint64 m_ticket = 0;
    bool m_open = false;
    qint64 m_top = 0;
    qint64 m_count = 0;
    QList<AuditEntry> m_fresh; // rows above the top, newest first
    bool m_newerPending = false;
    bool m_openFailed = false; // the live poll opens the view again
    QString m_error;
    QTimer *m_live = nullptr;
    QTimer *m_dispatch = nullptr; // coalesces the page requests of one paint
    // Lazily filled from data() (a const call): the cache and the requests it triggers.
    mutable QHash<qint64, Page> m_pages; // page index -> rows
    mutable QSet<qint64> m_wanted;       // pages the last paint asked for (replaced by the next paint)
    QSet<qint64> m_inFlight;
    mutable quint64 m_clock = 0;
};

} // namespace mldeck::ui
