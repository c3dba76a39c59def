-- MLDeck schema, step 9: retraining (issue 7): per-deployment settings, what a run decided, feedback privacy.

-- Trigger settings per deployment (core/domain/RetrainRun.h RetrainSettings::toJson). A missing row
-- means the defaults of the team's procedure; unknown keys are ignored when read.
CREATE TABLE mldeck.retrain_settings (
    deployment text        PRIMARY KEY REFERENCES mldeck.deployments (name),
    settings   jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL DEFAULT session_user
);

-- Runs started because the feedback conditions were met carry trigger 'feedback'.
ALTER TABLE mldeck.retrain_runs DROP CONSTRAINT IF EXISTS retrain_runs_trigger_check;
ALTER TABLE mldeck.retrain_runs ADD CONSTRAINT retrain_runs_trigger_check
    CHECK (trigger IN ('manual', 'feedback', 'drift', 'schedule', 'performance'));

ALTER TABLE mldeck.retrain_runs
    ADD COLUMN decision         text CHECK (decision IN ('promoted', 'challenger', 'rejected', 'discarded', 'none')),
    ADD COLUMN decision_reason  text,
    ADD COLUMN base_version     text,        -- the champion the run started from (kept if that row is archived)
    ADD COLUMN result_version   text,        -- the version it registered; NULL: none (dry run, failure, cancel)
    ADD COLUMN data_from        timestamptz, -- the data window the candidate was trained and evaluated on
    ADD COLUMN data_to          timestamptz,
    ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false; -- another session asks the running run to stop

-- At most one active run per deployment: retrain_runs_one_active (002) is a partial unique index on
-- state IN ('queued', 'running'), so a second run (a guard and a person at once) is refused by the database.
CREATE INDEX retrain_runs_deployment_state ON mldeck.retrain_runs (deployment, state, id DESC);

-- Feedback privacy. user_pseudonym holds a pseudonym computed by the serving backend (e.g. an HMAC of the
-- user id with a key MLDeck never sees); the CHECK of 001 refuses anything that looks like an e-mail
-- address. Feedback is kept for a retention period (default 180 days, retrain settings
-- feedbackRetentionDays) and deleted by `mldeckctl feedback purge` (audited "feedback.purge").
COMMENT ON COLUMN mldeck.feedback.user_pseudonym IS
    'Pseudonymised user identifier (computed by the backend, never a raw id or e-mail; values containing @ are refused). Purged after the retention period (default 180 days).';
COMMENT ON TABLE mldeck.feedback IS
    'User feedback on predictions. Append-only except for the retention purge (mldeckctl feedback purge, audited feedback.purge).';

-- The append-only trigger refuses UPDATE only; the purge deletes whole rows, which the scientist role may do.
GRANT DELETE ON mldeck.feedback TO mldeck_scientist;

GRANT SELECT ON mldeck.retrain_settings TO mldeck_viewer;
GRANT INSERT, UPDATE ON mldeck.retrain_settings TO mldeck_scientist;
GRANT UPDATE (decision, decision_reason, base_version, result_version, data_from, data_to, cancel_requested,
              params, base_model_id)
    ON mldeck.retrain_runs TO mldeck_scientist;
