// Strict parsing of the flag fields: a malformed value is reported, never coerced.
#include "core/rollout/FlagValues.h"

#include <QtTest>

using namespace mldeck;

namespace {

QHash<QByteArray, QByteArray> goodFields()
{
    return {{"ml_enabled", "1"},
            {"ml_traffic_percentage", "25"},
            {"fallback_on_error", "0"},
            {"version", "7"},
            {"updated_at", "2024-06-01T12:00:00.000Z"},
            {"updated_by", "alice@host"}};
}

} // namespace

class TestFlagValues : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void percentage_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("expected"); // -1: rejected
        QTest::newRow("0") << QByteArray("0") << 0;
        QTest::newRow("1") << QByteArray("1") << 1;
        QTest::newRow("25") << QByteArray("25") << 25;
        QTest::newRow("100") << QByteArray("100") << 100;
        QTest::newRow("150") << QByteArray("150") << -1;
        QTest::newRow("101") << QByteArray("101") << -1;
        QTest::newRow("-1") << QByteArray("-1") << -1;
        QTest::newRow("abc") << QByteArray("abc") << -1;
        QTest::newRow("empty") << QByteArray("") << -1;
        QTest::newRow("space before") << QByteArray(" 5") << -1;
        QTest::newRow("space after") << QByteArray("5 ") << -1;
        QTest::newRow("decimal") << QByteArray("1.0") << -1;
        QTest::newRow("leading zero") << QByteArray("050") << -1;
        QTest::newRow("plus") << QByteArray("+5") << -1;
        QTest::newRow("huge") << QByteArray("99999999999999999999999") << -1;
        QTest::newRow("nul") << QByteArray("5\0", 2) << -1;
    }

    void percentage()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, expected);
        const std::optional<int> v = parseTrafficPercentage(text);
        if (expected < 0) {
            QVERIFY(!v.has_value());
            QVERIFY(!parseTrafficPercentageInput(QString::fromUtf8(text)).ok());
        } else {
            QCOMPARE(v.value(), expected);
            QCOMPARE(parseTrafficPercentageInput(QString::fromUtf8(text)).value(), expected);
        }
    }

    void boolean_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("expected"); // -1: rejected
        QTest::newRow("0") << QByteArray("0") << 0;
        QTest::newRow("1") << QByteArray("1") << 1;
        QTest::newRow("2") << QByteArray("2") << -1;
        QTest::newRow("-1") << QByteArray("-1") << -1;
        QTest::newRow("true") << QByteArray("true") << -1;
        QTest::newRow("abc") << QByteArray("abc") << -1;
        QTest::newRow("01") << QByteArray("01") << -1;
        QTest::newRow("space") << QByteArray(" 1") << -1;
        QTest::newRow("empty") << QByteArray("") << -1;
    }

    void boolean()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, expected);
        const std::optional<bool> v = parseFlagBool(text);
        if (expected < 0)
            QVERIFY(!v.has_value());
        else
            QCOMPARE(int(v.value()), expected);
    }

    void inputErrorsSayWhatIsAllowed()
    {
        const auto pct = parseTrafficPercentageInput(QStringLiteral("150"));
        QVERIFY(!pct.ok());
        QVERIFY(pct.errorMessage().contains(QLatin1String("0 to 100")));
        QVERIFY(pct.errorMessage().contains(QLatin1String("150")));
        const auto b = parseFlagBoolInput(QStringLiteral("--enabled"), QStringLiteral("yes"));
        QVERIFY(!b.ok());
        QVERIFY(b.errorMessage().contains(QLatin1String("0 or 1")));
    }

    void version()
    {
        QCOMPARE(parseFlagVersion("0").value(), 0);
        QCOMPARE(parseFlagVersion("123456789").value(), 123456789);
        QVERIFY(!parseFlagVersion("-3").has_value());
        QVERIFY(!parseFlagVersion("7.5").has_value());
        QVERIFY(!parseFlagVersion("abc").has_value());
    }

    void goodHashIsValid()
    {
        const FlagState s = flagStateFromFields(QStringLiteral("eta"), goodFields());
        QVERIFY(s.exists);
        QVERIFY(s.isValid());
        QVERIFY(s.mlEnabled);
        QCOMPARE(s.trafficPercentage, 25);
        QVERIFY(!s.fallbackOnError);
        QCOMPARE(s.version, 7);
        QCOMPARE(s.updatedBy, QStringLiteral("alice@host"));
        QCOMPARE(s.updatedAt, QDateTime(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC));
        QVERIFY(s.routesToMl(25));
        QVERIFY(!s.routesToMl(26));
    }

    void badFieldIsListedAndNotCoerced_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QByteArray>("value"); // empty: the field is missing
        QTest::newRow("percentage 150") << QByteArray("ml_traffic_percentage") << QByteArray("150");
        QTest::newRow("percentage -1") << QByteArray("ml_traffic_percentage") << QByteArray("-1");
        QTest::newRow("percentage abc") << QByteArray("ml_traffic_percentage") << QByteArray("abc");
        QTest::newRow("percentage missing") << QByteArray("ml_traffic_percentage") << QByteArray();
        QTest::newRow("enabled 2") << QByteArray("ml_enabled") << QByteArray("2");
        QTest::newRow("enabled true") << QByteArray("ml_enabled") << QByteArray("true");
        QTest::newRow("enabled missing") << QByteArray("ml_enabled") << QByteArray();
        QTest::newRow("fallback abc") << QByteArray("fallback_on_error") << QByteArray("abc");
        QTest::newRow("version abc") << QByteArray("version") << QByteArray("abc");
        QTest::newRow("version missing") << QByteArray("version") << QByteArray();
    }

    void badFieldIsListedAndNotCoerced()
    {
        QFETCH(QByteArray, field);
        QFETCH(QByteArray, value);
        auto fields = goodFields();
        if (value.isEmpty())
            fields.remove(field);
        else
            fields.insert(field, value);
        const FlagState s = flagStateFromFields(QStringLiteral("eta"), fields);
        QVERIFY(s.exists);
        QCOMPARE(s.invalidFields, QStringList{QString::fromLatin1(field)});
        QVERIFY(!s.isValid());
        for (int b = 1; b <= 100; ++b)
            QVERIFY(!s.routesToMl(b)); // invalid means ML off
        if (field == "ml_traffic_percentage")
            QCOMPARE(s.trafficPercentage, 0); // not clamped to 100, not wrapped: the safe default
    }

    void metadataNeverInvalidates()
    {
        auto fields = goodFields();
        fields.remove("updated_at");
        fields.remove("updated_by");
        QVERIFY(flagStateFromFields(QStringLiteral("eta"), fields).isValid());
    }

    void wrongTypeKeyIsInvalid()
    {
        const FlagState s = flagStateOfWrongType(QStringLiteral("eta"));
        QVERIFY(s.exists);
        QCOMPARE(s.invalidFields.size(), 4);
        QVERIFY(!s.routesToMl(1));
    }
};

QTEST_GUILESS_MAIN(TestFlagValues)
#include "test_flagvalues.moc"
