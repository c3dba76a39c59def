#include "core/alerting/Hysteresis.h"

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
        return previous;
    if (!previous.active)
        return {breaches(*value), 0};
    if (!clears(*value))
        return {true, 0}; // breaching or between the thresholds: still active, the clearing starts again
    const qint64 since = previous.clearingSinceSecs > 0 ? previous.clearingSinceSecs : nowSecs;
    if (std::max<qint64>(0, nowSecs - since) >= keepFiringSeconds)
        return {false, 0};
    return {true, since};
}

qint64 Hysteresis::clearingLeftSecs(const HysteresisState &state, qint64 nowSecs) const
{
    if (!state.active || state.clearingSinceSecs <= 0)
        return 0;
    return std::max<qint64>(0, keepFiringSeconds - std::max<qint64>(0, nowSecs - state.clearingSinceSecs));
}

} // namespace mldeck
