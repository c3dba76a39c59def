-- MLDeck schema, step 17: estimated MAE before outcomes (resources/contract/nanny.md).
-- A "nanny" model, trained on the deployment's reference data with outcomes, estimates the absolute
-- error of each ML prediction as it is logged; the guard adds the estimates to the KPI aggregates.

-- The expected absolute error summed over the ML predictions of the row that the nanny scored, and
-- how many it scored. The folds of 007/012 do not name these columns: they keep them as they are.
ALTER TABLE mldeck.kpi_minute ADD COLUMN est_abs_err_sum double precision NOT NULL DEFAULT 0,
                              ADD COLUMN est_count bigint NOT NULL DEFAULT 0;
ALTER TABLE mldeck.kpi_hour ADD COLUMN est_abs_err_sum double precision NOT NULL DEFAULT 0,
                            ADD COLUMN est_count bigint NOT NULL DEFAULT 0;

-- One row per trained nanny. The weights are a few kilobytes stored here, not in a model store
-- directory: the guard that scores may run on another host than the console that trained it.
-- The row of a deployment's current champion with the highest id is the one in use.
CREATE TABLE mldeck.nanny_models (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment      text        NOT NULL REFERENCES mldeck.deployments (name),
    model_id        bigint      NOT NULL REFERENCES mldeck.models (id), -- the champion it estimates
    model_version   text        NOT NULL,
    weights         bytea       NOT NULL,
    sha256          text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    meta            jsonb       NOT NULL, -- input layout, scaling, training figures (NannyMeta::toJson)
    reference       text        NOT NULL, -- the reference it learnt on, for people ("snapshot baseline", ...)
    rows            bigint      NOT NULL CHECK (rows > 0),
    validation_mae  double precision NOT NULL, -- of the estimate, in target units, on held-out reference rows
    created_by      text        NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nanny_models_deployment ON mldeck.nanny_models (deployment, model_id, id DESC);

-- How far the guard has scored each deployment's log, per champion version: every ML prediction of that
-- version with ts <= scored_to has its estimate in the aggregates (or was too late: nanny.md). Kept per
-- version so that a new nanny of the same version (a retrain, a rollback to a former champion) never
-- moves the mark back over predictions already scored: they would be added a second time.
CREATE TABLE mldeck.nanny_watermark (
    deployment    text        NOT NULL REFERENCES mldeck.deployments (name),
    model_version text        NOT NULL,
    nanny_id      bigint      NOT NULL REFERENCES mldeck.nanny_models (id),
    scored_to     timestamptz NOT NULL,
    scored        bigint      NOT NULL DEFAULT 0, -- predictions of that version scored
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment, model_version)
);

-- Adds one batch of estimates, summed per minute bucket, to the 'ml' minute and hour rows of the nanny's
-- model version and moves that version's watermark, in the caller's transaction. Under the deployment's
-- SHARED KPI lock, like the prediction trigger, so that kpi_rebuild (exclusive) never interleaves.
-- Refuses a watermark that is not at p_from (a second scorer raced this one: nothing is added twice),
-- a bucket outside (p_from, p_to], a sum that is not a finite number >= 0 and a count below 1.
CREATE FUNCTION mldeck.nanny_add_estimates(p_deployment text, p_nanny_id bigint, p_from timestamptz,
                                           p_to timestamptz, p_buckets timestamptz[],
                                           p_sums double precision[], p_counts bigint[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    version text;
    current_to timestamptz;
    added bigint;
BEGIN
    IF p_to IS NULL OR p_from IS NULL OR p_to <= p_from THEN
        RAISE EXCEPTION 'nanny_add_estimates: invalid range % .. %', p_from, p_to
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF cardinality(p_buckets) IS DISTINCT FROM cardinality(p_sums)
       OR cardinality(p_buckets) IS DISTINCT FROM cardinality(p_counts) THEN
        RAISE EXCEPTION 'nanny_add_estimates: arrays of different lengths' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_buckets, p_sums, p_counts) AS x(bucket, s, c)
               WHERE (x.bucket >= date_trunc('minute', p_from, 'UTC') AND x.bucket <= p_to) IS NOT TRUE
                  OR (x.s >= 0 AND x.s < 'Infinity'::double precision) IS NOT TRUE
                  OR (x.c >= 1) IS NOT TRUE) THEN
        RAISE EXCEPTION 'nanny_add_estimates: a bucket outside % .. %, a sum that is not a finite number >= 0 or a '
                        'count below 1', p_from, p_to USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT model_version INTO version FROM mldeck.nanny_models WHERE id = p_nanny_id AND deployment = p_deployment;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'nanny % is not one of deployment "%"', p_nanny_id, p_deployment
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM mldeck.kpi_lock(ARRAY[p_deployment], false);
    SELECT scored_to INTO current_to FROM mldeck.nanny_watermark
    WHERE deployment = p_deployment AND model_version = version AND nanny_id = p_nanny_id FOR UPDATE;
    IF NOT FOUND OR current_to <> p_from THEN
        RAISE EXCEPTION 'nanny_add_estimates: the watermark of "%" is not at % (another scorer moved it)',
            p_deployment, p_from USING ERRCODE = 'serialization_failure';
    END IF;
    WITH b AS (
        SELECT date_trunc('minute', x.bucket, 'UTC') AS bucket, sum(x.s) AS s, sum(x.c)::bigint AS c
        FROM unnest(p_buckets, p_sums, p_counts) AS x(bucket, s, c) GROUP BY 1),
    m AS (
        INSERT INTO mldeck.kpi_minute AS k (deployment, bucket, path, model_version, est_abs_err_sum, est_count,
                                            writer_xid)
        SELECT p_deployment, bucket, 'ml', version, s, c, pg_current_xact_id() FROM b ORDER BY 2
        ON CONFLICT (deployment, bucket, path, model_version) DO UPDATE SET
            est_abs_err_sum = k.est_abs_err_sum + EXCLUDED.est_abs_err_sum,
            est_count = k.est_count + EXCLUDED.est_count,
            writer_xid = pg_current_xact_id()
        RETURNING 1),
    h AS (
        INSERT INTO mldeck.kpi_hour AS k (deployment, bucket, path, model_version, est_abs_err_sum, est_count,
                                          writer_xid)
        SELECT p_deployment, date_trunc('hour', bucket, 'UTC'), 'ml', version, sum(s), sum(c), pg_current_xact_id()
        FROM b GROUP BY 2 ORDER BY 2
        ON CONFLICT (deployment, bucket, path, model_version) DO UPDATE SET
            est_abs_err_sum = k.est_abs_err_sum + EXCLUDED.est_abs_err_sum,
            est_count = k.est_count + EXCLUDED.est_count,
            writer_xid = pg_current_xact_id()
        RETURNING 1)
    -- (m and h run to completion whether read or not.)
    SELECT coalesce(sum(c), 0) INTO added FROM b;
    UPDATE mldeck.nanny_watermark SET scored_to = p_to, scored = scored + added, updated_at = now()
    WHERE deployment = p_deployment AND model_version = version;
    RETURN added;
END
$$;

-- Puts a new nanny in use for its model version. Its mark starts at p_scored_to, but never before where
-- the version's previous nanny had scored to (those predictions have their estimates already). Refuses a
-- nanny that is not the newest of the deployment (trainers are serialised per deployment: NannyStore).
CREATE FUNCTION mldeck.nanny_start(p_deployment text, p_nanny_id bigint, p_scored_to timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    version text;
BEGIN
    SELECT model_version INTO version FROM mldeck.nanny_models WHERE id = p_nanny_id AND deployment = p_deployment;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'nanny % is not one of deployment "%"', p_nanny_id, p_deployment
            USING ERRCODE = 'no_data_found';
    END IF;
    IF p_scored_to IS NULL THEN
        RAISE EXCEPTION 'nanny_start: no start time' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM mldeck.nanny_models WHERE deployment = p_deployment AND id > p_nanny_id) THEN
        RAISE EXCEPTION 'nanny % of "%" is not the newest of the deployment', p_nanny_id, p_deployment
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO mldeck.nanny_watermark AS w (deployment, model_version, nanny_id, scored_to)
    VALUES (p_deployment, version, p_nanny_id, p_scored_to)
    ON CONFLICT (deployment, model_version) DO UPDATE SET nanny_id = EXCLUDED.nanny_id,
        scored_to = greatest(w.scored_to, EXCLUDED.scored_to), updated_at = now();
END
$$;

-- A rebuild recomputes whole hours from the raw log, which holds no estimates: this wrapper keeps the
-- range's estimate sums (they depend only on the predictions, which a rebuild does not change) and
-- puts them back on the rebuilt rows.
ALTER FUNCTION mldeck.kpi_rebuild(text, timestamptz, timestamptz) RENAME TO kpi_rebuild_no_estimates;
CREATE FUNCTION mldeck.kpi_rebuild(p_deployment text, p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lo timestamptz;
    hi timestamptz;
    written bigint;
    m_b timestamptz[]; m_p text[]; m_v text[]; m_s double precision[]; m_c bigint[];
    h_b timestamptz[]; h_p text[]; h_v text[]; h_s double precision[]; h_c bigint[];
BEGIN
    -- Its refusals (an empty or over-long range) before the range's rows are read into arrays.
    IF p_deployment IS NULL OR p_from IS NULL OR p_to IS NULL OR p_to <= p_from
       OR p_to - p_from > interval '400 days' THEN
        RETURN mldeck.kpi_rebuild_no_estimates(p_deployment, p_from, p_to); -- its error
    END IF;
    lo := date_trunc('hour', p_from, 'UTC');
    hi := date_trunc('hour', p_to, 'UTC');
    IF hi < p_to THEN
        hi := hi + interval '1 hour';
    END IF;
    PERFORM mldeck.kpi_lock(ARRAY[p_deployment], true);
    SELECT array_agg(bucket), array_agg(path), array_agg(model_version), array_agg(est_abs_err_sum), array_agg(est_count)
      INTO m_b, m_p, m_v, m_s, m_c
      FROM mldeck.kpi_minute WHERE deployment = p_deployment AND bucket >= lo AND bucket < hi AND est_count <> 0;
    SELECT array_agg(bucket), array_agg(path), array_agg(model_version), array_agg(est_abs_err_sum), array_agg(est_count)
      INTO h_b, h_p, h_v, h_s, h_c
      FROM mldeck.kpi_hour WHERE deployment = p_deployment AND bucket >= lo AND bucket < hi AND est_count <> 0;
    written := mldeck.kpi_rebuild_no_estimates(p_deployment, p_from, p_to);
    UPDATE mldeck.kpi_minute k SET est_abs_err_sum = x.s, est_count = x.c
    FROM unnest(m_b, m_p, m_v, m_s, m_c) AS x(b, p, v, s, c)
    WHERE k.deployment = p_deployment AND k.bucket = x.b AND k.path = x.p AND k.model_version = x.v;
    UPDATE mldeck.kpi_hour k SET est_abs_err_sum = x.s, est_count = x.c
    FROM unnest(h_b, h_p, h_v, h_s, h_c) AS x(b, p, v, s, c)
    WHERE k.deployment = p_deployment AND k.bucket = x.b AND k.path = x.p AND k.model_version = x.v;
    RETURN written;
END
$$;

-- Training a nanny is the data scientist's act (like a retrain); the guard (operator or scientist) scores
-- and moves the watermark through nanny_add_estimates only.
REVOKE ALL ON FUNCTION mldeck.nanny_add_estimates(text, bigint, timestamptz, timestamptz, timestamptz[],
    double precision[], bigint[]), mldeck.nanny_start(text, bigint, timestamptz),
    mldeck.kpi_rebuild(text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION mldeck.kpi_rebuild_no_estimates(text, timestamptz, timestamptz) FROM PUBLIC, mldeck_operator,
    mldeck_scientist;
GRANT EXECUTE ON FUNCTION mldeck.kpi_rebuild(text, timestamptz, timestamptz) TO mldeck_operator, mldeck_scientist;
GRANT SELECT ON mldeck.nanny_models, mldeck.nanny_watermark TO mldeck_viewer;
GRANT INSERT ON mldeck.nanny_models TO mldeck_scientist;
GRANT EXECUTE ON FUNCTION mldeck.nanny_add_estimates(text, bigint, timestamptz, timestamptz, timestamptz[],
    double precision[], bigint[]) TO mldeck_operator, mldeck_scientist;
-- Only the trainer (a scientist) starts a watermark (roles.md); nanny_start never moves one back.
GRANT EXECUTE ON FUNCTION mldeck.nanny_start(text, bigint, timestamptz) TO mldeck_scientist;
