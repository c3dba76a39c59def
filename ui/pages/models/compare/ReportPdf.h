#pragma once

#include "core/domain/Result.h"
#include "core/stats/ComparisonReport.h"

namespace mldeck::ui {

// Writes the report (verdict, metrics, differences, segments) as an A4 PDF with QPdfWriter, atomically.
// Blocking (text layout + file I/O): call it from a worker thread, not the UI thread.
Status writeReportPdf(const stats::ComparisonReport &report, const QString &path);

// The same content as HTML (what the PDF renders).
QString reportHtml(const stats::ComparisonReport &report);

} // namespace mldeck::ui
