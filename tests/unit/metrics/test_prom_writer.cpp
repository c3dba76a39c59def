// The Prometheus text format as MLDeck writes it: families grouped whatever the order of samples,
// escaping, special values, no family without samples; and `promtool check metrics` accepts it.
#include "core/services/metrics/PromWriter.h"

#include <QProcess>
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
        w.family(QStringLiteral("mldeck_a_total"), QStringLiteral("counter"), QStringLiteral("A with a \\ and\na newline."));
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
        QCOMPARE(text,
                 QByteArrayLiteral("# HELP mldeck_a_total A with a \\\\ and\\na newline.\n"
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
        w.family(QStringLiteral("mldeck_prediction_latency_seconds"), QStringLiteral("histogram"), QStringLiteral("Latency."));
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
};

QTEST_GUILESS_MAIN(TestPromWriter)
#include "test_prom_writer.moc"
