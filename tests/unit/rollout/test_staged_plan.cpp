// Staged plans: validation refusals, step parsing, gate evaluation, status and next step;
// the what-if arithmetic; the audit spool's durability and idempotent flush.
#include "core/rollout/AuditSpool.h"
#include "core/rollout/Bucketing.h"
#include "core/rollout/StagedPlan.h"
#include "core/rollout/WhatIf.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;

namespace {

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

} // namespace

class TestStagedPlan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultPlanIsValid()
    {
        StagedPlan p;
        QCOMPARE(p.steps, (QList<int>{10, 25, 50, 100}));
        QVERIFY(plan::validate(p));
    }

    void refusals_data()
    {
        QTest::addColumn<QList<int>>("steps");
        QTest::addColumn<QString>("words");
        QTest::addRow("empty") << QList<int>{} << QStringLiteral("at least one step");
        QTest::addRow("not increasing") << QList<int>{10, 50, 25} << QStringLiteral("strictly increasing");
        QTest::addRow("repeated") << QList<int>{10, 10} << QStringLiteral("strictly increasing");
        QTest::addRow("over 100") << QList<int>{50, 150} << QStringLiteral("from 1 to 100");
        QTest::addRow("zero") << QList<int>{0, 10} << QStringLiteral("from 1 to 100");
    }

    void refusals()
    {
        QFETCH(QList<int>, steps);
        QFETCH(QString, words);
        StagedPlan p;
        p.steps = steps;
        const Status s = plan::validate(p);
        QVERIFY(!s);
        QVERIFY2(s.errorMessage().contains(words), qPrintable(s.errorMessage()));
    }

    void gateRefusals()
    {
        StagedPlan p;
        p.gates.maxErrorRate = 1.5;
        QVERIFY(!plan::validate(p));
        p = StagedPlan{};
        p.gates.minR2 = 2;
        QVERIFY(!plan::validate(p));
        p = StagedPlan{};
        p.gates.maxMae = -1;
        QVERIFY(!plan::validate(p));
        p = StagedPlan{};
        p.gates.minSamples = -5;
        QVERIFY(!plan::validate(p));
    }

    void parseSteps()
    {
        auto ok = plan::parseSteps(QStringLiteral("5, 20,60,100"));
        QVERIFY(ok);
        QCOMPARE(*ok, (QList<int>{5, 20, 60, 100}));
        QVERIFY(!plan::parseSteps(QStringLiteral("10,abc")));
        QVERIFY(!plan::parseSteps(QStringLiteral("")));
        QVERIFY(!plan::parseSteps(QStringLiteral("50,25")));
    }

    void gatesEvaluateEachFigure()
    {
        PlanGates g;
        auto all = plan::evaluateGates(g, good(), 3600);
        QCOMPARE(all.size(), 6);
        for (const GateStatus &s : all)
            QVERIFY2(s.pass, qPrintable(s.name));

        WindowMetrics bad = good();
        bad.mae = 2.6;
        bad.r2.reset(); // no outcomes yet: fails, never passes by default
        auto gates = plan::evaluateGates(g, bad, 60);
        QHash<QString, GateStatus> byName;
        for (const GateStatus &s : gates)
            byName.insert(s.name, s);
        QVERIFY(!byName.value(QLatin1String(plan::kGateMae)).pass);
        QCOMPARE(*byName.value(QLatin1String(plan::kGateMae)).value, 2.6);
        QCOMPARE(byName.value(QLatin1String(plan::kGateMae)).threshold, 2.5);
        QVERIFY(!byName.value(QLatin1String(plan::kGateR2)).pass);
        QVERIFY(!byName.value(QLatin1String(plan::kGateR2)).value);
        QVERIFY(!byName.value(QLatin1String(plan::kGateSoak)).pass); // 60 s < 15 min
        QVERIFY(byName.value(QLatin1String(plan::kGateLatency)).pass);
    }

    // A classifier's window is gated on accuracy (and the optional F1, log-loss, ECE) in place of MAE and R².
    void classifierGates()
    {
        PlanGates g;
        WindowMetrics m = good();
        m.classifier = true;
        m.mae.reset();
        m.r2.reset();
        m.accuracy = 0.93;
        m.f1 = 0.7;
        m.logLoss = 0.25;
        m.ece = 0.03;
        QStringList names;
        for (const GateStatus &s : plan::evaluateGates(g, m, 3600))
            names << s.name;
        QCOMPARE(names, (QStringList{QStringLiteral("min_samples"), QStringLiteral("min_soak_s"),
                                     QStringLiteral("min_accuracy"), QStringLiteral("max_latency_p95_ms"),
                                     QStringLiteral("max_error_rate")}));
        g.minF1 = 0.8;
        g.maxLogLoss = 0.3;
        g.maxEce = 0.05;
        const auto all = plan::evaluateGates(g, m, 3600);
        QCOMPARE(all.size(), 8);
        QCOMPARE(all[2].name, QStringLiteral("min_accuracy"));
        QVERIFY(all[2].pass);
        QCOMPARE(all[3].name, QStringLiteral("min_f1"));
        QVERIFY(!all[3].pass); // 0.7 < 0.8
        QVERIFY(all[4].pass && all[5].pass);
        m.accuracy.reset(); // no labels yet: no data is not good data
        QVERIFY(!plan::evaluateGates(g, m, 3600)[2].pass);

        StagedPlan p;
        p.gates.minAccuracy = 90; // a percentage where a share belongs
        QVERIFY(!plan::validate(p));
        p.gates.minAccuracy = 0.9;
        p.gates.maxLogLoss = 0;
        QVERIFY(!plan::validate(p));
        p.gates.maxLogLoss.reset();
        p.gates.maxEce = 1.5;
        QVERIFY(!plan::validate(p));
        p.gates.maxEce = 0.05;
        QVERIFY(plan::validate(p));
    }

    void statusAndNextStep()
    {
        StagedPlan p;
        const QDateTime now = QDateTime::currentDateTimeUtc();
        auto notStarted = plan::status(p, -1, {}, WindowMetrics{}, now);
        QVERIFY(notStarted.canAdvance);
        QVERIFY(notStarted.gates.isEmpty());
        QCOMPARE(*plan::nextStep(p, -1), 0);

        auto soaking = plan::status(p, 1, now.addSecs(-60), good(), now);
        QVERIFY(!soaking.canAdvance); // soak time not reached
        auto ready = plan::status(p, 1, now.addSecs(-3600), good(), now);
        QVERIFY(ready.canAdvance);
        QCOMPARE(*plan::nextStep(p, 1), 2);

        auto last = plan::status(p, 3, now.addSecs(-3600), good(), now);
        QVERIFY(!last.canAdvance);
        QVERIFY(!plan::nextStep(p, 3));
    }

    void whatIfArithmetic()
    {
        QStringList keys;
        for (int i = 0; i < 20000; ++i)
            keys << QStringLiteral("k%1").arg(i);
        FlagState now;
        now.deployment = QStringLiteral("eta");
        now.exists = true;
        now.mlEnabled = true;
        now.trafficPercentage = 10;
        now.version = 3;
        const WhatIf w = computeWhatIf(QStringLiteral("eta"), keys, now, 25, 2.0, 3.0);
        QCOMPARE(w.keys, qint64(20000));
        QVERIFY(w.mlShare.has_value());
        QVERIFY2(qAbs(*w.mlShare - 0.25) < 0.015, qPrintable(QString::number(*w.mlShare)));
        // Raising never moves a key out, so exactly the keys in buckets 11..25 switch.
        qint64 expected = 0;
        for (const QString &k : keys) {
            const int b = bucket(QStringLiteral("eta"), k);
            expected += b > 10 && b <= 25;
        }
        QCOMPARE(w.switching, expected);
        QVERIFY(w.projectedMae && w.currentMae);
        QVERIFY(qAbs(*w.projectedMae - (*w.mlShare * 2.0 + (1 - *w.mlShare) * 3.0)) < 1e-9);
        QVERIFY(*w.projectedMae < *w.currentMae);

        const WhatIf noMl = computeWhatIf(QStringLiteral("eta"), keys, now, 25, std::nullopt, 3.0);
        QVERIFY(!noMl.projectedMae); // a mix needs the MAE of every path it uses
        const WhatIf empty = computeWhatIf(QStringLiteral("eta"), {}, now, 25, 2.0, 3.0);
        QCOMPARE(empty.keys, qint64(0));
        QVERIFY(!empty.mlShare); // no keys: no share, not 0 %
        QVERIFY(!empty.projectedMae);
    }

    void spoolIsDurableAndFlushesOnce()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        AuditSpool spool(dir.path() + QStringLiteral("/spool"));
        AuditRecord a = AuditRecord::make(QStringLiteral("flags.rollback"), QStringLiteral("eta"), Actor::current(),
                                          QStringLiteral("test"));
        a.after = QJsonObject{{QStringLiteral("ml_enabled"), 0}};
        AuditRecord b =
            AuditRecord::make(QStringLiteral("flags.rollback"), QStringLiteral("eta"), Actor::current(), {});
        QVERIFY(spool.put(a));
        QVERIFY(spool.put(b));
        QVERIFY(spool.put(a)); // same change id: same file, still one row
        QCOMPARE(spool.pending().size(), 2);
        QVERIFY(QDir(spool.directory()).entryList({QStringLiteral("*.tmp")}, QDir::Files).isEmpty());

        // A failing insert keeps everything.
        auto failed = spool.flush([](const AuditRecord &) -> Status { return Error{QStringLiteral("down")}; });
        QVERIFY(!failed);
        QCOMPARE(spool.pending().size(), 2);

        QList<QUuid> inserted;
        auto ok = spool.flush([&inserted](const AuditRecord &r) -> Status {
            inserted << r.changeId;
            return {};
        });
        QVERIFY(ok);
        QCOMPARE(*ok, 2);
        QCOMPARE(inserted.size(), 2);
        QVERIFY(inserted.contains(a.changeId) && inserted.contains(b.changeId));
        QVERIFY(spool.pending().isEmpty());
        QCOMPARE(*spool.flush([](const AuditRecord &) -> Status { return {}; }), 0);

        // Round trip of every field.
        auto back = AuditRecord::fromJson(a.toJson());
        QVERIFY(back);
        QCOMPARE(back->changeId, a.changeId);
        QCOMPARE(back->reason, a.reason);
        QCOMPARE(back->after->value(QLatin1String("ml_enabled")).toInt(), 0);
        QVERIFY(!AuditRecord::fromJson(QJsonObject{}));
    }
};

QTEST_GUILESS_MAIN(TestStagedPlan)
#include "test_staged_plan.moc"
