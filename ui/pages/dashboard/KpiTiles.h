#pragma once

#include "core/services/KpiSnapshot.h"

#include <QCoreApplication>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck::ui {

// What one KPI tile shows, computed from a snapshot: pure, so the figures a tile shows can be tested
// without a window. The keys are stable (the tiles' object names are "tile_<key>").
struct TileState
{
    enum class Verdict
    {
        Neutral,
        Good,
        Bad,
        NoData
    };
    enum class Trend
    {
        None,
        Up,
        Down,
        Flat
    };

    QString key; // KpiTiles::keysFor(task): mae, r2, latency, errorRate, ... or accuracy, f1, rocAuc, ...
    QString title;
    QString value;                  // formatted, or "no data"
    QString detail;                 // the small line under the value (p50/p99, per-path MAE, the target, ...)
    QString trendText;              // e.g. "▼ 0.12 vs previous period"
    QString tooltip;                // the longer story, when the small print cannot hold it
    std::optional<double> raw;      // the figure shown (in its own unit: minutes, ms, 0..1 share, ...)
    std::optional<double> previous; // the same figure over the previous period
    Trend trend = Trend::None;
    bool trendIsGood = true;
    Verdict verdict = Verdict::NoData;
};

class KpiTiles final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::KpiTiles)

public:
    static QStringList keys(); // a regression deployment's tiles
    // The tiles of a task ("classification": accuracy, F1, ROC AUC, ...; anything else: keys()) and how
    // many go on a row.
    static QStringList keysFor(const QString &task);
    static int columnsFor(const QString &task);
    // The tiles of the snapshot's task.
    static QList<TileState> compute(const KpiSnapshot &snapshot);
    static QList<TileState> computeRegression(const KpiSnapshot &snapshot);
    static QList<TileState> computeClassification(const KpiSnapshot &snapshot);
    // Formats a figure as its tile does (the test compares tiles against raw rows with these).
    static QString formatMinutes(double v);
    static QString formatMs(double v);
    static QString formatShare(double v); // 0..1 -> "12.3 %"
    static QString formatRatio(double v); // R²
    static QString formatRate(double perSecond);
    static QString formatPoints(double v); // accuracy points, "2.5 pts"
};

} // namespace mldeck::ui
