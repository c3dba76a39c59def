#pragma once

#include "core/domain/Result.h"
#include "core/services/KpiReport.h"

#include <QImage>
#include <QList>
#include <QString>

namespace mldeck::ui {

// Writes the KPI report as an A4 PDF drawn with QPdfWriter + QPainter (no external tool). The file
// is written next to `path` and renamed into place only when complete: an error leaves no half
// file (and an existing file at `path` untouched). Needs a QGuiApplication (fonts).
Status writeKpiReportPdf(const KpiReportData &data, const QString &path);

// The same pages drawn on images at `dpi` (a preview, and what the tests look at).
QList<QImage> renderKpiReportImages(const KpiReportData &data, double dpi = 96);

} // namespace mldeck::ui
