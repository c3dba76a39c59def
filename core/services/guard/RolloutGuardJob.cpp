#include "core/services/guard/RolloutGuardJob.h"

#include "core/Text.h"
#include "core/domain/Figure.h"
#include "core/services/FlagService.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/WindowMetricsQuery.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcGuard, "mldeck.services.guard", QtInfoMsg)

namespace mldeck {

RolloutGuardJob::RolloutGuardJob() : m_clock([] { return QDateTime::currentDateTimeUtc(); }) {}

RolloutGuardJob::~RolloutGuardJob() = default;

FlagService &RolloutGuardJob::flagsFor(const GuardContext &c)
{
    if (!m_flags || m_flags->redisEndpoint().toUrl(true) != c.redis.toUrl(true) ||
        m_flags->pgEndpoint().toUrl(true) != c.pg.toUrl(true))
        m_flags = std::make_unique<FlagService>(c.redis, c.pg,
                                                m_spoolDir.isEmpty() ? AuditSpool::defaultDirectory() : m_spoolDir);
    return *m_flags;
}

Status RolloutGuardJob::runOnce(const GuardContext &c)
{
    FlagService &flags = flagsFor(c);
    const QString &d = c.deployment;
    auto fail = [&](const QString &why) -> Status {
        m_lastSummary = ServiceText::tr("%1: could not evaluate: %2").arg(d, why);
        return Error{m_lastSummary};
    };

    auto db = flags.pg();
    if (!db)
        return fail(db.errorMessage());
    GuardStore store(**db);
    auto rules = store.rules(d);
    if (!rules) {
        flags.dropPg();
        return fail(rules.errorMessage());
    }
    if (!rules->settingsProblem.isEmpty()) // guarded with the defaults; the summary says so too
        qCWarning(lcGuard).noquote() << d << ": stored guard rules:" << rules->settingsProblem;
    auto memory = store.memory(d);
    if (!memory) {
        flags.dropPg();
        return fail(memory.errorMessage());
    }
    auto state = flags.read(d);
    if (!state)
        return fail(state.errorMessage());
    const bool serving = state->isValid() && state->mlEnabled && state->trafficPercentage > 0;

    WindowMetrics metrics;
    if (serving && rules->enabled) {
        auto m = WindowMetricsQuery(**db).mlWindow(d, rules->windowSeconds);
        if (!m) {
            flags.dropPg();
            return fail(m.errorMessage());
        }
        metrics = *m;
    }
    const QDateTime now = m_clock();
    GuardMemory mem = *memory;
    GuardDecision decision = GuardStateMachine::evaluate(*rules, mem, metrics, serving, now);
    const QJsonObject figures = GuardStateMachine::auditFigures(metrics, *rules, decision);
    const Actor actor = guardActor(c);

    if (decision.action != GuardDecision::Action::None) {
        ApplyOutcome out;
        if (decision.action == GuardDecision::Action::Rollback) {
            out = flags.rollback(d, decision.summary, actor, QStringLiteral("guard.rollback"), figures);
        } else {
            FlagEdit edit;
            edit.trafficPercentage = GuardStateMachine::halved(state->trafficPercentage);
            out = flags.apply(d, edit, state->version, decision.summary, actor, QStringLiteral("guard.halve"), figures);
        }
        if (out.applied) {
            GuardStateMachine::latch(mem, decision.action, decision.summary, now);
            const QString title = decision.action == GuardDecision::Action::Rollback
                                      ? ServiceText::tr("Guard turned ML off for %1").arg(d)
                                      : ServiceText::tr("Guard halved the ML traffic of %1 to %2 %")
                                            .arg(d)
                                            .arg(out.state.trafficPercentage);
            auto db2 = flags.pg();
            Status alerted = db2 ? GuardStore(**db2).raiseAlert(d, QStringLiteral("guard:") + d, title, figures)
                                 : Status(db2.error());
            if (!alerted)
                qCWarning(lcGuard) << "guard alert not raised for" << d << ":" << alerted.errorMessage();
            decision.summary = ServiceText::tr("ACTED: %1 (%2)").arg(decision.summary, out.message);
        } else {
            // Not latched: the next evaluation tries again (a conflict means someone just changed it).
            decision.summary =
                ServiceText::tr("wanted to act (%1) but could not: %2").arg(decision.summary, out.message);
        }
    }
    auto db3 = flags.pg();
    if (!db3)
        return fail(db3.errorMessage());
    if (Status s = GuardStore(**db3).saveMemory(d, mem, decision.summary); !s) {
        flags.dropPg();
        return fail(s.errorMessage());
    }
    m_lastDecision = decision;
    m_lastSummary = d + QStringLiteral(": ") + decision.summary;
    if (decision.action != GuardDecision::Action::None)
        qCWarning(lcGuard).noquote() << m_lastSummary;
    return {};
}

std::unique_ptr<GuardJob> makeRolloutGuardJob()
{
    return std::make_unique<RolloutGuardJob>();
}

} // namespace mldeck
