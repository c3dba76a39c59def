-- Exact recomputation of mldeck.kpi_class_LEVEL from the raw rows (the latest outcome of each key,
-- whatever order things arrived in); returns what differs: (deployment, bucket, path, version,
-- field, index, expected, stored), a missing bucket as field 'bucket', a wrong array length as 'length'.
-- Counts must be equal, sums within 1e-9 relative. The row conventions are those of
-- core/stats/kpi/ClassificationSums.h, written here from scratch (no delta, no fold).
WITH cls AS (
    SELECT name AS deployment, cardinality(classes) AS k FROM mldeck.deployments WHERE classes IS NOT NULL),
lo AS (
    SELECT DISTINCT ON (deployment, request_key) deployment, request_key, actual
    FROM mldeck.outcomes ORDER BY deployment, request_key, observed_at DESC, id DESC),
r0 AS (
    SELECT p.deployment, date_trunc('LEVEL', p.ts, 'UTC') AS b, p.path, coalesce(p.model_version, '') AS v, cls.k,
           p.predicted_class::int AS c,
           CASE WHEN lo.actual >= 0 AND lo.actual < cls.k AND lo.actual = trunc(lo.actual) THEN lo.actual::int END AS a,
           CASE WHEN cardinality(p.probabilities) = cls.k AND array_position(p.probabilities, NULL) IS NULL
                THEN p.probabilities::float8[]
                WHEN cls.k = 2 AND p.predicted_class = 1 THEN ARRAY[1 - p.predicted, p.predicted]
                WHEN cls.k = 2 THEN ARRAY[1 - (1 - p.predicted), 1 - p.predicted] END AS pv,
           p.predicted AS q
    FROM mldeck.predictions p JOIN cls USING (deployment) LEFT JOIN lo USING (deployment, request_key)
    WHERE NOT p.failed AND p.predicted IS NOT NULL AND p.predicted_class < cls.k),
r AS (
    SELECT *, CASE WHEN k = 2 THEN pv[2] ELSE coalesce(pv[c + 1], q) END AS s, coalesce(pv[c + 1], q) AS conf FROM r0),
expected AS (
    SELECT deployment, b, path, v, f, i, sum(x) AS x
    FROM (SELECT deployment, b, path, v, 'predicted_count' AS f, c AS i, 1::float8 AS x FROM r
          UNION ALL SELECT deployment, b, path, v, 'sum_confidence', 0, conf FROM r
          UNION ALL SELECT deployment, b, path, v, 'score_count', mldeck.kpi_calibration_bin(s), 1 FROM r
          UNION ALL SELECT deployment, b, path, v, 'score_sum', mldeck.kpi_calibration_bin(s), s FROM r
          UNION ALL SELECT deployment, b, path, v, 'served_score_count', c * 64 + mldeck.kpi_score_bin(s), 1
                    FROM r WHERE k = 2
          UNION ALL SELECT deployment, b, path, v, 'expected_confusion', (j - 1)::int * k + c, pj
                    FROM r CROSS JOIN LATERAL unnest(pv) WITH ORDINALITY AS e(pj, j) WHERE pv IS NOT NULL
          UNION ALL SELECT deployment, b, path, v, 'confusion', a * k + c, 1 FROM r WHERE a IS NOT NULL
          UNION ALL SELECT deployment, b, path, v, 'loss_count', 0, 1 FROM r WHERE a IS NOT NULL AND pv IS NOT NULL
          UNION ALL SELECT deployment, b, path, v, 'sum_log_loss', 0, -ln(least(greatest(pv[a + 1], 1e-15), 1 - 1e-15))
                    FROM r WHERE a IS NOT NULL AND pv IS NOT NULL
          UNION ALL SELECT deployment, b, path, v, 'sum_brier', 0, (pv[2] - a) ^ 2 FROM r WHERE a IS NOT NULL AND k = 2
          UNION ALL SELECT deployment, b, path, v, 'sum_brier', 0,
                           (SELECT sum((pj - CASE WHEN j - 1 = a THEN 1 ELSE 0 END) ^ 2) FROM unnest(pv) WITH ORDINALITY e(pj, j))
                    FROM r WHERE a IS NOT NULL AND k > 2 AND pv IS NOT NULL
          UNION ALL SELECT deployment, b, path, v, 'calibration_count', mldeck.kpi_calibration_bin(s), 1
                    FROM r WHERE a IS NOT NULL
          UNION ALL SELECT deployment, b, path, v, 'calibration_sum', mldeck.kpi_calibration_bin(s), s
                    FROM r WHERE a IS NOT NULL
          UNION ALL SELECT deployment, b, path, v, 'calibration_positive', mldeck.kpi_calibration_bin(s), 1
                    FROM r WHERE a IS NOT NULL AND ((k = 2 AND a = 1) OR (k > 2 AND a = c))
          UNION ALL SELECT deployment, b, path, v, 'score_histogram', CASE WHEN a = 1 THEN 64 ELSE 0 END + mldeck.kpi_score_bin(s), 1
                    FROM r WHERE a IS NOT NULL AND k = 2
          UNION ALL SELECT deployment, b, path, v, 'score_histogram',
                           (j - 1)::int * 128 + CASE WHEN j - 1 = a THEN 64 ELSE 0 END + mldeck.kpi_score_bin(pj), 1
                    FROM r CROSS JOIN LATERAL unnest(pv) WITH ORDINALITY AS e(pj, j)
                    WHERE a IS NOT NULL AND k > 2 AND pv IS NOT NULL) u
    GROUP BY 1, 2, 3, 4, 5, 6),
t AS (SELECT k.*, k.bucket AS b, k.model_version AS v FROM mldeck.kpi_class_LEVEL k),
stored AS (
    SELECT t.deployment, t.b, t.path, t.v, x.f, (u.o - 1)::int AS i, u.x
    FROM t CROSS JOIN LATERAL (VALUES
        ('predicted_count', t.predicted_count::float8[]), ('score_count', t.score_count::float8[]),
        ('score_sum', t.score_sum), ('served_score_count', t.served_score_count::float8[]),
        ('expected_confusion', t.expected_confusion), ('confusion', t.confusion::float8[]),
        ('calibration_count', t.calibration_count::float8[]), ('calibration_sum', t.calibration_sum),
        ('calibration_positive', t.calibration_positive::float8[]), ('score_histogram', t.score_histogram::float8[]),
        ('sum_confidence', ARRAY[t.sum_confidence]), ('loss_count', ARRAY[t.loss_count::float8]),
        ('sum_log_loss', ARRAY[t.sum_log_loss]), ('sum_brier', ARRAY[t.sum_brier])) AS x(f, arr)
    CROSS JOIN LATERAL unnest(x.arr) WITH ORDINALITY AS u(x, o)),
buckets AS (SELECT DISTINCT deployment, b, path, v, k FROM r)
SELECT coalesce(e.deployment, s.deployment), coalesce(e.b, s.b), coalesce(e.path, s.path), coalesce(e.v, s.v),
       coalesce(e.f, s.f), coalesce(e.i, s.i), e.x, s.x
FROM expected e FULL JOIN stored s USING (deployment, b, path, v, f, i)
WHERE abs(coalesce(e.x, 0) - coalesce(s.x, 0)) > 1e-9 * (1 + abs(coalesce(e.x, 0)))
   OR (s.x IS NULL AND e.x <> 0)
UNION ALL
SELECT coalesce(e.deployment, t.deployment), coalesce(e.b, t.b), coalesce(e.path, t.path), coalesce(e.v, t.v),
       'bucket', 0, e.k, t.classes
FROM buckets e FULL JOIN t USING (deployment, b, path, v)
WHERE e.k IS NULL OR t.classes IS NULL OR e.k <> t.classes
UNION ALL
SELECT t.deployment, t.b, t.path, t.v, 'length', 0, NULL, NULL
FROM t
WHERE cardinality(t.predicted_count) <> t.classes OR cardinality(t.score_count) <> 10
   OR cardinality(t.score_sum) <> 10 OR cardinality(t.served_score_count) <> CASE WHEN t.classes = 2 THEN 128 ELSE 0 END
   OR cardinality(t.expected_confusion) <> CASE WHEN t.classes <= 20 THEN t.classes * t.classes ELSE 0 END
   OR cardinality(t.confusion) <> t.classes * t.classes
   OR cardinality(t.calibration_count) <> 10 OR cardinality(t.calibration_sum) <> 10
   OR cardinality(t.calibration_positive) <> 10
   OR cardinality(t.score_histogram) <> CASE WHEN t.classes = 2 THEN 128 WHEN t.classes <= 20 THEN t.classes * 128 ELSE 0 END
