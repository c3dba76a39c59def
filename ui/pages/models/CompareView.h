#pragma once

#include "core/services/CompareService.h"
#include "core/services/JobThread.h"

#include <QWidget>

#include <array>
#include <functional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace mldeck::ui {

class ConnectionSession;
class MisclassifiedImages;
class ReportCharts;

// Offline evaluation of one model or comparison of 2-4 on exactly the same rows (hosted as a tab of the
// Models page): models (files or registry references), rows (a CSV file, a labelled image folder for
// image models, or a window of the prediction log),
// Run/Cancel with progress, metrics, differences with 95 % CIs, a verdict, segments, plots, export.
class CompareView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareView)

public:
    explicit CompareView(ConnectionSession &session, QWidget *parent = nullptr);

    // Where "Export CSV/PDF" write; the default asks with a file dialog (tests inject a path).
    using PathChooser = std::function<QString(const QString &title, const QString &filter)>;
    void setExportPathChooser(PathChooser chooser) { m_choosePath = std::move(chooser); }

    CompareService &service() { return *m_service; }
    const stats::ComparisonReport &report() const { return m_report; }

Q_SIGNALS:
    void comparisonFinished(const QString &state); // "done", "failed" or "cancelled"

private:
    void run();
    void browseModel(int index);
    void browseData();
    void browseImages();
    void onProgress(int percent, const QString &stage);
    void onFinished(const Result<stats::ComparisonReport> &outcome);
    void showReport();
    void exportCsv();
    void exportPdf();
    void setRunning(bool running);

    ConnectionSession &m_session;
    CompareService *m_service = nullptr;
    std::array<QLineEdit *, 4> m_models{};
    QRadioButton *m_useCsv = nullptr;
    QRadioButton *m_useWindow = nullptr;
    QRadioButton *m_useImages = nullptr;
    QLineEdit *m_csv = nullptr;
    QLineEdit *m_images = nullptr;
    QSpinBox *m_windowHours = nullptr;
    QLineEdit *m_deployment = nullptr;
    QLineEdit *m_target = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_exportCsv = nullptr;
    QPushButton *m_exportPdf = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_verdict = nullptr;
    QTableWidget *m_metrics = nullptr;
    QTableWidget *m_deltas = nullptr;
    QTableWidget *m_segments = nullptr;
    ReportCharts *m_charts = nullptr;
    QTabWidget *m_tabs = nullptr;
    MisclassifiedImages *m_misclassified = nullptr; // image models: the wrong ones as a grid
    stats::ComparisonReport m_report;
    PathChooser m_choosePath;
    JobThread m_exportJobs; // PDF layout and file writes stay off the UI thread
};

} // namespace mldeck::ui
