#pragma once

#include "core/domain/Result.h"

#include <QString>

#include <vector>

namespace mldeck {

// A fault or change the reference backend plays at a given time, so that the guard,
// the dashboard and drift detection can be seen reacting. Written NAME[@START][+DURATION],
// e.g. "drift@5m", "errors@2m+3m", "latency@30s+1m", "degraded", "weather-down@1m+10m", "calibration@2m",
// "image-drift@5m".
struct Scenario
{
    enum class Kind
    {
        Drift,       // some features drift (see RideDelayGenerator::setDrift)
        Errors,      // half of the ML calls throw
        Latency,     // ML latency rises by about 1.5 s
        Degraded,    // the model's predictions get much worse
        WeatherDown, // the weather API is down: neutral weather features, dependency reported in fallback
        Calibration, // classification: the world's acceptance rate falls, the model's probabilities over-state it
        ImageDrift,  // an image deployment: darker, noisier images are served (ImageTraffic)
    };
    Kind kind = Kind::Drift;
    qint64 startMs = 0;     // after the simulation starts
    qint64 durationMs = -1; // -1: until the end

    bool activeAt(qint64 elapsedMs) const
    {
        return elapsedMs >= startMs && (durationMs < 0 || elapsedMs < startMs + durationMs);
    }
    static QString kindName(Kind kind);
};

Result<Scenario> parseScenario(const QString &text);
// "90s", "5m", "1h", "250ms" → milliseconds.
Result<qint64> parseDurationMs(const QString &text);

bool anyActive(const std::vector<Scenario> &scenarios, Scenario::Kind kind, qint64 elapsedMs);

} // namespace mldeck
