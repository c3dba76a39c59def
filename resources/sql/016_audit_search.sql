-- MLDeck schema, step 16: the Audit page's free-text search served by an index.
-- AuditQuery searches one lower-cased text of action, actors, reason, deployment, before and after
-- with LIKE '%...%'; a trigram GIN index on exactly that expression turns a scan of every row (seconds
-- at a million rows) into an index probe (milliseconds). pg_trgm ships with PostgreSQL and is a trusted
-- extension: a migrating role with CREATE on the database may create it. Where it can be neither found
-- nor created, the search still works as a scan, and the migration says so instead of failing.
-- The timeline reads the last spooled change before a range by when it occurred: spooled rows are few,
-- a partial index keeps just them.
CREATE INDEX IF NOT EXISTS audit_log_spooled_occurred ON mldeck.audit_log (deployment, (coalesce(occurred_at, ts)))
    WHERE spooled;

DO $$
DECLARE
    trgm_schema text;
BEGIN
    SELECT extnamespace::regnamespace::text INTO trgm_schema FROM pg_extension WHERE extname = 'pg_trgm';
    -- An existing pg_trgm is used where it is; a new one goes into MLDeck's schema.
    IF trgm_schema IS NULL THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA mldeck;
        EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
            RAISE NOTICE 'pg_trgm could not be created (%): the audit search reads every row (ask a DBA for CREATE EXTENSION pg_trgm, then re-create mldeck.audit_log_search_trgm)', SQLERRM;
            RETURN;
        END;
        SELECT extnamespace::regnamespace::text INTO trgm_schema FROM pg_extension WHERE extname = 'pg_trgm';
    END IF;
    -- The expression must stay identical to kSearchText in core/store/pg/AuditQuery.cpp.
    EXECUTE format($sql$
        CREATE INDEX IF NOT EXISTS audit_log_search_trgm ON mldeck.audit_log USING gin (
            lower(action || chr(10) || coalesce(actor_os, '') || chr(10) || actor_db || chr(10) || coalesce(reason, '')
                  || chr(10) || coalesce(deployment, '') || chr(10) || coalesce(before::text, '') || chr(10) ||
                  coalesce(after::text, ''))
            %I.gin_trgm_ops)$sql$, trgm_schema);
END
$$;
