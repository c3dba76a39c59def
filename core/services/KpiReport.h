#pragma once

#include "core/domain/Alert.h"
#include "core/domain/Result.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/KpiSnapshot.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

class PgConnection;

// Everything the KPI report (PDF and CSV) shows: the figures of a day or a week, per path, the
// chart series, the alerts active during the period and the changes made in it.
struct KpiReportData
{
    QString deployment;
    QString period; // "day" or "week"
    QDateTime from; // UTC, inclusive
    QDateTime to;   // UTC, exclusive
    QDateTime generatedAt;
    KpiSnapshot snapshot;         // a classifier's (snapshot.isClassification()) shows its classification figures
    QList<Alert> alerts;          // raised before `to` and not resolved before `from`; oldest first
    QList<AuditEntry> changes;    // audit rows of the deployment in [from, to); oldest first
    bool alertsTruncated = false; // more than kMaxRows: the oldest kMaxRows are shown
    bool changesTruncated = false;

    static constexpr int kMaxRows = 1000;

    // The name of class `index` of a classifier (its index when the deployment does not name it).
    QString className(int index) const;
};

// Length of a report period in seconds; nullopt for anything but "day" and "week".
std::optional<qint64> kpiReportPeriodSeconds(const QString &period);

// Reads the figures (KpiCache over the aggregates, never the raw log), alerts and changes of
// [end - period, end). Blocking: call it on a worker or from the CLI. An unknown deployment is an error.
Result<KpiReportData> buildKpiReport(PgConnection &conn, const QString &deployment, const QString &period,
                                     const QDateTime &end);

// The report as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote or a
// line break). Sections, each with its own header line whose first column is "section", separated
// by an empty line: summary, version, targets, series, alerts, changes, report (a classifier's adds
// class, confusion and calibration after version, and its figure columns are the classification
// ones). Figures that cannot be computed are empty fields. The exact columns are in resources/contract/reports.md.
QByteArray kpiReportCsv(const KpiReportData &data);

// Writes kpiReportCsv() to `path` through a temporary file renamed into place: an error leaves
// no half file (and an existing file untouched).
Status writeKpiReportCsv(const KpiReportData &data, const QString &path);

// The header lines of the CSV sections, as written (without the line end); the contract tests use them.
QByteArray kpiReportCsvSummaryHeader();
QByteArray kpiReportCsvClassificationSummaryHeader();

// A one-line summary of an audit row's before/after, e.g. "ml_traffic_percentage: 10 -> 25" (AuditDiff's lines).
QString kpiReportChangeSummary(const AuditEntry &change);

} // namespace mldeck
