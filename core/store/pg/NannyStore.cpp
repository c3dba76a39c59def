#include "core/store/pg/NannyStore.h"

#include "core/Text.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"
#include "core/store/pg/RawRowsCheck.h"

#include <QJsonDocument>

#include <map>
#include <utility>

namespace mldeck {

namespace {

// Weights travel as hex text (decode/encode in SQL): the same on every libpqxx version.
const std::string kNannyColumns =
    "id, deployment, model_id, model_version, encode(weights, 'hex'), meta::text, sha256, "
    "reference, "
    "rows, validation_mae, (extract(epoch FROM created_at) * 1000)::bigint, created_by ";

// Serialises the trainers and scorers of one deployment (transaction-level in insert, session-level around a
// scoring run).
const std::string kLockSql = "SELECT pg_advisory_xact_lock(hashtext('mldeck.nanny'), hashtext($1))";

StoredNanny nannyOf(const pqxx::row &r)
{
    StoredNanny n;
    n.id = r[0].as<qint64>();
    n.deployment = pg::text(r[1]);
    n.modelId = r[2].as<qint64>();
    n.modelVersion = pg::text(r[3]);
    n.weights = QByteArray::fromHex(QByteArray(r[4].c_str()));
    n.meta = pg::jsonObject(r[5]);
    n.sha256 = QByteArray(r[6].c_str());
    n.reference = pg::text(r[7]);
    n.rows = r[8].as<qint64>();
    n.validationMae = r[9].as<double>();
    n.createdAt = pg::msecs(r[10]);
    n.createdBy = pg::text(r[11]);
    return n;
}

Result<std::optional<StoredNanny>> firstNanny(const pqxx::result &rows)
{
    if (rows.empty())
        return std::optional<StoredNanny>();
    return std::optional<StoredNanny>(nannyOf(rows[0]));
}

} // namespace

NannyStore::NannyStore(PgConnection &conn) : m_conn(conn) {}

Result<qint64> NannyStore::insert(const StoredNanny &stored, qint64 startMicros, AuditRecord audit)
{
    const QString &deployment = stored.deployment;
    if (!DeploymentStore::isValidName(deployment))
        return Error{StoreText::tr("\"%1\" is not a deployment name.").arg(deployment)};
    try {
        pqxx::work tx(pg::raw(m_conn));
        // Trainers of one deployment take turns (the same lock as a scoring run): the newest nanny is the one
        // whose watermark starts last, and nanny_start refuses any other.
        tx.exec_params(kLockSql, pg::utf8(deployment));
        const pqxx::result r = tx.exec_params(
            "INSERT INTO mldeck.nanny_models (deployment, model_id, model_version, weights, sha256, meta, "
            "reference, rows, validation_mae) "
            "VALUES ($1, $2, $3, decode($4, 'hex'), $5, $6::jsonb, $7, $8, $9) "
            "RETURNING id",
            pg::utf8(deployment), stored.modelId, pg::utf8(stored.modelVersion), stored.weights.toHex().toStdString(),
            stored.sha256.toStdString(), QJsonDocument(stored.meta).toJson(QJsonDocument::Compact).toStdString(),
            pg::utf8(stored.reference), stored.rows, stored.validationMae);
        const qint64 id = r[0][0].as<qint64>();
        tx.exec_params("SELECT mldeck.nanny_start($1, $2, $3::timestamptz)", pg::utf8(deployment), id,
                       pgtext::timestamp(startMicros));
        QJsonObject after = stored.meta;
        after.remove(QStringLiteral("model_metadata")); // the champion's own metadata: kept in the row only
        after.insert(QStringLiteral("nanny_id"), id);
        after.insert(QStringLiteral("sha256"), QString::fromLatin1(stored.sha256));
        audit.after = after;
        pg::writeAudit(tx, audit);
        tx.commit();
        return id;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("storing the nanny model of \"%1\"").arg(deployment));
    }
}

Result<std::optional<StoredNanny>> NannyStore::forModel(const QString &deployment, qint64 modelId)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params("SELECT " + kNannyColumns +
                                                  "FROM mldeck.nanny_models WHERE deployment = $1 AND model_id = $2 "
                                                  "ORDER BY id DESC LIMIT 1",
                                              pg::utf8(deployment), modelId);
        tx.commit();
        return firstNanny(r);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the nanny model of \"%1\"").arg(deployment));
    }
}

Result<std::optional<StoredNanny>> NannyStore::latest(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT " + kNannyColumns + "FROM mldeck.nanny_models WHERE deployment = $1 ORDER BY id DESC LIMIT 1",
            pg::utf8(deployment));
        tx.commit();
        return firstNanny(r);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the nanny model of \"%1\"").arg(deployment));
    }
}

Result<std::optional<NannyWatermark>> NannyStore::watermark(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r =
            tx.exec_params("SELECT nanny_id, (extract(epoch FROM scored_to) * 1000000)::bigint, scored, "
                           "       (extract(epoch FROM updated_at) * 1000)::bigint "
                           "FROM mldeck.nanny_watermark WHERE deployment = $1 ORDER BY nanny_id DESC LIMIT 1",
                           pg::utf8(deployment));
        tx.commit();
        if (r.empty())
            return std::optional<NannyWatermark>();
        return std::optional<NannyWatermark>(
            NannyWatermark{r[0][0].as<qint64>(), r[0][1].as<qint64>(), r[0][2].as<qint64>(), pg::msecs(r[0][3])});
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the nanny watermark of \"%1\"").arg(deployment));
    }
}

Result<NannyBatch> NannyStore::nextBatch(const QString &deployment, const QString &modelVersion, int schemaId,
                                         qint64 fromMicros, qint64 upToMicros, qint64 maxRows)
{
    NannyBatch batch;
    batch.toMicros = upToMicros;
    if (upToMicros <= fromMicros || maxRows < 1)
        return batch;
    const std::string filter = "deployment = $1 AND ts > $2::timestamptz AND ts <= $3::timestamptz AND path = 'ml' "
                               "AND NOT failed AND predicted IS NOT NULL AND model_version = $4 "
                               "AND feature_schema = $5 ";
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const std::string from = pgtext::timestamp(fromMicros);
        // The batch ends at the timestamp of its maxRows-th row: rows sharing it all come along.
        const pqxx::result end = tx.exec_params(
            "SELECT (extract(epoch FROM ts) * 1000000)::bigint FROM mldeck.predictions WHERE " + filter +
                "ORDER BY ts OFFSET $6 LIMIT 1",
            pg::utf8(deployment), from, pgtext::timestamp(upToMicros), pg::utf8(modelVersion), schemaId, maxRows - 1);
        if (!end.empty())
            batch.toMicros = end[0][0].as<qint64>();
        const pqxx::result r = tx.exec_params(
            "SELECT (extract(epoch FROM ts) * 1000000)::bigint, predicted, numeric::text, categorical::text "
            "FROM mldeck.predictions WHERE " +
                filter + "ORDER BY ts",
            pg::utf8(deployment), from, pgtext::timestamp(batch.toMicros), pg::utf8(modelVersion), schemaId);
        tx.commit();
        batch.tsMicros.reserve(r.size());
        batch.rows.reserve(r.size());
        batch.predicted.reserve(r.size());
        for (const auto &row : r) {
            auto num = pgtext::parseRealArray(row[2].is_null() ? QStringLiteral("{}") : pg::text(row[2]));
            auto cat = pgtext::parseTextArray(row[3].is_null() ? QStringLiteral("{}") : pg::text(row[3]));
            if (!num || !cat)
                return Error{StoreText::tr("A logged feature array cannot be read: %1")
                                 .arg(num ? cat.errorMessage() : num.errorMessage())};
            batch.tsMicros.push_back(row[0].as<qint64>());
            batch.predicted.push_back(row[1].as<double>());
            batch.rows.push_back(FeatureRow{std::move(num).value(), std::move(cat).value()});
        }
        return batch;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading predictions of \"%1\" to estimate").arg(deployment));
    }
}

Result<qint64> NannyStore::addEstimates(const QString &deployment, qint64 nannyId, qint64 fromMicros, qint64 toMicros,
                                        const std::vector<qint64> &tsMicros, const std::vector<double> &estimates,
                                        bool *moved)
{
    if (moved)
        *moved = false;
    if (tsMicros.size() != estimates.size())
        return Error{StoreText::tr("One estimate per prediction is needed (%1 predictions, %2 estimates).")
                         .arg(tsMicros.size())
                         .arg(estimates.size())};
    // Summed per minute here: the function gets one element per bucket, not per prediction.
    constexpr qint64 kMinute = 60'000'000;
    std::map<qint64, std::pair<double, qint64>> perMinute;
    for (size_t i = 0; i < tsMicros.size(); ++i) {
        const qint64 t = tsMicros[i];
        const qint64 bucket = (t >= 0 ? t : t - kMinute + 1) / kMinute * kMinute;
        auto &[sum, count] = perMinute[bucket];
        sum += estimates[i];
        ++count;
    }
    std::vector<std::string> buckets;
    std::vector<std::string> sums;
    std::vector<std::string> counts;
    for (const auto &[bucket, sc] : perMinute) {
        buckets.push_back(pgtext::timestamp(bucket));
        sums.push_back(pgtext::float8(sc.first));
        counts.push_back(std::to_string(sc.second));
    }
    const auto array = [](const std::vector<std::string> &items) {
        std::string out = "{";
        for (size_t i = 0; i < items.size(); ++i)
            out += (i ? ",\"" : "\"") + items[i] + "\"";
        return out + "}";
    };
    try {
        pqxx::work tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT mldeck.nanny_add_estimates($1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz[], "
            "$6::float8[], $7::bigint[])",
            pg::utf8(deployment), nannyId, pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros), array(buckets),
            array(sums), array(counts));
        tx.commit();
        return r[0][0].as<qint64>();
    } catch (const pqxx::serialization_failure &e) {
        if (moved)
            *moved = true;
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("adding error estimates of \"%1\"").arg(deployment));
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("adding error estimates of \"%1\"").arg(deployment));
    }
}

namespace {

Result<std::optional<std::pair<qint64, qint64>>> spanOf(const pqxx::result &r)
{
    if (r.empty() || r[0][0].is_null() || r[0][1].is_null())
        return std::optional<std::pair<qint64, qint64>>();
    return std::optional<std::pair<qint64, qint64>>(std::pair{r[0][0].as<qint64>(), r[0][1].as<qint64>()});
}

} // namespace

Result<std::optional<std::pair<qint64, qint64>>> NannyStore::firstRowsSpan(const QString &deployment, int schemaId,
                                                                           qint64 rows)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        if (const QString gone = pg::firstRowsGone(tx, deployment, rows); !gone.isEmpty())
            return Error{gone};
        // The rows DriftData::loadFirstRows reads.
        const pqxx::result r = tx.exec_params(
            "SELECT (extract(epoch FROM min(ts)) * 1000000)::bigint, (extract(epoch FROM max(ts)) * 1000000)::bigint "
            "FROM (SELECT ts FROM mldeck.predictions WHERE deployment = $1 AND feature_schema = $2 AND NOT failed "
            "      ORDER BY ts LIMIT $3) f",
            pg::utf8(deployment), schemaId, rows);
        tx.commit();
        return spanOf(r);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the reference of \"%1\"").arg(deployment));
    }
}

Result<std::optional<std::pair<qint64, qint64>>> NannyStore::snapshotPeriod(const QString &deployment,
                                                                            const QString &name)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params("SELECT (extract(epoch FROM period_from) * 1000000)::bigint, "
                                              "       (extract(epoch FROM period_to) * 1000000)::bigint "
                                              "FROM mldeck.drift_snapshots WHERE deployment = $1 AND name = $2",
                                              pg::utf8(deployment), pg::utf8(name));
        tx.commit();
        return spanOf(r);
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the reference of \"%1\"").arg(deployment));
    }
}

Result<bool> NannyStore::tryLockScoring(const QString &deployment)
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT pg_try_advisory_lock(hashtext('mldeck.nanny'), hashtext($1))",
                          pg::utf8(deployment))[0]
            .as<bool>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("locking the nanny of \"%1\"").arg(deployment));
    }
}

void NannyStore::unlockScoring(const QString &deployment) noexcept
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        tx.exec_params("SELECT pg_advisory_unlock(hashtext('mldeck.nanny'), hashtext($1))", pg::utf8(deployment));
    } catch (const std::exception &) {
        // A dropped session has released its locks already.
    }
}

Result<qint64> NannyStore::serverNowMicros()
{
    try {
        pqxx::nontransaction tx(pg::raw(m_conn));
        return tx.exec1("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")[0].as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the server's clock"));
    }
}

Result<std::vector<NannyHourSums>> NannyStore::hourlySums(const QString &deployment, qint64 fromMicros, qint64 toMicros)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT (extract(epoch FROM bucket) * 1000000)::bigint, sum(labelled)::bigint, sum(sum_abs_err), "
            "       sum(est_count)::bigint, sum(est_abs_err_sum) "
            "FROM mldeck.kpi_hour WHERE deployment = $1 AND path = 'ml' AND bucket >= $2::timestamptz "
            "  AND bucket < $3::timestamptz AND est_count > 0 "
            "GROUP BY bucket ORDER BY bucket",
            pg::utf8(deployment), pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros));
        tx.commit();
        std::vector<NannyHourSums> out;
        out.reserve(r.size());
        for (const auto &row : r)
            out.push_back({row[0].as<qint64>(), row[1].as<qint64>(), row[2].as<double>(), row[3].as<qint64>(),
                           row[4].as<double>()});
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(), StoreText::tr("reading the nanny's hours of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
