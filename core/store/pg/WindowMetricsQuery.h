#pragma once

#include "core/domain/Result.h"
#include "core/rollout/WindowMetrics.h"

#include <QStringList>

#include <optional>

namespace mldeck {

class PgConnection;

// Figures the gates and the guard use, computed with plain SQL on the raw prediction log
// (the ts range prunes daily partitions and the BRIN index; deployment filters). The join to
// ground truth takes the latest outcome per request key (outcomes_request index).
class WindowMetricsQuery final
{
public:
    explicit WindowMetricsQuery(PgConnection &conn);

    // Over the last `seconds`: requests routed to ML (path ml or fallback): count, failed share,
    // latency p95 (percentile_cont); ML predictions with an outcome: MAE and R², or on a classification
    // deployment accuracy, F1, log-loss and ECE (the sums of ClassificationSums' conventions, grouped
    // in SQL, through computeClassificationFigures).
    Result<WindowMetrics> mlWindow(const QString &deployment, int seconds);

    // For the what-if preview over the last `hours`: distinct logged request keys (at most
    // maxKeys, the newest partitions first) and the MAE of the logged ML and heuristic predictions.
    struct WhatIfData
    {
        QStringList keys;
        bool truncated = false;
        std::optional<double> mlMae;
        std::optional<double> heuristicMae;
    };
    Result<WhatIfData> whatIfData(const QString &deployment, int hours, int maxKeys = 500000);

    // MAE of the ML path over the last `days` (predictions with an outcome); nullopt without any.
    Result<std::optional<double>> mlMae(const QString &deployment, int days);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
