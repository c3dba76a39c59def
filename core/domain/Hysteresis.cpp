#include "core/domain/Hysteresis.h"

#include "core/Text.h"

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

bool past(Hysteresis::Breach breach, double value, double threshold)
{
    switch (breach) {
    case Hysteresis::Breach::Above:
        return value > threshold;
    case Hysteresis::Breach::Below:
        return value < threshold;
    case Hysteresis::Breach::AtOrBelow:
        return value <= threshold;
    }
    return false;
}

} // namespace

bool Hysteresis::breaches(double value) const
{
    return past(breach, value, fireThreshold);
}

bool Hysteresis::clears(double value) const
{
    return !past(breach, value, effectiveResolveThreshold());
}

bool Hysteresis::resolveOnSafeSide() const
{
    if (!resolveThreshold)
        return true;
    return breach == Breach::Above ? *resolveThreshold <= fireThreshold : *resolveThreshold >= fireThreshold;
}

HysteresisState Hysteresis::next(const HysteresisState &previous, std::optional<double> value, qint64 nowSecs) const
{
    if (!value || !std::isfinite(*value))
        return gap == Gap::Restart && previous.active ? HysteresisState{true, 0} : previous;
    if (!previous.active)
        return {breaches(*value), 0};
    if (!clears(*value))
        return {true, 0}; // breaching or between the thresholds: still active, the clearing starts again
    const qint64 since = previous.clearingSinceSecs > 0 ? previous.clearingSinceSecs : nowSecs;
    if (std::max<qint64>(0, nowSecs - since) >= keepFiringSeconds)
        return {false, 0};
    return {true, since};
}

QString Hysteresis::resolveSideProblem(const QString &resolveText, const QString &fireText) const
{
    if (resolveOnSafeSide())
        return {};
    return breach == Breach::Above
               ? DomainText::tr("The resolve threshold (%1) must be at or below the firing threshold (%2): "
                                "a firing rule resolves once the value is back under it.")
                     .arg(resolveText, fireText)
               : DomainText::tr("The resolve threshold (%1) must be at or above the firing threshold (%2): "
                                "a firing rule resolves once the value is back over it.")
                     .arg(resolveText, fireText);
}

QString Hysteresis::keepFiringProblem() const
{
    if (keepFiringInRange())
        return {};
    return DomainText::tr("The keep-firing time must be between 0 and %1 seconds, not %2.")
        .arg(maxKeepFiringSeconds)
        .arg(keepFiringSeconds);
}

qint64 Hysteresis::clearingLeftSecs(const HysteresisState &state, qint64 nowSecs) const
{
    if (!state.active || state.clearingSinceSecs <= 0)
        return 0;
    return std::max<qint64>(0, keepFiringSeconds - std::max<qint64>(0, nowSecs - state.clearingSinceSecs));
}

} // namespace mldeck
