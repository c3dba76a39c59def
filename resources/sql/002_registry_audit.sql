-- MLDeck schema, step 2: what MLDeck itself owns: model registry, audit log, alerts, retrain runs.

-- Model registry. A TorchScript file is code: it is loaded only when its SHA-256 matches.
CREATE TABLE mldeck.models (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment     text        NOT NULL REFERENCES mldeck.deployments (name),
    name           text        NOT NULL CHECK (name <> ''),
    version        text        NOT NULL CHECK (version <> ''),
    sha256         text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    file_path      text        NOT NULL CHECK (file_path <> ''),
    task           text        NOT NULL CHECK (task IN ('regression', 'classification')),
    feature_schema integer,
    feature_names  text[]      NOT NULL DEFAULT '{}',
    scaler         jsonb       NOT NULL DEFAULT '{}'::jsonb, -- e.g. {"mean": [...], "scale": [...]}
    target_unit    text        NOT NULL DEFAULT '',
    created_by     text        NOT NULL DEFAULT session_user,
    created_at     timestamptz NOT NULL DEFAULT now(),
    parent_id      bigint REFERENCES mldeck.models (id), -- the model this one was retrained from
    train_from     timestamptz,
    train_to       timestamptz,
    metrics        jsonb       NOT NULL DEFAULT '{}'::jsonb, -- offline evaluation: {"mae": 1.9, "r2": 0.71, ...}
    archived       boolean     NOT NULL DEFAULT false,
    UNIQUE (deployment, version),
    UNIQUE (id, deployment),
    CHECK (train_to IS NULL OR train_from IS NULL OR train_to >= train_from),
    FOREIGN KEY (deployment, feature_schema) REFERENCES mldeck.feature_schemas (deployment, id)
);

-- Which model serves as champion / challenger for a deployment. The composite key makes it
-- impossible to point an alias at another deployment's model.
CREATE TABLE mldeck.model_aliases (
    deployment text        NOT NULL REFERENCES mldeck.deployments (name),
    alias      text        NOT NULL CHECK (alias IN ('champion', 'challenger')),
    model_id   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL DEFAULT session_user,
    PRIMARY KEY (deployment, alias),
    FOREIGN KEY (model_id, deployment) REFERENCES mldeck.models (id, deployment)
);

-- Every change (flags, promotions, rollbacks, acknowledgements): append-only.
-- change_id is chosen by the client so that a retried write is recognised (ON CONFLICT DO NOTHING).
CREATE TABLE mldeck.audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change_id  uuid        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    ts         timestamptz NOT NULL DEFAULT now(),
    actor_db   text        NOT NULL DEFAULT current_user,
    actor_os   text,
    host       text,
    action     text        NOT NULL CHECK (action <> ''),
    deployment text,
    before     jsonb,
    after      jsonb,
    reason     text
);
CREATE INDEX audit_log_deployment_ts ON mldeck.audit_log (deployment, ts DESC);
CREATE INDEX audit_log_ts_brin ON mldeck.audit_log USING brin (ts);

-- The database role is recorded by the server, not trusted from the client.
CREATE FUNCTION mldeck.audit_log_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.actor_db := session_user;
    NEW.ts := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_stamp BEFORE INSERT ON mldeck.audit_log
    FOR EACH ROW EXECUTE FUNCTION mldeck.audit_log_stamp();

CREATE FUNCTION mldeck.audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mldeck.audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON mldeck.audit_log
    FOR EACH ROW EXECUTE FUNCTION mldeck.audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON mldeck.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION mldeck.audit_log_refuse_change();

-- Alerts raised by the guard (guardrails, drift, errors). One open alert per dedup_key.
CREATE TABLE mldeck.alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment      text        NOT NULL REFERENCES mldeck.deployments (name),
    kind            text        NOT NULL CHECK (kind <> ''), -- drift, guardrail, rollback, error_rate, latency, ...
    severity        text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    dedup_key       text,
    title           text        NOT NULL,
    details         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by text,
    resolved_at     timestamptz,
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
CREATE UNIQUE INDEX alerts_open_dedup ON mldeck.alerts (deployment, dedup_key)
    WHERE resolved_at IS NULL AND dedup_key IS NOT NULL;
CREATE INDEX alerts_deployment_raised ON mldeck.alerts (deployment, raised_at DESC);

-- Retrain runs launched by the wizard, the guard (drift) or a schedule. At most one active per deployment.
CREATE TABLE mldeck.retrain_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment      text        NOT NULL REFERENCES mldeck.deployments (name),
    trigger         text        NOT NULL CHECK (trigger IN ('manual', 'drift', 'schedule', 'performance')),
    state           text        NOT NULL DEFAULT 'queued'
                                CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    dry_run         boolean     NOT NULL DEFAULT false,
    requested_by    text        NOT NULL DEFAULT session_user,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    params          jsonb       NOT NULL DEFAULT '{}'::jsonb, -- window, epochs, seed, ...
    base_model_id   bigint REFERENCES mldeck.models (id),
    result_model_id bigint REFERENCES mldeck.models (id),
    metrics         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error           text,
    log             text
);
CREATE UNIQUE INDEX retrain_runs_one_active ON mldeck.retrain_runs (deployment)
    WHERE state IN ('queued', 'running');
CREATE INDEX retrain_runs_deployment_requested ON mldeck.retrain_runs (deployment, requested_at DESC);
