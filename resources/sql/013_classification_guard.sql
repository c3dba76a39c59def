-- MLDeck schema, step 13: a classifier's guard rules and plan gates, and the predicted class of a drift
-- snapshot's rows (resources/contract/rollout.md, drift.md). A regression deployment's rows keep their
-- values; the new columns only matter for a classification deployment.

-- The guard judges a classifier's accuracy and log-loss in place of MAE (once the window has
-- min_samples labelled predictions): below rollback_accuracy → ML off; below min_accuracy or
-- log-loss above max_log_loss → percentage halved.
ALTER TABLE mldeck.guard_rules
    ADD COLUMN rollback_accuracy double precision NOT NULL DEFAULT 0.50 CHECK (rollback_accuracy BETWEEN 0 AND 1),
    ADD COLUMN min_accuracy      double precision NOT NULL DEFAULT 0.60 CHECK (min_accuracy > 0 AND min_accuracy <= 1),
    ADD COLUMN max_log_loss      double precision NOT NULL DEFAULT 1.0  CHECK (max_log_loss > 0),
    ADD CHECK (rollback_accuracy <= min_accuracy);

-- A classifier's staged-plan gates, in place of MAE and R²: accuracy (the default target, 90 %),
-- and F1, log-loss, ECE when set (NULL: no such gate).
ALTER TABLE mldeck.rollout_plans
    ADD COLUMN min_accuracy double precision NOT NULL DEFAULT 0.90 CHECK (min_accuracy BETWEEN 0 AND 1),
    ADD COLUMN min_f1       double precision CHECK (min_f1 BETWEEN 0 AND 1),
    ADD COLUMN max_log_loss double precision CHECK (max_log_loss > 0),
    ADD COLUMN max_ece      double precision CHECK (max_ece > 0 AND max_ece <= 1);

-- The class a classifier served, so that a snapshot reference has the predicted-class distribution
-- (prior shift) too; `predicted` there is the predicted probability (binary: of the positive class).
ALTER TABLE mldeck.drift_snapshot_rows ADD COLUMN predicted_class smallint;
