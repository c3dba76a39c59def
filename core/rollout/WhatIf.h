#pragma once

#include "core/domain/FlagState.h"

#include <QStringList>

#include <optional>

namespace mldeck {

// What a percentage would do, over the distinct request keys logged in the last 24 h.
struct WhatIf
{
    int percentage = 0;
    qint64 keys = 0;               // distinct logged request keys considered
    std::optional<double> mlShare; // share of them (0..1) whose bucket <= percentage; none without keys
    qint64 switching = 0;          // keys that would change path compared with the current flags
    std::optional<double> projectedMae;
    std::optional<double> currentMae;
};

// Pure: buckets every key, compares with the current routing, and mixes the logged ML and
// heuristic MAE by each key's path (projected: ML when bucket <= percentage, as if ML were on).
// A mix needs the MAE of every path it uses; otherwise it is left empty.
WhatIf computeWhatIf(const QString &deployment, const QStringList &keys, const FlagState &current, int percentage,
                     std::optional<double> mlMae, std::optional<double> heuristicMae);

} // namespace mldeck
