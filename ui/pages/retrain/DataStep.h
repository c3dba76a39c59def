#pragma once

#include "core/services/retrain/RetrainRunner.h"

#include <QWidget>

#include <optional>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace mldeck::ui {

class BarChart;
class FormGrid;

// Step 2, "Data": the window (days back), the time-based holdout share, whether feedback weighs in;
// "Summarize" shows rows, train/validation/holdout sizes, the dates, the target distribution and the
// values missing per feature. A summary belongs to the settings it was made with: editing them clears it.
class DataStep final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DataStep)

public:
    explicit DataStep(QWidget *parent = nullptr);

    // Fills the data fields of request (deployment and training are the caller's).
    void fill(retrain::RetrainRequest &request) const;
    void reset();
    void showBusy();
    void showSummary(const retrain::DataSummary &summary);
    void showError(const QString &error);
    bool hasSummary() const { return m_summary.has_value(); }
    const std::optional<retrain::DataSummary> &summary() const { return m_summary; }

Q_SIGNALS:
    void summarizeRequested();
    void changed();

private:
    void clearSummary();

    QSpinBox *m_daysBack = nullptr;
    QDoubleSpinBox *m_holdout = nullptr;
    QCheckBox *m_feedback = nullptr;
    FormGrid *m_form = nullptr; // an image deployment hides the holdout share and feedback weighting
    QPushButton *m_summarize = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_rows = nullptr;
    QLabel *m_split = nullptr;
    QLabel *m_dates = nullptr;
    QLabel *m_target = nullptr;
    BarChart *m_histogram = nullptr;
    QTableWidget *m_missing = nullptr;
    std::optional<retrain::DataSummary> m_summary;
};

} // namespace mldeck::ui
