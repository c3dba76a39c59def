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

// A tile from its spec: the overall figure, its verdict against the target and its trend.
TileState tileOf(const Spec &spec, const KpiSnapshot &s)
{
    TileState tile;
    tile.key = spec.key;
    tile.title = spec.title;
    tile.raw = spec.get(s.overall);
    if (s.previous.predictions > 0) // an empty previous period has no trend to compare with
        tile.previous = spec.get(s.previous);
    if (spec.targetText)
        tile.detail = spec.targetText(s.targets);
    if (!tile.raw || !std::isfinite(*tile.raw)) {
        tile.raw.reset();
        tile.value = noDataText();
        tile.verdict = TileState::Verdict::NoData;
        return tile;
    }
    tile.value = spec.format(*tile.raw);
    const auto ok = spec.meets ? spec.meets(*tile.raw, s.targets) : std::nullopt;
    tile.verdict = !ok ? TileState::Verdict::Neutral : (*ok ? TileState::Verdict::Good : TileState::Verdict::Bad);
    if (tile.previous && std::isfinite(*tile.previous)) {
        const double delta = *tile.raw - *tile.previous;
        const double scale = std::max(std::abs(*tile.previous), 1e-9);
        if (std::abs(delta) <= kFlatShare * scale) {
            tile.trend = TileState::Trend::Flat;
            tile.trendText = KpiTiles::tr("→ as in the previous period");
        } else {
            tile.trend = delta > 0 ? TileState::Trend::Up : TileState::Trend::Down;
            tile.trendIsGood = (delta > 0) == spec.higherIsBetter;
            tile.trendText =
                KpiTiles::tr("%1 %2 vs previous period")
                    .arg(delta > 0 ? QStringLiteral("▲") : QStringLiteral("▼"), spec.format(std::abs(delta)));
        }
    } else {
        tile.trendText = KpiTiles::tr("no previous period");
    }
    return tile;
}

QString latencyDetail(const KpiSnapshot &s)
{
    const auto &o = s.overall;
    const double target = s.targets.latencyMaxMs;
    if (o.latencyP50Ms && o.latencyP99Ms)
        return KpiTiles::tr("p50 %1 · p99 %2 · target < %3")
            .arg(KpiTiles::formatMs(*o.latencyP50Ms), KpiTiles::formatMs(*o.latencyP99Ms), KpiTiles::formatMs(target));
    return KpiTiles::tr("target < %1").arg(KpiTiles::formatMs(target));
}

// "ML x · heuristic y" and a new line, or nothing when neither path has the figure.
QString pathSplit(const KpiSnapshot &s, const Spec &spec)
{
    const auto a = spec.get(s.byPath.value(QStringLiteral("ml")));
    const auto b = spec.get(s.byPath.value(QStringLiteral("heuristic")));
    if (!a && !b)
        return {};
    return KpiTiles::tr("ML %1 · heuristic %2").arg(figureText(a, spec.format), figureText(b, spec.format)) +
           QLatin1Char('\n');
}

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
    return {QStringLiteral("mae"),           QStringLiteral("estimatedMae"), QStringLiteral("r2"),
            QStringLiteral("latency"),       QStringLiteral("errorRate"),    QStringLiteral("throughput"),
            QStringLiteral("fallbackShare"), QStringLiteral("improvement"),  QStringLiteral("anticipated"),
            QStringLiteral("satisfaction"),  QStringLiteral("uptime")};
}

QStringList KpiTiles::keysFor(const QString &task)
{
    if (task != QLatin1String("classification"))
        return keys();
    return {QStringLiteral("accuracy"),          QStringLiteral("f1"),         QStringLiteral("rocAuc"),
            QStringLiteral("logLoss"),           QStringLiteral("ece"),        QStringLiteral("accuracyGain"),
            QStringLiteral("estimatedAccuracy"), QStringLiteral("confidence"), QStringLiteral("positiveRate"),
            QStringLiteral("labelCoverage"),     QStringLiteral("latency"),    QStringLiteral("errorRate")};
}

int KpiTiles::columnsFor(const QString &)
{
    return 4; // a regression's 11 tiles and a classifier's 12 both on three rows
}

QList<TileState> KpiTiles::compute(const KpiSnapshot &s)
{
    return s.isClassification() ? computeClassification(s) : computeRegression(s);
}

QList<TileState> KpiTiles::computeRegression(const KpiSnapshot &s)
{
    auto pct = [](double v) { return QLocale().toString(v * 100.0, 'f', 1); };
    const QList<Spec> specs = {
        {QStringLiteral("mae"), tr("MAE"), [](const Figures &f) { return f.mae; }, formatMinutes, false,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.maeMax); },
         [](const KpiTargets &t) {
             return tr("target < %1 · stretch %2")
                 .arg(QLocale().toString(t.maeMax, 'f', 2), QLocale().toString(t.stretchMae, 'f', 2));
         }},
        {QStringLiteral("estimatedMae"), tr("Estimated MAE"), [](const Figures &f) { return f.estimatedMae; },
         formatMinutes, false, [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.maeMax); },
         nullptr},
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
        TileState tile = tileOf(spec, s);
        // The small print of some tiles: the other quantiles, the per-path split.
        if (spec.key == QLatin1String("latency")) {
            tile.detail = latencyDetail(s);
        } else if (spec.key == QLatin1String("mae") || spec.key == QLatin1String("r2")) {
            tile.detail = pathSplit(s, spec) + tile.detail;
        } else if (spec.key == QLatin1String("throughput")) {
            const int count = int(std::min<qint64>(s.overall.predictions, INT_MAX));
            tile.detail = tr("%n predictions", nullptr, count);
        } else if (spec.key == QLatin1String("estimatedMae")) {
            const int scored = int(std::min<qint64>(s.overall.scored, INT_MAX));
            tile.detail = tile.raw ? tr("before outcomes, %n ML predictions scored", nullptr, scored)
                                   : tr("no nanny model has scored this range");
            tile.tooltip = tr("The MAE the deployment's nanny model expects from the ML predictions it scored, "
                              "outcomes or not: read it next to the realised MAE while outcomes are late.");
        }
        out.append(tile);
    }
    return out;
}

namespace {

using Class = stats::ClassificationFigures;

// A classification figure of a KpiFigures (empty on a regression deployment's figures).
Getter classFigure(std::function<std::optional<double>(const Class &)> get)
{
    return
        [get = std::move(get)](const Figures &f) { return f.classification ? get(*f.classification) : std::nullopt; };
}

} // namespace

QString KpiTiles::formatPoints(double v)
{
    return tr("%1 pts").arg(QLocale().toString(v, 'f', 1));
}

QList<TileState> KpiTiles::computeClassification(const KpiSnapshot &s)
{
    const bool binary = s.classSpec.isBinary();
    const QString positive = binary ? s.classSpec.classes.at(1) : QString();
    const auto share = [](double v) { return QLocale().toString(v * 100.0, 'f', 1); };
    const auto ratio = [](double v) { return QLocale().toString(v, 'f', 3); };
    const QList<Spec> specs = {
        {QStringLiteral("accuracy"), tr("Accuracy"), classFigure([](const Class &c) { return c.accuracy; }),
         formatShare, true, [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.accuracyMin); },
         [share](const KpiTargets &t) {
             return tr("target ≥ %1 % · stretch %2 %").arg(share(t.accuracyMin), share(t.stretchAccuracy));
         }},
        {QStringLiteral("f1"), binary ? tr("F1 (%1)").arg(positive) : tr("F1 (macro)"),
         classFigure([binary](const Class &c) { return binary ? c.f1Positive : c.macroF1; }), formatRatio, true,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.f1Min); },
         [ratio](const KpiTargets &t) { return tr("target ≥ %1").arg(ratio(t.f1Min)); }},
        {QStringLiteral("rocAuc"), tr("ROC AUC"), classFigure([](const Class &c) { return c.rocAuc; }), formatRatio,
         true, [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.rocAucMin); },
         [ratio](const KpiTargets &t) { return tr("target ≥ %1").arg(ratio(t.rocAucMin)); }},
        {QStringLiteral("logLoss"), tr("Log-loss"), classFigure([](const Class &c) { return c.logLoss; }), formatRatio,
         false, [](double v, const KpiTargets &t) { return std::optional<bool>(v <= t.logLossMax); },
         [ratio](const KpiTargets &t) { return tr("target ≤ %1").arg(ratio(t.logLossMax)); }},
        {QStringLiteral("ece"), tr("Calibration error (ECE)"), classFigure([](const Class &c) { return c.ece; }),
         formatShare, false, [](double v, const KpiTargets &t) { return std::optional<bool>(v <= t.eceMax); },
         [share](const KpiTargets &t) { return tr("target ≤ %1 %").arg(share(t.eceMax)); }},
        {QStringLiteral("accuracyGain"), tr("ML vs heuristic"), [](const Figures &f) { return f.accuracyGainPoints; },
         formatPoints, true, [](double v, const KpiTargets &) { return std::optional<bool>(v > 0); },
         [](const KpiTargets &) { return tr("accuracy points over the heuristic"); }},
        {QStringLiteral("estimatedAccuracy"), tr("Estimated accuracy"),
         classFigure([](const Class &c) { return c.estimatedAccuracy; }), formatShare, true,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v >= t.accuracyMin); }, nullptr},
        {QStringLiteral("confidence"), tr("Mean confidence"),
         classFigure([](const Class &c) { return c.meanConfidence; }), formatShare, true, nullptr,
         [](const KpiTargets &) { return tr("probability of the class served"); }},
        {QStringLiteral("positiveRate"), tr("Positive rate"),
         classFigure([](const Class &c) { return c.positiveRate; }), formatShare, true, nullptr,
         [binary, positive](const KpiTargets &) {
             return binary ? tr("served as \"%1\"").arg(positive) : tr("binary deployments only");
         }},
        {QStringLiteral("labelCoverage"), tr("Label coverage"),
         classFigure([](const Class &c) { return c.labelCoverage; }), formatShare, true, nullptr, nullptr},
        {QStringLiteral("latency"), tr("Latency p95"), [](const Figures &f) { return f.latencyP95Ms; }, formatMs, false,
         [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.latencyMaxMs); }, nullptr},
        {QStringLiteral("errorRate"), tr("Error rate"), [](const Figures &f) { return f.failureRate; }, formatShare,
         false, [](double v, const KpiTargets &t) { return std::optional<bool>(v < t.errorRateMax); },
         [share](const KpiTargets &t) { return tr("target < %1 %").arg(share(t.errorRateMax)); }},
    };

    const std::optional<Class> &c = s.overall.classification;
    QList<TileState> out;
    out.reserve(specs.size());
    for (const Spec &spec : specs) {
        TileState tile = tileOf(spec, s);
        if (spec.key == QLatin1String("latency")) {
            tile.detail = latencyDetail(s);
        } else if (spec.key == QLatin1String("accuracy") || spec.key == QLatin1String("f1")) {
            tile.detail = pathSplit(s, spec) + tile.detail;
        } else if (spec.key == QLatin1String("rocAuc") && c && c->rocAucBound) {
            tile.detail =
                tr("± %1 (histogram bound) · ").arg(QLocale().toString(*c->rocAucBound, 'f', 3)) + tile.detail;
        } else if (spec.key == QLatin1String("labelCoverage")) {
            const int labelled = int(std::min<qint64>(c ? c->labelled : 0, INT_MAX));
            tile.detail = tr("%n labelled predictions", nullptr, labelled);
        } else if (spec.key == QLatin1String("estimatedAccuracy")) {
            // Not trusted (calibration off, too few rows): shown, never green or red.
            const QString why = c ? c->estimateUntrusted : QString();
            if (!why.isEmpty() && tile.raw) {
                tile.verdict = TileState::Verdict::Neutral;
                tile.detail = tr("not trusted (the tooltip says why)");
                tile.tooltip = tr("Not trusted: %1").arg(why);
            } else {
                const QString method = s.calibration.method == QLatin1String("isotonic") ? tr("isotonic calibration")
                                       : s.calibration.method == QLatin1String("binning")
                                           ? tr("binned calibration")
                                           : tr("the model's own probabilities");
                tile.detail = tr("before labels, from %1").arg(method);
            }
        }
        out.append(tile);
    }
    return out;
}

} // namespace mldeck::ui
