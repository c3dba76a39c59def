#include "core/domain/AlertRule.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

#include <cmath>

namespace mldeck {

namespace {

constexpr int kMinWindow = 60;
constexpr int kMaxSeconds = 86'400;

const QRegularExpression &idPattern()
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9][a-z0-9_.-]{0,63}$"));
    return re;
}

} // namespace

bool AlertRule::breaches(double value) const
{
    return std::isfinite(value) && hysteresis().breaches(value);
}

Hysteresis AlertRule::hysteresis() const
{
    Hysteresis h;
    if (metric == Metric::NoData) // value = predictions in the window
        h.breach = Hysteresis::Breach::AtOrBelow;
    else
        h.breach = comparison == Comparison::Above ? Hysteresis::Breach::Above : Hysteresis::Breach::Below;
    h.fireThreshold = threshold;
    h.resolveThreshold = resolveThreshold;
    h.keepFiringSeconds = keepFiringSeconds;
    h.gap = Hysteresis::Gap::Restart; // a stretch without figures is not time seen past the resolve threshold
    return h;
}

QString AlertRule::formatValue(double value) const
{
    switch (metric) {
    case Metric::FailureRate:
        return QStringLiteral("%1 %").arg(value * 100, 0, 'f', 1);
    case Metric::LatencyP95Ms:
        return QStringLiteral("%1 ms").arg(value, 0, 'f', 0);
    case Metric::Mae:
    case Metric::EstimatedMae:
        return QStringLiteral("%1 min").arg(value, 0, 'f', 2);
    case Metric::R2:
        return QString::number(value, 'f', 3);
    case Metric::NoData:
        return DomainText::tr("%1 predictions").arg(value, 0, 'f', 0);
    case Metric::DependencyFallback:
        return DomainText::tr("%1 min").arg(value, 0, 'f', value == std::floor(value) ? 0 : 1);
    case Metric::Accuracy:
    case Metric::F1:
    case Metric::EstimatedAccuracy:
        return QStringLiteral("%1 %").arg(value * 100, 0, 'f', 1);
    case Metric::LogLoss:
    case Metric::Ece:
        return QString::number(value, 'f', 3);
    }
    return QString::number(value);
}

QString AlertRule::describe() const
{
    const QString forText = pendingSeconds > 0 ? DomainText::tr(" for %1 s").arg(pendingSeconds) : QString();
    if (metric == Metric::NoData)
        return DomainText::tr("no predictions in %1 s%2").arg(windowSeconds).arg(forText) + resolveText();
    if (metric == Metric::DependencyFallback)
        return DomainText::tr("a backend dependency in fallback for more than %1%2")
                   .arg(formatValue(threshold), forText) +
               resolveText();
    QString name;
    switch (metric) {
    case Metric::FailureRate:
        name = DomainText::tr("failure rate");
        break;
    case Metric::LatencyP95Ms:
        name = DomainText::tr("ML latency p95");
        break;
    case Metric::Mae:
        name = DomainText::tr("ML MAE");
        break;
    case Metric::R2:
        name = DomainText::tr("ML R²");
        break;
    case Metric::Accuracy:
        name = DomainText::tr("ML accuracy");
        break;
    case Metric::F1:
        name = DomainText::tr("ML F1");
        break;
    case Metric::LogLoss:
        name = DomainText::tr("ML log-loss");
        break;
    case Metric::Ece:
        name = DomainText::tr("ML calibration error (ECE)");
        break;
    case Metric::EstimatedAccuracy:
        name = DomainText::tr("ML estimated accuracy");
        break;
    case Metric::EstimatedMae:
        name = DomainText::tr("ML estimated MAE");
        break;
    case Metric::NoData:
    case Metric::DependencyFallback:
        break;
    }
    return DomainText::tr("%1 %2 %3 over %4 s%5")
               .arg(name, comparisonName(comparison), formatValue(threshold))
               .arg(windowSeconds)
               .arg(forText) +
           resolveText();
}

QString AlertRule::resolveText() const
{
    if (!resolveThreshold && keepFiringSeconds == 0)
        return {};
    if (keepFiringSeconds == 0)
        return DomainText::tr("; resolves at %1").arg(resolveCondition());
    return DomainText::tr("; resolves at %1 for %2 s").arg(resolveCondition()).arg(keepFiringSeconds);
}

QString AlertRule::resolveCondition() const
{
    // The resolving side of the comparison: the value no longer breaches the resolve threshold.
    const QString side = metric == Metric::NoData          ? QStringLiteral(">")
                         : comparison == Comparison::Above ? QStringLiteral("≤")
                                                           : QStringLiteral("≥");
    return side + QLatin1Char(' ') + formatValue(resolveThreshold.value_or(threshold));
}

QString AlertRule::metricName(Metric m)
{
    switch (m) {
    case Metric::FailureRate:
        return QStringLiteral("failure_rate");
    case Metric::LatencyP95Ms:
        return QStringLiteral("latency_p95_ms");
    case Metric::Mae:
        return QStringLiteral("mae");
    case Metric::R2:
        return QStringLiteral("r2");
    case Metric::NoData:
        return QStringLiteral("no_data");
    case Metric::DependencyFallback:
        return QStringLiteral("dependency_fallback");
    case Metric::Accuracy:
        return QStringLiteral("accuracy");
    case Metric::F1:
        return QStringLiteral("f1");
    case Metric::LogLoss:
        return QStringLiteral("log_loss");
    case Metric::Ece:
        return QStringLiteral("ece");
    case Metric::EstimatedAccuracy:
        return QStringLiteral("estimated_accuracy");
    case Metric::EstimatedMae:
        return QStringLiteral("estimated_mae");
    }
    return {};
}

bool AlertRule::isClassificationMetric(Metric m)
{
    return m == Metric::Accuracy || m == Metric::F1 || m == Metric::LogLoss || m == Metric::Ece ||
           m == Metric::EstimatedAccuracy;
}

QList<AlertRule::Metric> AlertRule::metricsFor(bool classifier)
{
    if (classifier)
        return {Metric::FailureRate,       Metric::LatencyP95Ms, Metric::Accuracy,          Metric::F1,
                Metric::LogLoss,           Metric::Ece,          Metric::EstimatedAccuracy, Metric::NoData,
                Metric::DependencyFallback};
    return {Metric::FailureRate, Metric::LatencyP95Ms,      Metric::Mae, Metric::R2, Metric::EstimatedMae,
            Metric::NoData,      Metric::DependencyFallback};
}

Status AlertRule::checkTask(bool classifier) const
{
    if (metricsFor(classifier).contains(metric))
        return {};
    return Error{classifier ? DomainText::tr("Rule %1: %2 is a regression metric; this deployment is a classifier.")
                                  .arg(id, metricName(metric))
                            : DomainText::tr("Rule %1: %2 is a classification metric; this deployment is not a "
                                             "classifier.")
                                  .arg(id, metricName(metric))};
}

std::optional<AlertRule::Metric> AlertRule::metricFromName(const QString &name)
{
    for (Metric m : {Metric::FailureRate, Metric::LatencyP95Ms, Metric::Mae, Metric::R2, Metric::NoData,
                     Metric::DependencyFallback, Metric::Accuracy, Metric::F1, Metric::LogLoss, Metric::Ece,
                     Metric::EstimatedAccuracy, Metric::EstimatedMae})
        if (metricName(m) == name)
            return m;
    return std::nullopt;
}

QString AlertRule::comparisonName(Comparison c)
{
    return c == Comparison::Above ? QStringLiteral(">") : QStringLiteral("<");
}

std::optional<AlertRule::Comparison> AlertRule::comparisonFromName(const QString &name)
{
    if (name == QLatin1String(">") || name == QLatin1String("above"))
        return Comparison::Above;
    if (name == QLatin1String("<") || name == QLatin1String("below"))
        return Comparison::Below;
    return std::nullopt;
}

AlertRule AlertRule::defaultFor(Metric metric)
{
    AlertRule r;
    r.id = metricName(metric);
    r.metric = metric;
    switch (metric) {
    case Metric::FailureRate:
        r.threshold = 0.20;
        r.severity = QStringLiteral("critical");
        break;
    case Metric::LatencyP95Ms:
        r.threshold = 2000;
        break;
    case Metric::Mae:
    case Metric::EstimatedMae:
        r.threshold = 2.5;
        break;
    case Metric::R2:
        r.threshold = 0.68;
        r.comparison = Comparison::Below;
        break;
    case Metric::NoData:
        // "No data for 5 min": the window is the 5 minutes; firing needs no further wait.
        r.threshold = 0;
        r.comparison = Comparison::Below;
        r.pendingSeconds = 0;
        r.severity = QStringLiteral("critical");
        break;
    case Metric::DependencyFallback:
        // Minutes since the fallback began: the threshold already is the "for how long".
        r.threshold = 10;
        r.pendingSeconds = 0;
        break;
    case Metric::Accuracy:
    case Metric::EstimatedAccuracy:
        r.threshold = 0.90; // the default accuracy target of a classifier
        r.comparison = Comparison::Below;
        break;
    case Metric::F1:
        r.threshold = 0.80;
        r.comparison = Comparison::Below;
        break;
    case Metric::LogLoss:
        r.threshold = 0.5;
        break;
    case Metric::Ece:
        r.threshold = 0.05;
        break;
    }
    return r;
}

QList<AlertRule> AlertRule::defaults(bool classifier)
{
    if (classifier)
        return {defaultFor(Metric::FailureRate), defaultFor(Metric::LatencyP95Ms), defaultFor(Metric::Accuracy),
                defaultFor(Metric::NoData), defaultFor(Metric::DependencyFallback)};
    return {defaultFor(Metric::FailureRate), defaultFor(Metric::LatencyP95Ms), defaultFor(Metric::Mae),
            defaultFor(Metric::R2),          defaultFor(Metric::NoData),       defaultFor(Metric::DependencyFallback)};
}

namespace {

// The metric's range for a finite threshold (the firing one, or the resolve one); empty when it is in range.
QString thresholdProblem(AlertRule::Metric metric, double value, bool resolve)
{
    switch (metric) {
    case AlertRule::Metric::FailureRate:
        if (value < 0 || value > 1)
            return DomainText::tr("A failure rate threshold is a share between 0 and 1 (0.2 = 20 %), not %1.")
                .arg(value);
        break;
    case AlertRule::Metric::LatencyP95Ms:
    case AlertRule::Metric::Mae:
    case AlertRule::Metric::EstimatedMae:
    case AlertRule::Metric::DependencyFallback:
        if (value < 0)
            return DomainText::tr("The threshold cannot be negative (%1).").arg(value);
        break;
    case AlertRule::Metric::R2:
        if (value > 1)
            return resolve
                       ? DomainText::tr("R² is at most 1, so a resolve threshold of %1 is never reached.").arg(value)
                       : DomainText::tr("R² is at most 1, so a threshold of %1 always fires.").arg(value);
        break;
    case AlertRule::Metric::Accuracy:
    case AlertRule::Metric::F1:
    case AlertRule::Metric::Ece:
    case AlertRule::Metric::EstimatedAccuracy:
        if (value < 0 || value > 1)
            return DomainText::tr("This metric is a share between 0 and 1 (0.9 = 90 %), not %1.").arg(value);
        break;
    case AlertRule::Metric::LogLoss:
        if (value < 0)
            return DomainText::tr("The threshold cannot be negative (%1).").arg(value);
        break;
    case AlertRule::Metric::NoData:
        break;
    }
    return {};
}

} // namespace

std::optional<AlertRule> AlertRule::defaultWithId(const QString &id, bool classifier)
{
    for (const AlertRule &d : defaults(classifier))
        if (d.id == id)
            return d;
    return std::nullopt;
}

// The first problem, naming the rule for a reader of the CLI or a log.
Status AlertRule::validate() const
{
    const QList<Problem> all = problems();
    if (all.isEmpty())
        return {};
    if (all.first().field == Field::Id)
        return Error{all.first().message};
    return Error{DomainText::tr("Rule %1: %2").arg(id, all.first().message)};
}

QList<AlertRule::Problem> AlertRule::problems() const
{
    QList<Problem> out;
    if (!idPattern().match(id).hasMatch())
        out.append(
            {Field::Id,
             DomainText::tr("Rule id \"%1\" must be 1 to 64 lower-case letters, digits, '_', '.' or '-'.").arg(id)});
    if (!std::isfinite(threshold))
        out.append({Field::Threshold, DomainText::tr("The threshold must be a finite number.")});
    else if (const QString range = thresholdProblem(metric, threshold, false); !range.isEmpty())
        out.append({Field::Threshold, range});
    if (resolveThreshold) {
        if (!std::isfinite(*resolveThreshold))
            out.append({Field::ResolveThreshold, DomainText::tr("The resolve threshold must be a finite number.")});
        else if (const QString range = thresholdProblem(metric, *resolveThreshold, true); !range.isEmpty())
            out.append({Field::ResolveThreshold, range});
        else if (const QString side =
                     hysteresis().resolveSideProblem(formatValue(*resolveThreshold), formatValue(threshold));
                 std::isfinite(threshold) && !side.isEmpty())
            out.append({Field::ResolveThreshold, side});
    }
    if (windowSeconds < kMinWindow || windowSeconds > kMaxSeconds)
        out.append({Field::Window, DomainText::tr("The window must be between %1 and %2 seconds, not %3.")
                                       .arg(kMinWindow)
                                       .arg(kMaxSeconds)
                                       .arg(windowSeconds)});
    if (pendingSeconds < 0 || pendingSeconds > kMaxSeconds)
        out.append({Field::Pending, DomainText::tr("The pending period must be between 0 and %1 seconds, not %2.")
                                        .arg(kMaxSeconds)
                                        .arg(pendingSeconds)});
    if (const QString why = hysteresis().keepFiringProblem(); !why.isEmpty())
        out.append({Field::KeepFiring, why});
    if (severity != QLatin1String("info") && severity != QLatin1String("warning") &&
        severity != QLatin1String("critical"))
        out.append(
            {Field::Severity, DomainText::tr("Unknown severity \"%1\": use info, warning or critical.").arg(severity)});
    return out;
}

QJsonObject AlertRule::toJson() const
{
    QJsonObject o{{QStringLiteral("id"), id},
                  {QStringLiteral("metric"), metricName(metric)},
                  {QStringLiteral("comparison"), comparisonName(comparison)},
                  {QStringLiteral("threshold"), threshold},
                  {QStringLiteral("window_seconds"), windowSeconds},
                  {QStringLiteral("for_seconds"), pendingSeconds},
                  {QStringLiteral("severity"), severity},
                  {QStringLiteral("enabled"), enabled}};
    // Written only when set: an older version refuses unknown keys, so a rule without hysteresis stays
    // readable by a guard instance not yet upgraded.
    if (resolveThreshold)
        o.insert(QStringLiteral("resolve_threshold"), *resolveThreshold);
    if (keepFiringSeconds != 0)
        o.insert(QStringLiteral("keep_firing_seconds"), keepFiringSeconds);
    return o;
}

Result<AlertRule> AlertRule::fromJson(const QJsonObject &o)
{
    static const QSet<QString> known{QStringLiteral("id"),
                                     QStringLiteral("metric"),
                                     QStringLiteral("comparison"),
                                     QStringLiteral("threshold"),
                                     QStringLiteral("window_seconds"),
                                     QStringLiteral("for_seconds"),
                                     QStringLiteral("severity"),
                                     QStringLiteral("enabled"),
                                     QStringLiteral("resolve_threshold"),
                                     QStringLiteral("keep_firing_seconds")};
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            return Error{DomainText::tr("Unknown alert rule key \"%1\".").arg(it.key())};
    const QJsonValue metricValue = o.value(QStringLiteral("metric"));
    const auto metric = metricFromName(metricValue.toString());
    if (!metric)
        return Error{
            DomainText::tr(
                "Unknown alert rule metric \"%1\": use failure_rate, latency_p95_ms, mae, r2, "
                "estimated_mae, no_data, dependency_fallback or, on a classifier, accuracy, f1, log_loss, ece or "
                "estimated_accuracy.")
                .arg(metricValue.toVariant().toString())};
    AlertRule r = defaultFor(*metric);
    if (o.contains(QStringLiteral("id"))) {
        if (!o.value(QStringLiteral("id")).isString())
            return Error{DomainText::tr("An alert rule id must be a string.")};
        r.id = o.value(QStringLiteral("id")).toString();
    }
    auto number = [&](const char *key, double *out) -> Status {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined())
            return {};
        if (!v.isDouble())
            return Error{DomainText::tr("Rule %1: \"%2\" must be a number.").arg(r.id, QLatin1String(key))};
        *out = v.toDouble();
        return {};
    };
    auto integer = [&](const char *key, int *out) -> Status {
        double d = *out;
        if (auto s = number(key, &d); !s)
            return s;
        if (d != std::floor(d) || std::abs(d) > 1e9)
            return Error{
                DomainText::tr("Rule %1: \"%2\" must be a whole number of seconds.").arg(r.id, QLatin1String(key))};
        *out = static_cast<int>(d);
        return {};
    };
    if (auto s = number("threshold", &r.threshold); !s)
        return s.error();
    if (auto s = integer("window_seconds", &r.windowSeconds); !s)
        return s.error();
    if (auto s = integer("for_seconds", &r.pendingSeconds); !s)
        return s.error();
    if (auto s = integer("keep_firing_seconds", &r.keepFiringSeconds); !s)
        return s.error();
    // null or absent: no resolve threshold (the firing threshold resolves)
    if (const QJsonValue v = o.value(QStringLiteral("resolve_threshold")); !v.isUndefined() && !v.isNull()) {
        double resolve = 0;
        if (auto s = number("resolve_threshold", &resolve); !s)
            return s.error();
        r.resolveThreshold = resolve;
    }
    if (o.contains(QStringLiteral("comparison"))) {
        const auto c = comparisonFromName(o.value(QStringLiteral("comparison")).toString());
        if (!c)
            return Error{DomainText::tr("Rule %1: comparison must be \">\" or \"<\".").arg(r.id)};
        r.comparison = *c;
    }
    if (o.contains(QStringLiteral("severity"))) {
        if (!o.value(QStringLiteral("severity")).isString())
            return Error{DomainText::tr("Rule %1: severity must be a string.").arg(r.id)};
        r.severity = o.value(QStringLiteral("severity")).toString();
    }
    if (o.contains(QStringLiteral("enabled"))) {
        if (!o.value(QStringLiteral("enabled")).isBool())
            return Error{DomainText::tr("Rule %1: \"enabled\" must be true or false.").arg(r.id)};
        r.enabled = o.value(QStringLiteral("enabled")).toBool();
    }
    if (auto s = r.validate(); !s)
        return s.error();
    return r;
}

QJsonArray alertRulesToJson(const QList<AlertRule> &rules)
{
    QJsonArray a;
    for (const AlertRule &r : rules)
        a.append(r.toJson());
    return a;
}

Result<QList<AlertRule>> alertRulesFromJson(const QJsonArray &array)
{
    QList<AlertRule> out;
    QSet<QString> ids;
    for (const QJsonValue &v : array) {
        if (!v.isObject())
            return Error{DomainText::tr("Each alert rule must be a JSON object.")};
        auto r = AlertRule::fromJson(v.toObject());
        if (!r)
            return r.error();
        if (ids.contains(r->id))
            return Error{DomainText::tr("Alert rule id \"%1\" appears twice.").arg(r->id)};
        ids.insert(r->id);
        out << *r;
    }
    return out;
}

Status WebhookSettings::validateUrl(const QString &url)
{
    const QUrl u(url, QUrl::StrictMode);
    if (!u.isValid() || (u.scheme() != QLatin1String("http") && u.scheme() != QLatin1String("https")) ||
        u.host().isEmpty())
        return Error{DomainText::tr("The webhook URL must be an http:// or https:// address, not \"%1\".").arg(url)};
    return {};
}

} // namespace mldeck
