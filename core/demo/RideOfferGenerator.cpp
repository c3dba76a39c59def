#include "core/demo/RideOfferGenerator.h"

#include <algorithm>
#include <cmath>

namespace mldeck {

namespace {

// The ride's numeric features (RideDelayGenerator::schema() order), then the offer's.
enum Numeric
{
    Distance,
    Planned,
    Hour,
    Weekday,
    Traffic,
    Rain,
    Temperature,
    DriverLoad,
    PickupKm,
    Fare,
    Surge,
    DriverAcceptRate,
    ShiftHours
};

double round(double v, double step)
{
    return std::round(v / step) * step + 0.0;
}

double sigmoid(double z)
{
    return 1.0 / (1.0 + std::exp(-z));
}

// Offer draws use their own stream, so the ride features equal those of a RideDelayGenerator with the seed.
constexpr quint64 kOfferStream = 0x6f66666572ULL; // "offer"

} // namespace

RideOfferGenerator::RideOfferGenerator(quint64 seed) : m_rides(seed), m_random(seed ^ kOfferStream) {}

FeatureSchema RideOfferGenerator::schema()
{
    const FeatureSchema rides = RideDelayGenerator::schema();
    FeatureSchema s;
    s.id = 1;
    s.features.assign(rides.features.begin(), rides.features.begin() + RideDelayGenerator::kNumericCount);
    for (const char *name : {"pickup_km", "fare_eur", "surge", "driver_accept_rate", "shift_hours"})
        s.features.push_back({QString::fromLatin1(name), FeatureSpec::Kind::Numeric, {}});
    s.features.insert(s.features.end(), rides.features.begin() + RideDelayGenerator::kNumericCount,
                      rides.features.end());
    return s;
}

ClassSpec RideOfferGenerator::classSpec()
{
    return ClassSpec{{QStringLiteral("declined"), QStringLiteral("accepted")}, 0.5};
}

void RideOfferGenerator::setDrift(double strength)
{
    m_rides.setDrift(strength);
}

RideOffer RideOfferGenerator::next(qint64 tsMicros)
{
    const RideRequest ride = m_rides.next(tsMicros);
    // Fixed draw order and count (see RideDelayGenerator about drift).
    const double gPickup = m_random.gaussian();
    const double gSurge = m_random.gaussian();
    const double gDriver = m_random.gaussian();
    const double uShift = m_random.uniform();
    const double uAccept = m_random.uniform();

    const std::vector<float> &x = ride.features.numeric;
    const double load = x[DriverLoad];
    // A busy fleet: the nearest free driver is further away, and the price surges.
    const double pickup =
        round(std::clamp(1.6 * std::exp(0.65 * gPickup) * (1 + std::max(0.0, load - 0.6)), 0.1, 20.0), 0.01);
    const double surge = round(std::clamp(1 + 0.9 * std::max(0.0, load - 0.55) + 0.1 * gSurge, 1.0, 2.5), 0.05);
    const double fare = round((3.0 + 1.25 * double(x[Distance]) + 0.30 * double(x[Planned])) * surge, 0.01);
    const double acceptRate = round(std::clamp(0.72 + 0.14 * gDriver, 0.15, 0.99), 0.01);
    const double shift = round(10 * uShift, 0.1);

    // The truth-generating function.
    const QString &zone = ride.features.categorical[0];
    const bool moto = ride.features.categorical[1] == QLatin1String("moto");
    const double pickupMinutes = pickup / 24.0 * 60 + 1;
    const double perMinute = fare / (double(x[Planned]) + pickupMinutes);
    const double fatigue = std::max(0.0, shift - 7);
    const bool nightToSuburbs = x[Hour] < 5 && zone.startsWith(QLatin1String("suburbs"));
    const double z = 1.1 + 5.0 * (acceptRate - 0.72) - 0.35 * (pickup - 1.6) - 0.25 * std::max(0.0, pickup - 4) +
                     2.2 * (perMinute - 0.75) - 0.16 * fatigue * fatigue - (x[Rain] > 0 ? (moto ? 1.6 : 0.3) : 0.0) -
                     0.5 * std::max(0.0, double(x[Traffic]) - 5.5) - (nightToSuburbs ? 0.8 : 0.0);

    RideOffer o;
    o.tsMicros = tsMicros;
    o.requestKey = QStringLiteral("of-%1").arg(++m_counter);
    o.features.numeric = x;
    o.features.numeric.insert(o.features.numeric.end(),
                              {float(pickup), float(fare), float(surge), float(acceptRate), float(shift)});
    o.features.categorical = ride.features.categorical;
    o.acceptProbability = sigmoid(z);
    o.accepted = uAccept < o.acceptProbability ? 1 : 0;
    return o;
}

} // namespace mldeck
