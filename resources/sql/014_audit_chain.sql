-- MLDeck schema, step 14: the audit log made tamper-evident and append-only for every role
-- (see resources/contract/audit.md).
--
-- Each row carries chain_seq (1, 2, ... per chain), prev_hash (the row_hash of the previous row of
-- its chain, 64 zeros for the first) and row_hash = SHA-256 of its canonical form (documented in
-- core/audit/AuditChain.h, recomputed independently by `mldeckctl audit verify`). One chain per
-- deployment; rows of no deployment form the chain '' (empty key).
--
-- Concurrent writers never fork a chain: the insert trigger locks the chain's row in
-- audit_chain_heads (SELECT ... FOR UPDATE) before it reads the head, and the head moves under
-- that lock, so two writers of one chain take turns (the second waits until the first commits or
-- aborts, then reads the head the first left). Writers of two chains lock two different rows and
-- never wait on each other. The lock is held to the end of the writer's transaction, so an
-- aborted insert leaves the head where it was.

ALTER TABLE mldeck.audit_log
    ADD COLUMN chain_seq bigint,
    ADD COLUMN prev_hash text CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN row_hash  text CHECK (row_hash ~ '^[0-9a-f]{64}$');

-- The last row of each chain. Moved only by the insert trigger below.
CREATE TABLE mldeck.audit_chain_heads (
    chain_key  text        PRIMARY KEY,
    seq        bigint      NOT NULL DEFAULT 0 CHECK (seq >= 0),
    hash       text        NOT NULL DEFAULT repeat('0', 64) CHECK (hash ~ '^[0-9a-f]{64}$'),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- canonical(row): each field as "<byte length>:<UTF-8 bytes>|", a NULL as "-|". Plain SQL functions
-- (STABLE, no SET clause) so that the planner inlines them: a call per field would cost more than the
-- insert itself.
CREATE FUNCTION mldeck.audit_chain_field(v text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NULL THEN '-|' ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v || '|' END
$$;

CREATE FUNCTION mldeck.audit_chain_micros(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (EXTRACT(EPOCH FROM t) * 1000000)::bigint::text
$$;

CREATE FUNCTION mldeck.audit_chain_hash(chain_key text, r mldeck.audit_log) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(
               mldeck.audit_chain_field(chain_key)
            || mldeck.audit_chain_field(r.chain_seq::text)
            || mldeck.audit_chain_field(r.id::text)
            || mldeck.audit_chain_field(r.change_id::text)
            || mldeck.audit_chain_field(mldeck.audit_chain_micros(r.ts))
            || mldeck.audit_chain_field(r.actor_db)
            || mldeck.audit_chain_field(r.actor_os)
            || mldeck.audit_chain_field(r.host)
            || mldeck.audit_chain_field(r.action)
            || mldeck.audit_chain_field(r.deployment)
            || mldeck.audit_chain_field(r.before::text)
            || mldeck.audit_chain_field(r.after::text)
            || mldeck.audit_chain_field(r.reason)
            || mldeck.audit_chain_field(mldeck.audit_chain_micros(r.occurred_at))
            || mldeck.audit_chain_field(CASE WHEN r.spooled THEN 't' ELSE 'f' END)
            || mldeck.audit_chain_field(r.prev_hash), 'UTF8')), 'hex')
$$;

-- Runs as the schema owner (SECURITY DEFINER): writers need no right on the heads table.
-- Every row locks its chain's head row (a no-op once this transaction holds it) and then reads the
-- chain's last row: the head row, or a row this transaction inserted since the head was last written
-- (rows of the same statement included: a BEFORE trigger sees the rows its statement already
-- inserted). While the lock is held no other transaction can add to the chain, so that last row is the
-- chain's end. The head row itself is written once per statement (below): updating it once per row
-- would leave one row version per inserted row to walk through, and a bulk insert would slow down
-- quadratically. No state is kept anywhere a client could set it.
CREATE FUNCTION mldeck.audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text := coalesce(NEW.deployment, '');
    s bigint;
    h text;
    last_seq bigint;
    last_hash text;
BEGIN
    INSERT INTO mldeck.audit_chain_heads (chain_key) VALUES (k) ON CONFLICT (chain_key) DO NOTHING;
    SELECT seq, hash INTO s, h FROM mldeck.audit_chain_heads WHERE chain_key = k FOR UPDATE;
    SELECT chain_seq, row_hash INTO last_seq, last_hash FROM mldeck.audit_log
        WHERE coalesce(deployment, '') = k AND chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    IF last_seq > s THEN
        s := last_seq;
        h := last_hash;
    END IF;
    -- A retried write (its change_id is already in) inserts nothing: the chain stays where it is (the
    -- insert then meets the unique change_id, as before).
    IF EXISTS (SELECT 1 FROM mldeck.audit_log WHERE change_id = NEW.change_id) THEN
        NEW.chain_seq := NULL;
        NEW.prev_hash := NULL;
        NEW.row_hash := NULL;
        RETURN NEW;
    END IF;
    NEW.chain_seq := s + 1;
    NEW.prev_hash := h;
    NEW.row_hash := mldeck.audit_chain_hash(k, NEW);
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION mldeck.audit_log_chain() FROM PUBLIC;

-- Moves each chain's head to the last row the statement inserted in it (still under the row lock).
CREATE FUNCTION mldeck.audit_log_move_heads() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE mldeck.audit_chain_heads h SET seq = n.chain_seq, hash = n.row_hash, updated_at = now()
    FROM (SELECT DISTINCT ON (coalesce(deployment, '')) coalesce(deployment, '') AS chain_key, chain_seq, row_hash
          FROM inserted WHERE chain_seq IS NOT NULL
          ORDER BY coalesce(deployment, ''), chain_seq DESC) n
    WHERE h.chain_key = n.chain_key;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION mldeck.audit_log_move_heads() FROM PUBLIC;

-- Triggers fire in name order: this one after audit_log_stamp, so it hashes the stamped ts and
-- actor. ALWAYS: a back-dated history load (session_replication_role = replica) is chained too.
CREATE TRIGGER audit_log_stamp_then_chain BEFORE INSERT ON mldeck.audit_log
    FOR EACH ROW EXECUTE FUNCTION mldeck.audit_log_chain();
ALTER TABLE mldeck.audit_log ENABLE ALWAYS TRIGGER audit_log_stamp_then_chain;
CREATE TRIGGER audit_log_move_heads AFTER INSERT ON mldeck.audit_log
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION mldeck.audit_log_move_heads();
ALTER TABLE mldeck.audit_log ENABLE ALWAYS TRIGGER audit_log_move_heads;

-- The heads move only from inside the insert trigger (trigger depth 2); any direct write is refused.
CREATE FUNCTION mldeck.audit_chain_heads_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' OR TG_OP = 'DELETE' OR pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'mldeck.audit_chain_heads moves only with the audit log: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_chain_heads_guard BEFORE INSERT OR UPDATE OR DELETE ON mldeck.audit_chain_heads
    FOR EACH ROW EXECUTE FUNCTION mldeck.audit_chain_heads_guard();
CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON mldeck.audit_chain_heads
    FOR EACH STATEMENT EXECUTE FUNCTION mldeck.audit_chain_heads_guard();

-- Backfill: the rows already written, chained in id order per chain. The append-only trigger is off
-- for this UPDATE only (the migration's transaction holds the table locked meanwhile).
ALTER TABLE mldeck.audit_log DISABLE TRIGGER audit_log_append_only;
ALTER TABLE mldeck.audit_chain_heads DISABLE TRIGGER audit_chain_heads_guard;
DO $$
DECLARE
    r mldeck.audit_log;
    k text;
    last_key text := NULL;
    s bigint := 0;
    h text := repeat('0', 64);
BEGIN
    FOR r IN SELECT * FROM mldeck.audit_log ORDER BY coalesce(deployment, ''), id LOOP
        k := coalesce(r.deployment, '');
        IF last_key IS DISTINCT FROM k THEN
            IF last_key IS NOT NULL THEN
                INSERT INTO mldeck.audit_chain_heads (chain_key, seq, hash) VALUES (last_key, s, h);
            END IF;
            last_key := k;
            s := 0;
            h := repeat('0', 64);
        END IF;
        s := s + 1;
        r.chain_seq := s;
        r.prev_hash := h;
        h := mldeck.audit_chain_hash(k, r);
        UPDATE mldeck.audit_log SET chain_seq = s, prev_hash = r.prev_hash, row_hash = h WHERE id = r.id;
    END LOOP;
    IF last_key IS NOT NULL THEN
        INSERT INTO mldeck.audit_chain_heads (chain_key, seq, hash) VALUES (last_key, s, h);
    END IF;
END
$$;
ALTER TABLE mldeck.audit_chain_heads ENABLE TRIGGER audit_chain_heads_guard;
ALTER TABLE mldeck.audit_log ENABLE TRIGGER audit_log_append_only;

-- One row per position of a chain (a second writer can never reuse a position); also the order in
-- which `audit verify` reads a chain.
CREATE UNIQUE INDEX audit_log_chain ON mldeck.audit_log ((coalesce(deployment, '')), chain_seq);
-- The Audit page and `audit list` page newest first by id below a top id, often per deployment.
CREATE INDEX audit_log_deployment_id ON mldeck.audit_log (deployment, id);

-- Append-only for everyone, the table's owner included (the refusing triggers of step 2 stay).
-- The owner keeps INSERT and UPDATE on the heads only because the SECURITY DEFINER trigger runs as
-- the owner; the guard trigger refuses any direct write. A superuser bypasses privileges and can
-- disable triggers: `audit verify` and the head hashes anchored elsewhere are the answer to that.
DO $$
DECLARE
    r text;
    owner_name text := (SELECT tableowner FROM pg_tables WHERE schemaname = 'mldeck' AND tablename = 'audit_log');
BEGIN
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'mldeck\_%' UNION SELECT owner_name LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON mldeck.audit_log FROM %I', r);
        EXECUTE format('REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON mldeck.audit_chain_heads FROM %I', r);
        IF r <> owner_name THEN
            EXECUTE format('REVOKE INSERT, UPDATE ON mldeck.audit_chain_heads FROM %I', r);
        END IF;
    END LOOP;
END
$$;
REVOKE ALL ON mldeck.audit_chain_heads FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON mldeck.audit_log FROM PUBLIC;
GRANT SELECT ON mldeck.audit_chain_heads TO mldeck_viewer;
