#pragma once

#include <QDateTime>
#include <QString>

#include <functional>

namespace mldeck::drift {

// Per deployment and feature: what the anti-flap rule remembers between windows. Persisted
// (mldeck.drift_state) so that a restart of the guard does not reset it.
struct DebounceState
{
    int consecutiveDrift = 0;
    int consecutiveClean = 0;
    bool firing = false;
    QDateTime since; // when `firing` last changed (invalid: never)
};

enum class DebounceEvent
{
    None,
    Fire,
    Resolve
};

// An alert fires only after K consecutive drifting windows and resolves after K consecutive
// clean ones; a window without enough samples changes nothing. The clock is injected so that
// tests can drive time.
class DriftDebouncer final
{
public:
    using Clock = std::function<QDateTime()>;
    explicit DriftDebouncer(int k, Clock clock = {});

    int k() const { return m_k; }
    DebounceEvent observe(DebounceState &state, bool drift, bool enoughSamples) const;

private:
    int m_k;
    Clock m_clock;
};

} // namespace mldeck::drift
