#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"
#include "core/services/JobThread.h"
#include "core/services/KpiReport.h"
#include "core/services/KpiService.h"

#include <QDateTime>
#include <QObject>

#include <memory>

namespace mldeck::ui {

// The Report button's worker: reads the KPI report of a day or a week through its own KpiService (a
// report does not hold up the dashboard's refreshes), then writes it as PDF or CSV on its own thread.
// Each start() ends with exactly one finished(ok, message): the written path's message, or an error a
// user can read.
class ReportExporter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReportExporter)

public:
    explicit ReportExporter(QObject *parent = nullptr);
    ~ReportExporter() override;

    // The report's figures are read there (its hot standby) when one is configured.
    void setReadReplica(const ReadReplica &replica) { m_data.setReadReplica(replica); }
    // period "day"|"week", format "pdf"|"csv"; end: the end of the period (invalid: now).
    void start(const PgEndpoint &pg, const QString &deployment, const QString &period, const QString &format,
               const QString &path, const QDateTime &end = {});
    bool isRunning() const { return m_running; }

    // What start() and `mldeckctl report` check before touching anything: period, format, path.
    static Status validate(const QString &period, const QString &format, const QString &path);
    // Writes already built data in `format` ("pdf" or "csv") to path (atomically).
    static Status write(const KpiReportData &data, const QString &format, const QString &path);

Q_SIGNALS:
    void finished(bool ok, const QString &message);

private:
    void finish(bool ok, const QString &message);
    void writeReport(const Result<KpiReportData> &data);

    KpiService m_data;
    JobThread m_jobs;
    QString m_format;
    QString m_path;
    bool m_running = false;
};

} // namespace mldeck::ui
