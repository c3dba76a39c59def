#include "core/demo/HistoryScript.h"

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

// The day at `fraction` of the span (0..1), at hh:mm UTC, kept inside the history.
QDateTime dayAt(const QDateTime &from, const QDateTime &to, double fraction, int hour, int minute)
{
    const qint64 spanMs = from.msecsTo(to);
    const QDateTime day = from.addMSecs(qint64(double(spanMs) * fraction));
    QDateTime t(day.date(), QTime(hour, minute), Qt::UTC);
    return std::clamp(t, from, to.addSecs(-3600));
}

bool within(qint64 ms, const QDateTime &a, const QDateTime &b)
{
    return ms >= a.toMSecsSinceEpoch() && ms < b.toMSecsSinceEpoch();
}

} // namespace

HistoryScript HistoryScript::make(const QDateTime &end, int days, double rate)
{
    HistoryScript s;
    s.to = end.toUTC();
    s.from = s.to.addDays(-days);
    const auto at = [&s](double dayOfMonth, int hour, int minute) {
        return dayAt(s.from, s.to, dayOfMonth / 30.0, hour, minute);
    };
    s.stepAt = {s.from, at(7, 9, 10), at(14, 9, 5), at(21, 9, 20)};
    // Twice the guard's default minimum of 50 samples, at the 25 % step.
    s.guardWindowSeconds = int(std::clamp(std::ceil(2 * 50 / (0.25 * rate)), 300.0, 6 * 3600.0));
    s.errorsFrom = at(10, 14, 5);
    s.errorsTo = s.errorsFrom.addSecs(std::max(90 * 60, 2 * s.guardWindowSeconds));
    // Once the failures fill most of the window, after three breaching rounds.
    s.rollbackAt = s.errorsFrom.addSecs(std::max(4 * 60, s.guardWindowSeconds * 4 / 5));
    // The next morning; an hour after the rollback when a short history puts both on one day.
    s.rearmAt = std::max(at(11, 8, 40), s.rollbackAt.addSecs(3600));
    s.reenableAt = s.rearmAt.addSecs(6 * 60);
    s.driftFrom = at(23, 5, 0);
    s.driftTo = s.driftFrom.addSecs(14 * 3600);
    s.retrainRequestedAt = at(27, 10, 0);
    s.retrainStartedAt = s.retrainRequestedAt.addSecs(20);
    s.retrainFinishedAt = s.retrainRequestedAt.addSecs(24 * 60);
    s.promotedAt = s.retrainRequestedAt.addSecs(55 * 60);
    s.calibrationFrom = at(26, 7, 0);
    return s;
}

int HistoryScript::stepIndexAt(qint64 ms) const
{
    int index = -1;
    for (int i = 0; i < stepAt.size(); ++i)
        if (ms >= stepAt.at(i).toMSecsSinceEpoch())
            index = i;
    return index;
}

FlagState HistoryScript::flagsAt(qint64 ms, const QString &deployment) const
{
    FlagState f;
    f.deployment = deployment;
    f.exists = true;
    f.fallbackOnError = true;
    const int step = stepIndexAt(ms);
    f.mlEnabled = step >= 0 && !within(ms, rollbackAt, reenableAt);
    f.trafficPercentage = step >= 0 ? steps.at(step) : 0;
    return f;
}

bool HistoryScript::errorsAt(qint64 ms) const
{
    return within(ms, errorsFrom, errorsTo);
}

bool HistoryScript::driftAt(qint64 ms) const
{
    return within(ms, driftFrom, driftTo);
}

} // namespace mldeck
