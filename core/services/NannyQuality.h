#pragma once

#include "core/domain/Result.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <vector>

namespace mldeck {

class PgConnection;

// One hour whose ML predictions the nanny scored and some of which got their outcome.
struct NannyQualityRow
{
    qint64 hourMicros = 0;
    qint64 labelled = 0;      // predictions with an outcome
    double realisedMae = 0;   // sum_abs_err / labelled
    qint64 estCount = 0;      // predictions the nanny scored
    double estimatedMae = 0;  // est_abs_err_sum / est_count
};

// The nanny's own quality: estimated against realised MAE per hour, over the hours that have both.
struct NannyQuality
{
    std::vector<NannyQualityRow> hours;
    std::optional<double> meanAbsDiff; // mean over hours of |estimated - realised|; none without hours
    std::optional<double> correlation; // Pearson, over hours; none with fewer than 3 hours or no variance

    QJsonObject toJson() const;
};

// Pure: the summary of the rows (hours without an outcome are dropped here).
NannyQuality summarizeNannyQuality(std::vector<NannyQualityRow> rows);

// The hours of [fromMicros, toMicros) from the KPI aggregates (path "ml", the rows the nanny scored).
Result<NannyQuality> readNannyQuality(PgConnection &conn, const QString &deployment, qint64 fromMicros,
                                      qint64 toMicros);

} // namespace mldeck
