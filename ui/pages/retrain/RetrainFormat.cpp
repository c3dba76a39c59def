#include "ui/pages/retrain/RetrainFormat.h"

#include "core/domain/Figure.h"

#include <QCoreApplication>
#include <QJsonValue>
#include <QLabel>
#include <QStringList>

#include <cmath>

namespace mldeck::ui::retrainfmt {

namespace {

// The first value under any of keys, searched depth-first: the run JSON nests the training
// parameters and the figures, and this page only needs to find them, not to know the nesting.
QJsonValue find(const QJsonObject &o, const QStringList &keys)
{
    for (const QString &k : keys)
        if (o.contains(k) && !o.value(k).isObject())
            return o.value(k);
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it->isObject()) {
            const QJsonValue v = find(it->toObject(), keys);
            if (!v.isUndefined())
                return v;
        }
    return QJsonValue(QJsonValue::Undefined);
}

std::optional<double> numberAt(const QJsonObject &o, const QStringList &keys)
{
    const QJsonValue v = find(o, keys);
    if (v.isDouble() && std::isfinite(v.toDouble()))
        return v.toDouble();
    return std::nullopt;
}

} // namespace

HoldoutMetrics holdoutMetrics(const QJsonObject &metrics, const QString &which)
{
    HoldoutMetrics m;
    QJsonObject scope = metrics.value(which).toObject();
    if (scope.isEmpty()) {
        // Flat layout: candidate_mae, champion_rmse, ...
        const QString p = which + QLatin1Char('_');
        m.mae = numberAt(metrics, {p + QStringLiteral("mae")});
        m.rmse = numberAt(metrics, {p + QStringLiteral("rmse")});
        m.r2 = numberAt(metrics, {p + QStringLiteral("r2")});
        return m;
    }
    m.mae = numberAt(scope, {QStringLiteral("mae")});
    m.rmse = numberAt(scope, {QStringLiteral("rmse")});
    m.r2 = numberAt(scope, {QStringLiteral("r2"), QStringLiteral("R2")});
    m.accuracy = numberAt(scope, {QStringLiteral("accuracy")});
    m.logLoss = numberAt(scope, {QStringLiteral("log_loss")});
    m.brier = numberAt(scope, {QStringLiteral("brier")});
    return m;
}

std::optional<double> HoldoutMetrics::of(const QString &metric) const
{
    if (metric == QLatin1String("accuracy"))
        return accuracy;
    if (metric == QLatin1String("log_loss"))
        return logLoss;
    return mae;
}

QString decisionMetric(const QJsonObject &metrics)
{
    const QString key =
        metrics.value(QStringLiteral("decision_rule")).toObject().value(QStringLiteral("metric")).toString();
    return key.isEmpty() ? QStringLiteral("mae") : key;
}

bool isClassifierRun(const QJsonObject &metrics)
{
    return metrics.contains(QStringLiteral("classes")) || decisionMetric(metrics) != QLatin1String("mae");
}

QString metricName(const QString &metric)
{
    if (metric == QLatin1String("accuracy"))
        return Text::tr("accuracy");
    if (metric == QLatin1String("log_loss"))
        return Text::tr("log-loss");
    return QStringLiteral("MAE");
}

QString metricValue(const QString &metric, std::optional<double> value)
{
    if (metric == QLatin1String("accuracy"))
        // -> QString: the sum is a QStringBuilder referring to a temporary otherwise.
        return figureText(value,
                          [](double x) -> QString { return QString::number(100 * x, 'f', 1) + QStringLiteral(" %"); });
    return number(value);
}

QString paramsSummary(const QJsonObject &params)
{
    QStringList parts;
    if (auto d = numberAt(params, {QStringLiteral("days_back"), QStringLiteral("daysBack")}))
        parts << Text::tr("%1 d").arg(int(*d));
    if (auto e = numberAt(params, {QStringLiteral("epochs")})) {
        const int n = int(*e);
        parts << Text::tr("%n epochs", nullptr, n);
    }
    if (auto lr = numberAt(params, {QStringLiteral("learning_rate"), QStringLiteral("learningRate")}))
        parts << Text::tr("lr %1").arg(*lr, 0, 'g', 3);
    if (auto b = numberAt(params, {QStringLiteral("batch_size"), QStringLiteral("batchSize")}))
        parts << Text::tr("batch %1").arg(int(*b));
    const QJsonValue base = find(params, {QStringLiteral("start_from_base"), QStringLiteral("startFromBase")});
    if (base.isBool())
        parts << (base.toBool() ? Text::tr("from champion") : Text::tr("re-initialised"));
    return parts.isEmpty() ? QStringLiteral("–") : parts.join(QStringLiteral(" · "));
}

QString duration(std::optional<double> seconds)
{
    if (!seconds || !(*seconds >= 0) || !std::isfinite(*seconds))
        return noDataText();
    const qint64 s = qint64(std::llround(*seconds));
    if (s < 60)
        return Text::tr("%1 s").arg(s);
    if (s < 3600)
        return Text::tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return Text::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString stateText(const QString &state)
{
    if (state == QLatin1String("queued"))
        return Text::tr("queued");
    if (state == QLatin1String("running"))
        return Text::tr("running");
    if (state == QLatin1String("succeeded"))
        return Text::tr("succeeded");
    if (state == QLatin1String("failed"))
        return Text::tr("failed");
    if (state == QLatin1String("cancelled"))
        return Text::tr("cancelled");
    return state;
}

QString decisionText(const QString &decision)
{
    if (decision == QLatin1String("promoted"))
        return Text::tr("promoted");
    if (decision == QLatin1String("challenger"))
        return Text::tr("kept as challenger");
    if (decision == QLatin1String("rejected"))
        return Text::tr("discarded");
    if (decision.isEmpty() || decision == QLatin1String("none"))
        return QStringLiteral("–");
    return decision;
}

QString number(std::optional<double> v, int digits)
{
    return figureText(v, [digits](double x) { return QString::number(x, 'f', digits); });
}

QLabel *resultLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont f = label->font();
    f.setPointSizeF(f.pointSizeF() * 1.2);
    f.setBold(true);
    label->setFont(f);
    return label;
}

} // namespace mldeck::ui::retrainfmt
