-- MLDeck schema, step 7: incremental KPI aggregates (issue #4). Statement-level triggers fold every
-- batch of predictions, outcomes and feedback into per-minute and per-hour rows, so the dashboard
-- never scans the raw log. Design, concurrency argument and error bound: resources/contract/kpi.md.

-- One row per (deployment, bucket, path, model version): the columns of stats::KpiAccumulator.
-- writer_xid is the id of the last transaction that inserted or updated the row: readers fetch
-- "what changed since my last read" with writer_xid >= the xmin of that read's snapshot.
CREATE TABLE mldeck.kpi_minute (
    deployment    text             NOT NULL,
    bucket        timestamptz      NOT NULL,
    path          text             NOT NULL,
    model_version text             NOT NULL DEFAULT '',
    count         bigint           NOT NULL DEFAULT 0,
    failed        bigint           NOT NULL DEFAULT 0,
    latency_sum   double precision NOT NULL DEFAULT 0,
    lat_offset    integer          NOT NULL DEFAULT 0,
    lat_counts    bigint[]         NOT NULL DEFAULT '{}', -- dense sketch: lat_counts[k] counts bin lat_offset + k - 1
    labelled      bigint           NOT NULL DEFAULT 0,
    sum_err       double precision NOT NULL DEFAULT 0,
    sum_abs_err   double precision NOT NULL DEFAULT 0,
    sum_sq_err    double precision NOT NULL DEFAULT 0,
    sum_actual    double precision NOT NULL DEFAULT 0,
    sum_sq_actual double precision NOT NULL DEFAULT 0,
    sum_ape       double precision NOT NULL DEFAULT 0,
    ape_count     bigint           NOT NULL DEFAULT 0,
    actual_ge     bigint[]         NOT NULL DEFAULT array_fill(0::bigint, ARRAY[30]), -- [X] = actual >= X min
    both_ge       bigint[]         NOT NULL DEFAULT array_fill(0::bigint, ARRAY[30]), -- [X] = actual and predicted >= X
    writer_xid    xid8             NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (deployment, bucket, path, model_version)
);
CREATE TABLE mldeck.kpi_hour (LIKE mldeck.kpi_minute INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                              PRIMARY KEY (deployment, bucket, path, model_version));

CREATE TABLE mldeck.kpi_feedback_minute (
    deployment text        NOT NULL,
    bucket     timestamptz NOT NULL,
    positive   bigint      NOT NULL DEFAULT 0,
    total      bigint      NOT NULL DEFAULT 0,
    writer_xid xid8        NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (deployment, bucket)
);
CREATE TABLE mldeck.kpi_feedback_hour (LIKE mldeck.kpi_feedback_minute INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                                       PRIMARY KEY (deployment, bucket));

-- The outcome whose contribution the aggregates hold for every counted, non-failed prediction of
-- the request key: the latest outcome per key (observed_at DESC, id DESC), kept even while no
-- prediction of the key is there yet (the prediction trigger labels late predictions from it).
CREATE TABLE mldeck.kpi_outcome_state (
    deployment  text             NOT NULL,
    request_key text             NOT NULL,
    outcome_id  bigint           NOT NULL,
    observed_at timestamptz      NOT NULL,
    actual      double precision NOT NULL,
    PRIMARY KEY (deployment, request_key)
);

-- Outcomes written by a transaction that is not READ COMMITTED: its snapshot cannot see what
-- concurrent writers committed, so the trigger cannot apply them exactly and queues them for
-- mldeck.kpi_apply_pending() (KpiStore::applyPendingOutcomes). Entries older than 7 days are
-- dropped unapplied by kpi_apply_pending (kpi_rebuild repairs such buckets).
CREATE TABLE mldeck.kpi_pending_outcomes (
    outcome_id  bigint      PRIMARY KEY,
    deployment  text        NOT NULL,
    queued_at   timestamptz NOT NULL DEFAULT now()
);

-- Bin of the latency sketch: EXACTLY stats::QuantileSketch::binOf (same double arithmetic, same
-- libm): ceil(ln(v) / ln(gamma)), gamma = (1 + 0.01) / (1 - 0.01), values below 0.001 (and NaN)
-- in 0.001's bin. Values above 1e12 ms are clamped so that the bin fits an integer.
CREATE FUNCTION mldeck.kpi_latency_bin(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- Not STRICT, so that the planner inlines it (NULL in, NULL out all the same).
    SELECT ceil(ln(CASE WHEN v = 'NaN'::float8 OR NOT (v >= 0.001::float8) THEN 0.001::float8
                        ELSE least(v, 1e12::float8) END)
                / ln((1.0::float8 + 0.01::float8) / (1.0::float8 - 0.01::float8)))::integer
$$;

-- Dense sketch from (bin, count) pairs: counts of bins min(bins) .. max(bins).
CREATE FUNCTION mldeck.kpi_dense(bins integer[], counts bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    lo integer;
    hi integer;
    r  bigint[];
BEGIN
    IF bins IS NULL OR cardinality(bins) = 0 THEN
        RETURN '{}'::bigint[];
    END IF;
    SELECT min(x), max(x) INTO lo, hi FROM unnest(bins) x;
    r := array_fill(0::bigint, ARRAY[hi - lo + 1]);
    FOR i IN 1 .. cardinality(bins) LOOP
        r[bins[i] - lo + 1] := r[bins[i] - lo + 1] + counts[i];
    END LOOP;
    RETURN r;
END
$$;

-- Adding two dense sketches (offset, counts): the offset and the counts of the sum.
CREATE FUNCTION mldeck.kpi_sketch_offset(o1 integer, c1 bigint[], o2 integer, c2 bigint[]) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(cardinality(c1), 0) = 0 THEN o2
                WHEN coalesce(cardinality(c2), 0) = 0 THEN o1
                ELSE least(o1, o2) END
$$;
CREATE FUNCTION mldeck.kpi_sketch_add(o1 integer, c1 bigint[], o2 integer, c2 bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    lo integer;
    hi integer;
    r  bigint[];
BEGIN
    IF coalesce(cardinality(c2), 0) = 0 THEN
        RETURN coalesce(c1, '{}');
    END IF;
    IF coalesce(cardinality(c1), 0) = 0 THEN
        RETURN c2;
    END IF;
    IF o1 = o2 AND cardinality(c1) = cardinality(c2) THEN
        SELECT array_agg(a + b ORDER BY n) INTO r FROM unnest(c1, c2) WITH ORDINALITY AS u(a, b, n);
        RETURN r;
    END IF;
    lo := least(o1, o2);
    hi := greatest(o1 + cardinality(c1), o2 + cardinality(c2)) - 1;
    r := array_fill(0::bigint, ARRAY[hi - lo + 1]);
    FOR i IN 1 .. cardinality(c1) LOOP
        r[o1 - lo + i] := c1[i];
    END LOOP;
    FOR i IN 1 .. cardinality(c2) LOOP
        r[o2 - lo + i] := r[o2 - lo + i] + c2[i];
    END LOOP;
    RETURN r;
END
$$;

-- Element-wise sum of two equally long count arrays (actual_ge, both_ge).
CREATE FUNCTION mldeck.kpi_add_arrays(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY n) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, n)
$$;

-- The fold: one statement that aggregates a source of delta rows
--   (deployment, ts, path, v, n, f, lat, sgn, p, a)
-- (n: predictions counted, f: of which failed, lat: latency or NULL, sgn: +1/-1 label added or
-- removed (0: none), p: predicted, a: actual) into kpi_minute and kpi_hour, adding to existing rows.
-- Each row is touched once: minute groups are built from the rows, hour groups from the minute
-- groups; the 30 anticipation thresholds come from a histogram of floor(actual) (a >= X exactly
-- when floor(a) >= X for a whole X), so no row is compared 60 times. Generated here and pasted
-- into the functions below, so that each keeps a cached plan. Dropped at the end of this step.
CREATE FUNCTION mldeck.kpi_fold_sql(src text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    ge_m  text;
    bge_m text;
    ge_h  text;
    bge_h text;
    sql   text;
BEGIN
    SELECT string_agg(format('coalesce(sum(c) FILTER (WHERE ka >= %s), 0)', x), ', ' ORDER BY x),
           string_agg(format('coalesce(sum(c) FILTER (WHERE kb >= %s), 0)', x), ', ' ORDER BY x),
           string_agg(format('sum(ge[%s])', x), ', ' ORDER BY x),
           string_agg(format('sum(bge[%s])', x), ', ' ORDER BY x)
      INTO ge_m, bge_m, ge_h, bge_h
      FROM generate_series(1, 30) x;
    sql := format($f$WITH src AS (%1$s),
rows_m AS MATERIALIZED (
    SELECT deployment, date_trunc('minute', ts, 'UTC') AS b, path, v, n, f, lat, mldeck.kpi_latency_bin(lat) AS bin,
           sgn, p, a
    FROM src),
lab_m AS (
    SELECT deployment, b, path, v,
           greatest(least(floor(a), 30), 0)::int AS ka, greatest(least(floor(least(a, p)), 30), 0)::int AS kb,
           sum(sgn) AS c
    FROM rows_m WHERE sgn <> 0 GROUP BY 1, 2, 3, 4, 5, 6),
ge_m AS (
    SELECT deployment, b, path, v, ARRAY[%2$s]::bigint[] AS ge, ARRAY[%3$s]::bigint[] AS bge
    FROM lab_m GROUP BY 1, 2, 3, 4),
sums_m AS (
    SELECT deployment, b, path, v,
           sum(n) AS n, sum(f) AS f, coalesce(sum(lat), 0) AS lat_sum,
           sum(sgn) AS labelled,
           coalesce(sum(sgn * (p - a)), 0) AS e, coalesce(sum(sgn * abs(p - a)), 0) AS ae,
           coalesce(sum(sgn * (p - a) * (p - a)), 0) AS se,
           coalesce(sum(sgn * a), 0) AS sa, coalesce(sum(sgn * a * a), 0) AS saa,
           coalesce(sum(sgn * (abs(p - a) / abs(a) * 100)) FILTER (WHERE a <> 0), 0) AS ape,
           coalesce(sum(sgn) FILTER (WHERE a <> 0), 0) AS apec
    FROM rows_m GROUP BY 1, 2, 3, 4),
bins_m AS (
    SELECT deployment, b, path, v, bin, count(*) AS c FROM rows_m WHERE lat IS NOT NULL GROUP BY 1, 2, 3, 4, 5),
agg_minute AS MATERIALIZED (
    SELECT g.*, coalesce(k.ge, array_fill(0::bigint, ARRAY[30])) AS ge,
           coalesce(k.bge, array_fill(0::bigint, ARRAY[30])) AS bge, s.lo, s.counts
    FROM sums_m g
    LEFT JOIN ge_m k USING (deployment, b, path, v)
    LEFT JOIN (SELECT deployment, b, path, v, min(bin) AS lo, mldeck.kpi_dense(array_agg(bin), array_agg(c)) AS counts
               FROM bins_m GROUP BY 1, 2, 3, 4) s USING (deployment, b, path, v)),
agg_hour AS (
    SELECT g.*, s.lo, s.counts
    FROM (SELECT deployment, date_trunc('hour', b, 'UTC') AS b, path, v, sum(n) AS n, sum(f) AS f,
                 sum(lat_sum) AS lat_sum, sum(labelled) AS labelled, sum(e) AS e, sum(ae) AS ae, sum(se) AS se,
                 sum(sa) AS sa, sum(saa) AS saa, sum(ape) AS ape, sum(apec) AS apec,
                 ARRAY[%4$s]::bigint[] AS ge, ARRAY[%5$s]::bigint[] AS bge
          FROM agg_minute GROUP BY 1, 2, 3, 4) g
    LEFT JOIN (SELECT deployment, b, path, v, min(bin) AS lo, mldeck.kpi_dense(array_agg(bin), array_agg(c)) AS counts
               FROM (SELECT deployment, date_trunc('hour', b, 'UTC') AS b, path, v, bin, sum(c)::bigint AS c
                     FROM bins_m GROUP BY 1, 2, 3, 4, 5) x
               GROUP BY 1, 2, 3, 4) s USING (deployment, b, path, v))$f$, src, ge_m, bge_m, ge_h, bge_h);
    FOR lvl IN 1 .. 2 LOOP
        sql := sql || format($f$,
up_%1$s AS (
    INSERT INTO mldeck.kpi_%1$s AS k (deployment, bucket, path, model_version, count, failed, latency_sum,
                                      lat_offset, lat_counts, labelled, sum_err, sum_abs_err, sum_sq_err,
                                      sum_actual, sum_sq_actual, sum_ape, ape_count, actual_ge, both_ge, writer_xid)
    SELECT g.deployment, g.b, g.path, g.v, g.n, g.f, g.lat_sum, coalesce(g.lo, 0), coalesce(g.counts, '{}'),
           g.labelled, g.e, g.ae, g.se, g.sa, g.saa, g.ape, g.apec, g.ge, g.bge, pg_current_xact_id()
    FROM agg_%1$s g
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (deployment, bucket, path, model_version) DO UPDATE SET
        count = k.count + EXCLUDED.count,
        failed = k.failed + EXCLUDED.failed,
        latency_sum = k.latency_sum + EXCLUDED.latency_sum,
        -- Outcome deltas carry no latency: keep the sketch without calling the merge.
        lat_offset = CASE WHEN cardinality(EXCLUDED.lat_counts) = 0 THEN k.lat_offset
                          ELSE mldeck.kpi_sketch_offset(k.lat_offset, k.lat_counts, EXCLUDED.lat_offset, EXCLUDED.lat_counts) END,
        lat_counts = CASE WHEN cardinality(EXCLUDED.lat_counts) = 0 THEN k.lat_counts
                          ELSE mldeck.kpi_sketch_add(k.lat_offset, k.lat_counts, EXCLUDED.lat_offset, EXCLUDED.lat_counts) END,
        labelled = k.labelled + EXCLUDED.labelled,
        sum_err = k.sum_err + EXCLUDED.sum_err,
        sum_abs_err = k.sum_abs_err + EXCLUDED.sum_abs_err,
        sum_sq_err = k.sum_sq_err + EXCLUDED.sum_sq_err,
        sum_actual = k.sum_actual + EXCLUDED.sum_actual,
        sum_sq_actual = k.sum_sq_actual + EXCLUDED.sum_sq_actual,
        sum_ape = k.sum_ape + EXCLUDED.sum_ape,
        ape_count = k.ape_count + EXCLUDED.ape_count,
        actual_ge = mldeck.kpi_add_arrays(k.actual_ge, EXCLUDED.actual_ge),
        both_ge = mldeck.kpi_add_arrays(k.both_ge, EXCLUDED.both_ge),
        writer_xid = pg_current_xact_id()
    RETURNING 1)$f$, (ARRAY['minute', 'hour'])[lvl]);
    END LOOP;
    RETURN sql || ' SELECT (SELECT count(*) FROM up_minute) + (SELECT count(*) FROM up_hour)';
END
$$;

-- Lock protocol (see kpi.md): per deployment, prediction writers hold the SHARED lock from their
-- trigger to their commit, outcome appliers the EXCLUSIVE one. Class id 74201 keeps the keys apart
-- from other advisory locks.
CREATE FUNCTION mldeck.kpi_lock(deployments text[], exclusive boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    FOR d IN SELECT DISTINCT x FROM unnest(deployments) x ORDER BY 1 LOOP
        IF exclusive THEN
            PERFORM pg_advisory_xact_lock(74201, hashtext(d));
        ELSE
            PERFORM pg_advisory_xact_lock_shared(74201, hashtext(d));
        END IF;
    END LOOP;
END
$$;

DO $do$
BEGIN
    -- Predictions: counts, failures and latency of the batch, plus the label of each non-failed
    -- prediction whose request already has an outcome (outcome logged before the prediction).
    EXECUTE format($f$
CREATE FUNCTION mldeck.kpi_on_predictions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    written bigint;
BEGIN
    PERFORM mldeck.kpi_lock(ARRAY(SELECT DISTINCT deployment FROM new_rows), false);
    %s INTO written;
    RETURN NULL;
END
$body$$f$, mldeck.kpi_fold_sql($s$
        SELECT r.deployment, r.ts, r.path, coalesce(r.model_version, '') AS v, 1 AS n,
               (r.failed OR r.predicted IS NULL)::int AS f, r.latency_ms::float8 AS lat,
               CASE WHEN s.actual IS NULL THEN 0 ELSE 1 END AS sgn, r.predicted AS p, s.actual AS a
        FROM new_rows r
        LEFT JOIN mldeck.kpi_outcome_state s
               ON s.deployment = r.deployment AND s.request_key = r.request_key
              AND NOT r.failed AND r.predicted IS NOT NULL$s$));

    -- Applies outcomes (by id) under the exclusive lock of their deployments: per request key the
    -- latest one wins; a newer outcome removes the label of the one applied before and adds its
    -- own to every non-failed prediction of the key, in the prediction's bucket.
    EXECUTE format($f$
CREATE FUNCTION mldeck.kpi_apply_outcomes(ids bigint[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    touched bigint;
BEGIN
    PERFORM mldeck.kpi_lock(ARRAY(SELECT DISTINCT o.deployment FROM mldeck.outcomes o WHERE o.id = ANY (ids)), true);
    %s INTO touched;
    RETURN touched;
END
$body$$f$, replace(mldeck.kpi_fold_sql($s$
        SELECT p.deployment, p.ts, p.path, coalesce(p.model_version, '') AS v, 0 AS n, 0 AS f,
               NULL::float8 AS lat, x.sgn, p.predicted AS p, x.a
        FROM changed c
        JOIN mldeck.predictions p
          ON p.deployment = c.deployment AND p.request_key = c.request_key
         AND NOT p.failed AND p.predicted IS NOT NULL
        CROSS JOIN LATERAL (VALUES (1, c.actual), (-1, c.old_actual)) AS x(sgn, a)
        WHERE x.a IS NOT NULL$s$), 'WITH src AS (', $p$WITH cand AS (
        SELECT DISTINCT ON (o.deployment, o.request_key) o.id, o.observed_at, o.actual, o.deployment, o.request_key
        FROM mldeck.outcomes o WHERE o.id = ANY (ids)
        ORDER BY o.deployment, o.request_key, o.observed_at DESC, o.id DESC),
    changed AS (
        SELECT c.*, s.actual AS old_actual
        FROM cand c LEFT JOIN mldeck.kpi_outcome_state s USING (deployment, request_key)
        WHERE s.deployment IS NULL OR (c.observed_at, c.id) > (s.observed_at, s.outcome_id)),
    st AS (
        INSERT INTO mldeck.kpi_outcome_state AS s (deployment, request_key, outcome_id, observed_at, actual)
        SELECT deployment, request_key, id, observed_at, actual FROM changed
        ON CONFLICT (deployment, request_key) DO UPDATE SET
            outcome_id = EXCLUDED.outcome_id, observed_at = EXCLUDED.observed_at, actual = EXCLUDED.actual
        RETURNING 1),
    src AS ($p$));
END
$do$;

-- Outcomes: applied at once under the deployment's exclusive lock when the writer runs READ
-- COMMITTED (each statement then sees everything committed before the lock was granted); queued
-- for kpi_apply_pending otherwise.
CREATE FUNCTION mldeck.kpi_on_outcomes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_setting('transaction_isolation') = 'read committed' THEN
        PERFORM mldeck.kpi_apply_outcomes(ARRAY(SELECT id FROM new_rows));
    ELSE
        INSERT INTO mldeck.kpi_pending_outcomes (outcome_id, deployment)
        SELECT id, deployment FROM new_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

-- Feedback counts in the minute (and hour) it was given.
CREATE FUNCTION mldeck.kpi_on_feedback() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    WITH m AS (
        INSERT INTO mldeck.kpi_feedback_minute AS k (deployment, bucket, positive, total, writer_xid)
        SELECT deployment, date_trunc('minute', ts, 'UTC'), count(*) FILTER (WHERE positive), count(*), pg_current_xact_id()
        FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (deployment, bucket) DO UPDATE SET
            positive = k.positive + EXCLUDED.positive, total = k.total + EXCLUDED.total,
            writer_xid = pg_current_xact_id()
        RETURNING 1)
    INSERT INTO mldeck.kpi_feedback_hour AS k (deployment, bucket, positive, total, writer_xid)
    SELECT deployment, date_trunc('hour', ts, 'UTC'), count(*) FILTER (WHERE positive), count(*), pg_current_xact_id()
    FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (deployment, bucket) DO UPDATE SET
        positive = k.positive + EXCLUDED.positive, total = k.total + EXCLUDED.total,
        writer_xid = pg_current_xact_id();
    RETURN NULL;
END
$$;

-- Applies the queued outcomes; returns how many queue entries it consumed. Entries queued more
-- than 7 days ago are dropped without being applied (kpi_rebuild repairs what they touched).
-- Concurrent callers take disjoint entries (SKIP LOCKED).
CREATE FUNCTION mldeck.kpi_apply_pending() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids bigint[];
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'kpi_apply_pending must run in a READ COMMITTED transaction'
            USING ERRCODE = 'invalid_transaction_state';
    END IF;
    DELETE FROM mldeck.kpi_pending_outcomes WHERE queued_at < now() - interval '7 days';
    WITH taken AS (
        DELETE FROM mldeck.kpi_pending_outcomes
        WHERE outcome_id IN (SELECT outcome_id FROM mldeck.kpi_pending_outcomes ORDER BY outcome_id
                             FOR UPDATE SKIP LOCKED)
        RETURNING outcome_id)
    SELECT coalesce(array_agg(outcome_id), '{}') INTO ids FROM taken;
    IF cardinality(ids) > 0 THEN
        PERFORM mldeck.kpi_apply_outcomes(ids);
    END IF;
    RETURN cardinality(ids);
END
$$;

DO $do$
BEGIN
    -- Recomputes the aggregates of one deployment over whole hours [p_from, p_to) from the raw
    -- predictions and the applied outcome of each request key. Returns the rows written.
    EXECUTE format($f$
CREATE FUNCTION mldeck.kpi_rebuild(p_deployment text, p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    lo timestamptz;
    hi timestamptz;
    written bigint;
BEGIN
    IF p_deployment IS NULL OR p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
        RAISE EXCEPTION 'kpi_rebuild: invalid range %% .. %%', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_to - p_from > interval '400 days' THEN
        RAISE EXCEPTION 'kpi_rebuild: at most 400 days at once' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    lo := date_trunc('hour', p_from, 'UTC');
    hi := date_trunc('hour', p_to, 'UTC');
    IF hi < p_to THEN
        hi := hi + interval '1 hour';
    END IF;
    PERFORM mldeck.kpi_lock(ARRAY[p_deployment], true);
    DELETE FROM mldeck.kpi_minute WHERE deployment = p_deployment AND bucket >= lo AND bucket < hi;
    DELETE FROM mldeck.kpi_hour WHERE deployment = p_deployment AND bucket >= lo AND bucket < hi;
    -- Planned for these values (not a cached generic plan): this may read millions of rows.
    EXECUTE %L INTO written USING p_deployment, lo, hi;
    RETURN written;
END
$body$$f$, mldeck.kpi_fold_sql($s$
        SELECT r.deployment, r.ts, r.path, coalesce(r.model_version, '') AS v, 1 AS n,
               (r.failed OR r.predicted IS NULL)::int AS f, r.latency_ms::float8 AS lat,
               CASE WHEN s.actual IS NULL THEN 0 ELSE 1 END AS sgn, r.predicted AS p, s.actual AS a
        FROM mldeck.predictions r
        LEFT JOIN mldeck.kpi_outcome_state s
               ON s.deployment = r.deployment AND s.request_key = r.request_key
              AND NOT r.failed AND r.predicted IS NOT NULL
        WHERE r.deployment = $1 AND r.ts >= $2 AND r.ts < $3$s$));
END
$do$;
DROP FUNCTION mldeck.kpi_fold_sql(text);

-- Transition tables on the partitioned parent see the rows of every partition; COPY fires them too.
-- ensure_prediction_partitions moves rows into a table before attaching it, which does not go
-- through the parent: nothing is counted twice.
CREATE TRIGGER kpi_predictions AFTER INSERT ON mldeck.predictions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mldeck.kpi_on_predictions();
CREATE TRIGGER kpi_outcomes AFTER INSERT ON mldeck.outcomes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mldeck.kpi_on_outcomes();
CREATE TRIGGER kpi_feedback AFTER INSERT ON mldeck.feedback
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mldeck.kpi_on_feedback();

-- Backfill: a database with data gets exact aggregates (the latest outcome per key, then every
-- prediction folded once, then the feedback).
INSERT INTO mldeck.kpi_outcome_state (deployment, request_key, outcome_id, observed_at, actual)
SELECT DISTINCT ON (deployment, request_key) deployment, request_key, id, observed_at, actual
FROM mldeck.outcomes ORDER BY deployment, request_key, observed_at DESC, id DESC;
ANALYZE mldeck.kpi_outcome_state;
SELECT mldeck.kpi_rebuild(deployment, min(ts), max(ts) + interval '1 second')
FROM mldeck.predictions GROUP BY deployment;
INSERT INTO mldeck.kpi_feedback_minute (deployment, bucket, positive, total)
SELECT deployment, date_trunc('minute', ts, 'UTC'), count(*) FILTER (WHERE positive), count(*)
FROM mldeck.feedback GROUP BY 1, 2;
INSERT INTO mldeck.kpi_feedback_hour (deployment, bucket, positive, total)
SELECT deployment, date_trunc('hour', ts, 'UTC'), count(*) FILTER (WHERE positive), count(*)
FROM mldeck.feedback GROUP BY 1, 2;

-- Settings: the KPI targets of a deployment (KpiStore::setTargets audits the change).
CREATE FUNCTION mldeck.kpi_set_targets(p_deployment text, p_targets jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    before jsonb;
BEGIN
    IF jsonb_typeof(p_targets) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'kpi targets must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT settings -> 'kpi_targets' INTO before FROM mldeck.deployments WHERE name = p_deployment FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown deployment "%"', p_deployment USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE mldeck.deployments SET settings = jsonb_set(settings, '{kpi_targets}', p_targets) WHERE name = p_deployment;
    RETURN coalesce(before, '{}'::jsonb);
END
$$;

REVOKE ALL ON FUNCTION mldeck.kpi_apply_outcomes(bigint[]), mldeck.kpi_apply_pending(),
    mldeck.kpi_rebuild(text, timestamptz, timestamptz), mldeck.kpi_set_targets(text, jsonb),
    mldeck.kpi_lock(text[], boolean) FROM PUBLIC;
GRANT SELECT ON mldeck.kpi_minute, mldeck.kpi_hour, mldeck.kpi_feedback_minute, mldeck.kpi_feedback_hour,
    mldeck.kpi_outcome_state, mldeck.kpi_pending_outcomes TO mldeck_viewer;
GRANT EXECUTE ON FUNCTION mldeck.kpi_apply_pending() TO mldeck_viewer, mldeck_backend;
GRANT EXECUTE ON FUNCTION mldeck.kpi_rebuild(text, timestamptz, timestamptz) TO mldeck_operator, mldeck_scientist;
GRANT EXECUTE ON FUNCTION mldeck.kpi_set_targets(text, jsonb) TO mldeck_operator, mldeck_scientist;
