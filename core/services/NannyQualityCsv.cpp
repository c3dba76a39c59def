#include "core/services/NannyQualityCsv.h"

#include "core/io/CsvWriter.h"

#include <QDateTime>

#include <cmath>

namespace mldeck {

QByteArray nannyQualityCsv(const NannyQuality &quality)
{
    const auto number = [](double v) { return QString::number(v, 'g', 10); };
    QByteArray out =
        csvRecord({QStringLiteral("hour"), QStringLiteral("scored"), QStringLiteral("estimated_mae"),
                   QStringLiteral("labelled"), QStringLiteral("realised_mae"), QStringLiteral("abs_diff")});
    for (const NannyQualityRow &h : quality.hours)
        out += csvRecord({QDateTime::fromMSecsSinceEpoch(h.hourMicros / 1000, Qt::UTC).toString(Qt::ISODate),
                          QString::number(h.estCount), number(h.estimatedMae), QString::number(h.labelled),
                          number(h.realisedMae), number(std::abs(h.estimatedMae - h.realisedMae))});
    return out;
}

} // namespace mldeck
