#pragma once

#include "core/domain/Hysteresis.h"
#include "core/domain/Result.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

// A KPI alert rule of one deployment: "metric compared with threshold over the last window, for
// at least `pendingSeconds`". Evaluated by the guard (KpiAlertGuardJob); a firing rule is an
// mldeck.alerts row of kind "kpi" whose dedup_key is the rule id. See resources/contract/alerts.md.
struct AlertRule
{
    // DependencyFallback: the longest time, in minutes, that one of the serving backend's own
    // dependencies has been in fallback (resources/contract/dependencies.md); read from Redis.
    enum class Metric
    {
        FailureRate,
        LatencyP95Ms,
        Mae,
        R2,
        NoData,
        DependencyFallback,
        // A classification deployment's ML path (resources/contract/alerts.md): shares 0..1 but the
        // log-loss; estimated_accuracy is the accuracy expected from the model's calibrated
        // probabilities before labels arrive (unknown while the estimate is not trusted).
        Accuracy,
        F1, // binary: of the positive class; multi-class: macro
        LogLoss,
        Ece,
        EstimatedAccuracy,
        // A regression deployment's ML MAE expected by its nanny model (resources/contract/nanny.md), known
        // before the outcomes arrive; unknown while no prediction of the window was scored.
        EstimatedMae
    };
    enum class Comparison
    {
        Above,
        Below
    }; // value > threshold, value < threshold

    QString id; // [a-z0-9_.-]{1,64}; defaults use the metric name
    Metric metric = Metric::FailureRate;
    Comparison comparison = Comparison::Above;
    double threshold = 0;     // no_data: the threshold is ignored (the window is the "for how long")
    int windowSeconds = 300;  // 60 .. 86400; dependency_fallback: unused (the fallback has its own start)
    int pendingSeconds = 120; // 0 .. 86400: the "for" period before firing
    // Hysteresis (core/domain/Hysteresis): a firing rule resolves only once its value has been past
    // resolveThreshold (on the safe side of `threshold`; empty: `threshold` itself) continuously for
    // keepFiringSeconds (0 .. 86400); between the two thresholds it keeps firing.
    std::optional<double> resolveThreshold;
    int keepFiringSeconds = 0;
    QString severity = QStringLiteral("warning"); // info, warning, critical
    bool enabled = true;

    // True when `value` breaches the rule (strictly above/below the threshold; no_data: the
    // window's prediction count is at most the threshold, 0 by default).
    bool breaches(double value) const;
    // One line a person reads: "failure rate > 20 % for 2 min", with the resolving condition when it
    // differs from the plain one: "..., resolves below 15 % for 300 s".
    QString describe() const;
    QString formatValue(double value) const;
    // Where a firing rule resolves: "≤ 15.0 %" (the firing threshold without a resolve threshold).
    QString resolveCondition() const;
    // The rule's thresholds as the shared Hysteresis (no_data: at most `threshold` predictions breaches).
    Hysteresis hysteresis() const;

    QJsonObject toJson() const;
    // Every key but "id" and "metric" may be missing (defaults of that metric); a bad value is an error.
    static Result<AlertRule> fromJson(const QJsonObject &o);
    Status validate() const; // the first of problems()

    // The fields a value can be wrong in; an editor shows each problem next to its field.
    enum class Field
    {
        Id,
        Threshold,
        ResolveThreshold,
        Window,
        Pending,
        KeepFiring,
        Severity
    };
    struct Problem
    {
        Field field;
        QString message;
    };
    // Every problem of the rule, in the order of the fields; empty when the rule is valid.
    QList<Problem> problems() const;

    // The defaults: failure rate > 20 %, latency p95 > 2 s, MAE > 2.5, R² < 0.68, no data for 5 min,
    // a backend dependency in fallback for more than 10 min. A classifier's: accuracy < 90 % in place
    // of MAE and R².
    static QList<AlertRule> defaults(bool classifier = false);
    static AlertRule defaultFor(Metric metric);
    // The built-in rule with this id (a stored rule of that id replaces it); nullopt: a deployment's own id.
    static std::optional<AlertRule> defaultWithId(const QString &id, bool classifier = false);
    // The metrics a deployment of that task can use, in the order an editor lists them: MAE and R²
    // for a regression deployment, the five classification metrics for a classifier.
    static QList<Metric> metricsFor(bool classifier);
    static bool isClassificationMetric(Metric m);
    // A readable refusal when the metric does not apply to the deployment's task.
    Status checkTask(bool classifier) const;

    static QString metricName(Metric m);
    static std::optional<Metric> metricFromName(const QString &name);
    static QString comparisonName(Comparison c);                              // ">" or "<"
    static std::optional<Comparison> comparisonFromName(const QString &name); // ">", "<", "above", "below"

    bool operator==(const AlertRule &) const = default;

private:
    QString resolveText() const; // describe()'s resolving clause; empty without hysteresis
};

// A list of rules as a JSON array; ids must be unique.
QJsonArray alertRulesToJson(const QList<AlertRule> &rules);
Result<QList<AlertRule>> alertRulesFromJson(const QJsonArray &array);

// Where to POST alert notifications (Slack-compatible JSON). Per deployment.
struct WebhookSettings
{
    QString url; // http:// or https://
    bool enabled = false;
    static Status validateUrl(const QString &url);
};

} // namespace mldeck
