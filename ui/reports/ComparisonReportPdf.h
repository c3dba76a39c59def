#pragma once

#include "core/domain/Result.h"
#include "core/stats/ComparisonReport.h"

#include <QImage>
#include <QList>

namespace mldeck::ui {

// Writes a model comparison (verdicts, metrics, differences, segments, notes) as an A4 PDF on the
// house's report layout (ReportLayout.h), atomically. Blocking: call it from a worker thread in the GUI.
Status writeComparisonReportPdf(const stats::ComparisonReport &report, const QString &path);

// The same pages drawn on images at `dpi`.
QList<QImage> renderComparisonReportImages(const stats::ComparisonReport &report, double dpi = 96);

} // namespace mldeck::ui
