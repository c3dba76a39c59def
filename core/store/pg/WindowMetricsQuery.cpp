#include "core/store/pg/WindowMetricsQuery.h"

#include "core/Text.h"
#include "core/stats/kpi/ClassificationFigures.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/RawRowsCheck.h"

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

// The nanny's estimated MAE over the window's ML predictions it scored (per minute in kpi_minute):
// whole minutes inside the window only, so that a step's gate never reads the previous step's minute.
// Before the deployment's minute horizon retention folded the minutes into kpi_hour (step 23,
// resources/contract/retention.md): whole hours inside the window there, the minute rows after it.
constexpr char kEstimatedMaeSql[] = R"SQL(
WITH w AS (
    SELECT date_trunc('minute', now() - make_interval(secs => $2::double precision)) + interval '1 minute' AS lo,
           coalesce((SELECT minutes_before FROM mldeck.retention_horizons WHERE deployment = $1),
                    '-infinity'::timestamptz) AS folded
)
SELECT sum(s) / nullif(sum(c), 0) FROM (
    SELECT est_abs_err_sum AS s, est_count AS c FROM mldeck.kpi_minute, w
    WHERE deployment = $1 AND path = 'ml' AND bucket >= greatest(w.lo, w.folded)
    UNION ALL
    SELECT est_abs_err_sum, est_count FROM mldeck.kpi_hour, w
    WHERE deployment = $1 AND path = 'ml' AND bucket >= date_trunc('hour', w.lo + interval '59 minutes', 'UTC')
      AND bucket < w.folded
) e
)SQL";

// The number of classes of a classification deployment (0: regression, or classes not known yet).
constexpr char kClassesSql[] = R"SQL(
SELECT coalesce(cardinality(classes), 0) FROM mldeck.deployments WHERE name = $1 AND task = 'classification'
)SQL";

// A classifier's ML predictions of the window, with their latest outcome, grouped by (served class,
// true class or -1 when unlabelled, calibration bin of the score) into the parts of ClassificationSums
// the guard and the gates read. The conventions are those of ClassificationSums.h: p = the probability
// vector, or {1 - P(pos), P(pos)} from the served class's probability on a binary row without one; the
// score is P(pos) on a binary deployment and the confidence otherwise; the log-loss clips p[actual] to
// [1e-15, 1 - 1e-15]; a true class outside 0..K-1 leaves the row unlabelled. $3 = K.
constexpr char kClassWindowSql[] = R"SQL(
WITH w AS (
    SELECT p.predicted_class AS c, p.predicted::float8 AS conf, p.probabilities AS v,
           CASE WHEN o.actual = floor(o.actual) AND o.actual >= 0 AND o.actual < $3 THEN o.actual::int END AS a
    FROM mldeck.predictions p
    LEFT JOIN LATERAL (SELECT actual FROM mldeck.outcomes o
                       WHERE o.deployment = $1 AND o.request_key = p.request_key
                       ORDER BY o.observed_at DESC, o.id DESC LIMIT 1) o ON true
    WHERE p.ts >= now() - make_interval(secs => $2::double precision)
      AND p.deployment = $1 AND p.path = 'ml' AND NOT p.failed AND p.predicted IS NOT NULL
      AND p.predicted_class BETWEEN 0 AND $3 - 1
), r AS (
    SELECT c, conf, v, a,
           CASE WHEN cardinality(v) = 2 THEN v[2]::float8 WHEN c = 1 THEN conf ELSE 1 - conf END AS ppos,
           CASE WHEN a IS NULL THEN NULL
                WHEN cardinality(v) = $3 THEN v[a + 1]::float8
                WHEN $3 = 2 THEN CASE WHEN a = c THEN conf ELSE 1 - conf END END AS pa
    FROM w
), s AS (
    SELECT c, a, conf, ppos, pa, v, CASE WHEN $3 = 2 THEN ppos ELSE conf END AS score FROM r
)
SELECT c, coalesce(a, -1), least(9, greatest(0, floor(score * 10)))::int,
       count(*), sum(score), sum(conf), count(pa),
       coalesce(sum(-ln(least(greatest(pa, 1e-15), 1 - 1e-15))), 0),
       coalesce(sum(CASE WHEN pa IS NULL THEN NULL
                         WHEN $3 = 2 THEN (ppos - (a = 1)::int) ^ 2
                         ELSE (SELECT sum(x::float8 * x) FROM unnest(v) x) - 2 * pa + 1 END), 0)
FROM s GROUP BY 1, 2, 3
)SQL";

// ClassificationSums from the rows of kClassWindowSql.
stats::ClassificationSums classSums(const pqxx::result &rows, int k)
{
    stats::ClassificationSums s;
    s.classes = k;
    s.predictedCount.assign(size_t(k), 0);
    s.confusion.assign(size_t(k * k), 0);
    for (const auto &row : rows) {
        const int c = row[0].as<int>(), a = row[1].as<int>(), bin = row[2].as<int>();
        const qint64 n = row[3].as<qint64>();
        const double scoreSum = row[4].as<double>();
        s.predictedCount[size_t(c)] += n;
        s.sumConfidence += row[5].as<double>();
        s.scoreCount[size_t(bin)] += n;
        s.scoreSum[size_t(bin)] += scoreSum;
        if (a < 0)
            continue;
        s.confusion[size_t(a * k + c)] += n;
        s.lossCount += row[6].as<qint64>();
        s.sumLogLoss += row[7].as<double>();
        s.sumBrier += row[8].as<double>();
        s.calibrationCount[size_t(bin)] += n;
        s.calibrationSum[size_t(bin)] += scoreSum;
        // Binary: the row is positive; multi-class: the served class is right.
        if (k == 2 ? a == 1 : a == c)
            s.calibrationPositive[size_t(bin)] += n;
    }
    return s;
}

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
        const pqxx::result classes = tx.exec_params(kClassesSql, pg::utf8(deployment));
        const int k = classes.empty() ? 0 : classes[0][0].as<int>();
        if (k >= 2) {
            // A classifier's `predicted` is a probability: MAE and R² mean nothing there.
            m.mae.reset();
            m.r2.reset();
            const stats::ClassificationFigures f = stats::computeClassificationFigures(
                classSums(tx.exec_params(kClassWindowSql, pg::utf8(deployment), seconds, k), k));
            m.classifier = true;
            m.labelled = f.labelled;
            m.accuracy = f.accuracy;
            m.f1 = k == 2 ? f.f1Positive : f.macroF1;
            m.logLoss = f.logLoss;
            m.ece = f.ece;
        } else {
            m.estimatedMae = number(tx.exec_params1(kEstimatedMaeSql, pg::utf8(deployment), seconds)[0]);
        }
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
        if (const QString gone = pg::rawRowsGoneSince(tx, deployment, qint64(days) * 86'400); !gone.isEmpty())
            return Error{gone};
        return number(tx.exec_params1(kMlMaeSql, pg::utf8(deployment), days)[0]);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("computing the MAE of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
