#include "core/simulator/Scenario.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QRegularExpression>

#include <algorithm>
#include <array>
#include <utility>

namespace mldeck {

namespace {

constexpr std::array<std::pair<Scenario::Kind, const char *>, 7> kKinds{{
    {Scenario::Kind::Drift, "drift"},
    {Scenario::Kind::Errors, "errors"},
    {Scenario::Kind::Latency, "latency"},
    {Scenario::Kind::Degraded, "degraded"},
    {Scenario::Kind::WeatherDown, "weather-down"},
    {Scenario::Kind::Calibration, "calibration"},
    {Scenario::Kind::ImageDrift, "image-drift"},
}};

} // namespace

QString Scenario::kindName(Kind kind)
{
    for (const auto &[k, name] : kKinds) {
        if (k == kind)
            return QString::fromLatin1(name);
    }
    return {};
}

Result<qint64> parseDurationMs(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^(\\d+(?:\\.\\d+)?)(ms|s|m|h)$"));
    const auto m = re.match(text.trimmed());
    if (!m.hasMatch())
        return Error{SimulatorText::tr("\"%1\" is not a duration (examples: 250ms, 30s, 5m, 1h).").arg(text)};
    const double value = m.captured(1).toDouble();
    const QString unit = m.captured(2);
    const double factor = unit == QLatin1String("ms")  ? 1
                          : unit == QLatin1String("s") ? 1e3
                          : unit == QLatin1String("m") ? 60e3
                                                       : 3600e3;
    return static_cast<qint64>(value * factor);
}

Result<Scenario> parseScenario(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral("^([a-z]+(?:-[a-z]+)*)(?:@([0-9.]+[a-z]+))?(?:\\+([0-9.]+[a-z]+))?$"));
    const auto m = re.match(text.trimmed());
    QStringList known;
    for (const auto &kind : kKinds)
        known << QString::fromLatin1(kind.second);
    const QString usage =
        SimulatorText::tr("Scenarios are NAME[@START][+DURATION] with NAME one of %1, e.g. drift@5m or errors@2m+3m.")
            .arg(known.join(QStringLiteral(", ")));
    if (!m.hasMatch())
        return Error{SimulatorText::tr("Bad scenario \"%1\". ").arg(text) + usage};
    Scenario s;
    const auto found = std::find_if(kKinds.begin(), kKinds.end(),
                                    [&](const auto &k) { return m.captured(1) == QLatin1String(k.second); });
    if (found == kKinds.end())
        return Error{SimulatorText::tr("Unknown scenario \"%1\". ").arg(m.captured(1)) + usage};
    s.kind = found->first;
    if (m.hasCaptured(2)) {
        const auto start = parseDurationMs(m.captured(2));
        if (!start)
            return start.error();
        s.startMs = *start;
    }
    if (m.hasCaptured(3)) {
        const auto duration = parseDurationMs(m.captured(3));
        if (!duration)
            return duration.error();
        if (*duration <= 0)
            return Error{SimulatorText::tr("The duration of scenario \"%1\" must be positive.").arg(text)};
        s.durationMs = *duration;
    }
    return s;
}

bool anyActive(const std::vector<Scenario> &scenarios, Scenario::Kind kind, qint64 elapsedMs)
{
    return std::any_of(scenarios.begin(), scenarios.end(),
                       [&](const Scenario &s) { return s.kind == kind && s.activeAt(elapsedMs); });
}

} // namespace mldeck
