#pragma once

#include "core/services/KpiSnapshot.h"
#include "core/services/ReadSource.h"

#include <QHash>
#include <QWidget>

#include <functional>
#include <optional>

class QComboBox;
class QGridLayout;
class QLabel;
class QPushButton;
class QTableView;
class QTimer;
class QToolButton;

namespace mldeck {
class KpiService;
struct ConnectionProfile;
} // namespace mldeck

namespace mldeck::ui {

class ClassificationCharts;
class ClassificationDetail;
class ConnectionSession;
class DashboardCharts;
class DependencyStrip;
class KpiBreakdownModel;
class KpiTileWidget;
class NannyQualityPanel;
class PageFrame;
class RangeSelector;
class ReadSourceLine;
class ReportExporter;

// The KPI dashboard: a deployment over a range (last 15 min ... 30 d, or custom), refreshed every few
// seconds (KpiService reads only the aggregate rows written since the last read). Tiles with targets and
// trend, five charts with audit markers, a table by path and by model version, and how good the nanny
// model's estimated MAE has been (estimated vs realised per hour). A classification
// deployment gets its own tiles and charts (accuracy, F1, ... estimated accuracy), a confusion matrix and
// a reliability diagram by path and by version. States are explicit:
// loading, no data for the range, database unreachable (the last figures stay, greyed and dated, never
// shown as live).
class DashboardPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DashboardPage)

public:
    enum class State
    {
        Idle,
        Loading,
        Live,
        Stale, // figures read from a standby further behind than the profile allows: shown, never as live
        NoData,
        Unreachable,
        NoDeployment
    };
    static constexpr int kDefaultRefreshMs = 5000;

    explicit DashboardPage(ConnectionSession &session, QWidget *parent = nullptr);
    ~DashboardPage() override;

    State state() const { return m_state; }
    QString stateText() const;
    KpiTileWidget *tile(const QString &key) const { return m_tiles.value(key); }
    RangeSelector *rangeSelector() const { return m_range; }
    DashboardCharts *charts() const { return m_charts; }
    ClassificationCharts *classificationCharts() const { return m_classCharts; }
    ClassificationDetail *classificationDetail() const { return m_classDetail; }
    QString tilesTask() const { return m_tilesTask; } // the task whose tiles are shown
    KpiBreakdownModel *breakdownModel() const { return m_breakdown; }
    NannyQualityPanel *nannyQuality() const { return m_nannyQuality; }
    QComboBox *deploymentBox() const { return m_deployment; }
    QComboBox *autoRefreshBox() const { return m_autoRefresh; }
    QPushButton *refreshButton() const { return m_refresh; }
    const std::optional<KpiQuery> &currentQuery() const { return m_query; }
    const std::optional<KpiSnapshot> &lastSnapshot() const { return m_last; }
    int snapshotsShown() const { return m_shown; }
    QToolButton *reportButton() const { return m_report; }
    DependencyStrip *dependencyStrip() const { return m_dependencies; }
    QString reportStatus() const;
    // Where the figures are read and the replica's lag or fallback notice; "" without a read replica.
    QString readSourceText() const;
    // Retention: says that raw rows are gone for the part of the range before its horizon; hidden otherwise.
    QLabel *retentionNotice() const { return m_retention; }

    // Asks where to write a report (a save dialog by default; tests put an answer in its place).
    using PathAsker = std::function<QString(QWidget *parent, const QString &suggested, const QString &filter)>;
    void setReportPathAsker(PathAsker asker) { m_askPath = std::move(asker); }
    void exportReport(const QString &period, const QString &format);

Q_SIGNALS:
    void snapshotShown();

public Q_SLOTS:
    void reload();  // the selection changed: a fresh load()
    void refresh(); // the Refresh button: what changed since the last read
    // The deployment an hour either side of a moment (the Audit page's link to a change).
    void showMoment(const QString &deployment, const QDateTime &at);

private:
    void buildBar(PageFrame &frame);
    QToolButton *buildReportButton(QWidget &bar);
    QWidget *buildBody();
    void connectService();
    void connectTo(const mldeck::ConnectionProfile &profile);
    void showSnapshot(const KpiSnapshot &snapshot);
    void showFailure(const QString &error);
    void showTask(const QString &task); // that task's tiles, charts and views
    void setState(State state, const QString &text);

    ConnectionSession &m_session;
    PageFrame *m_frame = nullptr;
    KpiService *m_service = nullptr;
    QComboBox *m_deployment = nullptr;
    RangeSelector *m_range = nullptr;
    QComboBox *m_autoRefresh = nullptr;
    QPushButton *m_refresh = nullptr;
    QToolButton *m_report = nullptr;
    QLabel *m_reportStatus = nullptr;
    ReportExporter *m_exporter = nullptr;
    PathAsker m_askPath;
    QLabel *m_status = nullptr;
    ReadSourceLine *m_readSource = nullptr;    // read replica: standby and lag, or the fallback notice
    QLabel *m_retention = nullptr;             // raw rows gone for part of the range (retention)
    DependencyStrip *m_dependencies = nullptr; // the backend's own dependencies for the deployment shown
    QTimer *m_retry = nullptr; // a failed first load is tried again (the service retries only refreshes)
    QHash<QString, KpiTileWidget *> m_tiles;
    QGridLayout *m_tileGrid = nullptr;
    QString m_tilesTask;
    DashboardCharts *m_charts = nullptr;
    ClassificationCharts *m_classCharts = nullptr;
    ClassificationDetail *m_classDetail = nullptr;
    KpiBreakdownModel *m_breakdown = nullptr;
    QTableView *m_table = nullptr;
    NannyQualityPanel *m_nannyQuality = nullptr; // a regression's: how good the estimated MAE has been
    bool m_qualityBusy = false;                  // a quality read is on its way (never two at once)
    QString m_qualityAskedFor; // deployment and range, to the minute, of the last read asked: live refreshes within
                               // the same minute have nothing newer to show
    State m_state = State::Idle;
    std::optional<KpiQuery> m_query;
    QString m_wantedDeployment; // a moment's deployment asked for before the list had it
    std::optional<KpiSnapshot> m_last;
    int m_shown = 0;
    bool m_connected = false;
};

} // namespace mldeck::ui
