#include "core/stats/drift/DriftTests.h"
#include "core/stats/drift/SpecialFunctions.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace mldeck::drift;

// Compares every statistic with the values SciPy 1.10 / NumPy computed on the same inputs
// (tests/unit/drift/make_drift_fixtures.py), within 1e-6 (absolute, or relative for large values).
class TestDriftStatistics final : public QObject
{
    Q_OBJECT

private:
    QJsonObject m_fixtures;

    static std::vector<double> values(const QJsonValue &v)
    {
        std::vector<double> out;
        for (const QJsonValue &x : v.toArray())
            out.push_back(x.toDouble());
        return out;
    }
    static bool close(double actual, double expected)
    {
        return std::fabs(actual - expected) <= 1e-6 * std::max(1.0, std::fabs(expected));
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QByteArray source = qgetenv("MLDECK_SOURCE_DIR");
        QVERIFY2(!source.isEmpty(), "MLDECK_SOURCE_DIR is not set");
        QFile f(QString::fromLocal8Bit(source) + QStringLiteral("/tests/unit/drift/drift_fixtures.json"));
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.errorString()));
        m_fixtures = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(m_fixtures.value(QStringLiteral("numeric")).toArray().size() >= 10);
    }

    void numeric_data()
    {
        QTest::addColumn<int>("index");
        const QJsonArray cases = m_fixtures.value(QStringLiteral("numeric")).toArray();
        for (int i = 0; i < cases.size(); ++i)
            QTest::newRow(qPrintable(cases[i].toObject().value(QStringLiteral("name")).toString())) << i;
    }
    void numeric()
    {
        QFETCH(int, index);
        const QJsonObject c = m_fixtures.value(QStringLiteral("numeric")).toArray()[index].toObject();
        const QString refKey = c.value(QStringLiteral("reference")).toString();
        const std::vector<double> refValues =
            c.value(QStringLiteral("reference_values")).isArray()
                ? values(c.value(QStringLiteral("reference_values")))
                : values(m_fixtures.value(QStringLiteral("references")).toObject().value(refKey));
        const SortedSample ref(refValues), cur(values(c.value(QStringLiteral("current"))));

        const KsResult ks = ksTwoSample(ref, cur);
        QVERIFY2(close(ks.statistic, c.value(QStringLiteral("ks_statistic")).toDouble()),
                 qPrintable(QString::number(ks.statistic, 'g', 17)));
        QVERIFY2(close(ks.pValue, c.value(QStringLiteral("ks_pvalue")).toDouble()),
                 qPrintable(QStringLiteral("p %1 vs %2")
                                .arg(ks.pValue, 0, 'g', 17)
                                .arg(c.value(QStringLiteral("ks_pvalue")).toDouble(), 0, 'g', 17)));
        QVERIFY(close(wassersteinDistance(ref, cur), c.value(QStringLiteral("wasserstein")).toDouble()));
        QVERIFY(close(ref.stddev(), c.value(QStringLiteral("reference_std")).toDouble()));
        QVERIFY(close(normalisedWasserstein(ref, cur), c.value(QStringLiteral("wasserstein")).toDouble() /
                                                           c.value(QStringLiteral("reference_std")).toDouble()));
        const auto edges = quantileEdges(ref, 10);
        const auto rs = binShares(ref, edges), cs = binShares(cur, edges);
        QVERIFY2(close(psi(rs, cs, 1e-4), c.value(QStringLiteral("psi")).toDouble()),
                 qPrintable(QString::number(psi(rs, cs, 1e-4), 'g', 17)));
        QVERIFY(close(jensenShannonDistance(rs, cs), c.value(QStringLiteral("jensenshannon_binned")).toDouble()));
    }

    void categorical_data()
    {
        QTest::addColumn<int>("index");
        const QJsonArray cases = m_fixtures.value(QStringLiteral("categorical")).toArray();
        for (int i = 0; i < cases.size(); ++i)
            QTest::newRow(qPrintable(cases[i].toObject().value(QStringLiteral("name")).toString())) << i;
    }
    void categorical()
    {
        QFETCH(int, index);
        const QJsonObject c = m_fixtures.value(QStringLiteral("categorical")).toArray()[index].toObject();
        CategoryCounts counts;
        counts.reference = values(c.value(QStringLiteral("reference_counts")));
        counts.current = values(c.value(QStringLiteral("current_counts")));
        for (std::size_t k = 0; k < counts.reference.size(); ++k)
            counts.labels.push_back(QString::number(k));
        const ChiSquareResult chi = chiSquareContingency(counts);
        QCOMPARE(chi.dof, c.value(QStringLiteral("dof")).toInt());
        QVERIFY2(close(chi.statistic, c.value(QStringLiteral("chi2")).toDouble()),
                 qPrintable(QString::number(chi.statistic)));
        QVERIFY(close(chi.pValue, c.value(QStringLiteral("chi2_pvalue")).toDouble()));
        QVERIFY(close(jensenShannonDistance(counts.reference, counts.current),
                      c.value(QStringLiteral("jensenshannon")).toDouble()));
        if (counts.labels.size() == 2) {
            const ZTestResult z = proportionZTest(counts);
            QVERIFY(close(z.statistic, c.value(QStringLiteral("z")).toDouble()));
            QVERIFY(close(z.pValue, c.value(QStringLiteral("z_pvalue")).toDouble()));
            QVERIFY(z.cohensH >= 0);
        }
    }

    void kolmogorovDistribution()
    {
        const QJsonArray cases = m_fixtures.value(QStringLiteral("kstwo")).toArray();
        QVERIFY(!cases.isEmpty());
        for (const QJsonValue &v : cases) {
            const QJsonObject c = v.toObject();
            const double sf =
                kolmogorovSf(c.value(QStringLiteral("n")).toInteger(), c.value(QStringLiteral("x")).toDouble());
            QVERIFY2(close(sf, c.value(QStringLiteral("sf")).toDouble()),
                     qPrintable(QStringLiteral("n=%1 x=%2: %3 vs %4")
                                    .arg(c.value(QStringLiteral("n")).toInteger())
                                    .arg(c.value(QStringLiteral("x")).toDouble())
                                    .arg(sf, 0, 'g', 17)
                                    .arg(c.value(QStringLiteral("sf")).toDouble(), 0, 'g', 17)));
        }
    }

    void radixSortMatchesStdSort()
    {
        std::vector<double> v;
        for (int i = 0; i < 5000; ++i)
            v.push_back(std::sin(i * 12.9898) * 43758.5453 * ((i % 7) - 3) + (i % 11 == 0 ? -0.0 : 0.0));
        v.push_back(-std::numeric_limits<double>::infinity());
        v.push_back(std::numeric_limits<double>::infinity());
        auto expected = v;
        std::sort(expected.begin(), expected.end());
        radixSort(v);
        QVERIFY(std::equal(v.begin(), v.end(), expected.begin(), [](double a, double b) { return a == b; }));
    }

    void nanIsDropped()
    {
        const std::vector<double> v{3.0, std::nan(""), 1.0, 2.0};
        const SortedSample s(v);
        QCOMPARE(s.size(), std::size_t(3));
        QCOMPARE(s.values().front(), 1.0);
        QCOMPARE(s.mean(), 2.0);
    }
};

QTEST_GUILESS_MAIN(TestDriftStatistics)
#include "test_drift_statistics.moc"
