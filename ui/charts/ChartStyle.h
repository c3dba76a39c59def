#pragma once

#include <QChartView>

class QAbstractAxis;
class QChart;
class QWidget;

namespace mldeck::ui::charts_detail {

// The house look of every chart, shared by the chart kinds of ui/charts (not for use outside it):
// a light background, a bold title, the legend at the bottom, palette grid and labels.
QChartView *newChartView(QWidget *parent, int minimumHeight);
void styleAxis(QAbstractAxis *axis);
// Removes every series and axis (a chart about to be drawn again).
void clearChart(QChart *chart);

} // namespace mldeck::ui::charts_detail
