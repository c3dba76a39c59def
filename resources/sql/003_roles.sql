-- MLDeck schema, step 3: roles. What a user may do follows their PostgreSQL role; the
-- database enforces it. Roles are cluster-wide and NOLOGIN: grant them to login users
-- (GRANT mldeck_operator TO alice). Several databases of one cluster may migrate at the same
-- moment, so creation tolerates losing the race.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['mldeck_viewer', 'mldeck_operator', 'mldeck_scientist', 'mldeck_backend'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created by a concurrent migrate of another database
            END;
        END IF;
    END LOOP;
    FOREACH r IN ARRAY ARRAY['mldeck_operator', 'mldeck_scientist'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_auth_members m
                       JOIN pg_roles g ON g.oid = m.roleid AND g.rolname = 'mldeck_viewer'
                       JOIN pg_roles u ON u.oid = m.member AND u.rolname = r) THEN
            BEGIN
                EXECUTE format('GRANT mldeck_viewer TO %I', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;

REVOKE ALL ON SCHEMA mldeck FROM PUBLIC;
REVOKE ALL ON FUNCTION mldeck.ensure_prediction_partitions(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION mldeck.drop_prediction_partitions(date) FROM PUBLIC;

-- viewer: reads everything (dashboard, audit, registry), changes nothing.
GRANT USAGE ON SCHEMA mldeck TO mldeck_viewer, mldeck_backend;
GRANT SELECT ON ALL TABLES IN SCHEMA mldeck TO mldeck_viewer;

-- backend: the serving backend appends to the log and reads the registry.
GRANT INSERT ON mldeck.predictions, mldeck.outcomes, mldeck.feedback TO mldeck_backend;
GRANT SELECT ON mldeck.deployments, mldeck.feature_schemas, mldeck.models, mldeck.model_aliases TO mldeck_backend;
GRANT EXECUTE ON FUNCTION mldeck.ensure_prediction_partitions(date, date) TO mldeck_backend, mldeck_operator;

-- operator: rollout work: acknowledges and raises alerts, rolls a model alias back, writes the audit log.
GRANT INSERT ON mldeck.audit_log TO mldeck_operator;
GRANT INSERT ON mldeck.alerts TO mldeck_operator;
GRANT UPDATE (last_seen_at, acknowledged_at, acknowledged_by, resolved_at) ON mldeck.alerts TO mldeck_operator;
GRANT UPDATE (model_id, updated_at, updated_by) ON mldeck.model_aliases TO mldeck_operator;

-- scientist: registers and promotes models, launches retrains, acknowledges drift alerts.
GRANT INSERT ON mldeck.audit_log TO mldeck_scientist;
GRANT INSERT ON mldeck.models, mldeck.feature_schemas, mldeck.retrain_runs TO mldeck_scientist;
GRANT UPDATE (archived, metrics) ON mldeck.models TO mldeck_scientist;
GRANT INSERT, UPDATE, DELETE ON mldeck.model_aliases TO mldeck_scientist;
GRANT UPDATE (state, started_at, finished_at, result_model_id, metrics, error, log) ON mldeck.retrain_runs TO mldeck_scientist;
GRANT INSERT ON mldeck.alerts TO mldeck_scientist;
GRANT UPDATE (last_seen_at, acknowledged_at, acknowledged_by, resolved_at) ON mldeck.alerts TO mldeck_scientist;
