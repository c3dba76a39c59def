#include "core/services/KpiReport.h"

#include "core/Text.h"
#include "core/audit/AuditDiff.h"
#include "core/audit/AuditExport.h"
#include "core/io/CsvWriter.h"
#include "core/services/KpiCache.h"
#include "core/stats/Metrics.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/AuditQuery.h"
#include "core/store/pg/DeploymentStore.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSet>

#include <algorithm>

namespace mldeck {

namespace {

constexpr qint64 kDay = 24 * 3600;

// Keeps the first kMaxRows of rows read with a limit of kMaxRows + 1, and says whether there were more.
template <typename T> QList<T> capped(QList<T> rows, bool *truncated)
{
    if (rows.size() > KpiReportData::kMaxRows) {
        *truncated = true;
        rows.resize(KpiReportData::kMaxRows);
    }
    return rows;
}

// The period's oldest kMaxRows changes, oldest first, and whether there were more: read through
// AuditQuery (the Audit page's reader and filter) as the last page of its newest-first order.
Result<QList<AuditEntry>> oldestChanges(PgConnection &conn, const QString &deployment, qint64 fromSecs, qint64 toSecs,
                                        bool *truncated)
{
    AuditFilter filter;
    filter.deployment = deployment;
    filter.from = QDateTime::fromSecsSinceEpoch(fromSecs, Qt::UTC);
    filter.to = QDateTime::fromSecsSinceEpoch(toSecs, Qt::UTC);
    AuditQuery query(conn);
    const auto top = query.newestId();
    if (!top)
        return top.error();
    const auto total = query.count(filter, *top);
    if (!total)
        return total.error();
    *truncated = *total > KpiReportData::kMaxRows;
    if (*total == 0)
        return QList<AuditEntry>();
    const int limit = KpiReportData::kMaxRows;
    auto rows = query.page(filter, *top, qMax<qint64>(0, *total - limit), limit, *total);
    if (rows)
        std::reverse(rows.value().begin(), rows.value().end());
    return rows;
}

// ---- CSV ----

QString number(double v)
{
    return QString::number(v, 'g', 15);
}
QString number(const std::optional<double> &v)
{
    return v ? number(*v) : QString();
}
class CsvWriter
{
public:
    void row(const QStringList &fields) { m_out += csvRecord(fields); }
    void header(const QByteArray &line)
    {
        if (!m_out.isEmpty())
            m_out += "\r\n"; // an empty line between sections
        m_out += line;
        m_out += "\r\n";
    }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
};

// The figure columns, in the order reports.md gives them.
constexpr const char *kFigureColumns =
    "predictions,mae,rmse,r2,mape,latency_p50_ms,latency_p95_ms,latency_p99_ms,failure_rate,fallback_share,"
    "failed,labelled,throughput_per_s,latency_mean_ms,anticipated_share,satisfaction,ml_uptime,improvement_percent";

QStringList figureFields(const stats::KpiFigures &f)
{
    return {QString::number(f.predictions),
            number(f.mae),
            number(f.rmse),
            number(f.r2),
            number(f.mape),
            number(f.latencyP50Ms),
            number(f.latencyP95Ms),
            number(f.latencyP99Ms),
            number(f.failureRate),
            number(f.fallbackShare),
            QString::number(f.failed),
            QString::number(f.labelled),
            number(f.throughputPerSecond),
            number(f.latencyMeanMs),
            number(f.anticipatedShare),
            number(f.satisfaction),
            number(f.mlUptime),
            number(f.improvementPercent)};
}

// A classifier's figure columns, in the order reports.md gives them: its own figures, then the
// serving figures every deployment has. precision, recall and f1 are the positive class's on a
// binary deployment and the macro averages on a multi-class one.
constexpr const char *kClassificationFigureColumns =
    "predictions,accuracy,balanced_accuracy,precision,recall,f1,roc_auc,roc_auc_bound,log_loss,brier,ece,"
    "mean_confidence,positive_rate,label_coverage,estimated_accuracy,estimated_precision,estimated_recall,"
    "estimated_f1,estimate_untrusted,latency_p50_ms,latency_p95_ms,latency_p99_ms,failure_rate,fallback_share,"
    "failed,labelled,throughput_per_s,latency_mean_ms,satisfaction,ml_uptime,accuracy_gain_points";

std::optional<double> perClass(const std::vector<std::optional<double>> &figures, int k)
{
    return k < int(figures.size()) ? figures[size_t(k)] : std::nullopt;
}

QStringList classificationFields(const stats::KpiFigures &f)
{
    // A classifier's period without a counted row has no classification figures: empty fields.
    const stats::ClassificationFigures c = f.classification.value_or(stats::ClassificationFigures{});
    const bool binary = c.classes == 2;
    return {QString::number(f.predictions),
            number(c.accuracy),
            number(c.balancedAccuracy),
            number(binary ? c.precisionPositive : c.macroPrecision),
            number(binary ? c.recallPositive : c.macroRecall),
            number(binary ? c.f1Positive : c.macroF1),
            number(c.rocAuc),
            number(c.rocAucBound),
            number(c.logLoss),
            number(c.brier),
            number(c.ece),
            number(c.meanConfidence),
            number(c.positiveRate),
            number(c.labelCoverage),
            number(c.estimatedAccuracy),
            number(c.estimatedPrecision),
            number(c.estimatedRecall),
            number(c.estimatedF1),
            c.estimatedAccuracy ? c.estimateUntrusted : QString(),
            number(f.latencyP50Ms),
            number(f.latencyP95Ms),
            number(f.latencyP99Ms),
            number(f.failureRate),
            number(f.fallbackShare),
            QString::number(f.failed),
            QString::number(f.labelled),
            number(f.throughputPerSecond),
            number(f.latencyMeanMs),
            number(f.satisfaction),
            number(f.mlUptime),
            number(f.accuracyGainPoints)};
}

const QStringList &pathOrder()
{
    static const QStringList paths{QStringLiteral("all"), QStringLiteral("ml"), QStringLiteral("heuristic"),
                                   QStringLiteral("fallback")};
    return paths;
}

} // namespace

std::optional<qint64> kpiReportPeriodSeconds(const QString &period)
{
    if (period == QLatin1String("day"))
        return kDay;
    if (period == QLatin1String("week"))
        return 7 * kDay;
    return std::nullopt;
}

Result<KpiReportData> buildKpiReport(PgConnection &conn, const QString &deployment, const QString &period,
                                     const QDateTime &end)
{
    const auto seconds = kpiReportPeriodSeconds(period);
    if (!seconds)
        return Error{ServiceText::tr("Unknown report period \"%1\": use day or week.").arg(period)};
    if (!end.isValid())
        return Error{ServiceText::tr("The end of the report period is not a valid time.")};
    if (Status active = DeploymentStore(conn).requireActive(deployment); !active)
        return active.error();

    KpiReportData data;
    data.deployment = deployment;
    data.period = period;
    // Whole seconds: the aggregates and the query work in seconds.
    const qint64 toSecs = end.toSecsSinceEpoch();
    data.to = QDateTime::fromSecsSinceEpoch(toSecs, Qt::UTC);
    data.from = QDateTime::fromSecsSinceEpoch(toSecs - *seconds, Qt::UTC);
    data.generatedAt = QDateTime::currentDateTimeUtc();

    KpiQuery query;
    query.deployment = deployment;
    query.fromSecs = toSecs - *seconds;
    query.toSecs = toSecs;
    query.live = false;
    KpiCache cache;
    auto snapshot = cache.load(conn, query, data.generatedAt.toSecsSinceEpoch());
    if (!snapshot)
        return Error{ServiceText::tr("Could not compute the KPIs of the period: %1").arg(snapshot.errorMessage())};
    data.snapshot = std::move(snapshot).value();

    const qint64 fromMs = query.fromSecs * 1000, toMs = query.toSecs * 1000;
    // Active at some time in the period: raised before its end and not resolved before its start.
    auto alerts = AlertStore(conn).activeDuring(deployment, fromMs, toMs, KpiReportData::kMaxRows + 1);
    if (!alerts)
        return Error{ServiceText::tr("Could not read the alerts of the period: %1").arg(alerts.errorMessage())};
    data.alerts = capped(std::move(alerts).value(), &data.alertsTruncated);
    auto changes = oldestChanges(conn, deployment, query.fromSecs, query.toSecs, &data.changesTruncated);
    if (!changes)
        return Error{ServiceText::tr("Could not read the changes of the period: %1").arg(changes.errorMessage())};
    data.changes = std::move(changes).value();
    return data;
}

QString KpiReportData::className(int index) const
{
    return snapshot.classSpec.classes.value(index, QString::number(index));
}

QByteArray kpiReportCsvSummaryHeader()
{
    return QByteArray(QByteArray("section,path,") + kFigureColumns);
}

QByteArray kpiReportCsvClassificationSummaryHeader()
{
    return QByteArray(QByteArray("section,path,") + kClassificationFigureColumns);
}

QString kpiReportChangeSummary(const AuditEntry &change)
{
    // The Audit page's readable lines, on one line.
    QStringList parts;
    for (const AuditDiffLine &line : AuditDiff::lines(change))
        parts.append(line.text());
    return parts.join(QStringLiteral("; "));
}

QByteArray kpiReportCsv(const KpiReportData &data)
{
    const KpiSnapshot &s = data.snapshot;
    const bool classifier = s.isClassification();
    const QByteArray columns = classifier ? kClassificationFigureColumns : kFigureColumns;
    const auto fields = classifier ? classificationFields : figureFields;
    const auto pathFigures = [&s](const QString &path) {
        return path == QLatin1String("all") ? s.overall : s.byPath.value(path);
    };
    CsvWriter csv;

    csv.header(QByteArray("section,path,") + columns);
    for (const QString &path : pathOrder())
        csv.row(QStringList{QStringLiteral("summary"), path} + fields(pathFigures(path)));

    csv.header(QByteArray("section,model_version,") + columns);
    for (auto it = s.byVersion.cbegin(); it != s.byVersion.cend(); ++it)
        csv.row(QStringList{QStringLiteral("version"), it.key()} + fields(it.value()));

    if (classifier) {
        // Per class and the confusion matrix of the period, per path (nothing for a path without a
        // counted row).
        csv.header("section,path,class_index,class,predicted_share,precision,recall,f1");
        for (const QString &path : pathOrder()) {
            const auto c = pathFigures(path).classification.value_or(stats::ClassificationFigures{});
            for (int k = 0; k < std::max(c.classes, s.classSpec.count()); ++k)
                csv.row({QStringLiteral("class"), path, QString::number(k), data.className(k),
                         number(perClass(c.predictedShare, k)), number(perClass(c.precision, k)),
                         number(perClass(c.recall, k)), number(perClass(c.f1, k))});
        }
        csv.header("section,path,actual,predicted,count");
        for (const QString &path : pathOrder()) {
            const auto c = pathFigures(path).classification;
            if (!c || c->confusion.size() != size_t(c->classes) * size_t(c->classes))
                continue;
            for (int a = 0; a < c->classes; ++a)
                for (int p = 0; p < c->classes; ++p)
                    csv.row({QStringLiteral("confusion"), path, data.className(a), data.className(p),
                             QString::number(c->confusion[size_t(a * c->classes + p)])});
        }
        // The reliability diagram: labelled rows by calibration bin of their score.
        csv.header("section,path,bin_low,bin_high,labelled,mean_score,observed");
        for (const QString &path : pathOrder()) {
            const stats::ClassificationSums sums =
                path == QLatin1String("all") ? s.classSums : s.classSumsByPath.value(path);
            for (const stats::ReliabilityBin &b : stats::reliabilityDiagram(sums))
                csv.row({QStringLiteral("calibration"), path, number(b.low), number(b.high), QString::number(b.rows),
                         number(b.meanScore), number(b.observed)});
        }
    }

    const KpiTargets &t = s.targets;
    if (classifier) {
        csv.header("section,accuracy_min,f1_min,roc_auc_min,log_loss_max,ece_max,stretch_accuracy,latency_max_ms,"
                   "error_rate_max,uptime_min");
        csv.row({QStringLiteral("targets"), number(t.accuracyMin), number(t.f1Min), number(t.rocAucMin),
                 number(t.logLossMax), number(t.eceMax), number(t.stretchAccuracy), number(t.latencyMaxMs),
                 number(t.errorRateMax), number(t.uptimeMin)});
    } else {
        csv.header("section,mae_max,r2_min,latency_max_ms,error_rate_max,uptime_min,stretch_mae,stretch_r2,"
                   "anticipation_minutes");
        csv.row({QStringLiteral("targets"), number(t.maeMax), number(t.r2Min), number(t.latencyMaxMs),
                 number(t.errorRateMax), number(t.uptimeMin), number(t.stretchMae), number(t.stretchR2),
                 QString::number(t.anticipationMinutes)});
    }

    csv.header(QByteArray("section,path,bucket_start,bucket_seconds,") + columns);
    for (const QString &path : pathOrder()) {
        for (const KpiPoint &p : s.seriesByPath.value(path))
            csv.row(QStringList{QStringLiteral("series"), path,
                                AuditExport::timeText(QDateTime::fromSecsSinceEpoch(p.startSecs, Qt::UTC)),
                                QString::number(p.seconds)} +
                    fields(p.figures));
    }

    csv.header("section,id,kind,severity,state,raised_at,resolved_at,acknowledged_at,acknowledged_by,title");
    for (const Alert &a : data.alerts)
        csv.row({QStringLiteral("alert"), QString::number(a.id), a.kind, a.severity,
                 a.resolved() ? QStringLiteral("resolved") : QStringLiteral("firing"),
                 AuditExport::timeText(a.raisedAt), AuditExport::timeText(a.resolvedAt),
                 AuditExport::timeText(a.acknowledgedAt), a.acknowledgedBy, a.title});

    csv.header("section,at,action,actor_db,actor_os,host,reason,before,after");
    for (const AuditEntry &c : data.changes)
        csv.row({QStringLiteral("change"), AuditExport::timeText(c.at), c.action, c.actorDb, c.actorOs, c.host,
                 c.reason, AuditExport::jsonText(c.before), AuditExport::jsonText(c.after)});

    QByteArray reportHeader = "section,deployment,period,from,to,generated_at,alerts_truncated,changes_truncated";
    QStringList report{QStringLiteral("report"),
                       data.deployment,
                       data.period,
                       AuditExport::timeText(data.from),
                       AuditExport::timeText(data.to),
                       AuditExport::timeText(data.generatedAt),
                       data.alertsTruncated ? QStringLiteral("true") : QStringLiteral("false"),
                       data.changesTruncated ? QStringLiteral("true") : QStringLiteral("false")};
    if (classifier) {
        reportHeader += ",task,classes,decision_threshold";
        report << s.task << QString::number(s.classSpec.count())
               << (s.classSpec.isBinary() ? number(s.classSpec.decisionThreshold) : QString());
    }
    csv.header(reportHeader);
    csv.row(report);
    return csv.take();
}

Status writeKpiReportCsv(const KpiReportData &data, const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{ServiceText::tr("Cannot write %1: %2").arg(path, file.errorString())};
    const QByteArray bytes = kpiReportCsv(data);
    if (file.write(bytes) != bytes.size() || !file.commit())
        return Error{ServiceText::tr("Cannot write %1: %2").arg(path, file.errorString())};
    return {};
}

} // namespace mldeck
