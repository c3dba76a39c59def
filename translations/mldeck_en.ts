<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>KpiReportPdf</name>
    <message>
        <source>Only the first %1 alerts are listed; the CSV export has the same limit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alerts of the period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raised (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolved (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Severity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Title</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No alert was active during this period.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only the first %1 changes are listed; the CSV export has the same limit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changes of the period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Action</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Who</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No change was made during this period.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDeck KPI report · %1 · generated %2 UTC</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI report: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Week</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 from %2 to %3 (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n alert(s)</source>
        <translation>
            <numerusform>%n alert</numerusform>
            <numerusform>%n alerts</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n change(s)</source>
        <translation>
            <numerusform>%n change</numerusform>
            <numerusform>%n changes</numerusform>
        </translation>
    </message>
    <message>
        <source>charts in buckets of %1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≤ %1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Throughput (per s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE (min)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≤ %1 (stretch %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RMSE (min)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≥ %1 (stretch %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAPE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p50 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p99 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failure rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≤ %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delays anticipated (≥ %1 min)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feedback satisfaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML uptime</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≥ %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML vs heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Figure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Summary per path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none: heuristic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Per model version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No prediction in this period.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Charts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grey ticks mark the changes listed at the end (flag changes, rollbacks, promotions).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No data in this period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All paths</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE (min): ML vs heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R²: ML vs heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency (ms), all paths</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p99</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Throughput (predictions per second)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Green meets the deployment&apos;s target, red misses it; “%1”: no traffic, outcomes or feedback yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With a label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Label coverage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≥ %1 % (stretch %2 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Balanced accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision (macro)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recall (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recall (macro)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1 (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1 (macro)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≥ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>≤ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Brier score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calibration error (ECE)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Served as %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated recall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated F1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML vs heuristic (accuracy points)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Green meets the deployment&apos;s target, red misses it; “%1”: no traffic, labels or feedback yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated figures are expected from the model&apos;s calibrated probabilities, before labels arrive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROC AUC comes from a score histogram, within %1 of the exact value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The estimates of this period are not to be trusted: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Per class, all paths</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Served as</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confusion matrix, all paths (rows: true class, columns: served class)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n classes: too many to print; the CSV export has the whole matrix.</source>
        <translation>
            <numerusform>%n class: too many to print; the CSV export has the whole matrix.</numerusform>
            <numerusform>%n classes: too many to print; the CSV export has the whole matrix.</numerusform>
        </translation>
    </message>
    <message>
        <source>True class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Served class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No labelled prediction in this period.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reliability of the ML path (labelled predictions by score)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>P(%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Labelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share right</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gap</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No labelled prediction of the model in this period.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A calibrated model&apos;s share observed equals its mean score in every bin.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ECE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Grey ticks mark the changes listed at the end (flag changes, rollbacks, promotions). Estimated accuracy is drawn grey where it is not to be trusted (calibration off or too few rows).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy (%): ML vs heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML accuracy (%): realised vs estimated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>realised</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>estimated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>estimated, not trusted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calibration error (ECE) and Brier score, ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Brier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ECE target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean confidence and share served as %1 (%), all paths</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean confidence (%), all paths</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>confidence</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck</name>
    <message>
        <source>Control room for a machine-learning model in production.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Render a page to a PNG file (1280×800) and exit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Page to show: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mldeck: unknown page &quot;%1&quot;; pages are: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AlertsService</name>
    <message>
        <source>Alert %1 acknowledged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 silenced until %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2 saved: %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2 is back to its default.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2 had no changes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 has no rule &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2 deleted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AuditChainVerifier</name>
    <message>
        <source>Row %1 has no place in the chain (no sequence or hash): it was inserted past the chain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1 repeats position %2 of the chain: it was inserted out of order.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows at positions %1 to %2 of the chain are missing before row %3: they were removed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1 (position %2) does not follow the row before it (previous hash differs): a row was rewritten or inserted here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1 (position %2) was changed after it was written (its content no longer matches its hash).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The chain ends at position %1 but its head records position %2: the last rows were removed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The chain&apos;s recorded head (position %1) does not match its last row (position %2): the head was moved.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AuditDiff</name>
    <message>
        <source>%1: added %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: removed (was %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2 -&gt; %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no change recorded</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AuditExport</name>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export cancelled; no file was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export failed, no file was written: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AuditFilter</name>
    <message>
        <source>The kind &quot;%1&quot; is not an action or a family of actions (like flags or flags.rollback).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The time range ends (%1) before it starts (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The filter contains a NUL character.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ClassSpec</name>
    <message>
        <source>A classifier needs at least two classes (%1 given).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier has at most %1 classes (%2 given).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A class name is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The class name &quot;%1…&quot; is longer than 64 characters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The class &quot;%1&quot; is named twice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The decision threshold must lie strictly between 0 and 1 (%1 given).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;classes&quot; must be a list of class names.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;decision_threshold&quot; must be a number.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::CsvReader</name>
    <message>
        <source>unterminated quote: a field opened with &quot; is never closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is empty: the first line must name the columns.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the column &quot;%1&quot; appears twice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 fields where the header has %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a quote inside an unquoted field, or text after a closing quote (a field that holds a quote is quoted and doubles it: &quot;a &quot;&quot;b&quot;&quot; c&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a field is too large to hold in memory.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::DependencyFields</name>
    <message>
        <source>no report within its expiry: the backend stopped reporting or is down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the key is a %1, not a hash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>state &quot;%1&quot; is not up, down or degraded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fallback_active &quot;%1&quot; is not 0 or 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>updated_at &quot;%1&quot; is not an ISO-8601 UTC time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fallback_since &quot;%1&quot; is not an ISO-8601 UTC time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid dependency name (lower-case letter first, then up to 62 of a-z, 0-9, _ and -).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A backend reports up, down or degraded; unknown is what readers conclude.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A dependency in fallback needs the time the fallback started.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::DependencyStore</name>
    <message>
        <source>Unexpected answer from Redis to the dependency read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Redis key %1 is a %2, not a set; the dependencies of &quot;%3&quot; cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>written without an expiry, so a stopped backend could not be told apart</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The expiry of a dependency report must be from %1 to %2 ms, not %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; / &quot;%2&quot; is not a valid deployment / dependency name.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::FolderImageStore</name>
    <message>
        <source>folder %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image %1: the store&apos;s folder %2 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image %1 is missing from %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image %1 leads outside the store&apos;s folder %2: refused.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image %1 in %2 is not a file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image %1 is %2 MB, more than the %3 MB MLDeck reads.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image %1 cannot be read: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::GuardDaemon</name>
    <message>
        <source>stop requested</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>guard stopped (%1): leadership of scope &quot;%2&quot; released</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>guard stopped (%1)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::GuardRunner</name>
    <message>
        <source>cannot reach PostgreSQL to elect the guard leader: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>standing by: another guard is the leader</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot list the deployments in Redis: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>leading: this guard is now the leader of scope &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::HistoryBackfill</name>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The history must span %1 to %2 days, not %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rate must be above 0 and at most %1 requests per second, not %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The MLDeck schema is missing or out of date: run &quot;mldeckctl migrate&quot; first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already has logged predictions: a history is only loaded into an empty log (start from a new database).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ride delay prediction (demo)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>prepare (models, partitions)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>prepared in %1 s: models loaded in their workers, day partitions made</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>generate (rides, routing, both models)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>COPY (predictions, outcomes, feedback)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>events (plan, guard, drift, retrain, registry)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 predictions, %2 outcomes, %3 feedback written with COPY in %4 s (%5 rows/s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI aggregates (kpi_rebuild, once)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI aggregates built once in %1 s (%2 aggregate rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis flags and champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is a classifier of %2; the demo history is one of ride offers, classes %3.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::HistoryEvents</name>
    <message>
        <source>First model for the ETA service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rollout per the deployment guide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reviewed by the team: %1 acceptable at this step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>staged plan: step %1 (%2 %) -&gt; step %3 (%4 %), all gates passed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The history&apos;s incident did not reach the guard&apos;s rollback rule (%1); use a higher rate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guard turned ML off for %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model server fixed (a bad deploy of its feature service was rolled back)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incident closed: ML back on at the plan&apos;s current step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift on %1: %2 = %3 (threshold %4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heavy rain and a driver shortage in the city today; the model copes, watching</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE %1 -&gt; %2 on the holdout (%3 % better, rule: at least 2 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE %1 -&gt; %2 on the holdout: below the 2 % the rule asks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feedback over 30 days: %1 items, %2 negative, satisfaction %3 %; trained on 7 days, evaluated on the last %4 rides.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The retrained model was not registered before its promotion.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrained on the last 7 days: better MAE on the holdout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A month of demo history loaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>First model for ride-offer acceptance</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ImageAugmentation</name>
    <message>
        <source>Augmentation &quot;horizontal_flip&quot; must be true or false.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Augmentation &quot;max_crop&quot; must be a number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The largest crop must be from 0 to 0.5 of the image&apos;s side (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::KpiService</name>
    <message>
        <source>Nothing is loaded yet: choose a deployment and a range first.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::MetricsServer</name>
    <message>
        <source>Cannot listen on %1:%2 for /metrics.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--listen takes PORT (on loopback) or HOST:PORT with an IP address, such as 9464, 127.0.0.1:9464 or [::1]:9464 (got &quot;%1&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ModelRunner</name>
    <message>
        <source>No model file given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model path %1 is not a file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read model file %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 does not match its expected SHA-256 (%2…, expected %3…): it was not loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker sent a malformed answer while loading %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker sent an unexpected answer while loading %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker sent a malformed answer for model %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1 has %2 numeric and %3 categorical values; this model (no metadata) takes %4 numeric values and no categorical ones.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1 has a numeric value that is not a finite number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 is a classifier of %2 classes: it predicts a probability vector per row, not one value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 is not a classifier (its metadata gives task &quot;%2&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 is not an image model (its metadata has no &quot;input&quot;: &quot;image&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1: no images given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 is an image model: it takes images, not feature rows.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ModelWorker</name>
    <message>
        <source>MLDECK_MODEL_WORKER names %1, which is not an executable file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker (mldeck-model-worker) was not found next to %1 nor in %2; set MLDECK_MODEL_WORKER to its path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot start the model worker: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot start the model worker %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker answered with an unexpected message at start.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker did not start within %1 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>starting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model ran out of memory (the worker&apos;s limit is %1 MB); its worker was stopped and the next request starts a fresh one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled (the model worker did not stop within %1 s and was stopped).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model did not answer within %1 s; its worker was stopped and the next request starts a fresh one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>working</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>receiving a request</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>was killed (signal 9: by a person, or by the system when memory ran out)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>crashed (signal %1: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exited with status %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>closed its connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker %1 while %2; the next request starts a fresh one.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ModelsService</name>
    <message>
        <source>This file is already registered as %1@%2; nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registered %1@%2 (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is now the %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restored %1@%2 as champion.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archived %1@%2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No Redis connection is configured.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Publishing the champion of &quot;%1&quot; in Redis failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Published %1@%2 as champion in Redis.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion; its Redis key was cleared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Golden dataset of %1 registered: %2, %n row(s); the model checks run on it before every promotion.</source>
        <translation>
            <numerusform>Golden dataset of %1 registered: %2, %n row; the model checks run on it before every promotion.</numerusform>
            <numerusform>Golden dataset of %1 registered: %2, %n rows; the model checks run on it before every promotion.</numerusform>
        </translation>
    </message>
    <message>
        <source>Golden dataset %1 of %2 removed: no promotion checks configured.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::RepeatFilter</name>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1 (repeated %n times over %2, until this stop)</source>
        <translation>
            <numerusform>%1 (repeated %n time over %2, until this stop)</numerusform>
            <numerusform>%1 (repeated %n times over %2, until this stop)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 (repeated %n times over %2, now stopped)</source>
        <translation>
            <numerusform>%1 (repeated %n time over %2, now stopped)</numerusform>
            <numerusform>%1 (repeated %n times over %2, now stopped)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 (repeated %n times over %2 so far)</source>
        <translation>
            <numerusform>%1 (repeated %n time over %2 so far)</numerusform>
            <numerusform>%1 (repeated %n times over %2 so far)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::RolePermissions</name>
    <message>
        <source> or </source>
        <comment>between role names</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deployments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>guard rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>alert rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the webhook</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrain settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read-only: your role %1 may not %2; only the owner of the MLDeck schema may.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read-only: your role %1 may not %2; %3 may.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>owner</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no MLDeck role</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>viewer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>operator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>scientist</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>admin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <comment>user · MLDeck role</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change flags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>roll back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change the rollout plan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>advance the rollout plan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>register models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>promote models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>restore the previous champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>archive models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>launch retraining</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>decide on a retrain run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>acknowledge alerts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>silence alerts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>purge feedback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>verify the audit log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change deployments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change KPI targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change guard rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change alert rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change the webhook</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change drift settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change retrain settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change the retention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the retention</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::SecretStore</name>
    <message>
        <source>no keychain account name was given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the system keychain did not answer within %1 s: the password will be asked each session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no password is saved in the system keychain for %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>access to the system keychain was denied (%1): the password will be asked each session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no system keychain is available (%1): the password will be asked each session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>could not delete the password of %1 from the system keychain (%2)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ServerWatch</name>
    <message>
        <source>connecting to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not responding: %1 earlier checks of %2 are still waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>could not start a check of %1 (out of threads?)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not responding: no answer from %1 within %2 s</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::Settings</name>
    <message>
        <source>Setting &quot;%1&quot; cannot hold a value of type %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language &quot;%1&quot; is not available (choose the system language, en or fr).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh interval must be between %1 and %2 ms.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write the settings file %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::TorchImageTrainer</name>
    <message>
        <source>%1 images: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 images: %2 has the label %3, which is not a class index of the model (0 to %4).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 is not an image classifier (mldeck.json: &quot;input&quot;: &quot;image&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Too few usable training images: %1 (at least %2 are needed); %n image(s) were skipped.</source>
        <translation>
            <numerusform>Too few usable training images: %1 (at least %2 are needed); %n image was skipped.</numerusform>
            <numerusform>Too few usable training images: %1 (at least %2 are needed); %n images were skipped.</numerusform>
        </translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training diverged: loss is %1 at epoch %2, batch %3; try a lower learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>No usable validation image: %n image(s) skipped.</source>
        <translation>
            <numerusform>No usable validation image: %n image skipped.</numerusform>
            <numerusform>No usable validation image: %n images skipped.</numerusform>
        </translation>
    </message>
    <message>
        <source>Model %1 (validation): %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training diverged: validation loss is %1 after epoch %2; try a lower learning rate</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::TorchModel</name>
    <message>
        <source>%1 is not a TorchScript model file (torch.jit.save output): %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the model does not accept the input its metadata describes (%2 values per row%3): %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, windows of %1 rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 failed with an unknown error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returned %1, not a tensor.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model gave a non-finite prediction (%1) for row %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returned a tensor of shape %1, expected [%2] or [%2, values per row].</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (shape %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returned %1 values per row, %2 when it was loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, images [C, H, W] = [%1, %2, %3]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 takes images of %2 values each (C·H·W), not %3.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::TorchNanny</name>
    <message>
        <source>The nanny&apos;s weights are malformed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny&apos;s weights do not fit an input of %1 values.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed nanny training request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny&apos;s training diverged (validation loss is not finite at epoch %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed nanny scoring request.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::TorchTrainer</name>
    <message>
        <source>Training ran out of memory; try a smaller batch size or fewer training rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 data has no numeric column &quot;%2&quot;, which model %3 needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 data has no categorical column &quot;%2&quot;, which model %3 needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 data: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 data: row %2 has a target that is not a finite float number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returned %1, not a tensor.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returned a tensor of shape %1, expected one value per row [%2].</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not a TorchScript model file: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 has no mldeck.json metadata: MLDeck needs its feature schema and scaler to train it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 has no trainable parameters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training diverged: loss is %1 at epoch %2, batch %3; try a lower learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 (validation): %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training diverged: validation loss is %1 after epoch %2; try a lower learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write the trained model to %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The trained model does not load back: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The trained model does not predict: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot move the trained model to %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training failed with an unknown error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 data: row %2 has the label %3, which is not a class index of model %4 (0 to %5).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returned a tensor of shape %1, expected one score per class [%2, %3].</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n class weight(s) given for a model with %1 classes.</source>
        <translation>
            <numerusform>%n class weight given for a model with %1 classes.</numerusform>
            <numerusform>%n class weights given for a model with %1 classes.</numerusform>
        </translation>
    </message>
    <message>
        <source>Class weights apply to a classifier only; model %1 is a %2 model.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::TrainingParams</name>
    <message>
        <source>Training parameter &quot;%1&quot; must be %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>true or false</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a whole number from 0 to 18446744073709551615</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epochs must be from 1 to 1000 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The learning rate must be above 0 and at most 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The batch size must be from 1 to 65536 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The early-stopping patience must be 0 (off) or more (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The plateau factor must be between 0 and 1, both excluded (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The plateau patience must be 0 (off) or more (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threads must be from 0 (keep the current setting) to 256 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;balanced&quot; or a list of numbers, one per class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class weights are either balanced or given, not both.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Class weights need one weight per class, 2 to 1000 (got %n).</source>
        <translation>
            <numerusform>Class weights need one weight per class, 2 to 1000 (got %n).</numerusform>
            <numerusform>Class weights need one weight per class, 2 to 1000 (got %n).</numerusform>
        </translation>
    </message>
    <message>
        <source>A class weight must be above 0 and at most 1000000 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::WorkerServer</name>
    <message>
        <source>Usage: mldeck-model-worker --socket-fd FD [--memory-limit-mb MB]. MLDeck starts this program itself; it is not meant to be run by hand.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown request %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>out of memory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed load request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed prediction request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model is loaded in this worker.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed training request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed nanny training request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed nanny scoring request.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::cli</name>
    <message>
        <source>--rows is required (how many requests to generate).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--rows must be a whole number from 1 to 100000000, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--out is required (the CSV file to write).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--seed must be a non-negative whole number, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--start must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--rate must be a number of requests per second above 0 and at most 1000000, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--drift must be a number from 0 to 1, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number of requests to generate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV file to write (replaced only when complete).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Random seed (default 42): the same seed gives the same file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time of the first request, ISO 8601 (default 2024-05-01T00:00:00Z; UTC when no offset).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per second: how fast the timestamps advance (default 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature drift from 0 (none) to 1 (full scenario): wetter, colder, fewer drivers, another fleet mix.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment name (default: %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML enabled: 0 or 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share of traffic routed to ML: whole number 0 to 100.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fall back to the heuristic when the model fails: 0 or 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>INVALID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>state                   valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>state                   INVALID (%1): ML is OFF for every request until fixed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No flags for deployment &quot;%1&quot; in Redis at %2 (known: %3). Create them with &quot;mldeckctl flags init --deployment %1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the flags of a deployment. Exit code 1 when the stored flags are invalid (ML is then off).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only change the flags if they are still at this version (default: the version read just before).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to change: give --enabled, --percentage and/or --fallback.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--expect-version must be a whole number &gt;= 0, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create the flags of a deployment if they do not exist (version 1; unset values: ML off, 0 %, fallback on). Existing flags are left as they are.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Flags of &quot;%1&quot; already exist; left unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created the flags of &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Request key (booking id, user id); may be repeated.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the bucket (1-100) of request keys: a key goes to ML when ml_enabled is 1 and ml_traffic_percentage &gt;= its bucket. Needs no server.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give at least one --key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1:%2 -&gt; bucket %3 (ML when ml_enabled=1 and ml_traffic_percentage &gt;= %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>database &quot;%1&quot; has a schema &quot;mldeck&quot; that MLDeck did not create</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>database schema is version %1, this mldeckctl knows up to %2: upgrade MLDeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>applied migration step(s) differ from this mldeckctl: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>database: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema version: %1 (this mldeckctl knows up to %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pending: none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pending: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only report the current, latest and pending schema versions (exit 1 when steps are pending).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create or upgrade the mldeck schema in PostgreSQL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unexpected argument &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>applied %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema is up to date (version %1) on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema is now at version %1 on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>flags: none (ML off)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>flags: INVALID (%1) → ML off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>flags v%1: ML %2 %3%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1  %2 requests (%3/s)  ml %4  heuristic %5  fallback %6  failed %7 | written %8, outcomes %9, feedback %10, buffered %11 | %12</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> | scenarios: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> | Redis: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> | PostgreSQL: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment to serve (default: eta).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requests per second (default: 200).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop after this long (e.g. 90s, 10m); default: until Ctrl-C.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Random seed (default: 42).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean delay before ground truth arrives (default: 20s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create missing flags with ML on at this percentage (default: 25; -1: never create).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model inference threads (default: 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print only the final summary.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--rate must be a number of requests per second.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--seed must be a non-negative integer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--initial-percentage must be an integer from -1 to 100.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--threads must be an integer from 1 to 64.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DOWN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is unreachable: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 at %2 is unreachable: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows from %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: MAE %2, RMSE %3, R² %4, MAPE %5, %6 rows/s, p50 %7 ms, p99 %8 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model: a TorchScript file, DEPLOYMENT:champion, DEPLOYMENT:challenger or DEPLOYMENT@VERSION.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A model to compare (2 to 4 times; the first is the baseline): a file or a registry reference.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV file: header = column names.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target column of the CSV (default: the model&apos;s, else delay_min).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Input columns, comma-separated (models without metadata).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bootstrap seed (default 42).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bootstrap resamples (default: 1000, fewer above 200000 rows).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use the logged predictions of this last period (e.g. 24h, 90m, 7d).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment of the window (default: the only one).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also write the report as CSV to this file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compares 2 to 4 models on exactly the same rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give exactly one --model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give 2 to 4 --model options (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--window must look like 24h, 90m, 7d or 3600s, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--features names no column.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--threads must be a whole number from 1 to 256.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--seed must be a non-negative whole number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--resamples must be a whole number from 100 to 100000.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--share must be a number above 0 and at most 1, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment to check.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Current window, e.g. 10m (default: the deployment&apos;s setting, else 10m).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share of drifting features that makes dataset drift (default 0.5).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End of the current window, ISO 8601 (default: now).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--deployment is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--window: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--reference: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--at must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1: window %2 to %3 against %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference CSV file (header line, one column per feature).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Current CSV file, same columns.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Comma-separated columns to leave out (default: ts,request_key).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compares two data sets offline, feature by feature (a text column is categorical, a numeric column numeric). Exit code 1 when the dataset drifts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--reference and --current are both required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Column &quot;%1&quot; of %2 is not in %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Column &quot;%1&quot; is numeric in one file and text in the other.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl drift check --deployment D [--window 10m] [--reference SPEC] [--json]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>       mldeckctl drift compare --reference A.csv --current B.csv [--json]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why (recorded in the audit log).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change the flags of a deployment (compare-and-set on the version, audited). Exit code 1 when someone else changed them in between.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share of traffic routed to ML: whole number 0 to 100 (default: unchanged).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn ML on (optionally at a percentage); audited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn ML off (the percentage is kept); audited. For an emergency use &quot;flags rollback&quot;, which always wins.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Emergency rollback: ML off and 0 % at once, whatever anyone else is doing. Works while PostgreSQL is down (the audit row is kept locally and written later).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl flags &lt;status|set|enable|disable|rollback|init|bucket&gt; [options]   (mldeckctl flags &lt;sub&gt; --help)

  status   show the flags of a deployment
  set      change them (compare-and-set on the version, audited)
  enable   turn ML on [--percentage N]
  disable  turn ML off
  rollback emergency: ML off and 0 %, always wins
  init     create them if they do not exist
  bucket   show the bucket of request keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment to re-arm.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why the guard may act again (required, audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re-arm a latched guard so that it may act again (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give --deployment with a valid deployment name (got &quot;%1&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give --reason: re-arming the guard is audited and needs a reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The guard was re-armed but the audit row could not be written: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guard of &quot;%1&quot; re-armed (it was latched on %2: %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guard of &quot;%1&quot; was not latched; streaks cleared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guard only this deployment (repeatable; default: all).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run one round and exit (exit code 1 when not the leader or a check failed).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time between rounds, e.g. 5s, 500ms, 1m (default 5s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leader-election scope: guards with the same scope elect one leader.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run the automatic guard (&quot;mldeckctl guard rearm --deployment D --reason R&quot; re-arms a latched one). Only the elected leader acts; Ctrl-C stops.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--interval must be a time from 100ms to 60m such as 5s, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>guard running every %1 ms (scope &quot;%2&quot;); Ctrl-C stops</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>archived</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2  %3  %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  task        %1 (target unit: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  sha256      %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  file        %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  created     %1 by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  features    %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no metadata)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  metrics     MAE %1  RMSE %2  R² %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  parent      %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  trained on  %1 .. %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The TorchScript model file to register.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model name (default: from the metadata, else the file name).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version (default: the next whole number of the deployment).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version this model was retrained from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start of the training data window (ISO 8601).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End of the training data window (ISO 8601).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model store directory (default: MLDECK_MODEL_STORE, else %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Validate a TorchScript file, copy it into the model store and register it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give exactly one model file to register</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1: &quot;%2&quot; is not an ISO 8601 date or time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This file is already registered as %1@%2; nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registered %1@%2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note: the file has no mldeck.json metadata; its features could not be checked against the deployment&apos;s schema.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Include archived versions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>List the registered model versions of a deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown deployment &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no registered models.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VERSION  NAME                 TASK            MAE     R²      CREATED               ALIASES</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The version to show, or champion / challenger.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show one registered model version.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give exactly one version (or champion / challenger)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no %2 model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is now the %3 (was: %4; audit change %5).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Published in Redis: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The version to promote.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>champion (default) or challenger.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why (kept in the audit log).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Point the champion or challenger alias at a version (audited), then publish the champion in Redis.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give exactly one version to promote</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--alias must be champion or challenger, not &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make the previous champion the champion again (audited), then publish it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The version to archive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive a version (never the champion; audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give exactly one version to archive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archived %1@%2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Publish the deployment&apos;s champion (from PostgreSQL) in Redis again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Publishing the champion of &quot;%1&quot; in Redis failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Published %1@%2 as champion in %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion; %2 was cleared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>plan of &quot;%1&quot;: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step %1 since %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>can advance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot advance (gates failing, or last step)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl plan &lt;show|advance|set&gt; [options]   (mldeckctl plan &lt;sub&gt; --help)

  show     the plan, the current step and every gate, live
  advance  move to the next step when all gates pass [--override-reason R]
  set      store the plan: --steps 10,25,50,100 and gates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the staged plan with live gates.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advance although gates fail (audited as an override).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advance to the next step (sets the percentage, audited) when all gates pass.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An override needs a non-empty reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Minimum ML samples in the step.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Minimum time in the step, seconds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE at most.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R² at least.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95 at most, ms.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate at most, share 0..1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Percentages in order, e.g. 10,25,50,100.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Store the staged plan (validated; audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1 must be a number, not &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown plan command &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment (default: eta).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn ML off above this failure rate (0 to 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Halve the percentage above this latency p95 (ms).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Halve the percentage above this MAE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Act only on at least this many samples.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Act only after this many consecutive breaches.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sliding window in seconds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1: the guard acts on this deployment; 0: it only watches.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why (required for a change, audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the guard&apos;s rules of a deployment, or change them (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--enabled must be 0 or 1, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give --reason: changing the guard&apos;s rules is audited and needs a reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guard rules of &quot;%1&quot;%2:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (changed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  acts: %1; window %2 s; at least %3 samples; after %4 consecutive breaches</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no (watch only)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  ML off above a failure rate of %1; percentage halved above latency p95 %2 ms or MAE %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this deployment (default: every deployment).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Include resolved alerts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most this many alerts (default 200).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lists open alerts (KPI rules, drift, guardrails), newest first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--limit must be a positive whole number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No alerts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The alert id (see alerts list).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acknowledges an alert (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give one alert id, a positive number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 acknowledged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End of the silence, ISO 8601 (e.g. 2024-05-01T18:00:00Z).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Length of the silence, e.g. 30m, 2h, 1d.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lift the silence.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Silences an alert until a time: no webhook while silenced (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give exactly one of --until, --for or --off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--until must be an ISO 8601 date-time such as 2024-05-01T18:00:00Z, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--for must be a duration such as 30m, 2h or 1d, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 silenced until %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 is no longer silenced.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shows a deployment&apos;s KPI alert rules and where each stands.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> since %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>last %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threshold (failure rate as a share: 0.2 = 20 %; latency in ms).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;&gt;&quot; or &quot;&lt;&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pending period in seconds before firing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Window in seconds the figure is computed over.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>info, warning or critical.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn the rule on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn the rule off (a firing alert resolves).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Forget this deployment&apos;s changes: back to the built-in default.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changes one KPI alert rule of a deployment (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--rule is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--enable and --disable exclude each other.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2 is back to its default.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2 had no changes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 has no rule &quot;%2&quot;: give --metric to add one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 watches %2; its metric cannot change (add a rule with another id).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1 must be a %2, not &quot;%3&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2: %3 (%4).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn the webhook off (the URL is kept).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>http(s) address that receives the JSON POST (e.g. a Slack incoming webhook).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sets (or turns off) the alert webhook of a deployment (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give either one URL or --off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Webhook of %1 turned off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Webhook of %1 set to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sends a test notification to the deployment&apos;s webhook (with retries) and records it. Exit code 1 when it was not delivered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 has no webhook: set one with &quot;mldeckctl alerts webhook set&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Webhook test</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>attempt %1: %2 (%3 ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>delivered, HTTP %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note: this webhook is turned off; alerts do not use it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl alerts webhook set --deployment D URL | --off
       mldeckctl alerts webhook test --deployment D</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete feedback older than N days (default: the deployment&apos;s retention, 180 days unless changed).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Count what would be deleted; delete nothing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete old user feedback (retention; audited as feedback.purge).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--older-than-days: &quot;%1&quot; is not a whole number from 1 to 3650</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n feedback items of &quot;%1&quot; are older than %2 days and would be deleted.</source>
        <translation>
            <numerusform>%n feedback item of &quot;%1&quot; is older than %2 days and would be deleted.</numerusform>
            <numerusform>%n feedback items of &quot;%1&quot; are older than %2 days and would be deleted.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n feedback items of &quot;%1&quot; older than %2 days.</source>
        <translation>
            <numerusform>Deleted %n feedback item of &quot;%1&quot; older than %2 days.</numerusform>
            <numerusform>Deleted %n feedback items of &quot;%1&quot; older than %2 days.</numerusform>
        </translation>
    </message>
    <message>
        <source>Usage: mldeckctl feedback purge [--deployment D] [--older-than-days N] [--dry-run] [--json]

  purge    delete user feedback older than the retention (default 180 days); audited</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stretch %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> FAIL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Figure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1 must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment to report on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Range ending now: 15m, 1h, 24h, 7d, 30d or any N followed by m, h or d (default 1h).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start of a custom range, ISO 8601 (with --to).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End of a custom range, ISO 8601 (with --from).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Columns: path (ml, heuristic, fallback) or version (model version); default path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Prints the KPIs of a deployment over a range, as the dashboard shows them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--by must be path or version, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--from and --to go together.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--to must be after --from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A range is at most 366 days long.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--range must be a number followed by m, h or d (such as 15m, 1h, 24h, 7d, 30d; at most 366 days), not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1, %2 to %3 (display buckets of %4 s, %5 ms).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1  %2  %3  %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Length of the report: day or week (default: day).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pdf or csv (default: from the extension of --out).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File to write (replaced only once the report is complete).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End of the period, ISO 8601 (2024-05-02T00:00:00Z; a bare date is its midnight UTC). Default: now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writes the KPI report of a deployment over a day or a week: figures per path against the targets, charts, alerts and changes of the period.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--out is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--format is required when --out does not end in .pdf or .csv.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--end must be an ISO 8601 date-time such as 2024-05-02T00:00:00Z, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>met</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not met</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  %1: %2 [%3]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  %1: %2 (threshold %3 %4) [%5]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check whether a deployment is due for retraining (exit 0: due, 1: not due).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>checking</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loading data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>evaluating</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>registering</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data window: the last N days (default 60).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training epochs (default 10).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Learning rate (default 0.0005).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch size (default 256).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Random seed (default 42).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re-initialise the weights instead of starting from the champion&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model store directory (default: MLDECK_MODEL_STORE, else the standard one).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run even when the triggers are not due.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train and evaluate; register and promote nothing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain the champion on recent data, evaluate it against the champion on the same holdout, and promote it only when the decision rule says so (else keep it as challenger).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1: &quot;%2&quot; is not a whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--learning-rate: &quot;%1&quot; is not a number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--min-improvement: &quot;%1&quot; is not a number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retraining is not due; use --force to run anyway.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[%1 %] epoch %2/%3: train loss %4, validation loss %5, validation MAE %6, %7 s left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[%1 %] %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Candidate %1@%2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dry run: nothing was registered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not apply the decision: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most N runs (default 50).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The retrain runs of a deployment, newest first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--limit: &quot;%1&quot; is not a positive whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No retrain run for &quot;%1&quot; yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> dry run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>    %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrained versions to keep, newest first (the champion and the previous champion are always kept).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive old retrained versions and remove their files from the model store.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--keep N is required</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--keep: &quot;%1&quot; is not a whole number of 0 or more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archived: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kept: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;set key=value ...&quot; changes settings (e.g. set autoRetrain=true minFeedback=150).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show or change the retrain settings of a deployment (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown argument &quot;%1&quot;: use &quot;set key=value ...&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;set&quot; needs at least one key=value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown setting &quot;%1&quot;; known: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 must be true or false</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 must be a number (got &quot;%2&quot;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ask the running retrain of a deployment to stop (it records itself as cancelled).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Asked run %1 to stop; it stops at the end of the current epoch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No retrain run of &quot;%1&quot; is running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl retrain &lt;check|run|history|cancel|cleanup|settings&gt; [options]   (mldeckctl retrain &lt;sub&gt; --help)

  check       is the deployment due? each condition with value and threshold (exit 0 due, 1 not)
  run         retrain, evaluate against the champion, promote only if the rule says so
  history     the runs: status, trigger, parameters, metrics, decision
  cancel      ask the running run to stop
  cleanup     archive old retrained versions (--keep N; never the champion or the previous one)
  settings    show or change the triggers and the scheduler (settings set key=value ...)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> | model %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> | WARNING: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Serve this TorchScript file for the whole run and do not follow the champion (default: follow the deployment&apos;s champion from the registry, the demo MLP until there is one).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>started in %1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the connections to Redis and PostgreSQL once, and start the model worker once.
Exit code 0 when all three are up, 2 otherwise.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model worker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker cannot start: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output format: prometheus (a rules file for promtool and Prometheus).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write to this file instead of standard output.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writes the KPI alert rules as a Prometheus rules file that fires on the same conditions as the guard, from the series of `mldeckctl guard --listen`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--format must be prometheus (got &quot;%1&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl alerts &lt;command&gt; [options]   (mldeckctl alerts &lt;command&gt; --help)

  list [--deployment D] [--all] [--json]      open alerts (--all: with resolved ones)
  ack ID [--reason TEXT]                       acknowledge an alert (audited)
  silence ID --until ISO|--for 2h|--off        silence an alert until a time (audited)
  rules [--deployment D] [--json]              KPI alert rules and where each stands
  rules set --deployment D --rule ID ...       change a rule (audited)
  webhook set --deployment D URL | --off       the Slack-compatible webhook
  webhook test --deployment D                  send a test notification
  export --format prometheus [--deployment D]  the rules as a Prometheus rules file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>metrics on http://%1:%2/metrics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> | weather API down: neutral weather factor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> | dependency report: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Serve /metrics (Prometheus), /healthz and /readyz on [HOST:]PORT, e.g. 9464 (loopback) or 127.0.0.1:9464 (off by default).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis URL (default: $MLDECK_REDIS_URL).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL URL (default: $MLDECK_PG_URL).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print machine-readable JSON.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No PostgreSQL given: pass --pg postgresql://user@host:port/db or set MLDECK_PG_URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown command &quot;%1 %2&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check the connections to Redis and PostgreSQL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read and change the rollout flags of a deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run the automatic guard (auto-rollback, drift checks).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show or advance the staged rollout plan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register, list, promote and archive model versions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluate one model on a CSV file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare 2 to 4 models on the same rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check feature drift, live or between two datasets.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Print the KPIs of a deployment over a time range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>List alerts, acknowledge, silence; edit alert rules and the webhook.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the KPI report of a day or a week as PDF or CSV.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write a Grafana dashboard over the guard&apos;s Prometheus metrics.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check retrain triggers, run a retrain, list or clean up runs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feedback retention: purge what is older than the retention.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the serving backend&apos;s own dependencies (up, down, in fallback).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run the reference serving backend on demo traffic.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write synthetic ride-delay data as CSV.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl &lt;verb&gt; [options]   (mldeckctl &lt;verb&gt; --help)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown verb &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>UNKNOWN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, fallback for %1 min (since %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  last error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  reported %1 s ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lists the serving backend&apos;s own dependencies (weather API, feature store...) as the backend reports them in Redis: up, down, degraded or unknown (no report within its expiry), and how long a fallback has been active. Exit code 1 when one is not up, in fallback or unknown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the backend reports no dependencies.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrote %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl export grafana --deployment D [--output FILE]
  Writes an importable Grafana dashboard (JSON) whose panels read the series of `mldeckctl guard --listen`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writes a Grafana dashboard for a deployment; its targets (MAE, R², latency, failure rate) come from the deployment&apos;s settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With outcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Throughput (/s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE (min)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RMSE (min)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAPE (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency mean (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p50 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p99 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failure rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delays anticipated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Satisfaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML uptime</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML vs heuristic (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create, list, show, change and archive deployments.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill an empty deployment with a month of demo history.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete a rule of the deployment&apos;s own (an alert it raised resolves).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--reset and --delete exclude each other.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 has no rule &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 of %2 deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Length of the history in days (default 30).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Random seed (default 42): the same seed and end give the same history.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean requests per second over the day (default 1; busier at rush hours, quiet at night).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End of the history, ISO 8601 (default: now, to the minute).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--days must be a whole number, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--rate must be a number, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--end must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already has its demo history (%2 .. %3, seed %4): reused, nothing added.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  %1: %2 s, %3 rows, %4 rows/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  %1: %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>History of &quot;%1&quot; from %2 to %3: %4 predictions, %5 outcomes, %6 feedback, %7 audit rows in %8 s (%9 log rows/s overall).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1  (archived %2 by %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  task         %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  description  %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  target       %1 (unit: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  created      %1 by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (categorical)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  features     schema %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  features     none yet (the first model registered or row logged sets them)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give exactly one deployment name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The new deployment&apos;s name (lower-case, as in Redis keys).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>regression or classification (default: the model&apos;s, else regression).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One line saying what it predicts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the model predicts (default: the model&apos;s target).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Its unit (default: the model&apos;s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take the feature schema, task and target from this model file&apos;s metadata.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift reference: the first N logged predictions (default: %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a deployment: its PostgreSQL row, feature schema, default targets, drift reference and Redis flags (ML off, 0 %), audited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 has no mldeck.json metadata: its features are unknown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give --task regression or --task classification (or --from-model FILE).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--reference-rows must be a whole number, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created deployment &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Its Redis flags already existed and were left as they are (ml_enabled %1, %2 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Its Redis flags were created: ML off, 0 %.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Include archived deployments.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>List the deployments (active ones unless --all).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployments. Create one with &quot;mldeckctl deployments create NAME --task regression&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show a deployment (archived ones too).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New description.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New target name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New target unit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changed deployment &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why (recorded in the audit log); required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive a deployment: hidden from the selectors and the guard, its history kept (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archived deployment &quot;%1&quot;; its history is kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference: first_rows:N, model, snapshot:NAME, period:FROM/TO, auto, first:DURATION or previous:DURATION (default: the deployment&apos;s setting, else first_rows:5000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checks the live window of a deployment for feature drift. Exit code 1 when the dataset drifts, 3 while its reference is still filling.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1: %2 (%3); drift is checked once the reference is full.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1: drift reference %2 (%3)%4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, the default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Snapshots: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shows the drift reference of a deployment and whether it is still filling.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The first N logged predictions (the default, N = 5000).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A logged period FROM/TO, ISO 8601.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A stored snapshot, by name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The champion model&apos;s training window (train_from/train_to).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s training data: a CSV file with a column per feature (optional columns predicted, actual), stored as a snapshot.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name of the snapshot --from-csv stores (default: training).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any reference text: auto, first:DURATION, previous:DURATION, ...</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sets the drift reference of a deployment (one of --first-rows, --period, --snapshot, --model, --from-csv, --spec); audited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the reference: --first-rows N, --period FROM/TO, --snapshot NAME, --model, --from-csv FILE or --spec SPEC.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose one reference, not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--name goes with --from-csv.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift reference not changed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl drift reference show --deployment D [--json]
       mldeckctl drift reference set --deployment D (--first-rows N | --period FROM/TO | --snapshot NAME | --model | --from-csv FILE [--name NAME] | --spec SPEC) [--json]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>       mldeckctl drift reference show|set --deployment D ... (see drift reference --help)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use &quot;mldeckctl drift check&quot;, &quot;mldeckctl drift compare&quot; or &quot;mldeckctl drift reference&quot; (see --help).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule id (failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback, a classifier&apos;s accuracy, or one of yours).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metric of a new rule: failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback (threshold in minutes); a classifier&apos;s: accuracy, f1, log_loss, ece, estimated_accuracy (in place of mae and r2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: accuracy %2, precision %3, recall %4, F1 %5, ROC AUC %6, PR AUC %7, log-loss %8, Brier %9, ECE %10, %11 rows/s, p50 %12 ms, p99 %13 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--task must be delay or accept, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>delay (default): ride bookings and their delay (regression, the eta demo); accept: ride offers and whether the driver accepted (classification, the accept demo).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writes synthetic dispatch data as CSV: ride bookings (features, delay_min, ts) or, with --task accept, ride offers (features, accepted, ts).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill an empty deployment with a month of realistic demo history (COPY), or say that it is already there. A deployment created as a classifier gets ride offers (will the driver accept).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  classes      %1 (positive: %2 when P(%2) &gt;= %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  classes      %1 (the most probable is served)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--decision-threshold must be a number strictly between 0 and 1, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--classes and --decision-threshold are for a classification deployment (--task classification).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classification deployment needs its classes: give --classes a,b[,...] in the order of the model&apos;s output (or --from-model FILE).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--decision-threshold applies to two classes only (%1 given): a multi-class deployment serves the most probable class.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>classification: the class names in the order of the model&apos;s output, comma-separated; binary: negative,positive (default: the model&apos;s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>binary classification: the positive class is served when its probability is at least this (default: the model&apos;s, else 0.5).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New decision threshold of a binary classification deployment (0 &lt; t &lt; 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change the description, target or decision threshold of a deployment (audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier: turn ML off below this accuracy (0 to 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier: halve the percentage below this accuracy (0 to 1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier: halve the percentage above this log-loss.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  ML off above a failure rate of %1 or below an accuracy of %2; percentage halved above latency p95 %3 ms, below an accuracy of %4 or above a log-loss of %5 (accuracy and log-loss once %6 predictions of the window are labelled)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With a label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Label coverage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Balanced accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Brier score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calibration (ECE)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Positive rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Est. accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Est. precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Est. recall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Est. F1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML vs heuristic (pts)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimates not to be trusted: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confusion matrix, all paths (rows: true class, columns: served class):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier: accuracy at least, share 0..1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier: F1 at least, share 0..1 (none: no such gate).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier: log-loss at most (none: no such gate).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier: calibration error (ECE) at most (none: no such gate).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--class-weights: &quot;%1&quot; is not &quot;balanced&quot; nor a list of numbers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decision rule: improvement required, relative for MAE and log-loss, in accuracy points for accuracy (default: the settings&apos;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier&apos;s decision metric: accuracy or log_loss (default: the settings&apos;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier&apos;s class weights in the loss: balanced, or one number per class (1,3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[%1 %] epoch %2/%3: train loss %4, validation loss %5, validation accuracy %6 %, %7 s left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Holdout %1: candidate %2, champion %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>#%1 %2 %3 %4 (%5)%6 base %7 -&gt; %8, %9 s, %10 %11 vs %12, decision %13</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share of requests whose ground truth arrives, 0 to 1 (default: 0.9).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share of requests with user feedback, 0 to 1 (default: 0.05; a regression&apos;s among those with ground truth).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acts as the production serving backend: follows the flags live, routes each request to the model or the heuristic, and logs predictions, outcomes and feedback to PostgreSQL. A deployment created as a classifier is served ride offers (will the driver accept) with class probabilities. Without --model it serves the deployment&apos;s champion and switches to a newly promoted one (SHA-256 verified) between batches. Ctrl-C flushes what is buffered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--%1 must be a number from 0 to 1, not &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--pg carries a password, which other users of this machine can read in the process list: set MLDECK_PG_URL instead, or keep the password in ~/.pgpass (PGPASSFILE).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--redis carries a password, which other users of this machine can read in the process list: set MLDECK_REDIS_URL instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>warning: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the audit log: list, export, what served when, verify the chain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this deployment (default: every row).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only rows whose actor or database role contains this text.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only this action or family of actions (flags, flags.rollback, guard, model.promote...); repeat for several.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows written at or after this time, ISO 8601 (UTC when no offset).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows written before this time, ISO 8601.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only rows containing this text (action, actor, reason, deployment, before or after).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most this many rows, 1 to 1000 (default 100).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lists the audit log, newest first, with what each change did.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--limit must be a whole number from 1 to 1000.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No changes match.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 matching rows shown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>csv or json.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writes every matching audit row, newest first, as CSV or JSON.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--format must be csv or json (got &quot;%1&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Wrote %n audit row(s) to %1.</source>
        <translation>
            <numerusform>Wrote %n audit row to %1.</numerusform>
            <numerusform>Wrote %n audit rows to %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>The deployment (required).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start of the range, ISO 8601 (required).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End of the range, ISO 8601 (default: now).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Shows which champion version and which ML traffic share served a deployment over a range, with who changed each and why.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--from is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing recorded about what served %1 up to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(unknown)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(carried in)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl audit &lt;command&gt; [options]   (mldeckctl audit &lt;command&gt; --help)

  list [filters] [--limit N] [--json]            the audit log, newest first, with each change
  export --format csv|json [--output FILE] [filters]  every matching row (streamed)
  timeline --deployment D --from T [--to T] [--json]  what served when: champion and ML %
  verify [--deployment D] [--json]               recompute the hash chain; name the first break

Filters: --deployment D --actor TEXT --kind K (repeatable) --from T --to T --search TEXT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no deployment)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check only this deployment&apos;s chain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recompute the audit log&apos;s hash chain and name the first row changed, removed or inserted out of order (exit 1 when broken).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audit log has no rows for deployment &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1: intact, %n row(s), head %2 at position %3</source>
        <translation>
            <numerusform>%1: intact, %n row, head %2 at position %3</numerusform>
            <numerusform>%1: intact, %n rows, head %2 at position %3</numerusform>
        </translation>
    </message>
    <message>
        <source>%1: BROKEN: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit chain intact: %1 chain(s), %2 row(s) checked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit chain BROKEN (see above).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>user %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write the export to standard output: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>user %1, read-only, not encrypted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>user %1, read-only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>user %1, not encrypted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train and inspect the nanny model that estimates the error before outcomes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>keep_firing_for needs Prometheus 2.42 or later (an older one refuses the whole file); an absent series resolves there, while the guard holds on an unknown figure.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, clearing since %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolve threshold, on the safe side of the threshold: a firing rule resolves only once the figure is past it (&quot;none&quot;: the threshold itself).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seconds the figure must stay past the resolve threshold before the rule resolves.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl alerts rules [--deployment D] [--json]
       mldeckctl alerts rules set --deployment D --rule ID [--threshold X] [--for S] [--window S] [--resolve X|none] [--keep-firing S] [--enable|--disable] [--reset|--delete]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows per reference chunk of the multivariate band (default: the current file&apos;s rows, at most a tenth of the reference&apos;s, at least 100).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--pca-chunk-rows must be a whole number of at least 1, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (advisory: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  conditions combine: ML off on %1; halved on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  %1: resolves past %2 for %3 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How the conditions that turn ML off combine: any (default), all or at-least-N.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How the conditions that halve the percentage combine: any (default), all or at-least-N.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conditions reported but never acted on, e.g. max_latency_p95_ms (none: no advisory condition).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A condition&apos;s resolve threshold and keep-firing time, CONDITION:RESOLVE:SECONDS (e.g. max_mae:2.0:300; RESOLVE may be empty); CONDITION:none removes it. Repeatable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a guard condition (known: %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--hysteresis takes CONDITION:RESOLVE:SECONDS (e.g. max_mae:2.0:300), not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Est. MAE (min)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Golden dataset of %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  rows        %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  outcome     %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  segments    %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  updated     %1 by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The golden CSV: the deployment&apos;s features, the outcome, optionally a segment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The outcome column (default: outcome).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A column whose values are segments (non-regression per segment).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register (or replace) the deployment&apos;s golden dataset.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--file is required</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the deployment&apos;s golden dataset.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no golden dataset: no promotion checks configured.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the deployment&apos;s golden dataset: its promotions are then unchecked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Golden dataset %1 of %2 removed: no promotion checks configured.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A JSON file of checks (resources/contract/model-checks.md).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Declare the deployment&apos;s model checks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--file: cannot read &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not a JSON object: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks of %1 stored.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the deployment&apos;s declared model checks (defaults when none).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl models golden &lt;set|show|remove&gt; --deployment D [options]

  set --file F [--target COLUMN] [--segment COLUMN]   register or replace it
  show                                                what is registered
  remove                                              no checks any more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl models checks &lt;set|show&gt; --deployment D [options]

  set --file CHECKS.json   declare the checks
  show                     the declared checks (defaults when none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The version to check, or champion / challenger.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run the deployment&apos;s model checks on one version against the champion (exit 1 when a check fails or none are configured).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--model is required</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks of %1@%2 against %3: %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no other champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl models &lt;register|list|show|promote|restore-previous|archive|publish|golden|checks|check&gt; [options]   (mldeckctl models &lt;sub&gt; --help)

  register FILE       validate a TorchScript file, copy it into the model store, register it
  list                the versions of a deployment
  show VERSION        one version (or champion / challenger)
  promote VERSION     make it the champion (or --alias challenger); audited, published in Redis
  restore-previous    make the previous champion the champion again
  archive VERSION     archive a version (never the champion)
  publish             publish the champion in Redis again (after Redis was down)
  golden set|show|remove  the golden dataset the promotion checks run on
  checks set|show     the declared promotion checks
  check --model REF   run the promotion checks on one version (exit 1 when one fails)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment:       %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Champion:         %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nanny:            none trained</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nanny:            %1, for version %2%3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (not the current champion)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trained:          %1 by %2, on %3 (%4 rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Validation:       estimated MAE %1, realised MAE %2, per-row error %3 (%4 held-out rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scored up to:     %1 (%2 predictions)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed of the split and the weights (default 42).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Score the predictions of the last N minutes at once (default 60).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train the nanny model of the deployment&apos;s champion on its drift reference (audited as nanny.train).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--seed: &quot;%1&quot; is not a whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--backfill: &quot;%1&quot; is not a whole number of minutes from 0 to 10080</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the deployment&apos;s nanny model and how far it has scored the log.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl nanny train|status|quality [--deployment D] [--json]

  train    train the nanny of the champion on the drift reference (--reason, --seed, --backfill MINUTES)
  status   the nanny in use, its validation figures and the scoring watermark
  quality  estimated against realised MAE per hour with outcomes (--range 7d, --out FILE.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nanny quality of %1: estimated vs realised ML MAE per hour with outcomes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No hour of the range has both estimates and outcomes yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1  %2  %3  %4  %5  %6</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hour (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scored</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Labelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Realised</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Diff</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean absolute difference: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Correlation: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Correlation: needs 3 hours or more with varying MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Range ending now: N followed by m, h or d (default 7d).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also write the hours as CSV to this file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the nanny model&apos;s estimated MAE against the realised MAE, per hour that got its outcomes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--range must be a number followed by m, h or d (at most 366 days), not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>quality gates wait for %1 labelled predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>quality gates wait for as many labelled predictions as the minimum samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting for: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--step-combine takes PERCENT:MODE[:ADVISORY,...] (e.g. 50:at-least-2), not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Labelled predictions a quality gate waits for (none: as many as the minimum samples).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regression: the nanny model&apos;s estimated MAE at most, known before outcomes (none: no such gate).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How a step&apos;s metric gates combine: all, any or at-least-N (samples and soak are always required).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gates shown but never deciding, e.g. max_latency_p95_ms,min_r2 (none: no advisory gate).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A step&apos;s own combination, PERCENT:MODE[:ADVISORY,...] (e.g. 50:at-least-2); PERCENT:none removes it. Repeatable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1 got %2 of %n image(s) wrong (listed by --json).</source>
        <translation>
            <numerusform>%1 got %2 of %n image wrong (listed by --json).</numerusform>
            <numerusform>%1 got %2 of %n images wrong (listed by --json).</numerusform>
        </translation>
    </message>
    <message>
        <source>Skipped %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>… and %n more skipped image(s); --json lists all.</source>
        <translation>
            <numerusform>… and %n more skipped image; --json lists all.</numerusform>
            <numerusform>… and %n more skipped images; --json lists all.</numerusform>
        </translation>
    </message>
    <message>
        <source>Image models: a labelled folder, one subfolder per class named as the class.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>LibTorch threads, and for image models also the image decoding threads (default: LibTorch&apos;s choice, one decoding thread).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluates one model on a CSV file, a labelled image folder or a deployment&apos;s logged predictions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give one of --data FILE, --images DIR or --window PERIOD.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  input        images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  images       unreadable configuration: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  image store  %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  reference    %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>  holdout      %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model file takes images: an image deployment (--input image) serves it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--image-store, --reference-set and --holdout-set are for an image deployment (--input image).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image deployment needs its image store: give --image-store DIR, the folder its logged image keys resolve in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the model takes: features (a row of features) or image (default: the model&apos;s, else features). An image deployment is a classification deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image: the folder the logged image keys resolve in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image: the reference training set, a folder with one subfolder per class.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image: the fixed holdout, a folder with one subfolder per class (not the reference set).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--input must be features or image, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the image configuration of an image deployment: its image store, reference set and holdout set.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder the logged image keys resolve in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference training set (one subfolder per class); &quot;&quot; for none.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The fixed holdout (one subfolder per class); &quot;&quot; for none.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change the image configuration of a deployment (the folders are checked first; audited). Options not given keep their value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to change: give --image-store, --reference-set or --holdout-set.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no image store yet: give --image-store DIR.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changed the image configuration of deployment &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl deployments images &lt;show|set&gt; NAME [options]

  show  the image store, reference set and holdout set of an image deployment [--json]
  set   change them: --image-store DIR, --reference-set DIR, --holdout-set DIR [--reason]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>gates: samples and soak always; of the others, %1 must pass (lower case: advisory)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images: %1 labelled in the window (%2), %3 in the reference set, %4 in the holdout set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skipped images: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image deployment: mirror half of the training images (default: the retrain settings&apos;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image deployment: no mirrored training images (default: the retrain settings&apos;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image deployment: the largest share of each side cut off a training image (0 = no crops; default: the retrain settings&apos;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--flip and --no-flip exclude each other</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--max-crop: &quot;%1&quot; is not a number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play a scenario: drift, errors, latency, degraded, weather-down, (a classifier) calibration or (an image deployment) image-drift, as NAME[@START][+DURATION]; repeatable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model file takes tabular features: an image deployment needs an image model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image store is required: --image-store cannot be empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--pg-read carries a password, which other users of this machine can read in the process list: leave it out (the primary&apos;s is used), or set MLDECK_PG_READ_URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hot standby for the heavy reads (default: $MLDECK_PG_READ_URL; none: the primary).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage: mldeckctl deployments &lt;create|list|show|set|images|retention|archive&gt; [options]   (mldeckctl deployments &lt;sub&gt; --help)

  create   create a deployment (--task [--classes a,b], or --from-model FILE; an image deployment: --input image --image-store DIR [--reference-set DIR --holdout-set DIR])
  list     list the active deployments [--all]
  show     show one deployment
  set      change its description, target or decision threshold
  images   show or set the image configuration of an image deployment
  retention  show or set how long its raw rows are kept (--days N | --default)
  archive  hide it from selectors and the guard, keep its history (--reason)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the raw rows even for a window longer than a day (default: such a window is read from the hourly feature sketches).</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Window read from %n hourly sketch(es) and %1 raw rows: each figure is shown with the interval holding the exact one; a verdict is made only when that interval is on one side of the threshold (target drift is not sketched).</source>
        <translation>
            <numerusform>Window read from %n hourly sketch and %1 raw rows: each figure is shown with the interval holding the exact one; a verdict is made only when that interval is on one side of the threshold (target drift is not sketched).</numerusform>
            <numerusform>Window read from %n hourly sketches and %1 raw rows: each figure is shown with the interval holding the exact one; a verdict is made only when that interval is on one side of the threshold (target drift is not sketched).</numerusform>
        </translation>
    </message>
    <message>
        <source>Deployment to sketch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sketches the complete hours of a deployment&apos;s log for drift over long windows (the guard does it every round).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 has logged nothing yet: nothing to sketch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Deployment %1: %n hour(s) sketched (%2 predictions); sketched up to %3.</source>
        <translation>
            <numerusform>Deployment %1: %n hour sketched (%2 predictions); sketched up to %3.</numerusform>
            <numerusform>Deployment %1: %n hours sketched (%2 predictions); sketched up to %3.</numerusform>
        </translation>
    </message>
    <message>
        <source>       mldeckctl drift sketch --deployment D [--json]</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n outcomes are not counted in these figures: they were queued on the primary, which applies them now (the next read counts them).</source>
        <translation>
            <numerusform>%n outcomes are not counted in these figures: they were queued on the primary, which applies them now (the next read counts them).</numerusform>
            <numerusform>%n outcomes are not counted in these figures: they were queued on the primary, which applies them now (the next read counts them).</numerusform>
        </translation>
    </message>
    <message>
        <source>Raw rows before %1 are gone (retention): the figures before it come from the kept aggregates, at hour resolution where minute rows were folded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep its raw predictions, outcomes and feedback this many days (%1 to %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Back to the default retention (%n day(s)).</source>
        <translation>
            <numerusform>Back to the default retention (%n day).</numerusform>
            <numerusform>Back to the default retention (%n days).</numerusform>
        </translation>
    </message>
    <message>
        <source>Show or set how long the raw rows of a deployment are kept; the aggregates are kept forever (a change is audited).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give --days N or --default, not both.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--days must be a whole number of days, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retention of &quot;%1&quot; not changed: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Deployment &quot;%1&quot; keeps its raw rows %n day(s).</source>
        <translation>
            <numerusform>Deployment &quot;%1&quot; keeps its raw rows %n day.</numerusform>
            <numerusform>Deployment &quot;%1&quot; keeps its raw rows %n days.</numerusform>
        </translation>
    </message>
    <message>
        <source>Raw rows before %1 are gone (retention); the aggregates are kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Minute aggregates before %1 are folded into hours.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>master      %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sentinels   %1 of %2 reached, %3 known to them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>replicas    none connected: writes are not confirmed by a replica</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>replica     %1 %2, offset %3, %4 bytes behind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>problem     %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reads</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n sketched hour(s) sketched again: predictions were logged into them after they were sketched.</source>
        <translation>
            <numerusform>%n sketched hour sketched again: predictions were logged into them after they were sketched.</numerusform>
            <numerusform>%n sketched hours sketched again: predictions were logged into them after they were sketched.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::config</name>
    <message>
        <source>The profile needs a name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The profile name &quot;%1&quot; must not start or end with spaces.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The profile name is longer than %1 characters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The profile name must not contain control characters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis host &quot;%1&quot; is not a valid host name or address.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis port %1 is out of range (1-65535).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis database number %1 must not be negative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis timeout must be positive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL host &quot;%1&quot; is not a valid host name or address.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL port %1 is out of range (1-65535).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PostgreSQL database name is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL sslmode &quot;%1&quot; is not one of disable, allow, prefer, require, verify-ca, verify-full.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL connect timeout must not be negative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a Redis URL: &quot;%1&quot; (expected redis://[user:password@]host[:port][/db]).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis port out of range in &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis database must be a number in &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a PostgreSQL URL: &quot;%1&quot; (expected postgresql://user[:password]@host[:port]/database).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL port out of range in &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The CA file &quot;%1&quot; must be given with its full path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The CA file %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The CA file %1 is not a readable file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sslmode %1 checks the server&apos;s certificate against a CA file: choose one (no %2 either).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PostgreSQL URL &quot;%1&quot; carries password= in its query: give the password as user:password@host, in MLDECK_PG_URL, or in ~/.pgpass.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis master &quot;%1&quot; needs at least one sentinel.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis sentinel &quot;%1&quot; is not a valid host and port.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The read replica&apos;s maximum lag must be at least 1 s, not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read replica host &quot;%1&quot; is not a valid host name or address.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read replica port %1 is out of range (1-65535).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The read replica&apos;s database name is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read replica sslmode &quot;%1&quot; is not one of disable, allow, prefer, require, verify-ca, verify-full.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The read replica&apos;s CA file &quot;%1&quot; must be given with its full path.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expected redis-sentinel://[user:password@]host1[:26379],host2[:26379]/MASTERNAME[?db=N]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a Redis Sentinel URL: &quot;%1&quot;: %2 (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no sentinel given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unclosed [ in sentinel &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>bad sentinel &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a host name or address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sentinel port &quot;%1&quot; is not a number from 1 to 65535</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no master name after the sentinels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a master name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown option &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the database must be a number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read replica: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDECK_PG_READ_MAX_LAG must be a number of seconds, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::domain</name>
    <message>
        <source>%1 predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> for %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no predictions in %1 s%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a backend dependency in fallback for more than %1%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failure rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML latency p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2 %3 over %4 s%5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule id &quot;%1&quot; must be 1 to 64 lower-case letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown alert rule key &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An alert rule id must be a string.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: &quot;%2&quot; must be a number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: &quot;%2&quot; must be a whole number of seconds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: comparison must be &quot;&gt;&quot; or &quot;&lt;&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: severity must be a string.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: &quot;enabled&quot; must be true or false.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Each alert rule must be a JSON object.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert rule id &quot;%1&quot; appears twice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The webhook URL must be an http:// or https:// address, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be a number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be above %2, not %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be at most %2, not %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be between %2 and %3, not %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be a whole number of minutes from 1 to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain setting &quot;%1&quot; must be a number from %2 to %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain setting &quot;%1&quot; must be a whole number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain setting &quot;%1&quot; must be true or false.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A failure rate threshold is a share between 0 and 1 (0.2 = 20 %), not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The threshold cannot be negative (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R² is at most 1, so a threshold of %1 always fires.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The threshold must be a finite number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The window must be between %1 and %2 seconds, not %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The pending period must be between 0 and %1 seconds, not %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown severity &quot;%1&quot;: use info, warning or critical.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML F1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML calibration error (ECE)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML estimated accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: %2 is a regression metric; this deployment is a classifier.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1: %2 is a classification metric; this deployment is not a classifier.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This metric is a share between 0 and 1 (0.9 = 90 %), not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain setting &quot;classificationMetric&quot; must be &quot;accuracy&quot; or &quot;log_loss&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML estimated MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; resolves at %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; resolves at %1 for %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R² is at most 1, so a resolve threshold of %1 is never reached.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The resolve threshold must be a finite number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown alert rule metric &quot;%1&quot;: use failure_rate, latency_p95_ms, mae, r2, estimated_mae, no_data, dependency_fallback or, on a classifier, accuracy, f1, log_loss, ece or estimated_accuracy.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The resolve threshold (%1) must be at or below the firing threshold (%2): a firing rule resolves once the value is back under it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The resolve threshold (%1) must be at or above the firing threshold (%2): a firing rule resolves once the value is back over it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keep-firing time must be between 0 and %1 seconds, not %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image configuration: &quot;%1&quot; must be a folder path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image configuration: &quot;%1&quot; must be an absolute path (%2 given)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image configuration: unknown field &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image configuration: &quot;store&quot; (the image store) is missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image configuration: store: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image deployment needs its classes (at least two).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image store: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout set %1 and the reference set %2 overlap: a fixed holdout must hold images that training never sees.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain setting &quot;image_augmentation&quot; must be an object.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference set %1 is not a readable folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout set %1 is not a readable folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference set %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout set %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference set %1 holds no file in a subfolder named after a class (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout set %1 holds no file in a subfolder named after a class (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image store cannot be the root folder /: logged keys would reach any file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout set %1 and the image store %2 overlap: a fixed holdout must hold images that training never sees.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the whole path (from /): the guard and the model worker read it too.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No such folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This folder cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ml</name>
    <message>
        <source>%1 has no column &quot;%2&quot; (columns: %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line %2, column %3 (%4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the target must be a finite number, not &quot;%2&quot; (an empty or NaN target cannot be scored).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not a finite number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not an ISO 8601 time such as 2024-05-01T08:00:00Z.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has a header but no data rows: nothing to evaluate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--features (%1) does not match the features model %2 was trained on (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The data has no column &quot;%1&quot;, which model %2 needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The data has no column &quot;%1&quot; (named by --features).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--features names the target &quot;%1&quot;: a model cannot read its own answer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The data has no input column besides the target &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No rows to evaluate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows %1–%2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1 has %2 numeric and %3 categorical values; model %4 expects %5 numeric (%6) and %7 categorical (%8).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1: %2 is not a finite number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>model metadata (mldeck.json): %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not valid JSON (%1 at offset %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the document must be a JSON object</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;format&quot; must be &quot;mldeck-model&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;format_version&quot; must be a whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>format version %1 is not supported by this MLDeck (it reads version %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;model&quot; must give a non-empty &quot;name&quot; and &quot;version&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;task&quot; must be &quot;regression&quot; or &quot;classification&quot;, not &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;target&quot; must give a non-empty &quot;name&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;feature_schema&quot; must be a positive whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;features&quot; must be a non-empty array</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>feature %1 has no name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; appears twice</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>numeric feature &quot;%1&quot; needs a finite &quot;mean&quot; and a &quot;std&quot; above 0</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>categorical feature &quot;%1&quot; has an empty, duplicate or non-text category</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>categorical feature &quot;%1&quot; needs a non-empty &quot;categories&quot; array</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; has kind &quot;%2&quot;; expected &quot;numeric&quot; or &quot;categorical&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;sequence_length&quot; must be a whole number from 1 to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read model file %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot create the model store directory %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write into the model store %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 changed while it was being copied into the store; try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No valid SHA-256 to check %1 against; a model is loaded only when its hash is known.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 is missing from the model store; it was not loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 does not match the registry (SHA-256 %2…, expected %3…, %4 bytes): it was changed, truncated or replaced after registration, so it was not loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker sent a malformed training result.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The trained model&apos;s metadata is unreadable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The trained model needs a version.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No output file given for the trained model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder of %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Too little training data: %n row(s); at least %1 are needed.</source>
        <translation>
            <numerusform>Too little training data: %n row; at least %1 are needed.</numerusform>
            <numerusform>Too little training data: %n rows; at least %1 are needed.</numerusform>
        </translation>
    </message>
    <message>
        <source>The validation set has no rows: early stopping and the choice of the best epoch need it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 does not match its registered SHA-256: it was not trained.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;classes&quot;, &quot;decision_threshold&quot; and &quot;output&quot; are for task &quot;classification&quot; only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a classification model must name its &quot;classes&quot; (in the order of its output)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;decision_threshold&quot; applies to a binary classifier only (%1 classes given)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;output&quot; must be &quot;probabilities&quot; or &quot;logits&quot;, not &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returns %1 values per row; a regression model returns one ([B] or [B, 1])</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returns %1 values per row; a binary classifier returns the positive class&apos;s %2 ([B] or [B, 1]) or one per class ([B, 2])</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>logit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returns %1 values per row; its metadata names %2 classes ([B, %2] expected)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>row %1: the model returned %2, which is not a probability (its metadata declares &quot;output&quot;: &quot;probabilities&quot;; a model that returns logits must say &quot;logits&quot;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>model %1 is not a classifier (task &quot;%2&quot;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>row %1: the model&apos;s %2 class probabilities sum to %3, not 1 (a model that returns logits must declare &quot;output&quot;: &quot;logits&quot;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1 has a prediction that is not a finite number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny&apos;s metadata is incomplete or invalid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 is a classifier: the nanny estimates the error of a regression model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 has no metadata: the nanny needs its feature layout and scaler.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny needs one outcome per row (%1 rows, %2 outcomes).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only %1 reference rows have an outcome; the nanny needs at least %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny&apos;s training parameters are out of range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference row %1 has an outcome that is not a finite number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 predicts every reference row exactly: there is no error to estimate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker sent a malformed nanny training result.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny of model %1 %2 keeps unreadable model metadata: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny of model %1 %2 was trained for an input of %3 values; the model&apos;s metadata gives %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny needs one prediction per row (%1 rows, %2 predictions).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model worker sent a malformed nanny answer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the candidate refuses the changed rows: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>it fails on the golden rows: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not compared: the champion %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The golden dataset %1 has %2 MB; at most %3 MB are accepted (a golden set is a small, fixed sample).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The deployment has no feature schema yet: register a model first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No target column named for the golden dataset.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The deployment&apos;s classes are not known yet: register a model first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The golden dataset %1 lacks the column(s) %2 (it has: %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>line %1, column %2 (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not a finite number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not one of the classes %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the outcome &quot;%2&quot; is not a finite number</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>The golden dataset %1 is refused: %n row(s) with errors. %2</source>
        <translation>
            <numerusform>The golden dataset %1 is refused: %n row with errors. %2</numerusform>
            <numerusform>The golden dataset %1 is refused: %n rows with errors. %2</numerusform>
        </translation>
    </message>
    <message>
        <source>The golden dataset %1 has a header but no rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: unknown key &quot;%1&quot; (known: %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be a number from %2 to %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be true or false.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be an object.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;invariance&quot; must be a list.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must name a feature.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; needs either &quot;values&quot; or &quot;delta&quot;, not both.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot;: the deployment has no feature &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot;: &quot;%2&quot; is categorical; give &quot;values&quot;, not &quot;delta&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be a non-empty list.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must hold %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>texts (&quot;%1&quot; is categorical)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>numbers (&quot;%1&quot; is numeric)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>passed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>non-regression (overall)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>non-regression (segment %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>prediction stability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>invariance of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>input validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>(and %n more failed check(s))</source>
        <translation>
            <numerusform>(and %n more failed check)</numerusform>
            <numerusform>(and %n more failed checks)</numerusform>
        </translation>
    </message>
    <message>
        <source>no promotion checks configured (no golden dataset)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>passed %1 of %2 checks (%3 without data)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>passed %1 of %2 checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not compared with the champion (%1); %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no champion to compare with (the candidate&apos;s %1: %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n golden row(s) in this segment; at least %1 are needed.</source>
        <translation>
            <numerusform>%n golden row in this segment; at least %1 are needed.</numerusform>
            <numerusform>%n golden rows in this segment; at least %1 are needed.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>the candidate&apos;s accuracy is %1 against the champion&apos;s %2 on %n row(s) (at least %3 needed: %4 points of margin).</source>
        <translation>
            <numerusform>the candidate&apos;s accuracy is %1 against the champion&apos;s %2 on %n row (at least %3 needed: %4 points of margin).</numerusform>
            <numerusform>the candidate&apos;s accuracy is %1 against the champion&apos;s %2 on %n rows (at least %3 needed: %4 points of margin).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>the candidate&apos;s MAE is %1 against the champion&apos;s %2 on %n row(s) (at most %3 allowed: %4 of margin).</source>
        <translation>
            <numerusform>the candidate&apos;s MAE is %1 against the champion&apos;s %2 on %n row (at most %3 allowed: %4 of margin).</numerusform>
            <numerusform>the candidate&apos;s MAE is %1 against the champion&apos;s %2 on %n rows (at most %3 allowed: %4 of margin).</numerusform>
        </translation>
    </message>
    <message>
        <source>no champion to compare with.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n row(s) change class (%2; at most %3 allowed).</source>
        <translation>
            <numerusform>%1 of %n row changes class (%2; at most %3 allowed).</numerusform>
            <numerusform>%1 of %n rows change class (%2; at most %3 allowed).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n row(s) move by more than %2 (%3; at most %4 allowed); the largest move is %5.</source>
        <translation>
            <numerusform>%1 of %n row moves by more than %2 (%3; at most %4 allowed); the largest move is %5.</numerusform>
            <numerusform>%1 of %n rows move by more than %2 (%3; at most %4 allowed); the largest move is %5.</numerusform>
        </translation>
    </message>
    <message>
        <source>+%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no golden rows to change.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>changing %1 alone moves %n prediction(s) by more than %2; the largest move is %3 (%1 = %4).</source>
        <translation>
            <numerusform>changing %1 alone moves %n prediction by more than %2; the largest move is %3 (%1 = %4).</numerusform>
            <numerusform>changing %1 alone moves %n predictions by more than %2; the largest move is %3 (%1 = %4).</numerusform>
        </translation>
    </message>
    <message>
        <source>changing %1 alone moves no prediction by more than %2 (largest move %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no unknown categorical value</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n unknown categorical value(s) (%1)</source>
        <translation>
            <numerusform>%n unknown categorical value (%1)</numerusform>
            <numerusform>%n unknown categorical values (%1)</numerusform>
        </translation>
    </message>
    <message>
        <source> (not counted for %1: the model&apos;s metadata lists no categories)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the candidate refuses the golden rows: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>all %n row(s) accepted, but %1: %2 of the rows, at most %3 allowed.</source>
        <translation>
            <numerusform>the %n row accepted, but %1: %2 of the rows, at most %3 allowed.</numerusform>
            <numerusform>all %n rows accepted, but %1: %2 of the rows, at most %3 allowed.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>all %n row(s) accepted; %1.</source>
        <translation>
            <numerusform>the %n row accepted; %1.</numerusform>
            <numerusform>all %n rows accepted; %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>Model checks: the deployment has no feature &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; is categorical; it takes values, not a delta.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 does not take images.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No images to evaluate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images %1–%2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Malformed image training request.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Too few training images: %n; at least %1 are needed.</source>
        <translation>
            <numerusform>Too few training images: %n; at least %1 are needed.</numerusform>
            <numerusform>Too few training images: %n; at least %1 are needed.</numerusform>
        </translation>
    </message>
    <message>
        <source>The validation set has no images: early stopping and the choice of the best epoch need it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an image model must be a classifier (task &quot;classification&quot; with its &quot;classes&quot;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an image model takes no &quot;features&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an image model needs an &quot;image&quot; object (its size, channels, resize and normalisation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;image&quot; is for an image model (&quot;input&quot;: &quot;image&quot;) only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;input&quot; must be &quot;features&quot; or &quot;image&quot;, not &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an image model takes one image per prediction: &quot;sequence_length&quot; must be 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the file is empty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not an image, or in a format MLDeck cannot read (it reads %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the image is %1 × %2 pixels, more than the %3 megapixels MLDeck decodes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the %1 image is truncated or corrupt (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;image&quot;: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; must be a whole number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; must be a list of numbers, one per channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;width&quot; and &quot;height&quot; must lie between 1 and %1 pixels (%2 × %3 given)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;channels&quot; must be 1 (grayscale) or 3 (RGB), not %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;mean&quot; and &quot;std&quot; must give one value per channel (%1; %2 and %3 given)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;mean&quot; must be finite numbers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;std&quot; must be finite numbers above 0</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;resize&quot; must be &quot;stretch&quot;, &quot;fit&quot; or &quot;crop&quot;, not &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image key is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image key &quot;%1…&quot; is longer than %2 characters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image key &quot;%1&quot; contains a backslash or a control character.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image key &quot;%1&quot; is an absolute path; keys are relative to the store.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image key &quot;%1&quot; has an empty, &quot;.&quot; or &quot;..&quot; component.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image store: &quot;kind&quot; must be &quot;folder&quot; (the only kind this MLDeck knows), not &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image store: &quot;root&quot; must be an absolute folder path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown image store kind &quot;%1&quot; (this MLDeck knows &quot;folder&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image folder %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image store path %1 is not a folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image folder %1 cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The labelled image folder %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not a folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder %1 has a subfolder &quot;%2&quot; that is not one of the classes (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class &quot;%1&quot; has no subfolder in %2: no images of it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Subfolders inside class &quot;%1&quot; in %2 are not read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class &quot;%1&quot; has an empty subfolder in %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::rollout</name>
    <message>
        <source>Cannot create the audit spool directory %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write the audit spool file %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot move the audit spool file into place at %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot flush the audit spool directory %1 to disk.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot remove the flushed audit spool file %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 must be 0 or 1, not &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The guard window must be from 10 s to 1 day (got %1 s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The guard needs a minimum of at least 1 sample (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Consecutive breaches must be from 1 to 100 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rollback error rate must be a share above 0 and at most 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The latency threshold must be positive (got %1 ms).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The MAE threshold must be positive (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The guard interval must be from 1 s to 1 h (got %1 s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>guard disabled for this deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>latched (%1); ML not serving</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML not serving: nothing to guard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no ML samples in the last %1 s (no data counts as a breach)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>inconclusive: %1 samples &lt; minimum %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>latched (%1); %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>error rate %1 &gt; %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>latency p95 %1 ms &gt; %2 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE %1 &gt; %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML OFF (escalation after halving) after %1 consecutive breaches: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>latched (%1) since %2: not acting again until re-armed%3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML OFF after %1 consecutive breaches: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>percentage halved after %1 consecutive breaches: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>breach %1 of %2 (waiting for %2 in a row): %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>healthy: %1 samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A plan needs at least one step.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every step must be a percentage from 1 to 100; %1 is not.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Steps must be strictly increasing; %1 comes after %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The minimum number of samples must not be negative (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The minimum soak time must not be negative (got %1 s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The MAE gate must be a positive number (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The R² gate must be a number no greater than 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The latency p95 gate must be a positive number of milliseconds (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The error-rate gate must be a share from 0 to 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a list of whole percentages such as 10,25,50,100.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The plan is already at its last step (%1 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The minimum accuracy must be a share above 0 and at most 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rollback accuracy must be a share from 0 up to the minimum accuracy %1 (got %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The log-loss threshold must be a positive number (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accuracy %1 &lt; %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log-loss %1 &gt; %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The accuracy gate must be a share from 0 to 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The F1 gate must be a share from 0 to 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The log-loss gate must be a positive number (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ECE gate must be a share above 0 and at most 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;At least N of&quot; needs N from 1 to 100 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is always required and cannot be advisory.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a condition that can be advisory (known: %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; can never be met: no condition decides here (all are advisory or absent).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At least %1 can never be met: only %2 condition(s) decide here (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown combination mode &quot;%1&quot; (all, any or at_least).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An &quot;at_least&quot; combination needs its number N.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a combination: all, any or at-least-N (e.g. at-least-2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at least %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the %1 combination cannot be read (%2), &quot;any&quot; is used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>halving</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no condition decides (%1 advisory): the guard would never %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a classifier</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a regression deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>turn ML off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rollback conditions of %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>halve the percentage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Halving conditions of %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a guard condition (known: %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the resolve threshold must be a number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 = %2 held: resolving, %3 s left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 = %2 held until past %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>halve</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no action: the breaches do not meet the combination (ML off: %1; halve: %2): %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (advisory, not acted on: %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (no condition decides for %1: never acted on)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (stored rules: %1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no data yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The labelled predictions a quality gate waits for must be at least 1 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The estimated MAE gate must be a positive number (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier&apos;s plan: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regression plan: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The step %1 % has its own combination but is not a step of the plan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1 %: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 labelled predictions in the last 24 h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 labelled predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no prediction of the step scored by the nanny model yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stored combination of step &quot;%1&quot; cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at least 1 of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::services</name>
    <message>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no target column &quot;%2&quot; (columns: %3); name it with --target.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A time window needs a PostgreSQL connection.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is a %2 model and %3 a %4 model: they cannot be compared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluating %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAPE leaves out %1 rows whose actual value is 0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 met %2 categorical values it does not know (encoded as all zero).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bootstrap confidence intervals</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The bootstrap could not run on these rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give 1 to 4 models (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Segments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference period of &quot;%1&quot; is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2 to %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>snapshot %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the champion&apos;s training window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the previous %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the first %1 s of the log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the first hour of the log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown reference.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dataset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift settings of &quot;%1&quot;: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift on %1: %2 p = %3, effect %4 = %5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift on %1: %2 = %3 (threshold %4), effect %5 = %6</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no flags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>INVALID (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ml_enabled=%1, ml_traffic_percentage=%2, fallback_on_error=%3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connected to PostgreSQL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not applied: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not applied: nothing to change.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not applied: the ML traffic percentage must be a whole number from 0 to 100, not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deployment &quot;%1&quot; has no flags in Redis (create them with mldeckctl flags init).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conflict: the flags of &quot;%1&quot; were changed by %2 at %3 (now version %4: %5) while you expected version %6. Nothing was written; review the new state and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the audit log is not writable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied (version %1 -&gt; %2), but the audit row could not be committed (%3); it is kept in %4 and will be written when PostgreSQL is reachable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied (version %1 -&gt; %2), but the audit row was LOST: commit failed (%3) and the spool failed (%4).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied: the flags of &quot;%1&quot; are now version %2 (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolled back: ML is OFF for &quot;%1&quot; (version %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolled back: ML is OFF for &quot;%1&quot; (version %2). The audit log is unreachable (%3): the row is kept in %4 and will be written when PostgreSQL is reachable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolled back: ML is OFF for &quot;%1&quot; (version %2), but the audit row was LOST: %3; %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>connecting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The range is empty: it must end after it starts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing loaded to refresh.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown report period &quot;%1&quot;: use day or week.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The end of the report period is not a valid time.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not compute the KPIs of the period: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not read the alerts of the period: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not read the changes of the period: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s metadata refers to feature schema %1, which deployment &quot;%2&quot; does not have.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s features do not match feature schema %1 of deployment &quot;%2&quot;: the model expects numeric [%3] and categorical [%4], the deployment logs numeric [%5] and categorical [%6].</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The promotion is committed, but publishing the champion in Redis failed: %1 Run `mldeckctl models publish --deployment %2` once Redis is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invalid version &quot;%1&quot;: use 1 to 64 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model file given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model path %1 is not a file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This file (SHA-256 %1…) is already registered for deployment &quot;%2&quot; as version %3; a file is registered once per deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 changed while it was being registered; try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No model given: use a file path, DEPLOYMENT:champion, DEPLOYMENT:challenger or DEPLOYMENT@VERSION.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model reference &quot;%1&quot; needs the registry: give PostgreSQL with --pg or MLDECK_PG_URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no %2 model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The plan was saved but its audit row could not be written: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no staged plan yet; save one first (mldeckctl plan set).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no flags in Redis (create them with mldeckctl flags init).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML traffic is already at %1 %, at or above the plan&apos;s last step: nothing to advance.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 = %2 (threshold %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The percentage is now %1 %, but the plan step could not be recorded: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>internal error while checking: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>foreign mldeck schema (not created by MLDeck): MLDeck will not touch it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema not installed: run mldeckctl migrate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema v%1 is newer than this MLDeck (v%2): upgrade MLDeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema v%1, %2 migration(s) pending: run mldeckctl migrate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema v%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>schema unknown (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[FIRING] %1 on %2: %3 (%4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[RESOLVED] %1 on %2: now %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[TEST] MLDeck webhook of %1 works.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no answer within %1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HTTP %1 %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift: PostgreSQL unavailable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift: window already checked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift: %1 of %2 features drift (%3); alerts firing: %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failure rate %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML latency p95 %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML MAE %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML R² %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No predictions for %1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backend dependency in fallback for more than %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>kpi alerts: PostgreSQL unavailable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>kpi alerts: firing: %1; pending: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>kpi alerts: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 in fallback for more than %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrain: PostgreSQL unavailable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrain: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrain: due, auto-retrain is off (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrain: run %1 %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrain: run %1 registered %2 (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retrain: run %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: could not evaluate: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guard turned ML off for %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guard halved the ML traffic of %1 to %2 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ACTED: %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>wanted to act (%1) but could not: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Days back must be between 1 and 3650 (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout share must be between 5 % and 50 % (got %1 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The validation share must be between 5 % and 50 % (got %1 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The minimum improvement must be between 0 % and 100 % (got %1 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bootstrap resamples must be between 100 and 100000.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows left out: feature &quot;%2&quot; was missing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The last %1 days of &quot;%2&quot; hold %3 rows with an outcome; at least %4 are needed to retrain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows with negative feedback weigh double in training.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--keep must be 0 or more (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Retrain cleanup: keeping the newest %n retrained versions</source>
        <translation>
            <numerusform>Retrain cleanup: keeping the newest %n retrained version</numerusform>
            <numerusform>Retrain cleanup: keeping the newest %n retrained versions</numerusform>
        </translation>
    </message>
    <message>
        <source>Cleanup stopped at %1@%2: %3 (archived so far: %4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The retention must be between 1 and 3650 days (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the triggers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retraining is not due (%1) Use force to run anyway.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion: register a model and promote it before retraining.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Loading the last %n days</source>
        <translation>
            <numerusform>Loading the last %n day</numerusform>
            <numerusform>Loading the last %n days</numerusform>
        </translation>
    </message>
    <message>
        <source>No temporary directory for the candidate: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The champion&apos;s file cannot be used: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epoch %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training from %1@%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training finished but wrote no model file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Evaluating candidate and champion on %n holdout rows</source>
        <translation>
            <numerusform>Evaluating candidate and champion on %n holdout row</numerusform>
            <numerusform>Evaluating candidate and champion on %n holdout rows</numerusform>
        </translation>
    </message>
    <message>
        <source>The trained model cannot be loaded: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Candidate: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Champion: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The paired bootstrap could not be computed on the holdout.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registering %1@%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registration failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled by the user.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run %1 did not succeed (%2): there is nothing to apply.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run %1 registered no model (dry run): there is nothing to apply.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run %1 was already %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promotion refused: %1 (Start the reason with &quot;override:&quot; to promote anyway.)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promotion refused: the champion is now %1@%2, not %3 which run %4 was compared with; retrain again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain run %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promoted, but the rollout plan could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promoted, but the rollout plan could not be stored: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Staged rollout of %1@%2 from 10 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain run %1: kept as challenger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain run %1: discarded</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Feedback items in the last %n days</source>
        <translation>
            <numerusform>Feedback items in the last %n day</numerusform>
            <numerusform>Feedback items in the last %n days</numerusform>
        </translation>
    </message>
    <message>
        <source>Negative feedback items</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Satisfaction (positive share)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift alert firing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE of the window above target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Due: %1 feedback items, %2 negative, satisfaction %3 % (below %4 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Due: a drift alert is firing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Due: the MAE of the window (%1) is above the target (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 feedback items</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 negative items</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>satisfaction %1 % is not below %2 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not due: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stored retrain settings of &quot;%1&quot; are invalid: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No PostgreSQL connection is configured.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists (archived); nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists; nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created, nothing was changed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: %2 Its Redis flags (ML off, 0 %) were written and are harmless; run the same create again to finish.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No Redis connection is configured: a deployment&apos;s flags live there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 has no mldeck.json metadata: it does not name its features.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no header line: its columns cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 names no column.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reference filling: %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the first %L1 logged predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>automatic (snapshot baseline, else the champion&apos;s training window, else the first hour of the log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>period %1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no drift snapshot named &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift reference: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The deployment has no feature schema yet: register a model or create it with one first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Column &quot;%1&quot; of %2 must hold numbers.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature &quot;%1&quot; of the deployment is not a column of %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature &quot;%1&quot; is numeric but column &quot;%1&quot; of %2 holds text.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no data rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift reference: snapshot %1 from %2 (%3 rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changed in the settings editor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your role may not read the webhook&apos;s URL (it may hold a token).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; has no webhook yet: save one first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Webhook test</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The test was not delivered: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Test delivered (HTTP %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift: %1 (drift starts when the reference is full)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>satisfaction: %1 (no feedback)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE of the window: %1 (no outcomes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no metadata: its classes are unknown, so it cannot be compared with the classifier %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 predicts the classes %2 and %3 the classes %4: they cannot be compared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1: the target &quot;%2&quot; is %3, but a classifier&apos;s target is the index of the true class, 0 to %4 (%5).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>predicted class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML accuracy %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML F1 %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML log-loss %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML calibration error (ECE) %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML estimated accuracy %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The decision metric of a classifier must be &quot;accuracy&quot; or &quot;log_loss&quot; (got &quot;%1&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classification deployment &quot;%1&quot; has no valid classes to retrain with: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows left out: their label is not a class index from 0 to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>model %1 is not a classifier (task &quot;%2&quot;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model&apos;s classes (%1) are not the deployment&apos;s (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote: the candidate&apos;s accuracy is %1 points higher than the champion&apos;s (%2 vs %3; at least %4 points needed) and the %5 interval of the difference [%6, %7] excludes no improvement.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s accuracy (%1) is not higher than the champion&apos;s (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s accuracy is only %1 points higher than the champion&apos;s (%2 vs %3); at least %4 points are required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not promote: the accuracy is %1 points higher, but the %2 interval of the difference [%3, %4] does not exclude no improvement: the gain may be chance.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote: the candidate&apos;s %1 is %2 better than the champion&apos;s (%3 vs %4; at least %5 needed) and the %6 interval of the difference [%7, %8] excludes no improvement.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s %1 (%2) is not better than the champion&apos;s (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s %1 is only %2 better than the champion&apos;s (%3 vs %4); at least %5 is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not promote: the %1 is %2 better, but the %3 interval of the difference [%4, %5] does not exclude no improvement: the gain may be chance.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy of the window below target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Due: the accuracy of the window (%1 %) is below the target (%2 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accuracy of the window: %1 (no labels)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An export is already running; wait for it or cancel it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>audit chain: PostgreSQL unavailable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>audit chain: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>audit chain: %1 intact (%2 rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit log of %1 tampered with at row %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit log of %1 tampered with: its last rows are missing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>audit chain: %1 BROKEN: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>multivariate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift on %1: mean reconstruction error %2 outside the reference band %3 to %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the golden dataset %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The golden dataset %1 is larger than %2 MB.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your database role may not record a run of the model checks (mldeck_operator, mldeck_scientist or mldeck_admin may).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The golden dataset of &quot;%1&quot; no longer fits the deployment: %2 Register it again or remove it (mldeckctl models golden remove).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stored golden dataset of &quot;%1&quot; does not match its SHA-256: register it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The candidate %1@%2 cannot be loaded: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 cannot be loaded: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promotion refused: the model checks could not run: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promotion refused: %1@%2 fails the model checks: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nanny %1 of &quot;%2&quot; is no longer the newest.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The weights of nanny %1 of &quot;%2&quot; do not match their SHA-256.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature schema %1 of &quot;%2&quot; has no numeric feature &quot;%3&quot;, which model %4 needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature schema %1 of &quot;%2&quot; has no categorical feature &quot;%3&quot;, which model %4 needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference has no outcome column.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference has no numeric feature &quot;%1&quot;, which model %2 needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference has no categorical feature &quot;%1&quot;, which model %2 needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The drift reference of &quot;%1&quot; (%2, %3 to %4) overlaps the champion&apos;s training window (%5 to %6): on the rows it was fitted on, a model&apos;s error is optimistic, so the nanny must not learn there. Set a reference outside that window (mldeckctl drift reference set --deployment %1 --period FROM/TO).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The backfill must not be negative.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion: the nanny estimates the champion&apos;s error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The champion of &quot;%1&quot; is a classifier: the nanny estimates the error of a regression model (a classifier has its estimated accuracy).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The drift reference of &quot;%1&quot;: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The nanny of &quot;%1&quot; (reference: %2): %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not advanced: the gates (%1) are inconclusive, waiting for %2. Wait, or give an override reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not advanced: the combination (%1) can never be met by the gates this deployment has. Change the plan, or give an override reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not advanced: gates failing (%1): %2. Wait, or give an override reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>staged plan: step %1 (%2 %) -&gt; step %3 (%4 %), gates passed (%5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML estimated MAE %1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: PostgreSQL unavailable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: no regression champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>nanny: %n logged row(s) of %1 skipped (a missing or non-finite value, or a non-finite estimate)</source>
        <translation>
            <numerusform>nanny: %n logged row of %1 skipped (a missing or non-finite value, or a non-finite estimate)</numerusform>
            <numerusform>nanny: %n logged rows of %1 skipped (a missing or non-finite value, or a non-finite estimate)</numerusform>
        </translation>
    </message>
    <message>
        <source>nanny: none for %1 (last training failed: %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the champion changed to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>first nanny of champion %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: training for %1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: trained for %1 of %2 (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: another scorer is on it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: no nanny in use for the champion (it is being trained elsewhere, or its training was refused)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nanny: scoring version %1, up to date (scored to %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>nanny: scoring version %1, catching up: %n prediction(s) scored (scored to %2)</source>
        <translation>
            <numerusform>nanny: scoring version %1, catching up: %n prediction scored (scored to %2)</numerusform>
            <numerusform>nanny: scoring version %1, catching up: %n predictions scored (scored to %2)</numerusform>
        </translation>
    </message>
    <message>
        <source>Running the model checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 holds no image in a class subfolder (%2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>labelled folder %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s classes (%1) differ from those of deployment &quot;%2&quot; (%3): its logged outcomes cannot be scored against this model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image store of &quot;%1&quot;: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, labelled image predictions, %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1×%2 (%n image(s)</source>
        <translation>
            <numerusform>%1×%2 (%n image</numerusform>
            <numerusform>%1×%2 (%n images</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n other size(s)</source>
        <translation>
            <numerusform>%n other size</numerusform>
            <numerusform>%n other sizes</numerusform>
        </translation>
    </message>
    <message>
        <source>The images have %1 sizes, each resized to the model&apos;s input: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not read by every model</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>None of the %n image(s) could be used (%1).</source>
        <translation>
            <numerusform>None of the %n image could be used (%1).</numerusform>
            <numerusform>None of the %n images could be used (%1).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) could not be read and were left out (listed by key with the reason).</source>
        <translation>
            <numerusform>%n image could not be read and was left out (listed by key with the reason).</numerusform>
            <numerusform>%n images could not be read and were left out (listed by key with the reason).</numerusform>
        </translation>
    </message>
    <message>
        <source>%1: %2 images/s; reading, decoding and preprocessing %3 s, model %4 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>true class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 takes %2 and %3 takes %4: they cannot be compared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 takes images: give a labelled image folder or a time window, not a CSV file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 takes images: a target column or a feature list (--target, --features) does not apply.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Listing images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give one source of rows: a CSV file, a labelled image folder or a time window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 takes rows, not images: give a CSV file or a time window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image brightness</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image contrast</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image width</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image height</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no image read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no image to sample</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>computed from %Ln sampled image(s) of %L1</source>
        <translation>
            <numerusform>computed from %Ln sampled image of %L1</numerusform>
            <numerusform>computed from %Ln sampled images of %L1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>computed from %L1 of %Ln sampled image(s) of %L2 (%L3 unreadable)</source>
        <translation>
            <numerusform>computed from %L1 of %Ln sampled image of %L2 (%L3 unreadable)</numerusform>
            <numerusform>computed from %L1 of %Ln sampled images of %L2 (%L3 unreadable)</numerusform>
        </translation>
    </message>
    <message>
        <source>Image statistics (brightness, contrast, width, height) computed by MLDeck from a sample of at most %L1 images per side, read through %2:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2, %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unreadable %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>and %L1 more unreadable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a snapshot keeps no image keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>the reference&apos;s predictions have %Ln image key(s)</source>
        <translation>
            <numerusform>the reference&apos;s predictions have %Ln image key</numerusform>
            <numerusform>the reference&apos;s predictions have %Ln image keys</numerusform>
        </translation>
    </message>
    <message>
        <source>the reference&apos;s logged images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the reference&apos;s logged images (%1; no reference set to fall back on)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the reference set %1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the image configuration of &quot;%1&quot; does not read: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the window&apos;s logged images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; takes images, and this model takes features: an image model declares &quot;input&quot;: &quot;image&quot; in its mldeck.json.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s classes [%1] are not those of image deployment &quot;%2&quot; [%3] (the same names in the same order).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This model takes images, and deployment &quot;%1&quot; takes tabular features: register it to an image deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; image statistics of the window %1, of the reference %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image deployment &quot;%1&quot; has no holdout set: candidate and champion are compared on it. Set one with `mldeckctl deployments images set`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference set: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Holdout set: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout set %1 holds no image.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n logged prediction(s) of an image already in the window were merged (one item per image, its latest label).</source>
        <translation>
            <numerusform>%n logged prediction of an image already in the window was merged (one item per image, its latest label).</numerusform>
            <numerusform>%n logged predictions of an image already in the window were merged (one item per image, its latest label).</numerusform>
        </translation>
    </message>
    <message>
        <source>No image prediction in the window has a class as its outcome yet: the training images are the reference set&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Only %n training image(s): a run needs at least %1.</source>
        <translation>
            <numerusform>Only %n training image: a run needs at least %1.</numerusform>
            <numerusform>Only %n training images: a run needs at least %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n logged image(s) are in the holdout set and were left out.</source>
        <translation>
            <numerusform>%n logged image is in the holdout set and was left out.</numerusform>
            <numerusform>%n logged images are in the holdout set and were left out.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>No holdout image could be read: %n skipped.</source>
        <translation>
            <numerusform>No holdout image could be read: %n skipped.</numerusform>
            <numerusform>No holdout image could be read: %n skipped.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Evaluating candidate and champion on %n holdout images</source>
        <translation>
            <numerusform>Evaluating candidate and champion on %n holdout image</numerusform>
            <numerusform>Evaluating candidate and champion on %n holdout images</numerusform>
        </translation>
    </message>
    <message>
        <source>not computed over a window read from sketches (the PCA needs the rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A stored sketch of &quot;%1&quot; (%2) is unreadable: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied on the master, not yet replicated (%1): do not apply it again; a failover before a replica catches up could lose it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no replica acknowledged it within %1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the master is unreachable</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Confirmed by the master %1 and a replica (%n attempt(s)).</source>
        <translation>
            <numerusform>Confirmed by the master %1 and a replica (%n attempt).</numerusform>
            <numerusform>Confirmed by the master %1 and a replica (%n attempts).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 (tried %n time(s) in %2 s through the sentinels)</source>
        <translation>
            <numerusform>%1 (tried %n time in %2 s through the sentinels)</numerusform>
            <numerusform>%1 (tried %n times in %2 s through the sentinels)</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is not a standby (not in recovery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, master %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>, %n replica(s) online</source>
        <translation>
            <numerusform>, %n replica online</numerusform>
            <numerusform>, %n replicas online</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>read replica unreachable: reading from the primary (%1; next try in %n s)</source>
        <translation>
            <numerusform>read replica unreachable: reading from the primary (%1; next try in %n s)</numerusform>
            <numerusform>read replica unreachable: reading from the primary (%1; next try in %n s)</numerusform>
        </translation>
    </message>
    <message>
        <source>lag %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>lag unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>read from the standby %1, %2: STALE (more than %n s behind the primary)</source>
        <translation>
            <numerusform>read from the standby %1, %2: STALE (more than %n s behind the primary)</numerusform>
            <numerusform>read from the standby %1, %2: STALE (more than %n s behind the primary)</numerusform>
        </translation>
    </message>
    <message>
        <source>read from the standby %1, %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; feature sketches not updated: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>; %n hour(s) sketched</source>
        <translation>
            <numerusform>; %n hour sketched</numerusform>
            <numerusform>; %n hours sketched</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; window read from %n hourly sketch(es)</source>
        <translation>
            <numerusform>; window read from %n hourly sketch</numerusform>
            <numerusform>; window read from %n hourly sketches</numerusform>
        </translation>
    </message>
    <message>
        <source>retention: PostgreSQL unavailable: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retention: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>; %n hour(s) kept at minute resolution (hour rows disagree)</source>
        <translation>
            <numerusform>; %n hour kept at minute resolution (hour rows disagree)</numerusform>
            <numerusform>; %n hours kept at minute resolution (hour rows disagree)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>retention: %n partition(s) dropped (%1 rows), %2 rows deleted, %3 label states trimmed, %4 minute rows folded into %5 hours%6%7</source>
        <translation>
            <numerusform>retention: %n partition dropped (%1 rows), %2 rows deleted, %3 label states trimmed, %4 minute rows folded into %5 hours%6%7</numerusform>
            <numerusform>retention: %n partitions dropped (%1 rows), %2 rows deleted, %3 label states trimmed, %4 minute rows folded into %5 hours%6%7</numerusform>
        </translation>
    </message>
    <message>
        <source>; first_rows drift reference kept as a snapshot: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::simulator</name>
    <message>
        <source>Champion version %1 cannot be served: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the champion: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot follow the champion in Redis: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lost the champion channel: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows could not be written to PostgreSQL (%2 dropped while it was unreachable): %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a duration (examples: 250ms, 30s, 5m, 1h).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scenarios are NAME[@START][+DURATION] with NAME one of %1, e.g. drift@5m or errors@2m+3m.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bad scenario &quot;%1&quot;. </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown scenario &quot;%1&quot;. </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The duration of scenario &quot;%1&quot; must be positive.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model returned no prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>model server error (simulated fault)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letters, digits, &apos;-&apos; and &apos;_&apos;).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rate must be between 0 and 100000 requests per second.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The initial percentage must be between 0 and 100.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot use model %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database has no MLDeck schema yet: run &quot;mldeckctl migrate&quot; first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The MLDeck schema is out of date (version %1 of %2): run &quot;mldeckctl migrate&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ride delay prediction (demo)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The simulator was not prepared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Will the driver accept the ride offer (demo)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The calibration scenario plays on a classification deployment; &quot;%1&quot; is a regression.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 does not serve the classes of &quot;%2&quot; (%3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is a classifier of %2; the simulator serves ride offers, classes %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image store %1 has no live pool &quot;%2&quot; (one subfolder per class) for the simulator to serve: make it with resources/models/make_digits_cnn.py images.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The live pool %1 holds no image.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot decode %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot create the folder %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is an image deployment: its scenarios are image-drift, errors, latency and degraded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image-drift scenario plays on an image deployment; &quot;%1&quot; takes tabular features.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 takes tabular features; &quot;%2&quot; is an image deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 takes images; &quot;%2&quot; takes tabular features.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The simulator serves images from a folder store; &quot;%1&quot; has a %2 store.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 takes tabular features, not images.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The live pool cannot be served: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image configuration of &quot;%1&quot; cannot be read: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::stats</name>
    <message>
        <source>accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No significant difference on %1 between %2 and %3 (%3 better by %4 %, %5 % CI %6 to %7 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is %2 % better than %3 on %4, %5 % CI %6–%7 %.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is %2 % worse than %3 on %4, %5 % CI %6–%7 %.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a duration: use a whole number with s, m, h or d, e.g. 30s or 10m.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The duration &quot;%1&quot; must be above zero.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a period: use period:FROM/TO with ISO 8601 times, FROM before TO.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be a positive duration.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown drift test &quot;%1&quot; for feature &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2 %3 %4 %5 %6 %7</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>feature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>test</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p-value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>effect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>verdict</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>too few rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>DRIFT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ok</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift (threshold %3 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No dataset drift: %1 of %2 features drift (threshold %3 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no columns to compare.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The duration &quot;%1&quot; is longer than 100 years.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a row count: use first_rows:N with N a whole number from %2 to %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown reference &quot;%1&quot;: use first_rows:N, model, snapshot:NAME, period:FROM/TO, auto, first:DURATION or previous:DURATION.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be a whole number from %2 to %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be above 0 and at most %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be above 0 and below %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;reference&quot; must be a text such as first_rows:5000.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;ignore&quot; must list feature names.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fewer than %1 predictions: too few to estimate from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s probabilities were not checked on labelled reference data.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s probabilities are not calibrated on the reference data (calibration error %1, above %2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The labelled predictions of this period disagree with the calibration (calibration error %1): the model&apos;s probabilities have drifted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;multivariate&quot; must be true or false.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: no verdict, %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: mean reconstruction error %2, band %3 to %4: %5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The columns of the data differ in length (%1 has %2 rows, not %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The share of variance to keep must be above 0 and at most 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference has too few rows for a PCA (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference has %1 numeric features; the multivariate line takes at most %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference has no feature with values to fit a PCA on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PCA of the reference did not converge.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference&apos;s features do not vary: no PCA to fit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the kept components explain all the variance: nothing left to reconstruct (lower pca_variance)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not enough reference: %1 rows for %2 encoded inputs, %3 needed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>too few rows in the current window (%1 of %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not enough reference: %1 rows make %2 chunks of %3 rows, %4 needed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the reference&apos;s reconstruction error does not vary: no band to compare with</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>multivariate (PCA, 1 component, %1 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>multivariate (PCA, %1 components, %2 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>from sketches: score in [%1, %2]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, p-value in [%1, %2]</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (CDF error at most %1 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>undecided (bound straddles the threshold)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset drift undecided: %1 of %2 features drift, undecided ones may tip it (threshold %3 %).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::store</name>
    <message>
        <source>Changing alert settings needs the name of who does it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stored alert rule %1 of %2 is invalid: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the alert rules of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no deployment &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving alert rule %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>resetting alert rule %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the alert rule state of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving the state of alert rule %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the webhook of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 has no webhook to turn off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving the webhook of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording a webhook delivery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading webhook deliveries of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An alert needs a kind, a deduplication key and a title.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown alert severity &quot;%1&quot;: use info, warning or critical.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>raising alert &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>resolving alert %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing alerts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There is no alert %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading alert %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the alerts of a period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting open %1 alerts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acknowledging an alert needs the name of who does it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 is already resolved: nothing to acknowledge.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>acknowledging alert %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Silencing an alert needs the name of who does it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A silence must end in the future (asked until %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 is already resolved: nothing to silence.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>silencing alert %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audit row was already committed or abandoned.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>committing the audit row</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>writing the audit log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the audit log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a feature has no name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; appears twice</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>invalid deployment name &quot;%1&quot;: use 1 to 64 letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;, starting with a letter or digit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>invalid feature schema for deployment &quot;%1&quot;: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>registering deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing deployments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deployment &quot;%1&quot; has no feature schema %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading a feature schema of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A logged prediction has unreadable feature values: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a deployment name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; does not exist or has no feature schema.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the feature schema of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the predictions of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no drift snapshot named &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Snapshot &quot;%1&quot; was taken with feature schema %2, the log now uses %3: take a new one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading drift snapshot &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid snapshot name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No prediction of &quot;%1&quot; in that period: the snapshot would be empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing drift snapshot &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>looking for drift snapshot &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The champion model of &quot;%1&quot; has no training window recorded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the champion model of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has logged no prediction yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the log of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the drift settings of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the drift state of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving the drift state of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving drift scores of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading drift scores of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The database has no deployment yet: nothing has been logged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Several deployments exist (%1): name one with --deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The time window is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; logged no successful prediction in the window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A logged feature array cannot be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the evaluation window of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No prediction of &quot;%1&quot; in the window has an outcome yet: nothing to score.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, feature schema %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A logged row does not match feature schema %1 (%2 numeric, %3 categorical values).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows logged with an older feature schema were left out.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the guard rules of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the guard state of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the guard state of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>raising the guard alert &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading KPI aggregates: the range ends before it starts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading KPI aggregates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>applying late outcomes to the KPI aggregates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rebuilding KPI aggregates: no deployment given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rebuilding KPI aggregates: the range must end after it starts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rebuilding KPI aggregates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the KPI targets stored for &quot;%1&quot; are invalid: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading KPI targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI targets not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>KPI targets changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving KPI targets (nothing was changed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading audit markers: the range ends before it starts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing deployments with KPI aggregates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>starting the guard&apos;s leader session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>taking the guard&apos;s leader lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>database &quot;%1&quot; already has a schema &quot;mldeck&quot; that MLDeck did not create (it has no mldeck.schema_migrations table): refusing to touch it; use another database or move that schema away</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>database schema is version %1, this mldeckctl knows up to %2: upgrade MLDeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>migration step(s) %1 already applied to database &quot;%2&quot; differ from the ones this mldeckctl ships: refusing to continue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the schema version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this binary carries no migration steps (resources missing)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>applying migration %1 (nothing of this step was kept)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>creating the daily prediction partitions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no model version &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the metrics of model %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>looking up the models that use %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the previous champion of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invalid version &quot;%1&quot;: use 1 to 64 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A model version needs a name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This file (SHA-256 %1) is already registered for deployment &quot;%2&quot; as version %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already has a version &quot;%2&quot;; choose another --version.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parent version &quot;%1&quot; does not exist in deployment &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>registering a model for deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing the models of deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading model %1@%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>looking up a model of deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown alias &quot;%1&quot;: use champion or challenger.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the %1 of deployment &quot;%2&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is archived; an archived version cannot become %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is already the %3; nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is the champion; it cannot also be the challenger.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>making %1@%2 the %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no previous champion to restore.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The previous champion of &quot;%1&quot; no longer exists in the registry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The previous champion %1@%2 is archived; promote another version instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is already the champion; nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>restoring the previous champion of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is already archived; nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is the champion and cannot be archived; promote another version first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>archiving %1@%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>lost the connection to PostgreSQL at %1 while %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL at %1 went away while committing (%2): the outcome is unknown: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL error while %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot connect to PostgreSQL at %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>checking the connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not an array literal: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unterminated quoted element in array literal: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty element in array literal: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>malformed array literal: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>trailing comma in array literal: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NULL element in a numeric feature array</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not a number in a numeric feature array: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a row has no deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has no request key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: nothing was logged (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (nothing of this batch was logged)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>logging %n prediction(s)</source>
        <translation>
            <numerusform>logging %n prediction</numerusform>
            <numerusform>logging %n predictions</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>logging %n outcome(s)</source>
        <translation>
            <numerusform>logging %n outcome</numerusform>
            <numerusform>logging %n outcomes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>logging %n feedback row(s)</source>
        <translation>
            <numerusform>logging %n feedback row</numerusform>
            <numerusform>logging %n feedback rows</numerusform>
        </translation>
    </message>
    <message>
        <source>logging one prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>invalid partition range %1 .. %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>creating daily prediction partitions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A retrain run of &quot;%1&quot; is already queued or running; wait for it to finish or cancel it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording a retrain run of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain run %1 is no longer queued.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>starting retrain run %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain run %1 has already finished.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording the end of retrain run %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain run %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>recording the decision of retrain run %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain run %1 is not running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelling retrain run %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading retrain run %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing retrain runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the retrain settings of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the retrain settings of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting the feedback of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the negative feedback of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Feedback retention: older than %n days</source>
        <translation>
            <numerusform>Feedback retention: older than %n day</numerusform>
            <numerusform>Feedback retention: older than %n days</numerusform>
        </translation>
    </message>
    <message>
        <source>purging the feedback of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the rollout plan of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The current step %1 is not a step of this plan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the rollout plan of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no stored plan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>moving the rollout plan of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>computing the ML figures of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the what-if data of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>computing the MAE of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then up to 62 of a-z, 0-9, _ and -).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A flag change needs an actor (who makes it) for updated_by.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unexpected answer from Redis to %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to change: give at least one of ML enabled, traffic percentage or fallback.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The expected version must not be negative (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no flags in Redis yet; create them first (mldeckctl flags init).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Redis key %1 is not a hash but a %2; refusing to overwrite it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conflict: the flags of &quot;%1&quot; were changed by %2 at %3 (now version %4: ml_enabled=%5, ml_traffic_percentage=%6, fallback_on_error=%7) while you expected version %8. Nothing was written; re-read and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 did not answer %2 within %3 ms (server down, frozen or overloaded).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 closed the connection during %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>out of memory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lost the connection to Redis at %1 during %2: %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection to Redis at %1 is broken (%2); reconnect.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Empty Redis command.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 refused %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The Redis timeout must be positive (got %1 ms).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot connect to Redis at %1: out of memory.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot connect to Redis at %1: no answer within %2 ms.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot connect to Redis at %1: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot set the timeout on the connection to Redis at %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 rejected the login%2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> of user &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 cannot select database %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 requires a password (give one in the connection settings or the URL).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 gave an unexpected answer to PING.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 refused SUBSCRIBE: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 gave an unexpected answer to SUBSCRIBE.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 sent an error: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for Redis at %1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 is not built in, so it has no default to go back to: delete it instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule %1 is built in and cannot be deleted: reset it to its default or turn it off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deleting alert rule %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is longer than %2 characters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 must fit on one line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the description</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the target name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the target unit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PostgreSQL role %1 may not change deployments (%2): that takes the mldeck_scientist role.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown deployment &quot;%1&quot;: create it first (mldeckctl deployments create, or New deployment on the Deployments page).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is archived.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>looking up deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -; at most 63 characters).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown task &quot;%1&quot;: use regression or classification.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: invalid feature schema: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: the drift reference needs %2 to %3 rows, not %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: drift reference: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>creating deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists (archived); nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists; nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>changing deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archiving deployment &quot;%1&quot; needs a reason (it goes to the audit log).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>archiving deployment &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting the predictions of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the first predictions of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing the drift snapshots of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift settings of &quot;%1&quot; not saved: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>saving the drift settings of &quot;%1&quot; (nothing was changed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Snapshot &quot;%1&quot; would be empty: nothing was changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing drift snapshot &quot;%1&quot; (nothing was changed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the guard rules of &quot;%1&quot; (nothing was changed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>looking for the demo history of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading a back-dated history needs a PostgreSQL superuser (it turns the audit and aggregate triggers off while it writes); &quot;%1&quot; is not one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>preparing the history load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ending the history load</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>writing the audit row &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>writing the alert &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>writing the staged plan of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>registering %1@%2 in the history</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>moving the %1 of &quot;%2&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>writing the retrain run of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>building the KPI aggregates of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading what your role may change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the task of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the labelled predictions of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is not a classifier with known classes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading labelled predictions: the range must end after it starts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>period (%1 to %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the first %1 logged predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reference period of &quot;%1&quot; is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading snapshot %1 of &quot;%2&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown reference.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the decision threshold must lie strictly between 0 and 1 (%1 given)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: classes are for a classification deployment, not a %2 one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to change: give a description, a target name, a target unit or a decision threshold.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: a decision threshold is for a binary classification deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has a negative predicted class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has %2 probabilities (at most %3 are logged)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>checking the audit log&apos;s hash chain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the audit log: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting audit rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a page starts at 0 or later and holds 1 to %1 rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a timeline is of one deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a timeline needs both ends of its range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading what served %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading audit markers: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not encrypted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TLS verified (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TLS, CA verified, host name not checked (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TLS, certificate not verified (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the server&apos;s certificate is for %1, not %2: connect with the name on the certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>the server&apos;s certificate is for %1 and %n other name(s), not %2: connect with a name on the certificate</source>
        <translation>
            <numerusform>the server&apos;s certificate is for %1 and %n other name, not %2: connect with a name on the certificate</numerusform>
            <numerusform>the server&apos;s certificate is for %1 and %n other names, not %2: connect with a name on the certificate</numerusform>
        </translation>
    </message>
    <message>
        <source>the server&apos;s certificate is not signed by the CA in %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sslmode %1 checks the server&apos;s certificate against a CA file, and %2 does not exist: choose the CA file in the connection profile or add sslrootcert=FILE to the URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the CA file %1 could not be read: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the server does not accept TLS connections, and sslmode %1 requires TLS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis user &quot;%1&quot; may not change flags (a read-only ACL user): %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>another audited change of this deployment has held its audit log for over 5 s: nothing was written; try again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the golden dataset of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the golden dataset of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no golden dataset; nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>removing the golden dataset of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the model checks of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the model checks of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the model checks&apos; results of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the model checks&apos; results of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the privileges of the session</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the model checks of retrain run %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The champion of &quot;%1&quot; changed while the model checks ran (now %2); promote again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the nanny model of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the nanny model of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the nanny watermark of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading predictions of &quot;%1&quot; to estimate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One estimate per prediction is needed (%1 predictions, %2 estimates).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>adding error estimates of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the reference of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>locking the nanny of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the server&apos;s clock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the nanny&apos;s hours of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The rollout plan of &quot;%1&quot;: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: an image deployment is a classification deployment, not a %2 one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: an image deployment takes images, not a feature schema.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: only a classification deployment with its classes can take images.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: it takes tabular features (feature schema %2); an image deployment is created as one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The image configuration of deployment &quot;%1&quot; cannot be read: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is not an image deployment (it takes tabular features).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the image keys of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the labelled images of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No image prediction of &quot;%1&quot; in the window has a class as its outcome yet: nothing to score.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) whose outcome is not a class index were left out.</source>
        <translation>
            <numerusform>%n request whose outcome is not a class index was left out.</numerusform>
            <numerusform>%n requests whose outcome is not a class index were left out.</numerusform>
        </translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has a bad image key: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: it has a registered model (%2); an image deployment is created as one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: it has logged predictions; an image deployment is created as one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the feature sketches of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The feature sketches of &quot;%1&quot; were moved on by another writer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>storing the feature sketches of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>counting the outcomes not applied yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The raw rows of &quot;%1&quot; before %2 are gone (retention): what needs them cannot be computed from %3. Choose a range from %2 on (the KPI figures of the earlier part are kept).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the retention must be %1 to %2 days, not %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the retention of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retention of &quot;%1&quot; not changed: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>changing the retention of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the retention horizons of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the minute aggregate horizon</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the role %1 may not remove raw rows (that takes mldeck_admin): retention is not running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>checking the retention privileges</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing the deployments for retention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>past the retention of every deployment with rows in it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>dropping prediction partitions past retention</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>raw rows past the retention of %n day(s)</source>
        <translation>
            <numerusform>raw rows past the retention of %n day</numerusform>
            <numerusform>raw rows past the retention of %n days</numerusform>
        </translation>
    </message>
    <message>
        <source>deleting raw rows of &quot;%1&quot; past retention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the minute aggregates of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>minute aggregates folded into their hour rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>folding the minute aggregates of &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reading the replay lag of the read server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 is no longer the master (%2); reconnect through the sentinels.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No sentinel given for the Redis master &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1, named master of &quot;%2&quot; by the sentinels, answers as %3 (a failover is under way)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No Redis master &quot;%1&quot; reachable through the sentinels: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the sentinel at %1 does not monitor a master named &quot;%2&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No sentinel could name the Redis master &quot;%1&quot;: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retention would remove the first %1 logged predictions: kept as snapshot %2 (%3 rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>keeping the first predictions of &quot;%1&quot; as a snapshot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retention removed predictions of &quot;%1&quot; logged before %2: &quot;the first %3 logged predictions&quot; are no longer the same rows. Choose another drift reference (mldeckctl drift reference set): a snapshot, or a period still kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>trimming the outcomes&apos; day index</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertRuleEditor</name>
    <message>
        <source>Alert rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. failure_rate_fast</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failure rate (share of failed predictions, all paths)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95 of the ML path (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE of the ML path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R² of the ML path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No data (predictions in the window)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A backend dependency in fallback (minutes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metric</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fires when the figure is</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>above the threshold (&gt;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>below the threshold (&lt;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failure rate: a share (0.2 = 20 %). Latency: milliseconds. No data: fires when the window holds at most this many predictions. Dependency fallback: minutes in fallback (the window is unused).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pending period (for)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Severity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Info</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Critical</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enabled (a disabled rule&apos;s firing alert resolves)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional, kept in the audit log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A new rule needs an id: lower-case letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This deployment already has a rule &quot;%1&quot;: edit that one, or choose another id.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy of the ML path (share of labelled predictions right)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1 of the ML path (binary: positive class; else macro)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss of the ML path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expected calibration error of the ML path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated accuracy of the ML path (before labels)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failure rate, accuracy, F1, ECE: shares (0.9 = 90 %). Latency: milliseconds. An estimated accuracy the calibration check does not trust is no value. No data: fires when the window holds at most this many predictions. Dependency fallback: minutes in fallback.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated MAE of the ML path (nanny model, before outcomes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolve threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep firing for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A firing rule resolves only once the figure has been past the resolve threshold (empty: the threshold itself) at every evaluation for the keep-firing time; in between it keeps firing, so a figure hovering near the threshold does not fire and resolve over and over. An evaluation without a figure (no outcomes yet, say) starts the keep-firing time again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertRulesTableModel</name>
    <message>
        <source>Disabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pending since %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Firing since %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolved at %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changed for this deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Built-in default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Condition</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 for %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Firing since %1, clearing since %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolves</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertRulesView</name>
    <message>
        <source>Alert rules could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add rule…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reset to default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rules are evaluated by the guard every 15 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2 firing, %3 pending. Rules are evaluated by the guard every 15 s; a change applies from its next round.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A built-in rule cannot be deleted: reset it to its default or turn it off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This rule already has its default values.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert rule %1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New alert rule for %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reset alert rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reset rule %1 of %2 to its built-in default (%3)?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete alert rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete rule %1 of %2 (%3)? An alert it raised resolves.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertsDriftPage</name>
    <message>
        <source>&lt;b&gt;Alerts&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Silence…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Feature drift&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alerts could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployments could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment has logged predictions yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No drift figures: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift. Window %3 to %4 against %5.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No dataset drift: %1 of %2 features drift. Window %3 to %4 against %5.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Already acknowledged by %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark the selected alert as seen (audited)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What fires and who saw it, and which features drift from their reference.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No drift figures yet: the reference is filling.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 is not among the alerts listed here.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertsTableModel</name>
    <message>
        <source>Resolved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Silenced</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Firing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Silenced by %1 until %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>critical</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>info</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Severity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Title</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Since</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Acknowledged by</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AliasBadgeDelegate</name>
    <message>
        <source>champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>challenger</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditDetail</name>
    <message>
        <source>&lt;b&gt;Before → after&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a change to see it in full.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By %1 (database role %2%3) at %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, host %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Made at %1 while PostgreSQL was unreachable; written when it came back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No reason given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1, number %2 in its chain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No before or after values were recorded.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditFilterBar</name>
    <message>
        <source>All deployments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Anyone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From… to…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search reason, actor, values…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (all)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditLink</name>
    <message>
        <source>Open model version %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open alert %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show this moment on the dashboard</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditPage</name>
    <message>
        <source>Who changed what, and when.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the audit rows shown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the rows the filters show to a CSV file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write the rows the filters show to a JSON file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What served when</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows written</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The audit log could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No changes match</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No audit row matches these filters. Widen the time range, pick another deployment or kind, or clear the search.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the audit log…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n change(s), newest first; new ones appear live.</source>
        <translation>
            <numerusform>%n change, newest first; new ones appear live.</numerusform>
            <numerusform>%n changes, newest first; new ones appear live.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n change(s) match, newest first; new ones appear live.</source>
        <translation>
            <numerusform>%n change matches, newest first; new ones appear live.</numerusform>
            <numerusform>%n changes match, newest first; new ones appear live.</numerusform>
        </translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n row(s) exported.</source>
        <translation>
            <numerusform>%n row exported.</numerusform>
            <numerusform>%n rows exported.</numerusform>
        </translation>
    </message>
    <message>
        <source>Nothing was exported: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditTableModel</name>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (database role %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Actor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ClassificationCharts</name>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Realised vs estimated accuracy (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean confidence (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Positive rate (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency of ML (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stretch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Realised</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimate not trusted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Positive rate: served as &quot;%1&quot; (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share served as each class (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p99</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ClassificationDetail</name>
    <message>
        <source>Confusion matrix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reliability diagram</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confusion and calibration over the range</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All paths</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Path: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model version: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Predicted P(%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confidence (probability of the class served)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share right</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>ECE %1 · log-loss %2 · Brier %3 · %n labelled predictions</source>
        <translation>
            <numerusform>ECE %1 · log-loss %2 · Brier %3 · %n labelled prediction</numerusform>
            <numerusform>ECE %1 · log-loss %2 · Brier %3 · %n labelled predictions</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::CompareView</name>
    <message>
        <source>File path or eta:champion, eta@3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Optional</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Baseline (A)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Logged window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV made by mldeckctl demo-data, or your own</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deployment (empty: the only one)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default: the model&apos;s target, else delay_min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run comparison</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export PDF…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metrics and differences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Segments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Plots</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a TorchScript model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TorchScript models (*.pt *.pth);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a CSV file, or use a logged window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done: %1 rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The comparison failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p50 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p99 (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Challenger vs baseline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metric</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Δ (B − A)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>95 % CI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relative</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relative 95 % CI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Significant</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 vs %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Segment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the comparison as CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exported %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the comparison as PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Labelled image folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>image models: one subfolder per class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Misclassified images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a labelled image folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a model to evaluate, or two to four to compare.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a labelled image folder, or use a logged window.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConfirmedStatePanel</name>
    <message>
        <source>just now</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n s ago</source>
        <translation>
            <numerusform>%n s ago</numerusform>
            <numerusform>%n s ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation>
            <numerusform>%n min ago</numerusform>
            <numerusform>%n min ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h ago</source>
        <translation>
            <numerusform>%n h ago</numerusform>
            <numerusform>%n h ago</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n days ago</source>
        <translation>
            <numerusform>%n day ago</numerusform>
            <numerusform>%n days ago</numerusform>
        </translation>
    </message>
    <message>
        <source>Confirmed in Redis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML enabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Traffic to ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback on error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changed by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changed at</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not read yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis holds no flag set for “%1”: backends treat ML as off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>INVALID in Redis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⚠ Invalid flag set (%1): backends treat ML as OFF.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● ML off: every request uses the heuristic.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● ML serves %1 % of requests.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(last read before the connection was lost: may be stale)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConfusionMatrixView</name>
    <message>
        <source>Rows: the actual class; columns: the class served. A cell shows its count and its share of the row.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Served as</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Actual</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConnectionDialog</name>
    <message>
        <source>Connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Profiles</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. Production</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Profile &amp;name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis (rollout flags)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional (Redis 6 ACL user)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Host:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Port:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL (prediction log, registry, audit)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SSL mode:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passwords are stored only in the system keychain, never in the settings file. Leave a password empty to keep the stored one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>from the environment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unchanged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This profile comes from MLDECK_REDIS_URL / MLDECK_PG_URL and takes precedence while they are set. It cannot be edited here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New profile %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A profile named &quot;%1&quot; already exists.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name &quot;%1&quot; is reserved for the environment profile.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis port &quot;%1&quot; is not a number between 1 and 65535.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL port &quot;%1&quot; is not a number between 1 and 65535.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Profile &quot;%1&quot; saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rename profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete profile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the profile &quot;%1&quot; and its stored passwords?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Profile &quot;%1&quot; deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the passwords for this session. They are kept in memory only until MLDeck quits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The password could not be stored in the system keychain: %1
It is kept in memory for this session only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>~/.postgresql/root.crt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CA file:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CA certificate of the PostgreSQL server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificates (*.crt *.pem *.cer);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Single server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sentinel (high availability)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>host1:26379, host2:26379, host3:26379</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The sentinels, asked in this order for the master&apos;s address. The user and password below log in to the sentinels and to the Redis nodes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connect to:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sentinels:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional: postgresql://standby-host:5432/mldeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A hot standby of this PostgreSQL: the dashboard, drift page, reports and /metrics read there, every change goes to the primary. It uses the primary&apos;s user and password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read replica URL:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read replica max lag (s):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis sentinels: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The read replica&apos;s max lag &quot;%1&quot; is not a whole number of seconds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The read replica URL must not carry a password: the primary&apos;s password is used (a physical standby has the primary&apos;s roles).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConnectionSession</name>
    <message>
        <source>Local stack (environment)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDECK_REDIS_URL: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDECK_PG_URL: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Local defaults</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DashboardCharts</name>
    <message>
        <source>MAE (minutes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency of ML (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate (%)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Throughput (predictions/s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 /s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 by %2
%3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stretch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p99</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML (estimated)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DashboardPage</name>
    <message>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>5 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>10 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>30 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>60 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last day as PDF…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last week as PDF…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last day as CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last week as CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-refresh:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By path and by model version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment has logged predictions yet: nothing to show.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connected to a database yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the deployments…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No predictions of %1 in this range (refreshed at %2, took %3 ms).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live · refreshed at %1, took %2 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Range %1 to %2 · refreshed at %3, took %4 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the figures: %1. The figures below are from %2 and are NOT live; retrying.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the figures: %1. The figures below are from %2 and are NOT live; press Refresh to try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the figures: %1. No figures to show; retrying.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connect to a database and choose a deployment before exporting a report.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writing the report to %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How the model does against its targets, live or over a range, next to the heuristic.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raw rows before %1 are gone (retention): the figures before it come from the kept aggregates, at hour resolution where minute rows were folded; drift, evaluation and retraining have no rows there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>NOT live: the read replica is more than %n s behind the primary (refreshed at %1, took %2 ms)</source>
        <translation>
            <numerusform>NOT live: the read replica is more than %n s behind the primary (refreshed at %1, took %2 ms)</numerusform>
            <numerusform>NOT live: the read replica is more than %n s behind the primary (refreshed at %1, took %2 ms)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>NOT live: %n outcomes are not counted yet, the primary is applying them (refreshed at %1, took %2 ms)</source>
        <translation>
            <numerusform>NOT live: %n outcomes are not counted yet, the primary is applying them (refreshed at %1, took %2 ms)</numerusform>
            <numerusform>NOT live: %n outcomes are not counted yet, the primary is applying them (refreshed at %1, took %2 ms)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DataStep</name>
    <message>
        <source> days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The newest share of the rows, by time: never trained on, used to compare the candidate with the champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Include feedback (rows with negative feedback weigh double)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Summarize</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Holdout (newest rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Split</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target distribution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows left out (missing)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Press Summarize to see what the window holds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the window…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Summary of the last %1 days.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows with an outcome, %2 of them with negative feedback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training %1 · validation %2 · holdout %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 → %2 (holdout from %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mean %1, sd %2, range %3 … %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target (lower edge of each bin)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No value is missing in this window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot summarize: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>True class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 labelled images in the window (%2) and %3 in the reference set %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>training %1 · validation %2 images · holdout %3 images (the holdout set %4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 → %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 –</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DecisionStep</name>
    <message>
        <source>Reason (kept in the audit log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start a rollout plan at 10 % after promoting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote to champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep as challenger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start another</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This run registered no candidate (dry run): there is nothing to promote or keep.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Candidate %1@%2 beats the champion by the rule: it can be promoted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Candidate %1@%2 does not beat the champion by the rule, so it cannot be promoted here. Keep it as challenger to compare it on live traffic, or discard it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The decision rule says not to promote this candidate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applying…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is the new champion; a rollout plan starting at 10 % was created.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is the new champion.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 is the challenger; the champion is unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The candidate %1@%2 was discarded; the champion is unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: they could not run: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model checks refuse this candidate: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) could not be used and were skipped: %1</source>
        <translation>
            <numerusform>%n image could not be used and was skipped: %1</numerusform>
            <numerusform>%n images could not be used and were skipped: %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DependencyIndicator</name>
    <message>
        <source>%1: unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: fallback %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: degraded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fallback since %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>last error: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reported %1 s ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Backend dependencies&lt;/b&gt;&lt;br&gt;%1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DependencyStrip</name>
    <message>
        <source>Backend dependencies: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DeploymentsPage</name>
    <message>
        <source>Create a deployment before any traffic exists, describe it, archive it, and edit every setting of the one selected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New deployment…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show archived</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⟳ Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the deployments again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployments yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A deployment is one model-backed feature, such as an arrival-time estimate. Create one with New deployment…: give it a name, its task and its features, then register a model for it on the Models page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why archive %1? It disappears from the selectors and the guard; its history is kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the deployments: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is archived: its settings are kept as they were and are no longer edited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a deployment: name, task, features and drift reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hide the selected deployment from the selectors and the guard; its history is kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 created. Register a model for it on the Models page; its flags are off until you enable them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 was not archived: say why (the reason goes into the audit log).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment %1 archived: it no longer appears in the selectors and the guard skips it. Its history is kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not archived: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DeploymentsTableModel</name>
    <message>
        <source>classification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>regression</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archived %1 by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>archived</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Description</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, images</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DesktopNotifier</name>
    <message>
        <source>MLDeck: critical alert on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDeck: alert on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDeck</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftCharts</name>
    <message>
        <source>Select a feature to compare its distributions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Score over time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: reference vs current</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Current</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>% of rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: no history yet (the guard records a score every check)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2 over time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: this window against the reference band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: no verdict, %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>band low</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>reference mean</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>band high</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>current</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: mean reconstruction error over time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean reconstruction error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Band high</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Band low</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftFeatureTable</name>
    <message>
        <source>Watched feature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Test</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftReferenceBar</name>
    <message>
        <source>Reference: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference filling: %L1 of %L2 predictions logged. Drift is checked once the reference is full.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image statistics (brightness, contrast, width, height) computed by MLDeck from a sample of at most %L1 images per side: window %2; reference %3 (%4).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;Unreadable images (not counted in the statistics):&lt;/p&gt;&lt;p&gt;%1&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Window read from %n hourly sketch(es) and %L1 raw rows: each score is known within the interval shown, and a verdict is made only when that interval is on one side of the threshold.</source>
        <translation>
            <numerusform>Window read from %n hourly sketch and %L1 raw rows: each score is known within the interval shown, and a verdict is made only when that interval is on one side of the threshold.</numerusform>
            <numerusform>Window read from %n hourly sketches and %L1 raw rows: each score is known within the interval shown, and a verdict is made only when that interval is on one side of the threshold.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftReferenceChooser</name>
    <message>
        <source>First logged predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A logged period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A stored snapshot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The champion&apos;s training window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>train_from to train_to of the champion model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>As stored: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftSettingsEditor</name>
    <message>
        <source>Drift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Windows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Current window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. 10m</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. 1m</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Persistence (windows in a row)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Minimum samples per side</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An alert fires after that many drifting windows in a row and resolves after as many clean ones.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p-value (KS, chi-square, z-test)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Distance (Wasserstein, JS, PSI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare with</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Features</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Per feature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Multivariate drift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PCA reconstruction error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share of variance kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference chunk size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A PCA of the standardised reference features; a window drifts when its mean reconstruction error leaves the band of the reference chunks&apos; mean ± 3 standard deviations, narrowed to the window&apos;s row count. Chunk size 0: the window&apos;s rows, at most a tenth of the reference, at least the minimum samples.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images sampled per side</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> images</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftTableModel</name>
    <message>
        <source>Too few rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Test</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p-value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Effect size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean reconstruction error of the window&apos;s rows by a PCA of the reference (%1 of %2 encoded inputs kept, %3 % of the variance); the band is the mean ± 3 standard deviations over %4 reference chunks of %5 rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No verdict</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image statistic computed by MLDeck from a sample of the images (%L1 of the window, %L2 of the reference), not a logged feature.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Computed from hourly sketches: the exact score is between %1 and %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, the exact p-value between %1 and %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (CDF error at most %1 %).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That interval straddles the threshold: no verdict for this window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2–%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Undecided</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::EvaluationStep</name>
    <message>
        <source>Candidate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Candidate − champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Both models are scored on the same holdout rows, which the candidate never saw. Lower MAE and RMSE are better, higher R² is better.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No decision was recorded for this run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Do not promote.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Brier score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Both models are scored on the same holdout rows, which the candidate never saw, with the deployment&apos;s decision rule. Higher accuracy is better, lower log-loss and Brier score are better.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 points</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy difference (candidate − champion): %1 points, %2 % interval %3 … %4 points (%5 resamples).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 difference (candidate − champion): %2 (%3 %), %4 % interval %5 … %6 (%7 resamples).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::FeatureSchemaTable</name>
    <message>
        <source>Column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Categories (comma-separated)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>numeric</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>categorical</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not a feature</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: list its categories, separated by commas.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::GeneralEditor</name>
    <message>
        <source>General</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Description</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the model predicts, for whom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. delay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target unit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At most %1 characters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decision threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only a binary classification deployment has a decision threshold.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Binary classification: the positive class is served when its probability is at least this. Empty for any other deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Between 0 and 1, both excluded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image store</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the folder the logged image keys resolve in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional: one subfolder per class, added to retraining</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Holdout set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional: one subfolder per class, never trained on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stored image configuration cannot be read (%1). Give the folders again.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::GoldenDataDialog</name>
    <message>
        <source>Golden dataset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no segments)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outcome column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Segment column</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::GuardRulesEditor</name>
    <message>
        <source>Guard rules</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be above 0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be from %1 to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The guard acts on this deployment (off: it only watches)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate that turns ML off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be a share above 0 and at most 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>share, 0 to 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95 that halves traffic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE that halves traffic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Above the error rate the guard turns ML off (0 %); above the latency or the MAE it halves the ML percentage. After acting it waits for a person to re-arm it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When it acts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Minimum samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be at least 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Consecutive breaches before acting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluation interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Breaches count as consecutive only when evaluations are at most three intervals apart.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved. The guard applies the rules from its next round.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be a share from 0 to 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier: accuracy that turns ML off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier: accuracy that halves traffic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier: log-loss that halves traffic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How conditions combine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML off when</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>any, all or at-least-N</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Traffic halved when</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advisory conditions (reported, never acted on)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a condition: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. max_latency_p95_ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conditions that turn ML off: rollback_error_rate, rollback_accuracy; that halve traffic: max_latency_p95_ms, max_mae, min_accuracy, max_log_loss. &quot;any&quot; acts on one breaching condition.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hysteresis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be from 0 to 86400.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier: accuracy (ML off)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier: accuracy (halved)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier: log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: resolves past</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: keeps firing for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Once breached, a condition keeps counting until its value has been past its resolve threshold (on the safe side of the firing one) for the keep-firing time.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::HealthIndicator</name>
    <message>
        <source>up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not checked yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> — %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> — retry in %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> — retrying</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Details: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In this state since %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDeck reconnects automatically, waiting a little longer after each failure.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master: unknown (no sentinel answered)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sentinels: %1 of %2 reached, %3 known to them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replicas: none connected, changes are not confirmed by a replica</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Replica %1: %2, %n byte(s) behind</source>
        <translation>
            <numerusform>Replica %1: %2, %n byte behind</numerusform>
            <numerusform>Replica %1: %2, %n bytes behind</numerusform>
        </translation>
    </message>
    <message>
        <source>Problem: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown: no sentinel answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sentinels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 reached, %3 known to them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replicas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none connected: changes are not confirmed by a replica</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Replica %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1, %n byte(s) behind</source>
        <translation>
            <numerusform>%1, %n byte behind</numerusform>
            <numerusform>%1, %n bytes behind</numerusform>
        </translation>
    </message>
    <message>
        <source>Problem</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 behind Sentinel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Updated at %1; asked again every %2 s and whenever the connection changes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Click for the master, the sentinels and the replicas.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ImageFolderChecks</name>
    <message>
        <source>The folder the logged image keys resolve in is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout must be apart from the reference set: training never sees its images.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The holdout must be apart from the image store: training never sees its images.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ImageFolderField</name>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the folder</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::InfoBar</name>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::KpiBreakdownModel</name>
    <message>
        <source>Model version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RMSE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAPE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p99</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not trusted: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (not trusted)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Labelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Macro F1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ECE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Est. MAE</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::KpiTargetsEditor</name>
    <message>
        <source>KPI targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be above 0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be at most 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be a share from 0 to 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE at most</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R² at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Prediction time at most</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate at most</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>share, 0 to 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Uptime at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delays anticipated by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must be from 1 to %1 minutes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stretch targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stretch MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stretch R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The dashboard&apos;s tiles and charts compare every figure with these targets.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stretch MAE must not be above the MAE target.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stretch R² must not be below the R² target.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classification targets</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1 at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>binary: the positive class; else macro</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROC AUC at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>0 to 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss at most</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calibration error (ECE) at most</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stretch accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The stretch accuracy must not be below the accuracy target.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::KpiTiles</name>
    <message>
        <source>%1 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 /s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 /min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target &lt; %1 · stretch %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target &gt; %1 · stretch %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target &lt; %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>of ML-routed requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML vs heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE improvement over the heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delays anticipated</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>delays ≥ %n min predicted ≥ %n min</source>
        <translation>
            <numerusform>delays ≥ %n min predicted ≥ %n min</numerusform>
            <numerusform>delays ≥ %n min predicted ≥ %n min</numerusform>
        </translation>
    </message>
    <message>
        <source>Satisfaction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>positive feedback</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML uptime</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target &gt; %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>→ as in the previous period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2 vs previous period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no previous period</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p50 %1 · p99 %2 · target &lt; %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target &lt; %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML %1 · heuristic %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n predictions</source>
        <translation>
            <numerusform>%n prediction</numerusform>
            <numerusform>%n predictions</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 pts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target ≥ %1 % · stretch %2 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1 (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1 (macro)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target ≥ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target ≤ %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calibration error (ECE)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>target ≤ %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accuracy points over the heuristic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>probability of the class served</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Positive rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>served as &quot;%1&quot;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>binary deployments only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Label coverage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>± %1 (histogram bound) · </source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n labelled predictions</source>
        <translation>
            <numerusform>%n labelled prediction</numerusform>
            <numerusform>%n labelled predictions</numerusform>
        </translation>
    </message>
    <message>
        <source>not trusted (the tooltip says why)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not trusted: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>isotonic calibration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>binned calibration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model&apos;s own probabilities</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>before labels, from %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>before outcomes, %n ML predictions scored</source>
        <translation>
            <numerusform>before outcomes, %n ML prediction scored</numerusform>
            <numerusform>before outcomes, %n ML predictions scored</numerusform>
        </translation>
    </message>
    <message>
        <source>no nanny model has scored this range</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The MAE the deployment&apos;s nanny model expects from the ML predictions it scored, outcomes or not: read it next to the realised MAE while outcomes are late.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::LossChart</name>
    <message>
        <source>Loss per epoch (mean squared error, scaled target)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Validation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loss per epoch (cross-entropy)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::MainWindow</name>
    <message>
        <source>Enter passwords…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connect…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Connect…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About MLDeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Profile: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis %1
PostgreSQL %2 (database %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The language will change the next time MLDeck starts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About MLDeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A control room for a machine-learning model in production: rollout flags, KPIs, drift, retraining and an audit trail, on the same Redis and PostgreSQL as the serving backend.&lt;br&gt;&lt;br&gt;Built with Qt %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The passwords could not be read from the system keychain: %1. Enter them for this session; they stay in memory only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL user %1, MLDeck role %2. Actions this role may not take are disabled.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::MisclassifiedImages</name>
    <message>
        <source>Most confident first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Least confident first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skipped image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n image(s) misclassified; %2 skipped.</source>
        <translation>
            <numerusform>%1 of %n image misclassified; %2 skipped.</numerusform>
            <numerusform>%1 of %n images misclassified; %2 skipped.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::MisclassifiedModel</name>
    <message>
        <source>true: %1
predicted: %2 (%3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
cannot be read: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ModelVersionTableModel</name>
    <message>
        <source>SHA-256 %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>archived</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R²</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Aliases</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not compared with the champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>passed</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>passed, %n without data</source>
        <translation>
            <numerusform>passed, %n without data</numerusform>
            <numerusform>passed, %n without data</numerusform>
        </translation>
    </message>
    <message>
        <source>Checks</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ModelsPage</name>
    <message>
        <source>Registry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register model versions, promote or restore a champion, and compare models offline on the same rows.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::NannyQualityPanel</name>
    <message>
        <source>Estimated vs realised MAE (nanny model)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scored</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>With outcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Realised MAE</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the estimate&apos;s quality</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No hour of the range has both estimates and outcomes yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The estimate&apos;s quality could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Over %n hour(s) with outcomes: mean absolute difference %1, correlation %2.</source>
        <translation>
            <numerusform>Over %n hour with outcomes: mean absolute difference %1, correlation %2.</numerusform>
            <numerusform>Over %n hours with outcomes: mean absolute difference %1, correlation %2.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Over %n hour(s) with outcomes: mean absolute difference %1 (a correlation needs 3 hours or more with varying MAE).</source>
        <translation>
            <numerusform>Over %n hour with outcomes: mean absolute difference %1 (a correlation needs 3 hours or more with varying MAE).</numerusform>
            <numerusform>Over %n hours with outcomes: mean absolute difference %1 (a correlation needs 3 hours or more with varying MAE).</numerusform>
        </translation>
    </message>
    <message>
        <source>Wrote %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::NewDeploymentDialog</name>
    <message>
        <source>New deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. eta-express</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Regression (a number, e.g. a delay)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classification (a class, e.g. late or on time)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the model predicts, for whom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. delay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From a model file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the features from a TorchScript model&apos;s mldeck.json metadata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From a CSV header…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take the columns of a CSV file; choose the kind of each</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No features yet: the first model registered or the first row logged gives them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> predictions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>logged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift compares recent predictions with this reference. Until that many predictions are logged, the drift page says how full the reference is.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Task:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Description:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target &amp;name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target &amp;unit:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Features:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drift reference:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Features from a model file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TorchScript models (*.pt *.pth *.ptl);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Features from a CSV header</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A name is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start with a lower-case letter, then use lower-case letters, digits, &apos;-&apos; or &apos;_&apos; (at most 63 characters): the name goes into Redis keys.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A deployment named %1 already exists (archived ones keep their name).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the metadata of %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the columns of %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The features could not be read; the table keeps what it had.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The columns of %1. Kinds and categories come from its first %2 rows: check them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The features of %1, from its metadata.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The deployment was not created: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. declined, accepted (in the order of the model&apos;s output)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Two classes: the second (positive) class is served when its probability is at least this. More classes: the most probable is served.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>decision threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;lasses:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier needs its classes, in the order of the model&apos;s output (e.g. declined, accepted).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tabular features (a row of values)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image (a classifier of images)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An image deployment logs a key per image; its image store maps keys to files. Images are never copied into PostgreSQL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the classes from an image model&apos;s mldeck.json metadata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image store folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>/data/images: the logged keys resolve here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reference training set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional: one subfolder per class, added to retraining</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Holdout set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional: one subfolder per class, never trained on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Input:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Image &amp;store:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Reference set:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Holdout set:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 takes images; its classes are filled in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classification (the class of each image)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. digit</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PageFrame</name>
    <message>
        <source>Deployment:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⟳ Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the deployments and this page&apos;s figures again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Manage…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create, describe or archive deployments and edit their settings</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::Pages</name>
    <message>
        <source>Dashboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rollout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alerts &amp; Drift</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployments</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PercentageControl</name>
    <message>
        <source>ML traffic percentage</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>invalid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a value and press Enter to apply it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Presets:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send %1 % of traffic to the model</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PlanGatesEditor</name>
    <message>
        <source>How the gates combine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The plan&apos;s combination applies to every step that has none of its own.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Own combination</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This step combines its gates its own way instead of the plan&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All of the gates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Any of the gates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At least N of the gates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>N = </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must pass:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advisory (shown, never decide):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save gates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every step (the plan)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The gates combination could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gates combination saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a deployment to edit how its gates combine.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Samples and soak time always decide; of the other gates, %1 must pass.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This step uses the plan&apos;s combination. %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PlanPanel</name>
    <message>
        <source>%1 min %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Samples ≥</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Soak time ≥</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MAE (min) ≤</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R² ≥</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Latency p95 ≤</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error rate ≤</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Staged rollout plan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. 10, 25, 50, 100</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Percentages of the steps, increasing, up to 100.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Steps (%):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No gates apply before the first step: Advance starts the plan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason to advance although a gate fails</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advance to the next step although gates fail. Needs a reason; it is audited.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a deployment to see its plan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>▶ %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✓ %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not started: Advance moves traffic to the first step.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> since %1 (%2 h %3 min)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On step %1 of %2 (%3 %)%4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advance to %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Plan complete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The last step is reached.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pass</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Plan not loaded: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Steps saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not advanced: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy ≥</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>F1 ≥</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss ≤</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calibration error (ECE) ≤</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimated MAE (min) ≤</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The gates pass: move to %1 %.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disabled: the gates are inconclusive (see what they wait for). Use Override with a reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disabled: the gates fail. Use Override with a reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advances once the samples and the soak time are reached and, of the other gates, %1 pass (advisory gates are shown, never decide).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (advisory)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Inconclusive: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advisory: shown, never decides.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RangeSelector</name>
    <message>
        <source>15 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>24 h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>7 d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>30 d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Custom…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter both the start and the end of the range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The start of the range must be before its end.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReadSourceLine</name>
    <message numerus="yes">
        <source>Read replica unreachable: reading from the primary (%1; next try in %n s).</source>
        <translation>
            <numerusform>Read replica unreachable: reading from the primary (%1; next try in %n s).</numerusform>
            <numerusform>Read replica unreachable: reading from the primary (%1; next try in %n s).</numerusform>
        </translation>
    </message>
    <message>
        <source>Read from the standby %1, lag unknown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read from the standby %1, lag %2 s.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RedisAccessIndicator</name>
    <message>
        <source>Redis read-only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis not encrypted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis user &quot;%1&quot; is read-only: flags can be watched but not changed from this connection. Connect as a Redis user allowed to run MLDeck&apos;s scripts to change them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 is not on this machine and is reached without encryption (hiredis 0.14 has no TLS): the password and the flags cross the network in clear. Use a local TLS tunnel (stunnel or ssh -L) and connect to 127.0.0.1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RegistryView</name>
    <message>
        <source>Reason (kept in the audit log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote to champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make challenger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore previous</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make the champion before the current one the champion again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register a TorchScript model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>TorchScript models (*.pt *.pth *.ptl);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the deployments: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment yet: the serving backend (or mldeckctl simulate) creates one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the models of %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Aliases</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>archived</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Target unit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 by %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parent version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 to %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature schema</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none (no metadata)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Features, in input order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(mean %1, std %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The champion cannot be archived; promote another version first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register %1 for deployment %2? The file is checked, loaded once and copied into the model store.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make %1@%2 the champion? The serving backend is told at once (Redis). The current champion stays one click away with Restore previous.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make %1@%2 the challenger?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore previous model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make the previous champion of %1 the champion again? The serving backend is told at once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Archive %1@%2? It can no longer be promoted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Publish again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a version to see its metadata.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Golden data…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Register or replace the golden dataset the model checks run on before a promotion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove golden data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the golden dataset: promotions are then no longer checked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model checks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the golden dataset of %1? Its promotions are then no longer checked until another one is registered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No golden dataset: no promotion checks configured. A version becomes champion without any check.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Golden dataset: %1, %n row(s), outcome %2, %3; registered %4 by %5. The model checks run on it before every promotion.</source>
        <translation>
            <numerusform>Golden dataset: %1, %n row, outcome %2, %3; registered %4 by %5. The model checks run on it before every promotion.</numerusform>
            <numerusform>Golden dataset: %1, %n rows, outcome %2, %3; registered %4 by %5. The model checks run on it before every promotion.</numerusform>
        </translation>
    </message>
    <message>
        <source>no segments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>segments by %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReliabilityDiagram</name>
    <message>
        <source>Predicted probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Observed share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Perfectly calibrated</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportCharts</name>
    <message>
        <source>Predicted vs actual</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Residuals (predicted − actual)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Actual</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Predicted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Perfect</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reliability of P(%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reliability of the confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean predicted probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share right</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: ECE %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2 labelled rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confusion matrix of %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows: true class; columns: served class</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportExporter</name>
    <message>
        <source>Unknown report period &quot;%1&quot;: use day or week.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown report format &quot;%1&quot;: use pdf or csv.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No output file given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is a folder, not a file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder %1 does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder %1 is not writable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 exists and is not writable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A report is being written already.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Report written to %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Report written to %1 (%2).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportLayout</name>
    <message>
        <source>Page %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (continued)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot start the PDF %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot add a page to the PDF %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportPdf</name>
    <message>
        <source>Model comparison</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows from %2, bootstrap %3 resamples, seed %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MLDeck model comparison</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p50 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>p99 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Challenger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metric</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>95 % CI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Relative</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Differences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Segment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Segments (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classes %1; precision, recall and F1 of %2 (threshold %3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classes %1; precision, recall and F1 averaged over the classes (macro)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 → %2 (%3 rows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reliability: mean P(%1) → share of %1, by score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reliability: mean confidence → share right, by confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>True \ served</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confusion matrix of %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetentionEditor</name>
    <message>
        <source>Retention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep raw rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Empty: the default of %1 days, which the deployment then follows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raw predictions, outcomes and feedback older than this are dropped by the guard, for good. Aggregates, drift history, sketches and the audit log are kept.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainHistoryView</name>
    <message>
        <source>None recorded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the retrain runs as JSON</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a run to see its parameters and metrics.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the runs…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the runs: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No retrain run yet for “%1”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n run(s).</source>
        <translation>
            <numerusform>%n run.</numerusform>
            <numerusform>%n runs.</numerusform>
        </translation>
    </message>
    <message>
        <source>Run %1 · %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Requested by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Exported %n run(s) to %1.</source>
        <translation>
            <numerusform>Exported %n run to %1.</numerusform>
            <numerusform>Exported %n runs to %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainPage</name>
    <message>
        <source>Read the deployments, the triggers and the runs again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wizard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>History</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the deployments…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the deployments: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment yet: register a model with “mldeckctl models register” or start the demo with “mldeckctl simulate”, then press Refresh.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain a deployment&apos;s model on fresh data, evaluate it against the champion and decide; every run is kept.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainRunTableModel</name>
    <message>
        <source> (dry run)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 vs %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trigger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 candidate vs champion</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainSettingsEditor</name>
    <message>
        <source>Retrain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When a retrain is due</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feedback window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feedback items, at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Negative items, at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Satisfaction below</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>share (0.7 = 70 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Due when all three feedback conditions hold over the window, or when a trigger below is on and fires.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also when a drift alert fires</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the guard does</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain automatically when due</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote the candidate when the decision rule says so</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check every</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Without auto-promote, a run the guard starts keeps its candidate as challenger for a person to decide.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decision and privacy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep feedback for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also when the window&apos;s MAE is above its target (a classifier: its accuracy below it)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A classifier is judged on its</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote when it improves by at least</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>share: MAE or log-loss 0.02 = 2 % lower; accuracy 0.02 = 2 points higher</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A regression model is judged on its MAE. The improvement must also be sure: the 95 % paired-bootstrap interval of the difference on the holdout must exclude no improvement.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training images (an image deployment)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mirror half of the images left-right</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Largest random crop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>share of each side (0.1 = 10 %; 0 = no crops)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where every retrain starts, the guard&apos;s too; a run may change them. Turn mirroring off for images whose meaning changes when mirrored, such as digits or text.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainWizard</name>
    <message>
        <source>Why now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>‹ Back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next ›</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>choose a deployment first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1. Why now: is a retrain due?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>2. Data: which rows, and what they hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>3. Training: how to train the candidate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>4. Training the candidate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>5. Evaluation against the champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>6. Decision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start training ›</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start over</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the run: nothing is registered and the champion stays as it is</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Another run is still going.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote %1@%2?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1@%2 becomes the champion of “%3”: the serving backend loads it at its next check. The current champion stays in the registry and can be restored.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Promote</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard %1@%2?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The candidate is archived and will not be offered again. The run stays in the history.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RoleGate</name>
    <message>
        <source>Redis user &quot;%1&quot; is read-only: connect as a Redis user allowed to run MLDeck&apos;s scripts to change flags.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RolloutPage</name>
    <message>
        <source>no flag set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>INVALID flags (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML %1, %2 %, fallback %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✖ invalid in Redis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move traffic to the model step by step, watch the gates, and take it back at once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the list of deployments and their flags again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change the flags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML enabled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Master switch: off sends every request to the heuristic.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fallback on error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When the model fails on a request, answer with the heuristic instead of an error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Traffic to ML (applied when you release the slider):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why? Recorded in the audit log with every change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⟲  Rollback: ML off now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turns ML off (0 %) at once, whatever anyone else is changing. Asks once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the flags…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the flags of “%1”…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for the flags…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the plan…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment has rollout flags in Redis yet. Create one with “mldeckctl flags set --deployment NAME …” or start the demo with “mldeckctl simulate”, then press Refresh.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Someone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>an unknown time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Changed by someone else:&lt;/b&gt; %1 set %2 at %3 (version %4). The controls now show this state.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✔ Applied: %1 (version %2, read back from Redis).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Your change was NOT applied:&lt;/b&gt; %1 The controls now show the current state: %2 (version %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✖ Not applied (conflict).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✖ Change NOT applied: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Rolled back:&lt;/b&gt; %1 at version %2, read back from Redis.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL is unreachable: the audit row is kept on this computer and written when it returns.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✔ Rollback confirmed by Redis.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Rollback NOT applied:&lt;/b&gt; %1 Press Rollback again to retry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✖ Rollback NOT applied.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Not connected:&lt;/b&gt; %1 The values shown may be stale and changes are not applied; Rollback stays available and retries.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⟲  Rollback (retry): ML off now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Large traffic increase</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raise the ML traffic of “%1” from %2 % to %3 % (+%4 points)?

More than %5 points at once skips the usual rollout steps.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Raise to %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn ML on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn ML on for “%1”? %2 % of requests go to the model at once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applying…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Roll back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turn ML OFF for “%1” now?

Every request goes to the heuristic at once (ML off, 0 %), whatever anyone else is changing.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Roll back now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rollback from the Rollout page (no reason given)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolling back…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Override the gates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advance “%1” to the next step although a gate fails?

Reason (audited): %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advance anyway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✔ Applied and confirmed by a replica: %1 (version %2, read back from the master).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Behind Sentinel:&lt;/b&gt; %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RunStep</name>
    <message>
        <source>Start another</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epoch %1 of %2 · training loss %3 · validation MAE %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling: the run stops at its next batch…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done in %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The candidate is trained and evaluated (nothing registered). Next: the evaluation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Candidate %1@%2 is trained, evaluated and registered (no alias moved). Next: the evaluation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The run was cancelled: nothing was registered and the champion is untouched.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The run failed: %1. Nothing was registered and the champion is untouched.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epoch %1 of %2 · training loss %3 · validation accuracy %4 %</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ScreenshotRunner</name>
    <message>
        <source>mldeck: cannot write the screenshot to %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ServedTimelineView</name>
    <message>
        <source>ML traffic share</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ML %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Who</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No deployment yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading what served %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The timeline could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing is known of what served %1 in this range.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n step(s) of what served %1, oldest first.</source>
        <translation>
            <numerusform>%n step of what served %1, oldest first.</numerusform>
            <numerusform>%n steps of what served %1, oldest first.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 by %2: champion %3, ML %4 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(state before the range)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 by %2: champion %3, ML share unknown</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::SettingsEditor</name>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Revert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put back the values last loaded or saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A value is needed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A whole number is needed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::SilenceDialog</name>
    <message>
        <source>Silence alert</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Silence this alert until (it stays in the list; the silence is audited):</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::StandbyIndicator</name>
    <message>
        <source>Standby unreachable: reading from the primary</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Standby: lag unknown (NOT live)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Standby: %1 s behind (NOT live)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Standby: lag %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Read replica&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Standby: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not used: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>The figures are read from the primary %1; the standby is tried again in %n s.</source>
        <translation>
            <numerusform>The figures are read from the primary %1; the standby is tried again in %n s.</numerusform>
            <numerusform>The figures are read from the primary %1; the standby is tried again in %n s.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>More than %n s behind the primary: the dashboard and the drift page do not call their figures live.</source>
        <translation>
            <numerusform>More than %n s behind the primary: the dashboard and the drift page do not call their figures live.</numerusform>
            <numerusform>More than %n s behind the primary: the dashboard and the drift page do not call their figures live.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Figures up to %n s behind the primary are shown as live.</source>
        <translation>
            <numerusform>Figures up to %n s behind the primary are shown as live.</numerusform>
            <numerusform>Figures up to %n s behind the primary are shown as live.</numerusform>
        </translation>
    </message>
    <message>
        <source>Measured at %1 by the last read of the dashboard or the drift page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Standby: not checked yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Read replica&lt;/b&gt;&lt;br&gt;Standby: %1&lt;br&gt;Its lag is measured by the first read of the dashboard or the drift page.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::TimeSeriesChart</name>
    <message>
        <source>Changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
%2
%3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
%2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::TrainingStep</name>
    <message>
        <source>Start from the champion&apos;s weights (fine-tune)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re-initialise every weight (seeded)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For example 0.0005 or 5e-4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> epochs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>multiply by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>without improvement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Early stopping patience</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Learning rate on plateau</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a number: write it like 0.0005 or 5e-4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The learning rate is not a number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Balance the classes: a rare class weighs more in the loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Each class weighs n / (K × its rows): every class counts as much in training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Class weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mirror half of the images left-right</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off for images whose meaning changes when mirrored, such as digits or text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Up to this share of each side cut off at random, the rest resized back; 0 = no crops</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training images</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Largest random crop</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::TriggerStep</name>
    <message>
        <source>firing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not firing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A retrain is due when the recent feedback says the model disappoints users, or when an enabled extra trigger fires.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Condition</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Met</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run anyway (the triggers say it is not due)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the triggers of “%1”…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✓ met</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✗ not met</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A retrain is due.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No retrain is due.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot check the triggers: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::WebhookEditor</name>
    <message>
        <source>Webhook</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A URL is needed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alerts are sent to this webhook</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A Slack-compatible JSON POST per alert that fires or resolves. The audit log keeps only the URL&apos;s scheme and host: the rest may hold a token.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send test</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Post one test event to the saved URL and record the delivery.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sending a test…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::WhatIfPanel</name>
    <message>
        <source>Choose a deployment to preview a percentage.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>If traffic were %1 % … computing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No preview: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>If traffic were %1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No request keys logged in the last 24 h: nothing to project from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 % of request keys would be on ML</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 distinct request keys logged in the last 24 h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No key would switch between heuristic and ML.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 keys would switch between heuristic and ML (%2 %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Projected MAE %1, the same as now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Projected MAE %1 vs %2 now (%3%4, %5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>better</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>worse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Projected MAE %1 (no current MAE to compare)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Projected MAE: not enough logged ML and heuristic results with outcomes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What-if preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Projected from the last 24 h of logged requests.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ui::retrainfmt</name>
    <message>
        <source>%1 d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>lr %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>batch %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>from champion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>re-initialised</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>queued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>succeeded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>promoted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>kept as challenger</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>discarded</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n epochs</source>
        <translation>
            <numerusform>%n epoch</numerusform>
            <numerusform>%n epochs</numerusform>
        </translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::worker::FrameBuffer</name>
    <message>
        <source>The model worker sent a malformed message (length %1).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
