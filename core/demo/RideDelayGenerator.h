#pragma once

#include "core/demo/DemoRandom.h"
#include "core/domain/FeatureSchema.h"
#include "core/domain/Prediction.h"

#include <QString>

#include <array>
#include <cstdint>

namespace mldeck {

// One synthetic ride booking with its ground truth (the delay, in minutes, known after the trip).
struct RideRequest
{
    qint64 tsMicros = 0;
    QString requestKey;
    FeatureRow features;      // in RideDelayGenerator::schema() order
    double actualDelay = 0;   // what the trip really took beyond the plan: expectedDelay + noise
    double expectedDelay = 0; // the truth-generating function, noise-free (for tests and docs)
};

// The demo domain of MLDeck: the delay of a booked ride for a dispatch service.
//
// Deterministic from the seed (own PRNG, no std:: distributions, so every platform gives the same rows).
// Every call to next() draws the same number of random numbers whatever the drift, so a drifted and an
// undrifted generator with the same seed produce identical values for the features that do not drift.
//
// Hidden temporal structure: a city congestion level evolves as an AR(1) process over successive requests
// (phi 0.985, about 65 requests of memory). The delay depends on the TRUE congestion, but a request only
// shows it through traffic_index, with measurement noise; a sequence model that looks at the traffic
// indices of the recent requests estimates it better than a model that sees one row. Rain is a slow
// regime (wet/dry spells) for the same reason.
//
// Drift (setDrift): strength s in [0, 1] shifts ONLY these features:
//   rain_mm       wetter weather (rain spells 3x as likely at s = 1, heavier rain),
//   temperature_c colder (-9 °C at s = 1),
//   driver_load   driver shortage (+0.3 at s = 1),
//   vehicle_type  more vans and motorbikes in the fleet mix.
// All other features keep their distribution exactly (their values are the same as without drift).
class RideDelayGenerator final
{
public:
    explicit RideDelayGenerator(quint64 seed);

    // The demo feature schema, id 1: numeric features first, then categorical.
    static FeatureSchema schema();
    static constexpr int kNumericCount = 8;

    // The next booking at tsMicros (µs since the epoch, UTC): hour and weekday follow the timestamp.
    RideRequest next(qint64 tsMicros);

    void setDrift(double strength); // clamped to [0, 1]
    double drift() const { return m_drift; }

private:
    double uniform() { return m_random.uniform(); }   // [0, 1)
    double gaussian() { return m_random.gaussian(); } // N(0, 1)

    DemoRandom m_random;
    double m_drift = 0;
    double m_congestion = 0; // the latent AR(1) level, stationary sd 1
    bool m_raining = false;
    double m_weather = 0; // slow temperature anomaly
    quint64 m_counter = 0;
};

// The rule the serving backend uses when it does not use ML: a planner's rule of thumb on the
// planned duration, the traffic index and rain. It ignores zones, vehicle, driver load and temperature.
double heuristicDelay(const FeatureRow &features);

} // namespace mldeck
