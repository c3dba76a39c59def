#include "core/alerting/DependencyFallbackObservation.h"

#include <algorithm>

namespace mldeck {

DependencyFallbackObservation observeDependencyFallback(const std::vector<DependencyState> &dependencies,
                                                        const QDateTime &now)
{
    DependencyFallbackObservation out;
    std::vector<const DependencyState *> fallback;
    bool anyKnown = false;
    for (const DependencyState &d : dependencies) {
        if (d.isUnknown())
            continue;
        anyKnown = true;
        if (d.fallbackActive)
            fallback.push_back(&d);
    }
    if (!dependencies.empty() && !anyKnown)
        return out;
    std::sort(fallback.begin(), fallback.end(), [&](const DependencyState *a, const DependencyState *b) {
        return a->fallbackSeconds(now) > b->fallbackSeconds(now);
    });
    for (const DependencyState *d : fallback)
        out.inFallback << d->name;
    out.observation.value = fallback.empty() ? 0.0 : fallback.front()->fallbackSeconds(now) / 60.0;
    return out;
}

} // namespace mldeck
