#include "core/services/KpiSnapshot.h"

#include <QRegularExpression>

namespace mldeck {

namespace {
constexpr qint64 kMaxRangeSeconds = 366LL * 86400; // a year (and a day): the longest range worth a chart
constexpr int kMaxPoints = 300;
} // namespace

std::optional<KpiQuery> KpiQuery::lastRange(const QString &deployment, const QString &range, qint64 nowSecs)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d{1,6})\\s*([mhd])\\s*$"));
    const auto m = re.match(range.toLower());
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 n = m.captured(1).toLongLong();
    const QChar unit = m.captured(2).at(0);
    const qint64 unitSeconds = unit == QLatin1Char('m') ? 60 : unit == QLatin1Char('h') ? 3600 : 86400;
    const qint64 seconds = n * unitSeconds;
    if (n <= 0 || seconds > kMaxRangeSeconds)
        return std::nullopt;
    KpiQuery q;
    q.deployment = deployment;
    q.toSecs = nowSecs;
    q.fromSecs = nowSecs - seconds;
    q.live = true;
    return q;
}

int displayBucketSeconds(qint64 rangeSeconds)
{
    for (int b : {60, 300, 900, 3600, 10800, 21600, 86400})
        if ((rangeSeconds + b - 1) / b <= kMaxPoints)
            return b;
    return 86400;
}

} // namespace mldeck
