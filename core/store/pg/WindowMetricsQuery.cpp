#include "core/store/pg/WindowMetricsQuery.h"

#include "core/store/pg/PgConnection.h"

namespace mldeck {

namespace {

std::optional<double> number(const QString &cell)
{
    if (cell.isNull())
        return std::nullopt;
    bool ok = false;
    const double v = cell.toDouble(&ok);
    return ok ? std::optional<double>(v) : std::nullopt;
}

constexpr char kWindowSql[] = R"SQL(
WITH w AS (
    SELECT request_key, predicted, latency_ms, failed, path
    FROM mldeck.predictions
    WHERE ts >= now() - make_interval(secs => $2::double precision)
      AND deployment = $1 AND path IN ('ml', 'fallback')
), lab AS (
    SELECT w.predicted AS p, o.actual AS a
    FROM w
    CROSS JOIN LATERAL (SELECT actual FROM mldeck.outcomes o
                        WHERE o.deployment = $1 AND o.request_key = w.request_key
                        ORDER BY o.observed_at DESC, o.id DESC LIMIT 1) o
    WHERE w.path = 'ml' AND NOT w.failed AND w.predicted IS NOT NULL
)
SELECT (SELECT count(*) FROM w),
       (SELECT avg(failed::int) FROM w),
       (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FROM w),
       (SELECT count(*) FROM lab),
       (SELECT avg(abs(p - a)) FROM lab),
       (SELECT CASE WHEN count(*) > 1 AND var_pop(a) > 0 THEN 1 - avg((p - a) ^ 2) / var_pop(a) END FROM lab)
)SQL";

constexpr char kKeysSql[] = R"SQL(
SELECT DISTINCT request_key FROM mldeck.predictions
WHERE ts >= now() - make_interval(hours => $2::int) AND deployment = $1
LIMIT $3::int
)SQL";

constexpr char kMaeSql[] = R"SQL(
SELECT p.path, avg(abs(p.predicted - o.actual))
FROM mldeck.predictions p
CROSS JOIN LATERAL (SELECT actual FROM mldeck.outcomes o
                    WHERE o.deployment = $1 AND o.request_key = p.request_key
                    ORDER BY o.observed_at DESC, o.id DESC LIMIT 1) o
WHERE p.ts >= now() - make_interval(hours => $2::int) AND p.deployment = $1
  AND p.path IN ('ml', 'heuristic') AND NOT p.failed AND p.predicted IS NOT NULL
GROUP BY p.path
)SQL";

} // namespace

WindowMetricsQuery::WindowMetricsQuery(PgConnection &conn) : m_conn(conn) {}

Result<WindowMetrics> WindowMetricsQuery::mlWindow(const QString &deployment, int seconds)
{
    auto rows = m_conn.query(QString::fromLatin1(kWindowSql), {deployment, QString::number(seconds)});
    if (!rows)
        return rows.error();
    const QStringList r = rows->value(0);
    WindowMetrics m;
    m.samples = r.value(0).toLongLong();
    m.errorRate = number(r.value(1));
    m.latencyP95Ms = number(r.value(2));
    m.labelled = r.value(3).toLongLong();
    m.mae = number(r.value(4));
    m.r2 = number(r.value(5));
    return m;
}

Result<WindowMetricsQuery::WhatIfData> WindowMetricsQuery::whatIfData(const QString &deployment, int hours,
                                                                      int maxKeys)
{
    WhatIfData d;
    auto keys = m_conn.query(QString::fromLatin1(kKeysSql),
                             {deployment, QString::number(hours), QString::number(maxKeys + 1)});
    if (!keys)
        return keys.error();
    d.keys.reserve(keys->size());
    for (const QStringList &row : *keys)
        d.keys.append(row.value(0));
    if (d.keys.size() > maxKeys) {
        d.truncated = true;
        d.keys.resize(maxKeys);
    }
    auto mae = m_conn.query(QString::fromLatin1(kMaeSql), {deployment, QString::number(hours)});
    if (!mae)
        return mae.error();
    for (const QStringList &row : *mae) {
        if (row.value(0) == QLatin1String("ml"))
            d.mlMae = number(row.value(1));
        else if (row.value(0) == QLatin1String("heuristic"))
            d.heuristicMae = number(row.value(1));
    }
    return d;
}

} // namespace mldeck
