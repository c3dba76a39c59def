-- MLDeck schema, step 15: the admin role (resources/contract/roles.md has the whole role matrix).
--
-- mldeck_admin holds everything operators and scientists may do (it is a member of both), and alone
-- may destroy data that nothing brings back:
--   - the feedback purge (`mldeckctl feedback purge`): deleting users' feedback is a privacy act, kept
--     apart from the scientist's daily work (registering, promoting, retraining) so that a scientist's
--     login cannot empty the feedback a model is judged on;
--   - dropping old prediction partitions (mldeck.drop_prediction_partitions), the log's retention.
-- Settings stay with the roles that use them (operators: rollout, guard and alert rules, webhook;
-- scientists: deployments, drift and retrain settings): an admin may change them all through its
-- memberships. Like the other roles it is cluster-wide and NOLOGIN: GRANT mldeck_admin TO a login user.
-- Nothing here touches the audit log: this file must not depend on 014's chain.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mldeck_admin') THEN
        BEGIN
            CREATE ROLE mldeck_admin NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created by a concurrent migrate of another database
        END;
    END IF;
END
$$;

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['mldeck_operator', 'mldeck_scientist'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_auth_members m
                       JOIN pg_roles g ON g.oid = m.roleid AND g.rolname = r
                       JOIN pg_roles u ON u.oid = m.member AND u.rolname = 'mldeck_admin') THEN
            BEGIN
                EXECUTE format('GRANT %I TO mldeck_admin', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;

-- The purge moves from the scientist (009) to the admin. The append-only trigger still refuses UPDATE.
REVOKE DELETE ON mldeck.feedback FROM mldeck_scientist;
GRANT DELETE ON mldeck.feedback TO mldeck_admin;
GRANT EXECUTE ON FUNCTION mldeck.drop_prediction_partitions(date) TO mldeck_admin;
