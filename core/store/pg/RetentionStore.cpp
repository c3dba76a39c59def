#include "core/store/pg/RetentionStore.h"

#include "core/Text.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"
#include "core/store/pg/RawRowsCheck.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>

namespace mldeck {

namespace {

std::string epochText(qint64 secs)
{
    return std::to_string(secs);
}

QString isoOf(qint64 secs)
{
    return QDateTime::fromSecsSinceEpoch(secs, Qt::UTC).toString(Qt::ISODate);
}

void audit(pqxx::work &tx, const char *action, const QString &deployment, const Actor &actor,
           const std::optional<QJsonObject> &before, const QJsonObject &after, const QString &reason)
{
    AuditRecord r = AuditRecord::make(QString::fromLatin1(action), deployment, actor, reason);
    r.before = before;
    r.after = after;
    pg::writeAudit(tx, r);
}

} // namespace

QString pg::rawRowsGone(pqxx::transaction_base &tx, const QString &deployment, qint64 fromMicros)
{
    const pqxx::result r = tx.exec_params("SELECT (extract(epoch FROM raw_before) * 1000000)::bigint "
                                          "FROM mldeck.retention_horizons WHERE deployment = $1",
                                          pg::utf8(deployment));
    if (r.empty() || r[0][0].is_null() || r[0][0].as<qint64>() <= fromMicros)
        return {};
    const auto iso = [](qint64 micros) {
        return QDateTime::fromMSecsSinceEpoch(micros / 1000, Qt::UTC).toString(Qt::ISODate);
    };
    return StoreText::tr("The raw rows of \"%1\" before %2 are gone (retention): what needs them cannot be computed "
                         "from %3. Choose a range from %2 on (the KPI figures of the earlier part are kept).")
        .arg(deployment, iso(r[0][0].as<qint64>()), iso(fromMicros));
}

QString pg::rawRowsGoneSince(pqxx::transaction_base &tx, const QString &deployment, qint64 seconds)
{
    const qint64 now = tx.exec1("SELECT (extract(epoch FROM now()) * 1000000)::bigint")[0].as<qint64>();
    return rawRowsGone(tx, deployment, now - seconds * 1'000'000);
}

QString pg::firstRowsGone(pqxx::transaction_base &tx, const QString &deployment, qint64 rows)
{
    const pqxx::result r =
        tx.exec_params("SELECT extract(epoch FROM raw_before)::bigint FROM mldeck.retention_horizons "
                       "WHERE deployment = $1 AND predictions_removed AND raw_before IS NOT NULL",
                       pg::utf8(deployment));
    if (r.empty())
        return {};
    return StoreText::tr("Retention removed predictions of \"%1\" logged before %2: \"the first %3 logged "
                         "predictions\" are no longer the same rows. Choose another drift reference (mldeckctl drift "
                         "reference set): a snapshot, or a period still kept.")
        .arg(deployment, isoOf(r[0][0].as<qint64>()))
        .arg(rows);
}

RetentionStore::RetentionStore(PgConnection &conn) : m_conn(conn) {}

QString RetentionStore::validateDays(qint64 days)
{
    if (days < kMinDays || days > kMaxDays)
        return StoreText::tr("the retention must be %1 to %2 days, not %3").arg(kMinDays).arg(kMaxDays).arg(days);
    return {};
}

Result<int> RetentionStore::days(const QString &deployment)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r = tx.exec_params1("SELECT mldeck.retention_days($1)", pg::utf8(deployment));
        return r[0].as<int>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the retention of \"%1\"").arg(deployment));
    }
}

Result<std::optional<int>> RetentionStore::setting(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params("SELECT (settings ->> 'retention_days')::integer FROM mldeck.deployments WHERE name = $1",
                           pg::utf8(deployment));
        if (r.empty())
            return Error{DeploymentStore::unknownText(deployment)};
        return r[0][0].is_null() ? std::optional<int>() : std::optional<int>(r[0][0].as<int>());
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the retention of \"%1\"").arg(deployment));
    }
}

Status RetentionStore::setDays(const QString &deployment, std::optional<int> days, const Actor &actor,
                               const QString &reason)
{
    if (days)
        if (const QString why = validateDays(*days); !why.isEmpty())
            return Error{StoreText::tr("Retention of \"%1\" not changed: %2.").arg(deployment, why)};
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = pg::execParams(tx, "SELECT mldeck.retention_set_days($1, $2::integer)",
                                              {deployment, days ? QString::number(*days) : QString()});
        const std::optional<int> before = r[0][0].is_null() ? std::nullopt : std::optional<int>(r[0][0].as<int>());
        if (before == days)
            return {}; // unchanged: nothing to audit
        const auto json = [](std::optional<int> d) {
            return QJsonObject{{QStringLiteral("retention_days"), d ? QJsonValue(*d) : QJsonValue(kDefaultDays)},
                               {QStringLiteral("default"), !d.has_value()}};
        };
        audit(tx, "deployment.retention", deployment, actor, json(before), json(days), reason.trimmed());
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("changing the retention of \"%1\"").arg(deployment));
    }
}

Result<RetentionStore::Horizons> RetentionStore::horizons(const QString &deployment)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params("SELECT coalesce(extract(epoch FROM raw_before)::bigint, 0), "
                                              "coalesce(extract(epoch FROM minutes_before)::bigint, 0) "
                                              "FROM mldeck.retention_horizons WHERE deployment = $1",
                                              pg::utf8(deployment));
        Horizons h;
        if (!r.empty()) {
            h.rawBeforeSecs = r[0][0].as<qint64>();
            h.minutesBeforeSecs = r[0][1].as<qint64>();
        }
        return h;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the retention horizons of \"%1\"").arg(deployment));
    }
}

Result<QString> RetentionStore::rawRowsGoneSince(const QString &deployment, qint64 seconds)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return pg::rawRowsGoneSince(tx, deployment, seconds);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the retention horizons of \"%1\"").arg(deployment));
    }
}

Result<qint64> RetentionStore::minuteHorizon(qint64 nowSecs)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r =
            tx.exec_params1("SELECT extract(epoch FROM mldeck.kpi_minute_horizon(to_timestamp($1::bigint)))::bigint",
                            epochText(nowSecs));
        return r[0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the minute aggregate horizon"));
    }
}

Result<qint64> RetentionStore::trimRequestDays(int limit)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const qint64 n = tx.exec_params1("SELECT mldeck.retention_trim_request_days($1)", limit)[0].as<qint64>();
        tx.commit();
        return n;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("trimming the outcomes' day index"));
    }
}

Result<QString> RetentionStore::passRefusal()
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const bool may =
            tx.exec1(
                  "SELECT has_function_privilege(current_user, "
                  "'mldeck.retention_drop_partitions(timestamptz, integer)', 'EXECUTE') AND "
                  "has_function_privilege(current_user, 'mldeck.retention_delete_batch(text, timestamptz, integer)', "
                  "'EXECUTE') AND has_table_privilege(current_user, 'mldeck.audit_log', 'INSERT')")[0]
                .as<bool>();
        if (may)
            return QString();
        return StoreText::tr("the role %1 may not remove raw rows (that takes mldeck_admin): retention is not running")
            .arg(m_conn.currentUser());
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("checking the retention privileges"));
    }
}

Result<QStringList> RetentionStore::deployments()
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        QStringList names;
        for (const auto &row : tx.exec("SELECT name FROM mldeck.deployments ORDER BY name"))
            names << pg::text(row[0]);
        return names;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("listing the deployments for retention"));
    }
}

Result<QList<RetentionStore::DroppedPartition>> RetentionStore::dropPartitions(qint64 nowSecs, int limit,
                                                                               const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params("SELECT partition_name, day::text, row_count, rows_estimated, deployments::text "
                           "FROM mldeck.retention_drop_partitions(to_timestamp($1::bigint), $2::integer)",
                           epochText(nowSecs), std::to_string(limit));
        QList<DroppedPartition> out;
        for (const auto &row : r) {
            DroppedPartition d;
            d.name = pg::text(row[0]);
            d.day = QDate::fromString(pg::text(row[1]), Qt::ISODate);
            d.rows = row[2].as<qint64>();
            d.rowsEstimated = row[3].as<bool>();
            if (auto names = pgtext::parseTextArray(pg::text(row[4])))
                d.deployments = *names;
            const QJsonObject after{{QStringLiteral("table"), QStringLiteral("predictions")},
                                    {QStringLiteral("partition"), d.name},
                                    {QStringLiteral("from"), d.day.startOfDay(Qt::UTC).toString(Qt::ISODate)},
                                    {QStringLiteral("to"), d.day.addDays(1).startOfDay(Qt::UTC).toString(Qt::ISODate)},
                                    {QStringLiteral("rows"), d.rows},
                                    {QStringLiteral("rows_estimated"), d.rowsEstimated},
                                    {QStringLiteral("deployments"), QJsonArray::fromStringList(d.deployments)}};
            audit(tx, "retention.drop_partition", QString(), actor, std::nullopt, after,
                  StoreText::tr("past the retention of every deployment with rows in it"));
            tx.exec_params("SELECT mldeck.retention_note_removed($1::text[])", row[4].c_str());
            out << d;
        }
        tx.commit();
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("dropping prediction partitions past retention"));
    }
}

Result<QList<RetentionStore::DeletedRows>> RetentionStore::deleteBatch(const QString &deployment, qint64 nowSecs,
                                                                       int batch, const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT table_name, row_count, extract(epoch FROM oldest)::bigint, extract(epoch FROM newest)::bigint, "
            "extract(epoch FROM cutoff)::bigint "
            "FROM mldeck.retention_delete_batch($1, to_timestamp($2::bigint), $3::integer)",
            pg::utf8(deployment), epochText(nowSecs), std::to_string(batch));
        QList<DeletedRows> out;
        QJsonArray tables;
        for (const auto &row : r) {
            DeletedRows d;
            d.table = pg::text(row[0]);
            d.rows = row[1].as<qint64>();
            d.oldestSecs = row[2].as<qint64>();
            d.newestSecs = row[3].as<qint64>();
            d.cutoffSecs = row[4].as<qint64>();
            tables.append(QJsonObject{{QStringLiteral("table"), d.table},
                                      {QStringLiteral("rows"), d.rows},
                                      {QStringLiteral("oldest"), isoOf(d.oldestSecs)},
                                      {QStringLiteral("newest"), isoOf(d.newestSecs)}});
            out << d;
        }
        if (std::any_of(out.cbegin(), out.cend(),
                        [](const DeletedRows &d) { return d.table == QLatin1String("predictions"); }))
            tx.exec_params("SELECT mldeck.retention_note_removed(ARRAY[$1])", pg::utf8(deployment));
        // The label state of keys past retention of which no prediction remains (after this batch's deletes).
        const pqxx::row trimmed =
            tx.exec_params1("SELECT row_count, extract(epoch FROM oldest)::bigint, extract(epoch FROM newest)::bigint, "
                            "extract(epoch FROM cutoff)::bigint "
                            "FROM mldeck.retention_trim_outcome_state($1, to_timestamp($2::bigint), $3::integer)",
                            pg::utf8(deployment), epochText(nowSecs), std::to_string(batch));
        if (const qint64 n = trimmed[0].as<qint64>(); n > 0) {
            const DeletedRows d{QStringLiteral("kpi_outcome_state"), n, trimmed[1].as<qint64>(),
                                trimmed[2].as<qint64>(), trimmed[3].as<qint64>()};
            tables.append(QJsonObject{{QStringLiteral("table"), d.table},
                                      {QStringLiteral("rows"), d.rows},
                                      {QStringLiteral("oldest"), isoOf(d.oldestSecs)},
                                      {QStringLiteral("newest"), isoOf(d.newestSecs)}});
            out << d;
        }
        if (!out.isEmpty()) {
            const int days = tx.exec_params1("SELECT mldeck.retention_days($1)", pg::utf8(deployment))[0].as<int>();
            const QJsonObject after{{QStringLiteral("deleted"), tables},
                                    {QStringLiteral("before"), isoOf(out.first().cutoffSecs)},
                                    {QStringLiteral("retention_days"), days}};
            audit(tx, "retention.delete_rows", deployment, actor, std::nullopt, after,
                  StoreText::tr("raw rows past the retention of %n day(s)", nullptr, days));
        }
        tx.commit();
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("deleting raw rows of \"%1\" past retention").arg(deployment));
    }
}

Result<std::optional<qint64>> RetentionStore::oldestMinute(const QString &deployment)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r =
            tx.exec_params1("SELECT extract(epoch FROM least("
                            "(SELECT min(bucket) FROM mldeck.kpi_minute WHERE deployment = $1), "
                            "(SELECT min(bucket) FROM mldeck.kpi_class_minute WHERE deployment = $1), "
                            "(SELECT min(bucket) FROM mldeck.kpi_feedback_minute WHERE deployment = $1)))::bigint",
                            pg::utf8(deployment));
        if (r[0].is_null())
            return std::optional<qint64>();
        return std::optional<qint64>(r[0].as<qint64>());
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the minute aggregates of \"%1\"").arg(deployment));
    }
}

Result<RetentionStore::Fold> RetentionStore::foldMinutes(const QString &deployment, qint64 fromSecs, qint64 toSecs,
                                                         const Actor &actor)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::row r = tx.exec_params1(
            "SELECT hours, mismatched, minute_rows, class_rows, feedback_rows "
            "FROM mldeck.retention_fold_minutes($1, to_timestamp($2::bigint), to_timestamp($3::bigint))",
            pg::utf8(deployment), epochText(fromSecs), epochText(toSecs));
        Fold f;
        f.hours = r[0].as<qint64>();
        f.mismatched = r[1].as<qint64>();
        f.minuteRows = r[2].as<qint64>();
        f.classRows = r[3].as<qint64>();
        f.feedbackRows = r[4].as<qint64>();
        if (f.rows() > 0 || f.mismatched > 0) {
            const QJsonObject after{{QStringLiteral("from"), isoOf(fromSecs)},
                                    {QStringLiteral("to"), isoOf(toSecs)},
                                    {QStringLiteral("hours_folded"), f.hours},
                                    {QStringLiteral("hours_kept_mismatched"), f.mismatched},
                                    {QStringLiteral("kpi_minute_rows"), f.minuteRows},
                                    {QStringLiteral("kpi_class_minute_rows"), f.classRows},
                                    {QStringLiteral("kpi_feedback_minute_rows"), f.feedbackRows}};
            audit(tx, "retention.fold_minutes", deployment, actor, std::nullopt, after,
                  StoreText::tr("minute aggregates folded into their hour rows"));
        }
        tx.commit();
        return f;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("folding the minute aggregates of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
