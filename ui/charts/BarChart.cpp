#include "ui/charts/BarChart.h"

#include "ui/charts/ChartStyle.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QLegend>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>

namespace mldeck::ui {

BarChart::BarChart(QWidget *parent) : QWidget(parent)
{
    m_view = charts_detail::newChartView(this, 200);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    m_categories = new QBarCategoryAxis;
    m_values = new QValueAxis;
    charts_detail::styleAxis(m_categories);
    charts_detail::styleAxis(m_values);
    m_view->chart()->addAxis(m_categories, Qt::AlignBottom);
    m_view->chart()->addAxis(m_values, Qt::AlignLeft);
    clear();
}

BarChart::~BarChart() = default;

void BarChart::setTitle(const QString &title)
{
    m_view->chart()->setTitle(title);
}
QString BarChart::title() const
{
    return m_view->chart()->title();
}

void BarChart::setAxisTitles(const QString &categories, const QString &values)
{
    m_categories->setTitleText(categories);
    m_values->setTitleText(values);
}

void BarChart::setCategoryLabelStyle(int angle, double fontScale)
{
    m_categories->setLabelsAngle(angle);
    QFont font = this->font();
    font.setPointSizeF(font.pointSizeF() * fontScale);
    m_categories->setLabelsFont(font);
}

void BarChart::setValueLabelFormat(const QString &format)
{
    m_values->setLabelFormat(format);
}
void BarChart::setBarWidth(double share)
{
    m_barWidth = share;
}
void BarChart::setLegendVisible(bool visible)
{
    m_view->chart()->legend()->setVisible(visible);
}

void BarChart::setBars(const QStringList &categories, const QList<Set> &sets, double headroom, double minimumTop,
                       bool nice)
{
    clear();
    auto *series = new QBarSeries;
    series->setBarWidth(m_barWidth);
    double top = 0;
    for (const Set &s : sets) {
        auto *set = new QBarSet(s.name);
        set->setColor(s.color);
        set->setBorderColor(s.color);
        set->append(s.values);
        for (double v : s.values)
            top = std::max(top, v);
        series->append(set);
    }
    m_view->chart()->addSeries(series);
    m_categories->append(categories);
    series->attachAxis(m_categories);
    series->attachAxis(m_values);
    m_values->setRange(0, std::max(minimumTop, top * (1 + headroom)));
    if (nice)
        m_values->applyNiceNumbers();
    m_categories->setVisible(true);
    m_values->setVisible(true);
    m_sets = int(sets.size());
}

void BarChart::clear()
{
    m_view->chart()->removeAllSeries();
    m_categories->clear();
    m_values->setRange(0, 1);
    // No bars, no axes: an empty chart is its title (as an empty XYChart).
    m_categories->setVisible(false);
    m_values->setVisible(false);
    m_sets = 0;
}

} // namespace mldeck::ui
