#include "core/store/pg/FeatureSketchStore.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"
#include "core/store/pg/PgText.h"

namespace mldeck {

FeatureSketchStore::FeatureSketchStore(PgConnection &conn) : m_conn(conn) {}

Result<std::optional<qint64>> FeatureSketchStore::watermark(const QString &deployment)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params("SELECT (extract(epoch FROM sketched_to) * 1000000)::bigint "
                                              "FROM mldeck.feature_sketch_watermark WHERE deployment = $1",
                                              pg::utf8(deployment));
        if (r.empty())
            return std::optional<qint64>();
        return std::optional<qint64>(r[0][0].as<qint64>());
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the feature sketches of \"%1\"").arg(deployment));
    }
}

namespace {

void insertSketches(pqxx::work &tx, const QString &deployment,
                    const std::vector<FeatureSketchStore::HourSketch> &sketches)
{
    for (const auto &h : sketches)
        tx.exec_params("INSERT INTO mldeck.feature_sketches (deployment, feature_schema, hour, feature, rows, "
                       "sketch) VALUES ($1, $2, $3::timestamptz, $4, $5, decode($6, 'hex')) "
                       "ON CONFLICT (deployment, feature_schema, hour, feature) DO UPDATE SET rows = "
                       "excluded.rows, sketch = excluded.sketch",
                       pg::utf8(deployment), h.featureSchema, pgtext::timestamp(h.hourMicros), pg::utf8(h.feature),
                       h.rows, h.sketch.toHex().toStdString());
}

void recordCount(pqxx::work &tx, const QString &deployment, const FeatureSketchStore::HourCount &c)
{
    tx.exec_params("INSERT INTO mldeck.feature_sketch_hours (deployment, hour, predictions) "
                   "VALUES ($1, $2::timestamptz, $3) ON CONFLICT (deployment, hour) DO UPDATE SET "
                   "predictions = excluded.predictions, sketched_at = now()",
                   pg::utf8(deployment), pgtext::timestamp(c.hourMicros), c.predictions);
}

} // namespace

Result<qint64> FeatureSketchStore::predictionsCounted(const QString &deployment, qint64 hourMicros)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        return tx
            .exec_params1("SELECT coalesce(sum(count), 0)::bigint FROM mldeck.kpi_hour "
                          "WHERE deployment = $1 AND bucket = $2::timestamptz",
                          pg::utf8(deployment), pgtext::timestamp(hourMicros))[0]
            .as<qint64>();
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the feature sketches of \"%1\"").arg(deployment));
    }
}

Result<std::vector<qint64>> FeatureSketchStore::hoursWithLateRows(const QString &deployment, qint64 fromMicros,
                                                                  qint64 toMicros, int limit)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        // Both sides per hour; an hour on neither side had no prediction and was sketched as empty.
        const pqxx::result r = tx.exec_params(
            "WITH k AS (SELECT bucket AS hour, sum(count) AS n FROM mldeck.kpi_hour "
            "           WHERE deployment = $1 AND bucket >= $2::timestamptz AND bucket < $3::timestamptz GROUP BY 1), "
            "     h AS (SELECT hour, predictions AS n FROM mldeck.feature_sketch_hours "
            "           WHERE deployment = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz) "
            "SELECT (extract(epoch FROM coalesce(k.hour, h.hour)) * 1000000)::bigint "
            "FROM k FULL JOIN h ON h.hour = k.hour "
            "WHERE coalesce(k.n, 0) IS DISTINCT FROM h.n "
            "ORDER BY 1 DESC LIMIT $4",
            pg::utf8(deployment), pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros), limit);
        std::vector<qint64> hours;
        hours.reserve(r.size());
        for (const auto &row : r)
            hours.push_back(row[0].as<qint64>());
        return hours;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the feature sketches of \"%1\"").arg(deployment));
    }
}

Status FeatureSketchStore::replaceHour(const QString &deployment, const HourCount &count,
                                       const std::vector<HourSketch> &sketches)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        tx.exec_params("DELETE FROM mldeck.feature_sketches WHERE deployment = $1 AND hour = $2::timestamptz",
                       pg::utf8(deployment), pgtext::timestamp(count.hourMicros));
        insertSketches(tx, deployment, sketches);
        recordCount(tx, deployment, count);
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing the feature sketches of \"%1\"").arg(deployment));
    }
}

Status FeatureSketchStore::storeHours(const QString &deployment, std::optional<qint64> expectedWatermark,
                                      qint64 toMicros, const std::vector<HourSketch> &sketches,
                                      const std::vector<HourCount> &counts)
{
    try {
        pqxx::work tx(pg::raw(m_conn));
        const QString movedOn =
            StoreText::tr("The feature sketches of \"%1\" were moved on by another writer.").arg(deployment);
        if (expectedWatermark) {
            // The row lock orders two writers; the second sees the moved watermark and writes nothing.
            const pqxx::result r =
                tx.exec_params("SELECT (extract(epoch FROM sketched_to) * 1000000)::bigint "
                               "FROM mldeck.feature_sketch_watermark WHERE deployment = $1 FOR UPDATE",
                               pg::utf8(deployment));
            if (r.empty() || r[0][0].as<qint64>() != *expectedWatermark)
                return Error{movedOn};
        } else {
            // No row to lock yet: the first writer's insert holds the key, the second inserts nothing and stops
            // (an upsert would let it move the watermark back).
            const pqxx::result r =
                tx.exec_params("INSERT INTO mldeck.feature_sketch_watermark (deployment, sketched_to) "
                               "VALUES ($1, $2::timestamptz) ON CONFLICT (deployment) DO NOTHING",
                               pg::utf8(deployment), pgtext::timestamp(toMicros));
            if (r.affected_rows() != 1)
                return Error{movedOn};
        }
        insertSketches(tx, deployment, sketches);
        for (const HourCount &c : counts)
            recordCount(tx, deployment, c);
        if (expectedWatermark)
            tx.exec_params("UPDATE mldeck.feature_sketch_watermark SET sketched_to = $2::timestamptz, "
                           "updated_at = now() WHERE deployment = $1",
                           pg::utf8(deployment), pgtext::timestamp(toMicros));
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("storing the feature sketches of \"%1\"").arg(deployment));
    }
}

Result<std::vector<FeatureSketchStore::Stored>> FeatureSketchStore::load(const QString &deployment, int featureSchema,
                                                                         qint64 fromMicros, qint64 toMicros)
{
    try {
        pqxx::read_transaction tx(pg::raw(m_conn));
        const pqxx::result r = tx.exec_params(
            "SELECT feature, sketch FROM mldeck.feature_sketches WHERE deployment = $1 AND feature_schema = $2 "
            "AND hour >= $3::timestamptz AND hour < $4::timestamptz",
            pg::utf8(deployment), featureSchema, pgtext::timestamp(fromMicros), pgtext::timestamp(toMicros));
        std::vector<Stored> out;
        out.reserve(r.size());
        for (const auto &row : r) {
            const pqxx::binarystring bytes(row[1]);
            out.push_back({QString::fromUtf8(row[0].c_str()),
                           QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size()))});
        }
        return out;
    } catch (const std::exception &e) {
        return pg::toError(e, m_conn.endpoint(),
                           StoreText::tr("reading the feature sketches of \"%1\"").arg(deployment));
    }
}

} // namespace mldeck
