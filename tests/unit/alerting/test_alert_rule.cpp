#include "core/domain/AlertRule.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace mldeck;

class TestAlertRule final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreTheDocumentedRules()
    {
        const QList<AlertRule> rules = AlertRule::defaults();
        QCOMPARE(rules.size(), 6);
        QCOMPARE(rules[0].id, QStringLiteral("failure_rate"));
        QCOMPARE(rules[0].threshold, 0.20);
        QCOMPARE(rules[0].comparison, AlertRule::Comparison::Above);
        QCOMPARE(rules[1].metric, AlertRule::Metric::LatencyP95Ms);
        QCOMPARE(rules[1].threshold, 2000.0);
        QCOMPARE(rules[2].threshold, 2.5);
        QCOMPARE(rules[3].comparison, AlertRule::Comparison::Below);
        QCOMPARE(rules[3].threshold, 0.68);
        QCOMPARE(rules[4].metric, AlertRule::Metric::NoData);
        QCOMPARE(rules[4].windowSeconds, 300);
        QCOMPARE(rules[5].id, QStringLiteral("dependency_fallback"));
        QCOMPARE(rules[5].metric, AlertRule::Metric::DependencyFallback);
        QCOMPARE(rules[5].threshold, 10.0); // minutes in fallback
        QCOMPARE(rules[5].comparison, AlertRule::Comparison::Above);
        QCOMPARE(rules[5].pendingSeconds, 0);
        for (const AlertRule &r : rules) {
            QVERIFY2(r.validate().ok(), qPrintable(r.validate().errorMessage()));
            QCOMPARE(r.windowSeconds, 300);
            QVERIFY(r.enabled);
        }
        QCOMPARE(rules[0].pendingSeconds, 120);
    }

    void breachesIsStrict()
    {
        const AlertRule f = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
        QVERIFY(!f.breaches(0.20)); // at the threshold: not above it
        QVERIFY(f.breaches(0.2000001));
        QVERIFY(!f.breaches(std::numeric_limits<double>::quiet_NaN()));
        const AlertRule r2 = AlertRule::defaultFor(AlertRule::Metric::R2);
        QVERIFY(!r2.breaches(0.68));
        QVERIFY(r2.breaches(0.679));
        QVERIFY(r2.breaches(-3.0));
        const AlertRule none = AlertRule::defaultFor(AlertRule::Metric::NoData);
        QVERIFY(none.breaches(0));
        QVERIFY(!none.breaches(1));
        const AlertRule dep = AlertRule::defaultFor(AlertRule::Metric::DependencyFallback);
        QVERIFY(!dep.breaches(10.0));
        QVERIFY(dep.breaches(10.5));
        QVERIFY(!dep.breaches(0));
        QCOMPARE(dep.describe(), QStringLiteral("a backend dependency in fallback for more than 10 min"));
    }

    void jsonRoundTrip()
    {
        for (AlertRule r : AlertRule::defaults()) {
            r.threshold += 0.01;
            r.windowSeconds = 600;
            r.pendingSeconds = 30;
            r.severity = QStringLiteral("info");
            r.enabled = false;
            const auto back = AlertRule::fromJson(r.toJson());
            QVERIFY2(back.ok(), qPrintable(back.errorMessage()));
            QCOMPARE(*back, r);
        }
        const auto list = alertRulesFromJson(alertRulesToJson(AlertRule::defaults()));
        QVERIFY(list.ok());
        QCOMPARE(*list, AlertRule::defaults());
    }

    void missingKeysTakeTheMetricsDefaults()
    {
        const auto r = AlertRule::fromJson({{QStringLiteral("metric"), QStringLiteral("r2")}});
        QVERIFY(r.ok());
        QCOMPARE(*r, AlertRule::defaultFor(AlertRule::Metric::R2));
    }

    void badValuesAreRefused_data()
    {
        QTest::addColumn<QJsonObject>("json");
        QTest::addColumn<QString>("needle");
        const QString m = QStringLiteral("metric");
        QTest::newRow("unknown metric") << QJsonObject{{m, QStringLiteral("cpu")}}
                                        << QStringLiteral("Unknown alert rule metric");
        QTest::newRow("no metric") << QJsonObject{} << QStringLiteral("Unknown alert rule metric");
        QTest::newRow("unknown key") << QJsonObject{{m, QStringLiteral("mae")}, {QStringLiteral("thresold"), 2}}
                                     << QStringLiteral("thresold");
        QTest::newRow("rate above 1") << QJsonObject{{m, QStringLiteral("failure_rate")},
                                                     {QStringLiteral("threshold"), 20}}
                                      << QStringLiteral("between 0 and 1");
        QTest::newRow("negative mae") << QJsonObject{{m, QStringLiteral("mae")}, {QStringLiteral("threshold"), -1}}
                                      << QStringLiteral("negative");
        QTest::newRow("r2 above 1") << QJsonObject{{m, QStringLiteral("r2")}, {QStringLiteral("threshold"), 1.5}}
                                    << QStringLiteral("at most 1");
        QTest::newRow("threshold text") << QJsonObject{{m, QStringLiteral("mae")},
                                                       {QStringLiteral("threshold"), QStringLiteral("2")}}
                                        << QStringLiteral("must be a number");
        QTest::newRow("window too short")
            << QJsonObject{{m, QStringLiteral("mae")}, {QStringLiteral("window_seconds"), 10}}
            << QStringLiteral("window must be between");
        QTest::newRow("fractional for") << QJsonObject{{m, QStringLiteral("mae")}, {QStringLiteral("for_seconds"), 1.5}}
                                        << QStringLiteral("whole number");
        QTest::newRow("negative for") << QJsonObject{{m, QStringLiteral("mae")}, {QStringLiteral("for_seconds"), -5}}
                                      << QStringLiteral("pending period");
        QTest::newRow("bad severity") << QJsonObject{{m, QStringLiteral("mae")},
                                                     {QStringLiteral("severity"), QStringLiteral("page")}}
                                      << QStringLiteral("severity");
        QTest::newRow("bad id") << QJsonObject{{m, QStringLiteral("mae")},
                                               {QStringLiteral("id"), QStringLiteral("My Rule")}}
                                << QStringLiteral("Rule id");
        QTest::newRow("bad comparison") << QJsonObject{{m, QStringLiteral("mae")},
                                                       {QStringLiteral("comparison"), QStringLiteral(">=")}}
                                        << QStringLiteral("comparison");
        QTest::newRow("enabled as text") << QJsonObject{{m, QStringLiteral("mae")},
                                                        {QStringLiteral("enabled"), QStringLiteral("yes")}}
                                         << QStringLiteral("enabled");
    }
    void badValuesAreRefused()
    {
        QFETCH(QJsonObject, json);
        QFETCH(QString, needle);
        const auto r = AlertRule::fromJson(json);
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(needle), qPrintable(r.errorMessage()));
    }

    // Each problem names its field, so that an editor shows it next to that field; validate() names the rule.
    void problemsNameTheirField()
    {
        AlertRule r = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
        QVERIFY(r.problems().isEmpty());
        r.id = QStringLiteral("Bad Id");
        r.threshold = 20;
        r.windowSeconds = 10;
        r.pendingSeconds = -1;
        r.severity = QStringLiteral("page");
        const QList<AlertRule::Problem> all = r.problems();
        QCOMPARE(all.size(), 5);
        QCOMPARE(all[0].field, AlertRule::Field::Id);
        QCOMPARE(all[1].field, AlertRule::Field::Threshold);
        QVERIFY2(all[1].message.contains(QStringLiteral("between 0 and 1")), qPrintable(all[1].message));
        QCOMPARE(all[2].field, AlertRule::Field::Window);
        QCOMPARE(all[3].field, AlertRule::Field::Pending);
        QCOMPARE(all[4].field, AlertRule::Field::Severity);
        QCOMPARE(r.validate().errorMessage(), all[0].message);
        r.id = QStringLiteral("ok");
        QCOMPARE(r.validate().errorMessage(), QStringLiteral("Rule ok: ") + all[1].message);
        // The threshold's range depends on the metric.
        AlertRule r2 = AlertRule::defaultFor(AlertRule::Metric::R2);
        r2.threshold = 1.5;
        QCOMPARE(r2.problems().size(), 1);
        QCOMPARE(r2.problems()[0].field, AlertRule::Field::Threshold);
        r2.threshold = -3;
        QVERIFY(r2.problems().isEmpty());
        QVERIFY(AlertRule::defaultWithId(QStringLiteral("mae")).has_value());
        QVERIFY(!AlertRule::defaultWithId(QStringLiteral("mae_fast")).has_value());
    }

    void duplicateIdsAreRefused()
    {
        QJsonArray a{AlertRule::defaultFor(AlertRule::Metric::Mae).toJson(),
                     AlertRule::defaultFor(AlertRule::Metric::Mae).toJson()};
        const auto r = alertRulesFromJson(a);
        QVERIFY(!r.ok());
        QVERIFY(r.errorMessage().contains(QStringLiteral("twice")));
        QVERIFY(!alertRulesFromJson(QJsonArray{42}).ok());
    }

    void webhookUrls()
    {
        QVERIFY(WebhookSettings::validateUrl(QStringLiteral("https://hooks.slack.com/services/T/B/x")).ok());
        QVERIFY(WebhookSettings::validateUrl(QStringLiteral("http://127.0.0.1:8080/hook")).ok());
        QVERIFY(!WebhookSettings::validateUrl(QStringLiteral("ftp://example.com/")).ok());
        QVERIFY(!WebhookSettings::validateUrl(QStringLiteral("not a url")).ok());
        QVERIFY(!WebhookSettings::validateUrl(QString()).ok());
    }

    void describeReadsWell()
    {
        QCOMPARE(AlertRule::defaultFor(AlertRule::Metric::FailureRate).describe(),
                 QStringLiteral("failure rate > 20.0 % over 300 s for 120 s"));
        QCOMPARE(AlertRule::defaultFor(AlertRule::Metric::NoData).describe(),
                 QStringLiteral("no predictions in 300 s"));
    }

    // A classifier's rules: accuracy in place of MAE and R², each metric's range, only its task's metrics.
    void classificationMetrics()
    {
        const QList<AlertRule> rules = AlertRule::defaults(true);
        QCOMPARE(rules.size(), 5);
        QCOMPARE(rules[2].id, QStringLiteral("accuracy"));
        QCOMPARE(rules[2].comparison, AlertRule::Comparison::Below);
        QCOMPARE(rules[2].threshold, 0.90);
        QCOMPARE(rules[2].describe(), QStringLiteral("ML accuracy < 90.0 % over 300 s for 120 s"));
        QVERIFY(AlertRule::defaultWithId(QStringLiteral("accuracy"), true));
        QVERIFY(!AlertRule::defaultWithId(QStringLiteral("accuracy"), false));
        QVERIFY(!AlertRule::defaultWithId(QStringLiteral("mae"), true));
        for (const AlertRule &r : rules)
            QVERIFY(r.checkTask(true));
        QVERIFY(!rules[2].checkTask(false));
        QVERIFY(!AlertRule::defaultFor(AlertRule::Metric::R2).checkTask(true));
        QVERIFY(AlertRule::defaultFor(AlertRule::Metric::R2).checkTask(false));
        QVERIFY(!AlertRule::metricsFor(false).contains(AlertRule::Metric::EstimatedAccuracy));
        QCOMPARE(AlertRule::metricsFor(true).size(), 9);

        for (const char *name : {"accuracy", "f1", "log_loss", "ece", "estimated_accuracy"}) {
            const auto r = AlertRule::fromJson(
                {{QStringLiteral("id"), QLatin1String(name)}, {QStringLiteral("metric"), QLatin1String(name)}});
            QVERIFY2(r, qPrintable(r.errorMessage()));
            QVERIFY(AlertRule::isClassificationMetric(r->metric));
            QCOMPARE(AlertRule::metricName(r->metric), QLatin1String(name));
            QCOMPARE(*r, AlertRule::fromJson(r->toJson()).value());
        }
        const AlertRule loss = AlertRule::defaultFor(AlertRule::Metric::LogLoss);
        QVERIFY(loss.breaches(0.51));
        QVERIFY(!loss.breaches(0.5));
        QCOMPARE(loss.formatValue(0.4567), QStringLiteral("0.457"));
        // Shares refuse percentages; log-loss refuses a negative threshold.
        const auto percent = AlertRule::fromJson({{QStringLiteral("id"), QStringLiteral("acc")},
                                                  {QStringLiteral("metric"), QStringLiteral("accuracy")},
                                                  {QStringLiteral("threshold"), 90}});
        QVERIFY(!percent);
        QVERIFY2(percent.errorMessage().contains(QLatin1String("between 0 and 1")), qPrintable(percent.errorMessage()));
        AlertRule negative = loss;
        negative.threshold = -0.1;
        QVERIFY(!negative.validate());
    }

    // The nanny's estimate: a regression metric in minutes, not among the defaults (a deployment has no
    // nanny until one is trained).
    void estimatedMae()
    {
        const auto r = AlertRule::fromJson({{QStringLiteral("id"), QStringLiteral("est")},
                                            {QStringLiteral("metric"), QStringLiteral("estimated_mae")},
                                            {QStringLiteral("threshold"), 3}});
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QCOMPARE(r->metric, AlertRule::Metric::EstimatedMae);
        QCOMPARE(r->comparison, AlertRule::Comparison::Above);
        QCOMPARE(*r, AlertRule::fromJson(r->toJson()).value());
        QCOMPARE(r->describe(), QStringLiteral("ML estimated MAE > 3.00 min over 300 s for 120 s"));
        QVERIFY(r->checkTask(false));
        QVERIFY(!r->checkTask(true));
        QVERIFY(!AlertRule::isClassificationMetric(r->metric));
        QVERIFY(!AlertRule::defaultWithId(QStringLiteral("estimated_mae"), false));
        AlertRule negative = *r;
        negative.threshold = -1;
        QCOMPARE(negative.problems().size(), 1);
        QCOMPARE(negative.problems().first().field, AlertRule::Field::Threshold);
    }
};

QTEST_GUILESS_MAIN(TestAlertRule)
#include "test_alert_rule.moc"
