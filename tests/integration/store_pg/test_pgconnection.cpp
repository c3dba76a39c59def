// PgConnection against a real PostgreSQL: queries, parameters, NULLs, and readable errors.
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

class TestPgConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void openPingAndQuery()
    {
        auto c = PgConnection::open(TestServers::pg(), QStringLiteral("test_pgconnection"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        PgConnection &conn = *c.value();
        QVERIFY(conn.ping().ok());
        QCOMPARE(conn.currentUser(), TestServers::pg().user);
        QVERIFY2(conn.serverVersion().startsWith(QStringLiteral("15")), qPrintable(conn.serverVersion()));

        const auto rows =
            test::query(conn, QStringLiteral("SELECT $1::text, $2::int + 1, NULL::text, ''::text, $3::text IS NULL"),
                        {QStringLiteral("h\u00e9llo \"w\" 🚀"), QStringLiteral("41"), QString()});
        QVERIFY2(rows.ok(), qPrintable(rows.errorMessage()));
        QCOMPARE(rows->size(), 1);
        const QStringList r = rows->first();
        QCOMPARE(r.at(0), QStringLiteral("h\u00e9llo \"w\" 🚀"));
        QCOMPARE(r.at(1), QStringLiteral("42"));
        QVERIFY(r.at(2).isNull());
        QVERIFY(!r.at(3).isNull());
        QVERIFY(r.at(3).isEmpty());
        QCOMPARE(r.at(4), QStringLiteral("t"));

        // The session runs in UTC whatever the server's TimeZone.
        const auto tz = test::query(conn, QStringLiteral("SHOW TimeZone"));
        QVERIFY(tz.ok());
        QCOMPARE(tz->first().first(), QStringLiteral("UTC"));
    }

    void sqlErrorsAreReadableAndConnectionSurvives()
    {
        auto c = PgConnection::open(TestServers::pg(), QStringLiteral("test_pgconnection"));
        QVERIFY(c.ok());
        PgConnection &conn = *c.value();
        const auto bad = test::query(conn, QStringLiteral("SELECT * FROM no_such_table_xyz"));
        QVERIFY(!bad.ok());
        QVERIFY2(bad.errorMessage().contains(QStringLiteral("no_such_table_xyz")), qPrintable(bad.errorMessage()));
        QVERIFY2(!bad.errorMessage().contains(QStringLiteral("ERROR:")), qPrintable(bad.errorMessage()));
        QVERIFY(!bad.errorMessage().contains(QLatin1Char('\n')));
        const Status st = test::exec(conn, QStringLiteral("SELECT 1/0"));
        QVERIFY(!st.ok());
        QVERIFY2(st.errorMessage().contains(QStringLiteral("division by zero")), qPrintable(st.errorMessage()));
        QVERIFY(conn.ping().ok());
    }

    void badEndpoints_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("expected");
        QTest::newRow("wrong password") << QStringLiteral("password")
                                        << QStringLiteral("password authentication failed");
        QTest::newRow("wrong port") << QStringLiteral("port") << QStringLiteral("Connection refused");
        QTest::newRow("missing database") << QStringLiteral("database") << QStringLiteral("does not exist");
    }

    void badEndpoints()
    {
        QFETCH(QString, what);
        QFETCH(QString, expected);
        PgEndpoint e = TestServers::pg();
        if (what == QLatin1String("password"))
            e.password = QStringLiteral("definitely-wrong");
        else if (what == QLatin1String("port"))
            e.port = 1; // nothing listens on port 1
        else
            e.database = uniqueName(QStringLiteral("mldeck_missing"));
        e.connectTimeoutS = 3;
        QElapsedTimer timer;
        timer.start();
        const auto c = PgConnection::open(e, QStringLiteral("test_pgconnection"));
        QVERIFY(!c.ok());
        QVERIFY(timer.elapsed() < 10000);
        const QString msg = c.errorMessage();
        const QString where = QStringLiteral("cannot connect to PostgreSQL at %1:%2: ").arg(e.host).arg(e.port);
        QVERIFY2(msg.startsWith(where), qPrintable(msg));
        QVERIFY2(msg.contains(expected), qPrintable(msg));
        if (what == QLatin1String("database"))
            QVERIFY2(msg.contains(e.database), qPrintable(msg));
        QVERIFY2(!msg.contains(QLatin1Char('\n')) && !msg.contains(QStringLiteral("FATAL")), qPrintable(msg));
        QVERIFY2(!msg.contains(QStringLiteral("definitely-wrong")), "the password must never appear in a message");
    }
};

QTEST_GUILESS_MAIN(TestPgConnection)
#include "test_pgconnection.moc"
