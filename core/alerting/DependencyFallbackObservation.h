#pragma once

#include "core/alerting/AlertRuleMachine.h"
#include "core/domain/Dependency.h"

#include <QDateTime>
#include <QStringList>

#include <vector>

namespace mldeck {

// What the dependency_fallback rule sees: the longest fallback, in minutes, among the dependencies
// whose state is known. No dependency reported, or none in fallback: 0 (a firing alert resolves).
// Every listed dependency unknown (the backend stopped reporting), or Redis unreadable: no value, so
// the rule neither fires nor resolves on it — silence is the no_data rule's business. Pure.
struct DependencyFallbackObservation
{
    RuleObservation observation;
    QStringList inFallback; // names, longest first
};

DependencyFallbackObservation observeDependencyFallback(const std::vector<DependencyState> &dependencies,
                                                        const QDateTime &now);

} // namespace mldeck
