#pragma once

#include "core/audit/AuditExport.h"
#include "core/audit/AuditFilter.h"

#include <QDateTime>
#include <QWidget>

#include <functional>

class QLabel;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTableView;

namespace mldeck {
class AuditService;
struct AuditChoices;
struct ConnectionProfile;
template <typename T> class Result;
} // namespace mldeck

namespace mldeck::ui {

class AuditDetail;
class AuditFilterBar;
class AuditTableModel;
class ConnectionSession;
class EmptyStateView;
class InfoBar;
class ServedTimelineView;
struct AuditLink;

// The append-only audit log: every change, newest first, paged from the database (AuditTableModel),
// filtered by deployment, actor, kind, time and text; new rows appear live. The selected row shows
// in full with its before/after as a readable diff and a link to what it changed. The filtered view
// exports to CSV or JSON. A second tab shows "what served when" for a deployment. Read-only: there
// is nothing here a role could be refused.
class AuditPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditPage)

public:
    // Asked for the file to export to (a save dialog by default); an empty answer cancels.
    using PathAsker = std::function<QString(QWidget *parent, AuditExportFormat format)>;

    explicit AuditPage(ConnectionSession &session, QWidget *parent = nullptr);
    ~AuditPage() override;

    void setExportPathAsker(PathAsker asker) { m_askPath = std::move(asker); }
    void exportView(AuditExportFormat format); // asks for a file, then exports the filtered view
    void exportTo(AuditExportFormat format, const QString &path);
    void cancelExport();
    void refresh(); // the filter's choices, and the view opened again under the newest row

    AuditTableModel &model() const { return *m_model; }
    AuditFilterBar *filterBar() const { return m_filters; }
    QTableView *view() const { return m_view; }
    AuditDetail *detail() const { return m_detail; }
    ServedTimelineView *timelineView() const { return m_timeline; }
    QTabWidget *tabs() const { return m_tabs; }
    QProgressBar *exportProgress() const { return m_exportProgress; } // "N rows written" while an export runs
    QPushButton *exportCancelButton() const { return m_exportCancel; }
    bool showsEmptyState() const; // "No changes match" instead of the table
    QString statusText() const;   // the info bar's message, empty when hidden
    QString countText() const;

Q_SIGNALS:
    // A row's link: the window opens the page that shows what the row changed.
    void openModelVersion(const QString &deployment, const QString &version);
    void openAlert(const QString &deployment, qint64 alertId);
    void openDashboardMoment(const QString &deployment, const QDateTime &at);
    void exportFinished(bool ok);

protected:
    // New rows are polled only while the page is shown (the other pages do not need them).
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    QWidget *buildChanges(QWidget *parent);
    void connectTo(const ConnectionProfile &profile);
    void onChoices(const Result<AuditChoices> &choices);
    void onExportFinished(const Result<qint64> &rows);
    void updateState();
    void readSucceeded();
    void updateExportButtons();
    void showSelected();
    void openLink(const AuditLink &link);

    ConnectionSession &m_session;
    AuditService *m_service = nullptr;
    AuditTableModel *m_model = nullptr;
    InfoBar *m_info = nullptr;
    QTabWidget *m_tabs = nullptr;
    AuditFilterBar *m_filters = nullptr;
    QStackedWidget *m_stack = nullptr; // the table, or the empty state
    QTableView *m_view = nullptr;
    EmptyStateView *m_empty = nullptr;
    AuditDetail *m_detail = nullptr;
    QLabel *m_count = nullptr;
    QWidget *m_exportRow = nullptr;
    QProgressBar *m_exportProgress = nullptr;
    QPushButton *m_exportCancel = nullptr;
    ServedTimelineView *m_timeline = nullptr;
    PathAsker m_askPath;
    bool m_connected = false;
    bool m_readFailed = false;         // the info bar shows a read's failure
    bool m_waitingForSelected = false; // the selected row's page is on its way
    QPushButton *m_exportCsv = nullptr;
    QPushButton *m_exportJson = nullptr;
};

} // namespace mldeck::ui
