#include "core/services/KpiSnapshot.h"

#include <QTest>

using namespace mldeck;

// Range parsing and the display bucket rule.
class TestKpiQuery final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void goodRanges_data()
    {
        QTest::addColumn<QString>("range");
        QTest::addColumn<qint64>("seconds");
        QTest::newRow("15m") << "15m" << qint64(900);
        QTest::newRow("1h") << "1h" << qint64(3600);
        QTest::newRow("24h") << "24h" << qint64(86400);
        QTest::newRow("7d") << "7d" << qint64(7 * 86400);
        QTest::newRow("30d") << "30d" << qint64(30 * 86400);
        QTest::newRow("90m upper") << "90M" << qint64(5400);
        QTest::newRow("366d") << "366d" << qint64(366 * 86400);
    }
    void goodRanges()
    {
        QFETCH(QString, range);
        QFETCH(qint64, seconds);
        const auto q = KpiQuery::lastRange(QStringLiteral("eta"), range, 1'700'000'000);
        QVERIFY(q.has_value());
        QCOMPARE(q->deployment, QStringLiteral("eta"));
        QCOMPARE(q->toSecs, qint64(1'700'000'000));
        QCOMPARE(q->rangeSeconds(), seconds);
        QVERIFY(q->live);
    }
    void badRanges_data()
    {
        QTest::addColumn<QString>("range");
        for (const char *r : {"", "h", "0h", "-1h", "1x", "1.5h", "1 hour", "367d", "10000000m", "1h2m"})
            QTest::newRow(r) << QString::fromLatin1(r);
    }
    void badRanges()
    {
        QFETCH(QString, range);
        QVERIFY(!KpiQuery::lastRange(QStringLiteral("eta"), range, 1'700'000'000).has_value());
    }
    void displayBuckets_data()
    {
        QTest::addColumn<qint64>("range");
        QTest::addColumn<int>("bucket");
        QTest::newRow("15m") << qint64(900) << 60;
        QTest::newRow("1h") << qint64(3600) << 60;
        QTest::newRow("5h exactly 300 points") << qint64(5 * 3600) << 60;
        QTest::newRow("5h1m") << qint64(5 * 3600 + 60) << 300;
        QTest::newRow("24h") << qint64(86400) << 300;
        QTest::newRow("7d") << qint64(7 * 86400) << 3600;
        QTest::newRow("30d") << qint64(30 * 86400) << 10800;
        QTest::newRow("60d") << qint64(60 * 86400) << 21600;
        QTest::newRow("366d") << qint64(366 * 86400) << 86400;
    }
    void displayBuckets()
    {
        QFETCH(qint64, range);
        QFETCH(int, bucket);
        QCOMPARE(displayBucketSeconds(range), bucket);
        QVERIFY(range / bucket <= 300 || bucket == 86400);
    }
};

QTEST_GUILESS_MAIN(TestKpiQuery)
#include "test_kpiquery.moc"
