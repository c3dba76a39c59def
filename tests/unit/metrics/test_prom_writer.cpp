// The Prometheus text format as MLDeck writes it: families grouped whatever the order of samples,
// escaping, special values, no family without samples; and `promtool check metrics` accepts it.
#include "core/services/metrics/AlertRulesExport.h"
#include "core/services/metrics/MetricsServer.h"
#include "core/services/metrics/PromWriter.h"

#include <QProcess>
#include <QTemporaryFile>
#include <QTest>

#include <cmath>
#include <limits>

using namespace mldeck;

class TestPromWriter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void familiesAreGroupedAndEscaped()
    {
        PromWriter w;
        w.family(QStringLiteral("mldeck_a_total"), QStringLiteral("counter"),
                 QStringLiteral("A with a \\ and\na newline."));
        w.family(QStringLiteral("mldeck_b"), QStringLiteral("gauge"), QStringLiteral("B."));
        w.family(QStringLiteral("mldeck_empty"), QStringLiteral("gauge"), QStringLiteral("Never sampled."));
        w.sample(QStringLiteral("mldeck_a_total"), {{QStringLiteral("deployment"), QStringLiteral("eta")}}, 3);
        w.sample(QStringLiteral("mldeck_b"), {{QStringLiteral("feature"), QStringLiteral("say \"hi\"\\n")}}, 0.25);
        w.sample(QStringLiteral("mldeck_a_total"), {{QStringLiteral("deployment"), QStringLiteral("x")}}, 1e20);
        w.sample(QStringLiteral("mldeck_b"), {}, std::numeric_limits<double>::quiet_NaN());
        w.sample(QStringLiteral("mldeck_b"), {}, -std::numeric_limits<double>::infinity());
        const QByteArray text = w.text();
        qInfo("%s", text.constData());
        QCOMPARE(w.seriesCount(), 5);
        QCOMPARE(text, QByteArrayLiteral("# HELP mldeck_a_total A with a \\\\ and\\na newline.\n"
                                         "# TYPE mldeck_a_total counter\n"
                                         "mldeck_a_total{deployment=\"eta\"} 3\n"
                                         "mldeck_a_total{deployment=\"x\"} 1e+20\n"
                                         "# HELP mldeck_b B.\n"
                                         "# TYPE mldeck_b gauge\n"
                                         "mldeck_b{feature=\"say \\\"hi\\\"\\\\n\"} 0.25\n"
                                         "mldeck_b NaN\n"
                                         "mldeck_b -Inf\n"));
    }

    void promtoolAcceptsAHistogram()
    {
        PromWriter w;
        w.family(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("histogram"),
                 QStringLiteral("Latency."));
        const PromWriter::Labels l{{QStringLiteral("deployment"), QStringLiteral("eta")}};
        for (const auto &[le, n] : {std::pair{"0.01", 3.0}, std::pair{"0.1", 7.0}, std::pair{"+Inf", 9.0}})
            w.sample(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("_bucket"),
                     l + PromWriter::Labels{{QStringLiteral("le"), QLatin1String(le)}}, n);
        w.sample(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("_sum"), l, 0.42);
        w.sample(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("_count"), l, 9);
        QProcess promtool;
        promtool.start(QStringLiteral("promtool"), {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY2(promtool.waitForStarted(), "promtool is not installed (Debian package prometheus)");
        promtool.write(w.text());
        promtool.closeWriteChannel();
        QVERIFY(promtool.waitForFinished(30000));
        const QByteArray out = promtool.readAllStandardOutput() + promtool.readAllStandardError();
        QVERIFY2(promtool.exitCode() == 0, out.constData());
        QVERIFY2(out.trimmed().isEmpty(), out.constData()); // no lint warning either
    }

    void listenAddresses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("host"); // empty: refused
        QTest::addColumn<int>("port");
        QTest::newRow("port alone is loopback") << u"9464"_qs << u"127.0.0.1"_qs << 9464;
        QTest::newRow("ipv4") << u"127.0.0.1:9464"_qs << u"127.0.0.1"_qs << 9464;
        QTest::newRow("ipv6") << u"[::1]:0"_qs << u"::1"_qs << 0;
        QTest::newRow("any") << u"0.0.0.0:80"_qs << u"0.0.0.0"_qs << 80;
        QTest::newRow("localhost") << u"localhost:1"_qs << u"127.0.0.1"_qs << 1;
        QTest::newRow("no port") << u"127.0.0.1"_qs << QString() << 0;
        QTest::newRow("port too big") << u"127.0.0.1:70000"_qs << QString() << 0;
        QTest::newRow("host name") << u"example.org:9464"_qs << QString() << 0;
        QTest::newRow("empty") << QString() << QString() << 0;
    }

    void listenAddresses()
    {
        QFETCH(QString, text);
        QFETCH(QString, host);
        QFETCH(int, port);
        const auto parsed = MetricsServer::parseListenAddress(text);
        QCOMPARE(parsed.ok(), !host.isEmpty());
        if (parsed) {
            QCOMPARE(parsed->first.toString(), host);
            QCOMPARE(int(parsed->second), port);
        } else {
            QVERIFY(parsed.errorMessage().contains(u"--listen"_qs));
        }
    }

    void alertRulesBecomePromQL()
    {
        QList<AlertRule> rules = AlertRule::defaults();
        AlertRule custom = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
        custom.id = u"fast_failures"_qs;
        custom.windowSeconds = 90;
        custom.threshold = 0.3;
        custom.pendingSeconds = 5;
        rules << custom;
        AlertRule band = custom; // hysteresis: held while above 20 %, kept 5 min after
        band.id = u"band_failures"_qs;
        band.resolveThreshold = 0.2;
        band.keepFiringSeconds = 300;
        rules << band;
        QCOMPARE(prometheusAlertExpression(u"eta"_qs, band),
                 u"(mldeck_failure_ratio{deployment=\"eta\",path=\"all\",window=\"90s\"} > 0.29999999999999999) or "
                 "((mldeck_failure_ratio{deployment=\"eta\",path=\"all\",window=\"90s\"} > 0.20000000000000001) and on "
                 "(deployment) ALERTS{alertname=\"MLDeck_eta_band_failures\",alertstate=\"firing\"})"_qs);
        QCOMPARE(metricsWindows(rules).contains(90), true);
        QCOMPARE(metricsWindowLabel(90), u"90s"_qs);
        QCOMPARE(metricsWindowLabel(300), u"5m"_qs);
        QCOMPARE(metricsWindowLabel(7200), u"2h"_qs);
        QCOMPARE(prometheusAlertExpression(u"eta"_qs, custom),
                 u"mldeck_failure_ratio{deployment=\"eta\",path=\"all\",window=\"90s\"} > 0.29999999999999999"_qs);
        const AlertRule r2 = AlertRule::defaultFor(AlertRule::Metric::R2);
        QVERIFY(prometheusAlertExpression(u"eta"_qs, r2).startsWith(u"mldeck_r2{deployment=\"eta\",path=\"ml\""_qs));
        QVERIFY(prometheusAlertExpression(u"eta"_qs, r2).contains(u" < "_qs));
        AlertRule estimated = AlertRule::defaultFor(AlertRule::Metric::EstimatedMae); // the nanny's estimate
        estimated.id = u"estimated_mae"_qs;
        QCOMPARE(prometheusAlertExpression(u"eta"_qs, estimated),
                 u"mldeck_estimated_mae{deployment=\"eta\",path=\"ml\",window=\"5m\"} > 2.5"_qs);
        rules << estimated;
        const QByteArray yaml = prometheusAlertRules({{u"eta"_qs, rules}});
        QVERIFY(yaml.contains("alert: \"MLDeck_eta_fast_failures\""));
        QVERIFY(yaml.contains("for: 5s"));
        QVERIFY(yaml.contains("keep_firing_for: 300s"));
        // The file says which Prometheus it needs, and only when it writes keep_firing_for.
        QVERIFY(yaml.contains("# keep_firing_for needs Prometheus 2.42 or later."));
        QVERIFY(!prometheusAlertRules({{u"eta"_qs, AlertRule::defaults()}}).contains("Prometheus 2.42"));
        QTemporaryFile file;
        QVERIFY(file.open());
        file.write(yaml);
        file.close();
        QProcess promtool;
        promtool.start(u"promtool"_qs, {u"check"_qs, u"rules"_qs, file.fileName()});
        QVERIFY(promtool.waitForFinished(30000));
        QVERIFY2(promtool.exitCode() == 0,
                 QByteArray(promtool.readAllStandardOutput() + promtool.readAllStandardError()).constData());
    }
};

QTEST_GUILESS_MAIN(TestPromWriter)
#include "test_prom_writer.moc"
