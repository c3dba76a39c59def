#pragma once

#include <QColor>
#include <QString>

namespace mldeck::ui {

// The colours of the charts, one place: ML blue, heuristic orange, fallback purple (as on the other pages),
// targets red, stretch targets green, audit markers grey. ui/Theme has no palette constants for charts.
struct ChartColors
{
    static QColor ml() { return QColor(0x2f, 0x6f, 0xb3); }
    static QColor heuristic() { return QColor(0xe6, 0x7e, 0x22); }
    static QColor fallback() { return QColor(0x8e, 0x44, 0xad); }
    static QColor all() { return QColor(0x34, 0x49, 0x5e); }
    static QColor target() { return QColor(0xc0, 0x39, 0x2b); }
    static QColor stretch() { return QColor(0x27, 0xae, 0x60); }
    static QColor marker() { return QColor(0x6b, 0x72, 0x80); }
    static QColor good() { return QColor(0x1e, 0x8e, 0x3e); }
    static QColor bad() { return QColor(0xc0, 0x39, 0x2b); }
    static QColor neutral() { return QColor(0x5b, 0x66, 0x75); }
    // A path name ("ml", "heuristic", "fallback", "all") to its colour.
    static QColor forPath(const QString &path)
    {
        if (path == QLatin1String("ml"))
            return ml();
        if (path == QLatin1String("heuristic"))
            return heuristic();
        if (path == QLatin1String("fallback"))
            return fallback();
        return all();
    }
};

} // namespace mldeck::ui
