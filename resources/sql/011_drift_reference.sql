-- MLDeck schema, step 11: drift works from the first minute (resources/contract/drift.md).
-- The default reference of a deployment is its first N logged predictions: reading them (and counting
-- them while the reference fills) is an index range per deployment, not a sort of the whole log.
CREATE INDEX predictions_deployment_ts ON mldeck.predictions (deployment, ts);

-- Settings: the drift settings of a deployment (DriftData::setDriftSettings validates them with the
-- one parser, DriftConfig::fromJson, and writes the audit row in the same transaction). Returns the
-- settings before the change ('{}' when none were set).
CREATE FUNCTION mldeck.drift_set_settings(p_deployment text, p_settings jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    before jsonb;
BEGIN
    IF jsonb_typeof(p_settings) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'drift settings must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT settings -> 'drift' INTO before FROM mldeck.deployments WHERE name = p_deployment FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown deployment "%"', p_deployment USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE mldeck.deployments SET settings = jsonb_set(settings, '{drift}', p_settings) WHERE name = p_deployment;
    RETURN coalesce(before, '{}'::jsonb);
END
$$;

-- Drift settings and references are the data scientist's: the same role that stores snapshots (006).
REVOKE ALL ON FUNCTION mldeck.drift_set_settings(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mldeck.drift_set_settings(text, jsonb) TO mldeck_scientist;
-- Storing a snapshot replaces one of the same name and records its row count.
GRANT DELETE, UPDATE (row_count) ON mldeck.drift_snapshots TO mldeck_scientist;
GRANT DELETE ON mldeck.drift_snapshot_rows TO mldeck_scientist;
