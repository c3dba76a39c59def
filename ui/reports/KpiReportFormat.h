#pragma once

#include "core/services/KpiReport.h"
#include "ui/reports/ReportChart.h"

#include <functional>
#include <optional>

namespace mldeck::ui::kpireport {

// How a figure prints in the KPI report.
enum class Format
{
    Count,
    Share,
    Percent,
    Millis,
    Decimal3,
    PerSecond,
    Points
};

QString formatValue(double v, Format f);
QString utc(const QDateTime &t); // "yyyy-MM-dd HH:mm", empty when invalid

using FigureOf = std::function<std::optional<double>(const stats::KpiFigures &)>;

// A chart line: the figure of each display bucket of `path` ("all", "ml", ...), times `scale`; NaN
// (a gap) where the bucket has no prediction or the figure has no value.
QVector<QPointF> seriesPoints(const KpiSnapshot &s, const QString &path, const FigureOf &value, double scale = 1);

// A chart over the report's period with its change markers, floored at 0.
ReportChartSpec chartSpec(const KpiReportData &data, const QString &title, const QString &emptyText);

} // namespace mldeck::ui::kpireport
