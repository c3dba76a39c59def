#pragma once

#include <QString>
#include <QtGlobal>

#include <optional>

namespace mldeck {

// Where one condition with hysteresis stands between two evaluations (persist both fields).
struct HysteresisState
{
    bool active = false; // breached and not yet resolved
    qint64 clearingSinceSecs =
        0; // active only: since when the value has been past the resolve threshold (0: it is not)

    bool operator==(const HysteresisState &) const = default;
};

// A condition that does not flap: it becomes active when the value breaches the firing threshold,
// and goes inactive only once the value has been past the resolve threshold (on the safe side of
// the firing one) continuously for keepFiringSeconds. Between the two thresholds an active
// condition stays active. Without a resolve threshold and with keepFiringSeconds 0 it is a plain
// threshold (active exactly while the value breaches). Pure; the clock is a parameter.
// Used by the KPI alert rules (AlertRuleMachine) and the rollout guard's rules.
struct Hysteresis
{
    enum class Breach
    {
        Above,    // value >  threshold
        Below,    // value <  threshold
        AtOrBelow // value <= threshold (no_data: "at most N predictions")
    };
    // What an unknown value does to a running clearing timer. Hold: nothing (the rollout guard's
    // rules). Restart: the timer stops, as for a value between the thresholds, so that a gap without
    // figures never counts as time past the resolve threshold (the KPI alert rules).
    enum class Gap
    {
        Hold,
        Restart
    };
    static constexpr int maxKeepFiringSeconds = 86400;

    Breach breach = Breach::Above;
    double fireThreshold = 0;
    std::optional<double> resolveThreshold; // empty: the firing threshold
    int keepFiringSeconds = 0;              // 0 .. maxKeepFiringSeconds
    Gap gap = Gap::Hold;

    double effectiveResolveThreshold() const { return resolveThreshold.value_or(fireThreshold); }
    // The value breaches the firing threshold.
    bool breaches(double value) const;
    // The value is past the resolve threshold: it no longer breaches that threshold.
    bool clears(double value) const;
    // The resolve threshold is absent or on the safe side of the firing one (equal allowed: no band).
    bool resolveOnSafeSide() const;
    bool keepFiringInRange() const { return keepFiringSeconds >= 0 && keepFiringSeconds <= maxKeepFiringSeconds; }
    // The one wording of a resolve threshold on the wrong side of the firing one, with both figures as
    // the caller formats them; empty when resolveOnSafeSide().
    QString resolveSideProblem(const QString &resolveText, const QString &fireText) const;
    // The one wording of a keep-firing time out of range; empty when keepFiringInRange().
    QString keepFiringProblem() const;

    // One evaluation. An unknown value (empty or not finite) neither activates nor resolves; a running
    // clearing timer is kept (Gap::Hold) or stopped (Gap::Restart), never completed. Active: a clearing value starts
    // (or continues) the timer and resolves once it has run keepFiringSeconds; a value between the thresholds or
    // breaching stops it. Clock going backwards counts as no time elapsed.
    HysteresisState next(const HysteresisState &previous, std::optional<double> value, qint64 nowSecs) const;

    // Active and clearing: the seconds left before it resolves (0 when not clearing).
    qint64 clearingLeftSecs(const HysteresisState &state, qint64 nowSecs) const;
};

} // namespace mldeck
