-- MLDeck schema, step 21: the promotion test suite (resources/contract/model-checks.md).
--
-- A deployment may register one golden dataset (a CSV of features, the outcome and an optional segment
-- column) and declare its model checks. Before a model becomes champion the checks run on the golden rows
-- (candidate against the current champion); a candidate that fails one is refused. Every run is kept.

-- The golden dataset, stored in the database (not in a model store directory): the guard that promotes
-- automatically and a console on another host must read the very same bytes. Small by design (a fixed,
-- curated set): the application refuses files above 20 MB.
CREATE TABLE mldeck.golden_datasets (
    deployment     text        PRIMARY KEY REFERENCES mldeck.deployments (name),
    file_name      text        NOT NULL CHECK (file_name <> ''),
    content        bytea       NOT NULL,
    sha256         text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    row_count      integer     NOT NULL CHECK (row_count > 0),
    target_column  text        NOT NULL CHECK (target_column <> ''),
    segment_column text        CHECK (segment_column <> ''),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text        NOT NULL DEFAULT session_user
);

-- The declared checks (core/ml/checks/ModelChecks.h ModelCheckSettings::toJson). A missing row: the
-- defaults (non-regression with a 5 % margin and input validation) apply once golden data exists.
CREATE TABLE mldeck.model_check_settings (
    deployment text        PRIMARY KEY REFERENCES mldeck.deployments (name),
    settings   jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL DEFAULT session_user
);

-- Every run of the checks: before a promotion, after a retrain run, or alone (`mldeckctl models check`).
CREATE TABLE mldeck.model_check_runs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment        text        NOT NULL REFERENCES mldeck.deployments (name),
    model_id          bigint      NOT NULL REFERENCES mldeck.models (id),
    champion_model_id bigint      REFERENCES mldeck.models (id),
    golden_sha256     text        NOT NULL,
    -- SHA-256 of the declared checks that applied (ModelCheckSettings::toJson, compact): a promotion reuses
    -- a stored run of the same candidate, champion, golden data and settings instead of scoring again.
    settings_sha256   text        NOT NULL,
    purpose           text        NOT NULL CHECK (purpose IN ('promote', 'retrain', 'manual')),
    passed            boolean     NOT NULL,
    report            jsonb       NOT NULL CHECK (jsonb_typeof(report) = 'object'),
    ran_at            timestamptz NOT NULL DEFAULT now(),
    ran_by            text        NOT NULL DEFAULT session_user
);
CREATE INDEX model_check_runs_model ON mldeck.model_check_runs (model_id, id DESC);
-- The Models page reads the newest run of each version of a deployment on every refresh.
CREATE INDEX model_check_runs_deployment ON mldeck.model_check_runs (deployment, model_id, id DESC);

-- The checks of the candidate a retrain run registered (the wizard's decision step, the history export).
ALTER TABLE mldeck.retrain_runs ADD COLUMN checks jsonb;

GRANT SELECT ON mldeck.golden_datasets, mldeck.model_check_settings, mldeck.model_check_runs TO mldeck_viewer;
-- Golden data and declared checks are the scientist's, like the drift reference and the retrain settings.
GRANT INSERT, UPDATE ON mldeck.golden_datasets, mldeck.model_check_settings TO mldeck_scientist;
-- `mldeckctl models golden remove` (audited): a stale golden set must not block every promotion.
GRANT DELETE ON mldeck.golden_datasets TO mldeck_scientist;
-- A run is recorded by the scientist (who promotes, roles.md) and by the operator, who may run
-- `mldeckctl models check` alone but not promote.
GRANT INSERT ON mldeck.model_check_runs TO mldeck_operator, mldeck_scientist;
GRANT UPDATE (checks) ON mldeck.retrain_runs TO mldeck_scientist;
