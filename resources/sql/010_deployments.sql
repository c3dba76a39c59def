-- MLDeck schema, step 10: deployments as first-class objects (see resources/contract/deployments.md).
-- A deployment is created, edited and archived by a person (`mldeckctl deployments`, the Deployments
-- page) before any traffic exists; rows created earlier by a log writer keep working (task
-- 'regression', no target, active).

ALTER TABLE mldeck.deployments
    ADD COLUMN task        text NOT NULL DEFAULT 'regression' CHECK (task IN ('regression', 'classification')),
    ADD COLUMN target_name text NOT NULL DEFAULT '' CHECK (length(target_name) <= 200),
    ADD COLUMN target_unit text NOT NULL DEFAULT '' CHECK (length(target_unit) <= 50),
    ADD COLUMN archived_at timestamptz,
    ADD COLUMN archived_by text,
    ADD CONSTRAINT deployments_archived_both CHECK ((archived_at IS NULL) = (archived_by IS NULL));

-- The database stamps who archived, as it stamps audit_log.actor_db; an archive is never undone here.
CREATE FUNCTION mldeck.deployments_stamp_archive() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.archived_at IS NOT NULL AND NEW.archived_at IS DISTINCT FROM OLD.archived_at THEN
        RAISE EXCEPTION 'deployment "%" is archived', OLD.name USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL THEN
        NEW.archived_at := now();
        NEW.archived_by := session_user;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER deployments_stamp_archive BEFORE UPDATE OF archived_at ON mldeck.deployments
    FOR EACH ROW EXECUTE FUNCTION mldeck.deployments_stamp_archive();

-- Creating, editing and archiving a deployment is a scientist's act (as registering a model is):
-- DeploymentStore writes the row and its audit row (deployment.create / deployment.set /
-- deployment.archive) in one transaction. Operators run rollouts on existing deployments.
-- The KPI targets and drift reference of a new deployment go in with the row (settings); later
-- changes to settings go through their own audited functions (kpi_set_targets, ...).
GRANT INSERT (name, description, settings, task, target_name, target_unit) ON mldeck.deployments
    TO mldeck_scientist;
GRANT UPDATE (description, target_name, target_unit, archived_at, archived_by) ON mldeck.deployments
    TO mldeck_scientist;
