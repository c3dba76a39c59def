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

QByteArray demoCsvLine(const RideRequest &r)
{
    QByteArray line;
    line.reserve(160);
    for (float v : r.features.numeric)
        line += QByteArray::number(double(v), 'g', 7) + ',';
    for (const QString &c : r.features.categorical)
        line += c.toUtf8() + ',';
    const qint64 micros = r.tsMicros % 1'000'000 < 0 ? r.tsMicros % 1'000'000 + 1'000'000 : r.tsMicros % 1'000'000;
    const QDateTime when = QDateTime::fromMSecsSinceEpoch((r.tsMicros - micros) / 1000, Qt::UTC);
    line += QByteArray::number(r.actualDelay, 'f', 2) + ',';
    line += when.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")).toLatin1() + '.' +
            QByteArray::number(micros).rightJustified(6, '0') + "Z\n";
    return line;
}

} // namespace mldeck
