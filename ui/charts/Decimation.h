#pragma once

#include <QList>
#include <QPointF>

#include <span>

namespace mldeck::ui {

// Reduces a curve to what a pixel grid can show (the PlotJuggler / "min-max" decimation): the x range
// [xMin, xMax] is cut into `columns` equal columns and each column keeps only its lowest and its highest
// point, in x order, so every peak and dip stays visible while a million raw points cost what a few
// thousand do. The first and last points of the input are always kept (the curve starts and ends where
// the data does). Output: at most 2 * columns + 2 points, x-ordered, each one a point of the input.
// Input must be ordered by x; points outside [xMin, xMax] fall into the first/last column. When the input
// already has no more than 2 * columns points it is returned unchanged.
QList<QPointF> decimateMinMax(std::span<const QPointF> points, double xMin, double xMax, int columns);

// Same, over the input's own x range.
QList<QPointF> decimateMinMax(std::span<const QPointF> points, int columns);

} // namespace mldeck::ui
