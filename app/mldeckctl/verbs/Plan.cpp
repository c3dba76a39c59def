// mldeckctl plan show|advance|set: the staged rollout plan of a deployment (PlanService).
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/domain/Deployment.h"
#include "core/domain/Figure.h"
#include "core/services/FlagService.h"
#include "core/services/PlanService.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>

#include <optional>

namespace mldeck::cli {

namespace {

// "min_r2, max_mae" -> the names, trimmed (as the guard's --advisory and the editors take them).
QStringList nameList(const QString &text)
{
    QStringList out;
    for (const QString &name : text.split(QLatin1Char(',')))
        if (const QString n = name.trimmed(); !n.isEmpty())
            out << n;
    return out;
}

QString stateWord(const GateStatus &g)
{
    const QString word = g.state == GateState::Pass   ? QStringLiteral("PASS")
                         : g.state == GateState::Fail ? QStringLiteral("FAIL")
                                                      : QStringLiteral("WAIT");
    return g.advisory ? word.toLower() : word; // lower case: advisory, never decides
}

void printStatus(const QString &deployment, const PlanStatus &s, bool json)
{
    if (json) {
        QJsonArray steps, gates;
        for (int st : s.steps)
            steps.append(st);
        for (const GateStatus &g : s.gates)
            gates.append(QJsonObject{{QStringLiteral("name"), g.name},
                                     {QStringLiteral("value"), figureJson(g.value)},
                                     {QStringLiteral("threshold"), g.threshold},
                                     {QStringLiteral("pass"), g.pass},
                                     {QStringLiteral("state"), gates::stateName(g.state)},
                                     {QStringLiteral("advisory"), g.advisory},
                                     {QStringLiteral("waiting"), g.waiting}});
        Context::outJson(QJsonDocument(
            QJsonObject{{QStringLiteral("deployment"), deployment},
                        {QStringLiteral("steps"), steps},
                        {QStringLiteral("current_step"), s.currentStep},
                        {QStringLiteral("step_since"),
                         s.stepSince.isValid() ? QJsonValue(s.stepSince.toString(Qt::ISODate)) : QJsonValue()},
                        {QStringLiteral("gates"), gates},
                        {QStringLiteral("combination"), s.combination.toJson()},
                        // null: quality gates wait for the minimum samples
                        {QStringLiteral("min_labelled"), s.minLabelled ? QJsonValue(*s.minLabelled) : QJsonValue()},
                        {QStringLiteral("outcome"), gates::stateName(s.outcome)},
                        {QStringLiteral("waiting_for"), QJsonArray::fromStringList(s.waitingFor)},
                        {QStringLiteral("can_advance"), s.canAdvance}}));
        return;
    }
    QStringList shown;
    for (qsizetype i = 0; i < s.steps.size(); ++i)
        shown << (i == s.currentStep ? QStringLiteral("[%1 %]").arg(s.steps.at(i))
                                     : QStringLiteral("%1 %").arg(s.steps.at(i)));
    Context::out(Text::tr("plan of \"%1\": %2").arg(deployment, shown.join(QStringLiteral(" -> "))));
    Context::out(s.currentStep < 0
                     ? Text::tr("not started")
                     : Text::tr("step %1 since %2").arg(s.currentStep + 1).arg(s.stepSince.toString(Qt::ISODate)));
    if (!s.gates.isEmpty()) {
        int deciding = 0;
        for (const GateStatus &g : s.gates)
            deciding += plan::requiredGates().contains(g.name) || g.advisory ? 0 : 1;
        Context::out(Text::tr("gates: samples and soak always; of the others, %1 must pass (lower case: advisory)")
                         .arg(s.combination.describe(deciding)));
    }
    Context::out(s.minLabelled
                     ? Text::tr("quality gates wait for %1 labelled predictions").arg(*s.minLabelled)
                     : Text::tr("quality gates wait for as many labelled predictions as the minimum samples"));
    for (const GateStatus &g : s.gates)
        Context::out(QStringLiteral("  %1 %2  value %3  threshold %4%5")
                         .arg(stateWord(g), g.name.leftJustified(20))
                         .arg(figureText(g.value, [](double v) { return QString::number(v, 'g', 5); }))
                         .arg(g.threshold)
                         .arg(g.waiting.isEmpty() ? QString() : QStringLiteral("  (") + g.waiting + QLatin1Char(')')));
    if (!s.waitingFor.isEmpty())
        Context::out(Text::tr("waiting for: %1").arg(s.waitingFor.join(QStringLiteral("; "))));
    Context::out(s.canAdvance ? Text::tr("can advance") : Text::tr("cannot advance (gates failing, or last step)"));
}

// "50:at-least-2[:gate,gate]" -> the step's combination; "50:none" removes the step's own.
Status applyStepCombination(StagedPlan &plan, const QString &text)
{
    const QStringList parts = text.split(QLatin1Char(':'));
    bool ok = false;
    const int step = parts.value(0).trimmed().toInt(&ok);
    if (!ok || parts.size() < 2 || parts.size() > 3)
        return Error{
            Text::tr("--step-combine takes PERCENT:MODE[:ADVISORY,...] (e.g. 50:at-least-2), not \"%1\".").arg(text)};
    if (parts.at(1).trimmed() == QLatin1String("none")) {
        plan.stepCombinations.remove(step);
        return {};
    }
    auto parsed = GateCombination::parseMode(parts.at(1));
    if (!parsed)
        return parsed.error();
    GateCombination c = parsed.value();
    if (parts.size() == 3)
        c.advisory = nameList(parts.at(2));
    plan.stepCombinations.insert(step, c);
    return {};
}

int usage(int code)
{
    const QString text =
        Text::tr("Usage: mldeckctl plan <show|advance|set> [options]   (mldeckctl plan <sub> --help)\n\n"
                 "  show     the plan, the current step and every gate, live\n"
                 "  advance  move to the next step when all gates pass [--override-reason R]\n"
                 "  set      store the plan: --steps 10,25,50,100 and gates");
    return Context::printUsage(text, code);
}

} // namespace

int runPlan(Context &ctx)
{
    const QStringList &args = ctx.args();
    if (args.size() < 2)
        return usage(UsageOrConnection);
    const QString sub = args.at(1);
    if (sub == QLatin1String("--help") || sub == QLatin1String("-h") || sub == QLatin1String("help"))
        return usage(Success);
    QStringList subArgs = args.mid(2);
    subArgs.prepend(args.at(0) + QLatin1Char(' ') + sub);
    Context c(subArgs);
    Invocation inv(c, Invocation::Deployment | Invocation::Redis | Invocation::PgUrl | Invocation::Json);
    QCommandLineParser &p = inv.parser();
    if (sub == QLatin1String("show")) {
        if (auto code = inv.start(Text::tr("Show the staged plan with live gates.")))
            return *code;
        FlagService flags(inv.redis(), inv.pgEndpoint());
        auto st = PlanService(flags).status(inv.deployment());
        if (!st)
            return Context::fail(st.errorMessage());
        printStatus(inv.deployment(), *st, inv.json());
        return Success;
    }
    if (sub == QLatin1String("advance")) {
        p.addOption({QStringLiteral("override-reason"),
                     Text::tr("Advance although gates fail (audited as an override)."), QStringLiteral("text")});
        if (auto code =
                inv.start(Text::tr("Advance to the next step (sets the percentage, audited) when all gates pass.")))
            return *code;
        FlagService flags(inv.redis(), inv.pgEndpoint());
        if (p.isSet(QStringLiteral("override-reason")) &&
            p.value(QStringLiteral("override-reason")).trimmed().isEmpty())
            return Context::fail(Text::tr("An override needs a non-empty reason."));
        auto st =
            PlanService(flags).advance(inv.deployment(), p.value(QStringLiteral("override-reason")), Actor::current());
        if (!st)
            return Context::fail(st.errorMessage(), CheckFailed);
        printStatus(inv.deployment(), *st, inv.json());
        return Success;
    }
    if (sub == QLatin1String("set")) {
        const QList<QPair<QString, QString>> gateOptions{
            {QStringLiteral("min-samples"), Text::tr("Minimum ML samples in the step.")},
            {QStringLiteral("min-soak"), Text::tr("Minimum time in the step, seconds.")},
            {QStringLiteral("min-labelled"),
             Text::tr("Labelled predictions a quality gate waits for (none: as many as the minimum samples).")},
            {QStringLiteral("max-mae"), Text::tr("MAE at most.")},
            {QStringLiteral("min-r2"), Text::tr("R² at least.")},
            {QStringLiteral("max-latency-p95"), Text::tr("Latency p95 at most, ms.")},
            {QStringLiteral("max-error-rate"), Text::tr("Error rate at most, share 0..1.")},
            {QStringLiteral("min-accuracy"), Text::tr("A classifier: accuracy at least, share 0..1.")},
            {QStringLiteral("min-f1"), Text::tr("A classifier: F1 at least, share 0..1 (none: no such gate).")},
            {QStringLiteral("max-log-loss"), Text::tr("A classifier: log-loss at most (none: no such gate).")},
            {QStringLiteral("max-ece"),
             Text::tr("A classifier: calibration error (ECE) at most (none: no such gate).")},
            {QStringLiteral("max-estimated-mae"),
             Text::tr("Regression: the nanny model's estimated MAE at most, known before outcomes (none: no such "
                      "gate).")}};

        p.addOption(
            {QStringLiteral("steps"), Text::tr("Percentages in order, e.g. 10,25,50,100."), QStringLiteral("list")});
        p.addOption({QStringLiteral("combine"),
                     Text::tr("How a step's metric gates combine: all, any or at-least-N (samples and soak are "
                              "always required)."),
                     QStringLiteral("mode")});
        p.addOption({QStringLiteral("advisory"),
                     Text::tr("Gates shown but never deciding, e.g. max_latency_p95_ms,min_r2 (none: no advisory "
                              "gate)."),
                     QStringLiteral("list")});
        p.addOption({QStringLiteral("step-combine"),
                     Text::tr("A step's own combination, PERCENT:MODE[:ADVISORY,...] (e.g. 50:at-least-2); "
                              "PERCENT:none removes it. Repeatable."),
                     QStringLiteral("spec")});
        for (const auto &g : gateOptions)
            p.addOption({g.first, g.second, QStringLiteral("value")});
        if (auto code = inv.start(Text::tr("Store the staged plan (validated; audited).")))
            return *code;
        FlagService flags(inv.redis(), inv.pgEndpoint());
        PlanService plans(flags);
        auto current = plans.plan(inv.deployment());
        if (!current)
            return Context::fail(current.errorMessage());
        StagedPlan plan = *current;
        if (p.isSet(QStringLiteral("steps"))) {
            auto steps = plan::parseSteps(p.value(QStringLiteral("steps")));
            if (!steps)
                return Context::fail(steps.errorMessage());
            plan.setSteps(*steps);
        }
        if (p.isSet(QStringLiteral("combine"))) {
            auto mode = GateCombination::parseMode(p.value(QStringLiteral("combine")));
            if (!mode)
                return Context::fail(mode.errorMessage());
            const QStringList advisory = plan.combination.advisory;
            plan.combination = mode.value();
            plan.combination.advisory = advisory;
        }
        if (p.isSet(QStringLiteral("advisory"))) {
            const QString list = p.value(QStringLiteral("advisory"));
            plan.combination.advisory = list.trimmed() == QLatin1String("none") ? QStringList{} : nameList(list);
        }
        for (const QString &spec : p.values(QStringLiteral("step-combine")))
            if (Status s = applyStepCombination(plan, spec); !s)
                return Context::fail(s.errorMessage());
        // A classifier's optional gates, which "none" removes.
        const QMap<QString, std::optional<double> *> optionalFields{
            {QStringLiteral("min-f1"), &plan.gates.minF1},
            {QStringLiteral("max-log-loss"), &plan.gates.maxLogLoss},
            {QStringLiteral("max-ece"), &plan.gates.maxEce},
            {QStringLiteral("max-estimated-mae"), &plan.gates.maxEstimatedMae}};
        for (const auto &g : gateOptions) {
            if (!p.isSet(g.first))
                continue;
            if (g.first == QLatin1String("min-labelled") && p.value(g.first) == QLatin1String("none")) {
                plan.gates.minLabelled.reset();
                continue;
            }
            if (optionalFields.contains(g.first) && p.value(g.first) == QLatin1String("none")) {
                optionalFields.value(g.first)->reset();
                continue;
            }
            bool ok = false;
            const double v = p.value(g.first).toDouble(&ok);
            if (!ok)
                return Context::fail(Text::tr("--%1 must be a number, not \"%2\".").arg(g.first, p.value(g.first)));
            if (g.first == QLatin1String("min-samples"))
                plan.gates.minSamples = qint64(v);
            else if (g.first == QLatin1String("min-labelled"))
                plan.gates.minLabelled = qint64(v);
            else if (g.first == QLatin1String("min-soak"))
                plan.gates.minSoakSeconds = qint64(v);
            else if (g.first == QLatin1String("max-mae"))
                plan.gates.maxMae = v;
            else if (g.first == QLatin1String("min-r2"))
                plan.gates.minR2 = v;
            else if (g.first == QLatin1String("max-latency-p95"))
                plan.gates.maxLatencyP95Ms = v;
            else if (g.first == QLatin1String("min-accuracy"))
                plan.gates.minAccuracy = v;
            else if (optionalFields.contains(g.first))
                *optionalFields.value(g.first) = v;
            else
                plan.gates.maxErrorRate = v;
        }
        auto st = plans.save(inv.deployment(), plan, Actor::current());
        if (!st)
            return Context::fail(st.errorMessage());
        printStatus(inv.deployment(), *st, inv.json());
        return Success;
    }
    Context::fail(Text::tr("unknown plan command \"%1\"").arg(sub));
    return usage(UsageOrConnection);
}

} // namespace mldeck::cli
