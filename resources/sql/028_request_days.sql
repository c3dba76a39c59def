-- MLDeck schema, step 28: an outcome finds its predictions in the days they were logged, not in every day.
-- An outcome carries no time, and a request key may be a user id whose predictions span many days, so the fold
-- (kpi_apply_outcomes_base, kpi_class_apply_outcomes) probed the (deployment, request_key) index of every daily
-- partition: with 39 partitions that was most of an outcome's cost (bench_scale: 72 us of server CPU an outcome
-- against 13 us a prediction), and it grows with the retention. `request_days` is a global index the log does not
-- have: one row per request key (hashed, below) and UTC day with a prediction of that key, written by a trigger in the
-- transaction that logs the predictions. The fold joins it first and then probes only the partitions of those days
-- (run-time partition pruning on the day's range). Exact: a key's predictions of every day are still all found.
-- A row whose predictions are gone (retention) only costs a probe that finds nothing; retention trims them.
CREATE TABLE mldeck.request_days (
    h   bigint NOT NULL, -- mldeck.request_hash(deployment, request_key)
    day date   NOT NULL, -- the UTC day of the predictions' ts
    PRIMARY KEY (h, day)
);
-- Rows arrive in about day order: a BRIN index finds the old days for retention at almost no write cost.
CREATE INDEX request_days_day_brin ON mldeck.request_days USING brin (day);

-- A 64-bit hash of the key rather than its text: an integer key costs a prediction 4.3 us of server CPU where
-- (deployment, request_key, day) cost 7.5 (collation-aware text comparisons). A collision only adds a probe that
-- finds nothing: the fold still matches predictions on the deployment and the key themselves. Deployment names
-- cannot contain '/', so the joined text is unambiguous.
CREATE FUNCTION mldeck.request_hash(p_deployment text, p_request_key text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT hashtextextended(p_deployment || '/' || p_request_key, 0)
$$;

CREATE FUNCTION mldeck.request_days_on_predictions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- In key order, so that two batches sharing keys (a user id as request key) cannot deadlock.
    INSERT INTO mldeck.request_days (h, day)
    SELECT mldeck.request_hash(deployment, request_key), (ts AT TIME ZONE 'UTC')::date FROM new_rows
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

-- The trigger first: creating it locks the log against writes until this step commits, so no prediction can be
-- logged between the backfill's snapshot and the trigger.
CREATE TRIGGER request_days_predictions AFTER INSERT ON mldeck.predictions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mldeck.request_days_on_predictions();
INSERT INTO mldeck.request_days (h, day)
SELECT DISTINCT mldeck.request_hash(deployment, request_key), (ts AT TIME ZONE 'UTC')::date FROM mldeck.predictions
ON CONFLICT DO NOTHING;
ANALYZE mldeck.request_days;

-- The two outcome folds, same statements with the day lookup before the partition probe. Their SQL was generated
-- by steps 7 and 12; it is edited in place here, and a definition that is not the expected one stops the step.
DO $do$
DECLARE
    def    text;
    edited text;
    -- The outcomes' days first, fenced (OFFSET 0) so that the planner cannot probe the partitions before it knows
    -- the days: each outcome then probes the partitions of its own days only (run-time pruning).
    days constant text := $days$FROM (SELECT c.*, rd.day FROM changed c
              JOIN mldeck.request_days rd ON rd.h = mldeck.request_hash(c.deployment, c.request_key)
              OFFSET 0) c$days$;
    in_day constant text := $in$AND p.ts >= c.day::timestamp AT TIME ZONE 'UTC' AND p.ts < (c.day + 1)::timestamp AT TIME ZONE 'UTC'
         AND NOT p.failed$in$;
BEGIN
    def := pg_get_functiondef('mldeck.kpi_apply_outcomes_base(bigint[])'::regprocedure);
    edited := replace(def, $old$FROM changed c
        JOIN mldeck.predictions p
          ON p.deployment = c.deployment AND p.request_key = c.request_key
         AND NOT p.failed$old$, days || $new$
        JOIN mldeck.predictions p
          ON p.deployment = c.deployment AND p.request_key = c.request_key
         $new$ || in_day);
    IF edited = def THEN
        RAISE EXCEPTION 'step 28: kpi_apply_outcomes_base is not the function of step 7';
    END IF;
    EXECUTE edited;

    def := pg_get_functiondef('mldeck.kpi_class_apply_outcomes(bigint[])'::regprocedure);
    edited := replace(def, $old$FROM changed c
        JOIN cls d ON d.name = c.deployment
        JOIN mldeck.predictions p ON p.deployment = c.deployment AND p.request_key = c.request_key
         AND NOT p.failed$old$, days || $new$
        JOIN cls d ON d.name = c.deployment
        JOIN mldeck.predictions p ON p.deployment = c.deployment AND p.request_key = c.request_key
         $new$ || in_day);
    IF edited = def THEN
        RAISE EXCEPTION 'step 28: kpi_class_apply_outcomes is not the function of step 12';
    END IF;
    EXECUTE edited;
END
$do$;

-- Retention: the rows of days before the oldest prediction left (the oldest daily partition, or an older row of
-- the default partition), at most p_limit per call; the guard's pass calls it after dropping partitions. Exact: no
-- prediction of those days exists. Returns the rows deleted.
CREATE FUNCTION mldeck.retention_trim_request_days(p_limit integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    oldest date;
    n      bigint;
BEGIN
    SELECT min(to_date(substr(c.relname, 13), 'YYYYMMDD')) INTO oldest
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'mldeck.predictions'::regclass AND c.relname ~ '^predictions_[0-9]{8}$';
    oldest := least(oldest, (SELECT (min(ts) AT TIME ZONE 'UTC')::date FROM mldeck.predictions_default));
    IF oldest IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM mldeck.request_days
    WHERE ctid = ANY (ARRAY(SELECT ctid FROM mldeck.request_days WHERE day < oldest LIMIT p_limit));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

REVOKE ALL ON FUNCTION mldeck.request_days_on_predictions(), mldeck.retention_trim_request_days(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mldeck.retention_trim_request_days(integer) TO mldeck_admin;
GRANT SELECT ON mldeck.request_days TO mldeck_viewer;
