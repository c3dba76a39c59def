#pragma once

#include "core/domain/Result.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <vector>

namespace mldeck {

class PgConnection;

// An hour is compared once its outcomes are (nearly) all in: at least this share of the predictions the
// nanny scored have an outcome. The first outcomes to arrive are often a biased subset (the short rides).
inline constexpr double kNannyQualityMinOutcomeShare = 0.9;

// One hour whose ML predictions the nanny scored and that got their outcomes.
struct NannyQualityRow
{
    qint64 hourMicros = 0;
    qint64 labelled = 0;     // predictions with an outcome
    double realisedMae = 0;  // sum_abs_err / labelled
    qint64 estCount = 0;     // predictions the nanny scored
    double estimatedMae = 0; // est_abs_err_sum / est_count
};

// The nanny's own quality: estimated against realised MAE per hour, over the hours that have both.
struct NannyQuality
{
    std::vector<NannyQualityRow> hours;
    std::optional<double> meanAbsDiff; // mean over hours of |estimated - realised|; none without hours
    std::optional<double> correlation; // Pearson, over hours; none with fewer than 3 hours or no variance

    QJsonObject toJson() const;
};

// Pure: the summary of the rows (hours with fewer outcomes than kNannyQualityMinOutcomeShare of the
// scored predictions are dropped here).
NannyQuality summarizeNannyQuality(std::vector<NannyQualityRow> rows);

// The hours of [fromMicros, toMicros) from the KPI aggregates (path "ml", the rows the nanny scored).
Result<NannyQuality> readNannyQuality(PgConnection &conn, const QString &deployment, qint64 fromMicros,
                                      qint64 toMicros);

} // namespace mldeck
