#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace mldeck {

struct AuditEntry;

// "What served when" for one deployment: the champion version and the ML traffic percentage over a
// range, as steps, each with who changed it and why. Built from the audit log only (the one source
// for the dashboard's markers, the report and `mldeckctl audit timeline`).
struct ServedStep
{
    QDateTime from;                // when this state began (or the start of the range, when it began before)
    QDateTime to;                  // when the next change came (or the end of the range)
    QString champion;              // model reference ("eta-mlp@3"); empty when unknown / none
    std::optional<int> mlPercent;  // effective ML traffic share 0..100 (0 when ML is off); nullopt = unknown
    std::optional<bool> mlEnabled; // nullopt = unknown (no row said it)
    QString action;                // the audit action that began the step ("flags.apply", "models.promote", ...)
    QString actor;                 // who made that change
    QString reason;
    qint64 auditId = 0; // the audit row that began the step (0 for the state carried in from before)
};

struct ServedTimeline
{
    QString deployment;
    QDateTime from, to;
    QList<ServedStep> steps; // oldest first, contiguous, covering [from, to); empty when nothing is known

    // `before` holds the rows that changed flags or the champion before `from` (only the last state
    // matters); `inRange` the rows in [from, to). A spooled row counts at its occurredAt (when the
    // change took effect), the others at their server time; rows are taken in that order. Rows that
    // change neither are ignored.
    static ServedTimeline build(const QString &deployment, const QDateTime &from, const QDateTime &to,
                                const QList<AuditEntry> &before, const QList<AuditEntry> &inRange);

    // The actions that change what serves: flag writes, rollbacks, guard actions, plan steps,
    // promotions, restores. AuditQuery reads only these for a timeline.
    static QStringList servingActions();
};

} // namespace mldeck
