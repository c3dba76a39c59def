-- MLDeck schema, step 8: KPI alert rules (issue 4). See resources/contract/alerts.md.
-- A firing rule is an mldeck.alerts row of kind 'kpi' whose dedup_key is the rule id (step 6's
-- alert core: acknowledge and silence are audited there).

-- Per-deployment rules that differ from the built-in defaults (failure_rate, latency_p95_ms, mae,
-- r2, no_data): a row with a default's id replaces that default, other ids add rules. definition
-- is AlertRule::toJson() (validated by the client; the checks below keep the shape honest).
CREATE TABLE mldeck.alert_rules (
    deployment text        NOT NULL REFERENCES mldeck.deployments (name),
    rule_id    text        NOT NULL CHECK (rule_id ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    definition jsonb       NOT NULL CHECK (jsonb_typeof(definition) = 'object' AND definition ->> 'id' = rule_id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL DEFAULT session_user,
    PRIMARY KEY (deployment, rule_id)
);

-- Where each rule stands, so that a restarted (or newly elected) guard keeps its pending timers.
CREATE TABLE mldeck.alert_rule_state (
    deployment     text        NOT NULL REFERENCES mldeck.deployments (name),
    rule_id        text        NOT NULL,
    state          text        NOT NULL DEFAULT 'inactive' CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
    pending_since  timestamptz,
    firing_since   timestamptz,
    resolved_at    timestamptz,
    last_value     double precision,
    last_evaluated timestamptz,
    alert_id       bigint REFERENCES mldeck.alerts (id) ON DELETE SET NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment, rule_id),
    CHECK (state NOT IN ('pending', 'firing') OR pending_since IS NOT NULL),
    CHECK (state <> 'firing' OR firing_since IS NOT NULL)
);

-- The optional webhook (Slack-compatible JSON POST) of a deployment. The URL often carries a
-- token: viewers do not read it (column grants below).
CREATE TABLE mldeck.alert_webhooks (
    deployment text        PRIMARY KEY REFERENCES mldeck.deployments (name),
    url        text        NOT NULL CHECK (url ~ '^https?://'),
    enabled    boolean     NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL DEFAULT session_user
);

-- One row per delivery attempt: what was sent, how it went. Append-only.
CREATE TABLE mldeck.webhook_deliveries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id uuid        NOT NULL,               -- the same for every attempt of one notification
    deployment  text        NOT NULL,
    alert_id    bigint,
    rule_id     text,
    event       text        NOT NULL CHECK (event IN ('firing', 'resolved', 'test')),
    attempt     integer     NOT NULL CHECK (attempt >= 1),
    http_status integer,                            -- NULL: no HTTP answer (timeout, refused)
    delivered   boolean     NOT NULL,
    error       text,
    elapsed_ms  integer     NOT NULL DEFAULT 0,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_deployment ON mldeck.webhook_deliveries (deployment, sent_at DESC);

GRANT SELECT ON mldeck.alert_rules, mldeck.alert_rule_state, mldeck.webhook_deliveries TO mldeck_viewer;
GRANT SELECT (deployment, enabled, updated_at, updated_by) ON mldeck.alert_webhooks TO mldeck_viewer;
GRANT SELECT ON mldeck.alert_webhooks TO mldeck_operator, mldeck_scientist;
-- Operators (and the guard, an operator) tune rules, keep rule state and the webhook, log deliveries.
GRANT INSERT, UPDATE, DELETE ON mldeck.alert_rules, mldeck.alert_webhooks TO mldeck_operator;
GRANT INSERT, UPDATE, DELETE ON mldeck.alert_rule_state TO mldeck_operator, mldeck_scientist;
GRANT INSERT ON mldeck.webhook_deliveries TO mldeck_operator, mldeck_scientist;
