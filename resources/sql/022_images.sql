-- MLDeck schema, step 22: image deployments (resources/contract/images.md, logging.md, deployments.md).
-- An image model's prediction and the user's feedback refer to the image by a key; the deployment's
-- image store (settings -> 'images') maps the key to a file. MLDeck never copies an image into
-- PostgreSQL: only the key is logged.

-- The key of the image a prediction was made on, or that a feedback is about: a relative path in the
-- deployment's image store ('cat/001.png'). NULL on a tabular deployment and on every row logged
-- before this step. Nullable without a default: adding the columns rewrites no table. The readers
-- check each key (core/ml/image/ImageStore.h checkImageKey) before they open it.
ALTER TABLE mldeck.predictions ADD COLUMN image_key text;
ALTER TABLE mldeck.feedback ADD COLUMN image_key text;

-- The image configuration of a deployment (core/domain/ImageDeployment.h ImageDeployment::toJson:
-- the store, the reference training set and the fixed holdout). Set when the deployment is created
-- (the INSERT of step 10 carries settings) or changed here; the caller validates the object with the
-- one parser and writes the audit row "deployment.images" in the same transaction. Returns the
-- object before the change (NULL when the deployment had none).
CREATE FUNCTION mldeck.deployment_set_images(p_deployment text, p_images jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    before jsonb;
BEGIN
    IF jsonb_typeof(p_images) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'the image configuration must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT settings -> 'images' INTO before FROM mldeck.deployments
    WHERE name = p_deployment AND archived_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown deployment "%"', p_deployment USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE mldeck.deployments SET settings = jsonb_set(settings, '{images}', p_images) WHERE name = p_deployment;
    RETURN before;
END
$$;

-- The deployment's configuration is the data scientist's, like its other settings (an admin inherits it, 015).
REVOKE ALL ON FUNCTION mldeck.deployment_set_images(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mldeck.deployment_set_images(text, jsonb) TO mldeck_scientist;
