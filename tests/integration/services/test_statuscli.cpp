#include "tests/integration/services/FreePort.h"
#include "tests/support/TestServers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

using namespace mldeck;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

// --redis URL and --pg URL are handed over as MLDECK_REDIS_URL and MLDECK_PG_URL: the URLs carry passwords,
// which belong in the environment (on the command line mldeckctl warns, on stderr).
Run runStatus(const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("MLDECK_REDIS_URL"));
    env.remove(QStringLiteral("MLDECK_PG_URL"));
    QStringList rest;
    for (qsizetype i = 0; i < args.size(); ++i) {
        if ((args.at(i) == QLatin1String("--redis") || args.at(i) == QLatin1String("--pg")) && i + 1 < args.size()) {
            env.insert(args.at(i) == QLatin1String("--pg") ? QStringLiteral("MLDECK_PG_URL")
                                                           : QStringLiteral("MLDECK_REDIS_URL"),
                       args.at(i + 1));
            ++i;
        } else {
            rest << args.at(i);
        }
    }
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
            QStringList{QStringLiteral("status")} + rest);
    Run r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString redisUrl()
{
    return qEnvironmentVariable("MLDECK_TEST_REDIS_URL");
}
QString pgUrl()
{
    return qEnvironmentVariable("MLDECK_TEST_PG_URL");
}

} // namespace

class TestStatusCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(!qEnvironmentVariableIsEmpty("MLDECK_BINARY_DIR"), "MLDECK_BINARY_DIR is not set (run via ctest)");
    }

    void bothUpExitsZero()
    {
        const Run r = runStatus({QStringLiteral("--redis"), redisUrl(), QStringLiteral("--pg"), pgUrl()});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        const QStringList lines = r.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines.at(0).startsWith(QStringLiteral("Redis")));
        QVERIFY(lines.at(0).contains(QStringLiteral(" up ")));
        QVERIFY(lines.at(1).startsWith(QStringLiteral("PostgreSQL")));
        QVERIFY(lines.at(1).contains(QStringLiteral("schema")));
        QVERIFY(lines.at(2).startsWith(QStringLiteral("Model worker")));
        QVERIFY2(lines.at(2).contains(QStringLiteral(" up ")) &&
                     lines.at(2).contains(QStringLiteral("mldeck-model-worker")),
                 qPrintable(lines.at(2)));
        QVERIFY(r.err.isEmpty());
        QVERIFY2(!r.out.contains(QStringLiteral(":mldeck@")), "the password must not be printed");
    }

    void jsonIsMachineReadable()
    {
        const Run r = runStatus(
            {QStringLiteral("--redis"), redisUrl(), QStringLiteral("--pg"), pgUrl(), QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonObject o = doc.object();
        QCOMPARE(o.value(QStringLiteral("ok")).toBool(), true);
        QCOMPARE(o.value(QStringLiteral("redis")).toObject().value(QStringLiteral("state")).toString(),
                 QStringLiteral("up"));
        const QJsonObject pg = o.value(QStringLiteral("postgresql")).toObject();
        QCOMPARE(pg.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
        QVERIFY(pg.value(QStringLiteral("latencyMs")).toDouble() >= 0);
        QVERIFY(pg.value(QStringLiteral("schema")).toObject().contains(QStringLiteral("latest")));
        const QJsonObject worker = o.value(QStringLiteral("modelWorker")).toObject();
        QCOMPARE(worker.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
        QVERIFY(worker.value(QStringLiteral("path")).toString().endsWith(QStringLiteral("/mldeck-model-worker")));
        QVERIFY(worker.value(QStringLiteral("startMs")).toDouble() > 0);
    }

    void aMissingWorkerExitsTwo()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_MODEL_WORKER"), QStringLiteral("/nonexistent/worker"));
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                {QStringLiteral("status"), QStringLiteral("--redis"), redisUrl(), QStringLiteral("--pg"), pgUrl()});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(
                     QStringLiteral("The model worker cannot start: MLDECK_MODEL_WORKER names /nonexistent/worker")),
                 qPrintable(err));
    }

    void closedPortExitsTwoWithOneReadableLine_data()
    {
        QTest::addColumn<bool>("closeRedis");
        QTest::newRow("postgresql closed") << false;
        QTest::newRow("redis closed") << true;
    }
    void closedPortExitsTwoWithOneReadableLine()
    {
        QFETCH(bool, closeRedis);
        const quint16 port = freeLoopbackPort();
        QVERIFY(port != 0);
        QString redis = redisUrl();
        QString pg = pgUrl();
        if (closeRedis) {
            redis = QStringLiteral("redis://127.0.0.1:%1").arg(port);
        } else {
            PgEndpoint e = test::TestServers::pg();
            e.port = port;
            pg = e.toUrl(true);
        }
        const Run r = runStatus({QStringLiteral("--redis"), redis, QStringLiteral("--pg"), pg});
        QCOMPARE(r.exitCode, 2);
        const QStringList errLines = r.err.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(errLines.size(), 1);
        const QString line = errLines.first();
        QVERIFY2(line.contains(QString::number(port)), qPrintable(line));
        QVERIFY2(line.contains(closeRedis ? QStringLiteral("Redis") : QStringLiteral("PostgreSQL")), qPrintable(line));
        QVERIFY2(line.contains(QStringLiteral("unreachable")), qPrintable(line));
        qInfo("%s", qPrintable(line));
    }

    void badUrlIsUsageError()
    {
        const Run r =
            runStatus({QStringLiteral("--redis"), QStringLiteral("http://nope"), QStringLiteral("--pg"), pgUrl()});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(QStringLiteral("Redis URL")));
        QVERIFY(r.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestStatusCli)
#include "test_statuscli.moc"
