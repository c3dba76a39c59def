#include "ui/reports/ReportChart.h"

#include "ui/Theme.h"

#include <QFontMetricsF>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include <cmath>
#include <limits>

namespace mldeck::ui {

namespace {

QFont sizedFont(const QPainter &painter, double points, bool bold = false)
{
    QFont f = painter.font();
    // Point sizes follow the device's resolution (300 dpi PDF, 96 dpi preview).
    f.setPointSizeF(points);
    f.setBold(bold);
    return f;
}

double niceStep(double span, int ticks)
{
    const double raw = span / ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (raw <= m * mag)
            return m * mag;
    return 10 * mag;
}

QString axisNumber(double v, double step)
{
    const int decimals = step >= 1 ? 0 : std::min(4, int(std::ceil(-std::log10(step))));
    return QLocale().toString(v, 'f', decimals);
}

} // namespace

void drawReportChart(QPainter &painter, const QRectF &rect, const ReportChartSpec &spec, double unit)
{
    painter.save();
    const QColor ink = themeColor(Palette::Ink), grid = themeColor(Palette::Rule), muted = themeColor(Palette::Muted);

    // Title and legend on the first line.
    painter.setFont(sizedFont(painter, 9, true));
    painter.setPen(ink);
    const QFontMetricsF titleMetrics(painter.font(), painter.device());
    const double titleH = titleMetrics.height();
    painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), titleH), Qt::AlignLeft | Qt::AlignVCenter,
                     spec.title);

    painter.setFont(sizedFont(painter, 7));
    const QFontMetricsF fm(painter.font(), painter.device());
    struct LegendItem
    {
        QString label;
        QColor color;
        Qt::PenStyle style;
    };
    QList<LegendItem> legend;
    for (const auto &l : spec.lines)
        legend.append({l.label, l.color, Qt::SolidLine});
    if (spec.target)
        legend.append({spec.targetLabel, themeColor(Palette::Bad), Qt::DashLine});
    double lx = rect.right();
    for (auto it = legend.crbegin(); it != legend.crend(); ++it) {
        const double w = fm.horizontalAdvance(it->label);
        lx -= w;
        painter.setPen(muted);
        painter.drawText(QRectF(lx, rect.top(), w + unit, titleH), Qt::AlignLeft | Qt::AlignVCenter, it->label);
        lx -= 14 * unit;
        painter.setPen(QPen(it->color, 1.5 * unit, it->style));
        painter.drawLine(QPointF(lx, rect.top() + titleH / 2), QPointF(lx + 10 * unit, rect.top() + titleH / 2));
        lx -= 8 * unit;
    }

    // Plot area: room for y labels on the left and time labels below.
    const QRectF plot(rect.left() + 36 * unit, rect.top() + titleH + 4 * unit, rect.width() - 40 * unit,
                      rect.height() - titleH - 4 * unit - fm.height() - 4 * unit);
    painter.setPen(QPen(grid, 0.5 * unit));
    painter.drawRect(plot);

    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto &l : spec.lines)
        for (const QPointF &p : l.points)
            if (std::isfinite(p.y())) {
                lo = std::min(lo, p.y());
                hi = std::max(hi, p.y());
            }
    const bool empty = !std::isfinite(lo);
    if (spec.target) {
        lo = std::min(empty ? *spec.target : lo, *spec.target);
        hi = std::max(empty ? *spec.target : hi, *spec.target);
    }
    if (!std::isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    if (spec.yMinFloor && lo >= *spec.yMinFloor)
        lo = *spec.yMinFloor;
    if (hi - lo < 1e-12) {
        const double pad = std::abs(hi) > 0 ? std::abs(hi) * 0.1 : 1;
        lo -= pad;
        hi += pad;
        if (spec.yMinFloor)
            lo = std::max(lo, *spec.yMinFloor);
    }
    const double step = niceStep(hi - lo, 4);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;
    const double x0 = double(spec.fromSecs), x1 = double(std::max(spec.toSecs, spec.fromSecs + 1));
    auto mapX = [&](double x) { return plot.left() + (x - x0) / (x1 - x0) * plot.width(); };
    auto mapY = [&](double y) { return plot.bottom() - (y - lo) / (hi - lo) * plot.height(); };

    // Horizontal grid and y labels.
    for (double y = lo; y <= hi + step / 2; y += step) {
        const double py = mapY(y);
        painter.setPen(QPen(grid, 0.5 * unit));
        painter.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py));
        painter.setPen(muted);
        painter.drawText(QRectF(rect.left(), py - fm.height() / 2, 33 * unit, fm.height()),
                         Qt::AlignRight | Qt::AlignVCenter, axisNumber(y, step));
    }

    // Time ticks aligned to whole hours or days (UTC).
    const qint64 span = spec.toSecs - spec.fromSecs;
    qint64 tick = 3600;
    for (qint64 s : {3600LL, 3 * 3600LL, 6 * 3600LL, 12 * 3600LL, 86400LL, 2 * 86400LL, 7 * 86400LL})
        if (span / s <= 8) {
            tick = s;
            break;
        }
    const QString format = tick < 86400 ? QStringLiteral("HH:mm") : QStringLiteral("dd MMM");
    for (qint64 t = (spec.fromSecs / tick + 1) * tick; t < spec.toSecs; t += tick) {
        const double px = mapX(double(t));
        painter.setPen(QPen(grid, 0.5 * unit));
        painter.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
        painter.setPen(muted);
        const QString label = QLocale().toString(QDateTime::fromSecsSinceEpoch(t, Qt::UTC), format);
        painter.drawText(QRectF(px - 30 * unit, plot.bottom() + 2 * unit, 60 * unit, fm.height()), Qt::AlignCenter,
                         label);
    }

    // Audit markers: a dashed tick over the plot, a small triangle on top.
    painter.setClipRect(plot.adjusted(-4 * unit, -4 * unit, 4 * unit, 0));
    for (const auto &m : spec.markers) {
        if (m.atSecs < spec.fromSecs || m.atSecs >= spec.toSecs)
            continue;
        const double px = mapX(double(m.atSecs));
        painter.setPen(QPen(muted, 0.75 * unit, Qt::DashLine));
        painter.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
        QPainterPath tri;
        tri.moveTo(px - 2.5 * unit, plot.top());
        tri.lineTo(px + 2.5 * unit, plot.top());
        tri.lineTo(px, plot.top() + 4 * unit);
        tri.closeSubpath();
        painter.fillPath(tri, muted);
    }
    painter.setClipRect(plot);

    if (spec.target) {
        painter.setPen(QPen(themeColor(Palette::Bad), 1 * unit, Qt::DashLine));
        const double py = mapY(*spec.target);
        painter.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py));
    }

    painter.setRenderHint(QPainter::Antialiasing, true);
    for (const auto &l : spec.lines) {
        QPainterPath path;
        bool open = false;
        QList<QPointF> lonely; // a point with no neighbour draws as a dot
        for (qsizetype i = 0; i < l.points.size(); ++i) {
            const QPointF &p = l.points.at(i);
            if (!std::isfinite(p.y())) {
                open = false;
                continue;
            }
            const QPointF q(mapX(p.x()), mapY(p.y()));
            if (open) {
                path.lineTo(q);
            } else {
                path.moveTo(q);
                const bool nextFinite = i + 1 < l.points.size() && std::isfinite(l.points.at(i + 1).y());
                if (!nextFinite)
                    lonely.append(q);
            }
            open = true;
        }
        painter.setPen(QPen(l.color, 1.2 * unit, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(path);
        painter.setPen(Qt::NoPen);
        painter.setBrush(l.color);
        for (const QPointF &q : lonely)
            painter.drawEllipse(q, 1.5 * unit, 1.5 * unit);
    }
    painter.setClipping(false);

    if (empty && !spec.emptyText.isEmpty()) {
        painter.setPen(muted);
        painter.setFont(sizedFont(painter, 8));
        // On a paper-coloured patch, so that a target line through the middle does not strike it out.
        const QRectF text = painter.boundingRect(plot, Qt::AlignCenter, spec.emptyText);
        painter.fillRect(text.adjusted(-text.height() / 2, 0, text.height() / 2, 0), themeColor(Palette::Base));
        painter.drawText(plot, Qt::AlignCenter, spec.emptyText);
    }
    painter.restore();
}

} // namespace mldeck::ui
