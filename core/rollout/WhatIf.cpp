#include "core/rollout/WhatIf.h"

#include "core/domain/Figure.h"
#include "core/rollout/Bucketing.h"

namespace mldeck {

namespace {

std::optional<double> mix(qint64 ml, qint64 heuristic, std::optional<double> mlMae, std::optional<double> heuristicMae)
{
    const qint64 n = ml + heuristic;
    if (n == 0 || (ml > 0 && !mlMae) || (heuristic > 0 && !heuristicMae))
        return std::nullopt;
    return (double(ml) * mlMae.value_or(0) + double(heuristic) * heuristicMae.value_or(0)) / double(n);
}

} // namespace

WhatIf computeWhatIf(const QString &deployment, const QStringList &keys, const FlagState &current, int percentage,
                     std::optional<double> mlMae, std::optional<double> heuristicMae)
{
    WhatIf w;
    w.percentage = percentage;
    w.keys = keys.size();
    qint64 projectedMl = 0, currentMl = 0;
    for (const QString &k : keys) {
        const int b = bucket(deployment, k);
        const bool willBeMl = b <= percentage;
        const bool isMl = current.routesToMl(b);
        projectedMl += willBeMl;
        currentMl += isMl;
        w.switching += willBeMl != isMl;
    }
    w.mlShare = ratioOf(double(projectedMl), double(w.keys));
    w.projectedMae = mix(projectedMl, w.keys - projectedMl, mlMae, heuristicMae);
    w.currentMae = mix(currentMl, w.keys - currentMl, mlMae, heuristicMae);
    return w;
}

} // namespace mldeck
