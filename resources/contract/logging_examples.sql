-- Logging examples for a serving backend (any language). Run against a database migrated by
-- `mldeckctl migrate`; psql -v ON_ERROR_STOP=1 -f logging_examples.sql runs them all.
-- See logging.md for the rules behind them.

-- 0. Once at start-up and then daily (cheap, idempotent): make sure the coming days have their
--    partitions. Rows outside them are still accepted (default partition).
SELECT mldeck.ensure_prediction_partitions(current_date - 1, current_date + 7);

-- 1. Predictions, batched with COPY (fastest). One line per row, tab-separated, \N for NULL.
--    Columns: ts, predicted, latency_ms, feature_schema, failed, path, deployment, request_key,
--             model_version, error, numeric, categorical
BEGIN;
COPY mldeck.predictions (ts, predicted, latency_ms, feature_schema, failed, path, deployment, request_key,
                         model_version, error, numeric, categorical) FROM STDIN;
2024-05-01 08:00:00.000123+00	7.25	3.1	1	f	ml	eta	booking-1001	mlp-2024.05.1	\N	{12.5,31,8,2,0.35,0,14.5,3}	{"north","car"}
2024-05-01 08:00:00.000456+00	\N	41.7	1	t	ml	eta	booking-1002	mlp-2024.05.1	model timeout	{3.25,9,8,2,0.8,1.2,9,1}	{"south","van"}
2024-05-01 08:00:00.000789+00	4	0.05	1	f	heuristic	eta	booking-1003	\N	\N	{7,15,8,2,0.2,0,21,2}	{"east","car"}
2024-05-01 08:00:01.5+00	5.5	0.04	1	f	fallback	eta	booking "quoted", with comma \\ and tab\there	\N	model raised	{1,2,3,4,5,6,7,8}	{"with \\"quotes\\", comma","back\\\\slash"}
\.
COMMIT;

-- 2. The same with a multi-row INSERT (for drivers without COPY support). Batch 100-1000 rows
--    per statement, several statements per transaction. Arrays as literals or ARRAY[...].
INSERT INTO mldeck.predictions (ts, predicted, latency_ms, feature_schema, failed, path, deployment, request_key,
                                model_version, error, numeric, categorical)
VALUES ('2024-05-01 08:00:02+00', 6.5, 2.9, 1, false, 'ml', 'eta', 'booking-1004', 'mlp-2024.05.1', NULL,
        '{12.5,31,8,2,0.35,0,14.5,3}', '{"north","car"}'),
       ('2024-05-01 08:00:02.1+00', 3.75, 0.04, 1, false, 'heuristic', 'eta', 'booking-1005', NULL, NULL,
        ARRAY[7, 15, 8, 2, 0.2, 0, 21, 2]::real[], ARRAY['east', 'van']);

-- 3. Ground truth, appended when known (several rows per request allowed: the latest wins).
COPY mldeck.outcomes (observed_at, actual, deployment, request_key) FROM STDIN;
2024-05-01 08:41:00+00	9.5	eta	booking-1001
2024-05-01 08:44:00+00	3	eta	booking-1003
\.
INSERT INTO mldeck.outcomes (observed_at, actual, deployment, request_key)
VALUES ('2024-05-01 08:45:00+00', 6, 'eta', 'booking-1004'), ('2024-05-01 08:46:00+00', 4.5, 'eta', 'booking-1005');

-- 4. Feedback; user_pseudonym is computed by the backend (e.g. hex HMAC-SHA256 of the user id
--    with a secret key). A value containing '@' is refused.
COPY mldeck.feedback (ts, positive, deployment, request_key, comment, user_pseudonym) FROM STDIN;
2024-05-01 08:50:00+00	f	eta	booking-1001	driver was 10 min late, app said 7	9f2c1d7e
2024-05-01 08:51:00+00	t	eta	booking-1003	\N	\N
\.

-- 4b. An image deployment (images.md): a classifier's columns plus image_key, the key of the image in
--     the deployment's image store (never the image itself); features empty. Feedback may name the image.
COPY mldeck.predictions (ts, predicted, latency_ms, feature_schema, failed, path, deployment, request_key,
                         model_version, error, numeric, categorical, predicted_class, probabilities, image_key) FROM STDIN;
2024-05-01 08:00:03+00	0.93	4.2	1	f	ml	digits	req-77	cnn-1	\N	{}	{}	7	{0,0,0.01,0,0,0,0,0.93,0.06,0}	live/0007.png
\.
COPY mldeck.feedback (ts, positive, deployment, request_key, comment, user_pseudonym, image_key) FROM STDIN;
2024-05-01 08:52:00+00	f	digits	req-77	this is a 1	\N	live/0007.png
\.

-- 5. What MLDeck reads back: predictions joined with their latest outcome.
SELECT p.request_key, p.path, p.predicted, o.actual, abs(p.predicted - o.actual) AS abs_error
FROM mldeck.predictions p
JOIN mldeck.latest_outcomes o USING (deployment, request_key)
WHERE p.deployment = 'eta' AND p.ts >= '2024-05-01' AND p.ts < '2024-05-02'
ORDER BY p.ts;
