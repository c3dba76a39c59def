#pragma once

#include "core/domain/FlagState.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace mldeck {

// The story of the demo's month, as times: the team's deployment guide (ML at 10 % in week 1, 25 % in
// week 2, 50 % in week 3, 100 % in week 4), one incident where the guard turned ML off and a person
// re-armed it the next morning, one drift episode (rain and driver shortage), a retrain whose
// candidate became champion, and for a classifier a shift of its world in the last days. Pure: the same end and length
// give the same times. Times are placed at fractions of the span, on the clock hours a team works, so a shorter history
// keeps the same story.
struct HistoryScript
{
    QDateTime from, to; // the history is [from, to), UTC

    QList<QDateTime> stepAt;           // when the plan moved to each step (stepAt[0] == from)
    QList<int> steps{10, 25, 50, 100}; // the plan's percentages
    QDateTime errorsFrom, errorsTo;    // the incident: half of the ML calls fail
    QDateTime rollbackAt;              // the guard turns ML off
    QDateTime rearmAt, reenableAt;     // a person re-arms the guard, then turns ML on again
    QDateTime driftFrom, driftTo;      // rain and driver load up
    QDateTime retrainRequestedAt, retrainStartedAt, retrainFinishedAt;
    QDateTime promotedAt; // the retrained candidate becomes champion: the second model serves after it
    // A classifier's world shifts (a rival app's bonus, OfferTraffic): from here to the end its
    // probabilities over-state acceptance.
    QDateTime calibrationFrom;

    static constexpr int kMinDays = 7;
    static constexpr int kMaxDays = 365;
    // The guard looks at a window long enough for its minimum of samples at the step's rate (at least
    // its default five minutes): a slow history still has an incident the guard can see.
    int guardWindowSeconds = 300;
    static HistoryScript make(const QDateTime &end, int days, double rate);

    // The flags in force at a time (ML off between the rollback and the re-enable).
    FlagState flagsAt(qint64 ms, const QString &deployment) const;
    // Index into steps of the step in force (-1 before the first).
    int stepIndexAt(qint64 ms) const;
    bool errorsAt(qint64 ms) const;
    bool driftAt(qint64 ms) const;
    bool calibrationShiftAt(qint64 ms) const { return ms >= calibrationFrom.toMSecsSinceEpoch(); }
    bool secondModelAt(qint64 ms) const { return ms >= promotedAt.toMSecsSinceEpoch(); }
};

} // namespace mldeck
