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

Status FeatureSketchStore::storeHours(const QString &deployment, std::optional<qint64> expectedWatermark,
                                      qint64 toMicros, const std::vector<HourSketch> &sketches)
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
        for (const HourSketch &h : sketches)
            tx.exec_params("INSERT INTO mldeck.feature_sketches (deployment, feature_schema, hour, feature, rows, "
                           "sketch) VALUES ($1, $2, $3::timestamptz, $4, $5, decode($6, 'hex')) "
                           "ON CONFLICT (deployment, feature_schema, hour, feature) DO UPDATE SET rows = "
                           "excluded.rows, sketch = excluded.sketch",
                           pg::utf8(deployment), h.featureSchema, pgtext::timestamp(h.hourMicros), pg::utf8(h.feature),
                           h.rows, h.sketch.toHex().toStdString());
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
