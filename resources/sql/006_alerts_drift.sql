-- MLDeck schema, step 6: the alert life cycle (firing -> resolved, acknowledged, silenced) and
-- drift detection's own tables. See resources/contract/drift.md.

-- state follows resolved_at, so that every writer (the rollout guard inserts 'guardrail' rows
-- without knowing this column) stays consistent: firing until resolved_at is set.
ALTER TABLE mldeck.alerts
    ADD COLUMN state text GENERATED ALWAYS AS (CASE WHEN resolved_at IS NULL THEN 'firing' ELSE 'resolved' END) STORED,
    ADD COLUMN silenced_until timestamptz,
    ADD COLUMN silenced_by text,
    ADD COLUMN resolved_by text,
    ADD CONSTRAINT alerts_silence_pair CHECK ((silenced_until IS NULL) = (silenced_by IS NULL)),
    ADD CONSTRAINT alerts_resolved_after_raised CHECK (resolved_at IS NULL OR resolved_at >= raised_at);
-- raised_at is when the alert fired, resolved_at when it resolved (both already in step 2).

-- At most one open alert per (deployment, kind, dedup_key): a repeated condition refreshes
-- last_seen_at instead of adding rows (INSERT ... ON CONFLICT on this index).
CREATE UNIQUE INDEX alerts_open_kind_dedup ON mldeck.alerts (deployment, kind, dedup_key)
    WHERE resolved_at IS NULL AND dedup_key IS NOT NULL;
CREATE INDEX alerts_open ON mldeck.alerts (raised_at DESC) WHERE resolved_at IS NULL;

-- A stored reference for drift: rows copied out of the prediction log (or a data set), kept
-- when the log's partitions are dropped.
CREATE TABLE mldeck.drift_snapshots (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment     text        NOT NULL REFERENCES mldeck.deployments (name),
    name           text        NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    feature_schema integer     NOT NULL,
    period_from    timestamptz,
    period_to      timestamptz,
    row_count      bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text        NOT NULL DEFAULT session_user,
    UNIQUE (deployment, name),
    FOREIGN KEY (deployment, feature_schema) REFERENCES mldeck.feature_schemas (deployment, id)
);
CREATE TABLE mldeck.drift_snapshot_rows (
    snapshot_id bigint NOT NULL REFERENCES mldeck.drift_snapshots (id) ON DELETE CASCADE,
    predicted   double precision,
    actual      double precision,
    numeric     real[],
    categorical text[]
);
CREATE INDEX drift_snapshot_rows_snapshot ON mldeck.drift_snapshot_rows (snapshot_id);

-- The anti-flap memory per deployment and feature ('__dataset__', '__prediction__' and
-- '__target__' for the dataset verdict, prediction drift and target drift): survives restarts.
CREATE TABLE mldeck.drift_state (
    deployment        text        NOT NULL REFERENCES mldeck.deployments (name),
    feature           text        NOT NULL CHECK (feature <> ''),
    consecutive_drift integer     NOT NULL DEFAULT 0 CHECK (consecutive_drift >= 0),
    consecutive_clean integer     NOT NULL DEFAULT 0 CHECK (consecutive_clean >= 0),
    firing            boolean     NOT NULL DEFAULT false,
    since             timestamptz,
    last_window_end   timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment, feature)
);

-- One row per feature per checked window: the sparklines and time series of the drift page.
CREATE TABLE mldeck.drift_scores (
    deployment     text             NOT NULL,
    feature        text             NOT NULL,
    window_end     timestamptz      NOT NULL,
    window_seconds integer          NOT NULL CHECK (window_seconds > 0),
    test           text             NOT NULL,
    score          double precision,
    p_value        double precision,
    threshold      double precision NOT NULL,
    effect_size    double precision,
    drift          boolean          NOT NULL,
    enough_samples boolean          NOT NULL,
    reference_rows bigint           NOT NULL,
    current_rows   bigint           NOT NULL
);
CREATE INDEX drift_scores_feature_time ON mldeck.drift_scores (deployment, feature, window_end DESC);
CREATE INDEX drift_scores_time_brin ON mldeck.drift_scores USING brin (window_end);

-- Who may do what (see step 3): operators and scientists acknowledge and silence alerts; the
-- guard (an operator) keeps the drift tables.
GRANT SELECT ON mldeck.drift_snapshots, mldeck.drift_snapshot_rows, mldeck.drift_state, mldeck.drift_scores
    TO mldeck_viewer;
GRANT UPDATE (silenced_until, silenced_by, resolved_by) ON mldeck.alerts TO mldeck_operator, mldeck_scientist;
GRANT INSERT, UPDATE ON mldeck.drift_state TO mldeck_operator, mldeck_scientist;
GRANT INSERT ON mldeck.drift_scores TO mldeck_operator, mldeck_scientist;
GRANT INSERT ON mldeck.drift_snapshots, mldeck.drift_snapshot_rows TO mldeck_scientist;
