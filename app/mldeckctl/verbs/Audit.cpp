// mldeckctl audit list|export|timeline|verify: the audit log read with the Audit page's filters.
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "app/mldeckctl/verbs/AuditVerify.h"
#include "core/audit/AuditDiff.h"
#include "core/audit/AuditExport.h"
#include "core/domain/Deployment.h"
#include "core/store/pg/AuditQuery.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QTextStream>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mldeck::cli {

namespace {

const QString kApp = QStringLiteral("mldeckctl-audit");

QString iso(const QDateTime &d)
{
    return d.isValid() ? d.toUTC().toString(Qt::ISODate) : QString();
}

// The filter options every listing shares (the Audit page's filter bar).
void addFilterOptions(QCommandLineParser &parser, bool withDeployment)
{
    if (withDeployment)
        parser.addOption({QStringLiteral("deployment"), Text::tr("Only this deployment (default: every row)."),
                          QStringLiteral("name")});
    parser.addOptions(
        {{QStringLiteral("actor"), Text::tr("Only rows whose actor or database role contains this text."),
          QStringLiteral("text")},
         {QStringLiteral("kind"),
          Text::tr("Only this action or family of actions (flags, flags.rollback, guard, model.promote...); "
                   "repeat for several."),
          QStringLiteral("kind")},
         {QStringLiteral("from"), Text::tr("Rows written at or after this time, ISO 8601 (UTC when no offset)."),
          QStringLiteral("time")},
         {QStringLiteral("to"), Text::tr("Rows written before this time, ISO 8601."), QStringLiteral("time")},
         {QStringLiteral("search"),
          Text::tr("Only rows containing this text (action, actor, reason, deployment, before or after)."),
          QStringLiteral("text")}});
}

Result<AuditFilter> filterOf(const QCommandLineParser &parser)
{
    if (!parser.positionalArguments().isEmpty())
        return Error{Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst())};
    AuditFilter f;
    f.deployment = parser.value(QStringLiteral("deployment"));
    if (!f.deployment.isEmpty() && !isValidDeploymentName(f.deployment))
        return Error{Text::tr("\"%1\" is not a valid deployment name.").arg(f.deployment)};
    f.actor = parser.value(QStringLiteral("actor"));
    f.kinds = parser.values(QStringLiteral("kind"));
    f.text = parser.value(QStringLiteral("search"));
    const auto from = Context::timeOption(parser, QStringLiteral("from"));
    if (!from)
        return from.error();
    const auto to = Context::timeOption(parser, QStringLiteral("to"));
    if (!to)
        return to.error();
    f.from = *from;
    f.to = *to;
    if (const QString why = f.validate(); !why.isEmpty())
        return Error{why};
    return f;
}

QString percentText(const ServedStep &s)
{
    return s.mlPercent ? QStringLiteral("%1 %").arg(*s.mlPercent) : Text::tr("unknown");
}

// audit list [filters] [--limit N] [--json]: newest first.
int runList(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &parser = inv.parser();
    addFilterOptions(parser, true);
    parser.addOption({QStringLiteral("limit"), Text::tr("At most this many rows, 1 to 1000 (default 100)."),
                      QStringLiteral("n"), QStringLiteral("100")});
    if (auto code = inv.start(Text::tr("Lists the audit log, newest first, with what each change did.")))
        return *code;
    const auto filter = filterOf(parser);
    if (!filter)
        return Context::fail(filter.errorMessage());
    bool ok = false;
    const int limit = parser.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit < 1 || limit > 1000)
        return Context::fail(Text::tr("--limit must be a whole number from 1 to 1000."));

    AuditQuery query(inv.pg());
    const auto top = query.newestId();
    if (!top)
        return Context::fail(top.errorMessage());
    const auto total = query.count(*filter, *top);
    if (!total)
        return Context::fail(total.errorMessage());
    const auto rows = query.page(*filter, *top, 0, limit);
    if (!rows)
        return Context::fail(rows.errorMessage());

    if (inv.json()) {
        QJsonArray list;
        for (const AuditEntry &e : *rows) {
            QJsonObject o = AuditExport::json(e);
            o.insert(QStringLiteral("changes"), QJsonArray::fromStringList(AuditDiff::text(e)));
            list.append(o);
        }
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("matching"), *total},
                                                   {QStringLiteral("shown"), rows->size()},
                                                   {QStringLiteral("rows"), list}}));
        return Success;
    }
    if (rows->isEmpty()) {
        Context::out(Text::tr("No changes match."));
        return Success;
    }
    for (const AuditEntry &e : *rows) {
        Context::out(QStringLiteral("#%1  %2  %3  %4  %5%6")
                         .arg(e.id)
                         .arg(iso(e.at), e.actor(), e.action,
                              e.deployment.isEmpty() ? QStringLiteral("-") : e.deployment,
                              e.reason.isEmpty() ? QString() : QStringLiteral("  \u201c%1\u201d").arg(e.reason)));
        for (const QString &line : AuditDiff::text(e))
            Context::out(QStringLiteral("      ") + line);
    }
    Context::out(Text::tr("%1 of %2 matching rows shown.").arg(rows->size()).arg(*total));
    return Success;
}

// audit export --format csv|json [--output FILE] [filters]: every matching row, streamed.
int runExportRows(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg, kApp);
    QCommandLineParser &parser = inv.parser();
    addFilterOptions(parser, true);
    parser.addOptions({{QStringLiteral("format"), Text::tr("csv or json."), QStringLiteral("format")},
                       {QStringLiteral("output"), Text::tr("Write to this file instead of standard output."),
                        QStringLiteral("file")}});
    if (auto code = inv.start(Text::tr("Writes every matching audit row, newest first, as CSV or JSON.")))
        return *code;
    const auto format = AuditExport::parseFormat(parser.value(QStringLiteral("format")));
    if (!format)
        return Context::fail(
            Text::tr("--format must be csv or json (got \"%1\").").arg(parser.value(QStringLiteral("format"))));
    const auto filter = filterOf(parser);
    if (!filter)
        return Context::fail(filter.errorMessage());
    AuditQuery query(inv.pg());
    const QString path = parser.value(QStringLiteral("output"));
    if (path.isEmpty() || path == QLatin1String("-")) {
        // Standard output streams as the rows come (no temporary file to rename).
        AuditExport writer(*format);
        // A closed pipe or a full disk stops the export: a truncated file must not look complete.
        bool written = true;
        const auto put = [&written](const QByteArray &bytes) {
            written =
                written && std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout) == size_t(bytes.size());
            return written;
        };
        put(writer.header());
        const Status read = query.forEach(*filter, [&](const QList<AuditEntry> &batch) {
            for (const AuditEntry &e : batch)
                if (!put(writer.row(e)))
                    return false;
            return true;
        });
        if (written && !read)
            return Context::fail(read.errorMessage());
        if (!put(writer.footer()) || std::fflush(stdout) != 0)
            return Context::fail(Text::tr("Could not write the export to standard output: %1.")
                                     .arg(QString::fromLocal8Bit(std::strerror(errno))));
        return Success;
    }
    const auto rows =
        writeAuditExport([&](const AuditBatchSink &sink) { return query.forEach(*filter, sink); }, *format, path);
    if (!rows)
        return Context::fail(rows.errorMessage());
    Context::out(Text::tr("Wrote %n audit row(s) to %1.", nullptr, int(qMin<qint64>(*rows, INT_MAX))).arg(path));
    return Success;
}

// audit timeline --deployment D --from T [--to T] [--json]: what served when.
int runTimeline(Context &ctx)
{
    Invocation inv(ctx, Invocation::Pg | Invocation::Json, kApp);
    QCommandLineParser &parser = inv.parser();
    parser.addOptions(
        {{QStringLiteral("deployment"), Text::tr("The deployment (required)."), QStringLiteral("name")},
         {QStringLiteral("from"), Text::tr("Start of the range, ISO 8601 (required)."), QStringLiteral("time")},
         {QStringLiteral("to"), Text::tr("End of the range, ISO 8601 (default: now)."), QStringLiteral("time")}});
    if (auto code = inv.start(Text::tr("Shows which champion version and which ML traffic share served a deployment "
                                       "over a range, with who changed each and why.")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));
    const QString deployment = parser.value(QStringLiteral("deployment"));
    if (deployment.isEmpty())
        return Context::fail(Text::tr("--deployment is required."));
    if (!isValidDeploymentName(deployment))
        return Context::fail(Text::tr("\"%1\" is not a valid deployment name.").arg(deployment));
    if (!parser.isSet(QStringLiteral("from")))
        return Context::fail(Text::tr("--from is required."));
    const auto from = Context::timeOption(parser, QStringLiteral("from"));
    if (!from)
        return Context::fail(from.errorMessage());
    auto to = Context::timeOption(parser, QStringLiteral("to"));
    if (!to)
        return Context::fail(to.errorMessage());
    const QDateTime end = to->isValid() ? *to : QDateTime::currentDateTimeUtc();
    if (end <= *from)
        return Context::fail(Text::tr("--to must be after --from."));

    const auto timeline = AuditQuery(inv.pg()).timeline(deployment, *from, end);
    if (!timeline)
        return Context::fail(timeline.errorMessage());

    if (inv.json()) {
        QJsonArray steps;
        for (const ServedStep &s : timeline->steps)
            steps.append(
                QJsonObject{{QStringLiteral("from"), iso(s.from)},
                            {QStringLiteral("to"), iso(s.to)},
                            {QStringLiteral("champion"), s.champion.isEmpty() ? QJsonValue() : s.champion},
                            {QStringLiteral("ml_enabled"), s.mlEnabled ? QJsonValue(*s.mlEnabled) : QJsonValue()},
                            {QStringLiteral("ml_percent"), s.mlPercent ? QJsonValue(*s.mlPercent) : QJsonValue()},
                            {QStringLiteral("action"), s.action.isEmpty() ? QJsonValue() : s.action},
                            {QStringLiteral("actor"), s.actor.isEmpty() ? QJsonValue() : s.actor},
                            {QStringLiteral("reason"), s.reason.isEmpty() ? QJsonValue() : s.reason},
                            {QStringLiteral("audit_id"), s.auditId}});
        Context::outJson(QJsonDocument(QJsonObject{{QStringLiteral("deployment"), deployment},
                                                   {QStringLiteral("from"), iso(*from)},
                                                   {QStringLiteral("to"), iso(end)},
                                                   {QStringLiteral("steps"), steps}}));
        return Success;
    }
    if (timeline->steps.isEmpty()) {
        Context::out(Text::tr("Nothing recorded about what served %1 up to %2.").arg(deployment, iso(end)));
        return Success;
    }
    for (const ServedStep &s : timeline->steps) {
        const QString champion = s.champion.isEmpty() ? Text::tr("(unknown)") : s.champion;
        const QString by = s.auditId == 0 ? Text::tr("(carried in)") : QStringLiteral("#%1").arg(s.auditId);
        Context::out(QStringLiteral("%1 .. %2  %3  ML %4  %5 %6 %7%8")
                         .arg(iso(s.from), iso(s.to), champion, percentText(s), by, s.action, s.actor,
                              s.reason.isEmpty() ? QString() : QStringLiteral("  \u201c%1\u201d").arg(s.reason)));
    }
    return Success;
}

int auditUsage(int code)
{
    return Context::printUsage(
        Text::tr("Usage: mldeckctl audit <command> [options]   (mldeckctl audit <command> --help)\n\n"
                 "  list [filters] [--limit N] [--json]            the audit log, newest first, with each change\n"
                 "  export --format csv|json [--output FILE] [filters]  every matching row (streamed)\n"
                 "  timeline --deployment D --from T [--to T] [--json]  what served when: champion and ML %\n"
                 "  verify [--deployment D] [--json]               recompute the hash chain; name the first break\n\n"
                 "Filters: --deployment D --actor TEXT --kind K (repeatable) --from T --to T --search TEXT"),
        code);
}

} // namespace

int runAudit(Context &ctx)
{
    return dispatch(
        ctx, {{"list", runList}, {"export", runExportRows}, {"timeline", runTimeline}, {"verify", runAuditVerify}},
        auditUsage);
}

} // namespace mldeck::cli
