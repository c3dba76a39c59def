// mldeckctl migrate: create or upgrade the mldeck schema; --status only reports.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

QJsonObject statusJson(const SchemaStatus &st)
{
    return QJsonObject{{QStringLiteral("current"), st.current},
                       {QStringLiteral("latest"), st.latest},
                       {QStringLiteral("foreign_schema"), st.foreignSchema},
                       {QStringLiteral("pending"), QJsonArray::fromStringList(st.pending)},
                       {QStringLiteral("modified"), QJsonArray::fromStringList(st.modified)}};
}

int reportStatus(PgConnection &conn, const PgEndpoint &endpoint, bool json)
{
    const auto st = Migrator::status(conn);
    if (!st)
        return Context::fail(st.errorMessage());
    if (st->foreignSchema)
        return Context::fail(
            Text::tr("database \"%1\" has a schema \"mldeck\" that MLDeck did not create").arg(endpoint.database));
    if (st->current > st->latest)
        return Context::fail(Text::tr("database schema is version %1, this mldeckctl knows up to %2: upgrade MLDeck")
                                 .arg(st->current)
                                 .arg(st->latest));
    if (!st->modified.isEmpty())
        return Context::fail(Text::tr("applied migration step(s) differ from this mldeckctl: %1")
                                 .arg(st->modified.join(QStringLiteral(", "))));
    if (json) {
        Context::outJson(QJsonDocument(statusJson(*st)));
    } else {
        Context::out(Text::tr("database: %1").arg(endpoint.display()));
        Context::out(Text::tr("schema version: %1 (this mldeckctl knows up to %2)").arg(st->current).arg(st->latest));
        Context::out(st->pending.isEmpty() ? Text::tr("pending: none")
                                           : Text::tr("pending: %1").arg(st->pending.join(QStringLiteral(", "))));
    }
    return st->pending.isEmpty() ? Success : CheckFailed;
}

} // namespace

int runMigrate(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl migrate"));
    QCommandLineParser &parser = inv.parser();
    parser.addOption({QStringLiteral("status"), Text::tr("Only report the current, latest and pending schema versions "
                                                         "(exit 1 when steps are pending).")});
    if (const auto stop = inv.start(Text::tr("Create or upgrade the mldeck schema in PostgreSQL.")))
        return *stop;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("unexpected argument \"%1\"").arg(parser.positionalArguments().constFirst()));

    const PgEndpoint &endpoint = inv.pgEndpoint();
    PgConnection &conn = inv.pg();

    const bool json = parser.isSet(QStringLiteral("json"));
    if (parser.isSet(QStringLiteral("status")))
        return reportStatus(conn, endpoint, json);

    const auto applied = Migrator::migrate(conn);
    if (!applied)
        return Context::fail(applied.errorMessage());
    const auto st = Migrator::status(conn);
    const int current = st ? st->current : Migrator::latestVersion();
    if (json) {
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("applied"), QJsonArray::fromStringList(*applied)},
                                                   {QStringLiteral("current"), current},
                                                   {QStringLiteral("latest"), Migrator::latestVersion()}}));
        return Success;
    }
    for (const QString &step : *applied)
        Context::out(Text::tr("applied %1").arg(step));
    Context::out(applied->isEmpty()
                     ? Text::tr("schema is up to date (version %1) on %2").arg(current).arg(endpoint.display())
                     : Text::tr("schema is now at version %1 on %2").arg(current).arg(endpoint.display()));
    return Success;
}

} // namespace mldeck::cli
