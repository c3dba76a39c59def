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
        <source>%1: cannot probe the model: %2</source>
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
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -).</source>
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
        <source>Change the flags of a deployment (compare-and-set on the version). Exit code 1 when someone else changed them in between.</source>
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
        <source>Changed the flags of &quot;%1&quot;: version %2 -&gt; %3.</source>
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
        <source>Usage: mldeckctl flags &lt;status|set|init|bucket&gt; [options]   (mldeckctl flags &lt;sub&gt; --help)

  status   show the flags of a deployment
  set      change them (compare-and-set on the version)
  init     create them if they do not exist
  bucket   show the bucket of request keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown flags command &quot;%1&quot;</source>
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
    <name>mldeck::ui::AlertsDriftPage</name>
    <message>
        <source>Know when live data stops looking like the training data.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Feature drift and alerts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This page will compare the live window with the reference window feature by feature (statistical test, p-value, effect size and PSI) and list the alerts raised by the guard, so that they can be acknowledged. It is not built yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not built yet</source>
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
    <name>mldeck::ui::ModelsPage</name>
    <message>
        <source>Every model version, verified and comparable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model registry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This page will list the registered TorchScript models with their SHA-256, feature schema and offline metrics, compare two versions side by side and promote the better one. It is not built yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not built yet</source>
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
        <source>Move traffic to the model, or take it back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rollout flags and guardrails</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This page will show the flags of each deployment (ML on or off, traffic percentage, fallback on error) and let operators move the rollout step by step (10 → 25 → 50 → 100 %), watch the guardrails and press Rollback. It is not built yet: use mldeckctl flags in the meantime.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not built yet</source>
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
</context>
</TS>
