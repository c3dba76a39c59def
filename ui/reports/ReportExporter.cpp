#include "ui/reports/ReportExporter.h"

#include "ui/reports/KpiReportPdf.h"

#include <QDir>
#include <QFileInfo>

namespace mldeck::ui {

ReportExporter::ReportExporter(QObject *parent) : QObject(parent), m_jobs(QStringLiteral("mldeck-report"), this)
{
    m_data.setAutoRefreshMs(0);
    connect(&m_data, &KpiService::reportBuilt, this, &ReportExporter::writeReport);
}

ReportExporter::~ReportExporter() = default;

Status ReportExporter::validate(const QString &period, const QString &format, const QString &path)
{
    if (!kpiReportPeriodSeconds(period))
        return Error{tr("Unknown report period \"%1\": use day or week.").arg(period)};
    if (format != QLatin1String("pdf") && format != QLatin1String("csv"))
        return Error{tr("Unknown report format \"%1\": use pdf or csv.").arg(format)};
    if (path.isEmpty())
        return Error{tr("No output file given.")};
    const QFileInfo info(path);
    if (info.isDir())
        return Error{tr("%1 is a folder, not a file.").arg(path)};
    const QFileInfo dir(info.absolutePath());
    if (!dir.isDir())
        return Error{tr("The folder %1 does not exist.").arg(QDir::toNativeSeparators(info.absolutePath()))};
    // The file is written beside the target, then renamed: the folder must be writable.
    if (!dir.isWritable())
        return Error{tr("The folder %1 is not writable.").arg(QDir::toNativeSeparators(info.absolutePath()))};
    if (info.exists() && !info.isWritable())
        return Error{tr("%1 exists and is not writable.").arg(path)};
    return {};
}

Status ReportExporter::write(const KpiReportData &data, const QString &format, const QString &path)
{
    if (format == QLatin1String("csv"))
        return writeKpiReportCsv(data, path);
    if (format == QLatin1String("pdf"))
        return writeKpiReportPdf(data, path);
    return Error{tr("Unknown report format \"%1\": use pdf or csv.").arg(format)};
}

void ReportExporter::finish(bool ok, const QString &message)
{
    m_running = false;
    Q_EMIT finished(ok, message);
}

void ReportExporter::start(const PgEndpoint &pg, const QString &deployment, const QString &period,
                           const QString &format, const QString &path, const QDateTime &end)
{
    QString problem;
    if (m_running)
        problem = tr("A report is being written already.");
    else if (const Status valid = validate(period, format, path); !valid)
        problem = valid.errorMessage();
    if (!problem.isEmpty()) {
        // Asynchronous like a real result, so callers handle one path.
        QMetaObject::invokeMethod(
            this, [this, problem] { Q_EMIT finished(false, problem); }, Qt::QueuedConnection);
        return;
    }
    m_running = true;
    m_format = format;
    m_path = path;
    m_data.setEndpoint(pg);
    m_data.buildReport(deployment, period, end);
}

void ReportExporter::writeReport(const Result<KpiReportData> &data)
{
    if (!data) {
        finish(false, data.errorMessage());
        return;
    }
    m_jobs.post(
        this,
        [data = *data, format = m_format, path = m_path]() -> Result<QString> {
            if (const Status written = write(data, format, path); !written)
                return written.error();
            return path;
        },
        [this, source = m_data.readSource()](Result<QString> r) {
            // Like `mldeckctl report`: figures from a standby beyond its max lag, or from the primary after a
            // fallback, say so where the user looks for the result.
            if (r && (source.stale() || source.fellBack()))
                finish(true, tr("Report written to %1 (%2).").arg(QDir::toNativeSeparators(*r), source.describe()));
            else if (r)
                finish(true, tr("Report written to %1.").arg(QDir::toNativeSeparators(*r)));
            else
                finish(false, r.errorMessage());
        });
}

} // namespace mldeck::ui
