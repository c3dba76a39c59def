// PostgreSQL over TLS against the local stack's server (ssl=on, a certificate for "localhost" signed by the
// stack's own CA, MLDECK_TEST_PG_CA): verify-full is accepted with that CA and refused, with a message a user
// can act on, for a host name the certificate does not carry and for a CA that did not sign it. The session
// says what was verified; mldeckctl takes the CA file from the URL.
#include "core/services/Probes.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/TestServers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

// mldeckctl with the URL in MLDECK_PG_URL (where passwords belong).
Run mldeckctl(const QStringList &args, const QString &pgUrl)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("MLDECK_PG_URL"), pgUrl);
    env.insert(QStringLiteral("MLDECK_REDIS_URL"), TestServers::redis().toUrl(true));
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
    Run r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class TestPgTls final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_ca = qEnvironmentVariable("MLDECK_TEST_PG_CA");
        QVERIFY2(
            !m_ca.isEmpty() && QFileInfo(m_ca).isReadable(),
            "MLDECK_TEST_PG_CA is not set or not readable: start the servers with packaging/local-stack/mldeck-dev, "
            "which makes the CA and runs PostgreSQL with ssl=on");
        QVERIFY(m_dir.isValid());
    }

    void verifyFullAcceptedWithTheLocalCa()
    {
        const PgEndpoint e = verifying(QStringLiteral("localhost"), QStringLiteral("verify-full"), m_ca);
        auto conn = PgConnection::open(e, QStringLiteral("test_pg_tls"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        const PgTlsState tls = conn.value()->tls();
        QVERIFY(tls.encrypted);
        QVERIFY(tls.caVerified);
        QVERIFY(tls.hostVerified);
        QVERIFY2(tls.protocol.startsWith(QStringLiteral("TLSv1.")), qPrintable(tls.protocol));
        QVERIFY2(tls.describe().startsWith(QStringLiteral("TLS verified")), qPrintable(tls.describe()));
        QVERIFY(conn.value()->ping().ok());

        // What the status bar shows (the same probe as mldeckctl status).
        const ProbeResult probe = probePg(e);
        QVERIFY2(probe.up, qPrintable(probe.detail));
        QVERIFY2(probe.detail.contains(QStringLiteral("TLS verified")), qPrintable(probe.detail));
        QCOMPARE(probe.tlsVerified, QStringLiteral("full"));
    }

    // verify-ca checks the CA only: an address the certificate does not name is accepted, and said so.
    void verifyCaChecksTheCaNotTheName()
    {
        auto conn = PgConnection::open(verifying(QStringLiteral("127.0.0.1"), QStringLiteral("verify-ca"), m_ca),
                                       QStringLiteral("test_pg_tls"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        QVERIFY(conn.value()->tls().caVerified);
        QVERIFY(!conn.value()->tls().hostVerified);
        QVERIFY2(conn.value()->tls().describe().contains(QStringLiteral("host name not checked")),
                 qPrintable(conn.value()->tls().describe()));
    }

    // What every existing client does (sslmode=prefer) still works, encrypted but unverified; disable is plain.
    void preferAndDisableKeepWorking()
    {
        PgEndpoint e = TestServers::pg();
        e.sslMode = QStringLiteral("prefer");
        auto prefer = PgConnection::open(e, QStringLiteral("test_pg_tls"));
        QVERIFY2(prefer.ok(), qPrintable(prefer.errorMessage()));
        QVERIFY(prefer.value()->tls().encrypted);
        QVERIFY(!prefer.value()->tls().caVerified);
        QVERIFY2(prefer.value()->tls().describe().contains(QStringLiteral("not verified")),
                 qPrintable(prefer.value()->tls().describe()));

        e.sslMode = QStringLiteral("disable");
        auto plain = PgConnection::open(e, QStringLiteral("test_pg_tls"));
        QVERIFY2(plain.ok(), qPrintable(plain.errorMessage()));
        QVERIFY(!plain.value()->tls().encrypted);
        QCOMPARE(plain.value()->tls().describe(), QStringLiteral("not encrypted"));
    }

    void wrongHostNameRefused()
    {
        auto conn = PgConnection::open(verifying(QStringLiteral("127.0.0.1"), QStringLiteral("verify-full"), m_ca),
                                       QStringLiteral("test_pg_tls"));
        QVERIFY(!conn.ok());
        QVERIFY2(
            conn.errorMessage().contains(QStringLiteral("the server's certificate is for localhost, not 127.0.0.1")),
            qPrintable(conn.errorMessage()));
        qInfo("wrong host: %s", qPrintable(conn.errorMessage()));
    }

    void unknownCaRefused()
    {
        const QString otherCa = m_dir.filePath(QStringLiteral("other-ca.crt"));
        QProcess openssl;
        openssl.setProcessChannelMode(QProcess::MergedChannels);
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-new"),
                       QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                       QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                       QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                       QStringLiteral("/CN=Another CA"), QStringLiteral("-keyout"),
                       m_dir.filePath(QStringLiteral("other-ca.key")), QStringLiteral("-out"), otherCa});
        QVERIFY2(openssl.waitForFinished(60000) && openssl.exitCode() == 0, openssl.readAll().constData());

        auto conn = PgConnection::open(verifying(QStringLiteral("localhost"), QStringLiteral("verify-full"), otherCa),
                                       QStringLiteral("test_pg_tls"));
        QVERIFY(!conn.ok());
        QVERIFY2(conn.errorMessage().contains(
                     QStringLiteral("the server's certificate is not signed by the CA in %1").arg(otherCa)),
                 qPrintable(conn.errorMessage()));
        qInfo("unknown CA: %s", qPrintable(conn.errorMessage()));
    }

    // A CA file that is not there is named before any connection is tried; verify-full without any CA file
    // says how to give one.
    void missingCaFileNamed()
    {
        const QString missing = m_dir.filePath(QStringLiteral("nope.crt"));
        auto conn = PgConnection::open(verifying(QStringLiteral("localhost"), QStringLiteral("verify-full"), missing),
                                       QStringLiteral("test_pg_tls"));
        QVERIFY(!conn.ok());
        QVERIFY2(conn.errorMessage().contains(QStringLiteral("The CA file %1 does not exist").arg(missing)),
                 qPrintable(conn.errorMessage()));
    }

    // mldeckctl reads the CA file from the URL's query; refusals are its one error line.
    void cliTakesTheCaFromTheUrl()
    {
        PgEndpoint e = verifying(QStringLiteral("localhost"), QStringLiteral("verify-full"), m_ca);
        QVERIFY(e.toUrl(true).contains(QStringLiteral("sslrootcert=")));
        Run r = mldeckctl({QStringLiteral("status"), QStringLiteral("--json")}, e.toUrl(true));
        const QJsonObject pg =
            QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("postgresql")).toObject();
        QCOMPARE(pg.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
        const QJsonObject tls = pg.value(QStringLiteral("tls")).toObject();
        QCOMPARE(tls.value(QStringLiteral("encrypted")).toBool(), true);
        QCOMPARE(tls.value(QStringLiteral("verified")).toString(), QStringLiteral("full"));

        e.host = QStringLiteral("127.0.0.1");
        r = mldeckctl({QStringLiteral("migrate"), QStringLiteral("--status")}, e.toUrl(true));
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("the server's certificate is for localhost, not 127.0.0.1")),
                 qPrintable(r.err));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
    }

private:
    static PgEndpoint verifying(const QString &host, const QString &mode, const QString &ca)
    {
        PgEndpoint e = TestServers::pg();
        e.host = host;
        e.sslMode = mode;
        e.sslRootCert = ca;
        return e;
    }

    QString m_ca;
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestPgTls)
#include "test_pg_tls.moc"
