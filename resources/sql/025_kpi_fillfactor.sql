-- MLDeck schema, step 25: room on each page of the hot aggregate tables, so that a fold's update of a minute or
-- hour row writes its new version on the same page (a HOT update: no index entry, and the old version is pruned
-- in place). Each batch of predictions or outcomes rewrites the rows of its minutes and hours, each about 2 kB
-- of counts and sketch arrays: with full pages (the default, 100) almost no update found room (bench_scale, 200,000
-- predictions over 30 days: 1 HOT update of 115,200 on kpi_minute); at 50 all of them did (115,200 of 115,200), the
-- primary key index stayed half the size and the log wrote 12 % less WAL (resources/contract/scale.md).
-- Only new pages get the room; existing ones keep their rows until they are rewritten.
ALTER TABLE mldeck.kpi_minute SET (fillfactor = 50);
ALTER TABLE mldeck.kpi_hour SET (fillfactor = 50);
ALTER TABLE mldeck.kpi_class_minute SET (fillfactor = 50);
ALTER TABLE mldeck.kpi_class_hour SET (fillfactor = 50);
