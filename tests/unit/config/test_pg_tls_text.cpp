// libpq's TLS refusals turned into sentences a user can act on (core/store/pg/PgTls), for each text libpq 15
// gives; other messages are left alone. The real refusals are in tests/integration/security/test_pg_tls.cpp.
#include "core/store/pg/PgTls.h"

#include <QtTest>

using namespace mldeck;

class TestPgTlsText final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void explains_data()
    {
        QTest::addColumn<QString>("libpq");
        QTest::addColumn<QString>("expected");
        QTest::newRow("wrong host")
            << QStringLiteral("server certificate for \"localhost\" does not match host name \"127.0.0.1\"")
            << QStringLiteral("the server's certificate is for localhost, not 127.0.0.1");
        QTest::newRow("wrong host, several names")
            << QStringLiteral("server certificate for \"db1\" (and 2 other names) does not match host name \"db9\"")
            << QStringLiteral("the server's certificate is for db1 and 2 other name");
        QTest::newRow("unknown CA") << QStringLiteral("SSL error: certificate verify failed")
                                    << QStringLiteral("the server's certificate is not signed by the CA in /ca/x.crt");
        QTest::newRow("no root file")
            << QStringLiteral("root certificate file \"/home/u/.postgresql/root.crt\" does not exist Either provide "
                              "the file or change sslmode to disable server certificate verification")
            << QStringLiteral("and /home/u/.postgresql/root.crt does not exist: choose the CA file");
        QTest::newRow("unreadable root file")
            << QStringLiteral("could not read root certificate file \"/ca/x.crt\": no certificate or crl found")
            << QStringLiteral("the CA file /ca/x.crt could not be read: no certificate or crl found");
        QTest::newRow("server without TLS") << QStringLiteral("server does not support SSL, but SSL was required")
                                            << QStringLiteral("the server does not accept TLS connections");
    }
    void explains()
    {
        QFETCH(QString, libpq);
        QFETCH(QString, expected);
        PgEndpoint e;
        e.sslMode = QStringLiteral("verify-full");
        e.sslRootCert = QStringLiteral("/ca/x.crt");
        const QString text = pg::explainTlsFailure(libpq, e);
        QVERIFY2(text.contains(expected), qPrintable(text));
    }

    void leavesOtherMessagesAlone()
    {
        QVERIFY(pg::explainTlsFailure(QStringLiteral("password authentication failed for user \"x\""), PgEndpoint())
                    .isEmpty());
        QVERIFY(
            pg::explainTlsFailure(QStringLiteral("Connection refused Is the server running"), PgEndpoint()).isEmpty());
    }

    void describesTheSession()
    {
        PgEndpoint e;
        QCOMPARE(PgTlsState::of(false, QString(), e).describe(), QStringLiteral("not encrypted"));
        QVERIFY(PgTlsState::of(true, QStringLiteral("TLSv1.3"), e).describe().contains(QStringLiteral("not verified")));
        e.sslMode = QStringLiteral("verify-ca");
        QVERIFY(PgTlsState::of(true, QStringLiteral("TLSv1.3"), e).caVerified);
        QVERIFY(!PgTlsState::of(true, QStringLiteral("TLSv1.3"), e).hostVerified);
        e.sslMode = QStringLiteral("verify-full");
        QCOMPARE(PgTlsState::of(true, QStringLiteral("TLSv1.3"), e).describe(),
                 QStringLiteral("TLS verified (TLSv1.3)"));
        // A verifying mode says nothing about a session that is not encrypted (libpq would not have opened it).
        QVERIFY(!PgTlsState::of(false, QString(), e).hostVerified);
    }
};

QTEST_GUILESS_MAIN(TestPgTlsText)
#include "test_pg_tls_text.moc"
