// The pure parts around the dependency reports: the simulated weather API's neutral features and
// report, and what the dependency_fallback rule observes from a list of dependencies.
#include "core/alerting/DependencyFallbackObservation.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/simulator/SimulatedWeather.h"

#include <QtTest>

using namespace mldeck;

namespace {

DependencyState dep(const QString &name, DependencyHealth h, const QDateTime &since = {})
{
    DependencyState s;
    s.deployment = QStringLiteral("eta");
    s.name = name;
    s.state = h;
    s.fallbackActive = since.isValid();
    s.fallbackSince = since;
    return s;
}

} // namespace

class TestWeatherAndRule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void weatherUpLeavesFeaturesAlone()
    {
        RideDelayGenerator gen(7);
        SimulatedWeather weather;
        const QDateTime t0(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);
        weather.update(false, t0);
        QVERIFY(!weather.isDown());
        RideRequest r = gen.next(t0.toMSecsSinceEpoch() * 1000);
        const FeatureRow before = r.features;
        weather.applyTo(r.features);
        QCOMPARE(r.features.numeric, before.numeric);
        const DependencyReport rep = weather.report(QStringLiteral("eta"), QStringLiteral("me"));
        QCOMPARE(rep.state, DependencyHealth::Up);
        QVERIFY(!rep.fallbackActive);
        QVERIFY(!DependencyFields::validate(rep));
    }

    void weatherDownServesNeutralFeaturesSinceTheStart()
    {
        RideDelayGenerator gen(7);
        SimulatedWeather weather;
        const QStringList names = RideDelayGenerator::schema().numericNames();
        const auto rain = names.indexOf(QStringLiteral("rain_mm"));
        const auto temperature = names.indexOf(QStringLiteral("temperature_c"));
        QVERIFY(rain >= 0 && temperature >= 0);
        const QDateTime t0(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);
        weather.update(true, t0);
        weather.update(true, t0.addSecs(90)); // still the same outage
        QCOMPARE(weather.downSince(), t0);
        for (int i = 0; i < 200; ++i) {
            RideRequest r = gen.next(t0.toMSecsSinceEpoch() * 1000 + i);
            const FeatureRow before = r.features;
            const double truth = r.actualDelay;
            weather.applyTo(r.features);
            QCOMPARE(r.features.numeric[size_t(rain)], SimulatedWeather::kNeutralRainMm);
            QCOMPARE(r.features.numeric[size_t(temperature)], SimulatedWeather::kNeutralTemperatureC);
            for (qsizetype k = 0; k < names.size(); ++k)
                if (k != rain && k != temperature)
                    QCOMPARE(r.features.numeric[size_t(k)], before.numeric[size_t(k)]);
            QCOMPARE(r.actualDelay, truth); // the world still has its weather
        }
        const DependencyReport rep = weather.report(QStringLiteral("eta"), QStringLiteral("me"));
        QCOMPARE(rep.state, DependencyHealth::Down);
        QVERIFY(rep.fallbackActive);
        QCOMPARE(rep.fallbackSince, t0);
        QVERIFY(!rep.lastError.isEmpty());
        QVERIFY(!DependencyFields::validate(rep));

        weather.update(false, t0.addSecs(600));
        QVERIFY(!weather.isDown());
        weather.update(true, t0.addSecs(700)); // a new outage has a new start
        QCOMPARE(weather.downSince(), t0.addSecs(700));
    }

    void ruleObservation()
    {
        const QDateTime now(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);
        // Nothing reported: 0 (a firing alert resolves).
        auto o = observeDependencyFallback({}, now);
        QCOMPARE(o.observation.value, std::optional<double>(0.0));
        // The longest fallback counts, in minutes; names longest first.
        o = observeDependencyFallback({dep(QStringLiteral("geo"), DependencyHealth::Degraded, now.addSecs(-180)),
                                       dep(QStringLiteral("weather"), DependencyHealth::Down, now.addSecs(-660)),
                                       dep(QStringLiteral("store"), DependencyHealth::Up)},
                                      now);
        QCOMPARE(*o.observation.value, 11.0);
        QCOMPARE(o.inFallback, (QStringList{QStringLiteral("weather"), QStringLiteral("geo")}));
        // Known and none in fallback: 0; unknown ones are left out.
        o = observeDependencyFallback({dep(QStringLiteral("weather"), DependencyHealth::Down),
                                       dep(QStringLiteral("geo"), DependencyHealth::Unknown)},
                                      now);
        QCOMPARE(*o.observation.value, 0.0);
        // Every one unknown: no value (the rule neither fires nor resolves).
        o = observeDependencyFallback({dep(QStringLiteral("weather"), DependencyHealth::Unknown)}, now);
        QVERIFY(!o.observation.value);
    }
};

QTEST_GUILESS_MAIN(TestWeatherAndRule)
#include "test_weather_and_rule.moc"
