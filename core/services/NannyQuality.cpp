#include "core/services/NannyQuality.h"

#include "core/store/pg/NannyStore.h"

#include <QDateTime>
#include <QJsonArray>

#include <cmath>

namespace mldeck {

QJsonObject NannyQuality::toJson() const
{
    QJsonArray rows;
    for (const NannyQualityRow &h : hours)
        rows.append(QJsonObject{{QStringLiteral("hour"),
                                 QDateTime::fromMSecsSinceEpoch(h.hourMicros / 1000, Qt::UTC).toString(Qt::ISODate)},
                                {QStringLiteral("labelled"), h.labelled},
                                {QStringLiteral("realised_mae"), h.realisedMae},
                                {QStringLiteral("scored"), h.estCount},
                                {QStringLiteral("estimated_mae"), h.estimatedMae}});
    QJsonObject o{{QStringLiteral("hours"), rows}};
    o.insert(QStringLiteral("mean_abs_diff"), meanAbsDiff ? QJsonValue(*meanAbsDiff) : QJsonValue());
    o.insert(QStringLiteral("correlation"), correlation ? QJsonValue(*correlation) : QJsonValue());
    return o;
}

NannyQuality summarizeNannyQuality(std::vector<NannyQualityRow> rows)
{
    NannyQuality q;
    std::erase_if(rows, [](const NannyQualityRow &r) {
        return r.labelled <= 0 || r.estCount <= 0 ||
               double(r.labelled) < kNannyQualityMinOutcomeShare * double(r.estCount);
    });
    q.hours = std::move(rows);
    const auto n = double(q.hours.size());
    if (q.hours.empty())
        return q;
    double diff = 0, se = 0, sr = 0;
    for (const NannyQualityRow &h : q.hours) {
        diff += std::abs(h.estimatedMae - h.realisedMae);
        se += h.estimatedMae;
        sr += h.realisedMae;
    }
    q.meanAbsDiff = diff / n;
    if (q.hours.size() < 3)
        return q;
    const double me = se / n, mr = sr / n;
    double cov = 0, ve = 0, vr = 0;
    for (const NannyQualityRow &h : q.hours) {
        cov += (h.estimatedMae - me) * (h.realisedMae - mr);
        ve += (h.estimatedMae - me) * (h.estimatedMae - me);
        vr += (h.realisedMae - mr) * (h.realisedMae - mr);
    }
    if (ve > 0 && vr > 0)
        q.correlation = cov / std::sqrt(ve * vr);
    return q;
}

Result<NannyQuality> readNannyQuality(PgConnection &conn, const QString &deployment, qint64 fromMicros, qint64 toMicros)
{
    auto sums = NannyStore(conn).hourlySums(deployment, fromMicros, toMicros);
    if (!sums)
        return sums.error();
    std::vector<NannyQualityRow> rows;
    rows.reserve(sums->size());
    for (const NannyHourSums &s : *sums)
        rows.push_back({s.hourMicros, s.labelled, s.labelled > 0 ? s.absErrSum / double(s.labelled) : 0.0, s.estCount,
                        s.estCount > 0 ? s.estAbsErrSum / double(s.estCount) : 0.0});
    return summarizeNannyQuality(std::move(rows));
}

} // namespace mldeck
