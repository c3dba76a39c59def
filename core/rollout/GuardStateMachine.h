#pragma once

#include "core/rollout/WindowMetrics.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

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

    QString validate() const;   // empty when sane, else a readable reason
    QJsonObject toJson() const; // as the audit log and `guard rules --json` show it
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
    QStringList breaches; // readable, with the figures: "error rate 41.0 % > 30.0 %"
    QString summary;      // one line: what was decided and why
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
