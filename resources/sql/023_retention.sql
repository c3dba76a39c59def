-- MLDeck schema, step 23: retention of the raw rows, aggregates kept (resources/contract/retention.md).
-- The raw log (predictions, outcomes, feedback) of a deployment is kept for its retention (default 90
-- days, settings -> 'retention_days'); the guard removes older rows: whole daily partitions when every
-- deployment with rows in them is past its retention, bounded row batches otherwise. Minute aggregates
-- older than the fold horizon (global, default 14 days) are deleted once the hour rows, which the same
-- statements always wrote next to them, are checked to hold their sums. Hour aggregates, drift history
-- and the audit log are kept forever.

-- The retention is a whole number of days, 1 .. 3650, or absent (the default, 90 days).
ALTER TABLE mldeck.deployments ADD CONSTRAINT deployments_retention_days CHECK (
    CASE WHEN NOT (settings ? 'retention_days') THEN true
         WHEN jsonb_typeof(settings -> 'retention_days') <> 'number' THEN false
         ELSE (settings ->> 'retention_days')::numeric BETWEEN 1 AND 3650
              AND (settings ->> 'retention_days')::numeric = trunc((settings ->> 'retention_days')::numeric) END);

-- The retention of a deployment in days; 90 for one without the setting and for rows of a name that
-- is not a deployment (the log has no foreign key). Read through numeric: the constraint admits 30.0,
-- which a plain ::integer cast refuses, and one unreadable setting would stop every drop.
CREATE FUNCTION mldeck.retention_days(p_deployment text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT (settings ->> 'retention_days')::numeric::integer FROM mldeck.deployments
                     WHERE name = p_deployment), 90)
$$;

-- The start of the oldest UTC day a deployment keeps at p_now: rows before it are past retention.
-- Whole days, so that a partition is either kept or past retention for a deployment, never split.
CREATE FUNCTION mldeck.retention_cutoff(p_deployment text, p_now timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT ((p_now AT TIME ZONE 'UTC')::date - mldeck.retention_days(p_deployment))::timestamp AT TIME ZONE 'UTC'
$$;

-- Sets the retention (NULL: back to the default); returns the value before (NULL: the default). The
-- caller writes the audit row "deployment.retention" in the same transaction.
CREATE FUNCTION mldeck.retention_set_days(p_deployment text, p_days integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    before integer;
BEGIN
    IF p_days IS NOT NULL AND (p_days < 1 OR p_days > 3650) THEN
        RAISE EXCEPTION 'the retention must be 1 to 3650 days (got %)', p_days USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT (settings ->> 'retention_days')::numeric::integer INTO before FROM mldeck.deployments
    WHERE name = p_deployment AND archived_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown deployment "%"', p_deployment USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE mldeck.deployments
    SET settings = CASE WHEN p_days IS NULL THEN settings - 'retention_days'
                        ELSE jsonb_set(settings, '{retention_days}', to_jsonb(p_days)) END
    WHERE name = p_deployment;
    RETURN before;
END
$$;

-- What retention has done, per deployment (facts, moved forward in the transaction of each drop, delete
-- and fold; NULL: nothing removed yet): raw rows before raw_before may be gone, and minute aggregates
-- before minutes_before may be folded into their hours. Readers that need raw rows compare their range
-- with raw_before and say which part has none; the KPI reader uses hour rows before minutes_before.
CREATE TABLE mldeck.retention_horizons (
    deployment     text        PRIMARY KEY,
    raw_before     timestamptz,
    minutes_before timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION mldeck.retention_note(p_deployment text, p_before timestamptz) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO mldeck.retention_horizons AS h (deployment, raw_before) VALUES (p_deployment, p_before)
    ON CONFLICT (deployment) DO UPDATE SET raw_before = greatest(h.raw_before, EXCLUDED.raw_before), updated_at = now()
$$;

-- The minute-aggregate fold, global: minute rows are kept for minute_fold_days, then only their hour.
CREATE TABLE mldeck.retention_policy (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    minute_fold_days integer NOT NULL DEFAULT 14 CHECK (minute_fold_days BETWEEN 1 AND 3650)
);
INSERT INTO mldeck.retention_policy DEFAULT VALUES;

-- The hour before which minute rows may be folded away at p_now: readers use hour rows there.
CREATE FUNCTION mldeck.kpi_minute_horizon(p_now timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT date_trunc('hour', p_now - make_interval(days => minute_fold_days), 'UTC') FROM mldeck.retention_policy
$$;

-- Hours whose minute rows were folded once after the full check; a late row of such an hour adds a new
-- minute row and the same amounts to the hour row, so later folds of the hour only need the hour row.
CREATE TABLE mldeck.kpi_folded_hours (
    deployment text        NOT NULL,
    bucket     timestamptz NOT NULL,
    PRIMARY KEY (deployment, bucket)
);

-- The deployments with rows in a prediction partition: a loose scan of its (deployment, request_key)
-- index, one probe per deployment, so that a partition of a billion rows costs what one of ten does.
CREATE FUNCTION mldeck.retention_partition_deployments(p_partition text) RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    deps text[];
BEGIN
    EXECUTE format($q$WITH RECURSIVE n AS (
                          (SELECT deployment FROM mldeck.%1$I ORDER BY deployment LIMIT 1)
                          UNION ALL
                          SELECT (SELECT x.deployment FROM mldeck.%1$I x WHERE x.deployment > n.deployment
                                  ORDER BY x.deployment LIMIT 1) FROM n WHERE n.deployment IS NOT NULL)
                      SELECT coalesce(array_agg(deployment ORDER BY deployment), '{}') FROM n
                      WHERE deployment IS NOT NULL$q$, p_partition) INTO deps;
    RETURN deps;
END
$$;

-- Drops up to p_limit daily prediction partitions that are past the retention of every deployment with
-- rows in them (rows of no deployment: 90 days), oldest first, noting the horizon of each such
-- deployment. Returns what it dropped; the caller writes one audit row per partition in the transaction.
-- Dropping a partition takes ACCESS EXCLUSIVE on mldeck.predictions itself until commit, which stops
-- every log write: the candidates are chosen first without that lock; then the parent is locked (before
-- its partitions, in the order queries lock them, so that a backend writing into an old day cannot
-- deadlock with us), each candidate's deployments are read again under the lock (a late row written
-- between the two reads could belong to a deployment that keeps the day) and only then dropped. The
-- lock is waited for at most 10 s: a pass that cannot get it fails and the guard tries again, rather
-- than queueing every log write behind a long reader. The row count of the audit row is exact up to
-- 16 MB of partition and the planner's estimate (rows_estimated) above, so that an audit row never costs
-- a scan of a large partition under that lock.
CREATE FUNCTION mldeck.retention_drop_partitions(p_now timestamptz, p_limit integer)
RETURNS TABLE (partition_name text, day date, row_count bigint, rows_estimated boolean, deployments text[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    today    date := (p_now AT TIME ZONE 'UTC')::date;
    shortest integer;
    part     text;
    d        date;
    hi       timestamptz;
    deps     text[];
    parts    text[] := '{}';
    days     date[] := '{}';
    est      real;
    i        integer;
BEGIN
    IF p_now IS NULL OR p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'retention_drop_partitions: invalid arguments (%, %)', p_now, p_limit
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('mldeck.prediction_partitions'));
    -- No day inside the shortest retention any deployment (or a name of none: 90) has can be dropped.
    SELECT least(min(mldeck.retention_days(name)), 90) INTO shortest FROM mldeck.deployments;
    FOR part, d IN
        SELECT c.relname, to_date(substr(c.relname, 13), 'YYYYMMDD')
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'mldeck.predictions'::regclass
          AND c.relname ~ '^predictions_[0-9]{8}$'
          AND to_date(substr(c.relname, 13), 'YYYYMMDD') + 1 <= today - shortest
        ORDER BY c.relname
    LOOP
        hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
        deps := mldeck.retention_partition_deployments(part);
        CONTINUE WHEN EXISTS (SELECT 1 FROM unnest(deps) x WHERE mldeck.retention_cutoff(x, p_now) < hi);
        parts := parts || part;
        days := days || d;
        EXIT WHEN cardinality(parts) >= p_limit;
    END LOOP;
    IF cardinality(parts) = 0 THEN
        RETURN;
    END IF;
    PERFORM set_config('lock_timeout', '10s', true);
    LOCK TABLE ONLY mldeck.predictions IN ACCESS EXCLUSIVE MODE;
    FOR i IN 1 .. cardinality(parts) LOOP
        part := parts[i];
        hi := (days[i] + 1)::timestamp AT TIME ZONE 'UTC';
        deps := mldeck.retention_partition_deployments(part);
        CONTINUE WHEN EXISTS (SELECT 1 FROM unnest(deps) x WHERE mldeck.retention_cutoff(x, p_now) < hi);
        SELECT c.reltuples INTO est FROM pg_class c WHERE c.oid = format('mldeck.%I', part)::regclass;
        IF est < 0 OR pg_relation_size(format('mldeck.%I', part)::regclass) <= 16 * 1024 * 1024 THEN
            EXECUTE format('SELECT count(*) FROM mldeck.%I', part) INTO row_count;
            rows_estimated := false;
        ELSE
            row_count := est::bigint;
            rows_estimated := true;
        END IF;
        EXECUTE format('DROP TABLE mldeck.%I', part);
        PERFORM mldeck.retention_note(x, hi) FROM unnest(deps) x;
        partition_name := part;
        day := days[i];
        deployments := deps;
        RETURN NEXT;
    END LOOP;
END
$$;

-- The admin's manual retention of step 1 (drop every day before p_before, whatever each deployment's
-- retention) now notes what it removed too, so that readers say so: same behaviour, same grants.
CREATE OR REPLACE FUNCTION mldeck.drop_prediction_partitions(p_before date) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    part text;
    hi   timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('mldeck.prediction_partitions'));
    FOR part, hi IN
        SELECT c.relname, (to_date(substr(c.relname, 13), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC'
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'mldeck.predictions'::regclass
          AND c.relname ~ '^predictions_[0-9]{8}$'
          AND to_date(substr(c.relname, 13), 'YYYYMMDD') + 1 <= p_before
        ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT mldeck.retention_note(deployment, $1) FROM (SELECT DISTINCT deployment FROM mldeck.%I) d',
                       part) USING hi;
        EXECUTE format('DROP TABLE mldeck.%I', part);
        RETURN NEXT part;
    END LOOP;
    PERFORM mldeck.retention_note(deployment, p_before::timestamp AT TIME ZONE 'UTC')
    FROM (SELECT DISTINCT deployment FROM mldeck.predictions_default
          WHERE ts < (p_before::timestamp AT TIME ZONE 'UTC')) d;
    DELETE FROM mldeck.predictions_default WHERE ts < (p_before::timestamp AT TIME ZONE 'UTC');
END
$$;

-- Deletes up to p_batch raw rows of one deployment that are past its retention, in each of the
-- prediction partitions (including the default one) that still hold some, outcomes (by observed_at)
-- and feedback (by ts), and notes the horizon. Returns one row per table with what it removed
-- (tables where nothing was removed are left out); the caller writes the audit row in the transaction.
CREATE FUNCTION mldeck.retention_delete_batch(p_deployment text, p_now timestamptz, p_batch integer)
RETURNS TABLE (table_name text, row_count bigint, oldest timestamptz, newest timestamptz, cutoff timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c    timestamptz := mldeck.retention_cutoff(p_deployment, p_now);
    part text;
    left_ bigint := p_batch;
    n    bigint := 0;
    lo   timestamptz;
    up   timestamptz;
    k    bigint;
    a    timestamptz;
    b    timestamptz;
BEGIN
    IF p_batch IS NULL OR p_batch < 1 THEN
        RAISE EXCEPTION 'retention_delete_batch: the batch must be at least 1 row' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM mldeck.retention_note(p_deployment, c);
    cutoff := c;
    -- Partitions whose range starts before the cutoff (the default partition has no range: always).
    FOR part IN
        SELECT ch.relname
        FROM pg_inherits i
        JOIN pg_class ch ON ch.oid = i.inhrelid
        WHERE i.inhparent = 'mldeck.predictions'::regclass
          AND (ch.relname = 'predictions_default'
               OR (ch.relname ~ '^predictions_[0-9]{8}$'
                   AND to_date(substr(ch.relname, 13), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC' < c))
        ORDER BY ch.relname
    LOOP
        EXIT WHEN left_ <= 0;
        EXECUTE format($q$WITH gone AS (
                              DELETE FROM mldeck.%1$I WHERE ctid = ANY (ARRAY(
                                  SELECT ctid FROM mldeck.%1$I WHERE deployment = $1 AND ts < $2 LIMIT $3))
                              RETURNING ts)
                          SELECT count(*), min(ts), max(ts) FROM gone$q$, part)
            INTO k, a, b USING p_deployment, c, left_;
        IF k > 0 THEN
            n := n + k;
            left_ := left_ - k;
            lo := least(lo, a);
            up := greatest(up, b);
        END IF;
    END LOOP;
    IF n > 0 THEN
        table_name := 'predictions'; row_count := n; oldest := lo; newest := up;
        RETURN NEXT;
    END IF;
    WITH gone AS (
        DELETE FROM mldeck.outcomes WHERE id = ANY (ARRAY(
            SELECT id FROM mldeck.outcomes WHERE deployment = p_deployment AND observed_at < c LIMIT p_batch))
        RETURNING observed_at)
    SELECT count(*), min(observed_at), max(observed_at) INTO k, a, b FROM gone;
    IF k > 0 THEN
        table_name := 'outcomes'; row_count := k; oldest := a; newest := b;
        RETURN NEXT;
    END IF;
    WITH gone AS (
        DELETE FROM mldeck.feedback WHERE id = ANY (ARRAY(
            SELECT id FROM mldeck.feedback WHERE deployment = p_deployment AND ts < c LIMIT p_batch))
        RETURNING ts)
    SELECT count(*), min(ts), max(ts) INTO k, a, b FROM gone;
    IF k > 0 THEN
        table_name := 'feedback'; row_count := k; oldest := a; newest := b;
        RETURN NEXT;
    END IF;
END
$$;

-- The two moments of an aggregate array: its total and its total weighted by the (shifted) index. The
-- fold compares them between an hour's minute rows and the hour row, so that a count moved to another
-- bin, class or cell shows as well as one lost (an element-wise comparison would read every element of
-- every array under the deployment's KPI lock, which holds its log writes).
CREATE FUNCTION mldeck.retention_moments(p numeric[], p_offset integer DEFAULT 0) RETURNS numeric[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[coalesce(sum(x), 0), coalesce(sum(x * (i + p_offset)), 0)] FROM unnest(p) WITH ORDINALITY u(x, i)
$$;

-- Float sums of the same additions in another order agree to 1e-9, relative.
CREATE FUNCTION mldeck.retention_near(a numeric, b numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT a IS NOT NULL AND b IS NOT NULL AND abs(a - b) <= 1e-9 * greatest(abs(a), abs(b), 1)
$$;

-- Folds the minute aggregates of one deployment over whole hours [p_from, p_to) (p_to at most the
-- minute horizon): for each hour, the minute rows of kpi_minute, kpi_class_minute and
-- kpi_feedback_minute are deleted when the hour rows hold their sums (counts exactly, float sums to
-- 1e-9 relative: the same additions in another order), or, for an hour folded before, when the hour
-- rows exist (a late row added the same amounts to both). Hours that fail the check keep their minute
-- rows and are counted in `mismatched`. Under the deployment's exclusive KPI lock: no writer adds to
-- the hour while it is checked.
CREATE FUNCTION mldeck.retention_fold_minutes(p_deployment text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (hours bigint, mismatched bigint, minute_rows bigint, class_rows bigint, feedback_rows bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_deployment IS NULL OR p_from IS NULL OR p_to IS NULL OR p_to <= p_from
       OR p_to > mldeck.kpi_minute_horizon(now()) + interval '1 hour' THEN -- the caller's clock may run a little ahead
        RAISE EXCEPTION 'retention_fold_minutes: invalid range % .. % (it must end by the minute horizon)', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM mldeck.kpi_lock(ARRAY[p_deployment], true);
    CREATE TEMP TABLE IF NOT EXISTS retention_fold_bad (h timestamptz PRIMARY KEY) ON COMMIT DROP;
    TRUNCATE retention_fold_bad;
    CREATE TEMP TABLE IF NOT EXISTS retention_fold_hours (h timestamptz PRIMARY KEY) ON COMMIT DROP;
    TRUNCATE retention_fold_hours;
    INSERT INTO retention_fold_hours
    SELECT DISTINCT date_trunc('hour', bucket, 'UTC') FROM mldeck.kpi_minute
    WHERE deployment = p_deployment AND bucket >= p_from AND bucket < p_to
    UNION SELECT DISTINCT date_trunc('hour', bucket, 'UTC') FROM mldeck.kpi_class_minute
    WHERE deployment = p_deployment AND bucket >= p_from AND bucket < p_to
    UNION SELECT DISTINCT date_trunc('hour', bucket, 'UTC') FROM mldeck.kpi_feedback_minute
    WHERE deployment = p_deployment AND bucket >= p_from AND bucket < p_to;

    INSERT INTO retention_fold_bad
    SELECT DISTINCT m.h FROM (
        SELECT date_trunc('hour', x.bucket, 'UTC') AS h, x.path, x.model_version,
               sum(x.count) AS c, sum(x.failed) AS f, sum(x.labelled) AS l, sum(x.ape_count) AS ac,
               sum(x.est_count) AS ec, sum(x.latency_sum) AS ls, sum(x.sum_err) AS se, sum(x.sum_abs_err) AS sae,
               sum(x.sum_sq_err) AS sse, sum(x.sum_actual) AS sa, sum(x.sum_sq_actual) AS ssa, sum(x.sum_ape) AS sape,
               sum(x.est_abs_err_sum) AS eas,
               sum(v.lat[1]) AS lat1, sum(v.lat[2]) AS lat2, sum(v.ag[1]) AS ag1, sum(v.ag[2]) AS ag2,
               sum(v.bg[1]) AS bg1, sum(v.bg[2]) AS bg2
        FROM mldeck.kpi_minute x
        CROSS JOIN LATERAL (SELECT mldeck.retention_moments(x.lat_counts::numeric[], x.lat_offset) AS lat,
                                   mldeck.retention_moments(x.actual_ge::numeric[]) AS ag,
                                   mldeck.retention_moments(x.both_ge::numeric[]) AS bg) v
        WHERE x.deployment = p_deployment AND x.bucket >= p_from AND x.bucket < p_to
        GROUP BY 1, 2, 3) m
    LEFT JOIN mldeck.kpi_hour k
           ON k.deployment = p_deployment AND k.bucket = m.h AND k.path = m.path AND k.model_version = m.model_version
    LEFT JOIN LATERAL (SELECT mldeck.retention_moments(k.lat_counts::numeric[], k.lat_offset) AS lat,
                              mldeck.retention_moments(k.actual_ge::numeric[]) AS ag,
                              mldeck.retention_moments(k.both_ge::numeric[]) AS bg) kv ON true
    LEFT JOIN mldeck.kpi_folded_hours fh ON fh.deployment = p_deployment AND fh.bucket = m.h
    WHERE k.deployment IS NULL
       OR (fh.deployment IS NULL
           AND (k.count <> m.c OR k.failed <> m.f OR k.labelled <> m.l OR k.ape_count <> m.ac OR k.est_count <> m.ec
                OR kv.lat[1] <> m.lat1 OR kv.lat[2] <> m.lat2 OR kv.ag[1] <> m.ag1 OR kv.ag[2] <> m.ag2
                OR kv.bg[1] <> m.bg1 OR kv.bg[2] <> m.bg2
                OR NOT mldeck.retention_near(k.latency_sum::numeric, m.ls::numeric)
                OR NOT mldeck.retention_near(k.sum_err::numeric, m.se::numeric)
                OR NOT mldeck.retention_near(k.sum_abs_err::numeric, m.sae::numeric)
                OR NOT mldeck.retention_near(k.sum_sq_err::numeric, m.sse::numeric)
                OR NOT mldeck.retention_near(k.sum_actual::numeric, m.sa::numeric)
                OR NOT mldeck.retention_near(k.sum_sq_actual::numeric, m.ssa::numeric)
                OR NOT mldeck.retention_near(k.sum_ape::numeric, m.sape::numeric)
                OR NOT mldeck.retention_near(k.est_abs_err_sum::numeric, m.eas::numeric)))
    ON CONFLICT DO NOTHING;

    -- Every array of the class sums, by its moments: counts exactly, float sums to 1e-9.
    INSERT INTO retention_fold_bad
    SELECT DISTINCT m.h FROM (
        SELECT date_trunc('hour', x.bucket, 'UTC') AS h, x.path, x.model_version,
               sum(x.loss_count) AS lc, sum(x.sum_log_loss) AS sll, sum(x.sum_brier) AS sb,
               sum(x.sum_confidence) AS sc,
               sum(v.pc[1]) AS pc1, sum(v.pc[2]) AS pc2, sum(v.cf[1]) AS cf1, sum(v.cf[2]) AS cf2,
               sum(v.sk[1]) AS sk1, sum(v.sk[2]) AS sk2, sum(v.ss[1]) AS ss1, sum(v.ss[2]) AS ss2,
               sum(v.sv[1]) AS sv1, sum(v.sv[2]) AS sv2, sum(v.ec[1]) AS ec1, sum(v.ec[2]) AS ec2,
               sum(v.cc[1]) AS cc1, sum(v.cc[2]) AS cc2, sum(v.cs[1]) AS cs1, sum(v.cs[2]) AS cs2,
               sum(v.cp[1]) AS cp1, sum(v.cp[2]) AS cp2, sum(v.hg[1]) AS hg1, sum(v.hg[2]) AS hg2
        FROM mldeck.kpi_class_minute x
        CROSS JOIN LATERAL (SELECT mldeck.retention_moments(x.predicted_count::numeric[]) AS pc,
                                   mldeck.retention_moments(x.confusion::numeric[]) AS cf,
                                   mldeck.retention_moments(x.score_count::numeric[]) AS sk,
                                   mldeck.retention_moments(x.score_sum::numeric[]) AS ss,
                                   mldeck.retention_moments(x.served_score_count::numeric[]) AS sv,
                                   mldeck.retention_moments(x.expected_confusion::numeric[]) AS ec,
                                   mldeck.retention_moments(x.calibration_count::numeric[]) AS cc,
                                   mldeck.retention_moments(x.calibration_sum::numeric[]) AS cs,
                                   mldeck.retention_moments(x.calibration_positive::numeric[]) AS cp,
                                   mldeck.retention_moments(x.score_histogram::numeric[]) AS hg) v
        WHERE x.deployment = p_deployment AND x.bucket >= p_from AND x.bucket < p_to
        GROUP BY 1, 2, 3) m
    LEFT JOIN mldeck.kpi_class_hour k
           ON k.deployment = p_deployment AND k.bucket = m.h AND k.path = m.path AND k.model_version = m.model_version
    LEFT JOIN LATERAL (SELECT mldeck.retention_moments(k.predicted_count::numeric[]) AS pc,
                              mldeck.retention_moments(k.confusion::numeric[]) AS cf,
                              mldeck.retention_moments(k.score_count::numeric[]) AS sk,
                              mldeck.retention_moments(k.score_sum::numeric[]) AS ss,
                              mldeck.retention_moments(k.served_score_count::numeric[]) AS sv,
                              mldeck.retention_moments(k.expected_confusion::numeric[]) AS ec,
                              mldeck.retention_moments(k.calibration_count::numeric[]) AS cc,
                              mldeck.retention_moments(k.calibration_sum::numeric[]) AS cs,
                              mldeck.retention_moments(k.calibration_positive::numeric[]) AS cp,
                              mldeck.retention_moments(k.score_histogram::numeric[]) AS hg) kv ON true
    LEFT JOIN mldeck.kpi_folded_hours fh ON fh.deployment = p_deployment AND fh.bucket = m.h
    WHERE k.deployment IS NULL
       OR (fh.deployment IS NULL
           AND (k.loss_count <> m.lc
                OR kv.pc[1] <> m.pc1 OR kv.pc[2] <> m.pc2 OR kv.cf[1] <> m.cf1 OR kv.cf[2] <> m.cf2
                OR kv.sk[1] <> m.sk1 OR kv.sk[2] <> m.sk2 OR kv.sv[1] <> m.sv1 OR kv.sv[2] <> m.sv2
                OR kv.cc[1] <> m.cc1 OR kv.cc[2] <> m.cc2 OR kv.cp[1] <> m.cp1 OR kv.cp[2] <> m.cp2
                OR kv.hg[1] <> m.hg1 OR kv.hg[2] <> m.hg2
                OR NOT mldeck.retention_near(kv.ss[1], m.ss1) OR NOT mldeck.retention_near(kv.ss[2], m.ss2)
                OR NOT mldeck.retention_near(kv.ec[1], m.ec1) OR NOT mldeck.retention_near(kv.ec[2], m.ec2)
                OR NOT mldeck.retention_near(kv.cs[1], m.cs1) OR NOT mldeck.retention_near(kv.cs[2], m.cs2)
                OR NOT mldeck.retention_near(k.sum_log_loss::numeric, m.sll::numeric)
                OR NOT mldeck.retention_near(k.sum_brier::numeric, m.sb::numeric)
                OR NOT mldeck.retention_near(k.sum_confidence::numeric, m.sc::numeric)))
    ON CONFLICT DO NOTHING;

    INSERT INTO retention_fold_bad
    SELECT DISTINCT m.h FROM (
        SELECT date_trunc('hour', bucket, 'UTC') AS h, sum(positive) AS p, sum(total) AS t
        FROM mldeck.kpi_feedback_minute WHERE deployment = p_deployment AND bucket >= p_from AND bucket < p_to
        GROUP BY 1) m
    LEFT JOIN mldeck.kpi_feedback_hour k ON k.deployment = p_deployment AND k.bucket = m.h
    LEFT JOIN mldeck.kpi_folded_hours fh ON fh.deployment = p_deployment AND fh.bucket = m.h
    WHERE k.deployment IS NULL OR (fh.deployment IS NULL AND (k.positive <> m.p OR k.total <> m.t))
    ON CONFLICT DO NOTHING;

    WITH gone AS (DELETE FROM mldeck.kpi_minute x
                  WHERE x.deployment = p_deployment AND x.bucket >= p_from AND x.bucket < p_to
                    AND NOT EXISTS (SELECT 1 FROM retention_fold_bad b WHERE b.h = date_trunc('hour', x.bucket, 'UTC'))
                  RETURNING 1)
    SELECT count(*) INTO minute_rows FROM gone;
    WITH gone AS (DELETE FROM mldeck.kpi_class_minute x
                  WHERE x.deployment = p_deployment AND x.bucket >= p_from AND x.bucket < p_to
                    AND NOT EXISTS (SELECT 1 FROM retention_fold_bad b WHERE b.h = date_trunc('hour', x.bucket, 'UTC'))
                  RETURNING 1)
    SELECT count(*) INTO class_rows FROM gone;
    WITH gone AS (DELETE FROM mldeck.kpi_feedback_minute x
                  WHERE x.deployment = p_deployment AND x.bucket >= p_from AND x.bucket < p_to
                    AND NOT EXISTS (SELECT 1 FROM retention_fold_bad b WHERE b.h = date_trunc('hour', x.bucket, 'UTC'))
                  RETURNING 1)
    SELECT count(*) INTO feedback_rows FROM gone;
    INSERT INTO mldeck.kpi_folded_hours (deployment, bucket)
    SELECT p_deployment, h FROM retention_fold_hours WHERE h NOT IN (SELECT h FROM retention_fold_bad)
    ON CONFLICT DO NOTHING;
    INSERT INTO mldeck.retention_horizons AS r (deployment, minutes_before) VALUES (p_deployment, p_to)
    ON CONFLICT (deployment) DO UPDATE SET minutes_before = greatest(r.minutes_before, EXCLUDED.minutes_before),
                                           updated_at = now();
    SELECT count(*) INTO hours FROM retention_fold_hours WHERE h NOT IN (SELECT h FROM retention_fold_bad);
    SELECT count(*) INTO mismatched FROM retention_fold_bad;
    RETURN NEXT;
END
$$;

-- A rebuild recomputes aggregates from the raw rows: over hours whose raw rows retention removed it
-- would replace the kept figures by those of the rows left. Refused there.
ALTER FUNCTION mldeck.kpi_rebuild(text, timestamptz, timestamptz) RENAME TO kpi_rebuild_unretained;
CREATE FUNCTION mldeck.kpi_rebuild(p_deployment text, p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    gone timestamptz;
BEGIN
    SELECT raw_before INTO gone FROM mldeck.retention_horizons WHERE deployment = p_deployment;
    IF gone IS NOT NULL AND date_trunc('hour', p_from, 'UTC') < gone THEN
        RAISE EXCEPTION 'kpi_rebuild: the raw rows of "%" before % are gone (retention): rebuilding from % would erase the kept aggregates',
            p_deployment, gone, p_from USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN mldeck.kpi_rebuild_unretained(p_deployment, p_from, p_to);
END
$$;

REVOKE ALL ON FUNCTION mldeck.retention_set_days(text, integer), mldeck.retention_note(text, timestamptz),
    mldeck.retention_drop_partitions(timestamptz, integer), mldeck.retention_delete_batch(text, timestamptz, integer),
    mldeck.retention_fold_minutes(text, timestamptz, timestamptz), mldeck.kpi_rebuild(text, timestamptz, timestamptz)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION mldeck.kpi_rebuild_unretained(text, timestamptz, timestamptz) FROM PUBLIC, mldeck_operator,
    mldeck_scientist;
GRANT EXECUTE ON FUNCTION mldeck.kpi_rebuild(text, timestamptz, timestamptz) TO mldeck_operator, mldeck_scientist;
-- Removing history is the admin's (like the feedback purge and drop_prediction_partitions, 015); the guard
-- that runs retention runs as an admin.
GRANT EXECUTE ON FUNCTION mldeck.retention_set_days(text, integer), mldeck.retention_drop_partitions(timestamptz, integer),
    mldeck.retention_delete_batch(text, timestamptz, integer),
    mldeck.retention_fold_minutes(text, timestamptz, timestamptz) TO mldeck_admin;
GRANT SELECT ON mldeck.retention_horizons, mldeck.retention_policy, mldeck.kpi_folded_hours TO mldeck_viewer;
GRANT EXECUTE ON FUNCTION mldeck.retention_days(text), mldeck.retention_cutoff(text, timestamptz),
    mldeck.kpi_minute_horizon(timestamptz) TO mldeck_viewer;
