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
    endResetModel();
    m_service.open(m_filter, m_ticket);
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
    if (!m_open || m_newerPending)
        return;
    m_newerPending = true;
    const qint64 newest = m_fresh.isEmpty() ? m_top : m_fresh.first().id;
    // One more than fits: a full answer means the view must be opened again under a new top.
    m_service.fetchNewer(m_filter, newest, kMaxFresh - int(m_fresh.size()) + 1, m_ticket);
}

void AuditTableModel::onOpened(quint64 ticket, const Result<AuditSnapshot> &snapshot)
{
    if (ticket != m_ticket)
        return;
    if (!snapshot) {
        m_error = snapshot.errorMessage();
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
    if (!m_wanted.isEmpty())
        m_dispatch->start();
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
    if (rows->isEmpty())
        return;
    if (m_fresh.size() + rows->size() > kMaxFresh) {
        reload(); // too many to keep above the top: page them from a new top instead
        return;
    }
    beginInsertRows({}, 0, int(rows->size()) - 1);
    m_fresh = *rows + m_fresh;
    endInsertRows();
    Q_EMIT freshRowsInserted(int(rows->size()));
}

void AuditTableModel::requestWanted()
{
    QList<qint64> pages(m_wanted.cbegin(), m_wanted.cend());
    std::sort(pages.begin(), pages.end());
    for (qint64 page : pages) {
        if (m_inFlight.size() >= kMaxInFlight)
            break;
        m_wanted.remove(page);
        if (m_pages.contains(page) || m_inFlight.contains(page))
            continue;
        m_inFlight.insert(page);
        m_service.fetchPage(m_filter, m_top, m_count, page * kPageSize, kPageSize, m_ticket);
    }
    // What is left stays wanted only if the view asks again (it repaints when a page arrives).
    m_wanted.clear();
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
        m_wanted.insert(page);
        if (!m_dispatch->isActive())
            m_dispatch->start();
        return nullptr;
    }
    it->used = ++m_clock;
    const qint64 at = below % kPageSize;
    return at < it->rows.size() ? &it->rows[at] : nullptr;
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
