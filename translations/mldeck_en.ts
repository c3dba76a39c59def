<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
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
    <message>
        <source>%1 must be 0 or 1, not &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not &quot;%1&quot;.</source>
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
        <source>a feature has no name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; appears twice</source>
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
        <source>Cannot read %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is empty: the first line must name the columns.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line 1: unterminated quote in the header.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line 1: column %2 has no name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line 1: the column &quot;%2&quot; appears twice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no column &quot;%2&quot; (columns: %3).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line %2, column %3 (%4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line %2: unterminated quote.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line %2: %3 fields where the header has %4.</source>
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
        <source>Give 1 to 4 models (got %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give either a CSV file or a time window, not both and not neither.</source>
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
        <source>snapshot baseline</source>
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
        <source>A logged prediction has unreadable feature values: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown deployment &quot;%1&quot;: it has no row in mldeck.deployments (the serving backend or `mldeckctl simulate` creates it).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no model version &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AlertStore</name>
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
</context>
<context>
    <name>mldeck::AlertsService</name>
    <message>
        <source>No PostgreSQL connection is configured.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 acknowledged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert %1 silenced until %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AuditLog</name>
    <message>
        <source>writing the audit log</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AuditLog::Pending</name>
    <message>
        <source>The audit row was already committed or abandoned.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>committing the audit row</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::AuditSpool</name>
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
</context>
<context>
    <name>mldeck::ConnectionProfile</name>
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
</context>
<context>
    <name>mldeck::DeploymentStore</name>
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
</context>
<context>
    <name>mldeck::DriftData</name>
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
        <source>saving the drift settings of &quot;%1&quot;</source>
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
</context>
<context>
    <name>mldeck::DriftGuardJob</name>
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
</context>
<context>
    <name>mldeck::DriftService</name>
    <message>
        <source>No PostgreSQL connection is configured.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::EvaluationData</name>
    <message>
        <source>The database has no deployment yet: nothing has been logged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Several deployments exist (%1): name one with --deployment.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>listing deployments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a deployment name.</source>
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
</context>
<context>
    <name>mldeck::FlagService</name>
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
</context>
<context>
    <name>mldeck::FlagStore</name>
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
        <source>A flag change needs an actor (who makes it) for updated_by.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::GuardRules</name>
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
</context>
<context>
    <name>mldeck::GuardStateMachine</name>
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
</context>
<context>
    <name>mldeck::Health</name>
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
</context>
<context>
    <name>mldeck::LogWriter</name>
    <message>
        <source>%1 rows could not be written to PostgreSQL (%2 dropped while it was unreachable): %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::Migrator</name>
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
</context>
<context>
    <name>mldeck::ModelRegistry</name>
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
        <source>Model %1 failed: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model %1 failed with an unknown error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file %1 does not match its expected SHA-256 (%2…, expected %3…): it was not loaded.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the model does not accept the input its metadata describes (%2 values per row): %3</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ModelRunner::Impl</name>
    <message>
        <source>Model %1: %2</source>
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
        <source>Row %1 has %2 numeric and %3 categorical values; model %4 expects %5 numeric (%6) and %7 categorical (%8).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Row %1: %2 is not a finite number.</source>
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
        <source>the model gave a non-finite prediction (%1) for row %2.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::ModelStore</name>
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
</context>
<context>
    <name>mldeck::ModelsService</name>
    <message>
        <source>No PostgreSQL connection is configured.</source>
        <translation type="unfinished"></translation>
    </message>
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
</context>
<context>
    <name>mldeck::PgConnection</name>
    <message>
        <source>cannot connect to PostgreSQL at %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>checking the connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running a statement</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running a query</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::PgEndpoint</name>
    <message>
        <source>Not a PostgreSQL URL: &quot;%1&quot; (expected postgresql://user[:password]@host[:port]/database).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL port out of range in &quot;%1&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::PlanService</name>
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
        <source>no data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not advanced: gates failing: %1. Wait, or give an override reason.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>staged plan: step %1 (%2 %) -&gt; step %3 (%4 %), all gates passed</source>
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
</context>
<context>
    <name>mldeck::PredictionLog</name>
    <message>
        <source>logging %n prediction(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>logging %n outcome(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>logging %n feedback row(s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>logging one prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: nothing was logged (%2)</source>
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
</context>
<context>
    <name>mldeck::Probes</name>
    <message>
        <source>internal error while checking: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::RedisConnection</name>
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
        <source>Redis at %1 cannot select database %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redis at %1 requires a password (give one in the connection settings or the URL).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::RedisConnection::Impl</name>
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
</context>
<context>
    <name>mldeck::RedisEndpoint</name>
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
</context>
<context>
    <name>mldeck::RolloutGuardJob</name>
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
</context>
<context>
    <name>mldeck::RolloutPlanStore</name>
    <message>
        <source>The current step %1 is not a step of this plan.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no stored plan.</source>
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
    <name>mldeck::ServingPolicy</name>
    <message>
        <source>the model returned no prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>model server error (simulated fault)</source>
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
    <name>mldeck::Simulator</name>
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
        <source>Writes synthetic ride-delay data (features, delay_min, ts) as CSV.</source>
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
        <source>TorchScript model for the ML path (default: the demo MLP).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play a scenario: drift, errors, latency or degraded, as NAME[@START][+DURATION]; repeatable.</source>
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
        <source>Acts as the production serving backend: follows the flags live, routes each request to the model or the heuristic, and logs predictions, outcomes and feedback to PostgreSQL. Ctrl-C flushes what is buffered.</source>
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
        <source>Check the connections to Redis and PostgreSQL once.
Exit code 0 when both are up, 2 when either is unreachable.</source>
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
        <source>%1: accuracy %2, precision %3, recall %4, F1 %5, %6 rows/s, p50 %7 ms, p99 %8 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: MAE %2, RMSE %3, R² %4, MAPE %5, %6 rows/s, p50 %7 ms, p99 %8 ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>n/a</source>
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
        <source>LibTorch threads (default: LibTorch&apos;s choice).</source>
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
        <source>Evaluates one model on a CSV file.</source>
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
        <source>--data FILE is required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give either --data FILE or --window PERIOD (not both).</source>
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
        <source>Reference: auto, model, snapshot:NAME, period:FROM/TO, first:DURATION or previous:DURATION (default: the deployment&apos;s setting, else auto).</source>
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
        <source>Checks the live window of a deployment for feature drift. Exit code 1 when the dataset drifts.</source>
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
        <source>Use &quot;mldeckctl drift check&quot; or &quot;mldeckctl drift compare&quot; (see --help).</source>
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
        <source>guard stopped</source>
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
        <source>Usage: mldeckctl models &lt;register|list|show|promote|restore-previous|archive|publish&gt; [options]   (mldeckctl models &lt;sub&gt; --help)

  register FILE       validate a TorchScript file, copy it into the model store, register it
  list                the versions of a deployment
  show VERSION        one version (or champion / challenger)
  promote VERSION     make it the champion (or --alias challenger); audited, published in Redis
  restore-previous    make the previous champion the champion again
  archive VERSION     archive a version (never the champion)
  publish             publish the champion in Redis again (after Redis was down)</source>
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
        <source>no data</source>
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
        <source>The rules were saved but the audit row could not be written: %1</source>
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
</context>
<context>
    <name>mldeck::drift</name>
    <message>
        <source>&quot;%1&quot; is not a duration: use a whole number with s, m, h or d, e.g. 30s or 10m.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The duration &quot;%1&quot; must be above zero.</source>
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
        <source>Cannot read %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is empty: a header line with the column names is expected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, line %2: %3 values where the header has %4 columns (quoted commas are not supported).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 has no columns to compare.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::drift::DriftConfig</name>
    <message>
        <source>drift setting &quot;%1&quot; must be a positive duration.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;k&quot; must be a whole number from 1 to 1000.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drift setting &quot;dataset_share&quot; must be above 0 and at most 1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown drift test &quot;%1&quot; for feature &quot;%2&quot;.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::drift::ReferenceSpec</name>
    <message>
        <source>&quot;%1&quot; is not a period: use period:FROM/TO with ISO 8601 times, FROM before TO.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown reference &quot;%1&quot;: use auto, model, snapshot:NAME, period:FROM/TO, first:DURATION or previous:DURATION.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>mldeck::models</name>
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
        <source>Unknown deployment &quot;%1&quot;: it has no row in mldeck.deployments (the serving backend or `mldeckctl simulate` creates it).</source>
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
</context>
<context>
    <name>mldeck::pg</name>
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
</context>
<context>
    <name>mldeck::pgtext</name>
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
</context>
<context>
    <name>mldeck::plan</name>
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
</context>
<context>
    <name>mldeck::ui</name>
    <message>
        <source>Model comparison</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 rows from %2, bootstrap %3 resamples, seed %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Metrics</source>
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
        <source>Differences</source>
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
        <source>Segments (%1)</source>
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
        <source>MLDeck model comparison</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot write %1.</source>
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
        <source>Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Feature drift&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment:</source>
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
    <name>mldeck::ui::AuditPage</name>
    <message>
        <source>Who changed what, and when.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This page will show the append-only audit log of every change — flags, promotions, rollbacks, acknowledgements — with who made it, when, and the values before and after. It is not built yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not built yet</source>
        <translation type="unfinished"></translation>
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
        <source>Choose at least two models.</source>
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
</context>
<context>
    <name>mldeck::ui::ConfirmedStatePanel</name>
    <message>
        <source>just now</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n s ago</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h ago</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n days ago</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
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
    <name>mldeck::ui::DashboardPage</name>
    <message>
        <source>How the model is doing, at a glance.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key figures of the model in production</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This page will show MAE, RMSE, R², latency p50/p95/p99, error rate and fallback share over time, the ML path against the heuristic, business KPIs and the targets of the deployment guide, with PDF and CSV export. It is not built yet, so no figures are shown here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not built yet</source>
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
</context>
<context>
    <name>mldeck::ui::InfoBar</name>
    <message>
        <source>Dismiss</source>
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
</context>
<context>
    <name>mldeck::ui::ModelVersionTableModel</name>
    <message>
        <source>SHA-256 %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>classification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>regression</source>
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
        <source>Every gate passes: move to %1 %.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disabled: at least one gate fails. Use Override with a reason.</source>
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
        <source>no data</source>
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
</context>
<context>
    <name>mldeck::ui::RegistryView</name>
    <message>
        <source>Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
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
        <source>&lt;p style=&apos;color:#5f6b7a&apos;&gt;Select a version to see its metadata.&lt;/p&gt;</source>
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
</context>
<context>
    <name>mldeck::ui::RetrainPage</name>
    <message>
        <source>Train a new candidate on recent data.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retraining runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This page will hold a wizard that launches a retrain on a chosen time window, follows its progress and compares the candidate with the model in production before anyone promotes it. It is not built yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not built yet</source>
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
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⟳ Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the list of deployments and their flags again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment:</source>
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
</context>
<context>
    <name>mldeck::ui::ScreenshotRunner</name>
    <message>
        <source>mldeck: cannot write the screenshot to %1</source>
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
    <name>mldeck::ui::WhatIfPanel</name>
    <message>
        <source>What-if preview (last 24 h of logged requests)</source>
        <translation type="unfinished"></translation>
    </message>
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
</context>
<context>
    <name>mldeckctl</name>
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
        <source>No PostgreSQL given: pass --pg postgresql://user@host:port/db or set MLDECK_PG_URL.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create or upgrade the mldeck schema in PostgreSQL.</source>
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
        <source>unknown command &quot;%1 %2&quot;</source>
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
        <source>Deployment name (default: %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
