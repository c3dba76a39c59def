-- MLDeck schema, step 12: classification deployments, live (resources/contract/classification.md).
-- A classifier's classes and decision threshold, the predicted class and probability vector in the
-- prediction log, and per-minute / per-hour classification aggregates kept by the database exactly
-- as the regression ones of step 7 (same key, same lock protocol, same late / corrected / early
-- label rules). A regression deployment pays nothing: its batches are skipped after one scan.

-- The classes of a classifier, in the order of the model's output, and its decision threshold
-- (binary: the positive class when P(positive) >= threshold). NULL classes: not known yet.
ALTER TABLE mldeck.deployments
    ADD COLUMN classes            text[],
    ADD COLUMN decision_threshold double precision NOT NULL DEFAULT 0.5,
    ADD CONSTRAINT deployments_classes CHECK (
        classes IS NULL OR (task = 'classification' AND array_ndims(classes) = 1
                            AND cardinality(classes) BETWEEN 2 AND 100 AND array_position(classes, NULL) IS NULL)),
    ADD CONSTRAINT deployments_decision_threshold CHECK (decision_threshold > 0 AND decision_threshold < 1);

-- predicted_class: the index of the served class in the deployment's classes; `predicted` is then
-- the probability of that class. probabilities: the whole vector, when K <= 20 (ClassSpec.h).
ALTER TABLE mldeck.predictions
    ADD COLUMN predicted_class smallint CHECK (predicted_class >= 0),
    ADD COLUMN probabilities   real[] CHECK (cardinality(probabilities) <= 20);

-- One row per (deployment, bucket, path, model version): the fields of stats::ClassificationSums
-- (core/stats/kpi/ClassificationSums.h states what each one sums). Arrays are dense, 1-based
-- element i + 1 holding index i of the C++ vector: K = classes; calibration bins 10; score bins 64.
CREATE TABLE mldeck.kpi_class_minute (
    deployment           text               NOT NULL,
    bucket               timestamptz        NOT NULL,
    path                 text               NOT NULL,
    model_version        text               NOT NULL DEFAULT '',
    classes              integer            NOT NULL,
    predicted_count      bigint[]           NOT NULL, -- [K]
    sum_confidence       double precision   NOT NULL DEFAULT 0,
    score_count          bigint[]           NOT NULL, -- [10]
    score_sum            double precision[] NOT NULL, -- [10]
    served_score_count   bigint[]           NOT NULL, -- binary [2 * 64], served class major; else '{}'
    expected_confusion   double precision[] NOT NULL, -- [K * K], actual major; '{}' when K > 20 (no vector)
    confusion            bigint[]           NOT NULL, -- [K * K], actual major
    loss_count           bigint             NOT NULL DEFAULT 0,
    sum_log_loss         double precision   NOT NULL DEFAULT 0,
    sum_brier            double precision   NOT NULL DEFAULT 0,
    calibration_count    bigint[]           NOT NULL, -- [10]
    calibration_sum      double precision[] NOT NULL, -- [10]
    calibration_positive bigint[]           NOT NULL, -- [10]
    score_histogram      bigint[]           NOT NULL, -- [Kh * 2 * 64], Kh = 1 binary, K multi-class; '{}' when K > 20
    writer_xid           xid8               NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (deployment, bucket, path, model_version)
);
CREATE TABLE mldeck.kpi_class_hour (LIKE mldeck.kpi_class_minute INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                                    PRIMARY KEY (deployment, bucket, path, model_version));

-- Calibration bin of a score: EXACTLY stats::calibrationBin (NaN and scores <= 0 in bin 0, 1 in bin 9).
CREATE FUNCTION mldeck.kpi_calibration_bin(s double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s IS NULL THEN NULL
                WHEN s = 'NaN'::float8 OR NOT (s > 0::float8) THEN 0
                ELSE least(floor(s * 10::float8), 9::float8)::integer END
$$;

-- Score bin of a probability: EXACTLY stats::scoreBin (same double arithmetic, same libm log):
-- floor((ln(p / (1 - p)) + 8) / 16 * 64) clamped to 0..63; p <= 0 and NaN in bin 0, p >= 1 in bin 63.
CREATE FUNCTION mldeck.kpi_score_bin(p double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p IS NULL THEN NULL
                WHEN p = 'NaN'::float8 OR NOT (p > 0::float8) THEN 0
                WHEN p >= 1::float8 THEN 63
                ELSE greatest(0::float8, least(63::float8,
                         floor((ln(p / (1::float8 - p)) + 8::float8) / (2::float8 * 8::float8) * 64::float8)))::integer END
$$;

-- A dense array of `len` elements from (0-based index, value) pairs of one group. Loops over the
-- group's cells (at most a few K * K), never over the rows of a batch.
CREATE FUNCTION mldeck.kpi_class_dense(len integer, idx integer[], val bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    r bigint[];
BEGIN
    IF len <= 0 THEN
        RETURN '{}'::bigint[];
    END IF;
    r := array_fill(0::bigint, ARRAY[len]);
    FOR n IN 1 .. coalesce(cardinality(idx), 0) LOOP
        r[idx[n] + 1] := r[idx[n] + 1] + val[n];
    END LOOP;
    RETURN r;
END
$$;
CREATE FUNCTION mldeck.kpi_class_dense(len integer, idx integer[], val double precision[]) RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    r double precision[];
BEGIN
    IF len <= 0 THEN
        RETURN '{}'::double precision[];
    END IF;
    r := array_fill(0::float8, ARRAY[len]);
    FOR n IN 1 .. coalesce(cardinality(idx), 0) LOOP
        r[idx[n] + 1] := r[idx[n] + 1] + val[n];
    END LOOP;
    RETURN r;
END
$$;

-- Element-wise sum of two dense arrays of the same length. An all-zero b (most arrays of most
-- deltas: no label in a batch of predictions, no new prediction in a batch of outcomes) returns a
-- at C speed; otherwise only b's non-zero elements are added.
CREATE FUNCTION mldeck.kpi_class_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    i bigint;
    x bigint;
BEGIN
    IF coalesce(cardinality(b), 0) = 0 OR b = array_fill(0::bigint, ARRAY[cardinality(b)]) THEN
        RETURN a;
    END IF;
    FOR i, x IN SELECT n, v FROM unnest(b) WITH ORDINALITY AS u(v, n) WHERE v <> 0 LOOP
        a[i] := a[i] + x;
    END LOOP;
    RETURN a;
END
$$;
CREATE FUNCTION mldeck.kpi_class_add(a double precision[], b double precision[]) RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    i bigint;
    x double precision;
BEGIN
    IF coalesce(cardinality(b), 0) = 0 OR b = array_fill(0::float8, ARRAY[cardinality(b)]) THEN
        RETURN a;
    END IF;
    FOR i, x IN SELECT n, v FROM unnest(b) WITH ORDINALITY AS u(v, n) WHERE v <> 0 LOOP
        a[i] := a[i] + x;
    END LOOP;
    RETURN a;
END
$$;

-- Adds the sparse cells (0-based index, value) of one group to a dense array: what an update of an
-- existing row costs, whatever K (a batch of outcomes touches a few cells of many rows).
CREATE FUNCTION mldeck.kpi_class_apply(a bigint[], idx integer[], val bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    FOR n IN 1 .. coalesce(cardinality(idx), 0) LOOP
        a[idx[n] + 1] := a[idx[n] + 1] + val[n];
    END LOOP;
    RETURN a;
END
$$;
CREATE FUNCTION mldeck.kpi_class_apply(a double precision[], idx integer[], val double precision[])
RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    FOR n IN 1 .. coalesce(cardinality(idx), 0) LOOP
        a[idx[n] + 1] := a[idx[n] + 1] + val[n];
    END LOOP;
    RETURN a;
END
$$;

-- The fold: one statement that aggregates a source of delta rows
--   (deployment, ts, path, v, k, n, sgn, c, a, q, probs)
-- (k: the deployment's K; n: 1 for a counted prediction, 0 for an outcome delta; sgn: +1/-1 label
-- of actual class a added or removed, 0: none; c: predicted class; q: `predicted`, the probability
-- of c; probs: the logged vector) into kpi_class_minute and kpi_class_hour, adding to existing rows.
-- Set-based: every row becomes a few (field, index) cells, every row with a vector K element cells;
-- cells are summed per (group, field, index), hour cells from minute cells, then each group's cells
-- become its dense arrays. Conventions (ClassificationSums.h): a label counts only when a is a
-- whole number in [0, K); p is the logged vector when it has K non-NULL elements, else on a binary
-- deployment {1 - P(pos), P(pos)} from c and q; the score is P(pos) (binary) or p[c] (multi-class).
-- Writing: `sparse` false (predictions, rebuild): INSERT ... ON CONFLICT DO UPDATE in key order (no
-- deadlock between concurrent prediction writers; a batch of live traffic touches a few rows);
-- `sparse` true (outcomes, under the exclusive lock, so no concurrent writer of these rows): UPDATE
-- of the existing rows with their sparse cells (a batch of late labels touches a few cells of many
-- rows), then the insert for the rows that were not there.
-- Generated here and pasted into the functions below; dropped at the end of this step.
CREATE FUNCTION mldeck.kpi_class_fold_sql(src text, sparse boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    sql text;
    lvl text;
BEGIN
    sql := format($f$WITH src AS (%1$s),
rows_m AS MATERIALIZED (
    SELECT deployment, b, path, v, k, n, sgn, c, a, pv, conf, CASE WHEN k = 2 THEN pv[2] ELSE conf END AS s
    FROM (SELECT deployment, b, path, v, k, n, sgn, c, a, pv, coalesce(pv[c + 1], q) AS conf
          FROM (SELECT deployment, date_trunc('minute', ts, 'UTC') AS b, path, v, k, n,
                       CASE WHEN a >= 0 AND a < k AND a = floor(a) THEN sgn ELSE 0 END AS sgn, c,
                       CASE WHEN a >= 0 AND a < k AND a = floor(a) THEN a::integer END AS a,
                       CASE WHEN cardinality(probs) = k AND array_position(probs, NULL) IS NULL THEN probs::float8[]
                            WHEN k = 2 THEN ARRAY[1::float8 - CASE WHEN c = 1 THEN q ELSE 1::float8 - q END,
                                                  CASE WHEN c = 1 THEN q ELSE 1::float8 - q END] END AS pv,
                       q
                FROM src OFFSET 0) x) y -- OFFSET 0: pv computed once per row, not once per reference
    WHERE n <> 0 OR sgn <> 0),
g_m AS MATERIALIZED (
    -- Rows that share every cell index are summed once: a batch of live traffic has a few hundred
    -- such groups, whatever its size. hv: the row has a vector (its loss and Brier are known).
    SELECT deployment, b, path, v, k, c, a, hv, cb, sb, sum(n) AS n, sum(sgn) AS sgn, sum(n * s) AS ns,
           sum(sgn * s) AS ss, sum(n * conf) AS nconf,
           -- The expected confusion's column of class c: the vectors summed (K <= 20), no row per class.
           ARRAY[%2$s] AS ev,
           coalesce(sum(sgn * -ln(greatest(1e-15::float8, least(1::float8 - 1e-15::float8, pv[a + 1]))))
                    FILTER (WHERE sgn <> 0 AND hv), 0) AS ll,
           coalesce(sum(sgn * ((s - (a = 1)::integer) * (s - (a = 1)::integer))) FILTER (WHERE sgn <> 0 AND k = 2),
                    0) AS bb
    FROM (SELECT *, pv IS NOT NULL AS hv, mldeck.kpi_calibration_bin(s) AS cb,
                 CASE WHEN k = 2 THEN mldeck.kpi_score_bin(s) END AS sb
          FROM rows_m) r
    GROUP BY deployment, b, path, v, k, c, a, hv, cb, sb),
el AS (
    -- Labelled multi-class rows with a vector, one row per class j: histograms and Brier.
    SELECT r.deployment, r.b, r.path, r.v, r.k, r.sgn, r.c, r.a, e.j::integer - 1 AS j, e.pk
    FROM rows_m r CROSS JOIN LATERAL unnest(r.pv) WITH ORDINALITY AS e(pk, j)
    WHERE r.k > 2 AND r.pv IS NOT NULL AND r.sgn <> 0),
cells_m AS (
    -- One branch per field (a LATERAL VALUES list costs ~30x more: it is re-initialised per row).
    SELECT deployment, b, path, v, f, i, sum(cnt)::bigint AS cnt, sum(sm) AS sm, sum(pos)::bigint AS pos
    FROM (SELECT deployment, b, path, v, 1 AS f, c AS i, n AS cnt, 0::float8 AS sm, 0::bigint AS pos
          FROM g_m WHERE n <> 0
          UNION ALL
          SELECT deployment, b, path, v, 2, cb, n, ns, 0 FROM g_m WHERE n <> 0
          UNION ALL
          SELECT deployment, b, path, v, 3, c * 64 + sb, n, 0, 0 FROM g_m WHERE n <> 0 AND k = 2
          UNION ALL
          SELECT g.deployment, g.b, g.path, g.v, 4, (j - 1) * g.k + g.c, g.n, g.ev[j], 0
          FROM g_m g CROSS JOIN LATERAL generate_series(1, g.k) AS j WHERE g.n <> 0 AND g.hv AND g.k <= 20
          UNION ALL
          SELECT deployment, b, path, v, 5, a * k + c, sgn, 0, 0 FROM g_m WHERE sgn <> 0
          UNION ALL
          SELECT deployment, b, path, v, 6, cb, sgn, ss, sgn * (CASE WHEN k = 2 THEN a = 1 ELSE a = c END)::integer
          FROM g_m WHERE sgn <> 0
          UNION ALL
          SELECT deployment, b, path, v, 8, (a = 1)::integer * 64 + sb, sgn, 0, 0 FROM g_m WHERE sgn <> 0 AND k = 2
          UNION ALL
          SELECT deployment, b, path, v, 8, j * 128 + (a = j)::integer * 64 + mldeck.kpi_score_bin(pk), sgn, 0, 0
          FROM el) u
    GROUP BY 1, 2, 3, 4, 5, 6),
cells_h AS (
    SELECT deployment, date_trunc('hour', b, 'UTC') AS b, path, v, f, i,
           sum(cnt)::bigint AS cnt, sum(sm) AS sm, sum(pos)::bigint AS pos
    FROM cells_m GROUP BY 1, 2, 3, 4, 5, 6),
scal_m AS (
    SELECT s.deployment, s.b, s.path, s.v, s.k, s.sc, s.lc, s.ll, s.bb + coalesce(m.bm, 0) AS br
    FROM (SELECT deployment, b, path, v, max(k) AS k, coalesce(sum(nconf), 0) AS sc,
                 coalesce(sum(sgn) FILTER (WHERE hv), 0) AS lc, sum(ll) AS ll, sum(bb) AS bb
          FROM g_m GROUP BY 1, 2, 3, 4) s
    LEFT JOIN (SELECT deployment, b, path, v, sum(sgn * ((pk - (a = j)::integer) * (pk - (a = j)::integer))) AS bm
               FROM el GROUP BY 1, 2, 3, 4) m USING (deployment, b, path, v)),
scal_h AS (
    SELECT deployment, date_trunc('hour', b, 'UTC') AS b, path, v, max(k) AS k, sum(sc) AS sc, sum(lc) AS lc,
           sum(ll) AS ll, sum(br) AS br
    FROM scal_m GROUP BY 1, 2, 3, 4)$f$, src,
        (SELECT string_agg(format('sum(n * pv[%s])', j), ', ' ORDER BY j) FROM generate_series(1, 20) j));
    FOREACH lvl IN ARRAY ARRAY['m', 'h'] LOOP
        sql := sql || format($f$,
arr_%1$s AS (
    SELECT s.deployment, s.b, s.path, s.v, s.k, s.sc, s.lc, s.ll, s.br, a.i1, a.c1, a.i2, a.c2, a.s2, a.i3, a.c3,
           a.i4, a.s4, a.i5, a.c5, a.i6, a.c6, a.s6, a.p6, a.i8, a.c8,
           -- Sizes: served score counts binary only; expected confusion and histograms need a vector (K <= 20).
           CASE WHEN s.k = 2 THEN 128 ELSE 0 END AS n3, CASE WHEN s.k <= 20 THEN s.k * s.k ELSE 0 END AS n4,
           CASE WHEN s.k = 2 THEN 128 WHEN s.k <= 20 THEN s.k * 128 ELSE 0 END AS n8
    FROM scal_%1$s s
    LEFT JOIN (SELECT deployment, b, path, v,
                      array_agg(i) FILTER (WHERE f = 1) AS i1, array_agg(cnt) FILTER (WHERE f = 1) AS c1,
                      array_agg(i) FILTER (WHERE f = 2) AS i2, array_agg(cnt) FILTER (WHERE f = 2) AS c2,
                      array_agg(sm) FILTER (WHERE f = 2) AS s2,
                      array_agg(i) FILTER (WHERE f = 3) AS i3, array_agg(cnt) FILTER (WHERE f = 3) AS c3,
                      array_agg(i) FILTER (WHERE f = 4) AS i4, array_agg(sm) FILTER (WHERE f = 4) AS s4,
                      array_agg(i) FILTER (WHERE f = 5) AS i5, array_agg(cnt) FILTER (WHERE f = 5) AS c5,
                      array_agg(i) FILTER (WHERE f = 6) AS i6, array_agg(cnt) FILTER (WHERE f = 6) AS c6,
                      array_agg(sm) FILTER (WHERE f = 6) AS s6, array_agg(pos) FILTER (WHERE f = 6) AS p6,
                      array_agg(i) FILTER (WHERE f = 8) AS i8, array_agg(cnt) FILTER (WHERE f = 8) AS c8
               FROM cells_%1$s GROUP BY 1, 2, 3, 4) a USING (deployment, b, path, v))$f$, lvl);
        IF sparse THEN
            sql := sql || format($f$,
upd_%1$s AS (
    UPDATE mldeck.kpi_class_%2$s AS t SET
        classes = greatest(t.classes, g.k),
        predicted_count = CASE WHEN g.i1 IS NULL THEN t.predicted_count
            ELSE mldeck.kpi_class_apply(t.predicted_count, g.i1, g.c1) END,
        sum_confidence = t.sum_confidence + g.sc,
        score_count = CASE WHEN g.i2 IS NULL THEN t.score_count
            ELSE mldeck.kpi_class_apply(t.score_count, g.i2, g.c2) END,
        score_sum = CASE WHEN g.i2 IS NULL THEN t.score_sum
            ELSE mldeck.kpi_class_apply(t.score_sum, g.i2, g.s2) END,
        served_score_count = CASE WHEN g.i3 IS NULL THEN t.served_score_count
            ELSE mldeck.kpi_class_apply(t.served_score_count, g.i3, g.c3) END,
        expected_confusion = CASE WHEN g.i4 IS NULL THEN t.expected_confusion
            ELSE mldeck.kpi_class_apply(t.expected_confusion, g.i4, g.s4) END,
        confusion = CASE WHEN g.i5 IS NULL THEN t.confusion
            ELSE mldeck.kpi_class_apply(t.confusion, g.i5, g.c5) END,
        loss_count = t.loss_count + g.lc,
        sum_log_loss = t.sum_log_loss + g.ll,
        sum_brier = t.sum_brier + g.br,
        calibration_count = CASE WHEN g.i6 IS NULL THEN t.calibration_count
            ELSE mldeck.kpi_class_apply(t.calibration_count, g.i6, g.c6) END,
        calibration_sum = CASE WHEN g.i6 IS NULL THEN t.calibration_sum
            ELSE mldeck.kpi_class_apply(t.calibration_sum, g.i6, g.s6) END,
        calibration_positive = CASE WHEN g.i6 IS NULL THEN t.calibration_positive
            ELSE mldeck.kpi_class_apply(t.calibration_positive, g.i6, g.p6) END,
        score_histogram = CASE WHEN g.i8 IS NULL THEN t.score_histogram
            ELSE mldeck.kpi_class_apply(t.score_histogram, g.i8, g.c8) END,
        writer_xid = pg_current_xact_id()
    FROM arr_%1$s g
    WHERE t.deployment = g.deployment AND t.bucket = g.b AND t.path = g.path AND t.model_version = g.v
    RETURNING t.deployment, t.bucket AS b, t.path, t.model_version AS v)$f$,
                lvl, CASE lvl WHEN 'm' THEN 'minute' ELSE 'hour' END);
        END IF;
        sql := sql || format($f$,
up_%1$s AS (
    INSERT INTO mldeck.kpi_class_%2$s AS t (deployment, bucket, path, model_version, classes, predicted_count,
                                         sum_confidence, score_count, score_sum, served_score_count, expected_confusion,
                                         confusion, loss_count, sum_log_loss, sum_brier, calibration_count,
                                         calibration_sum, calibration_positive, score_histogram, writer_xid)
    SELECT g.deployment, g.b, g.path, g.v, g.k,
           -- A field without cells is a run of zeros (array_fill, in C); else its cells made dense.
           CASE WHEN g.i1 IS NULL THEN array_fill(0::bigint, ARRAY[g.k])
                ELSE mldeck.kpi_class_dense(g.k, g.i1, g.c1) END,
           g.sc,
           CASE WHEN g.i2 IS NULL THEN array_fill(0::bigint, ARRAY[10]) ELSE mldeck.kpi_class_dense(10, g.i2, g.c2) END,
           CASE WHEN g.i2 IS NULL THEN array_fill(0::float8, ARRAY[10]) ELSE mldeck.kpi_class_dense(10, g.i2, g.s2) END,
           CASE WHEN g.i3 IS NULL THEN array_fill(0::bigint, ARRAY[g.n3])
                ELSE mldeck.kpi_class_dense(g.n3, g.i3, g.c3) END,
           CASE WHEN g.i4 IS NULL THEN array_fill(0::float8, ARRAY[g.n4])
                ELSE mldeck.kpi_class_dense(g.n4, g.i4, g.s4) END,
           CASE WHEN g.i5 IS NULL THEN array_fill(0::bigint, ARRAY[g.k * g.k])
                ELSE mldeck.kpi_class_dense(g.k * g.k, g.i5, g.c5) END,
           g.lc, g.ll, g.br,
           CASE WHEN g.i6 IS NULL THEN array_fill(0::bigint, ARRAY[10]) ELSE mldeck.kpi_class_dense(10, g.i6, g.c6) END,
           CASE WHEN g.i6 IS NULL THEN array_fill(0::float8, ARRAY[10]) ELSE mldeck.kpi_class_dense(10, g.i6, g.s6) END,
           CASE WHEN g.i6 IS NULL THEN array_fill(0::bigint, ARRAY[10]) ELSE mldeck.kpi_class_dense(10, g.i6, g.p6) END,
           CASE WHEN g.i8 IS NULL THEN array_fill(0::bigint, ARRAY[g.n8])
                ELSE mldeck.kpi_class_dense(g.n8, g.i8, g.c8) END,
           pg_current_xact_id()
    FROM arr_%1$s g
    %3$s
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (deployment, bucket, path, model_version) DO UPDATE SET
        classes = greatest(t.classes, EXCLUDED.classes),
        predicted_count = mldeck.kpi_class_add(t.predicted_count, EXCLUDED.predicted_count),
        sum_confidence = t.sum_confidence + EXCLUDED.sum_confidence,
        score_count = mldeck.kpi_class_add(t.score_count, EXCLUDED.score_count),
        score_sum = mldeck.kpi_class_add(t.score_sum, EXCLUDED.score_sum),
        served_score_count = mldeck.kpi_class_add(t.served_score_count, EXCLUDED.served_score_count),
        expected_confusion = mldeck.kpi_class_add(t.expected_confusion, EXCLUDED.expected_confusion),
        confusion = mldeck.kpi_class_add(t.confusion, EXCLUDED.confusion),
        loss_count = t.loss_count + EXCLUDED.loss_count,
        sum_log_loss = t.sum_log_loss + EXCLUDED.sum_log_loss,
        sum_brier = t.sum_brier + EXCLUDED.sum_brier,
        calibration_count = mldeck.kpi_class_add(t.calibration_count, EXCLUDED.calibration_count),
        calibration_sum = mldeck.kpi_class_add(t.calibration_sum, EXCLUDED.calibration_sum),
        calibration_positive = mldeck.kpi_class_add(t.calibration_positive, EXCLUDED.calibration_positive),
        score_histogram = mldeck.kpi_class_add(t.score_histogram, EXCLUDED.score_histogram),
        writer_xid = pg_current_xact_id()
    RETURNING 1)$f$, lvl, CASE lvl WHEN 'm' THEN 'minute' ELSE 'hour' END,
            CASE WHEN sparse THEN format('WHERE NOT EXISTS (SELECT 1 FROM upd_%s u WHERE u.deployment = g.deployment '
                                         'AND u.b = g.b AND u.path = g.path AND u.v = g.v)', lvl)
                 ELSE '' END);
    END LOOP;
    IF sparse THEN
        RETURN sql || ' SELECT (SELECT count(*) FROM up_m) + (SELECT count(*) FROM up_h) '
                   || '+ (SELECT count(*) FROM upd_m) + (SELECT count(*) FROM upd_h)';
    END IF;
    RETURN sql || ' SELECT (SELECT count(*) FROM up_m) + (SELECT count(*) FROM up_h)';
END
$$;

-- The rows a classification deployment counts (ClassificationSums.h): not failed, a probability,
-- a predicted class in [0, K). Pasted into the sources below.
CREATE FUNCTION mldeck.kpi_class_counted(r text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('NOT %1$s.failed AND %1$s.predicted IS NOT NULL AND %1$s.predicted_class < d.k', r)
$$;

DO $do$
BEGIN
    -- Predictions: the classification rows of the batch, labelled at once when their request key
    -- already has an outcome. Runs before kpi_predictions (triggers fire by name) under the same
    -- shared lock; a batch without a predicted class returns after one scan of the batch.
    EXECUTE format($f$
CREATE FUNCTION mldeck.kpi_class_on_predictions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    written bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE predicted_class IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    PERFORM mldeck.kpi_lock(ARRAY(SELECT DISTINCT deployment FROM new_rows), false);
    %s INTO written;
    RETURN NULL;
END
$body$$f$, mldeck.kpi_class_fold_sql(format($s$
        SELECT r.deployment, r.ts, r.path, coalesce(r.model_version, '') AS v, d.k, 1 AS n,
               CASE WHEN s.actual IS NULL THEN 0 ELSE 1 END AS sgn, r.predicted_class::integer AS c, s.actual AS a,
               r.predicted AS q, r.probabilities AS probs
        FROM new_rows r
        JOIN (SELECT name, cardinality(classes) AS k FROM mldeck.deployments WHERE classes IS NOT NULL) d
          ON d.name = r.deployment
        LEFT JOIN mldeck.kpi_outcome_state s ON s.deployment = r.deployment AND s.request_key = r.request_key
        WHERE %s$s$, mldeck.kpi_class_counted('r')), false));

    -- Outcomes: the class deltas of outcomes `ids`, computed against kpi_outcome_state BEFORE it
    -- moves (kpi_apply_outcomes_base moves it), under the exclusive lock of their deployments:
    -- per request key the latest outcome wins; a newer one removes the label of the one applied
    -- before and adds its own to every counted prediction of the key, in the prediction's bucket.
    EXECUTE format($f$
CREATE FUNCTION mldeck.kpi_class_apply_outcomes(ids bigint[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    touched bigint;
BEGIN
    PERFORM mldeck.kpi_lock(ARRAY(SELECT DISTINCT o.deployment FROM mldeck.outcomes o WHERE o.id = ANY (ids)), true);
    %s INTO touched;
    RETURN touched;
END
$body$$f$, replace(mldeck.kpi_class_fold_sql($s$
        SELECT deployment, ts, path, v, k, 0 AS n, 1 AS sgn, c, actual AS a, q, probs FROM pj
        UNION ALL
        SELECT deployment, ts, path, v, k, 0, -1, c, old_actual, q, probs FROM pj WHERE old_actual IS NOT NULL$s$,
        true), 'WITH src AS (', $p$WITH cls AS (
        SELECT name, cardinality(classes) AS k FROM mldeck.deployments WHERE classes IS NOT NULL),
    cand AS (
        SELECT DISTINCT ON (o.deployment, o.request_key) o.id, o.observed_at, o.actual, o.deployment, o.request_key
        FROM mldeck.outcomes o JOIN cls ON cls.name = o.deployment WHERE o.id = ANY (ids)
        ORDER BY o.deployment, o.request_key, o.observed_at DESC, o.id DESC),
    changed AS (
        SELECT c.*, s.actual AS old_actual
        FROM cand c LEFT JOIN mldeck.kpi_outcome_state s USING (deployment, request_key)
        WHERE s.deployment IS NULL OR (c.observed_at, c.id) > (s.observed_at, s.outcome_id)),
    pj AS (
        SELECT p.deployment, p.ts, p.path, coalesce(p.model_version, '') AS v, d.k, p.predicted_class::integer AS c,
               p.predicted AS q, p.probabilities AS probs, c.actual, c.old_actual
        FROM changed c
        JOIN cls d ON d.name = c.deployment
        JOIN mldeck.predictions p ON p.deployment = c.deployment AND p.request_key = c.request_key
         AND $p$ || mldeck.kpi_class_counted('p') || $p$),
    src AS ($p$));

    -- Recomputes the class aggregates of one deployment over [lo, hi) (whole hours, checked and
    -- locked by kpi_rebuild) from the raw predictions and the applied outcome of each key.
    EXECUTE format($f$
CREATE FUNCTION mldeck.kpi_class_rebuild(p_deployment text, lo timestamptz, hi timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    written bigint;
BEGIN
    DELETE FROM mldeck.kpi_class_minute WHERE deployment = p_deployment AND bucket >= lo AND bucket < hi;
    DELETE FROM mldeck.kpi_class_hour WHERE deployment = p_deployment AND bucket >= lo AND bucket < hi;
    IF NOT EXISTS (SELECT 1 FROM mldeck.deployments WHERE name = p_deployment AND classes IS NOT NULL) THEN
        RETURN 0;
    END IF;
    -- Planned for these values (not a cached generic plan): this may read millions of rows.
    EXECUTE %L INTO written USING p_deployment, lo, hi;
    RETURN written;
END
$body$$f$, mldeck.kpi_class_fold_sql(format($s$
        SELECT r.deployment, r.ts, r.path, coalesce(r.model_version, '') AS v, d.k, 1 AS n,
               CASE WHEN s.actual IS NULL THEN 0 ELSE 1 END AS sgn, r.predicted_class::integer AS c, s.actual AS a,
               r.predicted AS q, r.probabilities AS probs
        FROM mldeck.predictions r
        JOIN (SELECT name, cardinality(classes) AS k FROM mldeck.deployments WHERE classes IS NOT NULL) d
          ON d.name = r.deployment
        LEFT JOIN mldeck.kpi_outcome_state s ON s.deployment = r.deployment AND s.request_key = r.request_key
        WHERE r.deployment = $1 AND r.ts >= $2 AND r.ts < $3 AND %s$s$, mldeck.kpi_class_counted('r')), false));
END
$do$;
DROP FUNCTION mldeck.kpi_class_fold_sql(text, boolean);
DROP FUNCTION mldeck.kpi_class_counted(text);

CREATE TRIGGER kpi_class_predictions AFTER INSERT ON mldeck.predictions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mldeck.kpi_class_on_predictions();

-- Outcome application of step 7 keeps its job (the state, the regression columns) under a new name;
-- kpi_apply_outcomes applies the class deltas first, while the state still holds the old labels.
ALTER FUNCTION mldeck.kpi_apply_outcomes(bigint[]) RENAME TO kpi_apply_outcomes_base;
CREATE FUNCTION mldeck.kpi_apply_outcomes(ids bigint[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched bigint := 0;
BEGIN
    IF EXISTS (SELECT 1 FROM mldeck.deployments WHERE classes IS NOT NULL) THEN
        touched := mldeck.kpi_class_apply_outcomes(ids);
    END IF;
    RETURN touched + mldeck.kpi_apply_outcomes_base(ids);
END
$$;

-- The outcome trigger of step 7, with the class deltas only for a batch that has rows of a classifier.
CREATE OR REPLACE FUNCTION mldeck.kpi_on_outcomes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids bigint[];
BEGIN
    IF current_setting('transaction_isolation') = 'read committed' THEN
        ids := ARRAY(SELECT id FROM new_rows);
        IF EXISTS (SELECT 1 FROM new_rows n JOIN mldeck.deployments d ON d.name = n.deployment
                   WHERE d.classes IS NOT NULL) THEN
            PERFORM mldeck.kpi_class_apply_outcomes(ids);
        END IF;
        PERFORM mldeck.kpi_apply_outcomes_base(ids);
    ELSE
        INSERT INTO mldeck.kpi_pending_outcomes (outcome_id, deployment)
        SELECT id, deployment FROM new_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

-- Rebuild of step 7 (validation, lock, regression columns) under a new name; kpi_rebuild adds the
-- class tables over the same whole hours.
ALTER FUNCTION mldeck.kpi_rebuild(text, timestamptz, timestamptz) RENAME TO kpi_rebuild_base;
CREATE FUNCTION mldeck.kpi_rebuild(p_deployment text, p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    written bigint;
    lo timestamptz;
    hi timestamptz;
BEGIN
    written := mldeck.kpi_rebuild_base(p_deployment, p_from, p_to);
    lo := date_trunc('hour', p_from, 'UTC');
    hi := date_trunc('hour', p_to, 'UTC');
    IF hi < p_to THEN
        hi := hi + interval '1 hour';
    END IF;
    RETURN written + mldeck.kpi_class_rebuild(p_deployment, lo, hi);
END
$$;

-- Feedback on a BINARY classifier is a label: "right" gives the served class, "wrong" the other
-- one, observed at the feedback's ts (so a later outcome of the key still wins). The served class
-- is that of the key's latest counted prediction; feedback on a key with no prediction yet gives
-- no label. The outcome goes through mldeck.outcomes and its trigger like any other.
CREATE FUNCTION mldeck.kpi_class_on_feedback() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key)
    SELECT f.ts, CASE WHEN f.positive THEN p.c ELSE 1 - p.c END, f.deployment, f.request_key
    FROM new_rows f
    JOIN mldeck.deployments d ON d.name = f.deployment AND cardinality(d.classes) = 2
    CROSS JOIN LATERAL (SELECT x.predicted_class AS c FROM mldeck.predictions x
                        WHERE x.deployment = f.deployment AND x.request_key = f.request_key AND NOT x.failed
                          AND x.predicted IS NOT NULL AND x.predicted_class IN (0, 1)
                        ORDER BY x.ts DESC LIMIT 1) p
    ORDER BY f.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER kpi_class_feedback AFTER INSERT ON mldeck.feedback
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mldeck.kpi_class_on_feedback();

-- Rows logged before this step have no predicted class: nothing to backfill.

REVOKE ALL ON FUNCTION mldeck.kpi_apply_outcomes(bigint[]), mldeck.kpi_class_apply_outcomes(bigint[]),
    mldeck.kpi_class_rebuild(text, timestamptz, timestamptz), mldeck.kpi_rebuild(text, timestamptz, timestamptz)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION mldeck.kpi_rebuild_base(text, timestamptz, timestamptz) FROM PUBLIC, mldeck_operator,
    mldeck_scientist;
GRANT EXECUTE ON FUNCTION mldeck.kpi_rebuild(text, timestamptz, timestamptz) TO mldeck_operator, mldeck_scientist;
GRANT SELECT ON mldeck.kpi_class_minute, mldeck.kpi_class_hour TO mldeck_viewer;
-- A scientist creates a classifier with its classes and changes its threshold (DeploymentStore audits both).
GRANT INSERT (classes, decision_threshold) ON mldeck.deployments TO mldeck_scientist;
GRANT UPDATE (decision_threshold) ON mldeck.deployments TO mldeck_scientist;
