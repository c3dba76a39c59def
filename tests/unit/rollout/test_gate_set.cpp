// Gates that combine metrics: all / any / at least N, advisory conditions that never decide,
// inconclusive as a third state distinct from pass and fail; a staged plan's step combining its
// gates and saying what it waits for; plans stored before combinations read as "all"; the guard
// acting on "any" vs "all", advisory guard conditions, and a condition with hysteresis whose breach
// streak resets only once it resolved.
#include "core/rollout/GateSet.h"
#include "core/rollout/GuardStateMachine.h"
#include "core/rollout/StagedPlan.h"

#include <QJsonDocument>
#include <QtTest>

Q_DECLARE_METATYPE(mldeck::GateCombination)
Q_DECLARE_METATYPE(mldeck::GateState)

using namespace mldeck;
using Mode = GateCombination::Mode;
using Action = GuardDecision::Action;

namespace {

constexpr GateState P = GateState::Pass;
constexpr GateState F = GateState::Fail;
constexpr GateState I = GateState::Inconclusive;

GateCombination mode(Mode m, int atLeast = 1, QStringList advisory = {})
{
    return GateCombination{m, atLeast, std::move(advisory)};
}

QList<gates::Condition> conditions(const QList<GateState> &states)
{
    QList<gates::Condition> out;
    for (qsizetype i = 0; i < states.size(); ++i)
        out << gates::Condition{QStringLiteral("c%1").arg(i), states.at(i)};
    return out;
}

// A regression window with every gate of the default plan passing (MAE 2.0, R² 0.71, p95 300 ms, 1 % errors).
WindowMetrics good()
{
    WindowMetrics m;
    m.samples = 1000;
    m.labelled = 800;
    m.mae = 2.0;
    m.r2 = 0.71;
    m.latencyP95Ms = 300;
    m.errorRate = 0.01;
    return m;
}

GateStatus named(const PlanStatus &s, const char *name)
{
    for (const GateStatus &g : s.gates)
        if (g.name == QLatin1String(name))
            return g;
    return {};
}

WindowMetrics guardWindow(double errorRate, double latencyMs, double mae)
{
    WindowMetrics m;
    m.samples = 500;
    m.labelled = 400;
    m.errorRate = errorRate;
    m.latencyP95Ms = latencyMs;
    m.mae = mae;
    m.r2 = 0.7;
    return m;
}

} // namespace

class TestGateSet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void combinations_data()
    {
        QTest::addColumn<GateCombination>("combination");
        QTest::addColumn<QList<GateState>>("states");
        QTest::addColumn<GateState>("expected");
        QTest::addRow("all pass") << mode(Mode::All) << QList<GateState>{P, P, P} << P;
        QTest::addRow("all: one fails") << mode(Mode::All) << QList<GateState>{P, F, I} << F;
        QTest::addRow("all: one waits") << mode(Mode::All) << QList<GateState>{P, I, P} << I;
        QTest::addRow("any: one passes") << mode(Mode::Any) << QList<GateState>{F, P, I} << P;
        QTest::addRow("any: all fail") << mode(Mode::Any) << QList<GateState>{F, F, F} << F;
        QTest::addRow("any: fails and waits") << mode(Mode::Any) << QList<GateState>{F, I, F} << I;
        QTest::addRow("2 of 3 pass") << mode(Mode::AtLeast, 2) << QList<GateState>{P, F, P} << P;
        QTest::addRow("2 of 3: two fail") << mode(Mode::AtLeast, 2) << QList<GateState>{P, F, F} << F;
        QTest::addRow("2 of 3: may still") << mode(Mode::AtLeast, 2) << QList<GateState>{P, F, I} << I;
        QTest::addRow("4 of 3: never") << mode(Mode::AtLeast, 4) << QList<GateState>{P, P, P} << F;
        QTest::addRow("all of none") << mode(Mode::All) << QList<GateState>{} << P;
        QTest::addRow("any of none") << mode(Mode::Any) << QList<GateState>{} << F;
        // c1 advisory: its failure never blocks, its pass never decides.
        QTest::addRow("advisory fail ignored")
            << mode(Mode::All, 1, {QStringLiteral("c1")}) << QList<GateState>{P, F, P} << P;
        QTest::addRow("advisory pass does not count")
            << mode(Mode::Any, 1, {QStringLiteral("c1")}) << QList<GateState>{F, P, F} << F;
        QTest::addRow("advisory wait ignored")
            << mode(Mode::All, 1, {QStringLiteral("c1")}) << QList<GateState>{P, I, P} << P;
    }

    void combinations()
    {
        QFETCH(GateCombination, combination);
        QFETCH(QList<GateState>, states);
        QFETCH(GateState, expected);
        QCOMPARE(gates::stateName(gates::combine(combination, conditions(states))), gates::stateName(expected));
    }

    void parseJsonAndValidate()
    {
        QCOMPARE(GateCombination::parseMode(QStringLiteral("any"))->mode, Mode::Any);
        const auto two = GateCombination::parseMode(QStringLiteral("at-least-2"));
        QVERIFY(two && two->mode == Mode::AtLeast && two->atLeast == 2);
        QCOMPARE(two->modeText(), QStringLiteral("at-least-2"));
        QCOMPARE(two->describe(3), QStringLiteral("at least 2 of 3"));
        // Read inside "of the other gates, %1 must pass": plain words for every mode.
        QCOMPARE(GateCombination::parseMode(QStringLiteral("all"))->describe(4), QStringLiteral("all 4"));
        QCOMPARE(GateCombination::parseMode(QStringLiteral("any"))->describe(4), QStringLiteral("at least 1 of 4"));
        QVERIFY(!GateCombination::parseMode(QStringLiteral("most")));
        QVERIFY(!GateCombination::parseMode(QStringLiteral("at-least-0")));

        const GateCombination c = mode(Mode::AtLeast, 2, {QStringLiteral("max_latency_p95_ms")});
        const auto back = GateCombination::fromJson(c.toJson(), Mode::All);
        QVERIFY(back);
        QVERIFY(*back == c);
        // A row stored before combinations existed: the default mode.
        QCOMPARE(GateCombination::fromJson({}, Mode::Any)->mode, Mode::Any);
        QVERIFY(!GateCombination::fromJson(QJsonObject{{QStringLiteral("mode"), QStringLiteral("most")}}, Mode::All));
        QVERIFY(!GateCombination::fromJson(QJsonObject{{QStringLiteral("mode"), QStringLiteral("at_least")}},
                                           Mode::All)); // N missing

        QVERIFY(mode(Mode::All, 1, {QStringLiteral("x")}).validate({QStringLiteral("y")}).contains(QLatin1String("x")));
        GuardRules rules;
        rules.rollbackCombination = mode(Mode::AtLeast, 3); // only 2 rollback conditions
        QVERIFY2(rules.validate().contains(QLatin1String("can never be met")), qPrintable(rules.validate()));
        QVERIFY(!mode(Mode::All, 1, {QStringLiteral("min_samples")})
                     .validate(plan::combinableGates(), plan::requiredGates())
                     .isEmpty());
    }

    // At least 2 of the 4 metric gates: one failing gate does not hold the step back; two do.
    void planStepAtLeastTwo()
    {
        StagedPlan p;
        p.combination = mode(Mode::AtLeast, 3);
        QVERIFY(plan::validate(p));
        const QDateTime now = QDateTime::currentDateTimeUtc();
        WindowMetrics m = good();
        m.mae = 3.0; // fails
        auto st = plan::status(p, 1, now.addSecs(-3600), m, now);
        QCOMPARE(gates::stateName(named(st, plan::kGateMae).state), QStringLiteral("fail"));
        QVERIFY(st.canAdvance); // 3 of 4 pass
        m.r2 = 0.5;             // a second one fails: 2 of 4
        st = plan::status(p, 1, now.addSecs(-3600), m, now);
        QCOMPARE(st.outcome, F);
        QVERIFY(!st.canAdvance);

        // The step at 50 % asks for any one of them.
        p.stepCombinations.insert(50, mode(Mode::Any));
        QVERIFY(plan::validate(p));
        QVERIFY(plan::status(p, 2, now.addSecs(-3600), m, now).canAdvance);
        QVERIFY(!plan::status(p, 1, now.addSecs(-3600), m, now).canAdvance);
        p.stepCombinations.insert(40, mode(Mode::Any)); // not a step
        QVERIFY(!plan::validate(p));
        p.setSteps({10, 25, 100}); // the steps at 40 and 50 % go, and their combinations with them
        QVERIFY(p.stepCombinations.isEmpty());
        QVERIFY(plan::validate(p));
    }

    // Not enough samples, or not enough labelled ones, is inconclusive (never a pass, never a fail),
    // and the plan says which gate waits for what.
    void inconclusiveIsNotFail()
    {
        StagedPlan p;
        const QDateTime now = QDateTime::currentDateTimeUtc();
        WindowMetrics m = good();
        m.labelled = 120; // outcomes come late
        auto st = plan::status(p, 1, now.addSecs(-360), m, now);
        QCOMPARE(st.outcome, I);
        QVERIFY(!st.canAdvance);
        const GateStatus mae = named(st, plan::kGateMae);
        QCOMPARE(mae.state, I);
        QVERIFY(!mae.pass);
        QCOMPARE(*mae.value, 2.0); // the figure is shown, but on too few outcomes to decide
        QCOMPARE(named(st, plan::kGateLatency).state, P);
        QCOMPARE(named(st, plan::kGateSoak).state, I); // 6 of 15 min
        const QString waiting = st.waitingFor.join(QLatin1Char('\n'));
        QVERIFY2(waiting.contains(QLatin1String("max_mae: 120 of 200 labelled predictions")), qPrintable(waiting));
        QVERIFY2(waiting.contains(QLatin1String("min_soak_s: 9 min left")), qPrintable(waiting));

        m.samples = 120;
        st = plan::status(p, 1, now.addSecs(-3600), m, now);
        QCOMPARE(named(st, plan::kGateLatency).state, I); // too few samples: every metric waits
        QVERIFY(st.waitingFor.join(QLatin1Char(' ')).contains(QLatin1String("min_samples: 120 of 200 predictions")));

        // A failing gate fails the step even while others wait.
        m = good();
        m.labelled = 10;
        m.errorRate = 0.5;
        QCOMPARE(plan::status(p, 1, now.addSecs(-3600), m, now).outcome, F);
    }

    // The nanny's estimated MAE gates before any outcome has arrived; it waits while nothing is scored.
    void estimatedMaeGatesBeforeOutcomes()
    {
        StagedPlan p;
        p.gates.maxEstimatedMae = 2.0;
        p.combination.advisory = {QString::fromLatin1(plan::kGateMae), QString::fromLatin1(plan::kGateR2)};
        QVERIFY(plan::validate(p));
        const QDateTime now = QDateTime::currentDateTimeUtc();
        WindowMetrics m = good();
        m.labelled = 0; // no outcome yet
        m.mae.reset();
        m.r2.reset();
        auto st = plan::status(p, 1, now.addSecs(-3600), m, now);
        QCOMPARE(named(st, plan::kGateEstimatedMae).state, I);
        QVERIFY(st.waitingFor.join(QLatin1Char(' ')).contains(QLatin1String("nanny")));
        m.estimatedMae = 1.4;
        st = plan::status(p, 1, now.addSecs(-3600), m, now);
        QCOMPARE(named(st, plan::kGateEstimatedMae).state, P);
        QVERIFY(st.canAdvance);
        m.estimatedMae = 2.4;
        QCOMPARE(plan::status(p, 1, now.addSecs(-3600), m, now).outcome, F);
        m.classifier = true; // a classifier has no such gate
        QCOMPARE(named(plan::status(p, 1, now.addSecs(-3600), m, now), plan::kGateEstimatedMae).name, QString());
        p.gates.maxEstimatedMae = -1;
        QVERIFY(!plan::validate(p));
    }

    // An advisory gate is evaluated and shown, never blocks.
    void advisoryNeverBlocks()
    {
        StagedPlan p;
        p.combination.advisory = {QString::fromLatin1(plan::kGateLatency)};
        const QDateTime now = QDateTime::currentDateTimeUtc();
        WindowMetrics m = good();
        m.latencyP95Ms = 5000;
        const auto st = plan::status(p, 1, now.addSecs(-3600), m, now);
        const GateStatus latency = named(st, plan::kGateLatency);
        QVERIFY(latency.advisory);
        QCOMPARE(latency.state, F);
        QVERIFY(st.canAdvance);
        const QJsonArray audit = plan::toAuditJson(st.gates);
        bool seen = false;
        for (const QJsonValue &g : audit)
            if (g[QStringLiteral("name")] == QLatin1String(plan::kGateLatency))
                seen = g[QStringLiteral("advisory")].toBool() && g[QStringLiteral("state")] == QLatin1String("fail");
        QVERIFY(seen);
        p.combination.advisory = {QString::fromLatin1(plan::kGateSoak)}; // always required
        QVERIFY(!plan::validate(p));
    }

    // Plans stored before combinations (an empty JSON object) read as "all, none advisory"; a plan's
    // combinations round-trip through their stored JSON.
    void storedPlansRead()
    {
        StagedPlan old;
        QVERIFY(plan::combinationsFromJson(QJsonObject{}, old));
        QCOMPARE(old.combination.mode, Mode::All);
        QVERIFY(old.combination.advisory.isEmpty() && old.stepCombinations.isEmpty());

        StagedPlan p;
        p.combination = mode(Mode::AtLeast, 2, {QString::fromLatin1(plan::kGateR2)});
        p.stepCombinations.insert(100, mode(Mode::Any));
        const QJsonObject json = plan::combinationsToJson(p);
        StagedPlan back;
        QVERIFY(plan::combinationsFromJson(json, back));
        QVERIFY(back.combination == p.combination);
        QCOMPARE(back.stepCombinations, p.stepCombinations);
        QVERIFY(!plan::combinationsFromJson(QJsonDocument::fromJson(R"({"steps": {"abc": {"mode": "any"}}})").object(),
                                            back));
    }

    // The guard's defaults: any one breaching condition counts (as before). "all" asks every
    // condition of the action to breach at once.
    void guardAnyVersusAll()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 2;
        QDateTime now = QDateTime(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);
        const WindowMetrics slow = guardWindow(0.01, 3000, 1.5); // latency breaches, MAE does not
        GuardMemory any;
        QCOMPARE(GuardStateMachine::evaluate(rules, any, slow, true, now).action, Action::None);
        QCOMPARE(GuardStateMachine::evaluate(rules, any, slow, true, now.addSecs(5)).action, Action::Halve);

        rules.halveCombination = mode(Mode::All);
        QVERIFY(rules.validate().isEmpty());
        GuardMemory all;
        for (int i = 0; i < 5; ++i) {
            const GuardDecision d = GuardStateMachine::evaluate(rules, all, slow, true, now.addSecs(5 * i));
            QCOMPARE(d.action, Action::None);
            QVERIFY2(d.summary.contains(QLatin1String("do not meet the combination")), qPrintable(d.summary));
        }
        const WindowMetrics both = guardWindow(0.01, 3000, 4.0);
        QCOMPARE(GuardStateMachine::evaluate(rules, all, both, true, now.addSecs(30)).action, Action::None);
        QCOMPARE(GuardStateMachine::evaluate(rules, all, both, true, now.addSecs(35)).action, Action::Halve);

        // "all" with a figure missing (no outcomes yet): inconclusive, never a breach.
        WindowMetrics noMae = both;
        noMae.mae.reset();
        GuardMemory waiting;
        for (int i = 0; i < 4; ++i)
            QCOMPARE(GuardStateMachine::evaluate(rules, waiting, noMae, true, now.addSecs(5 * i)).action, Action::None);
        QCOMPARE(waiting.degradedStreak, 0);
    }

    // An action none of whose conditions decides is never taken, whatever its mode: "all" of nothing
    // would otherwise "pass" (breach) on every round of a healthy deployment. Such rules are refused.
    void guardNeverActsWithoutADecidingCondition()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 1;
        // A regression deployment's only rollback condition, advisory.
        rules.rollbackCombination = mode(Mode::All, 1, {QStringLiteral("rollback_error_rate")});
        QVERIFY2(rules.validate(false).contains(QLatin1String("never turn ML off")), qPrintable(rules.validate(false)));
        GuardMemory m;
        const QDateTime now = QDateTime(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);
        for (int i = 0; i < 4; ++i) {
            const GuardDecision d =
                GuardStateMachine::evaluate(rules, m, guardWindow(0.01, 300, 1.5), true, now.addSecs(5 * i));
            QCOMPARE(d.action, Action::None);
            QVERIFY2(d.summary.contains(QLatin1String("no condition decides for ML off")), qPrintable(d.summary));
        }
        QCOMPARE(m.severeStreak, 0);

        // Both halving conditions of a regression deployment advisory, "all".
        rules.rollbackCombination = mode(Mode::Any);
        rules.halveCombination = mode(Mode::All, 1, {QStringLiteral("max_latency_p95_ms"), QStringLiteral("max_mae")});
        QVERIFY2(rules.validate(false).contains(QLatin1String("never halve")), qPrintable(rules.validate(false)));
        QVERIFY(rules.validate(true).isEmpty()); // a classifier still has accuracy and log-loss
        GuardMemory h;
        for (int i = 0; i < 4; ++i)
            QCOMPARE(
                GuardStateMachine::evaluate(rules, h, guardWindow(0.01, 300, 1.5), true, now.addSecs(5 * i)).action,
                Action::None);
        QCOMPARE(h.degradedStreak, 0);
    }

    // Each action's combination is checked against the conditions of the deployment's task: a
    // regression deployment has one rollback condition and two halving ones.
    void guardCombinationsCheckedAgainstTheTask()
    {
        GuardRules rules;
        rules.rollbackCombination = mode(Mode::AtLeast, 2); // would never turn ML off on a regression deployment
        QVERIFY2(rules.validate(false).contains(QLatin1String("only 1 condition(s) decide here (rollback_error_rate)")),
                 qPrintable(rules.validate(false)));
        QVERIFY(rules.validate(true).isEmpty());
        QVERIFY(rules.validate().isEmpty()); // without the task: one task can meet it

        rules.rollbackCombination = mode(Mode::Any, 1, {QStringLiteral("rollback_error_rate")});
        QVERIFY2(rules.validate(false).contains(QLatin1String("no condition decides")),
                 qPrintable(rules.validate(false)));

        rules.rollbackCombination = mode(Mode::Any);
        rules.halveCombination = mode(Mode::AtLeast, 3);
        QVERIFY(!rules.validate(false).isEmpty());
        QVERIFY(rules.validate(true).isEmpty());
        // Advisory names count once.
        rules.halveCombination = mode(Mode::AtLeast, 2, {QStringLiteral("max_mae"), QStringLiteral("max_mae")});
        QVERIFY2(rules.validate(false).contains(QLatin1String("only 1 condition(s)")),
                 qPrintable(rules.validate(false)));
        rules.halveCombination.atLeast = 1;
        QVERIFY(rules.validate(false).isEmpty());
    }

    // A stored combination the guard cannot read does not stop it: the default (any) applies, and
    // the summary says so.
    void unreadableStoredCombinationFallsBack()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 1;
        rules.readConditionSettings(QJsonObject{{QStringLiteral("mode"), QStringLiteral("most")}},
                                    QJsonObject{{QStringLiteral("mode"), QStringLiteral("at_least")}}, {});
        QCOMPARE(rules.rollbackCombination.mode, Mode::Any);
        QCOMPARE(rules.halveCombination.mode, Mode::Any);
        QVERIFY(rules.settingsProblem.contains(QLatin1String("most")));
        GuardMemory m;
        const GuardDecision d =
            GuardStateMachine::evaluate(rules, m, guardWindow(0.5, 300, 1.5), true, QDateTime::currentDateTimeUtc());
        QCOMPARE(d.action, Action::Rollback);
        QVERIFY2(d.summary.contains(QLatin1String("stored rules: the ML off combination cannot be read")),
                 qPrintable(d.summary));
        GuardRules fine;
        fine.readConditionSettings({}, {}, {});
        QVERIFY(fine.settingsProblem.isEmpty());
    }

    // A plan's combination is checked against the gates of the deployment's task (and the optional
    // gates actually set); "at least N" above them is refused with the gates that decide.
    void planCombinationCheckedAgainstTheTask()
    {
        StagedPlan p;
        p.combination = mode(Mode::AtLeast, 5); // a regression plan has 4 deciding gates
        const Status regression = plan::validate(p, false);
        QVERIFY(!regression);
        QVERIFY2(regression.errorMessage().contains(QLatin1String("only 4 condition(s) decide here (max_mae, min_r2, "
                                                                  "max_latency_p95_ms, max_error_rate)")),
                 qPrintable(regression.errorMessage()));
        QVERIFY(!plan::validate(p)); // neither task has 5
        p.gates.maxEstimatedMae = 3.0;
        QVERIFY(plan::validate(p, false));
        QVERIFY(!plan::validate(p, true)); // a classifier: accuracy, latency, error rate
        p.gates.minF1 = 0.5;
        p.gates.maxEce = 0.1;
        QVERIFY(plan::validate(p, true));
        // Advisory names count once; "any" with every gate advisory is refused.
        p = StagedPlan{};
        p.combination = mode(Mode::AtLeast, 4, {QStringLiteral("min_r2"), QStringLiteral("min_r2")});
        QVERIFY(!plan::validate(p, false));
        p.combination.atLeast = 3;
        QVERIFY(plan::validate(p, false));
        p.combination = mode(Mode::Any, 1, plan::presentGates(p.gates, false));
        QVERIFY(!plan::validate(p, false));
        p.combination.mode = Mode::All; // "all" of none: only samples and soak decide, allowed
        QVERIFY(plan::validate(p, false));
        // A step's own combination too.
        p = StagedPlan{};
        p.stepCombinations.insert(50, mode(Mode::AtLeast, 4));
        QVERIFY(plan::validate(p, false));
        QVERIFY(plan::validate(p, true).errorMessage().contains(QLatin1String("Step 50 %")));
    }

    // A quality gate waits for minLabelled labelled predictions (a plan stored before combined gates
    // holds 1: judged from the first, as it was); unset, as many as the minimum samples. Past a day
    // the wait says that the window is the last 24 h.
    void qualityGatesWaitForMinLabelled()
    {
        PlanGates g;
        WindowMetrics m = good();
        m.labelled = 3;
        GateStatus mae = plan::evaluateGates(g, m, 3600).at(2);
        QCOMPARE(mae.name, QStringLiteral("max_mae"));
        QCOMPARE(mae.state, I);
        QCOMPARE(mae.waiting, QStringLiteral("3 of 200 labelled predictions"));
        QCOMPARE(plan::evaluateGates(g, m, 2 * 86400).at(2).waiting,
                 QStringLiteral("3 of 200 labelled predictions in the last 24 h"));
        g.minLabelled = 1;
        mae = plan::evaluateGates(g, m, 3600).at(2);
        QCOMPARE(mae.state, P);
        StagedPlan p;
        p.gates.minLabelled = 0;
        QVERIFY(!plan::validate(p));
    }

    // An advisory guard condition is reported and never acted on.
    void guardAdvisory()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 1;
        rules.halveCombination.advisory = {QStringLiteral("max_latency_p95_ms")};
        QVERIFY(rules.validate().isEmpty());
        GuardMemory m;
        const GuardDecision d =
            GuardStateMachine::evaluate(rules, m, guardWindow(0.01, 3000, 1.5), true, QDateTime::currentDateTimeUtc());
        QCOMPARE(d.action, Action::None);
        QCOMPARE(d.advisories.size(), 1);
        QVERIFY2(d.summary.contains(QLatin1String("advisory, not acted on: latency p95 3000 ms > 1000 ms")),
                 qPrintable(d.summary));
        rules.halveCombination.advisory = {QStringLiteral("rollback_error_rate")}; // not a halving condition
        QVERIFY(!rules.validate().isEmpty());
    }

    // MAE fires above 2.5 and resolves at 2.0 after 60 s: a value oscillating between the two keeps
    // the breach streak counting (one action, no reset), and the streak ends only once the value has
    // been at or below 2.0 for the keep-firing time. The state survives a round trip through JSON
    // (guard_state.conditions).
    void guardHysteresis()
    {
        GuardRules rules;
        rules.consecutiveBreaches = 4;
        rules.hysteresis.insert(QStringLiteral("max_mae"), {2.0, 60});
        QVERIFY(rules.validate().isEmpty());
        QDateTime now = QDateTime(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);
        GuardMemory m;
        const QList<double> oscillating{2.7, 2.3, 2.6, 2.2};
        GuardDecision d;
        for (double mae : oscillating) {
            now = now.addSecs(5);
            d = GuardStateMachine::evaluate(rules, m, guardWindow(0.01, 100, mae), true, now);
            m.conditions = GuardMemory::conditionsFromJson(m.conditionsJson()); // as the store keeps it
        }
        QCOMPARE(d.action, Action::Halve); // 4 in a row although two of the values were below 2.5
        GuardStateMachine::latch(m, d.action, d.summary, now);

        GuardStateMachine::rearm(m);
        QVERIFY(m.conditions.isEmpty());
        // Without hysteresis the same oscillation never reaches 4 in a row.
        GuardRules plain;
        plain.consecutiveBreaches = 4;
        GuardMemory p;
        for (int round = 0; round < 3; ++round)
            for (double mae : oscillating) {
                now = now.addSecs(5);
                QCOMPARE(GuardStateMachine::evaluate(plain, p, guardWindow(0.01, 100, mae), true, now).action,
                         Action::None);
            }

        // Resolving: at or below 2.0 for 60 s ends the streak; before that it keeps counting.
        rules.consecutiveBreaches = 100;
        GuardMemory r;
        now = now.addSecs(5);
        GuardStateMachine::evaluate(rules, r, guardWindow(0.01, 100, 3.0), true, now);
        for (int s = 5; s <= 55; s += 5) {
            d = GuardStateMachine::evaluate(rules, r, guardWindow(0.01, 100, 1.5), true, now.addSecs(s));
            QVERIFY2(d.summary.contains(QLatin1String("resolving")), qPrintable(d.summary));
        }
        QCOMPARE(r.degradedStreak, 12);
        d = GuardStateMachine::evaluate(rules, r, guardWindow(0.01, 100, 1.5), true, now.addSecs(65));
        QCOMPARE(r.degradedStreak, 0);
        QVERIFY2(d.summary.startsWith(QLatin1String("healthy")), qPrintable(d.summary));

        // A resolve threshold on the wrong side is refused.
        rules.hysteresis.insert(QStringLiteral("max_mae"), {3.0, 60});
        QVERIFY(rules.validate().contains(QLatin1String("at or below the firing threshold")));
        rules.hysteresis.clear();
        rules.hysteresis.insert(QStringLiteral("min_accuracy"), {0.5, 0}); // accuracy: resolves above
        QVERIFY(rules.validate().contains(QLatin1String("at or above the firing threshold")));
        rules.hysteresis.clear();
        rules.hysteresis.insert(QStringLiteral("nope"), {});
        QVERIFY(!rules.validate().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestGateSet)
#include "test_gate_set.moc"
