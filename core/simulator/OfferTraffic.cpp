#include "core/simulator/OfferTraffic.h"

#include "core/Text.h"

#include <QCoreApplication>

#include <algorithm>

namespace mldeck {

namespace {

// Positions in RideOfferGenerator::schema().
constexpr int kRain = 5;
constexpr int kPickupKm = 8;
constexpr int kDriverAcceptRate = 11;

} // namespace

OfferTraffic::OfferTraffic(quint64 seed) : m_offers(seed), m_rival(seed ^ 0x72697661ULL) {}

QString OfferTraffic::description()
{
    return SimulatorText::tr("Will the driver accept the ride offer (demo)");
}

RideOffer OfferTraffic::next(qint64 tsMicros, bool rivalBonus)
{
    RideOffer offer = m_offers.next(tsMicros);
    // One draw per offer whatever the scenario, so that switching it on changes only the labels.
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(m_rival);
    if (rivalBonus && offer.accepted == 1 && u < kRivalShare)
        offer.accepted = 0;
    return offer;
}

std::vector<double> OfferTraffic::heuristic(const FeatureRow &features)
{
    if (features.numeric.size() < std::size_t(RideOfferGenerator::kNumericCount))
        return {0.5, 0.5};
    const double rate = features.numeric[kDriverAcceptRate];
    const double pickup = features.numeric[kPickupKm];
    const double rain = features.numeric[kRain];
    const double p = std::clamp(rate - 0.04 * std::max(0.0, pickup - 1.5) - (rain > 0 ? 0.08 : 0.0), 0.02, 0.98);
    return {1 - p, p};
}

} // namespace mldeck
