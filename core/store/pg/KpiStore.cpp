#include "core/store/pg/KpiStore.h"
#include "core/store/pg/DeploymentStore.h"

#include "core/Text.h"
#include "core/audit/AuditDiff.h"
#include "core/rollout/AuditRecord.h"
#include "core/store/pg/AuditQuery.h"
#include "core/store/pg/PgConnectionInternal.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QTimeZone>

#include <charconv>
#include <cstring>
#include <limits>
#include <string_view>

namespace mldeck {

namespace {

// The aggregate columns in the order of parseBucket below; bucket start as epoch seconds, arrays
// as PostgreSQL prints them ({1,2,3}): parsed by hand, far cheaper than per-element conversions.
constexpr char kBucketColumns[] =
    "extract(epoch FROM bucket)::bigint, path, model_version, count, failed, latency_sum, lat_offset, lat_counts, "
    "labelled, sum_err, sum_abs_err, sum_sq_err, sum_actual, sum_sq_actual, sum_ape, ape_count, actual_ge, both_ge, "
    "est_abs_err_sum, est_count";

// The classification columns (resources/sql/012_classification.sql) in the order of parseClassSums.
constexpr char kClassColumns[] =
    "extract(epoch FROM bucket)::bigint, path, model_version, classes, predicted_count, sum_confidence, score_count, "
    "score_sum, served_score_count, expected_confusion, confusion, loss_count, sum_log_loss, sum_brier, "
    "calibration_count, calibration_sum, calibration_positive, score_histogram";

qint64 toInt(std::string_view s)
{
    qint64 v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

double toDouble(std::string_view s)
{
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc()) // NaN / Infinity as PostgreSQL spells them
        v = std::strtod(std::string(s).c_str(), nullptr);
    return v;
}

std::string_view view(const pqxx::field &f)
{
    return std::string_view(f.c_str(), f.size());
}

// "{1,2,3}" -> out (appends); NULL elements do not occur in these columns.
template <typename Out> void parseIntArray(std::string_view s, Out &&emit)
{
    if (s.size() < 2)
        return;
    const char *p = s.data() + 1;
    const char *end = s.data() + s.size() - 1;
    while (p < end) {
        qint64 v = 0;
        const auto r = std::from_chars(p, end, v);
        emit(v);
        p = r.ptr;
        if (p < end && *p == ',')
            ++p;
        else if (r.ec != std::errc())
            break;
    }
}

// "{1.5,NaN}" -> out (appends).
void parseDoubleArray(std::string_view s, std::vector<double> &out)
{
    if (s.size() < 2)
        return;
    s = s.substr(1, s.size() - 2);
    while (!s.empty()) {
        const size_t comma = s.find(',');
        out.push_back(toDouble(s.substr(0, comma)));
        if (comma == std::string_view::npos)
            break;
        s.remove_prefix(comma + 1);
    }
}

std::vector<qint64> intVector(const pqxx::field &f)
{
    std::vector<qint64> out;
    parseIntArray(view(f), [&out](qint64 v) { out.push_back(v); });
    return out;
}

std::vector<double> doubleVector(const pqxx::field &f)
{
    std::vector<double> out;
    parseDoubleArray(view(f), out);
    return out;
}

template <typename T, size_t N> void fillArray(std::array<T, N> &to, const std::vector<T> &from)
{
    for (size_t i = 0; i < N && i < from.size(); ++i)
        to[i] = from[i];
}

// Columns 3.. of kClassColumns.
stats::ClassificationSums parseClassSums(const pqxx::row &r)
{
    stats::ClassificationSums c;
    c.classes = int(toInt(view(r[3])));
    c.predictedCount = intVector(r[4]);
    c.sumConfidence = toDouble(view(r[5]));
    fillArray(c.scoreCount, intVector(r[6]));
    fillArray(c.scoreSum, doubleVector(r[7]));
    c.servedScoreCount = intVector(r[8]);
    c.expectedConfusion = doubleVector(r[9]);
    c.confusion = intVector(r[10]);
    c.lossCount = toInt(view(r[11]));
    c.sumLogLoss = toDouble(view(r[12]));
    c.sumBrier = toDouble(view(r[13]));
    fillArray(c.calibrationCount, intVector(r[14]));
    fillArray(c.calibrationSum, doubleVector(r[15]));
    fillArray(c.calibrationPositive, intVector(r[16]));
    c.scoreHistogram = intVector(r[17]);
    return c;
}

KpiBucket parseBucket(const pqxx::row &r, int seconds)
{
    KpiBucket b;
    b.seconds = seconds;
    b.startSecs = toInt(view(r[0]));
    b.path = QString::fromUtf8(r[1].c_str(), int(r[1].size()));
    b.modelVersion = QString::fromUtf8(r[2].c_str(), int(r[2].size()));
    stats::KpiAccumulator &a = b.sums;
    a.count = toInt(view(r[3]));
    a.failed = toInt(view(r[4]));
    a.latencySumMs = toDouble(view(r[5]));
    std::vector<qint64> counts;
    counts.reserve(64);
    parseIntArray(view(r[7]), [&counts](qint64 v) { counts.push_back(v); });
    if (!counts.empty())
        a.latency = stats::QuantileSketch::fromDense(int(toInt(view(r[6]))), std::move(counts));
    a.labelled = toInt(view(r[8]));
    a.sumError = toDouble(view(r[9]));
    a.sumAbsError = toDouble(view(r[10]));
    a.sumSqError = toDouble(view(r[11]));
    a.sumActual = toDouble(view(r[12]));
    a.sumSqActual = toDouble(view(r[13]));
    a.sumAbsPctError = toDouble(view(r[14]));
    a.pctCount = toInt(view(r[15]));
    size_t i = 0;
    parseIntArray(view(r[16]), [&a, &i](qint64 v) {
        if (i < a.actualAtLeast.size())
            a.actualAtLeast[i++] = v;
    });
    i = 0;
    parseIntArray(view(r[17]), [&a, &i](qint64 v) {
        if (i < a.bothAtLeast.size())
            a.bothAtLeast[i++] = v;
    });
    a.estAbsErrSum = toDouble(view(r[18]));
    a.estCount = toInt(view(r[19]));
    return b;
}

std::string epochText(qint64 secs)
{
    return std::to_string(secs);
}

} // namespace

KpiStore::KpiStore(PgConnection &conn) : m_conn(conn) {}

Result<KpiStore::Rows> KpiStore::read(const QString &deployment, qint64 fromSecs, qint64 toSecs, Level level,
                                      std::optional<quint64> sinceXid)
{
    if (toSecs < fromSecs)
        return Error{StoreText::tr("reading KPI aggregates: the range ends before it starts")};
    const bool hour = level == Level::Hour;
    const int seconds = hour ? 3600 : 60;
    const std::string table = hour ? "mldeck.kpi_hour" : "mldeck.kpi_minute";
    const std::string feedbackTable = hour ? "mldeck.kpi_feedback_hour" : "mldeck.kpi_feedback_minute";
    const std::string classTable = hour ? "mldeck.kpi_class_hour" : "mldeck.kpi_class_minute";
    const std::string range =
        " WHERE deployment = $1 AND bucket >= to_timestamp($2::bigint) AND bucket < to_timestamp($3::bigint)";
    const std::string where = range + " AND ($4::text IS NULL OR writer_xid >= $4::xid8)";
    // A bucket comes back whole: with its classification row, when either of its two rows changed.
    const std::string key = "deployment, bucket, path, model_version";
    const std::string bucketWhere = range + " AND ($4::text IS NULL OR writer_xid >= $4::xid8 OR (" + key +
                                    ") IN (SELECT " + key + " FROM " + classTable + where + "))";
    const std::string classWhere = range + " AND ($4::text IS NULL OR writer_xid >= $4::xid8 OR (" + key +
                                   ") IN (SELECT " + key + " FROM " + table + where + "))";
    const std::string dep = pg::utf8(deployment);
    const std::string from = epochText(fromSecs);
    const std::string to = epochText(toSecs);
    const std::string since = sinceXid ? std::to_string(*sinceXid) : std::string();
    const char *sinceParam = sinceXid ? since.c_str() : nullptr;
    try {
        // One snapshot for the rows and the watermark: whatever this read could not see was
        // written by a transaction whose id is >= the snapshot's xmin.
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(pg::raw(m_conn));
        Rows out;
        const pqxx::result rows = tx.exec_params(std::string("SELECT ") + kBucketColumns + " FROM " + table +
                                                     bucketWhere + " ORDER BY bucket, path, model_version",
                                                 dep, from, to, sinceParam);
        out.buckets.reserve(qsizetype(rows.size()));
        for (const auto &r : rows)
            out.buckets.push_back(parseBucket(r, seconds));
        // A regression deployment has no classification row: one empty index range scan.
        const pqxx::result classRows = tx.exec_params(std::string("SELECT ") + kClassColumns + " FROM " + classTable +
                                                          classWhere + " ORDER BY bucket, path, model_version",
                                                      dep, from, to, sinceParam);
        // Same order, and every classification row has its bucket row (both are written together).
        qsizetype at = 0;
        for (const auto &r : classRows) {
            const qint64 start = toInt(view(r[0]));
            const QString path = QString::fromUtf8(r[1].c_str(), int(r[1].size()));
            const QString version = QString::fromUtf8(r[2].c_str(), int(r[2].size()));
            qsizetype i = at;
            while (i < out.buckets.size() && !(out.buckets[i].startSecs == start && out.buckets[i].path == path &&
                                               out.buckets[i].modelVersion == version))
                ++i;
            if (i == out.buckets.size())
                continue; // not expected; skipped rather than attached to the wrong bucket
            out.buckets[i].sums.classification = parseClassSums(r);
            at = i + 1;
        }
        const pqxx::result fb = tx.exec_params("SELECT extract(epoch FROM bucket)::bigint, positive, total FROM " +
                                                   feedbackTable + where + " ORDER BY bucket",
                                               dep, from, to, sinceParam);
        out.feedback.reserve(qsizetype(fb.size()));
        for (const auto &r : fb) {
            FeedbackBucket f;
            f.seconds = seconds;
            f.startSecs = toInt(view(r[0]));
            f.sums.positive = toInt(view(r[1]));
            f.sums.total = toInt(view(r[2]));
            out.feedback.push_back(f);
        }
        const pqxx::row w = tx.exec1("SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
        out.nextSinceXid = quint64(toInt(view(w[0])));
        tx.commit();
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading KPI aggregates"));
    }
}

Result<qint64> KpiStore::applyPendingOutcomes()
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        // A hot standby cannot write: the readers on the primary (the guard's KPI alert job, any reader without
        // a read replica) apply the queue there, and the standby replays the result.
        const pqxx::row r = tx.exec1("SELECT CASE WHEN pg_is_in_recovery() THEN 0 ELSE mldeck.kpi_apply_pending() END");
        tx.commit();
        return qint64(toInt(view(r[0])));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("applying late outcomes to the KPI aggregates"));
    }
}

Result<qint64> KpiStore::outcomesAwaitingPrimary(const QString &deployment)
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        const pqxx::row r = tx.exec_params1(
            "SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT count(*) FROM mldeck.kpi_pending_outcomes "
            "WHERE deployment = $1) ELSE 0 END",
            pg::utf8(deployment));
        return qint64(toInt(view(r[0])));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("counting the outcomes not applied yet"));
    }
}

Status KpiStore::rebuild(const QString &deployment, qint64 fromSecs, qint64 toSecs)
{
    if (deployment.isEmpty())
        return Error{StoreText::tr("rebuilding KPI aggregates: no deployment given")};
    if (toSecs <= fromSecs)
        return Error{StoreText::tr("rebuilding KPI aggregates: the range must end after it starts")};
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params("SELECT mldeck.kpi_rebuild($1, to_timestamp($2::bigint), to_timestamp($3::bigint))",
                       pg::utf8(deployment), epochText(fromSecs), epochText(toSecs));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("rebuilding KPI aggregates"));
    }
}

Result<KpiTargets> KpiStore::targets(const QString &deployment)
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT coalesce(settings -> 'kpi_targets', '{}'::jsonb)::text FROM mldeck.deployments WHERE name = $1",
            pg::utf8(deployment));
        if (r.empty())
            return Error{DeploymentStore::unknownText(deployment)};
        const QJsonObject o = QJsonDocument::fromJson(QByteArray(r[0][0].c_str(), int(r[0][0].size()))).object();
        QString why;
        KpiTargets t = KpiTargets::fromJson(o, &why);
        if (!why.isEmpty())
            return Error{StoreText::tr("the KPI targets stored for \"%1\" are invalid: %2").arg(deployment, why)};
        return t;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading KPI targets"));
    }
}

Status KpiStore::setTargets(const QString &deployment, const KpiTargets &targets)
{
    const QJsonObject after = targets.toJson();
    QString why;
    KpiTargets::fromJson(after, &why);
    if (!why.isEmpty())
        return Error{StoreText::tr("KPI targets not saved: %1").arg(why)};
    AuditRecord rec = AuditRecord::make(QStringLiteral("kpi.targets"), deployment, Actor::current(),
                                        StoreText::tr("KPI targets changed"));
    const std::string afterText = QJsonDocument(after).toJson(QJsonDocument::Compact).toStdString();
    try {
        // The change and its audit row commit together or not at all.
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row before =
            tx.exec_params1("SELECT mldeck.kpi_set_targets($1, $2::jsonb)::text", pg::utf8(deployment), afterText);
        rec.before = KpiTargets::fromJson(pg::jsonObject(before[0])).toJson(); // the targets in force, defaults filled
        rec.after = after;
        pg::writeAudit(tx, rec);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("saving KPI targets (nothing was changed)"));
    }
}

Result<QList<AuditMarker>> KpiStore::auditMarkers(const QString &deployment, qint64 fromSecs, qint64 toSecs, int limit)
{
    if (toSecs < fromSecs)
        return Error{StoreText::tr("reading audit markers: the range ends before it starts")};
    if (toSecs == fromSecs || limit <= 0)
        return QList<AuditMarker>();
    // Read through AuditQuery, the Audit page's own reader: the changes to what serves (as the
    // "what served when" timeline reads them) and the guard's other actions (re-arm, rules).
    AuditFilter filter;
    filter.deployment = deployment;
    filter.kinds = ServedTimeline::servingActions() << QStringLiteral("guard");
    filter.from = QDateTime::fromSecsSinceEpoch(fromSecs, Qt::UTC);
    filter.to = QDateTime::fromSecsSinceEpoch(toSecs, Qt::UTC);
    auto rows = AuditQuery(m_conn).page(filter, std::numeric_limits<qint64>::max(), 0, qMin(limit, 1000));
    if (!rows)
        return Error{StoreText::tr("reading audit markers: %1").arg(rows.errorMessage())};
    QList<AuditMarker> out;
    out.reserve(rows->size());
    for (auto it = rows->crbegin(); it != rows->crend(); ++it) { // the newest were kept; oldest first
        AuditMarker m;
        m.at = it->occurredAt.isValid() ? it->occurredAt : it->at; // a spooled rollback: when it happened
        m.action = it->action;
        m.actor = it->actor();
        m.summary = (it->reason.isEmpty() ? AuditDiff::text(*it).join(QStringLiteral("; ")) : it->reason)
                        .simplified()
                        .left(200);
        out.push_back(m);
    }
    return out;
}

Result<QStringList> KpiStore::deployments()
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        // Loose index scan over the primary key: one probe per deployment, not a scan of every row.
        const pqxx::result rows = tx.exec(R"SQL(
WITH RECURSIVE d AS (
    (SELECT deployment FROM mldeck.kpi_hour ORDER BY deployment LIMIT 1)
    UNION ALL
    SELECT (SELECT k.deployment FROM mldeck.kpi_hour k WHERE k.deployment > d.deployment ORDER BY k.deployment LIMIT 1)
    FROM d WHERE d.deployment IS NOT NULL)
SELECT deployment FROM d WHERE deployment IS NOT NULL
    AND deployment NOT IN (SELECT name FROM mldeck.deployments WHERE archived_at IS NOT NULL))SQL");
        QStringList out;
        for (const auto &r : rows)
            out << QString::fromUtf8(r[0].c_str());
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("listing deployments with KPI aggregates"));
    }
}

} // namespace mldeck
