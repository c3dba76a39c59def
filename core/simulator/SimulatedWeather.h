#pragma once

#include "core/domain/Dependency.h"
#include "core/domain/Prediction.h"

#include <QDateTime>
#include <QString>

namespace mldeck {

// The reference backend's weather API, simulated. While it is up, a booking's rain_mm and
// temperature_c come from it (the generator's values). While it is down, the backend does what the
// deployment guide says: it serves with a neutral weather factor — dry, a mild 15 °C, which adds
// nothing to the delay in the demo world — and reports the dependency in fallback since the outage
// began. The ground truth still follows the real weather, so predictions made in the rain get
// worse, as they would in production. Pure: unit-tested without Redis.
class SimulatedWeather final
{
public:
    static constexpr float kNeutralRainMm = 0.0f;
    static constexpr float kNeutralTemperatureC = 15.0f;
    static QString name() { return QStringLiteral("weather"); }

    SimulatedWeather();

    // Called before each batch with whether the outage scenario is active; remembers when it began.
    void update(bool outage, const QDateTime &now);
    bool isDown() const { return m_downSince.isValid(); }
    QDateTime downSince() const { return m_downSince; }

    // Replaces the weather features of a request with the neutral ones while the API is down.
    void applyTo(FeatureRow &features) const;

    DependencyReport report(const QString &deployment, const QString &reportedBy) const;

private:
    int m_rainIndex = -1;
    int m_temperatureIndex = -1;
    QDateTime m_downSince;
};

} // namespace mldeck
