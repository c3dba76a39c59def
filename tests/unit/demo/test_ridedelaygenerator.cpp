#include "core/demo/DemoCsv.h"
#include "core/demo/RideDelayGenerator.h"

#include <QDateTime>
#include <QTest>

#include <cmath>

using namespace mldeck;

namespace {

constexpr qint64 kMay1st2024 = 1714521600LL * 1'000'000; // a Wednesday, 00:00 UTC
constexpr qint64 kStep = 50LL * 1'000'000;               // one request every 50 s: all hours and weekdays

std::vector<RideRequest> generate(quint64 seed, int n, double drift = 0)
{
    RideDelayGenerator g(seed);
    g.setDrift(drift);
    std::vector<RideRequest> out;
    out.reserve(size_t(n));
    for (int i = 0; i < n; ++i)
        out.push_back(g.next(kMay1st2024 + i * kStep));
    return out;
}

double mean(const std::vector<RideRequest> &rs, int feature)
{
    double s = 0;
    for (const auto &r : rs)
        s += r.features.numeric[size_t(feature)];
    return s / double(rs.size());
}

double share(const std::vector<RideRequest> &rs, int categorical, const QString &value)
{
    qint64 n = 0;
    for (const auto &r : rs)
        n += r.features.categorical.at(categorical) == value ? 1 : 0;
    return double(n) / double(rs.size());
}

} // namespace

class TestRideDelayGenerator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void schemaHasNumericFirstInOrder()
    {
        const FeatureSchema s = RideDelayGenerator::schema();
        QCOMPARE(s.id, 1);
        QCOMPARE(s.numericNames(),
                 QStringList({u"distance_km"_qs, u"planned_duration_min"_qs, u"hour"_qs, u"weekday"_qs,
                              u"traffic_index"_qs, u"rain_mm"_qs, u"temperature_c"_qs, u"driver_load"_qs}));
        QCOMPARE(s.categoricalNames(), QStringList({u"pickup_zone"_qs, u"vehicle_type"_qs}));
        QCOMPARE(int(s.features.size()), 10);
        for (size_t i = 0; i < s.features.size(); ++i)
            QCOMPARE(s.features[i].kind == FeatureSpec::Kind::Numeric, i < size_t(RideDelayGenerator::kNumericCount));
        QCOMPARE(s.features[8].categories.size(), 8);
        QCOMPARE(s.features[9].categories.size(), 4);

        for (const RideRequest &r : generate(3, 2000)) {
            QCOMPARE(int(r.features.numeric.size()), RideDelayGenerator::kNumericCount);
            QCOMPARE(r.features.categorical.size(), 2);
            QVERIFY(s.features[8].categories.contains(r.features.categorical[0]));
            QVERIFY(s.features[9].categories.contains(r.features.categorical[1]));
            for (float v : r.features.numeric)
                QVERIFY(std::isfinite(v));
            QVERIFY(r.features.numeric[0] > 0);                                 // distance
            QVERIFY(r.features.numeric[4] >= 0 && r.features.numeric[4] <= 10); // traffic index
            QVERIFY(r.features.numeric[5] >= 0);                                // rain
        }
    }

    void sameSeedSameRows()
    {
        const auto a = generate(1234, 5000);
        const auto b = generate(1234, 5000);
        const auto c = generate(1235, 5000);
        int differing = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].features.numeric, b[i].features.numeric);
            QCOMPARE(a[i].features.categorical, b[i].features.categorical);
            QCOMPARE(a[i].actualDelay, b[i].actualDelay);
            QCOMPARE(a[i].requestKey, b[i].requestKey);
            differing += a[i].actualDelay != c[i].actualDelay ? 1 : 0;
        }
        QCOMPARE(a[0].requestKey, u"bk-1"_qs);
        QCOMPARE(a[41].requestKey, u"bk-42"_qs);
        QVERIFY2(differing > 4500, "another seed must give other rows");
    }

    void hourAndWeekdayFollowTheTimestamp_data()
    {
        QTest::addColumn<QString>("iso");
        QTest::addColumn<int>("hour");
        QTest::addColumn<int>("weekday");
        QTest::newRow("wednesday morning") << u"2024-05-01T08:30:00Z"_qs << 8 << 3;
        QTest::newRow("sunday night") << u"2024-05-05T23:59:59Z"_qs << 23 << 7;
        QTest::newRow("monday midnight") << u"2024-05-06T00:00:00Z"_qs << 0 << 1;
        QTest::newRow("before the epoch") << u"1969-12-31T22:15:00Z"_qs << 22 << 3;
    }

    void hourAndWeekdayFollowTheTimestamp()
    {
        QFETCH(QString, iso);
        QFETCH(int, hour);
        QFETCH(int, weekday);
        RideDelayGenerator g(1);
        const qint64 ts = QDateTime::fromString(iso, Qt::ISODate).toMSecsSinceEpoch() * 1000;
        const RideRequest r = g.next(ts);
        QCOMPARE(r.tsMicros, ts);
        QCOMPARE(int(r.features.numeric[2]), hour);
        QCOMPARE(int(r.features.numeric[3]), weekday);
    }

    void driftChangesOnlyTheNamedFeatures()
    {
        const int n = 20000;
        const auto base = generate(99, n, 0.0);
        const auto drifted = generate(99, n, 1.0);
        const auto half = generate(99, n, 0.5);
        // Features that do not drift keep exactly the same values (same draws, same transformation).
        for (int i = 0; i < n; ++i) {
            for (int k : {0, 1, 2, 3, 4}) // distance, planned, hour, weekday, traffic
                QCOMPARE(drifted[size_t(i)].features.numeric[size_t(k)], base[size_t(i)].features.numeric[size_t(k)]);
            QCOMPARE(drifted[size_t(i)].features.categorical[0],
                     base[size_t(i)].features.categorical[0]); // zone
        }
        // The drifting ones move by the documented amounts, half-way at 0.5.
        QVERIFY(mean(drifted, 5) > 2.5 * mean(base, 5)); // rain_mm
        QVERIFY(mean(half, 5) > mean(base, 5) && mean(half, 5) < mean(drifted, 5));
        QVERIFY(std::abs(mean(drifted, 6) - mean(base, 6) + 9.0) < 0.2); // temperature_c −9 °C
        QVERIFY(std::abs(mean(half, 6) - mean(base, 6) + 4.5) < 0.2);
        QVERIFY(std::abs(mean(drifted, 7) - mean(base, 7) - 0.3) < 0.02); // driver_load +0.3
        const QString van = u"van"_qs, sedan = u"sedan"_qs;
        QVERIFY(share(drifted, 1, van) > share(base, 1, van) + 0.1); // vehicle_type mix
        QVERIFY(share(drifted, 1, sedan) < share(base, 1, sedan) - 0.1);
        // ... and the target follows (more rain, overloaded drivers): the delay rises.
        double before = 0, after = 0;
        for (int i = 0; i < n; ++i) {
            before += base[size_t(i)].actualDelay;
            after += drifted[size_t(i)].actualDelay;
        }
        QVERIFY(after > before + n * 1.0);
    }

    void heuristicIsClearlyWorseThanTheTruth()
    {
        const auto rows = generate(2024, 50000);
        double truthAbs = 0, heurAbs = 0, sumY = 0, sumY2 = 0, truthSq = 0;
        for (const RideRequest &r : rows) {
            truthAbs += std::abs(r.expectedDelay - r.actualDelay);
            truthSq += (r.expectedDelay - r.actualDelay) * (r.expectedDelay - r.actualDelay);
            heurAbs += std::abs(heuristicDelay(r.features) - r.actualDelay);
            sumY += r.actualDelay;
            sumY2 += r.actualDelay * r.actualDelay;
        }
        const double n = double(rows.size());
        const double truthMae = truthAbs / n, heurMae = heurAbs / n;
        const double r2 = 1 - truthSq / (sumY2 - sumY * sumY / n);
        qInfo("truth MAE %.3f R2 %.3f, heuristic MAE %.3f (x%.2f)", truthMae, r2, heurMae, heurMae / truthMae);
        // Irreducible noise: sd 2.2 min -> MAE ~1.76; the heuristic (models.md): ~2.6, i.e. ~1.5x the truth
        // and ~1.3x what the demo MLP reaches (2.0).
        QVERIFY(truthMae > 1.65 && truthMae < 1.85);
        QVERIFY(r2 > 0.74 && r2 < 0.82);
        QVERIFY(heurMae > 2.4 && heurMae < 2.9);
        QVERIFY(heurMae / truthMae > 1.35 && heurMae / truthMae < 1.7);
        QCOMPARE(heuristicDelay(FeatureRow{}), 0.0); // a row without features gets no wild value
    }

    void csvLineMatchesTheHeader()
    {
        const QByteArray header = demoCsvHeader();
        QCOMPARE(header, QByteArray("distance_km,planned_duration_min,hour,weekday,traffic_index,rain_mm,"
                                    "temperature_c,driver_load,pickup_zone,vehicle_type,delay_min,ts\n"));
        RideDelayGenerator g(5);
        const RideRequest r = g.next(kMay1st2024 + 1500); // 1.5 ms after midnight
        const QByteArray line = demoCsvLine(r);
        QVERIFY(line.endsWith('\n'));
        const QList<QByteArray> fields = line.trimmed().split(',');
        QCOMPARE(fields.size(), 12);
        QCOMPARE(fields[0].toFloat(), r.features.numeric[0]);
        QCOMPARE(fields[8], r.features.categorical[0].toUtf8());
        QCOMPARE(fields[10].toDouble(), r.actualDelay);
        QCOMPARE(fields[11], QByteArray("2024-05-01T00:00:00.001500Z"));
    }
};

QTEST_GUILESS_MAIN(TestRideDelayGenerator)
#include "test_ridedelaygenerator.moc"
