-- MLDeck schema, step 19: alerts that do not flap. See resources/contract/alerts.md.
-- A rule's resolve threshold and keep-firing time live in its definition (AlertRule::toJson():
-- "resolve_threshold", "keep_firing_seconds"); only the clearing timer needs a column, so that a
-- restarted (or newly elected) guard keeps it: a firing rule whose value has been past the resolve
-- threshold since clearing_since resolves once that has lasted keep_firing_seconds.
ALTER TABLE mldeck.alert_rule_state
    ADD COLUMN clearing_since timestamptz,
    ADD CONSTRAINT alert_rule_state_clearing_firing CHECK (clearing_since IS NULL OR state = 'firing');
-- The table's existing grants (viewer reads, operator and scientist write) cover the new column.
