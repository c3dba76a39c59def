#pragma once

#include "core/services/KpiReport.h"
#include "ui/reports/ReportLayout.h"

#include <QCoreApplication>

namespace mldeck::ui {

// What the KPI report prints, on the house's report layout: title and summary per path against the
// targets, the versions, the charts, then the alerts and changes tables.
class KpiReportPages final
{
    Q_DECLARE_TR_FUNCTIONS(KpiReportPdf)

public:
    KpiReportPages(const KpiReportData &data, ReportLayout &layout);
    Q_DISABLE_COPY_MOVE(KpiReportPages)

    // Paints every page; false when a page could not be started.
    bool paint();
    // The text at the foot of every page.
    static QString footer(const KpiReportData &data);

private:
    void title();
    void summaryTable();
    void versionsTable();
    bool charts();

    const KpiReportData &m_data;
    ReportLayout &m_layout;
};

} // namespace mldeck::ui
