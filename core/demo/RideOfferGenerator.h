#pragma once

#include "core/demo/DemoRandom.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/domain/ClassSpec.h"

namespace mldeck {

// One ride offer sent to a driver, with its ground truth (did the driver accept it).
struct RideOffer
{
    qint64 tsMicros = 0;
    QString requestKey;
    FeatureRow features;          // in RideOfferGenerator::schema() order
    int accepted = 0;             // the true class: 1 accepted, 0 declined (classSpec() order)
    double acceptProbability = 0; // the truth-generating probability, noise-free (for tests, docs, scenarios)
};

// The demo's classification domain, `accept`: will the driver accept the ride offer. The ride comes from
// the same dispatch world as the delay demo (a RideDelayGenerator with the same seed gives the same ride
// features, congestion and weather); the offer adds what the driver sees and who the driver is: the
// distance to the pickup, the fare and surge, the driver's recent acceptance rate and hours into the shift.
//
// The driver accepts with probability sigmoid(z) (RideOfferGenerator.cpp): more likely for a driver who
// usually accepts, for good pay per minute (fare over trip + pickup time) and a near pickup; less likely
// late in a long shift, on a motorbike in the rain, in heavy traffic, and for night rides to the suburbs.
// About 64 % of offers are accepted.
//
// Deterministic from the seed, like RideDelayGenerator (a fixed number of draws per offer). Drift
// (setDrift) is the ride generator's (wetter, colder, fewer drivers, another fleet mix): through driver
// load it also raises surge and pickup distances, and through rain and vehicles the acceptance rate.
class RideOfferGenerator final
{
public:
    explicit RideOfferGenerator(quint64 seed);

    // The `accept` feature schema, id 1: the ride's eight numeric features, then the offer's five, then
    // pickup_zone and vehicle_type.
    static FeatureSchema schema();
    static constexpr int kNumericCount = RideDelayGenerator::kNumericCount + 5;
    // {declined, accepted}, decision threshold 0.5.
    static ClassSpec classSpec();
    // The label column of demo-data's CSV: 1 accepted, 0 declined.
    static QString labelName() { return QStringLiteral("accepted"); }

    // The next offer at tsMicros (µs since the epoch, UTC). Its request key is "of-N".
    RideOffer next(qint64 tsMicros);

    void setDrift(double strength); // clamped to [0, 1]
    double drift() const { return m_rides.drift(); }

private:
    RideDelayGenerator m_rides;
    DemoRandom m_random;
    quint64 m_counter = 0;
};

} // namespace mldeck
