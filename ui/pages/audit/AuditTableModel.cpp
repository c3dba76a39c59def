#include "ui/pages/audit/AuditTableModel.h"

#include "core/audit/AuditDiff.h"
#include "core/services/AuditService.h"

#include <QTimer>

#include <algorithm>

namespace mldeck::ui {

namespace {
constexpr int kDispatchMs = 15; // one paint's requests go out together
constexpr int kMaxInFlight = 2; // the worker answers in order: a long queue would serve pages already scrolled past
} // namespace

AuditTableModel::AuditTableModel(AuditService &service, QObject *parent)
    : QAbstractTableModel(parent), m_service(service), m_live(new QTimer(this)), m_dispatch(new QTimer(this))
{
    m_live->setInterval(kLivePollMs);
    m_dispatch->setSingleShot(true);
    m_dispatch->setInterval(kDispatchMs);
    connect(m_live, &QTimer::timeout, this, &AuditTableModel::pollNewer);
    connect(m_dispatch, &QTimer::timeout, this, &AuditTableModel::requestWanted);
    connect(&m_service, &AuditService::opened, this, &AuditTableModel::onOpened);
    connect(&m_service, &AuditService::pageFetched, this, &AuditTableModel::onPageFetched);
    connect(&m_service, &AuditService::newerFetched, this, &AuditTableModel::onNewerFetched);
}

AuditTableModel::~AuditTableModel() = default;

void AuditTableModel::setFilter(const AuditFilter &filter)
{
    m_filter = filter;
    reload();
}

void AuditTableModel::reload()
{
    open(kSettleSeconds);
}

void AuditTableModel::open(int settleSeconds)
{
    beginResetModel();
    ++m_ticket; // answers for the view being dropped are ignored
    m_open = false;
    m_top = 0;
    m_count = 0;
    m_fresh.clear();
    m_pages.clear();
    m_wanted.clear();
    m_inFlight.clear();
    m_newerPending = false;
    m_openFailed = false;
    endResetModel();
    m_service.open(m_filter, m_ticket, settleSeconds);
}

void AuditTableModel::setLive(bool live)
{
    if (live)
        m_live->start();
    else
        m_live->stop();
}

void AuditTableModel::pollNewer()
{
    if (!m_open) {
        if (m_openFailed)
            reload();
        return;
    }
    if (m_newerPending)
        return;
    m_newerPending = true;
    // Every row above the top, again: one that committed late may sit below rows already shown. One more
    // than fits: a full answer means the view must be opened again under a new top.
    m_service.fetchNewer(m_filter, m_top, kMaxFresh + 1, m_ticket);
}

void AuditTableModel::onOpened(quint64 ticket, const Result<AuditSnapshot> &snapshot)
{
    if (ticket != m_ticket)
        return;
    if (!snapshot) {
        m_error = snapshot.errorMessage();
        m_openFailed = true;
        Q_EMIT failed(m_error);
        return;
    }
    m_error.clear();
    beginResetModel();
    m_open = true;
    m_top = snapshot->top;
    m_count = snapshot->count;
    endResetModel();
    if (m_count > 0) { // the first page is always wanted: ask now rather than at the view's first paint
        m_wanted.insert(0);
        m_dispatch->start();
    }
    Q_EMIT opened();
    pollNewer(); // the rows above the top, at once
}

void AuditTableModel::onPageFetched(quint64 ticket, qint64 offset, const Result<QList<AuditEntry>> &rows)
{
    if (ticket != m_ticket)
        return;
    const qint64 page = offset / kPageSize;
    m_inFlight.remove(page);
    if (!rows) {
        m_error = rows.errorMessage();
        Q_EMIT failed(m_error);
        return;
    }
    m_pages.insert(page, Page{*rows, ++m_clock});
    evict();
    const int first = int(m_fresh.size() + offset);
    const int last = std::min(rowCount() - 1, first + kPageSize - 1);
    if (first <= last)
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1));
    Q_EMIT pageLoaded(offset);
    requestWanted(); // what the last paint asked for and did not fit in flight
}

void AuditTableModel::onNewerFetched(quint64 ticket, const Result<QList<AuditEntry>> &rows)
{
    if (ticket != m_ticket)
        return;
    m_newerPending = false;
    if (!rows) {
        m_error = rows.errorMessage();
        Q_EMIT failed(m_error);
        return;
    }
    if (rows->size() > kMaxFresh) {
        // Too many to keep above the top: page them from the newest row instead (a burst this size is
        // not worth waiting for its rows to settle; the live poll goes on above it).
        open(0);
        return;
    }
    insertFresh(*rows);
}

// rows: every row above the top, newest first. Those not shown yet go in at their place by id.
void AuditTableModel::insertFresh(const QList<AuditEntry> &rows)
{
    int inserted = 0;
    for (auto it = rows.crbegin(); it != rows.crend(); ++it) {
        const auto at = std::lower_bound(m_fresh.cbegin(), m_fresh.cend(), it->id,
                                         [](const AuditEntry &e, qint64 id) { return e.id > id; });
        if (at != m_fresh.cend() && at->id == it->id)
            continue; // shown already
        const int row = int(at - m_fresh.cbegin());
        beginInsertRows({}, row, row);
        m_fresh.insert(row, *it);
        endInsertRows();
        ++inserted;
    }
    if (inserted > 0)
        Q_EMIT freshRowsInserted(inserted);
}

void AuditTableModel::requestWanted()
{
    QList<qint64> pages(m_wanted.cbegin(), m_wanted.cend());
    std::sort(pages.begin(), pages.end());
    for (qint64 page : pages) {
        if (m_pages.contains(page) || m_inFlight.contains(page)) {
            m_wanted.remove(page);
            continue;
        }
        if (m_inFlight.size() >= kMaxInFlight)
            break; // stays wanted: sent when a request finishes, unless the next paint wants others
        m_wanted.remove(page);
        m_inFlight.insert(page);
        m_service.fetchPage(m_filter, m_top, m_count, page * kPageSize, kPageSize, m_ticket);
    }
}

void AuditTableModel::evict()
{
    while (m_pages.size() > kMaxPages) {
        auto oldest = m_pages.begin();
        for (auto it = m_pages.begin(); it != m_pages.end(); ++it)
            if (it->used < oldest->used)
                oldest = it;
        m_pages.erase(oldest);
    }
}

const AuditEntry *AuditTableModel::entryAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return nullptr;
    if (row < m_fresh.size())
        return &m_fresh[row];
    const qint64 below = row - m_fresh.size();
    const qint64 page = below / kPageSize;
    auto it = m_pages.find(page);
    if (it == m_pages.end()) {
        if (!m_dispatch->isActive()) { // a new paint: its pages replace what the last one wanted
            m_wanted.clear();
            m_dispatch->start();
        }
        m_wanted.insert(page);
        return nullptr;
    }
    it->used = ++m_clock;
    const qint64 at = below % kPageSize;
    return at < it->rows.size() ? &it->rows[at] : nullptr;
}

const AuditEntry *AuditTableModel::cachedEntryAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return nullptr;
    if (row < m_fresh.size())
        return &m_fresh[row];
    const qint64 below = row - m_fresh.size();
    const auto it = m_pages.constFind(below / kPageSize);
    return it != m_pages.cend() && below % kPageSize < it->rows.size() ? &it->rows[below % kPageSize] : nullptr;
}

int AuditTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_open ? 0 : int(m_fresh.size() + m_count);
}

int AuditTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    const AuditEntry *e = entryAt(index.row());
    if (!e)
        return index.column() == Time && role == Qt::DisplayRole ? tr("Loading…") : QVariant();
    switch (Column(index.column())) {
    case Time:
        return e->at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    case Actor:
        return role == Qt::ToolTipRole ? tr("%1 (database role %2)").arg(e->actor(), e->actorDb) : e->actor();
    case Action:
        return e->action;
    case Deployment:
        return e->deployment;
    case Reason:
        return e->reason;
    case Change: {
        const QStringList lines = AuditDiff::text(*e);
        return role == Qt::ToolTipRole ? lines.join(QLatin1Char('\n')) : lines.join(QStringLiteral("; "));
    }
    case ColumnCount:
        break;
    }
    return {};
}

QVariant AuditTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Time:
        return tr("Time");
    case Actor:
        return tr("Actor");
    case Action:
        return tr("Kind");
    case Deployment:
        return tr("Deployment");
    case Reason:
        return tr("Reason");
    case Change:
        return tr("Change");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace mldeck::ui
