// `mldeckctl flags` as ops scripts call it: bad values change nothing (exit 2), changes and
// rollbacks are applied and audited, --json is machine-readable.
#include "RolloutFixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

using namespace mldeck;

namespace {

struct Run
{
    int code = -1;
    QByteArray out;
    QString err;
};

Run mldeckctl(const test::RolloutFixture &f, QStringList args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("MLDECK_REDIS_URL"), test::TestServers::redis().toUrl(true));
    env.insert(QStringLiteral("MLDECK_PG_URL"), f.db->endpoint().toUrl(true));
    p.setProcessEnvironment(env);
    args << QStringLiteral("--deployment") << f.deployment;
    p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
    if (!p.waitForFinished(60000))
        return {};
    return Run{p.exitCode(), p.readAllStandardOutput(), QString::fromUtf8(p.readAllStandardError())};
}

Run flags(const test::RolloutFixture &f, QStringList args)
{
    args.prepend(QStringLiteral("flags"));
    return mldeckctl(f, args);
}

} // namespace

class TestFlagsCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void badValuesChangeNothing()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        const qint64 version = f.state().version;
        for (const char *bad : {"150", "-1", "abc", "12.5"}) {
            const Run r = flags(f, {QStringLiteral("enable"), QStringLiteral("--percentage"), QString::fromLatin1(bad),
                                    QStringLiteral("--reason"), QStringLiteral("test")});
            QCOMPARE(r.code, 2);
            QVERIFY2(r.err.startsWith(QLatin1String("mldeckctl: ")) && r.err.count(QLatin1Char('\n')) == 1,
                     qPrintable(r.err));
        }
        QCOMPARE(f.state().version, version);
        QCOMPARE(f.state().trafficPercentage, 10);
        QCOMPARE(f.auditRows(QStringLiteral("true")), 0);
    }

    void enableThenRollbackAreAppliedAndAudited()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        Run r = flags(f, {QStringLiteral("enable"), QStringLiteral("--percentage"), QStringLiteral("30"),
                          QStringLiteral("--reason"), QStringLiteral("step 2")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(f.state().trafficPercentage, 30);
        QCOMPARE(f.auditRows(QStringLiteral("reason = 'step 2'")), 1);

        r = flags(f, {QStringLiteral("rollback"), QStringLiteral("--reason"), QStringLiteral("alarm")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(!f.state().mlEnabled);
        QCOMPARE(f.state().trafficPercentage, 0);
        QCOMPARE(f.auditRows(QStringLiteral("reason = 'alarm'")), 1);

        r = flags(f, {QStringLiteral("status"), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const QJsonObject json = QJsonDocument::fromJson(r.out).object();
        QVERIFY2(!json.isEmpty(), r.out.constData());
        QCOMPARE(json.value(QStringLiteral("deployment")).toString(), f.deployment);
        QCOMPARE(json.value(QStringLiteral("version")).toInteger(), f.state().version);
    }

    void guardRulesAreShownChangedAndAudited()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        const QStringList rules{QStringLiteral("guard"), QStringLiteral("rules")};
        Run r = mldeckctl(f, rules + QStringList{QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("rollback_error_rate")).toDouble(), 0.30);

        r = mldeckctl(f, rules + QStringList{QStringLiteral("--error-rate"), QStringLiteral("0.2")});
        QCOMPARE(r.code, 2); // a change needs a reason
        r = mldeckctl(f, rules + QStringList{QStringLiteral("--breaches"), QStringLiteral("2.5"),
                                             QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(r.code, 2);
        r = mldeckctl(f, rules + QStringList{QStringLiteral("--error-rate"), QStringLiteral("7"),
                                             QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(r.code, 2); // out of range: refused by validation
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rules'")), 0);

        r = mldeckctl(f,
                      rules + QStringList{QStringLiteral("--error-rate"), QStringLiteral("0.2"),
                                          QStringLiteral("--breaches"), QStringLiteral("4"), QStringLiteral("--reason"),
                                          QStringLiteral("stricter"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject after = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(after.value(QStringLiteral("rollback_error_rate")).toDouble(), 0.2);
        QCOMPARE(after.value(QStringLiteral("consecutive_breaches")).toInt(), 4);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rules' AND reason = 'stricter'")), 1);
        r = mldeckctl(f, rules + QStringList{QStringLiteral("--json")});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("consecutive_breaches")).toInt(), 4);
    }

    void unknownDeploymentIsAClearError()
    {
        test::RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 10), qPrintable(why));
        f.deployment = test::uniqueName(QStringLiteral("nosuch"));
        const Run r = flags(f, {QStringLiteral("status")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(f.deployment), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestFlagsCli)
#include "test_flags_cli.moc"
