#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/MultivariateDrift.h"

#include <QTest>

#include <cmath>

using namespace mldeck::drift;

namespace {

// Deterministic standard normals (Box–Muller on a 64-bit LCG): the same data on every platform.
class Normals
{
public:
    explicit Normals(quint64 seed) : m_state(seed * 6364136223846793005ULL + 1442695040888963407ULL) {}
    double next()
    {
        const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
    }

private:
    double uniform()
    {
        m_state = m_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return double(m_state >> 11) / double(1ULL << 53);
    }
    quint64 m_state;
};

Column numeric(const QString &name)
{
    Column c;
    c.name = name;
    c.kind = FeatureKind::Numeric;
    return c;
}

// x and y standard normal with correlation rho, and a category (the same cycle in every sample).
// `rotated`: the pair turned by 90 degrees, (x, y) -> (-y, x): every marginal stays N(0, 1), the
// correlation becomes -rho.
Dataset sample(int rows, quint64 seed, bool rotated, double rho = 0.9)
{
    Normals g(seed);
    Column x = numeric(QStringLiteral("x")), y = numeric(QStringLiteral("y"));
    Column weekday;
    weekday.name = QStringLiteral("weekday");
    weekday.kind = FeatureKind::Categorical;
    const QStringList days{QStringLiteral("mon"), QStringLiteral("tue"), QStringLiteral("wed")};
    for (int i = 0; i < rows; ++i) {
        const double a = g.next(), b = g.next();
        const double px = a, py = rho * a + std::sqrt(1 - rho * rho) * b;
        x.numeric.push_back(rotated ? -py : px);
        y.numeric.push_back(rotated ? px : py);
        weekday.categorical << days.at(i % 3);
    }
    return Dataset{{x, y, weekday}};
}

} // namespace

class TestMultivariateDrift final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The test: a change in how two features move together, with every marginal kept, is caught by
    // the reconstruction error and by none of the univariate tests.
    void rotationCaughtOnlyByMultivariate()
    {
        const Dataset reference = sample(10'000, 1, false);
        const Dataset current = sample(1'000, 2, true);

        const MultivariateDrift m = compareMultivariate(reference, current, {});
        QVERIFY2(m.enoughSamples, qPrintable(m.problem));
        QVERIFY(m.drift);
        QVERIFY(m.value > m.upper);
        QCOMPARE(m.referenceChunks, 10);
        QCOMPARE(m.chunkRows, qint64(1'000));
        QVERIFY(m.components >= 1 && m.components < m.inputs);
        QVERIFY(m.explainedShare >= 0.65);
        qInfo("rotation: mean reconstruction error %.3f, band %.3f to %.3f, %d of %d components", m.value, m.lower,
              m.upper, m.components, m.inputs);

        for (TestKind test : {TestKind::Auto, TestKind::KolmogorovSmirnov, TestKind::Wasserstein, TestKind::Psi,
                              TestKind::ChiSquare, TestKind::JensenShannon}) {
            DriftOptions options;
            for (const QString &f : {QStringLiteral("x"), QStringLiteral("y")})
                options.testOverrides.insert(f, test);
            const DatasetDrift d = compareDatasets(reference, current, options);
            QCOMPARE(d.considered, 3);
            for (const FeatureDrift &f : d.features)
                QVERIFY2(!f.drift, qPrintable(QStringLiteral("%1 flagged by %2 (score %3, threshold %4)")
                                                  .arg(f.name, testKey(f.test))
                                                  .arg(f.statistic)
                                                  .arg(f.threshold)));
            QCOMPARE(d.drifted, 0);
        }
    }

    void sameDistributionStaysInTheBand()
    {
        const MultivariateDrift m = compareMultivariate(sample(10'000, 1, false), sample(1'000, 3, false), {});
        QVERIFY2(m.enoughSamples, qPrintable(m.problem));
        QVERIFY(!m.drift);
        QVERIFY(m.value >= m.lower && m.value <= m.upper);
        QVERIFY(m.lower < m.referenceMean && m.referenceMean < m.upper);
    }

    // The first components reach the share, the rest is error. A share of 1 keeps
    // every component: nothing left to reconstruct.
    void componentsFollowTheVarianceShare()
    {
        const Dataset reference = sample(5'000, 4, false);
        auto all = PcaReconstruction::fit(reference, 1.0);
        QVERIFY2(all.ok(), qPrintable(all.errorMessage()));
        QCOMPARE(all->inputs(), 2 + 3);
        const auto errors = all->errors(reference);
        QVERIFY(errors.ok());
        for (double e : *errors)
            QVERIFY(e < 1e-6);
        auto some = PcaReconstruction::fit(reference, 0.65);
        QVERIFY(some.ok());
        QVERIFY(some->components() < all->components());
        QVERIFY(some->explainedShare() >= 0.65);
    }

    // Chunks: the window's row count, at most a tenth of the reference, at least min_samples; or as chosen.
    void chunksAndNotEnoughReference()
    {
        const MultivariateDrift tenth = compareMultivariate(sample(3'000, 1, false), sample(1'000, 2, true), {});
        QVERIFY2(tenth.enoughSamples, qPrintable(tenth.problem));
        QCOMPARE(tenth.chunkRows, qint64(300));
        QCOMPARE(tenth.referenceChunks, 10);
        QVERIFY(tenth.drift);

        const MultivariateDrift m = compareMultivariate(sample(300, 1, false), sample(1'000, 2, true), {});
        QVERIFY(!m.enoughSamples);
        QVERIFY(!m.drift);
        QCOMPARE(m.chunkRows, qint64(100)); // min_samples
        QCOMPARE(m.referenceChunks, 3);
        QVERIFY2(m.problem.contains(QStringLiteral("not enough reference")), qPrintable(m.problem));

        MultivariateOptions chosen;
        chosen.chunkRows = 1'000;
        QCOMPARE(compareMultivariate(sample(3'000, 1, false), sample(1'000, 2, true), chosen).referenceChunks, 3);

        const MultivariateDrift few = compareMultivariate(sample(3'000, 1, false), sample(50, 2, true), {});
        QVERIFY(!few.enoughSamples);
        QVERIFY2(few.problem.contains(QStringLiteral("too few rows")), qPrintable(few.problem));
    }

    // An unknown category encodes as all zero; a missing numeric value as the reference mean.
    void unknownAndMissingValues()
    {
        const Dataset reference = sample(2'000, 5, false);
        auto pca = PcaReconstruction::fit(reference, 0.65);
        QVERIFY(pca.ok());
        Dataset odd = sample(2, 6, false);
        odd.columns[2].categorical = QStringList{QStringLiteral("sun"), QString()};
        odd.columns[0].numeric[1] = std::nan("");
        const auto errors = pca->errors(odd);
        QVERIFY2(errors.ok(), qPrintable(errors.errorMessage()));
        for (double e : *errors)
            QVERIFY(std::isfinite(e));
    }

    void badInputIsAnError()
    {
        Dataset ragged = sample(100, 1, false);
        ragged.columns[1].numeric.pop_back();
        QVERIFY(!PcaReconstruction::fit(ragged, 0.65).ok());
        QVERIFY(!PcaReconstruction::fit(sample(100, 1, false), 0).ok());
        QVERIFY(!PcaReconstruction::fit(sample(1, 1, false), 0.65).ok());
        Dataset constant;
        Column c = numeric(QStringLiteral("c"));
        c.numeric.assign(50, 3.0);
        constant.columns.push_back(c);
        const auto flat = PcaReconstruction::fit(constant, 0.65);
        QVERIFY(!flat.ok());
        QVERIFY2(flat.errorMessage().contains(QStringLiteral("do not vary")), qPrintable(flat.errorMessage()));
    }

    void label()
    {
        QCOMPARE(multivariateLabel(3, 0.65), QStringLiteral("multivariate (PCA, 3 components, 65 %)"));
        QCOMPARE(multivariateLabel(1, 0.9), QStringLiteral("multivariate (PCA, 1 component, 90 %)"));
    }
};

QTEST_GUILESS_MAIN(TestMultivariateDrift)
#include "test_multivariate_drift.moc"
