#include "core/simulator/SimulatedWeather.h"

#include "core/demo/RideDelayGenerator.h"

namespace mldeck {

SimulatedWeather::SimulatedWeather()
{
    // By name, so the positions follow the demo schema instead of repeating it.
    const QStringList numeric = RideDelayGenerator::schema().numericNames();
    m_rainIndex = int(numeric.indexOf(QStringLiteral("rain_mm")));
    m_temperatureIndex = int(numeric.indexOf(QStringLiteral("temperature_c")));
}

void SimulatedWeather::update(bool outage, const QDateTime &now)
{
    if (outage && !m_downSince.isValid())
        m_downSince = now.toUTC();
    else if (!outage)
        m_downSince = QDateTime();
}

void SimulatedWeather::applyTo(FeatureRow &features) const
{
    if (!isDown())
        return;
    if (m_rainIndex >= 0 && m_rainIndex < int(features.numeric.size()))
        features.numeric[size_t(m_rainIndex)] = kNeutralRainMm;
    if (m_temperatureIndex >= 0 && m_temperatureIndex < int(features.numeric.size()))
        features.numeric[size_t(m_temperatureIndex)] = kNeutralTemperatureC;
}

DependencyReport SimulatedWeather::report(const QString &deployment, const QString &reportedBy) const
{
    DependencyReport r;
    r.deployment = deployment;
    r.name = name();
    r.reportedBy = reportedBy;
    if (isDown()) {
        r.state = DependencyHealth::Down;
        r.fallbackActive = true;
        r.fallbackSince = m_downSince;
        r.lastError = QStringLiteral("simulated outage: connection refused by the weather API");
    }
    return r;
}

} // namespace mldeck
