-- MLDeck schema, step 24: per-hour feature sketches for drift over long windows (resources/contract/drift.md,
-- "Drift from sketches"). Aggregates, like the KPI tables: kept when retention drops the raw rows of an hour.
-- Written by the guard (C++, core/services/FeatureSketching.cpp) once an hour is complete, not by a trigger on
-- the log: maintaining a quantile sketch per row in PL/pgSQL would cost COPY far more than its budget.

-- One row per deployment, feature schema, hour and feature (or output: __prediction__, __predicted_class__).
-- `sketch` is core/stats/drift/FeatureSketch's serialised form (numeric: at most k weighted points, exact count,
-- minimum, maximum, mean, sum of squares and, when few, the exact distinct values; categorical: exact counts).
CREATE TABLE mldeck.feature_sketches (
    deployment     text        NOT NULL,
    feature_schema integer     NOT NULL,
    hour           timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
    feature        text        NOT NULL,
    rows           bigint      NOT NULL CHECK (rows >= 0),
    sketch         bytea       NOT NULL,
    PRIMARY KEY (deployment, feature_schema, hour, feature)
);

-- Every hour before `sketched_to` is sketched (an hour without a row had no prediction). One writer at a
-- time moves it (the caller locks the row), in the transaction that inserts the hour's sketches.
CREATE TABLE mldeck.feature_sketch_watermark (
    deployment  text        PRIMARY KEY,
    sketched_to timestamptz NOT NULL CHECK (date_trunc('hour', sketched_to) = sketched_to),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The guard (an operator) keeps them, as it keeps the drift tables (step 6).
GRANT SELECT ON mldeck.feature_sketches, mldeck.feature_sketch_watermark TO mldeck_viewer;
GRANT INSERT, UPDATE, DELETE ON mldeck.feature_sketches, mldeck.feature_sketch_watermark
    TO mldeck_operator, mldeck_scientist;
