// The nanny model through a real model worker, without a database: refusals, determinism, scoring, and
// the arithmetic of its quality summary.
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/Nanny.h"
#include "core/services/NannyQuality.h"

#include <QtTest>

#include <cmath>

using namespace mldeck;

class TestNannyModel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ModelRunner> champion;
    std::vector<FeatureRow> rows;
    std::vector<double> actual;

    void rides(int n, quint64 seed, double drift = 0)
    {
        RideDelayGenerator gen(seed);
        gen.setDrift(drift);
        rows.clear();
        actual.clear();
        for (int i = 0; i < n; ++i) {
            const RideRequest r = gen.next(1'700'000'000'000'000LL + qint64(i) * 1'000'000);
            rows.push_back(r.features);
            actual.push_back(r.actualDelay);
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto runner = ModelRunner::load(QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_mlp.pt"));
        QVERIFY2(runner, qPrintable(runner.errorMessage()));
        champion = std::move(runner).value();
    }

    void refusesTooFewRowsNamingTheMinimum()
    {
        rides(499, 1);
        const auto nanny = trainNanny(*champion, rows, actual);
        QVERIFY(!nanny);
        QVERIFY2(nanny.errorMessage().contains(QLatin1String("at least 500")), qPrintable(nanny.errorMessage()));
    }

    void refusesNonFiniteOutcomesAndBadParameters()
    {
        rides(600, 1);
        actual[17] = std::nan("");
        auto nanny = trainNanny(*champion, rows, actual);
        QVERIFY(!nanny);
        QVERIFY2(nanny.errorMessage().contains(QLatin1String("row 18")), qPrintable(nanny.errorMessage()));
        rides(600, 1);
        NannyTrainingParams p;
        p.validationShare = 0.7;
        nanny = trainNanny(*champion, rows, actual, p);
        QVERIFY(!nanny);
    }

    void sameSeedSameNannyAndScoresFollowTheError()
    {
        rides(3000, 2);
        NannyTrainingParams p;
        p.seed = 7;
        p.threads = 1;    // the same nanny whatever the machine's cores
        p.maxSeconds = 0; // and whatever its speed
        const auto a = trainNanny(*champion, rows, actual, p);
        QVERIFY2(a, qPrintable(a.errorMessage()));
        const auto b = trainNanny(*champion, rows, actual, p);
        QVERIFY2(b, qPrintable(b.errorMessage()));
        QCOMPARE(a->sha256(), b->sha256());
        QCOMPARE(a->meta.trainRows + a->meta.validationRows, qint64(3000));
        QVERIFY(a->meta.bestEpoch >= 1 && a->meta.bestEpoch <= a->meta.epochs);
        QVERIFY(a->meta.validationRealisedMae > 0);

        // The metadata survives its JSON form, and a scorer built from it scores every row, never negative.
        auto meta = NannyMeta::fromJson(a->meta.toJson());
        QVERIFY2(meta, qPrintable(meta.errorMessage()));
        auto scorer = NannyScorer::create(NannyModel{*meta, a->weights});
        QVERIFY2(scorer, qPrintable(scorer.errorMessage()));
        rides(2000, 3);
        const auto normalPredicted = champion->predict(rows);
        QVERIFY(normalPredicted);
        const auto normal = (*scorer)->score(rows, *normalPredicted);
        QVERIFY2(normal, qPrintable(normal.errorMessage()));
        QCOMPARE(normal->size(), rows.size());
        double sumNormal = 0;
        for (double e : *normal) {
            QVERIFY(e >= 0);
            sumNormal += e;
        }
        // Averaged over a window, the estimate is close to the window's realised MAE.
        double realised = 0;
        for (size_t i = 0; i < rows.size(); ++i)
            realised += std::abs((*normalPredicted)[i] - actual[i]);
        const double n = double(rows.size());
        qInfo("estimated MAE %.3f, realised %.3f", sumNormal / n, realised / n);
        QVERIFY(std::abs(sumNormal - realised) <= 0.15 * realised);

        QVERIFY(!(*scorer)->score(rows, std::vector<double>(rows.size() - 1, 1.0))); // one prediction per row

        // Drifted rides (the demo's drift scenario from their first row): the champion errs a little more,
        // and the estimate rises with it.
        rides(2000, 3, 1.0);
        const auto driftPredicted = champion->predict(rows);
        QVERIFY(driftPredicted);
        const auto drifted = (*scorer)->score(rows, *driftPredicted);
        QVERIFY2(drifted, qPrintable(drifted.errorMessage()));
        double sumDrift = 0, realisedDrift = 0;
        for (size_t i = 0; i < rows.size(); ++i) {
            sumDrift += (*drifted)[i];
            realisedDrift += std::abs((*driftPredicted)[i] - actual[i]);
        }
        qInfo("under drift: estimated MAE %.3f, realised %.3f", sumDrift / n, realisedDrift / n);
        QVERIFY(realisedDrift > realised);
        QVERIFY(sumDrift > sumNormal);
        QVERIFY(std::abs(sumDrift - realisedDrift) <= 0.15 * realisedDrift);
    }

    void refusesMalformedMetadata()
    {
        NannyModel nanny;
        nanny.meta.encodedWidth = 3;
        nanny.meta.modelMetadata = "{not json";
        QVERIFY(!NannyScorer::create(nanny));
        QVERIFY(!NannyMeta::fromJson(QJsonObject{}));
    }

    void trainingStopsOnItsTimeBudget()
    {
        rides(1000, 3);
        NannyTrainingParams p;
        p.threads = 1;
        p.maxSeconds = 1e-6; // the first epoch passes it
        const auto nanny = trainNanny(*champion, rows, actual, p);
        QVERIFY2(nanny, qPrintable(nanny.errorMessage()));
        QCOMPARE(nanny->meta.epochs, 1);
        QCOMPARE(nanny->meta.bestEpoch, 1);
    }

    void qualitySummary()
    {
        std::vector<NannyQualityRow> rowsOfHours{
            {0, 1000, 2.0, 1000, 2.2}, {1, 950, 3.0, 1000, 2.7}, {2, 0, 0, 1000, 2.5}, {3, 1000, 4.0, 1000, 4.4}};
        const NannyQuality q = summarizeNannyQuality(rowsOfHours);
        QCOMPARE(q.hours.size(), size_t(3)); // the hour without outcomes is left out
        QVERIFY(q.meanAbsDiff);
        QVERIFY(std::abs(*q.meanAbsDiff - (0.2 + 0.3 + 0.4) / 3) < 1e-12);
        QVERIFY(q.correlation);
        QVERIFY(*q.correlation > 0.9 && *q.correlation <= 1.0);
        const NannyQuality none = summarizeNannyQuality({{0, 0, 0, 10, 1.0}});
        QVERIFY(none.hours.empty());
        QVERIFY(!none.meanAbsDiff && !none.correlation);
        const NannyQuality two = summarizeNannyQuality({{0, 1, 1.0, 1, 1.5}, {1, 1, 2.0, 1, 2.5}});
        QVERIFY(two.meanAbsDiff && !two.correlation); // fewer than 3 hours: no correlation
        // An hour whose outcomes have only partly arrived is not judged yet: 899 of 1,000 is below 90 %.
        const NannyQuality partial = summarizeNannyQuality({{0, 899, 1.0, 1000, 1.5}, {1, 900, 2.0, 1000, 2.5}});
        QCOMPARE(partial.hours.size(), size_t(1));
        QCOMPARE(partial.hours.front().hourMicros, qint64(1));
    }
};

QTEST_GUILESS_MAIN(TestNannyModel)
#include "test_nanny_model.moc"
