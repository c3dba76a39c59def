#include "ui/reports/KpiReportPdf.h"

#include "ui/reports/KpiReportPages.h"

namespace mldeck::ui {

Status writeKpiReportPdf(const KpiReportData &data, const QString &path)
{
    return writeReportPdf(path, KpiReportPages::tr("KPI report: %1").arg(data.deployment), KpiReportPages::footer(data),
                          [&data](ReportLayout &layout) { return KpiReportPages(data, layout).paint(); });
}

QList<QImage> renderKpiReportImages(const KpiReportData &data, double dpi)
{
    return renderReportImages(dpi, KpiReportPages::footer(data),
                              [&data](ReportLayout &layout) { return KpiReportPages(data, layout).paint(); });
}

} // namespace mldeck::ui
