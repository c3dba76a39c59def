#pragma once

#include "core/domain/Result.h"
#include "core/services/NannyQuality.h"

#include <QWidget>

#include <functional>
#include <optional>

class QLabel;
class QPushButton;
class QTableWidget;

namespace mldeck::ui {

// How good the nanny model's estimate has been: per hour of the range that got outcomes, the estimated
// and the realised ML MAE side by side, their mean absolute difference and correlation, and an export of
// the hours as CSV. Shown under a regression deployment's dashboard.
class NannyQualityPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NannyQualityPanel)

public:
    explicit NannyQualityPanel(QWidget *parent = nullptr);

    void showQuality(const Result<NannyQuality> &quality);
    void clear();

    QTableWidget *table() const { return m_table; }
    int qualitiesShown() const { return m_shown; } // showQuality calls so far (tests wait on it)
    QString summaryText() const;
    QPushButton *exportButton() const { return m_export; }
    QString exportStatus() const; // "Wrote FILE." or why not; empty before an export

    // Asks where to write the CSV (a save dialog by default; tests put an answer in its place).
    using PathAsker = std::function<QString(QWidget *parent, const QString &suggested)>;
    void setPathAsker(PathAsker asker) { m_askPath = std::move(asker); }
    void exportCsv();

private:
    QLabel *m_summary = nullptr;
    QLabel *m_exportStatus = nullptr;
    QTableWidget *m_table = nullptr;
    QPushButton *m_export = nullptr;
    PathAsker m_askPath;
    std::optional<NannyQuality> m_quality;
    int m_shown = 0;
};

} // namespace mldeck::ui
