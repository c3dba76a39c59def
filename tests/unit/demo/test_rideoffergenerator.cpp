#include "core/demo/DemoCsv.h"
#include "core/demo/RideOfferGenerator.h"

#include <QTest>

#include <cmath>

using namespace mldeck;

namespace {

constexpr qint64 kMay1st2024 = 1714521600LL * 1'000'000; // a Wednesday, 00:00 UTC
constexpr qint64 kStep = 50LL * 1'000'000;               // one offer every 50 s: all hours and weekdays

std::vector<RideOffer> generate(quint64 seed, int n, double drift = 0)
{
    RideOfferGenerator g(seed);
    g.setDrift(drift);
    std::vector<RideOffer> out;
    out.reserve(size_t(n));
    for (int i = 0; i < n; ++i)
        out.push_back(g.next(kMay1st2024 + i * kStep));
    return out;
}

double acceptedShare(const std::vector<RideOffer> &offers)
{
    double n = 0;
    for (const auto &o : offers)
        n += o.accepted;
    return n / double(offers.size());
}

} // namespace

class TestRideOfferGenerator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void schemaAndClasses()
    {
        const FeatureSchema s = RideOfferGenerator::schema();
        QCOMPARE(s.numericNames().size(), RideOfferGenerator::kNumericCount);
        QCOMPARE(s.categoricalNames(), QStringList({u"pickup_zone"_qs, u"vehicle_type"_qs}));
        QVERIFY(s.numericNames().contains(u"driver_accept_rate"_qs));
        QCOMPARE(RideOfferGenerator::classSpec().classes, QStringList({u"declined"_qs, u"accepted"_qs}));
        QVERIFY(RideOfferGenerator::classSpec().validate().ok());
        const auto offers = generate(1, 3);
        for (const auto &o : offers) {
            QCOMPARE(int(o.features.numeric.size()), RideOfferGenerator::kNumericCount);
            QCOMPARE(o.features.categorical.size(), 2);
        }
        QCOMPARE(offers[2].requestKey, u"of-3"_qs);
        QVERIFY(offerCsvHeader().endsWith(",pickup_zone,vehicle_type,accepted,ts\n"));
        QVERIFY(offerCsvLine(offers[0]).endsWith("Z\n"));
    }

    // The same seed gives the same offers; the ride part equals the delay demo's rides of that seed.
    void deterministicAndFromTheSameWorld()
    {
        const auto a = generate(9, 500);
        const auto b = generate(9, 500);
        RideDelayGenerator rides(9);
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].features.numeric, b[i].features.numeric);
            QCOMPARE(a[i].accepted, b[i].accepted);
            const RideRequest ride = rides.next(kMay1st2024 + qint64(i) * kStep);
            QCOMPARE(std::vector<float>(a[i].features.numeric.begin(),
                                        a[i].features.numeric.begin() + RideDelayGenerator::kNumericCount),
                     ride.features.numeric);
            QCOMPARE(a[i].features.categorical, ride.features.categorical);
        }
    }

    // Labels follow the stated probability: about 64 % accepted, and within each probability decile the
    // share accepted matches the mean probability (the truth is calibrated).
    void labelsFollowTheTruthProbability()
    {
        const auto offers = generate(7, 50000);
        const double share = acceptedShare(offers);
        QVERIFY2(share > 0.60 && share < 0.68, qPrintable(QString::number(share)));
        std::array<double, 10> count{}, sumP{}, positives{};
        for (const auto &o : offers) {
            QVERIFY(o.acceptProbability > 0 && o.acceptProbability < 1);
            const size_t bin = std::min<size_t>(9, size_t(o.acceptProbability * 10));
            count[bin] += 1;
            sumP[bin] += o.acceptProbability;
            positives[bin] += o.accepted;
        }
        for (size_t b = 0; b < 10; ++b) {
            if (count[b] < 500)
                continue;
            const double gap = std::abs(positives[b] / count[b] - sumP[b] / count[b]);
            // 4 standard errors of a share of >= 500 rows.
            QVERIFY2(gap < 4 * std::sqrt(0.25 / count[b]), qPrintable(QStringLiteral("bin %1 gap %2").arg(b).arg(gap)));
        }
    }

    // Drift is the ride world's: a busier fleet raises surge and pickup distances; rain costs accepts.
    void driftMovesTheWorld()
    {
        const auto calm = generate(3, 20000, 0);
        const auto drifted = generate(3, 20000, 1);
        const auto meanOf = [](const std::vector<RideOffer> &offers, int feature) {
            double s = 0;
            for (const auto &o : offers)
                s += o.features.numeric[size_t(feature)];
            return s / double(offers.size());
        };
        const int surge = int(RideOfferGenerator::schema().numericNames().indexOf(u"surge"_qs));
        const int pickup = int(RideOfferGenerator::schema().numericNames().indexOf(u"pickup_km"_qs));
        QVERIFY(meanOf(drifted, surge) > meanOf(calm, surge) + 0.05);
        QVERIFY(meanOf(drifted, pickup) > meanOf(calm, pickup));
        QVERIFY(acceptedShare(drifted) < acceptedShare(calm));
    }
};

QTEST_GUILESS_MAIN(TestRideOfferGenerator)
#include "test_rideoffergenerator.moc"
