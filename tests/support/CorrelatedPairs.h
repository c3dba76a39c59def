#pragma once

#include "tests/support/Normals.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace mldeck::test {

// SQL logging `rows` predictions of `deployment` evenly over [from, from + seconds) with two numeric features
// x, y standard normal with correlation 0.9, or that pair turned by 90° ((x, y) -> (-y, x): correlation
// -0.9, every marginal kept). The values come from Normals(seed), not from the server's random().
inline QString correlatedPairsSql(const QString &deployment, const QDateTime &from, int rows, int seconds, bool rotated,
                                  quint64 seed)
{
    Normals g(seed);
    QStringList xs, ys;
    for (int i = 0; i < rows; ++i) {
        const double a = g.next(), b = g.next();
        const double x = a, y = 0.9 * a + 0.43589 * b;
        xs << QString::number(rotated ? -y : x, 'g', 9);
        ys << QString::number(rotated ? x : y, 'g', 9);
    }
    return QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, path, deployment, request_key, "
                          "feature_schema, numeric) "
                          "SELECT '%1'::timestamptz + (i - 1) * (%4 * 1000.0 / %3) * interval '1 millisecond', 1.0, "
                          "'ml', '%2', 'k' || i || '-' || extract(epoch FROM '%1'::timestamptz), 1, "
                          "ARRAY[x, y]::real[] "
                          "FROM unnest('{%5}'::float8[], '{%6}'::float8[]) WITH ORDINALITY AS u(x, y, i)")
        .arg(from.toString(Qt::ISODateWithMs), deployment)
        .arg(rows)
        .arg(seconds)
        .arg(xs.join(QLatin1Char(',')), ys.join(QLatin1Char(',')));
}

} // namespace mldeck::test
