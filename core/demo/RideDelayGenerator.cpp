#include "core/demo/RideDelayGenerator.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace mldeck {

namespace {

// Feature positions in schema(): numeric first, then categorical.
enum Numeric
{
    Distance,
    Planned,
    Hour,
    Weekday,
    Traffic,
    Rain,
    Temperature,
    DriverLoad
};
enum Categorical
{
    Zone,
    Vehicle
};

struct ZoneProfile
{
    const char *name;
    double share;          // of all pickups
    double speedKmh;       // the planner's nominal speed
    double trafficOffset;  // how congested the zone is compared to the city level
    double distanceFactor; // airport rides are long, old-town rides short
    double pickupDelay;    // minutes lost at pickup (terminals, narrow streets)
};

constexpr std::array<ZoneProfile, 8> kZones{{
    {"center", 0.20, 22, 1.0, 0.8, 2.0},
    {"old_town", 0.10, 18, 1.2, 0.6, 2.8},
    {"business_district", 0.15, 25, 0.8, 0.9, 1.2},
    {"university", 0.10, 28, 0.2, 0.8, 0.0},
    {"airport", 0.08, 45, -0.3, 2.2, 3.6},
    {"harbor", 0.07, 32, 0.3, 1.1, 0.8},
    {"suburbs_north", 0.15, 38, -0.8, 1.3, -0.8},
    {"suburbs_south", 0.15, 36, -0.6, 1.3, -0.6},
}};

struct VehicleProfile
{
    const char *name;
    double share;         // without drift
    double driftedShare;  // at full drift
    double trafficFactor; // motorbikes filter through traffic
    double rainFactor;    // ... and suffer in the rain
    double handlingDelay; // vans load luggage, premium drivers wait at the door
};

constexpr std::array<VehicleProfile, 4> kVehicles{{
    {"sedan", 0.55, 0.35, 1.0, 1.0, 0.0},
    {"van", 0.15, 0.30, 1.15, 1.0, 1.5},
    {"premium", 0.20, 0.10, 1.0, 1.0, -1.0},
    {"moto", 0.10, 0.25, 0.45, 2.0, -0.4},
}};

constexpr double kCongestionPhi = 0.985;
constexpr double kTrafficNoise = 0.9; // sd of traffic_index around the true traffic
constexpr double kDelayNoise = 2.2;   // sd of what nobody can predict

qint64 floorDiv(qint64 a, qint64 b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// "+ 0.0" turns -0 into 0 so that files never show "-0".
double round(double v, double step)
{
    return std::round(v / step) * step + 0.0;
}

// Rush-hour profile of the city, 0 at night, ~3.5 at the evening peak on weekdays.
double rushProfile(int hour, int weekday)
{
    const auto bump = [hour](double centre, double width, double height) {
        const double d = (hour - centre) / width;
        return height * std::exp(-0.5 * d * d);
    };
    if (weekday >= 6)
        return bump(14, 3.0, 1.8);
    return bump(8.5, 1.2, 3.0) + bump(17.5, 1.5, 3.5) + bump(13, 4.0, 1.2);
}

template <typename Profiles, typename Share> int pick(const Profiles &profiles, double u, Share share)
{
    double acc = 0;
    for (int i = 0; i < int(profiles.size()); ++i) {
        acc += share(profiles[i]);
        if (u < acc)
            return i;
    }
    return int(profiles.size()) - 1;
}

} // namespace

RideDelayGenerator::RideDelayGenerator(quint64 seed) : m_random(seed)
{
    // Start the latent processes from their stationary distributions, not from zero.
    m_congestion = gaussian();
    m_weather = 4.0 * gaussian();
    m_raining = uniform() < 0.17;
}

FeatureSchema RideDelayGenerator::schema()
{
    FeatureSchema s;
    s.id = 1;
    for (const char *name : {"distance_km", "planned_duration_min", "hour", "weekday", "traffic_index", "rain_mm",
                             "temperature_c", "driver_load"})
        s.features.push_back({QString::fromLatin1(name), FeatureSpec::Kind::Numeric, {}});
    FeatureSpec zone{QStringLiteral("pickup_zone"), FeatureSpec::Kind::Categorical, {}};
    for (const auto &z : kZones)
        zone.categories << QString::fromLatin1(z.name);
    FeatureSpec vehicle{QStringLiteral("vehicle_type"), FeatureSpec::Kind::Categorical, {}};
    for (const auto &v : kVehicles)
        vehicle.categories << QString::fromLatin1(v.name);
    s.features.push_back(zone);
    s.features.push_back(vehicle);
    return s;
}

void RideDelayGenerator::setDrift(double strength)
{
    m_drift = std::clamp(strength, 0.0, 1.0);
}

RideRequest RideDelayGenerator::next(qint64 tsMicros)
{
    // Fixed draw order and count: see the header about drift.
    const double gCongestion = gaussian();
    const double uZone = uniform();
    const double uVehicle = uniform();
    const double gDistance = gaussian();
    const double gPlanned = gaussian();
    const double gTraffic = gaussian();
    const double uRainSwitch = uniform();
    const double uRainAmount = uniform();
    const double gWeather = gaussian();
    const double gTemperature = gaussian();
    const double gLoad = gaussian();
    const double gNoise = gaussian();

    const double s = m_drift;
    m_congestion = kCongestionPhi * m_congestion + std::sqrt(1 - kCongestionPhi * kCongestionPhi) * gCongestion;
    m_weather = 0.995 * m_weather + std::sqrt(1 - 0.995 * 0.995) * 4.0 * gWeather;
    m_raining = m_raining ? uRainSwitch >= 0.03 : uRainSwitch < 0.006 * (1 + 2 * s);

    // UTC hour and ISO weekday (1 = Monday ... 7 = Sunday; 1970-01-01 was a Thursday).
    const qint64 seconds = floorDiv(tsMicros, 1'000'000);
    const qint64 days = floorDiv(seconds, 86'400);
    const int hour = int((seconds - days * 86'400) / 3600);
    const int weekday = int(days + 3 - floorDiv(days + 3, 7) * 7) + 1;

    const ZoneProfile &zone = kZones[pick(kZones, uZone, [](const ZoneProfile &z) { return z.share; })];
    const VehicleProfile &vehicle = kVehicles[pick(
        kVehicles, uVehicle, [s](const VehicleProfile &v) { return (1 - s) * v.share + s * v.driftedShare; })];

    const double rush = rushProfile(hour, weekday);
    const double trueTraffic = 2.5 + rush + zone.trafficOffset + m_congestion;
    const double distance = round(std::clamp(6.5 * std::exp(0.55 * gDistance) * zone.distanceFactor, 0.5, 80.0), 0.01);
    const double planned = round(std::max(1.0, distance / zone.speedKmh * 60 + 2 + 0.8 * gPlanned), 0.1);
    const double traffic = round(std::clamp(trueTraffic + kTrafficNoise * gTraffic, 0.0, 10.0), 0.01);
    const double rain = m_raining ? round(-std::log(1 - uRainAmount) * 2.0 * (1 + 0.5 * s), 0.1) : 0.0;
    const double temperature =
        round(12 + 5 * std::cos(2 * std::numbers::pi * (hour - 15) / 24.0) + m_weather + gTemperature - 9 * s, 0.1);
    const double load = round(std::clamp(0.45 + 0.07 * rush + 0.15 * gLoad + 0.3 * s, 0.05, 1.8), 0.01);

    // The truth-generating function: what the delay is on average, given everything (including the true
    // congestion, which no feature shows exactly).
    const double trafficEffect = planned * 0.10 * std::max(0.0, trueTraffic - 2.5) * vehicle.trafficFactor;
    const double rainEffect = 2.0 * std::log1p(rain) * vehicle.rainFactor;
    const double overload = std::max(0.0, load - 0.6);
    const double loadEffect = 20 * overload * overload;
    const double temperatureEffect = 0.12 * std::max(0.0, 1 - temperature) + 0.08 * std::max(0.0, temperature - 28);
    const double expected =
        1.5 + trafficEffect + rainEffect + loadEffect + temperatureEffect + zone.pickupDelay + vehicle.handlingDelay;

    RideRequest r;
    r.tsMicros = tsMicros;
    r.requestKey = QStringLiteral("bk-%1").arg(++m_counter);
    r.features.numeric = {float(distance), float(planned), float(hour),        float(weekday),
                          float(traffic),  float(rain),    float(temperature), float(load)};
    r.features.categorical = {QString::fromLatin1(zone.name), QString::fromLatin1(vehicle.name)};
    r.expectedDelay = expected;
    r.actualDelay = round(expected + kDelayNoise * gNoise, 0.01);
    return r;
}

double heuristicDelay(const FeatureRow &f)
{
    if (f.numeric.size() < RideDelayGenerator::kNumericCount)
        return 0;
    const double planned = f.numeric[Planned];
    const double traffic = f.numeric[Traffic];
    const double rain = f.numeric[Rain];
    return 2.5 + 0.09 * planned * std::max(0.0, traffic - 2.5) + (rain > 0 ? 2.0 : 0.0);
}

} // namespace mldeck
