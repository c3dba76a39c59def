#include "core/services/metrics/AlertRulesExport.h"

#include <algorithm>

namespace mldeck {

namespace {

QString number(double v)
{
    return QString::number(v, 'g', 17);
}

// YAML double-quoted scalar: backslash and quote escaped, one line.
QString quoted(QString s)
{
    s.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\""));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return QLatin1Char('"') + s + QLatin1Char('"');
}

QString selector(const QString &deployment, const QString &path, int windowSeconds, const QString &extra = {})
{
    return QStringLiteral("{deployment=\"%1\",path=\"%2\",window=\"%3\"%4}")
        .arg(deployment, path, metricsWindowLabel(windowSeconds), extra);
}

} // namespace

QString metricsWindowLabel(int seconds)
{
    if (seconds % 3600 == 0)
        return QStringLiteral("%1h").arg(seconds / 3600);
    if (seconds % 60 == 0)
        return QStringLiteral("%1m").arg(seconds / 60);
    return QStringLiteral("%1s").arg(seconds);
}

QList<int> metricsWindows(const QList<AlertRule> &rules)
{
    QList<int> windows{300, 3600};
    for (const AlertRule &r : rules)
        if (r.enabled && !windows.contains(r.windowSeconds))
            windows << r.windowSeconds;
    std::sort(windows.begin(), windows.end());
    return windows;
}

namespace {

// The rule's condition against `threshold` (the firing or the resolve one).
QString breachExpression(const QString &deployment, AlertRule rule, double threshold)
{
    rule.threshold = threshold;
    const QString op = rule.comparison == AlertRule::Comparison::Above ? QStringLiteral(">") : QStringLiteral("<");
    const int w = rule.windowSeconds;
    // The guard reads the failure rate over every path, the model's own figures on the ML path.
    switch (rule.metric) {
    case AlertRule::Metric::FailureRate:
        return QStringLiteral("mldeck_failure_ratio%1 %2 %3")
            .arg(selector(deployment, QStringLiteral("all"), w), op, number(rule.threshold));
    case AlertRule::Metric::LatencyP95Ms:
        return QStringLiteral("mldeck_prediction_latency_percentile_seconds%1 %2 %3")
            .arg(selector(deployment, QStringLiteral("ml"), w, QStringLiteral(",percentile=\"95\"")), op,
                 number(rule.threshold / 1000.0));
    case AlertRule::Metric::Mae:
        return QStringLiteral("mldeck_mae%1 %2 %3")
            .arg(selector(deployment, QStringLiteral("ml"), w), op, number(rule.threshold));
    case AlertRule::Metric::R2:
        return QStringLiteral("mldeck_r2%1 %2 %3")
            .arg(selector(deployment, QStringLiteral("ml"), w), op, number(rule.threshold));
    case AlertRule::Metric::EstimatedMae:
        return QStringLiteral("mldeck_estimated_mae%1 %2 %3")
            .arg(selector(deployment, QStringLiteral("ml"), w), op, number(rule.threshold));
    case AlertRule::Metric::Accuracy:
    case AlertRule::Metric::F1:
    case AlertRule::Metric::LogLoss:
    case AlertRule::Metric::Ece: // a classifier's gauges: mldeck_<metric name>
        return QStringLiteral("mldeck_%1%2 %3 %4")
            .arg(AlertRule::metricName(rule.metric), selector(deployment, QStringLiteral("ml"), w), op,
                 number(rule.threshold));
    case AlertRule::Metric::EstimatedAccuracy: // only while the estimate is trusted, as the guard reads it
        return QStringLiteral("(mldeck_estimated_accuracy%1 %2 %3) and on (deployment, path, window) "
                              "mldeck_estimate_trusted%1 == 1")
            .arg(selector(deployment, QStringLiteral("ml"), w), op, number(rule.threshold));
    case AlertRule::Metric::NoData:
        return QStringLiteral("mldeck_window_predictions%1 <= %2")
            .arg(selector(deployment, QStringLiteral("all"), w), number(rule.threshold));
    case AlertRule::Metric::DependencyFallback: // the threshold is minutes in fallback
        return QStringLiteral("max by (deployment) (mldeck_dependency_fallback_seconds{deployment=\"%1\"}) > %2")
            .arg(deployment, number(rule.threshold * 60));
    }
    return {};
}

} // namespace

QString prometheusAlertName(const QString &deployment, const AlertRule &rule)
{
    return QStringLiteral("MLDeck_%1_%2").arg(deployment, rule.id);
}

QString prometheusAlertExpression(const QString &deployment, const AlertRule &rule)
{
    const QString fire = breachExpression(deployment, rule, rule.threshold);
    if (!rule.resolveThreshold || *rule.resolveThreshold == rule.threshold)
        return fire;
    // Hysteresis: once firing, the alert holds while the figure still breaches the resolve threshold
    // (keep_firing_for then keeps it for the keep-firing time after that).
    return QStringLiteral("(%1) or ((%2) and on (deployment) ALERTS{alertname=\"%3\",alertstate=\"firing\"})")
        .arg(fire, breachExpression(deployment, rule, *rule.resolveThreshold), prometheusAlertName(deployment, rule));
}

QByteArray prometheusAlertRules(const QMap<QString, QList<AlertRule>> &rulesByDeployment)
{
    QString y = QStringLiteral("# MLDeck KPI alert rules, written by `mldeckctl alerts export --format prometheus`.\n"
                               "# Each rule reads a gauge the MLDeck guard exports over the rule's window.\n");
    for (const QList<AlertRule> &rules : rulesByDeployment)
        if (std::any_of(rules.cbegin(), rules.cend(),
                        [](const AlertRule &r) { return r.enabled && r.keepFiringSeconds > 0; })) {
            // An older Prometheus refuses the whole file over one unknown field.
            y += QStringLiteral(
                "# keep_firing_for needs Prometheus 2.42 or later. A series that is absent counts as not\n"
                "# firing here (the alert resolves after keep_firing_for); the guard holds on an unknown figure.\n");
            break;
        }
    y += QStringLiteral("groups:\n");
    for (auto it = rulesByDeployment.cbegin(); it != rulesByDeployment.cend(); ++it) {
        y += QStringLiteral("  - name: %1\n    rules:\n").arg(quoted(QStringLiteral("mldeck-") + it.key()));
        bool any = false;
        for (const AlertRule &rule : it.value()) {
            if (!rule.enabled)
                continue;
            any = true;
            y += QStringLiteral("      - alert: %1\n").arg(quoted(prometheusAlertName(it.key(), rule)));
            y += QStringLiteral("        expr: %1\n").arg(quoted(prometheusAlertExpression(it.key(), rule)));
            y += QStringLiteral("        for: %1s\n").arg(rule.pendingSeconds);
            if (rule.keepFiringSeconds > 0)
                y += QStringLiteral("        keep_firing_for: %1s\n").arg(rule.keepFiringSeconds);
            y += QStringLiteral(
                     "        labels:\n          severity: %1\n          deployment: %2\n          mldeck_rule: %3\n")
                     .arg(quoted(rule.severity), quoted(it.key()), quoted(rule.id));
            y += QStringLiteral("        annotations:\n          summary: %1\n")
                     .arg(quoted(QStringLiteral("%1: %2").arg(it.key(), rule.describe())));
        }
        if (!any)
            y += QStringLiteral("      []\n");
    }
    return y.toUtf8();
}

} // namespace mldeck
