-- MLDeck schema, step 26: retention finished (resources/contract/retention.md). The label state of the KPI
-- aggregates is trimmed with the raw rows; what retention removed of a deployment's predictions is recorded,
-- so that the first_rows drift reference is refused once its rows may be gone (the guard keeps it as a
-- snapshot before); snapshot rows keep their path and time for the calibration map.

-- The trim reads a deployment's state rows past its cutoff, not all of them.
CREATE INDEX kpi_outcome_state_observed ON mldeck.kpi_outcome_state (deployment, observed_at);

-- Deletes up to p_batch rows of the deployment's label state (kpi_outcome_state) whose outcome is past its
-- retention (observed_at before its cutoff) and of whose request key no prediction remains. A key that still
-- has a prediction keeps its row: a later outcome of it must remove the label it replaces, or the
-- aggregates would count two. Under the deployment's exclusive KPI lock, as the outcome trigger: no
-- prediction of the key can be written between the check and the delete. Returns what it removed (rows,
-- and the observed_at range) and the cutoff.
CREATE FUNCTION mldeck.retention_trim_outcome_state(p_deployment text, p_now timestamptz, p_batch integer)
RETURNS TABLE (row_count bigint, oldest timestamptz, newest timestamptz, cutoff timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    c timestamptz := mldeck.retention_cutoff(p_deployment, p_now);
BEGIN
    IF p_batch IS NULL OR p_batch < 1 THEN
        RAISE EXCEPTION 'retention_trim_outcome_state: the batch must be at least 1 row'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM mldeck.kpi_lock(ARRAY[p_deployment], true);
    RETURN QUERY
    WITH gone AS (
        DELETE FROM mldeck.kpi_outcome_state s
        WHERE s.deployment = p_deployment AND s.request_key = ANY (ARRAY(
            SELECT x.request_key FROM mldeck.kpi_outcome_state x
            WHERE x.deployment = p_deployment AND x.observed_at < c
              AND NOT EXISTS (SELECT 1 FROM mldeck.predictions p
                              WHERE p.deployment = p_deployment AND p.request_key = x.request_key)
            LIMIT p_batch))
        RETURNING s.observed_at)
    SELECT count(*), min(g.observed_at), max(g.observed_at), c FROM gone g;
END
$$;

-- Whether retention removed predictions of the deployment (not only moved its horizon): "the first N
-- logged predictions" no longer means what it did once one was removed.
ALTER TABLE mldeck.retention_horizons ADD COLUMN predictions_removed boolean NOT NULL DEFAULT false;

CREATE FUNCTION mldeck.retention_note_removed(p_deployments text[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO mldeck.retention_horizons AS h (deployment, predictions_removed)
    SELECT DISTINCT d, true FROM unnest(p_deployments) d
    ON CONFLICT (deployment) DO UPDATE SET predictions_removed = true, updated_at = now()
$$;

-- What the guard removed before this step, from its audit rows.
UPDATE mldeck.retention_horizons h SET predictions_removed = true
WHERE EXISTS (SELECT 1 FROM mldeck.audit_log a WHERE a.action = 'retention.delete_rows' AND a.deployment = h.deployment
                AND a.after -> 'deleted' @> '[{"table": "predictions"}]')
   OR EXISTS (SELECT 1 FROM mldeck.audit_log a WHERE a.action = 'retention.drop_partition'
                AND a.after -> 'deployments' ? h.deployment);

-- The admin's manual retention (steps 1 and 23) records the removal too: same behaviour, same grants.
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
        EXECUTE format('SELECT mldeck.retention_note(deployment, $1), mldeck.retention_note_removed(ARRAY[deployment]) '
                       'FROM (SELECT DISTINCT deployment FROM mldeck.%I) d', part) USING hi;
        EXECUTE format('DROP TABLE mldeck.%I', part);
        RETURN NEXT part;
    END LOOP;
    PERFORM mldeck.retention_note(deployment, p_before::timestamp AT TIME ZONE 'UTC'),
            mldeck.retention_note_removed(ARRAY[deployment])
    FROM (SELECT DISTINCT deployment FROM mldeck.predictions_default
          WHERE ts < (p_before::timestamp AT TIME ZONE 'UTC')) d;
    DELETE FROM mldeck.predictions_default WHERE ts < (p_before::timestamp AT TIME ZONE 'UTC');
END
$$;

-- A snapshot copied out of the log keeps each row's path and time, so that a classifier's calibration map is
-- fitted on the same rows (the ML path's, in time order) once retention removed them from the log. Nullable,
-- no default: nothing is rewritten; rows stored before (and a data set's) have neither.
ALTER TABLE mldeck.drift_snapshot_rows ADD COLUMN path text, ADD COLUMN ts timestamptz;

REVOKE ALL ON FUNCTION mldeck.retention_trim_outcome_state(text, timestamptz, integer),
    mldeck.retention_note_removed(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mldeck.retention_trim_outcome_state(text, timestamptz, integer),
    mldeck.retention_note_removed(text[]) TO mldeck_admin;
