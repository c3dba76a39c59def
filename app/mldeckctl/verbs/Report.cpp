#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/services/KpiReport.h"
#include "core/store/pg/PgConnection.h"
#include "ui/reports/ReportExporter.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

// ISO 8601 date-time (UTC unless it says otherwise) or a bare date (its midnight, UTC).
std::optional<QDateTime> parseEnd(const QString &text)
{
    QDateTime at = Context::parseUtc(text);
    if (!at.isValid()) {
        const QDate day = QDate::fromString(text, Qt::ISODate);
        if (day.isValid())
            at = QDateTime(day, QTime(0, 0), Qt::UTC);
    }
    if (!at.isValid())
        return std::nullopt;
    return at.toUTC();
}

} // namespace

int runReport(Context &ctx)
{
    Invocation inv(ctx, Invocation::Deployment | Invocation::Pg | Invocation::Json, QStringLiteral("mldeckctl-report"));
    QCommandLineParser &parser = inv.parser();
    parser.addOptions({
        {QStringLiteral("period"), Text::tr("Length of the report: day or week (default: day)."),
         QStringLiteral("day|week"), QStringLiteral("day")},
        {QStringLiteral("format"), Text::tr("pdf or csv (default: from the extension of --out)."),
         QStringLiteral("pdf|csv")},
        {QStringLiteral("out"), Text::tr("File to write (replaced only once the report is complete)."),
         QStringLiteral("file")},
        {QStringLiteral("end"),
         Text::tr("End of the period, ISO 8601 (2024-05-02T00:00:00Z; a bare date is its midnight UTC). Default: now."),
         QStringLiteral("time")},
    });
    if (auto code = inv.start(Text::tr("Writes the KPI report of a deployment over a day or a week: figures per path "
                                       "against the targets, charts, alerts and changes of the period.")))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return Context::fail(Text::tr("Unexpected argument \"%1\".").arg(parser.positionalArguments().constFirst()));
    const QString &deployment = inv.deployment();
    const QString out = parser.value(QStringLiteral("out"));
    if (out.isEmpty())
        return Context::fail(Text::tr("--out is required."));
    QString format = parser.value(QStringLiteral("format")).toLower();
    if (format.isEmpty()) {
        format = QFileInfo(out).suffix().toLower();
        if (format != QLatin1String("pdf") && format != QLatin1String("csv"))
            return Context::fail(Text::tr("--format is required when --out does not end in .pdf or .csv."));
    }
    const QString period = parser.value(QStringLiteral("period"));
    if (const Status valid = ui::ReportExporter::validate(period, format, out); !valid)
        return Context::fail(valid.errorMessage());
    QDateTime end = QDateTime::currentDateTimeUtc();
    if (parser.isSet(QStringLiteral("end"))) {
        const auto parsed = parseEnd(parser.value(QStringLiteral("end")));
        if (!parsed)
            return Context::fail(
                Text::tr("--end must be an ISO 8601 date-time such as 2024-05-02T00:00:00Z, not \"%1\".")
                    .arg(parser.value(QStringLiteral("end"))));
        end = *parsed;
    }

    ReadSource source; // the hot standby of --pg-read when one is configured
    auto conn = inv.readPg(source);
    if (!conn)
        return Context::fail(conn.errorMessage());
    const auto data = buildKpiReport(**conn, deployment, period, end);
    if (!data)
        return Context::fail(data.errorMessage());
    if (source.fellBack() || source.stale())
        Context::warn(source.describe());
    if (const Status written = ui::ReportExporter::write(*data, format, out); !written)
        return Context::fail(written.errorMessage());

    const QString path = QFileInfo(out).absoluteFilePath();
    if (parser.isSet(QStringLiteral("json"))) {
        Context::outJson(QJsonDocument(QJsonObject{
            {QStringLiteral("path"), path},
            {QStringLiteral("format"), format},
            {QStringLiteral("deployment"), data->deployment},
            {QStringLiteral("period"), data->period},
            {QStringLiteral("from"), data->from.toString(Qt::ISODate)},
            {QStringLiteral("to"), data->to.toString(Qt::ISODate)},
            {QStringLiteral("predictions"), data->snapshot.overall.predictions},
            {QStringLiteral("alerts"), int(data->alerts.size())},
            {QStringLiteral("changes"), int(data->changes.size())},
        }));
    } else {
        Context::out(path);
    }
    return Success;
}

} // namespace mldeck::cli
