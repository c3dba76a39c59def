// mldeckctl demo-history --deployment eta --days 30 --seed S [--rate R] [--end TIME] [--json]:
// a month of back-dated demo history in an empty deployment (or nothing, when it is already there).
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/demo/HistoryBackfill.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace mldeck::cli {

int runDemoHistory(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    QCommandLineParser &p = inv.parser();
    p.addOptions({
        {QStringLiteral("days"), Text::tr("Length of the history in days (default 30)."), QStringLiteral("N"),
         QStringLiteral("30")},
        {QStringLiteral("seed"), Text::tr("Random seed (default 42): the same seed and end give the same history."),
         QStringLiteral("S"), QStringLiteral("42")},
        {QStringLiteral("rate"),
         Text::tr("Mean requests per second over the day (default 1; busier at rush hours, quiet at night)."),
         QStringLiteral("per-second"), QStringLiteral("1")},
        {QStringLiteral("end"), Text::tr("End of the history, ISO 8601 (default: now, to the minute)."),
         QStringLiteral("time")},
    });
    if (auto code = inv.start(Text::tr("Fill an empty deployment with a month of realistic demo history (COPY), "
                                       "or say that it is already there. A deployment created as a classifier "
                                       "gets ride offers (will the driver accept).")))
        return *code;
    if (!p.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(p.positionalArguments().constFirst()));

    HistoryOptions o;
    o.deployment = inv.deployment();
    o.redis = inv.redis();
    o.pg = inv.pgEndpoint();
    bool ok = false;
    o.days = p.value(QStringLiteral("days")).toInt(&ok);
    if (!ok)
        return Context::fail(
            Text::tr("--days must be a whole number, not \"%1\".").arg(p.value(QStringLiteral("days"))));
    o.seed = p.value(QStringLiteral("seed")).toULongLong(&ok);
    if (!ok)
        return Context::fail(
            Text::tr("--seed must be a non-negative whole number, not \"%1\".").arg(p.value(QStringLiteral("seed"))));
    o.rate = p.value(QStringLiteral("rate")).toDouble(&ok);
    if (!ok || !std::isfinite(o.rate))
        return Context::fail(Text::tr("--rate must be a number, not \"%1\".").arg(p.value(QStringLiteral("rate"))));
    if (p.isSet(QStringLiteral("end"))) {
        o.end = Context::parseUtc(p.value(QStringLiteral("end")));
        if (!o.end.isValid())
            return Context::fail(Text::tr("--end must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not "
                                          "\"%1\".")
                                     .arg(p.value(QStringLiteral("end"))));
    }

    const bool json = inv.json();
    auto report = HistoryBackfill(o).run([json](const QString &line) {
        if (!json)
            Context::out(line);
    });
    if (!report)
        return Context::fail(report.errorMessage());
    const HistoryReport &r = *report;
    if (json) {
        QJsonArray stages;
        for (const HistoryStage &s : r.stages)
            stages.append(QJsonObject{{QStringLiteral("stage"), s.name},
                                      {QStringLiteral("rows"), double(s.rows)},
                                      {QStringLiteral("seconds"), s.seconds},
                                      {QStringLiteral("rows_per_second"), s.rowsPerSecond()}});
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("deployment"), o.deployment},
                                                   {QStringLiteral("reused"), r.reused},
                                                   {QStringLiteral("from"), r.from.toString(Qt::ISODate)},
                                                   {QStringLiteral("to"), r.to.toString(Qt::ISODate)},
                                                   {QStringLiteral("predictions"), double(r.predictions)},
                                                   {QStringLiteral("outcomes"), double(r.outcomes)},
                                                   {QStringLiteral("feedback"), double(r.feedback)},
                                                   {QStringLiteral("audit_rows"), double(r.auditRows)},
                                                   {QStringLiteral("aggregate_rows"), double(r.aggregateRows)},
                                                   {QStringLiteral("seconds"), r.seconds},
                                                   {QStringLiteral("stages"), stages},
                                                   {QStringLiteral("marker"), r.marker}}));
        return Success;
    }
    if (r.reused) {
        Context::out(Text::tr("Deployment \"%1\" already has its demo history (%2 .. %3, seed %4): reused, nothing "
                              "added.")
                         .arg(o.deployment, r.from.toString(Qt::ISODate), r.to.toString(Qt::ISODate),
                              r.marker.value(QStringLiteral("seed")).toString()));
        return Success;
    }
    for (const HistoryStage &s : r.stages)
        Context::out(s.rows > 0 ? Text::tr("  %1: %2 s, %3 rows, %4 rows/s")
                                      .arg(s.name)
                                      .arg(s.seconds, 0, 'f', 2)
                                      .arg(s.rows)
                                      .arg(s.rowsPerSecond(), 0, 'f', 0)
                                : Text::tr("  %1: %2 s").arg(s.name).arg(s.seconds, 0, 'f', 2));
    const qint64 rows = r.predictions + r.outcomes + r.feedback;
    Context::out(Text::tr("History of \"%1\" from %2 to %3: %4 predictions, %5 outcomes, %6 feedback, %7 audit rows "
                          "in %8 s (%9 log rows/s overall).")
                     .arg(o.deployment, r.from.toString(Qt::ISODate), r.to.toString(Qt::ISODate))
                     .arg(r.predictions)
                     .arg(r.outcomes)
                     .arg(r.feedback)
                     .arg(r.auditRows)
                     .arg(r.seconds, 0, 'f', 1)
                     .arg(r.seconds > 0 ? double(rows) / r.seconds : 0, 0, 'f', 0));
    return Success;
}

} // namespace mldeck::cli
