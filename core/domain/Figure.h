#pragma once

// A figure that has nothing to be computed from (no feedback, no outcomes, an empty window, no
// predictions) is absent: the domain carries it as std::optional<double>, --json writes null and
// people read "no data". It is never shown as 0, 1 or 100 %. These helpers are the one way to do so.
#include <QJsonValue>
#include <QString>

#include <functional>
#include <optional>

namespace mldeck {

// part / whole, or nothing when the whole is empty (a ratio over nothing has no value).
std::optional<double> ratioOf(double part, double whole);

// "no data", translated: what people read where a figure is absent.
QString noDataText();

// The figure formatted by `format`, or "no data" when it is absent or not finite.
QString figureText(const std::optional<double> &value, const std::function<QString(double)> &format);

// The figure for JSON: a number, or null when it is absent or not finite.
QJsonValue figureJson(const std::optional<double> &value);
// The figure a JSON value holds: absent unless it is a finite number (null and a missing key are absent).
std::optional<double> figureOf(const QJsonValue &value);

} // namespace mldeck
