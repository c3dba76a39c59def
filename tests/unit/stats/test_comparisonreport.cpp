#include "core/stats/ComparisonReport.h"

#include <QJsonArray>
#include <QTest>

using namespace mldeck::stats;

class TestComparisonReport final : public QObject
{
    Q_OBJECT

    static MetricDelta maeDelta(double rel, double relLow, double relHigh, double low, double high)
    {
        MetricDelta d;
        d.metric = QStringLiteral("mae");
        d.interval.relative = rel;
        d.interval.relativeLow = relLow;
        d.interval.relativeHigh = relHigh;
        d.interval.low = low;
        d.interval.high = high;
        return d;
    }

private Q_SLOTS:
    void verdictSaysBetterWithInterval()
    {
        // B's MAE is 7.9 % lower, CI of the relative change -9.6 % .. -6.1 %.
        const QString v =
            verdictSentence(maeDelta(-0.079, -0.096, -0.061, -0.4, -0.3), QStringLiteral("A"), QStringLiteral("B"));
        QCOMPARE(v, QStringLiteral("B is 7.9 % better than A on MAE, 95 % CI 6.1–9.6 %."));
    }

    void verdictSaysWorse()
    {
        const QString v =
            verdictSentence(maeDelta(0.05, 0.02, 0.08, 0.1, 0.3), QStringLiteral("A"), QStringLiteral("B"));
        QCOMPARE(v, QStringLiteral("B is 5.0 % worse than A on MAE, 95 % CI 2.0–8.0 %."));
    }

    void verdictNoSignificantDifference()
    {
        const QString v =
            verdictSentence(maeDelta(-0.01, -0.03, 0.01, -0.1, 0.05), QStringLiteral("A"), QStringLiteral("B"));
        QVERIFY2(v.startsWith(QStringLiteral("No significant difference on MAE between A and B")), qPrintable(v));
    }

    void segmentsGroupRows()
    {
        const std::vector<int> codes{0, 1, 0, -1};
        // Absolute errors of two models (actual 1, 2, 3, 4; predictions 2, 2, 5, 0 and 1, 4, 3, 0).
        const std::vector<std::vector<double>> errors{{1, 0, 2, 4}, {0, 2, 0, 4}};
        const auto rows = segmentBreakdown(QStringLiteral("zone"), codes,
                                           {QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("empty")}, errors);
        QCOMPARE(rows.size(), size_t(2)); // the level without rows is left out; -1 is skipped
        QCOMPARE(rows[0].value, QStringLiteral("x"));
        QCOMPARE(rows[0].rows, 2);
        QCOMPARE(rows[0].metric[0], 1.5); // |2-1|, |5-3|
        QCOMPARE(rows[0].metric[1], 0.0);
        QCOMPARE(rows[1].metric[1], 2.0);
    }

    void csvAndJsonShape()
    {
        ComparisonReport r;
        r.rows = 3;
        r.models.resize(2);
        r.models[0].label = QStringLiteral("a, quoted \"one\"");
        r.models[1].label = QStringLiteral("b");
        MetricDelta d = maeDelta(-0.1, -0.2, -0.05, -0.3, -0.1);
        d.challenger = 1;
        r.deltas.push_back(d);
        r.verdicts << QStringLiteral("b is better");
        const QByteArray csv = toCsv(r);
        QVERIFY(csv.contains("\"a, quoted \"\"one\"\"\""));
        QVERIFY(csv.contains("baseline,challenger,metric"));
        const QJsonObject json = toJson(r);
        QCOMPARE(json.value(QStringLiteral("models")).toArray().size(), 2);
        const QJsonObject delta = json.value(QStringLiteral("deltas")).toArray().at(0).toObject();
        QCOMPARE(delta.value(QStringLiteral("challenger")).toString(), QStringLiteral("b"));
        QCOMPARE(delta.value(QStringLiteral("significant")).toBool(), true);
    }
};

QTEST_GUILESS_MAIN(TestComparisonReport)
#include "test_comparisonreport.moc"
