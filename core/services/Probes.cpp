#include "core/services/Probes.h"

#include "core/Text.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/RedisConnection.h"
#include "core/store/redis/Sentinel.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcProbes, "mldeck.services.health")

namespace mldeck {

namespace {

QString formatMs(double ms)
{
    return QString::number(ms, 'f', ms < 10 ? 1 : 0) + ServiceText::tr(" ms");
}

ProbeResult down(const QString &error)
{
    ProbeResult r;
    r.detail = error;
    return r;
}

} // namespace

QString describeSchema(int current, int latest, bool foreign, const QStringList &pending)
{
    if (foreign)
        return ServiceText::tr("foreign mldeck schema (not created by MLDeck): MLDeck will not touch it");
    if (current <= 0)
        return ServiceText::tr("schema not installed: run mldeckctl migrate");
    if (current > latest)
        return ServiceText::tr("schema v%1 is newer than this MLDeck (v%2): upgrade MLDeck").arg(current).arg(latest);
    if (current < latest) {
        const int n = pending.isEmpty() ? latest - current : int(pending.size());
        return ServiceText::tr("schema v%1, %2 migration(s) pending: run mldeckctl migrate").arg(current).arg(n);
    }
    return ServiceText::tr("schema v%1").arg(current);
}

ProbeResult probeRedis(const RedisEndpoint &endpoint)
{
    auto conn = RedisConnection::open(endpoint);
    if (!conn.ok())
        return down(conn.errorMessage());
    const Result<double> ms = conn.value()->pingMs();
    if (!ms.ok())
        return down(ms.errorMessage());
    ProbeResult r;
    r.up = true;
    r.latencyMs = ms.value();
    r.detail = formatMs(r.latencyMs);
    if (endpoint.isSentinel()) { // which node the sentinels named, and whether writes can be confirmed
        RedisConnection &c = *conn.value();
        r.detail += ServiceText::tr(", master %1").arg(HostPort{c.endpoint().host, c.endpoint().port}.display());
        if (const auto replication = sentinel::replication(c)) {
            const auto online =
                std::count_if(replication->replicas.cbegin(), replication->replicas.cend(),
                              [](const sentinel::Replica &x) { return x.state == QLatin1String("online"); });
            r.detail += ServiceText::tr(", %n replica(s) online", nullptr, int(online));
        }
    }
    return r;
}

ProbeResult probePg(const PgEndpoint &endpoint, const QString &applicationName)
{
    auto opened = PgConnection::open(endpoint, applicationName);
    if (!opened.ok())
        return down(opened.errorMessage());
    PgConnection &conn = *opened.value();

    QElapsedTimer timer;
    timer.start();
    if (const Status st = conn.ping(); !st.ok())
        return down(st.errorMessage());

    ProbeResult r;
    r.up = true;
    r.latencyMs = double(timer.nsecsElapsed()) / 1e6;
    r.serverVersion = conn.serverVersion();
    r.user = conn.currentUser();
    const PgTlsState tls = conn.tls();
    r.tlsEncrypted = tls.encrypted;
    r.tlsProtocol = tls.protocol;
    r.tlsVerified = tls.hostVerified ? QStringLiteral("full")
                    : tls.caVerified ? QStringLiteral("ca")
                                     : QStringLiteral("none");
    r.tls = tls.describe();
    r.schemaLatest = Migrator::latestVersion();

    const Result<SchemaStatus> schema = Migrator::status(conn);
    QString schemaText;
    if (schema.ok()) {
        r.schemaCurrent = schema->current;
        r.schemaLatest = schema->latest;
        r.foreignSchema = schema->foreignSchema;
        schemaText = describeSchema(schema->current, schema->latest, schema->foreignSchema, schema->pending);
    } else {
        // The server answers, so it is up; say why the schema is unknown instead of hiding it.
        qCWarning(lcProbes) << "schema status failed:" << schema.errorMessage();
        schemaText = ServiceText::tr("schema unknown (%1)").arg(schema.errorMessage());
    }
    r.detail = formatMs(r.latencyMs) + QStringLiteral(", ") + r.tls + QStringLiteral(", ") + schemaText;
    return r;
}

} // namespace mldeck
