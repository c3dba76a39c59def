-- MLDeck schema, step 27: late rows reach the drift sketches. An hour is sketched once it is complete and settled
-- (step 24); a prediction committed later into that hour (a backend that buffered its log, a retried batch) was
-- never in its sketch. The KPI aggregates count every prediction in the statement that logs it, so the hour's
-- count in kpi_hour is an exact, cheap witness: the sketcher records it, read before the hour's rows, and an
-- hour whose count has moved since is sketched again (resources/contract/drift.md, "Late rows").
-- One row per deployment and sketched hour, empty hours included (a late row into an empty hour counts too).
CREATE TABLE mldeck.feature_sketch_hours (
    deployment  text        NOT NULL,
    hour        timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
    predictions bigint      NOT NULL CHECK (predictions >= 0), -- sum(kpi_hour.count) when the hour was read
    sketched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deployment, hour)
);

GRANT SELECT ON mldeck.feature_sketch_hours TO mldeck_viewer;
GRANT INSERT, UPDATE, DELETE ON mldeck.feature_sketch_hours TO mldeck_operator, mldeck_scientist;
