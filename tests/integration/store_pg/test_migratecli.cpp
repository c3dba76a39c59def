// `mldeckctl migrate` as ops scripts call it: output, --status/--json, exit codes 0/1/2.
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
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

Run mldeckctl(const QStringList &args, const QString &pgUrl = {})
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("MLDECK_PG_URL"));
    if (!pgUrl.isEmpty())
        env.insert(QStringLiteral("MLDECK_PG_URL"), pgUrl);
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("MLDECKCTL"), QStringList{QStringLiteral("migrate")} + args);
    if (!p.waitForFinished(60000))
        return {};
    return Run{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
               QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestMigrateCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(),
                 "MLDECKCTL must point at the built mldeckctl");
    }

    void migrateThenStatus()
    {
        ScratchDatabase db(QStringLiteral("cli"));
        const QString url = db.endpoint().toUrl(true);

        Run r = mldeckctl({QStringLiteral("--status")}, url);
        QCOMPARE(r.code, 1); // pending steps
        QVERIFY2(r.out.contains(QStringLiteral("pending: 001_prediction_log")), qPrintable(r.out));

        r = mldeckctl({QStringLiteral("--pg"), url}); // --pg wins over the environment
        QCOMPARE(r.code, 0);
        for (const QString &step : Migrator::stepNames())
            QVERIFY2(r.out.contains(QStringLiteral("applied ") + step), qPrintable(r.out));
        // The one line on stderr: the password given on the command line, and where it belongs.
        QVERIFY2(r.err.startsWith(QStringLiteral("mldeckctl: warning: --pg carries a password")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("MLDECK_PG_URL")), qPrintable(r.err));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);

        r = mldeckctl({}, url);
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QStringLiteral("up to date")), qPrintable(r.out));

        r = mldeckctl({QStringLiteral("--status"), QStringLiteral("--json")}, url);
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(o.value(QStringLiteral("current")).toInt(), Migrator::latestVersion());
        QCOMPARE(o.value(QStringLiteral("latest")).toInt(), Migrator::latestVersion());
        QVERIFY(o.value(QStringLiteral("pending")).toArray().isEmpty());
    }

    void errorsExitTwoWithOneLine()
    {
        ScratchDatabase db(QStringLiteral("cli"));
        PgEndpoint wrong = db.endpoint();
        wrong.password = QStringLiteral("nope");
        Run r = mldeckctl({}, wrong.toUrl(true));
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.startsWith(QStringLiteral("mldeckctl: cannot connect to PostgreSQL at")), qPrintable(r.err));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);

        r = mldeckctl({QStringLiteral("--bogus")}, db.endpoint().toUrl(true));
        QCOMPARE(r.code, 2);

        r = mldeckctl({}); // no URL at all
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("MLDECK_PG_URL")), qPrintable(r.err));

        auto conn = PgConnection::open(db.endpoint(), QStringLiteral("test_migratecli"));
        QVERIFY(conn.ok());
        QVERIFY(
            test::exec(*conn.value(), QStringLiteral("CREATE SCHEMA mldeck; CREATE TABLE mldeck.things (x int)")).ok());
        r = mldeckctl({}, db.endpoint().toUrl(true));
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("did not create")), qPrintable(r.err));
        r = mldeckctl({QStringLiteral("--status")}, db.endpoint().toUrl(true));
        QCOMPARE(r.code, 2);
    }
};

QTEST_GUILESS_MAIN(TestMigrateCli)
#include "test_migratecli.moc"
