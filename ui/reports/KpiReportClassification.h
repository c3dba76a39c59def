#pragma once

#include "core/services/KpiReport.h"
#include "ui/reports/ReportLayout.h"

#include <QCoreApplication>

namespace mldeck::ui {

// The KPI report's pages for a classification deployment, in place of the regression summary,
// versions and charts: the summary per path against the targets, the classes, the confusion matrix
// and the reliability of the period, the versions, then accuracy (ML vs heuristic, realised vs estimated),
// calibration, confidence and positive rate, latency and errors over time.
class KpiReportClassification final
{
    Q_DECLARE_TR_FUNCTIONS(KpiReportPdf)

public:
    KpiReportClassification(const KpiReportData &data, ReportLayout &layout);
    Q_DISABLE_COPY_MOVE(KpiReportClassification)

    bool tables(); // summary, classes, confusion matrix, reliability, versions
    bool charts();

private:
    bool summaryTable();
    bool classesTable();
    bool confusionTable();
    bool reliabilityTable();
    bool versionsTable();

    const KpiReportData &m_data;
    ReportLayout &m_layout;
};

} // namespace mldeck::ui
