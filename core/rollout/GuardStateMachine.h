#pragma once

#include "core/domain/Hysteresis.h"
#include "core/rollout/GateSet.h"
#include "core/rollout/WindowMetrics.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

// The automatic guard's rules for one deployment (stored in mldeck.guard_rules; these defaults
// come from the deployment guide: error rate over 30 % → ML off; degraded latency or MAE →
// percentage halved).
struct GuardRules
{
    bool enabled = true;
    int windowSeconds = 300;     // sliding window the metrics are computed over
    qint64 minSamples = 50;      // fewer samples (but some): inconclusive, nothing counts
    int consecutiveBreaches = 3; // K: act only after K breaching evaluations in a row
    double rollbackErrorRate = 0.30;
    double maxLatencyP95Ms = 1000.0;
    double maxMae = 2.5;
    int intervalSeconds = 5; // how often the guard evaluates
    // A classifier's, judged in place of MAE once the window has minSamples labelled predictions:
    // accuracy below rollbackAccuracy → ML off; below minAccuracy or log-loss above maxLogLoss → halved.
    double rollbackAccuracy = 0.50;
    double minAccuracy = 0.60;
    double maxLogLoss = 1.0;

    // Each action's conditions, named after their thresholds: rollback (ML off) on
    // rollback_error_rate, rollback_accuracy; halve on max_latency_p95_ms, max_mae, min_accuracy,
    // max_log_loss. By default any one breaching condition acts; all, or at least N, may be asked,
    // and advisory conditions are reported, never acted on.
    GateCombination rollbackCombination{GateCombination::Mode::Any, 1, {}};
    GateCombination halveCombination{GateCombination::Mode::Any, 1, {}};
    // Per condition: a resolve threshold on the safe side of its firing one and a keep-firing time.
    // A breaching condition stays breached (its streak keeps counting) until its value has been past
    // the resolve threshold for that long. None: a plain threshold.
    struct ConditionHysteresis
    {
        std::optional<double> resolveThreshold;
        int keepFiringSeconds = 0;
        bool operator==(const ConditionHysteresis &) const = default;
    };
    QMap<QString, ConditionHysteresis> hysteresis;
    // Set when a stored combination could not be read: the guard then uses the default (any) for it,
    // logs this and says so in its summary, rather than stop guarding.
    QString settingsProblem;

    static QStringList rollbackConditions();
    static QStringList halveConditions();
    // The conditions a task has: a regression deployment has no accuracy or log-loss, a classifier no MAE.
    static QStringList rollbackConditions(bool classifier);
    static QStringList halveConditions(bool classifier);
    // The condition as a Hysteresis (its firing threshold, direction, resolve threshold, keep-firing time).
    Hysteresis conditionHysteresis(const QString &condition) const;

    // Empty when sane, else a readable reason. With the deployment's task, each action's combination
    // must leave a deciding condition of that task and at most as many as "at least N" asks for (else
    // the guard could never act); without it, a combination that either task can meet passes.
    QString validate(std::optional<bool> classifier = std::nullopt) const;
    QJsonObject toJson() const; // as the audit log and `guard rules --json` show it
    // The combinations and hysteresis as stored (guard_rules' JSON columns) and back. A combination
    // that cannot be read falls back to the default (any) and is named in settingsProblem.
    QJsonObject hysteresisJson() const;
    void readConditionSettings(const QJsonObject &rollback, const QJsonObject &halve, const QJsonObject &hysteresis);
};

// What the guard remembers between evaluations (stored in mldeck.guard_state so that another
// guard taking over after a failover knows it, and above all knows that it is latched).
struct GuardMemory
{
    int severeStreak = 0;   // consecutive evaluations with an error-rate (or no-data) breach
    int degradedStreak = 0; // consecutive evaluations with any breach
    QDateTime lastEvaluatedAt;
    bool latched = false; // acted once: no further action until a person re-arms
    QDateTime latchedAt;
    QString latchedAction;
    QString latchedReason;
    // Each condition's hysteresis state (by condition name); empty for a condition never breached.
    QMap<QString, HysteresisState> conditions;

    QJsonObject conditionsJson() const; // {"max_mae": {"active": true, "clearing_since": 1700000000}}
    static QMap<QString, HysteresisState> conditionsFromJson(const QJsonObject &json);
};

struct GuardDecision
{
    enum class Action
    {
        None,
        Rollback, // ML off, 0 %
        Halve     // percentage halved
    };
    Action action = Action::None;
    QStringList breaches;   // readable, with the figures: "error rate 41.0 % > 30.0 %"
    QStringList advisories; // advisory conditions that breach: reported, never acted on
    QString summary;        // one line: what was decided and why
    bool inconclusive = false;

    static QString actionName(Action a); // "none", "rollback", "halve"
};

// The guard's pure state machine: no I/O, the clock is a parameter (tests use a fake one).
// - Nothing to guard (ML off or 0 %): streaks reset, no action.
// - No data at all while ML should be serving counts as a breach of the severe kind (the safe
//   state is ML off: a backend that logs nothing cannot be shown to be healthy).
// - 0 < samples < minSamples: inconclusive; streaks stay as they are.
// - A streak older than 3 intervals (the guard was not running, or another guard took over
//   late) starts again: breaches must be consecutive in time too.
// - Latched: evaluates and reports, never acts again until rearm() — except that a guard latched
//   on "halve" may still escalate to ML off (only ever towards the safe state).
// - Each action's conditions combine as its GateCombination says (any, all, at least N; advisory
//   ones never count); a condition without a figure is inconclusive and never counts as a breach.
//   Each condition goes through its Hysteresis: once breached it stays breached until resolved.
class GuardStateMachine final
{
public:
    static GuardDecision evaluate(const GuardRules &rules, GuardMemory &memory, const WindowMetrics &metrics,
                                  bool mlServing, const QDateTime &now);
    static void latch(GuardMemory &memory, GuardDecision::Action action, const QString &reason, const QDateTime &now);
    static void rearm(GuardMemory &memory);
    // The percentage after halving (floor; 1 → 0).
    static int halved(int percentage) { return percentage / 2; }
    // What a guard action's audit row records: the window's figures, the rules and the decision.
    static QJsonObject auditFigures(const WindowMetrics &metrics, const GuardRules &rules,
                                    const GuardDecision &decision);
};

} // namespace mldeck
