#include "ui/reports/KpiReportFormat.h"

#include <QLocale>

#include <cmath>
#include <limits>

namespace mldeck::ui::kpireport {

QString formatValue(double v, Format f)
{
    const QLocale l;
    switch (f) {
    case Format::Count:
        return l.toString(qint64(std::llround(v)));
    case Format::Share:
        return l.toString(v * 100, 'f', 1) + QStringLiteral(" %");
    case Format::Percent:
        return l.toString(v, 'f', 1) + QStringLiteral(" %");
    case Format::Millis:
        return l.toString(v, 'f', 1);
    case Format::Decimal3:
        return l.toString(v, 'f', 3);
    case Format::PerSecond:
        return l.toString(v, 'g', 3); // a quiet day is well under 1 per second
    case Format::Points:
        return (v > 0 ? QStringLiteral("+") : QString()) + l.toString(v, 'f', 1);
    }
    return {};
}

QString utc(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
}

QVector<QPointF> seriesPoints(const KpiSnapshot &s, const QString &path, const FigureOf &value, double scale)
{
    QVector<QPointF> points;
    for (const KpiPoint &p : s.seriesByPath.value(path)) {
        const auto v = p.figures.predictions > 0 ? value(p.figures) : std::nullopt;
        points.append(
            QPointF(double(p.startSecs) + p.seconds / 2.0, v ? *v * scale : std::numeric_limits<double>::quiet_NaN()));
    }
    return points;
}

ReportChartSpec chartSpec(const KpiReportData &data, const QString &title, const QString &emptyText)
{
    ReportChartSpec c;
    c.title = title;
    c.fromSecs = data.from.toSecsSinceEpoch();
    c.toSecs = data.to.toSecsSinceEpoch();
    for (const AuditMarker &m : data.snapshot.markers)
        c.markers.append({m.at.toSecsSinceEpoch(), m.summary});
    c.emptyText = emptyText;
    c.yMinFloor = 0;
    return c;
}

} // namespace mldeck::ui::kpireport
