#pragma once

#include "core/audit/ServedTimeline.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableWidget;

namespace mldeck {
class AuditService;
template <typename T> class Result;
} // namespace mldeck

namespace mldeck::ui {

class RangeSelector;
class TimeSeriesChart;

// "What served when": for one deployment over a range, the ML traffic share as a step chart (a marker
// at each change, its tooltip saying who and why) and the table of steps: from, to, champion, ML %,
// the change that began the step, who made it and why. Read from the audit log (AuditQuery::timeline),
// the same source as the dashboard's markers and `mldeckctl audit timeline`.
class ServedTimelineView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServedTimelineView)

public:
    enum Column
    {
        From,
        To,
        Champion,
        MlPercent,
        Change,
        Who,
        Why,
        ColumnCount
    };

    ServedTimelineView(AuditService &service, QWidget *parent = nullptr);

    void setDeployments(const QStringList &names);
    void reload();

    QComboBox *deploymentBox() const { return m_deployment; }
    RangeSelector *rangeSelector() const { return m_range; }
    TimeSeriesChart *chart() const { return m_chart; }
    QTableWidget *table() const { return m_table; }
    const ServedTimeline &timeline() const { return m_timeline; }
    QString statusText() const;

Q_SIGNALS:
    void timelineShown();

private:
    void showTimeline(const Result<ServedTimeline> &timeline);
    void clear(); // no steps, no series, no markers

    AuditService &m_service;
    QComboBox *m_deployment = nullptr;
    RangeSelector *m_range = nullptr;
    TimeSeriesChart *m_chart = nullptr;
    QTableWidget *m_table = nullptr;
    QLabel *m_status = nullptr;
    ServedTimeline m_timeline;
};

} // namespace mldeck::ui
