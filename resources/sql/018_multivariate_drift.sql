-- MLDeck schema, step 18: multivariate drift (contract: drift.md, "Multivariate drift").
-- The drift checks also record, as the
-- pseudo-feature '__multivariate__' of mldeck.drift_scores, the mean PCA reconstruction error of the
-- window (score) and the band it must stay in, mean ± 3 standard deviations over reference chunks
-- (threshold holds the upper edge, as for the other lines, so older readers still draw something sensible).
-- NULL in every other row.
ALTER TABLE mldeck.drift_scores
    ADD COLUMN band_low       double precision,
    ADD COLUMN band_high      double precision,
    ADD COLUMN components     integer          CHECK (components >= 0),
    ADD COLUMN variance_share double precision CHECK (variance_share > 0 AND variance_share <= 1);
-- The existing grants (SELECT to mldeck_viewer, INSERT to mldeck_operator and mldeck_scientist on the
-- table) cover the new columns.
