#include "core/stats/drift/DriftDebouncer.h"

#include <algorithm>

namespace mldeck::drift {

DriftDebouncer::DriftDebouncer(int k, Clock clock)
    : m_k(std::max(1, k)), m_clock(clock ? std::move(clock) : Clock([] { return QDateTime::currentDateTimeUtc(); }))
{
}

DebounceEvent DriftDebouncer::observe(DebounceState &state, bool drift, bool enoughSamples) const
{
    if (!enoughSamples)
        return DebounceEvent::None;
    if (drift) {
        state.consecutiveDrift = std::min(state.consecutiveDrift + 1, 1'000'000);
        state.consecutiveClean = 0;
        if (!state.firing && state.consecutiveDrift >= m_k) {
            state.firing = true;
            state.since = m_clock();
            return DebounceEvent::Fire;
        }
        return DebounceEvent::None;
    }
    state.consecutiveClean = std::min(state.consecutiveClean + 1, 1'000'000);
    state.consecutiveDrift = 0;
    if (state.firing && state.consecutiveClean >= m_k) {
        state.firing = false;
        state.since = m_clock();
        return DebounceEvent::Resolve;
    }
    return DebounceEvent::None;
}

} // namespace mldeck::drift
