#include "ui/pages/dashboard/KpiTiles.h"

#include "core/domain/Figure.h"

#include <QLocale>

#include <climits>
#include <cmath>
#include <functional>

namespace mldeck::ui {

namespace {

using Figures = stats::KpiFigures;
using Getter = std::function<std::optional<double>(const Figures &)>;

// A change smaller than this share of the previous value reads as "flat" (noise, not a trend).
constexpr double kFlatShare = 0.005;

struct Spec
{
    QString key;
    QString title;
    Getter get;
    std::function<QString(double)> format;
    bool higherIsBetter = true;
    // Target check: nullopt when the deployment guide names no target for this figure.
    std::function<std::optional<bool>(double, const KpiTargets &)> meets;
    std::function<QString(const KpiTargets &)> targetText;
};

} // namespace

QString KpiTiles::formatMinutes(double v)
{
    return tr("%1 min").arg(QLocale().toString(v, 'f', 2));
}
QString KpiTiles::formatMs(double v)
{
    return v >= 1000 ? tr("%1 s").arg(QLocale().toString(v / 1000.0, 'f', 2))
                     : tr("%1 ms").arg(QLocale().toString(v, 'f', v < 10 ? 1 : 0));
}
QString KpiTiles::formatShare(double v)
{
    return tr("%1 %").arg(QLocale().toString(v * 100.0, 'f', 1));
}
QString KpiTiles::formatRatio(double v)
{
    return QLocale().toString(v, 'f', 3);
}
QString KpiTiles::formatRate(double perSecond)
{
    if (perSecond >= 1)
        return tr("%1 /s").arg(QLocale().toString(perSecond, 'f', perSecond < 100 ? 1 : 0));
    return tr("%1 /min").arg(QLocale().toString(perSecond * 60.0, 'f', 1));
}

QStringList KpiTiles::keys()
{
    return {QStringLiteral("mae"),         QStringLiteral("r2"),          QStringLiteral("latency"),
            QStringLiteral("errorRate"),   QStringLiteral("throughput"),  QStringLiteral("fallbackShare"),
            QStringLiteral("improvement"), QStringLiteral("anticipated"), QStringLiteral("satisfaction"),
            QStringLiteral("uptime")};
}

QList<TileState> KpiTiles::compute(const KpiSnapshot &s)
{
    const KpiTargets &targets = s.targets;
    auto pct = [](double v) { return QLocale().toString(v * 100.0, 'f', 1); };
    const QList<Spec> specs = {
        {QStringLiteral("mae"), tr("MAE"), [](const Figures &f) { return f.mae; }, formatMinutes, false,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.maeMax); },
         [](const KpiTargets &t) {
             return tr("target < %1 · stretch %2")
                 .arg(QLocale().toString(t.maeMax, 'f', 2), QLocale().toString(t.stretchMae, 'f', 2));
         }},
        {QStringLiteral("r2"), tr("R²"), [](const Figures &f) { return f.r2; }, formatRatio, true,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v > t.r2Min); },
         [](const KpiTargets &t) {
             return tr("target > %1 · stretch %2")
                 .arg(QLocale().toString(t.r2Min, 'f', 2), QLocale().toString(t.stretchR2, 'f', 2));
         }},
        {QStringLiteral("latency"), tr("Latency p95"), [](const Figures &f) { return f.latencyP95Ms; }, formatMs, false,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.latencyMaxMs); }, nullptr},
        {QStringLiteral("errorRate"), tr("Error rate"), [](const Figures &f) { return f.failureRate; }, formatShare,
         false, [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.errorRateMax); },
         [pct](const KpiTargets &t) { return tr("target < %1 %").arg(pct(t.errorRateMax)); }},
        {QStringLiteral("throughput"), tr("Throughput"), [](const Figures &f) { return f.throughputPerSecond; },
         formatRate, true, nullptr, nullptr},
        {QStringLiteral("fallbackShare"), tr("Fallback share"), [](const Figures &f) { return f.fallbackShare; },
         formatShare, false, nullptr, [](const KpiTargets &) { return tr("of ML-routed requests"); }},
        {QStringLiteral("improvement"), tr("ML vs heuristic"), [](const Figures &f) { return f.improvementPercent; },
         [](double v) { return tr("%1 %").arg(QLocale().toString(v, 'f', 1)); }, true,
         [](double v, const KpiTargets &) { return std::optional<bool>(v > 0); },
         [](const KpiTargets &) { return tr("MAE improvement over the heuristic"); }},
        {QStringLiteral("anticipated"), tr("Delays anticipated"), [](const Figures &f) { return f.anticipatedShare; },
         formatShare, true, nullptr,
         [](const KpiTargets &t) {
             const int x = t.anticipationMinutes;
             return tr("delays ≥ %n min predicted ≥ %n min", nullptr, x);
         }},
        {QStringLiteral("satisfaction"), tr("Satisfaction"), [](const Figures &f) { return f.satisfaction; },
         formatShare, true, nullptr, [](const KpiTargets &) { return tr("positive feedback"); }},
        {QStringLiteral("uptime"), tr("ML uptime"), [](const Figures &f) { return f.mlUptime; },
         [](double v) { return tr("%1 %").arg(QLocale().toString(v * 100.0, 'f', 2)); }, true,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.uptimeMin); },
         [](const KpiTargets &t) { return tr("target > %1 %").arg(QLocale().toString(t.uptimeMin * 100.0, 'f', 1)); }},
    };

    QList<TileState> out;
    out.reserve(specs.size());
    for (const Spec &spec : specs) {
        TileState tile;
        tile.key = spec.key;
        tile.title = spec.title;
        tile.raw = spec.get(s.overall);
        if (s.previous.predictions > 0) // an empty previous period has no trend to compare with
            tile.previous = spec.get(s.previous);
        if (spec.targetText)
            tile.detail = spec.targetText(targets);
        if (!tile.raw || !std::isfinite(*tile.raw)) {
            tile.raw.reset();
            tile.value = noDataText();
            tile.verdict = TileState::Verdict::NoData;
        } else {
            tile.value = spec.format(*tile.raw);
            const auto ok = spec.meets ? spec.meets(*tile.raw, targets) : std::nullopt;
            tile.verdict =
                !ok ? TileState::Verdict::Neutral : (*ok ? TileState::Verdict::Good : TileState::Verdict::Bad);
            if (tile.previous && std::isfinite(*tile.previous)) {
                const double delta = *tile.raw - *tile.previous;
                const double scale = std::max(std::abs(*tile.previous), 1e-9);
                if (std::abs(delta) <= kFlatShare * scale) {
                    tile.trend = TileState::Trend::Flat;
                    tile.trendText = tr("→ as in the previous period");
                } else {
                    tile.trend = delta > 0 ? TileState::Trend::Up : TileState::Trend::Down;
                    tile.trendIsGood = (delta > 0) == spec.higherIsBetter;
                    tile.trendText =
                        tr("%1 %2 vs previous period")
                            .arg(delta > 0 ? QStringLiteral("▲") : QStringLiteral("▼"), spec.format(std::abs(delta)));
                }
            } else {
                tile.trendText = tr("no previous period");
            }
        }
        // The small print of some tiles: the other quantiles, the per-path split.
        if (spec.key == QLatin1String("latency")) {
            const auto &o = s.overall;
            if (o.latencyP50Ms && o.latencyP99Ms)
                tile.detail =
                    tr("p50 %1 · p99 %2 · target < %3")
                        .arg(formatMs(*o.latencyP50Ms), formatMs(*o.latencyP99Ms), formatMs(targets.latencyMaxMs));
            else
                tile.detail = tr("target < %1").arg(formatMs(targets.latencyMaxMs));
        } else if (spec.key == QLatin1String("mae") || spec.key == QLatin1String("r2")) {
            const auto ml = s.byPath.value(QStringLiteral("ml"));
            const auto heur = s.byPath.value(QStringLiteral("heuristic"));
            const auto a = spec.get(ml), b = spec.get(heur);
            if (a || b)
                tile.detail = tr("ML %1 · heuristic %2").arg(figureText(a, spec.format), figureText(b, spec.format)) +
                              QLatin1Char('\n') + tile.detail;
        } else if (spec.key == QLatin1String("throughput")) {
            const int count = int(std::min<qint64>(s.overall.predictions, INT_MAX));
            tile.detail = tr("%n predictions", nullptr, count);
        }
        out.append(tile);
    }
    return out;
}

} // namespace mldeck::ui
