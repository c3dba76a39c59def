-- MLDeck schema, step 4: staged rollout plans, the automatic guard's rules and memory, and two
-- audit columns (see resources/contract/rollout.md).

-- The client's clock and whether the row went through the client-side spool: a rollback made
-- while PostgreSQL was down is written later, and audit_log.ts (stamped by the server) is then
-- the time it arrived, occurred_at the time it happened.
ALTER TABLE mldeck.audit_log
    ADD COLUMN occurred_at timestamptz,
    ADD COLUMN spooled     boolean NOT NULL DEFAULT false;

-- One staged plan per deployment. current_step indexes steps (-1: not started).
CREATE TABLE mldeck.rollout_plans (
    deployment         text PRIMARY KEY CHECK (deployment ~ '^[a-z][a-z0-9_-]{0,62}$'),
    steps              integer[]        NOT NULL
                       CHECK (cardinality(steps) BETWEEN 1 AND 100 AND 1 <= ALL (steps) AND 100 >= ALL (steps)),
    min_samples        bigint           NOT NULL DEFAULT 200 CHECK (min_samples >= 0),
    min_soak_s         bigint           NOT NULL DEFAULT 900 CHECK (min_soak_s >= 0),
    max_mae            double precision NOT NULL DEFAULT 2.5 CHECK (max_mae > 0),
    min_r2             double precision NOT NULL DEFAULT 0.68 CHECK (min_r2 <= 1),
    max_latency_p95_ms double precision NOT NULL DEFAULT 1000 CHECK (max_latency_p95_ms > 0),
    max_error_rate     double precision NOT NULL DEFAULT 0.20 CHECK (max_error_rate BETWEEN 0 AND 1),
    current_step       integer          NOT NULL DEFAULT -1 CHECK (current_step >= -1),
    step_started_at    timestamptz,
    updated_at         timestamptz      NOT NULL DEFAULT now(),
    updated_by         text             NOT NULL DEFAULT session_user,
    CHECK (current_step < cardinality(steps))
);

-- The guard's rules per deployment; a deployment without a row uses these defaults.
CREATE TABLE mldeck.guard_rules (
    deployment           text PRIMARY KEY CHECK (deployment ~ '^[a-z][a-z0-9_-]{0,62}$'),
    enabled              boolean          NOT NULL DEFAULT true,
    window_s             integer          NOT NULL DEFAULT 300 CHECK (window_s BETWEEN 10 AND 86400),
    interval_s           integer          NOT NULL DEFAULT 5 CHECK (interval_s BETWEEN 1 AND 3600),
    min_samples          bigint           NOT NULL DEFAULT 50 CHECK (min_samples >= 1),
    consecutive_breaches integer          NOT NULL DEFAULT 3 CHECK (consecutive_breaches BETWEEN 1 AND 100),
    rollback_error_rate  double precision NOT NULL DEFAULT 0.30 CHECK (rollback_error_rate > 0 AND rollback_error_rate <= 1),
    max_latency_p95_ms   double precision NOT NULL DEFAULT 1000 CHECK (max_latency_p95_ms > 0),
    max_mae              double precision NOT NULL DEFAULT 2.5 CHECK (max_mae > 0),
    updated_at           timestamptz      NOT NULL DEFAULT now(),
    updated_by           text             NOT NULL DEFAULT session_user
);

-- What the guard remembers between evaluations, shared by every guard so that the one taking
-- over after a failover knows the streaks and, above all, the latch.
CREATE TABLE mldeck.guard_state (
    deployment        text PRIMARY KEY CHECK (deployment ~ '^[a-z][a-z0-9_-]{0,62}$'),
    severe_streak     integer     NOT NULL DEFAULT 0,
    degraded_streak   integer     NOT NULL DEFAULT 0,
    last_evaluated_at timestamptz,
    latched           boolean     NOT NULL DEFAULT false,
    latched_at        timestamptz,
    latched_action    text,
    latched_reason    text,
    last_summary      text,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT ON mldeck.rollout_plans, mldeck.guard_rules, mldeck.guard_state TO mldeck_viewer;
GRANT INSERT, UPDATE ON mldeck.rollout_plans, mldeck.guard_rules, mldeck.guard_state TO mldeck_operator;
