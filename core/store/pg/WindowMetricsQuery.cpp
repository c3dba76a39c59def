#include "core/store/pg/WindowMetricsQuery.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

namespace mldeck {

namespace {

std::optional<double> number(const pqxx::field &f)
{
    return f.is_null() ? std::nullopt : std::optional<double>(f.as<double>());
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

// Over days: predictions joined with their latest outcome (the latest_outcomes view).
constexpr char kMlMaeSql[] = R"SQL(
SELECT avg(abs(p.predicted - o.actual)) FROM mldeck.predictions p
JOIN mldeck.latest_outcomes o ON o.deployment = p.deployment AND o.request_key = p.request_key
WHERE p.deployment = $1 AND p.path = 'ml' AND NOT p.failed AND p.predicted IS NOT NULL
  AND p.ts >= now() - make_interval(days => $2)
)SQL";

} // namespace

WindowMetricsQuery::WindowMetricsQuery(PgConnection &conn) : m_conn(conn) {}

Result<WindowMetrics> WindowMetricsQuery::mlWindow(const QString &deployment, int seconds)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::row r = tx.exec_params1(kWindowSql, pg::utf8(deployment), seconds);
        WindowMetrics m;
        m.samples = r[0].as<qint64>();
        m.errorRate = number(r[1]);
        m.latencyP95Ms = number(r[2]);
        m.labelled = r[3].as<qint64>();
        m.mae = number(r[4]);
        m.r2 = number(r[5]);
        return m;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("computing the ML figures of \"%1\"").arg(deployment));
    }
}

Result<WindowMetricsQuery::WhatIfData> WindowMetricsQuery::whatIfData(const QString &deployment, int hours, int maxKeys)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        WhatIfData d;
        const pqxx::result keys = tx.exec_params(kKeysSql, pg::utf8(deployment), hours, maxKeys + 1);
        d.keys.reserve(qsizetype(keys.size()));
        for (const auto &row : keys)
            d.keys.append(pg::text(row[0]));
        if (d.keys.size() > maxKeys) {
            d.truncated = true;
            d.keys.resize(maxKeys);
        }
        for (const auto &row : tx.exec_params(kMaeSql, pg::utf8(deployment), hours)) {
            if (pg::text(row[0]) == QLatin1String("ml"))
                d.mlMae = number(row[1]);
            else if (pg::text(row[0]) == QLatin1String("heuristic"))
                d.heuristicMae = number(row[1]);
        }
        return d;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the what-if data of \"%1\"").arg(deployment));
    }
}

Result<std::optional<double>> WindowMetricsQuery::mlMae(const QString &deployment, int days)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return number(tx.exec_params1(kMlMaeSql, pg::utf8(deployment), days)[0]);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("computing the MAE of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
