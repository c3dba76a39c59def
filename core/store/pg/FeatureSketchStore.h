#pragma once

#include "core/domain/Result.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace mldeck {

class PgConnection;

// The per-hour feature sketches of drift over long windows (resources/sql/024_feature_sketches.sql) and the
// watermark below which every hour is sketched.
class FeatureSketchStore final
{
public:
    explicit FeatureSketchStore(PgConnection &conn);

    // The end of the last sketched hour (µs), or nothing when no hour is sketched yet.
    Result<std::optional<qint64>> watermark(const QString &deployment);

    struct HourSketch
    {
        qint64 hourMicros = 0;
        int featureSchema = 0;
        QString feature;
        qint64 rows = 0;
        QByteArray sketch;
    };
    // The predictions the KPI aggregates count in an hour (every path, version and schema): read before the hour's
    // rows, it witnesses what the sketch holds; a later, larger count means rows arrived after it was sketched.
    Result<qint64> predictionsCounted(const QString &deployment, qint64 hourMicros);

    struct HourCount
    {
        qint64 hourMicros = 0;
        qint64 predictions = 0; // predictionsCounted() before the hour was read
    };
    // Stores the sketches of the hours in [fromMicros, toMicros) with each hour's count and moves the watermark to
    // `toMicros`, in one transaction. `expectedWatermark` must be where the watermark is (nothing: no watermark yet);
    // otherwise another writer moved it and nothing is written (an error saying so).
    Status storeHours(const QString &deployment, std::optional<qint64> expectedWatermark, qint64 toMicros,
                      const std::vector<HourSketch> &sketches, const std::vector<HourCount> &counts);

    // Sketched hours in [fromMicros, toMicros) whose count in the KPI aggregates is not the one recorded when they
    // were sketched (late rows, or sketched before counts were recorded), newest first, at most `limit`.
    Result<std::vector<qint64>> hoursWithLateRows(const QString &deployment, qint64 fromMicros, qint64 toMicros,
                                                  int limit);
    // Replaces every sketch of one hour (any schema) and its count, in one transaction.
    Status replaceHour(const QString &deployment, const HourCount &count, const std::vector<HourSketch> &sketches);

    // The sketches of the hours in [fromMicros, toMicros) of that schema (any order).
    struct Stored
    {
        QString feature;
        QByteArray sketch;
    };
    Result<std::vector<Stored>> load(const QString &deployment, int featureSchema, qint64 fromMicros, qint64 toMicros);

private:
    PgConnection &m_conn;
};

} // namespace mldeck
