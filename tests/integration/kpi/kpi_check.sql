-- Exact recomputation of mldeck.kpi_LEVEL from the raw rows; returns the buckets that differ
-- (missing on either side, counts or sketch bins not equal, sums beyond 1e-9 relative).
WITH lo AS (
    SELECT DISTINCT ON (deployment, request_key) deployment, request_key, actual
    FROM mldeck.outcomes ORDER BY deployment, request_key, observed_at DESC, id DESC),
r AS (
    SELECT p.deployment, date_trunc('LEVEL', p.ts, 'UTC') AS b, p.path, coalesce(p.model_version, '') AS v,
           (p.failed OR p.predicted IS NULL) AS f, p.latency_ms::float8 AS lat, p.predicted AS p,
           CASE WHEN NOT (p.failed OR p.predicted IS NULL) THEN lo.actual END AS a
    FROM mldeck.predictions p LEFT JOIN lo USING (deployment, request_key)),
sk AS (
    SELECT deployment, b, path, v, string_agg(bin || ':' || c, ',' ORDER BY bin) AS bins
    FROM (SELECT deployment, b, path, v, mldeck.kpi_latency_bin(lat) AS bin, count(*) AS c FROM r GROUP BY 1, 2, 3, 4, 5) x
    GROUP BY 1, 2, 3, 4),
ex AS (
    SELECT deployment, b, path, v, count(*) AS n, count(*) FILTER (WHERE f) AS nf, sum(lat) AS ls,
           count(a) AS lab, coalesce(sum(p - a), 0) AS e, coalesce(sum(abs(p - a)), 0) AS ae,
           coalesce(sum((p - a) * (p - a)), 0) AS se, coalesce(sum(a), 0) AS sa, coalesce(sum(a * a), 0) AS saa,
           coalesce(sum(abs(p - a) / abs(a) * 100) FILTER (WHERE a <> 0), 0) AS ape,
           count(a) FILTER (WHERE a <> 0) AS apec,
           ARRAY(SELECT 0) AS dummy
    FROM r GROUP BY 1, 2, 3, 4),
ge AS (
    SELECT deployment, b, path, v,
           array_agg(cg ORDER BY x) AS ge, array_agg(cb ORDER BY x) AS bge
    FROM (SELECT r.deployment, r.b, r.path, r.v, x, count(*) FILTER (WHERE a >= x) AS cg,
                 count(*) FILTER (WHERE a >= x AND p >= x) AS cb
          FROM r CROSS JOIN generate_series(1, 30) x GROUP BY 1, 2, 3, 4, 5) y
    GROUP BY 1, 2, 3, 4),
k AS (
    SELECT deployment, bucket AS b, path, model_version AS v, count, failed, latency_sum, labelled, sum_err,
           sum_abs_err, sum_sq_err, sum_actual, sum_sq_actual, sum_ape, ape_count, actual_ge, both_ge,
           (SELECT string_agg((lat_offset + (o - 1)::int) || ':' || c, ',' ORDER BY o)
            FROM unnest(lat_counts) WITH ORDINALITY AS u(c, o) WHERE c > 0) AS bins
    FROM mldeck.kpi_LEVEL)
SELECT coalesce(ex.deployment, k.deployment), coalesce(ex.b, k.b), coalesce(ex.path, k.path), coalesce(ex.v, k.v)
FROM ex JOIN sk USING (deployment, b, path, v) JOIN ge USING (deployment, b, path, v)
FULL JOIN k USING (deployment, b, path, v)
WHERE ex.n IS NULL OR k.count IS NULL
   OR ex.n <> k.count OR ex.nf <> k.failed OR ex.lab <> k.labelled OR ex.apec <> k.ape_count
   OR sk.bins IS DISTINCT FROM k.bins OR ge.ge <> k.actual_ge OR ge.bge <> k.both_ge
   OR abs(ex.ls - k.latency_sum) > 1e-9 * (1 + abs(ex.ls))
   OR abs(ex.e - k.sum_err) > 1e-9 * (1 + ex.ae)
   OR abs(ex.ae - k.sum_abs_err) > 1e-9 * (1 + ex.ae)
   OR abs(ex.se - k.sum_sq_err) > 1e-9 * (1 + ex.se)
   OR abs(ex.sa - k.sum_actual) > 1e-9 * (1 + ex.saa + abs(ex.sa))
   OR abs(ex.saa - k.sum_sq_actual) > 1e-9 * (1 + ex.saa)
   OR abs(ex.ape - k.sum_ape) > 1e-9 * (1 + ex.ape)
