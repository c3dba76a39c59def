#include "ui/charts/ReliabilityDiagram.h"

#include "core/domain/Figure.h"
#include "ui/Theme.h"
#include "ui/charts/XYChart.h"

#include <QLabel>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {
const QString kDiagonal = QStringLiteral("diagonal");
}

ReliabilityDiagram::ReliabilityDiagram(QWidget *parent)
    : QWidget(parent), m_chart(new XYChart(XYChart::XAxis::Value, this)), m_caption(new QLabel(this))
{
    m_chart->setXRange(0, 1, 6);
    m_chart->setYRange(0, 1);
    m_chart->setXLabelFormat(QStringLiteral("%.1f"));
    m_chart->setYLabelFormat(QStringLiteral("%.2f"));
    m_chart->setAxisTitles(tr("Predicted probability"), tr("Observed share"));
    m_chart->setMinimumHeight(240);
    m_caption->setObjectName(QStringLiteral("reliabilityCaption"));
    m_caption->setWordWrap(true);
    m_caption->setAlignment(Qt::AlignHCenter);
    m_caption->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_chart, 1);
    layout->addWidget(m_caption);
    clear();
}

void ReliabilityDiagram::setTitle(const QString &title)
{
    m_chart->setTitle(title);
}

QString ReliabilityDiagram::title() const
{
    return m_chart->title();
}

void ReliabilityDiagram::setAxisTitles(const QString &x, const QString &y)
{
    m_chart->setAxisTitles(x, y);
}

void ReliabilityDiagram::setCurve(const QString &name, const QList<Point> &points, const QColor &color)
{
    QList<QPointF> xy;
    xy.reserve(points.size());
    for (const Point &p : points)
        xy.append({p.meanScore, p.observed});
    m_chart->setSeries(name, xy, color, XYChart::Style::LineWithPoints);
    if (!m_curves.contains(name))
        m_curves.append(name);
}

void ReliabilityDiagram::clear()
{
    m_chart->clear();
    m_curves.clear();
    // The diagonal: where a calibrated model's points lie.
    m_chart->setSeries(tr("Perfectly calibrated"), QList<QPointF>{{0, 0}, {1, 1}}, themeColor(Palette::Faint),
                       XYChart::Style::Dashed, 1.5);
    setCaption({});
}

int ReliabilityDiagram::pointCount(const QString &name) const
{
    return m_curves.contains(name) ? m_chart->pointCount(name) : 0;
}

void ReliabilityDiagram::setCaption(const QString &caption)
{
    m_caption->setText(caption.isEmpty() ? noDataText() : caption);
}

QString ReliabilityDiagram::caption() const
{
    return m_caption->text();
}

} // namespace mldeck::ui
