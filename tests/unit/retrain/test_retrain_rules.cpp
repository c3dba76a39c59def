// The pure rules of retraining: trigger boundaries (99/100 feedback, 19/20 negative, 70 % exactly is not
// below), extra triggers listed but not counted when switched off, the decision rule's boundaries
// (MAE and log-loss 2 % better, accuracy 2 points higher, an interval touching 0), and the settings'
// JSON round trip and refusals.
#include "core/services/retrain/RetrainRunner.h"

#include <QJsonObject>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::retrain;

namespace {

const TriggerCondition *condition(const TriggerCheck &c, const char *key)
{
    for (const auto &k : c.conditions)
        if (k.key == QLatin1String(key))
            return &k;
    return nullptr;
}

stats::DifferenceInterval interval(double champion, double candidate, double low, double high)
{
    stats::DifferenceInterval d;
    d.valueA = champion;
    d.valueB = candidate;
    d.difference = candidate - champion;
    d.relative = (candidate - champion) / champion;
    d.low = low;
    d.high = high;
    d.resamples = 1000;
    return d;
}

} // namespace

class TestRetrainRules : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void feedbackBoundaries_data()
    {
        QTest::addColumn<qint64>("count");
        QTest::addColumn<qint64>("negative");
        QTest::addColumn<bool>("due");
        QTest::addColumn<bool>("countMet");
        QTest::addColumn<bool>("negativeMet");
        QTest::addColumn<bool>("satisfactionMet");
        // 100 items, 31 negative: satisfaction 69 % < 70 %.
        QTest::newRow("100 items, 31 negative: due") << qint64(100) << qint64(31) << true << true << true << true;
        QTest::newRow("99 items: not due") << qint64(99) << qint64(31) << false << false << true << true;
        // 70 % exactly is NOT below 70 %.
        QTest::newRow("70 % exactly: not due") << qint64(100) << qint64(30) << false << true << true << false;
        QTest::newRow("20 negative of 67 (70.1 %): not due")
            << qint64(67) << qint64(20) << false << false << true << false;
        // 20 negative is enough, 19 is not (200 items of which 19/20 negative: satisfaction high, so use 60).
        QTest::newRow("20 negative of 100 satisfaction 80 %: not due")
            << qint64(100) << qint64(20) << false << true << true << false;
        QTest::newRow("no feedback at all") << qint64(0) << qint64(0) << false << false << false << false;
    }
    void feedbackBoundaries()
    {
        QFETCH(qint64, count);
        QFETCH(qint64, negative);
        QFETCH(bool, due);
        QFETCH(bool, countMet);
        QFETCH(bool, negativeMet);
        QFETCH(bool, satisfactionMet);
        TriggerInputs in;
        in.feedbackCount = count;
        in.negativeCount = negative;
        const TriggerCheck c = evaluateTriggers(QStringLiteral("eta"), in, RetrainSettings{});
        QCOMPARE(c.due, due);
        QCOMPARE(condition(c, "feedback_count")->met, countMet);
        QCOMPARE(condition(c, "negative_count")->met, negativeMet);
        QCOMPARE(condition(c, "satisfaction")->met, satisfactionMet);
        QCOMPARE(condition(c, "feedback_count")->value, std::optional<double>(double(count)));
        QCOMPARE(condition(c, "feedback_count")->threshold, std::optional<double>(100.0));
        QVERIFY(!c.reason.isEmpty());
        QCOMPARE(c.reason.startsWith(QLatin1String("Due")), due);
    }

    void negativeBoundary()
    {
        // Lower the satisfaction threshold so that only the negative count decides.
        RetrainSettings s;
        s.satisfactionBelow = 0.99;
        TriggerInputs in;
        in.feedbackCount = 100;
        in.negativeCount = 19;
        QVERIFY(!evaluateTriggers(QStringLiteral("eta"), in, s).due);
        QVERIFY(!condition(evaluateTriggers(QStringLiteral("eta"), in, s), "negative_count")->met);
        in.negativeCount = 20;
        QVERIFY(evaluateTriggers(QStringLiteral("eta"), in, s).due);
        QCOMPARE(triggerFor(evaluateTriggers(QStringLiteral("eta"), in, s)), QStringLiteral("feedback"));
    }

    void extrasListedNotCountedWhenOff()
    {
        TriggerInputs in;
        in.driftAlertFiring = true;
        in.mae = 3.0;
        in.maeTarget = 2.5;
        RetrainSettings s; // extras off by default
        TriggerCheck c = evaluateTriggers(QStringLiteral("eta"), in, s);
        QCOMPARE(c.conditions.size(), 5);
        QVERIFY(!c.due);
        QVERIFY(!condition(c, "drift_alert")->enabled);
        QVERIFY(condition(c, "drift_alert")->met); // the value is shown ...
        QVERIFY(!condition(c, "mae_above_target")->enabled);
        QCOMPARE(condition(c, "mae_above_target")->value, std::optional<double>(3.0));
        QCOMPARE(condition(c, "mae_above_target")->threshold, std::optional<double>(2.5));

        s.onDriftAlert = true; // ... and counts once switched on
        c = evaluateTriggers(QStringLiteral("eta"), in, s);
        QVERIFY(c.due);
        QCOMPARE(triggerFor(c), QStringLiteral("drift"));

        s.onDriftAlert = false;
        s.onMaeAboveTarget = true;
        c = evaluateTriggers(QStringLiteral("eta"), in, s);
        QVERIFY(c.due);
        QCOMPARE(triggerFor(c), QStringLiteral("performance"));
        in.mae = 2.5; // equal to the target is not above it
        QVERIFY(!evaluateTriggers(QStringLiteral("eta"), in, s).due);
        in.mae.reset(); // unknown MAE never triggers
        QVERIFY(!evaluateTriggers(QStringLiteral("eta"), in, s).due);
    }

    // A classifier's performance trigger: accuracy strictly below the target, under the same setting.
    void classifierAccuracyBelowTarget()
    {
        TriggerInputs in;
        in.classifier = true;
        in.accuracy = 0.85;
        in.accuracyTarget = 0.90;
        RetrainSettings s;
        TriggerCheck c = evaluateTriggers(QStringLiteral("accept"), in, s);
        QCOMPARE(c.conditions.size(), 5);
        QVERIFY(!condition(c, "mae_above_target"));
        QVERIFY(!condition(c, "accuracy_below_target")->enabled);
        QVERIFY(!c.due);
        s.onMaeAboveTarget = true;
        c = evaluateTriggers(QStringLiteral("accept"), in, s);
        QVERIFY(c.due);
        QCOMPARE(triggerFor(c), QStringLiteral("performance"));
        QVERIFY2(c.reason.contains(QLatin1String("accuracy of the window (85.0 %)")), qPrintable(c.reason));
        in.accuracy = 0.90; // equal to the target is not below it
        QVERIFY(!evaluateTriggers(QStringLiteral("accept"), in, s).due);
        in.accuracy.reset(); // no labels: never triggers
        c = evaluateTriggers(QStringLiteral("accept"), in, s);
        QVERIFY(!c.due);
        QVERIFY2(c.reason.contains(QLatin1String("no labels")), qPrintable(c.reason));
    }

    // Nothing to compute from: no feedback has no satisfaction (not 100 %), no outcomes no MAE (not 0).
    void emptyInputsHaveNoFigures()
    {
        RetrainSettings s;
        s.onMaeAboveTarget = true;
        TriggerInputs in;
        in.maeTarget = 2.5;
        const TriggerCheck c = evaluateTriggers(QStringLiteral("eta"), in, s);
        QVERIFY(!c.due);
        QCOMPARE(condition(c, "feedback_count")->value, std::optional<double>(0.0)); // a count of nothing is 0
        QVERIFY(!condition(c, "satisfaction")->value.has_value());
        QCOMPARE(condition(c, "satisfaction")->threshold, std::optional<double>(0.70));
        QVERIFY(!condition(c, "satisfaction")->met);
        QVERIFY(!condition(c, "mae_above_target")->value.has_value());
        QCOMPARE(condition(c, "mae_above_target")->threshold, std::optional<double>(2.5));
        QVERIFY(!condition(c, "mae_above_target")->met);
        QVERIFY2(c.reason.contains(QLatin1String("satisfaction: no data")), qPrintable(c.reason));
        QVERIFY2(c.reason.contains(QLatin1String("MAE of the window: no data")), qPrintable(c.reason));
        QVERIFY2(!c.reason.contains(QLatin1String("100.0 %")), qPrintable(c.reason));

        in.feedbackCount = 10; // all positive: a real 100 %
        QCOMPARE(condition(evaluateTriggers(QStringLiteral("eta"), in, s), "satisfaction")->value,
                 std::optional<double>(1.0));
    }

    void decisionBoundaries_data()
    {
        QTest::addColumn<double>("champion");
        QTest::addColumn<double>("candidate");
        QTest::addColumn<double>("low");
        QTest::addColumn<double>("high");
        QTest::addColumn<bool>("promote");
        QTest::newRow("2 % better, interval below 0") << 2.0 << 1.96 << -0.06 << -0.01 << true;
        QTest::newRow("1.99 % better") << 2.0 << 1.9602 << -0.06 << -0.01 << false;
        QTest::newRow("10 % better, interval touches 0") << 2.0 << 1.8 << -0.3 << 0.0 << false;
        QTest::newRow("10 % better, interval crosses 0") << 2.0 << 1.8 << -0.3 << 0.05 << false;
        QTest::newRow("10 % better, interval just below 0") << 2.0 << 1.8 << -0.3 << -1e-6 << true;
        QTest::newRow("worse") << 2.0 << 2.2 << 0.1 << 0.3 << false;
        QTest::newRow("equal") << 2.0 << 2.0 << -0.1 << 0.1 << false;
    }
    void decisionBoundaries()
    {
        QFETCH(double, champion);
        QFETCH(double, candidate);
        QFETCH(double, low);
        QFETCH(double, high);
        QFETCH(bool, promote);
        const RetrainDecision d = decide(DecisionMetric::Mae, interval(champion, candidate, low, high), 0.02);
        QCOMPARE(d.promote, promote);
        QCOMPARE(d.metric, DecisionMetric::Mae);
        QCOMPARE(d.champion, champion);
        QCOMPARE(d.candidate, candidate);
        QVERIFY(!d.reason.isEmpty());
        QCOMPARE(d.reason.startsWith(QLatin1String("Promote")), promote);
    }

    void decisionSaysWhyNot()
    {
        const auto mae = [](const stats::DifferenceInterval &d, double min) {
            return decide(DecisionMetric::Mae, d, min);
        };
        QVERIFY(mae(interval(2.0, 2.2, 0.1, 0.3), 0.02).reason.contains(QLatin1String("not better")));
        QVERIFY(mae(interval(2.0, 1.99, -0.05, -0.001), 0.02).reason.contains(QLatin1String("at least")));
        QVERIFY(mae(interval(2.0, 1.8, -0.3, 0.0), 0.02).reason.contains(QLatin1String("interval")));
        // A configurable threshold: 10 % better passes a 5 % rule and fails a 15 % rule.
        QVERIFY(mae(interval(2.0, 1.8, -0.3, -0.1), 0.05).promote);
        QVERIFY(!mae(interval(2.0, 1.8, -0.3, -0.1), 0.15).promote);
        // The regression sentences are those of before classifiers.
        QVERIFY(mae(interval(2.0, 2.2, 0.1, 0.3), 0.02)
                    .reason.startsWith(QLatin1String("Do not promote: the candidate's MAE (2.2000) is not better")));
    }

    // Accuracy: higher is better, the minimum improvement is in points (0.02 = 2 percentage points, absolute),
    // and the interval's LOW end must be above 0.
    void accuracyDecisionBoundaries_data()
    {
        QTest::addColumn<double>("champion");
        QTest::addColumn<double>("candidate");
        QTest::addColumn<double>("low");
        QTest::addColumn<double>("high");
        QTest::addColumn<bool>("promote");
        QTest::addColumn<QString>("why");
        QTest::newRow("2 points higher, interval above 0") << 0.88 << 0.90 << 0.005 << 0.035 << true << u"Promote"_qs;
        QTest::newRow("1.9 points higher") << 0.88 << 0.899 << 0.005 << 0.035 << false << u"at least 2.0 points"_qs;
        // 2 % relative of 0.88 would be 1.76 points: not enough, the rule is absolute.
        QTest::newRow("2 % relative is not 2 points") << 0.88 << 0.8976 << 0.005 << 0.03 << false << u"only"_qs;
        QTest::newRow("5 points, interval touches 0") << 0.80 << 0.85 << 0.0 << 0.1 << false << u"chance"_qs;
        QTest::newRow("5 points, interval crosses 0") << 0.80 << 0.85 << -0.01 << 0.1 << false << u"chance"_qs;
        QTest::newRow("lower") << 0.90 << 0.85 << -0.08 << -0.02 << false << u"not higher"_qs;
        QTest::newRow("equal") << 0.90 << 0.90 << -0.01 << 0.01 << false << u"not higher"_qs;
    }
    void accuracyDecisionBoundaries()
    {
        QFETCH(double, champion);
        QFETCH(double, candidate);
        QFETCH(double, low);
        QFETCH(double, high);
        QFETCH(bool, promote);
        QFETCH(QString, why);
        const RetrainDecision d = decide(DecisionMetric::Accuracy, interval(champion, candidate, low, high), 0.02);
        QCOMPARE(d.promote, promote);
        QCOMPARE(d.metric, DecisionMetric::Accuracy);
        QCOMPARE(d.candidate, candidate);
        QVERIFY2(d.reason.contains(why), qPrintable(d.reason));
        QCOMPARE(d.reason.startsWith(QLatin1String("Promote")), promote);
    }

    // Log-loss: lower is better, relative like the MAE.
    void logLossDecision()
    {
        const auto logLoss = [](const stats::DifferenceInterval &d, double min) {
            return decide(DecisionMetric::LogLoss, d, min);
        };
        QVERIFY(logLoss(interval(0.50, 0.49, -0.02, -0.001), 0.02).promote); // exactly 2 % lower
        QVERIFY(!logLoss(interval(0.50, 0.4901, -0.02, -0.001), 0.02).promote);
        QVERIFY(!logLoss(interval(0.50, 0.40, -0.15, 0.0), 0.02).promote);
        const RetrainDecision worse = logLoss(interval(0.50, 0.55, 0.01, 0.09), 0.02);
        QVERIFY2(worse.reason.contains(QLatin1String("log-loss (0.5500) is not better")), qPrintable(worse.reason));
    }

    void classificationMetricKeys()
    {
        QCOMPARE(metricKey(DecisionMetric::Accuracy), u"accuracy"_qs);
        QCOMPARE(metricKey(DecisionMetric::LogLoss), u"log_loss"_qs);
        QCOMPARE(metricKey(DecisionMetric::Mae), u"mae"_qs);
        QCOMPARE(classificationMetricOf(u"log_loss"_qs), std::optional<DecisionMetric>(DecisionMetric::LogLoss));
        QVERIFY(!classificationMetricOf(u"mae"_qs));                     // not a classifier's metric
        QCOMPARE(RetrainRequest{}.classificationMetric, u"accuracy"_qs); // the default
        QCOMPARE(RetrainSettings{}.classificationMetric, u"accuracy"_qs);
    }

    void settingsRoundTrip()
    {
        RetrainSettings s;
        s.minFeedback = 150;
        s.autoRetrain = true;
        s.satisfactionBelow = 0.6;
        s.feedbackRetentionDays = 90;
        s.classificationMetric = QStringLiteral("log_loss");
        s.imageAugmentation.horizontalFlip = false;
        s.imageAugmentation.maxCrop = 0.05;
        QString error;
        const RetrainSettings back = RetrainSettings::fromJson(s.toJson(), &error);
        QVERIFY(!back.imageAugmentation.horizontalFlip);
        QCOMPARE(back.imageAugmentation.maxCrop, 0.05);
        // The flat form the editor and the CLI edit ("image_augmentation.max_crop") nests back.
        QCOMPARE(s.toFlatJson().value(QStringLiteral("image_augmentation.horizontal_flip")).toBool(true), false);
        QCOMPARE(RetrainSettings::nested(s.toFlatJson()), s.toJson());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(back.classificationMetric, QStringLiteral("log_loss"));
        QCOMPARE(back.minFeedback, qint64(150));
        QVERIFY(back.autoRetrain);
        QCOMPARE(back.satisfactionBelow, 0.6);
        QCOMPARE(back.feedbackRetentionDays, 90);
        // Defaults: the team's procedure.
        const RetrainSettings d = RetrainSettings::fromJson(QJsonObject{}, &error);
        QVERIFY(error.isEmpty());
        QCOMPARE(d.minFeedback, qint64(100));
        QCOMPARE(d.minNegative, qint64(20));
        QCOMPARE(d.satisfactionBelow, 0.70);
        QCOMPARE(d.windowDays, 30);
        QCOMPARE(d.feedbackRetentionDays, 180);
        QVERIFY(!d.autoRetrain);
        QVERIFY(!d.autoPromote);
        QVERIFY(d.imageAugmentation.horizontalFlip); // a new image deployment mirrors (natural photos)
        QCOMPARE(d.imageAugmentation.maxCrop, 0.1);
    }

    void settingsRefused_data()
    {
        QTest::addColumn<QJsonObject>("json");
        QTest::addColumn<QString>("key");
        QTest::newRow("satisfaction above 1")
            << QJsonObject{{QStringLiteral("satisfactionBelow"), 1.5}} << QStringLiteral("satisfactionBelow");
        QTest::newRow("negative count") << QJsonObject{{QStringLiteral("minFeedback"), -1}}
                                        << QStringLiteral("minFeedback");
        QTest::newRow("fractional days") << QJsonObject{{QStringLiteral("windowDays"), 2.5}}
                                         << QStringLiteral("windowDays");
        QTest::newRow("text flag") << QJsonObject{{QStringLiteral("autoRetrain"), QStringLiteral("yes")}}
                                   << QStringLiteral("autoRetrain");
        QTest::newRow("zero retention") << QJsonObject{{QStringLiteral("feedbackRetentionDays"), 0}}
                                        << QStringLiteral("feedbackRetentionDays");
        QTest::newRow("unknown metric") << QJsonObject{{QStringLiteral("classificationMetric"), QStringLiteral("f1")}}
                                        << QStringLiteral("classificationMetric");
        QTest::newRow("flip as text") << QJsonObject{{QStringLiteral("image_augmentation"),
                                                      QJsonObject{
                                                          {QStringLiteral("horizontal_flip"), QStringLiteral("no")}}}}
                                      << QStringLiteral("horizontal_flip");
        QTest::newRow("crop beyond half")
            << QJsonObject{{QStringLiteral("image_augmentation"), QJsonObject{{QStringLiteral("max_crop"), 0.7}}}}
            << QStringLiteral("largest crop");
        QTest::newRow("augmentation not an object")
            << QJsonObject{{QStringLiteral("image_augmentation"), true}} << QStringLiteral("image_augmentation");
        QTest::newRow("metric as number")
            << QJsonObject{{QStringLiteral("classificationMetric"), 1}} << QStringLiteral("classificationMetric");
    }
    void settingsRefused()
    {
        QFETCH(QJsonObject, json);
        QFETCH(QString, key);
        QString error;
        const RetrainSettings s = RetrainSettings::fromJson(json, &error);
        QVERIFY(error.contains(key));
        QCOMPARE(s.minFeedback, qint64(100)); // nothing half-applied
    }

    void runJson()
    {
        RetrainRun r;
        r.id = 7;
        r.state = QStringLiteral("succeeded");
        r.startedAt = QDateTime::fromMSecsSinceEpoch(1'000'000, Qt::UTC);
        r.finishedAt = QDateTime::fromMSecsSinceEpoch(1'012'500, Qt::UTC);
        QCOMPARE(r.durationSeconds(), std::optional<double>(12.5));
        const QJsonObject o = r.toJson();
        QCOMPARE(o.value(QStringLiteral("id")).toInt(), 7);
        QCOMPARE(o.value(QStringLiteral("duration_s")).toDouble(), 12.5);
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("succeeded"));

        RetrainRun queued; // never started: no duration, not 0 s
        QVERIFY(!queued.durationSeconds());
        QVERIFY(queued.toJson().value(QStringLiteral("duration_s")).isNull());
    }
};

QTEST_GUILESS_MAIN(TestRetrainRules)
#include "test_retrain_rules.moc"
