#include "ui/charts/ChartStyle.h"

#include "ui/Theme.h"

#include <QAbstractAxis>
#include <QChart>
#include <QLegend>

namespace mldeck::ui::charts_detail {

QChartView *newChartView(QWidget *parent, int minimumHeight)
{
    auto *chart = new QChart;
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(6);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->legend()->setLabelColor(themeColor(Palette::InkSoft));
    QFont titleFont = parent ? parent->font() : QFont();
    titleFont.setBold(true);
    chart->setTitleFont(titleFont);
    chart->setTitleBrush(themeColor(Palette::Ink));
    auto *view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(minimumHeight);
    return view;
}

void styleAxis(QAbstractAxis *axis)
{
    axis->setGridLineColor(themeColor(Palette::Rule));
    axis->setLinePenColor(themeColor(Palette::Border));
    axis->setLabelsColor(themeColor(Palette::Muted));
    axis->setTitleBrush(themeColor(Palette::InkSoft));
}

void clearChart(QChart *chart)
{
    chart->removeAllSeries();
    const auto axes = chart->axes();
    for (QAbstractAxis *a : axes) {
        chart->removeAxis(a);
        delete a;
    }
}

} // namespace mldeck::ui::charts_detail
