// The strict reading of a backend's dependency report (resources/contract/dependencies.md): every
// malformed required field makes the state Unknown with a reason, nothing is coerced.
#include "core/domain/Dependency.h"

#include <QtTest>

using namespace mldeck;

class TestDependencyFields : public QObject
{
    Q_OBJECT

    using Fields = QHash<QByteArray, QByteArray>;

    static Fields good()
    {
        return Fields{{"state", "up"}, {"fallback_active", "0"}, {"updated_at", "2024-06-01T12:00:00.123Z"}};
    }

private Q_SLOTS:
    void readsAGoodReport()
    {
        Fields f = good();
        f.insert("reported_by", "backend@host");
        const DependencyState s = DependencyFields::fromFields(QStringLiteral("eta"), QStringLiteral("weather"), f);
        QCOMPARE(s.state, DependencyHealth::Up);
        QVERIFY(!s.fallbackActive);
        QVERIFY(s.unknownReason.isEmpty());
        QCOMPARE(s.updatedAt, QDateTime(QDate(2024, 6, 1), QTime(12, 0, 0, 123), Qt::UTC));
        QCOMPARE(s.reportedBy, QStringLiteral("backend@host"));
        QCOMPARE(s.name, QStringLiteral("weather"));
    }

    void readsAFallback()
    {
        Fields f = good();
        f["state"] = "down";
        f["fallback_active"] = "1";
        f["fallback_since"] = "2024-06-01T11:48:00Z"; // without milliseconds is accepted
        f["last_error"] = "HTTP 503 from weather API";
        const DependencyState s = DependencyFields::fromFields(QStringLiteral("eta"), QStringLiteral("weather"), f);
        QCOMPARE(s.state, DependencyHealth::Down);
        QVERIFY(s.fallbackActive);
        QCOMPARE(s.fallbackSince, QDateTime(QDate(2024, 6, 1), QTime(11, 48), Qt::UTC));
        QCOMPARE(s.lastError, QStringLiteral("HTTP 503 from weather API"));
        const QDateTime now(QDate(2024, 6, 1), QTime(12, 0, 30), Qt::UTC);
        QCOMPARE(s.fallbackMinutes(now), 12);
        QCOMPARE(s.fallbackSeconds(now), 12 * 60 + 30);
        // A backend clock ahead of ours never gives a negative duration.
        QCOMPARE(s.fallbackSeconds(QDateTime(QDate(2024, 6, 1), QTime(11, 0), Qt::UTC)), 0);
    }

    void fallbackSinceIsIgnoredWhenNotInFallback()
    {
        Fields f = good();
        f["fallback_since"] = "garbage";
        const DependencyState s = DependencyFields::fromFields(QStringLiteral("eta"), QStringLiteral("weather"), f);
        QCOMPARE(s.state, DependencyHealth::Up);
        QVERIFY(!s.fallbackSince.isValid());
        QCOMPARE(s.fallbackMinutes(QDateTime::currentDateTimeUtc()), 0);
    }

    void badValuesReadAsUnknown_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QByteArray>("value"); // "<missing>" removes the field
        QTest::newRow("state missing") << QByteArray("state") << QByteArray("<missing>");
        QTest::newRow("state capitalised") << QByteArray("state") << QByteArray("Up");
        QTest::newRow("state padded") << QByteArray("state") << QByteArray(" up");
        QTest::newRow("state ok") << QByteArray("state") << QByteArray("ok");
        QTest::newRow("state unknown") << QByteArray("state") << QByteArray("unknown");
        QTest::newRow("fallback missing") << QByteArray("fallback_active") << QByteArray("<missing>");
        QTest::newRow("fallback true") << QByteArray("fallback_active") << QByteArray("true");
        QTest::newRow("fallback 2") << QByteArray("fallback_active") << QByteArray("2");
        QTest::newRow("updated_at missing") << QByteArray("updated_at") << QByteArray("<missing>");
        QTest::newRow("updated_at epoch") << QByteArray("updated_at") << QByteArray("1717243200000");
        QTest::newRow("updated_at offset") << QByteArray("updated_at") << QByteArray("2024-06-01T12:00:00+02:00");
        QTest::newRow("updated_at no zone") << QByteArray("updated_at") << QByteArray("2024-06-01T12:00:00");
        QTest::newRow("updated_at impossible") << QByteArray("updated_at") << QByteArray("2024-13-45T12:00:00Z");
    }

    void badValuesReadAsUnknown()
    {
        QFETCH(QByteArray, field);
        QFETCH(QByteArray, value);
        Fields f = good();
        if (value == "<missing>")
            f.remove(field);
        else
            f[field] = value;
        const DependencyState s = DependencyFields::fromFields(QStringLiteral("eta"), QStringLiteral("weather"), f);
        QCOMPARE(s.state, DependencyHealth::Unknown);
        QVERIFY(!s.fallbackActive);
        QVERIFY2(s.unknownReason.contains(QString::fromUtf8(field)), qPrintable(s.unknownReason));
    }

    void fallbackWithoutSinceIsUnknown()
    {
        Fields f = good();
        f["state"] = "down";
        f["fallback_active"] = "1";
        const DependencyState s = DependencyFields::fromFields(QStringLiteral("eta"), QStringLiteral("weather"), f);
        QCOMPARE(s.state, DependencyHealth::Unknown);
        QVERIFY2(s.unknownReason.contains(QLatin1String("fallback_since")), qPrintable(s.unknownReason));
    }

    void longErrorsAreCut()
    {
        Fields f = good();
        f["last_error"] = QByteArray(5000, 'x');
        const DependencyState s = DependencyFields::fromFields(QStringLiteral("eta"), QStringLiteral("weather"), f);
        QCOMPARE(s.lastError.size(), DependencyFields::kMaxErrorChars);
    }

    void expiredAndWrongTypeSayWhy()
    {
        const DependencyState e = DependencyFields::expired(QStringLiteral("eta"), QStringLiteral("weather"));
        QVERIFY(e.isUnknown());
        QVERIFY(!e.unknownReason.isEmpty());
        const DependencyState w =
            DependencyFields::wrongType(QStringLiteral("eta"), QStringLiteral("weather"), "string");
        QVERIFY(w.isUnknown());
        QVERIFY(w.unknownReason.contains(QLatin1String("string")));
    }

    void writerRoundTrip()
    {
        DependencyReport r;
        r.deployment = QStringLiteral("eta");
        r.name = QStringLiteral("weather");
        r.state = DependencyHealth::Degraded;
        r.fallbackActive = true;
        r.fallbackSince = QDateTime(QDate(2024, 6, 1), QTime(11, 0), Qt::UTC);
        r.lastError = QStringLiteral("timeout after 800 ms");
        QVERIFY(!DependencyFields::validate(r));
        const QDateTime now(QDate(2024, 6, 1), QTime(11, 5), Qt::UTC);
        Fields f;
        for (const auto &[k, v] : DependencyFields::toFields(r, now))
            f.insert(k, v);
        QCOMPARE(f.value("fallback_since"), QByteArray("2024-06-01T11:00:00.000Z"));
        const DependencyState s = DependencyFields::fromFields(r.deployment, r.name, f);
        QCOMPARE(s.state, DependencyHealth::Degraded);
        QVERIFY(s.fallbackActive);
        QCOMPARE(s.fallbackSince, r.fallbackSince);
        QCOMPARE(s.updatedAt, now);
        QCOMPARE(s.fallbackMinutes(now), 5);
    }

    void writerRefusesBadReports()
    {
        DependencyReport r;
        r.deployment = QStringLiteral("eta");
        r.name = QStringLiteral("weather");
        QVERIFY(!DependencyFields::validate(r));
        r.state = DependencyHealth::Unknown;
        QVERIFY(DependencyFields::validate(r));
        r.state = DependencyHealth::Down;
        r.fallbackActive = true; // without fallbackSince
        QVERIFY(DependencyFields::validate(r));
        r.fallbackActive = false;
        r.name = QStringLiteral("Weather API");
        QVERIFY(DependencyFields::validate(r));
        r.name = QStringLiteral("weather");
        r.deployment = QStringLiteral("a:b");
        QVERIFY(DependencyFields::validate(r));
    }

    void healthNames()
    {
        for (auto h : {DependencyHealth::Up, DependencyHealth::Down, DependencyHealth::Degraded})
            QCOMPARE(dependencyHealthFromName(dependencyHealthName(h).toUtf8()), h);
        QCOMPARE(dependencyHealthName(DependencyHealth::Unknown), QStringLiteral("unknown"));
        QVERIFY(!dependencyHealthFromName("unknown"));
    }
};

QTEST_GUILESS_MAIN(TestDependencyFields)
#include "test_dependency_fields.moc"
