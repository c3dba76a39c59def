-- MLDeck schema, step 20: gates that combine metrics (resources/contract/rollout.md). A staged plan's
-- metric gates and each guard action's conditions combine as all / any / at least N of them, some
-- conditions being advisory (shown, never deciding); each guard condition may have a resolve
-- threshold and a keep-firing time (hysteresis), whose state the guard remembers.
-- Rows stored before keep their behaviour: a plan's gates all must pass and its quality gates are
-- judged from the first labelled prediction (min_labelled 1), any breaching guard condition counts,
-- and no condition has hysteresis.

-- {"mode": "all"|"any"|"at_least", "at_least": N, "advisory": [gate, ...],
--  "steps": {"50": {...the same, for the step at 50 %...}}}
-- A combination the application can read: a known mode, "at_least" (a number) exactly for that mode.
CREATE FUNCTION mldeck.is_gate_combination(c jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(c) = 'object'
       AND coalesce(c->>'mode', 'all') IN ('all', 'any', 'at_least')
       AND (coalesce(c->>'mode', '') = 'at_least') = coalesce(jsonb_typeof(c->'at_least') = 'number', false)
       AND (c->'advisory' IS NULL OR jsonb_typeof(c->'advisory') = 'array')
$$;
ALTER TABLE mldeck.rollout_plans
    ADD COLUMN gate_combination jsonb NOT NULL DEFAULT '{"mode": "all", "advisory": []}'
        CHECK (mldeck.is_gate_combination(gate_combination));

-- The labelled predictions a quality gate (MAE, R², accuracy, F1, log-loss, ECE) waits for. NULL: as
-- many as min_samples (plans stored from now on). Rows stored before get 1, what they did until now.
ALTER TABLE mldeck.rollout_plans ADD COLUMN min_labelled bigint DEFAULT 1 CHECK (min_labelled >= 1);
ALTER TABLE mldeck.rollout_plans ALTER COLUMN min_labelled DROP DEFAULT;

-- A regression plan's gate on the nanny model's estimated MAE over the step's scored ML predictions
-- (mldeck.kpi_minute.est_abs_err_sum / est_count, step 17): it gates before outcomes arrive. NULL: no
-- such gate.
ALTER TABLE mldeck.rollout_plans ADD COLUMN max_estimated_mae double precision CHECK (max_estimated_mae > 0);

-- rollback_combination: the conditions that turn ML off (rollback_error_rate, rollback_accuracy);
-- halve_combination: those that halve the percentage (max_latency_p95_ms, max_mae, min_accuracy,
-- max_log_loss). hysteresis: {"max_mae": {"resolve": 2.0, "keep_firing_s": 300}, ...}.
ALTER TABLE mldeck.guard_rules
    ADD COLUMN rollback_combination jsonb NOT NULL DEFAULT '{"mode": "any", "advisory": []}'
        CHECK (mldeck.is_gate_combination(rollback_combination)),
    ADD COLUMN halve_combination    jsonb NOT NULL DEFAULT '{"mode": "any", "advisory": []}'
        CHECK (mldeck.is_gate_combination(halve_combination)),
    ADD COLUMN hysteresis           jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(hysteresis) = 'object');

-- Each condition's hysteresis state: {"max_mae": {"active": true, "clearing_since": <epoch s>}}, so
-- that a guard taking over (or restarted) keeps a condition breached until it has resolved.
ALTER TABLE mldeck.guard_state
    ADD COLUMN conditions jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(conditions) = 'object');
