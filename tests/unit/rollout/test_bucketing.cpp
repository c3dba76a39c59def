// The bucketing rule against the vectors of an independent implementation, and its two
// promises: raising the percentage never moves a key out of ML, and the share is what was asked.
#include "core/rollout/Bucketing.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace mldeck;

namespace {

FlagState validFlags(const QString &deployment, int percentage)
{
    FlagState f;
    f.deployment = deployment;
    f.exists = true;
    f.mlEnabled = true;
    f.trafficPercentage = percentage;
    f.version = 1;
    return f;
}

} // namespace

class TestBucketing : public QObject
{
    Q_OBJECT

private:
    QJsonObject m_vectors;

private Q_SLOTS:
    void initTestCase()
    {
        const QString dir = qEnvironmentVariable("MLDECK_SOURCE_DIR");
        QVERIFY2(!dir.isEmpty(), "MLDECK_SOURCE_DIR is not set (run through ctest)");
        QFile f(dir + QStringLiteral("/resources/contract/bucket_vectors.json"));
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
        QJsonParseError err{};
        m_vectors = QJsonDocument::fromJson(f.readAll(), &err).object();
        QCOMPARE(err.error, QJsonParseError::NoError);
    }

    void publishedReferenceValues()
    {
        const QJsonArray refs = m_vectors.value(QLatin1String("reference")).toArray();
        QVERIFY(refs.size() >= 10);
        for (const QJsonValue &v : refs) {
            const QJsonObject o = v.toObject();
            const QByteArray input = QByteArray::fromHex(o.value(QLatin1String("input_hex")).toString().toLatin1());
            const auto seed = quint32(o.value(QLatin1String("seed")).toDouble());
            const auto expected = quint32(o.value(QLatin1String("hash")).toDouble());
            QCOMPARE(murmur3_x86_32(input, seed), expected);
        }
        QCOMPARE(murmur3_x86_32(QByteArrayView(""), 0), 0U);
        QCOMPARE(murmur3_x86_32(QByteArrayView("hello"), 0), 0x248bfa47U);
    }

    void vectorsFromIndependentImplementation()
    {
        const QJsonArray vectors = m_vectors.value(QLatin1String("vectors")).toArray();
        QVERIFY(vectors.size() >= 200);
        int emptyKeys = 0, nonAscii = 0, longKeys = 0;
        for (const QJsonValue &v : vectors) {
            const QJsonObject o = v.toObject();
            const QString d = o.value(QLatin1String("deployment")).toString();
            const QString k = o.value(QLatin1String("key")).toString();
            const auto hash = quint32(o.value(QLatin1String("hash")).toDouble());
            const int b = o.value(QLatin1String("bucket")).toInt();
            const QByteArray utf8 = (d + QLatin1Char(':') + k).toUtf8();
            QVERIFY2(murmur3_x86_32(utf8, 0) == hash, qPrintable(d + QLatin1Char(':') + k));
            QCOMPARE(bucket(d, k), b);
            emptyKeys += k.isEmpty();
            nonAscii += utf8.size() != k.size() + d.size() + 1;
            longKeys += k.size() >= 255;
        }
        QVERIFY(emptyKeys >= 1);
        QVERIFY(nonAscii >= 10);
        QVERIFY(longKeys >= 3);
    }

    void bucketIsInRange()
    {
        for (int i = 0; i < 10000; ++i) {
            const int b = bucket(QStringLiteral("eta"), QString::number(i));
            QVERIFY(b >= 1 && b <= 100);
        }
    }

    void raisingThePercentageNeverMovesAKeyOutOfMl()
    {
        for (int i = 0; i < 5000; ++i) {
            const QString key = QStringLiteral("booking-") + QString::number(i);
            bool wasMl = false;
            for (int p = 0; p <= 100; ++p) {
                const bool ml = routesToMl(validFlags(QStringLiteral("eta"), p), key);
                QVERIFY2(!(wasMl && !ml), qPrintable(key));
                wasMl = ml;
            }
            QVERIFY(wasMl); // 100 % routes everything
            QVERIFY(!routesToMl(validFlags(QStringLiteral("eta"), 0), key));
        }
    }

    void mlShareMatchesThePercentage_data()
    {
        QTest::addColumn<int>("percentage");
        for (int p : {1, 5, 10, 25, 50, 75, 90, 99})
            QTest::addRow("%d%%", p) << p;
    }

    void mlShareMatchesThePercentage()
    {
        QFETCH(int, percentage);
        constexpr int n = 100000;
        const FlagState flags = validFlags(QStringLiteral("eta"), percentage);
        int ml = 0;
        for (int i = 0; i < n; ++i)
            ml += routesToMl(flags, QStringLiteral("booking-") + QString::number(i));
        const double share = 100.0 * ml / n;
        QVERIFY2(qAbs(share - percentage) <= 1.0, qPrintable(QString::number(share)));
    }

    void invalidOrDisabledFlagsRouteNothing()
    {
        FlagState disabled = validFlags(QStringLiteral("eta"), 100);
        disabled.mlEnabled = false;
        FlagState invalid = validFlags(QStringLiteral("eta"), 100);
        invalid.invalidFields = {QStringLiteral("fallback_on_error")};
        FlagState missing = validFlags(QStringLiteral("eta"), 100);
        missing.exists = false;
        for (int i = 0; i < 1000; ++i) {
            const QString key = QString::number(i);
            QVERIFY(!routesToMl(disabled, key));
            QVERIFY(!routesToMl(invalid, key));
            QVERIFY(!routesToMl(missing, key));
        }
    }

    void deploymentsAreIndependent()
    {
        // The deployment is part of the input: the same key lands in different buckets elsewhere.
        int same = 0;
        for (int i = 0; i < 1000; ++i)
            same += bucket(QStringLiteral("eta"), QString::number(i)) ==
                    bucket(QStringLiteral("pricing"), QString::number(i));
        QVERIFY(same < 50);
    }
};

QTEST_GUILESS_MAIN(TestBucketing)
#include "test_bucketing.moc"
