#include "core/simulator/Scenario.h"

#include <QtTest>

using namespace mldeck;

class TestScenario final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("ms") << QStringLiteral("250ms") << qint64(250);
        QTest::newRow("s") << QStringLiteral("30s") << qint64(30'000);
        QTest::newRow("fraction") << QStringLiteral("1.5m") << qint64(90'000);
        QTest::newRow("h") << QStringLiteral("2h") << qint64(7'200'000);
    }
    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        const auto parsed = parseDurationMs(text);
        QVERIFY2(parsed.ok(), qPrintable(parsed.errorMessage()));
        QCOMPARE(*parsed, ms);
    }

    void badDurations()
    {
        for (const char *bad : {"", "5", "m5", "-3s", "5 minutes", "abc"})
            QVERIFY2(!parseDurationMs(QString::fromLatin1(bad)).ok(), bad);
    }

    void scenarios()
    {
        const auto drift = parseScenario(QStringLiteral("drift@5m"));
        QVERIFY(drift.ok());
        QCOMPARE(drift->kind, Scenario::Kind::Drift);
        QCOMPARE(drift->startMs, qint64(300'000));
        QCOMPARE(drift->durationMs, qint64(-1));
        QVERIFY(!drift->activeAt(299'999));
        QVERIFY(drift->activeAt(300'000));
        QVERIFY(drift->activeAt(100'000'000));

        const auto errors = parseScenario(QStringLiteral("errors@2m+3m"));
        QVERIFY(errors.ok());
        QCOMPARE(errors->kind, Scenario::Kind::Errors);
        QVERIFY(errors->activeAt(120'000));
        QVERIFY(errors->activeAt(299'999));
        QVERIFY(!errors->activeAt(300'000));

        const auto degraded = parseScenario(QStringLiteral("degraded"));
        QVERIFY(degraded.ok());
        QVERIFY(degraded->activeAt(0));
    }

    void badScenariosExplainThemselves()
    {
        const auto unknown = parseScenario(QStringLiteral("meteor@5m"));
        QVERIFY(!unknown.ok());
        QVERIFY(unknown.errorMessage().contains(QStringLiteral("meteor")));
        QVERIFY(unknown.errorMessage().contains(QStringLiteral("drift")));
        QVERIFY(!parseScenario(QStringLiteral("drift@soon")).ok());
        QVERIFY(!parseScenario(QStringLiteral("errors@1m+0s")).ok());
    }

    void anyActiveLooksAtKindAndTime()
    {
        std::vector<Scenario> list{*parseScenario(QStringLiteral("latency@10s+10s")),
                                   *parseScenario(QStringLiteral("errors@1m"))};
        QVERIFY(anyActive(list, Scenario::Kind::Latency, 15'000));
        QVERIFY(!anyActive(list, Scenario::Kind::Latency, 25'000));
        QVERIFY(!anyActive(list, Scenario::Kind::Errors, 15'000));
        QVERIFY(anyActive(list, Scenario::Kind::Errors, 60'000));
        QVERIFY(!anyActive(list, Scenario::Kind::Drift, 60'000));
    }
};

QTEST_GUILESS_MAIN(TestScenario)
#include "test_scenario.moc"
