-- MLDeck schema, step 5: registry rules the code relies on.

-- A file (by content) is registered once per deployment: registering it again finds the existing
-- version, and two concurrent registrations of the same file cannot both insert.
CREATE UNIQUE INDEX models_deployment_sha256 ON mldeck.models (deployment, sha256);

-- "Restore previous model" reads the latest champion move of a deployment from the audit log.
CREATE INDEX audit_log_model_alias_moves ON mldeck.audit_log (deployment, id DESC)
    WHERE action IN ('model.promote', 'model.restore_previous');
