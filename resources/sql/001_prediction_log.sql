-- MLDeck schema, step 1: the prediction log that serving backends write to.
-- Applied by `mldeckctl migrate` inside one transaction; see resources/contract/schema.md.

CREATE SCHEMA IF NOT EXISTS mldeck;
COMMENT ON SCHEMA mldeck IS 'MLDeck: prediction log, model registry, audit log (managed by mldeckctl migrate)';

CREATE TABLE mldeck.schema_migrations (
    version    integer PRIMARY KEY CHECK (version > 0),
    name       text        NOT NULL,
    checksum   text        NOT NULL, -- sha256 of the step's SQL file as shipped
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text        NOT NULL DEFAULT session_user
);

-- A deployment is one named ML feature (e.g. "eta"). Its name is used in Redis keys too,
-- hence the conservative alphabet.
CREATE TABLE mldeck.deployments (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    description text        NOT NULL DEFAULT '',
    settings    jsonb       NOT NULL DEFAULT '{}'::jsonb, -- per-deployment targets and gates
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text        NOT NULL DEFAULT session_user
);

-- The features a deployment logs, versioned: predictions carry the id they were logged with.
-- features = [{"name": "distance_km", "kind": "numeric"},
--             {"name": "vehicle_type", "kind": "categorical", "categories": ["car", "van"]}, ...]
CREATE TABLE mldeck.feature_schemas (
    deployment text        NOT NULL REFERENCES mldeck.deployments (name),
    id         integer     NOT NULL CHECK (id > 0),
    features   jsonb       NOT NULL CHECK (jsonb_typeof(features) = 'array'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment, id)
);

-- One row per served prediction. Append-only, time-ordered, range-partitioned by UTC day.
-- Columns are ordered fixed-width first so that rows carry no alignment padding.
-- No foreign keys: the backend is not ours, and a log write must never fail because a
-- registry row is missing (a COPY batch is all-or-nothing).
CREATE TABLE mldeck.predictions (
    ts             timestamptz      NOT NULL,
    predicted      double precision,          -- NULL when the prediction failed
    latency_ms     real             NOT NULL DEFAULT 0,
    feature_schema integer          NOT NULL DEFAULT 1,
    failed         boolean          NOT NULL DEFAULT false,
    path           text             NOT NULL CHECK (path IN ('ml', 'heuristic', 'fallback')),
    deployment     text             NOT NULL,
    request_key    text             NOT NULL,
    model_version  text,                      -- NULL on the heuristic path
    error          text,
    numeric        real[],                    -- numeric features, in the feature schema's order
    categorical    text[]                     -- categorical features, in the feature schema's order
) PARTITION BY RANGE (ts);

-- Rows outside every daily partition (clock skew, replays, far past/future) land here:
-- a log write is never refused for its timestamp.
CREATE TABLE mldeck.predictions_default PARTITION OF mldeck.predictions DEFAULT;

-- BRIN: rows arrive in time order, so block ranges map to time ranges; tiny and cheap to maintain.
CREATE INDEX predictions_ts_brin ON mldeck.predictions USING brin (ts) WITH (pages_per_range = 32);
-- The outcome and feedback join, and "what did we predict for request X".
CREATE INDEX predictions_request ON mldeck.predictions (deployment, request_key);

-- History is never rewritten: refuse UPDATE on the log tables (retention drops whole partitions).
CREATE FUNCTION mldeck.refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mldeck.%: rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER predictions_append_only BEFORE UPDATE ON mldeck.predictions
    FOR EACH ROW EXECUTE FUNCTION mldeck.refuse_update();

-- Creates the daily partitions [p_from, p_to] that do not exist yet; returns how many it created.
-- Rows of those days already sitting in the default partition are moved into the new partition.
-- Safe to call concurrently and repeatedly (serialised by an advisory lock).
CREATE FUNCTION mldeck.ensure_prediction_partitions(p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d       date;
    part    text;
    lo      timestamptz;
    hi      timestamptz;
    created integer := 0;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_to < p_from THEN
        RAISE EXCEPTION 'ensure_prediction_partitions: invalid range % .. %', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_to - p_from > 400 THEN
        RAISE EXCEPTION 'ensure_prediction_partitions: at most 400 days at once (asked % .. %)', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('mldeck.prediction_partitions'));
    d := p_from;
    WHILE d <= p_to LOOP
        part := 'predictions_' || to_char(d, 'YYYYMMDD');
        IF to_regclass(format('mldeck.%I', part)) IS NULL THEN
            lo := d::timestamp AT TIME ZONE 'UTC';
            hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
            IF EXISTS (SELECT 1 FROM mldeck.predictions_default WHERE ts >= lo AND ts < hi) THEN
                EXECUTE format('CREATE TABLE mldeck.%I (LIKE mldeck.predictions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
                EXECUTE format('WITH moved AS (DELETE FROM mldeck.predictions_default WHERE ts >= $1 AND ts < $2 RETURNING *) '
                               'INSERT INTO mldeck.%I SELECT * FROM moved', part) USING lo, hi;
                EXECUTE format('ALTER TABLE mldeck.predictions ATTACH PARTITION mldeck.%I FOR VALUES FROM (%L) TO (%L)',
                               part, lo, hi);
            ELSE
                EXECUTE format('CREATE TABLE mldeck.%I PARTITION OF mldeck.predictions FOR VALUES FROM (%L) TO (%L)',
                               part, lo, hi);
            END IF;
            created := created + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN created;
END
$$;

-- Retention: drops the daily partitions that end on or before p_before (whole files, no
-- VACUUM debt) and deletes older rows from the default partition. Returns the dropped names.
CREATE FUNCTION mldeck.drop_prediction_partitions(p_before date) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    part text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('mldeck.prediction_partitions'));
    FOR part IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'mldeck.predictions'::regclass
          AND c.relname ~ '^predictions_[0-9]{8}$'
          AND to_date(substr(c.relname, 13), 'YYYYMMDD') + 1 <= p_before
        ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE mldeck.%I', part);
        RETURN NEXT part;
    END LOOP;
    DELETE FROM mldeck.predictions_default WHERE ts < (p_before::timestamp AT TIME ZONE 'UTC');
END
$$;

-- Ground truth, appended when it is known (e.g. the actual delay after the trip).
-- Several rows per request are allowed: the latest observation wins (see latest_outcomes).
CREATE TABLE mldeck.outcomes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    observed_at timestamptz      NOT NULL,
    received_at timestamptz      NOT NULL DEFAULT now(),
    actual      double precision NOT NULL,
    deployment  text             NOT NULL,
    request_key text             NOT NULL
);
CREATE INDEX outcomes_request ON mldeck.outcomes (deployment, request_key, observed_at DESC, id DESC);
CREATE INDEX outcomes_observed_brin ON mldeck.outcomes USING brin (observed_at);
CREATE TRIGGER outcomes_append_only BEFORE UPDATE ON mldeck.outcomes
    FOR EACH ROW EXECUTE FUNCTION mldeck.refuse_update();

CREATE VIEW mldeck.latest_outcomes AS
SELECT DISTINCT ON (deployment, request_key) deployment, request_key, actual, observed_at
FROM mldeck.outcomes
ORDER BY deployment, request_key, observed_at DESC, id DESC;

-- User feedback on a prediction. The user is a pseudonym computed by the backend (e.g. an
-- HMAC of the user id): a raw e-mail address is refused.
CREATE TABLE mldeck.feedback (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts             timestamptz NOT NULL,
    positive       boolean     NOT NULL,
    deployment     text        NOT NULL,
    request_key    text        NOT NULL,
    comment        text CHECK (length(comment) <= 4000),
    user_pseudonym text CHECK (user_pseudonym !~ '@')
);
CREATE INDEX feedback_request ON mldeck.feedback (deployment, request_key);
CREATE INDEX feedback_ts_brin ON mldeck.feedback USING brin (ts);
CREATE TRIGGER feedback_append_only BEFORE UPDATE ON mldeck.feedback
    FOR EACH ROW EXECUTE FUNCTION mldeck.refuse_update();
