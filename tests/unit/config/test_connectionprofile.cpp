#include "core/config/ConnectionProfile.h"

#include <QtTest>

using namespace mldeck;

class TestConnectionProfile final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsWithNameAreValid()
    {
        ConnectionProfile p;
        p.name = QStringLiteral("local");
        const Status st = p.validate();
        QVERIFY2(st.ok(), qPrintable(st.errorMessage()));
    }

    void rejects_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("name with surrounding spaces") << 0;
        QTest::newRow("name too long") << 1;
        QTest::newRow("negative redis db") << 2;
        QTest::newRow("redis host with @") << 3;
        QTest::newRow("negative pg port") << 4;
        QTest::newRow("name with a newline") << 5;
    }
    void rejects()
    {
        QFETCH(int, which);
        ConnectionProfile p;
        p.name = QStringLiteral("ok");
        switch (which) {
        case 0:
            p.name = QStringLiteral(" prod ");
            break;
        case 1:
            p.name = QString(65, QLatin1Char('x'));
            break;
        case 2:
            p.redis.db = -1;
            break;
        case 3:
            p.redis.host = QStringLiteral("user@host");
            break;
        case 4:
            p.pg.port = -1;
            break;
        case 5:
            p.name = QStringLiteral("a\nb");
            break;
        }
        const Status st = p.validate();
        QVERIFY(!st.ok());
        QVERIFY(!st.errorMessage().isEmpty());
    }

    void secretAccountsDifferPerServerAndProfile()
    {
        ConnectionProfile a;
        a.name = QStringLiteral("a");
        ConnectionProfile b;
        b.name = QStringLiteral("b");
        QVERIFY(a.redisSecretAccount() != a.pgSecretAccount());
        QVERIFY(a.redisSecretAccount() != b.redisSecretAccount());
        QVERIFY(a.pgSecretAccount().contains(QStringLiteral("a")));
    }
};

QTEST_GUILESS_MAIN(TestConnectionProfile)
#include "test_connectionprofile.moc"
