#pragma once

// The regression KPI dashboard without aggregates: what one would write over the raw log (per path: counts,
// failure rate, latency p50/p95/p99, MAE/RMSE/R² against the latest outcome of each request). The baseline the
// benchmarks time KpiCache::load against.

#include <QString>

namespace mldeck::bench {

inline QString plainKpiSql(const QString &deployment, qint64 fromSecs, qint64 toSecs)
{
    return QStringLiteral(R"SQL(
WITH lo AS (
    SELECT DISTINCT ON (deployment, request_key) deployment, request_key, actual
    FROM mldeck.outcomes WHERE deployment = '%3' ORDER BY deployment, request_key, observed_at DESC, id DESC),
p AS (
    SELECT * FROM mldeck.predictions WHERE deployment = '%3' AND ts >= to_timestamp(%1) AND ts < to_timestamp(%2))
SELECT p.path, count(*), avg(p.failed::int),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.latency_ms),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY p.latency_ms),
       percentile_cont(0.99) WITHIN GROUP (ORDER BY p.latency_ms),
       avg(abs(p.predicted - lo.actual)), sqrt(avg((p.predicted - lo.actual) ^ 2)),
       1 - sum((p.predicted - lo.actual) ^ 2) / nullif(sum((lo.actual - a.mean) ^ 2), 0)
FROM p LEFT JOIN lo ON lo.request_key = p.request_key AND NOT p.failed
CROSS JOIN (SELECT avg(actual) AS mean FROM lo) a
GROUP BY p.path)SQL")
        .arg(fromSecs)
        .arg(toSecs)
        .arg(deployment);
}

} // namespace mldeck::bench
