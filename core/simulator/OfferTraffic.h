#pragma once

#include "core/demo/RideOfferGenerator.h"

#include <QString>

#include <random>
#include <vector>

namespace mldeck {

// The demo's classification traffic, `accept`: will the driver accept the ride offer (classes declined,
// accepted; RideOfferGenerator gives the offers and their truth). On top of the generator, what serving
// and the scenarios need: the dispatch team's baseline rule with its probability, and the "calibration"
// scenario's shift of the world: a rival app's bonus makes a share of the drivers who would have accepted
// decline, so the acceptance rate falls while the features do not move, and the model's probabilities
// over-state acceptance.
class OfferTraffic final
{
public:
    explicit OfferTraffic(quint64 seed);

    static QString description();
    static constexpr double kRivalShare = 0.35; // of the would-be accepts declined under the scenario

    // The next offer at tsMicros; rivalBonus: the calibration scenario is on.
    RideOffer next(qint64 tsMicros, bool rivalBonus);
    void setDrift(double strength) { m_offers.setDrift(strength); }

    // The dispatch team's rule, {P(declined), P(accepted)}: the driver's recent acceptance rate, less for
    // a far pickup and for rain. It ignores the pay, the shift, the traffic and the zone.
    static std::vector<double> heuristic(const FeatureRow &features);

private:
    RideOfferGenerator m_offers;
    std::mt19937_64 m_rival; // its own stream: the offers are the same with the scenario on or off
};

} // namespace mldeck
