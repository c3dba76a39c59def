#include "core/rollout/Bucketing.h"
#include "core/simulator/ServingPolicy.h"

#include <QtTest>

using namespace mldeck;

namespace {

FlagState flags(bool enabled, int percentage, bool fallback)
{
    FlagState f;
    f.deployment = QStringLiteral("eta");
    f.exists = true;
    f.mlEnabled = enabled;
    f.trafficPercentage = percentage;
    f.fallbackOnError = fallback;
    f.version = 3;
    return f;
}

RideRequest request()
{
    RideDelayGenerator gen(7);
    return gen.next(1'700'000'000'000'000);
}

} // namespace

class TestServingPolicy final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void routingFollowsBucketAndFlags()
    {
        const QString key = QStringLiteral("bk-12345");
        const int b = bucket(QStringLiteral("eta"), key);
        QCOMPARE(ServingPolicy::routesToMl(flags(true, b, true), QStringLiteral("eta"), key), true);
        QCOMPARE(ServingPolicy::routesToMl(flags(true, b - 1, true), QStringLiteral("eta"), key), false);
        QCOMPARE(ServingPolicy::routesToMl(flags(false, 100, true), QStringLiteral("eta"), key), false);
        FlagState invalid = flags(true, 100, true);
        invalid.invalidFields << QStringLiteral("ml_traffic_percentage");
        QCOMPARE(ServingPolicy::routesToMl(invalid, QStringLiteral("eta"), key), false);
        FlagState missing;
        QCOMPARE(ServingPolicy::routesToMl(missing, QStringLiteral("eta"), key), false);
    }

    void heuristicPath()
    {
        ServingPolicy policy(1);
        const RideRequest r = request();
        const PredictionRow row = policy.serve(flags(true, 0, true), QStringLiteral("eta"), r, false, std::nullopt, {},
                                               0, QStringLiteral("mlp@1"), {});
        QCOMPARE(row.path, PredictionPath::Heuristic);
        QVERIFY(row.predicted.has_value());
        QCOMPARE(*row.predicted, heuristicDelay(r.features));
        QVERIFY(row.modelVersion.isEmpty());
        QVERIFY(!row.failed);
        QCOMPARE(row.requestKey, r.requestKey);
        QCOMPARE(row.tsMicros, r.tsMicros);
    }

    void mlPathUsesModelOutput()
    {
        ServingPolicy policy(1);
        const PredictionRow row = policy.serve(flags(true, 100, true), QStringLiteral("eta"), request(), true, 7.25, {},
                                               0.5, QStringLiteral("mlp@1"), {});
        QCOMPARE(row.path, PredictionPath::Ml);
        QCOMPARE(*row.predicted, 7.25);
        QCOMPARE(row.modelVersion, QStringLiteral("mlp@1"));
        QVERIFY(!row.failed);
        QVERIFY(row.latencyMs > 0.5f);
    }

    void modelErrorFallsBackWhenAllowed()
    {
        ServingPolicy policy(1);
        const RideRequest r = request();
        const PredictionRow row = policy.serve(flags(true, 100, true), QStringLiteral("eta"), r, true, std::nullopt,
                                               QStringLiteral("boom"), 0, QStringLiteral("mlp@1"), {});
        QCOMPARE(row.path, PredictionPath::Fallback);
        QVERIFY(row.failed);
        QCOMPARE(row.error, QStringLiteral("boom"));
        QCOMPARE(*row.predicted, heuristicDelay(r.features));
    }

    void modelErrorWithoutFallbackLogsAFailure()
    {
        ServingPolicy policy(1);
        const PredictionRow row = policy.serve(flags(true, 100, false), QStringLiteral("eta"), request(), true,
                                               std::nullopt, QStringLiteral("boom"), 0, QStringLiteral("mlp@1"), {});
        QCOMPARE(row.path, PredictionPath::Ml);
        QVERIFY(row.failed);
        QVERIFY(!row.predicted.has_value());
    }

    void errorScenarioFailsAboutHalf()
    {
        ServingPolicy policy(5);
        ServingPolicy::Conditions c;
        c.errors = true;
        int fallbacks = 0;
        const int n = 4000;
        for (int i = 0; i < n; ++i) {
            const auto row = policy.serve(flags(true, 100, true), QStringLiteral("eta"), request(), true, 5.0, {}, 0,
                                          QStringLiteral("mlp@1"), c);
            fallbacks += row.path == PredictionPath::Fallback ? 1 : 0;
        }
        QVERIFY2(std::abs(fallbacks / double(n) - 0.5) < 0.05, qPrintable(QString::number(fallbacks)));
    }

    void latencyScenarioAddsOverASecond()
    {
        ServingPolicy policy(5);
        ServingPolicy::Conditions c;
        c.latency = true;
        double normal = 0, spiked = 0;
        for (int i = 0; i < 500; ++i) {
            normal += policy
                          .serve(flags(true, 100, true), QStringLiteral("eta"), request(), true, 5.0, {}, 0,
                                 QStringLiteral("m"), {})
                          .latencyMs;
            spiked += policy
                          .serve(flags(true, 100, true), QStringLiteral("eta"), request(), true, 5.0, {}, 0,
                                 QStringLiteral("m"), c)
                          .latencyMs;
        }
        QVERIFY(spiked / 500 - normal / 500 > 1000);
    }

    void degradedScenarioMovesPredictions()
    {
        ServingPolicy policy(5);
        ServingPolicy::Conditions c;
        c.degraded = true;
        double meanAbsChange = 0;
        for (int i = 0; i < 500; ++i) {
            const auto row = policy.serve(flags(true, 100, true), QStringLiteral("eta"), request(), true, 10.0, {}, 0,
                                          QStringLiteral("m"), c);
            meanAbsChange += std::abs(*row.predicted - 10.0) / 500;
        }
        QVERIFY(meanAbsChange > 1.5);
    }

    // A classifier's row: the class the deployment's rule picks, its probability, the vector; the heuristic's
    // vector on its path and on fallback; a failure without fallback logs no class.
    void classifierRowsCarryClassProbabilityAndVector()
    {
        ServingPolicy policy(6);
        ClassSpec spec;
        spec.classes = {QStringLiteral("declined"), QStringLiteral("accepted")};
        spec.decisionThreshold = 0.7;
        const RideRequest r = request();
        const ServingPolicy::Request req{r.tsMicros, r.requestKey, r.features};
        const std::vector<double> model{0.35, 0.65}, rule{0.2, 0.8};
        PredictionRow row = policy.serveClass(flags(true, 100, true), QStringLiteral("accept"), spec, req, true, model,
                                              rule, {}, 0, QStringLiteral("m@1"), {});
        QCOMPARE(row.path, PredictionPath::Ml);
        QCOMPARE(row.predictedClass, std::optional<int>(0)); // 0.65 < 0.7: declined
        QCOMPARE(*row.predicted, double(0.35f));             // as logged
        QCOMPARE(row.probabilities, (std::vector<float>{0.35f, 0.65f}));

        row = policy.serveClass(flags(true, 0, true), QStringLiteral("accept"), spec, req, false, {}, rule, {}, 0,
                                QStringLiteral("m@1"), {});
        QCOMPARE(row.path, PredictionPath::Heuristic);
        QCOMPARE(row.predictedClass, std::optional<int>(1));
        QCOMPARE(*row.predicted, double(0.8f));

        row = policy.serveClass(flags(true, 100, true), QStringLiteral("accept"), spec, req, true, {}, rule,
                                QStringLiteral("boom"), 0, QStringLiteral("m@1"), {});
        QCOMPARE(row.path, PredictionPath::Fallback);
        QVERIFY(row.failed);
        QCOMPARE(row.predictedClass, std::optional<int>(1));

        row = policy.serveClass(flags(true, 100, false), QStringLiteral("accept"), spec, req, true, {}, rule,
                                QStringLiteral("boom"), 0, QStringLiteral("m@1"), {});
        QVERIFY(row.failed);
        QVERIFY(!row.predicted && !row.predictedClass && row.probabilities.empty());

        // Degraded: the model's answer inverted, confidently wrong.
        ServingPolicy::Conditions c;
        c.degraded = true;
        row = policy.serveClass(flags(true, 100, true), QStringLiteral("accept"), spec, req, true, {0.9, 0.1}, rule, {},
                                0, QStringLiteral("m@1"), c);
        QCOMPARE(row.predictedClass, std::optional<int>(1));
        QCOMPARE(*row.predicted, double(0.9f));
    }
};

QTEST_GUILESS_MAIN(TestServingPolicy)
#include "test_serving_policy.moc"
