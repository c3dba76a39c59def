#include "core/audit/ServedTimeline.h"

#include "core/rollout/AuditRecord.h"

#include <QJsonObject>
#include <QJsonValue>

#include <algorithm>

namespace mldeck {

namespace {

// What serves: the champion and the effective ML share. A field stays unknown until a row says it.
struct ServedState
{
    std::optional<QString> champion;
    std::optional<bool> mlEnabled;
    std::optional<int> mlPercent; // effective: 0 when ML is off

    bool operator==(const ServedState &o) const = default;
};

bool isChampionMove(const AuditEntry &e)
{
    return (e.action == QLatin1String("model.promote") || e.action == QLatin1String("model.restore_previous")) &&
           e.after && e.after->value(QStringLiteral("alias")).toString() == QLatin1String("champion");
}

QString modelRef(const QJsonObject &model)
{
    const QString name = model.value(QStringLiteral("name")).toString();
    const QString version = model.value(QStringLiteral("version")).toVariant().toString();
    if (version.isEmpty())
        return name;
    return name.isEmpty() ? version : name + QLatin1Char('@') + version;
}

// The flags of an audit side ({"ml_enabled":1,"ml_traffic_percentage":25,...}, flagStateJson) when it
// is one; a missing flag hash serves no ML. A field the flags marked invalid (null) is unknown.
bool readFlags(const QJsonObject &side, ServedState &state)
{
    if (!side.contains(QStringLiteral("ml_traffic_percentage")) && !side.contains(QStringLiteral("ml_enabled")))
        return false;
    if (side.contains(QStringLiteral("exists")) && !side.value(QStringLiteral("exists")).toBool(true)) {
        state.mlEnabled = false;
        state.mlPercent = 0;
        return true;
    }
    const QJsonValue enabled = side.value(QStringLiteral("ml_enabled"));
    const QJsonValue percent = side.value(QStringLiteral("ml_traffic_percentage"));
    state.mlEnabled = enabled.isDouble() ? std::optional<bool>(enabled.toInt() != 0)
                      : enabled.isBool() ? std::optional<bool>(enabled.toBool())
                                         : std::nullopt;
    if (state.mlEnabled && !*state.mlEnabled)
        state.mlPercent = 0;
    else if (state.mlEnabled && percent.isDouble())
        state.mlPercent = qBound(0, percent.toInt(), 100);
    else
        state.mlPercent.reset();
    return true;
}

// Applies a row to the state; true when the row is one that sets what serves.
bool apply(const AuditEntry &e, ServedState &state)
{
    if (isChampionMove(e)) {
        state.champion = modelRef(*e.after);
        return true;
    }
    return e.after && readFlags(*e.after, state);
}

// Fills what is still unknown from the row's "before" side: the state just before the change.
void seedFrom(const AuditEntry &e, ServedState &state)
{
    if (!e.before)
        return;
    if (isChampionMove(e)) {
        if (!state.champion)
            state.champion = modelRef(*e.before);
        return;
    }
    if (!state.mlEnabled && !state.mlPercent) {
        ServedState seen;
        if (readFlags(*e.before, seen)) {
            state.mlEnabled = seen.mlEnabled;
            state.mlPercent = seen.mlPercent;
        }
    }
}

ServedStep stepOf(const ServedState &state, const QDateTime &from)
{
    ServedStep s;
    s.from = from;
    s.champion = state.champion.value_or(QString());
    s.mlEnabled = state.mlEnabled;
    s.mlPercent = state.mlPercent;
    return s;
}

bool known(const ServedState &s)
{
    return s.champion || s.mlEnabled || s.mlPercent;
}

} // namespace

ServedTimeline ServedTimeline::build(const QString &deployment, const QDateTime &from, const QDateTime &to,
                                     const QList<AuditEntry> &before, const QList<AuditEntry> &inRange)
{
    ServedTimeline t;
    t.deployment = deployment;
    t.from = from;
    t.to = to;

    // A spooled row (written while PostgreSQL was down) took effect when it occurred, not when it
    // arrived: it sits in the timeline at its occurred_at.
    const auto when = [](const AuditEntry &e) { return e.spooled && e.occurredAt.isValid() ? e.occurredAt : e.at; };
    QList<const AuditEntry *> rows;
    for (const AuditEntry &e : before)
        rows.append(&e);
    for (const AuditEntry &e : inRange)
        rows.append(&e);
    std::stable_sort(rows.begin(), rows.end(), [&when](const AuditEntry *x, const AuditEntry *y) {
        return when(*x) != when(*y) ? when(*x) < when(*y) : x->id < y->id;
    });

    ServedState state;
    const AuditEntry *carried = nullptr; // the last change before the range
    QList<const AuditEntry *> changes;   // the rows in [from, to), in the order they took effect
    for (const AuditEntry *e : std::as_const(rows)) {
        if (when(*e) < from) {
            if (apply(*e, state))
                carried = e;
        } else if (!to.isValid() || when(*e) < to) {
            changes.append(e);
        }
    }
    // A field no earlier row set is what the first change in the range says it changed from.
    for (const AuditEntry *e : std::as_const(changes))
        seedFrom(*e, state);

    if (known(state) || !changes.isEmpty()) {
        ServedStep first = stepOf(state, from);
        if (carried) {
            first.action = carried->action;
            first.actor = carried->actor();
            first.reason = carried->reason;
        }
        t.steps.append(first);
    }
    for (const AuditEntry *e : std::as_const(changes)) {
        ServedState next = state;
        if (!apply(*e, next) || next == state)
            continue; // changed nothing that serves
        state = next;
        ServedStep s = stepOf(state, when(*e));
        s.action = e->action;
        s.actor = e->actor();
        s.reason = e->reason;
        s.auditId = e->id;
        if (t.steps.last().from == s.from && t.steps.last().auditId == 0)
            t.steps.last() = s; // a change at the very start replaces the state carried in
        else
            t.steps.append(s);
    }
    for (qsizetype i = 0; i < t.steps.size(); ++i)
        t.steps[i].to = i + 1 < t.steps.size() ? t.steps.at(i + 1).from : to;
    return t;
}

QStringList ServedTimeline::servingActions()
{
    return {QStringLiteral("flags"),        QStringLiteral("guard.rollback"), QStringLiteral("guard.halve"),
            QStringLiteral("plan.advance"), QStringLiteral("model.promote"),  QStringLiteral("model.restore_previous")};
}

} // namespace mldeck
