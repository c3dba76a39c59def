#include "core/demo/DemoCsv.h"

#include <QDateTime>

namespace mldeck {

QByteArray demoCsvHeader()
{
    QByteArray line;
    for (const auto &f : RideDelayGenerator::schema().features)
        line += f.name.toUtf8() + ',';
    return line + "delay_min,ts\n";
}

namespace {

QByteArray featureCells(const FeatureRow &features)
{
    QByteArray line;
    line.reserve(200);
    for (float v : features.numeric)
        line += QByteArray::number(double(v), 'g', 7) + ',';
    for (const QString &c : features.categorical)
        line += c.toUtf8() + ',';
    return line;
}

QByteArray timestampCell(qint64 tsMicros)
{
    const qint64 micros = tsMicros % 1'000'000 < 0 ? tsMicros % 1'000'000 + 1'000'000 : tsMicros % 1'000'000;
    const QDateTime when = QDateTime::fromMSecsSinceEpoch((tsMicros - micros) / 1000, Qt::UTC);
    return when.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")).toLatin1() + '.' +
           QByteArray::number(micros).rightJustified(6, '0') + "Z\n";
}

} // namespace

QByteArray demoCsvLine(const RideRequest &r)
{
    return featureCells(r.features) + QByteArray::number(r.actualDelay, 'f', 2) + ',' + timestampCell(r.tsMicros);
}

QByteArray offerCsvHeader()
{
    QByteArray line;
    for (const auto &f : RideOfferGenerator::schema().features)
        line += f.name.toUtf8() + ',';
    return line + RideOfferGenerator::labelName().toUtf8() + ",ts\n";
}

QByteArray offerCsvLine(const RideOffer &o)
{
    return featureCells(o.features) + QByteArray::number(o.accepted) + ',' + timestampCell(o.tsMicros);
}

} // namespace mldeck
