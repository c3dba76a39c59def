#include "core/stats/drift/DriftEngine.h"
#include "core/stats/drift/DriftReport.h"
#include "core/stats/drift/MultivariateDrift.h"
#include "tests/support/Normals.h"

#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace mldeck::drift;

namespace {

using mldeck::test::Normals;

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

// `features` independent standard normals named f0, f1, ...
Dataset independent(int rows, int features, quint64 seed)
{
    Normals g(seed);
    Dataset d;
    for (int f = 0; f < features; ++f)
        d.columns.push_back(numeric(QStringLiteral("f%1").arg(f)));
    for (int i = 0; i < rows; ++i)
        for (Column &c : d.columns)
            c.numeric.push_back(g.next());
    return d;
}

// A categorical feature with `labels` labels in turn, each on rows / labels rows.
Column manyLabels(const QString &name, int rows, int labels)
{
    Column c;
    c.name = name;
    c.kind = FeatureKind::Categorical;
    for (int r = 0; r < rows; ++r)
        c.categorical << QStringLiteral("%1-%2").arg(name).arg(r % labels);
    return c;
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

    // Every component kept (one input, or two independent ones at 65 %): the error is round-off, so no
    // band and no verdict rather than a line that says OK forever or flips on noise.
    void allComponentsKeptGivesNoVerdict()
    {
        const MultivariateDrift one = compareMultivariate(independent(5'000, 1, 7), independent(500, 1, 8), {});
        QCOMPARE(one.inputs, 1);
        QVERIFY(!one.enoughSamples);
        QVERIFY(!one.drift);
        QVERIFY2(one.problem.contains(QStringLiteral("nothing left to reconstruct")), qPrintable(one.problem));

        const Dataset reference = independent(5'000, 2, 9);
        for (quint64 seed = 10; seed < 30; ++seed) {
            const MultivariateDrift two = compareMultivariate(reference, independent(500, 2, seed), {});
            QCOMPARE(two.components, 2);
            QVERIFY(!two.enoughSamples);
            QVERIFY(!two.drift);
            QVERIFY2(two.problem.contains(QStringLiteral("nothing left to reconstruct")), qPrintable(two.problem));
        }
    }

    // The band is for a mean over as many rows as the window: chunks of 200 rows, windows of 200 and of
    // 20,000. A small change in the correlation (0.9 to 0.88) is lost in the chunk-sized band and caught by a
    // large window; the same distribution stays in the narrower band.
    void bandFollowsTheWindowRows()
    {
        const Dataset reference = sample(20'000, 11, false);
        MultivariateOptions options;
        options.chunkRows = 200;
        const MultivariateDrift small = compareMultivariate(reference, sample(200, 12, false, 0.88), options);
        const MultivariateDrift large = compareMultivariate(reference, sample(20'000, 12, false, 0.88), options);
        QVERIFY2(small.enoughSamples && large.enoughSamples, qPrintable(small.problem + large.problem));
        QCOMPARE(small.referenceMean, large.referenceMean);
        QVERIFY(qAbs((large.upper - large.referenceMean) / (small.upper - small.referenceMean) - 0.1) < 1e-9);
        QVERIFY(!small.drift);
        QVERIFY(large.drift);
        qInfo("correlation 0.88: window mean %.4f, band %.4f to %.4f (200-row band %.4f to %.4f)", large.value,
              large.lower, large.upper, small.lower, small.upper);
        const MultivariateDrift same = compareMultivariate(reference, sample(20'000, 13, false), options);
        QVERIFY2(same.enoughSamples, qPrintable(same.problem));
        QVERIFY(!same.drift);
    }

    // An empty window has no value: null in the JSON, not 0.
    void emptyWindowHasNoValue()
    {
        const MultivariateDrift m = compareMultivariate(sample(5'000, 1, false), sample(0, 2, false), {});
        QCOMPARE(m.currentRows, qint64(0));
        QVERIFY(!m.enoughSamples);
        QVERIFY(std::isnan(m.value));
        const QJsonObject json = toJson(m);
        QVERIFY(json.contains(QStringLiteral("value")));
        QVERIFY(json.value(QStringLiteral("value")).isNull());
        QVERIFY(toJson(compareMultivariate(sample(5'000, 1, false), sample(500, 2, false), {}))
                    .value(QStringLiteral("value"))
                    .isDouble());
    }

    // The encoded inputs are capped overall: numeric features first, then the most frequent labels.
    void encodedInputsAreCapped()
    {
        Dataset wide = sample(6'000, 14, false);
        for (const QString &name : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")})
            wide.columns.push_back(manyLabels(name, 6'000, 100));
        const auto capped = PcaReconstruction::fit(wide, 0.65);
        QVERIFY2(capped.ok(), qPrintable(capped.errorMessage()));
        QCOMPARE(capped->inputs(), MultivariateOptions::kMaxInputs);
        QCOMPARE(compareMultivariate(wide, wide, {}).inputs, MultivariateOptions::kMaxInputs);

        // x, y and 8 labels: weekday's three (each on a third of the rows) before the rarer ones.
        Dataset small = sample(6'000, 14, false);
        small.columns.push_back(manyLabels(QStringLiteral("a"), 6'000, 100));
        const auto ten = PcaReconstruction::fit(small, 0.65, 100, 10);
        QVERIFY2(ten.ok(), qPrintable(ten.errorMessage()));
        QCOMPARE(ten->inputs(), 10);
        Dataset monday = sample(3, 15, false);
        monday.columns.push_back(manyLabels(QStringLiteral("a"), 3, 100));
        QVERIFY(ten->errors(monday).ok());

        const auto tooMany = PcaReconstruction::fit(sample(100, 1, false), 0.65, 100, 1);
        QVERIFY(!tooMany.ok());
        QVERIFY2(tooMany.errorMessage().contains(QStringLiteral("numeric features")),
                 qPrintable(tooMany.errorMessage()));
    }

    // The band is set on the rows the PCA was fitted on: too few rows per input gives no verdict.
    void tooFewReferenceRowsPerInput()
    {
        Dataset reference = sample(2'000, 16, false);
        reference.columns.push_back(manyLabels(QStringLiteral("a"), 2'000, 100));
        const MultivariateDrift m = compareMultivariate(reference, reference, {});
        QVERIFY(m.inputs > 100);
        QVERIFY(!m.enoughSamples);
        QVERIFY2(m.problem.contains(QStringLiteral("encoded inputs")), qPrintable(m.problem));
    }

    void label()
    {
        QCOMPARE(multivariateLabel(3, 0.65), QStringLiteral("multivariate (PCA, 3 components, 65 %)"));
        QCOMPARE(multivariateLabel(1, 0.9), QStringLiteral("multivariate (PCA, 1 component, 90 %)"));
    }
};

QTEST_GUILESS_MAIN(TestMultivariateDrift)
#include "test_multivariate_drift.moc"
