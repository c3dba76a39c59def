// `mldeckctl nanny train|status` through the built binary: refusals with exit 1 and their reason, a nanny
// trained and audited with the given reason, its status in JSON and for people, bad usage exit 2.
#include "core/services/DriftReference.h"
#include "tests/integration/retrain/RetrainFixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

using namespace mldeck;
using namespace mldeck::test;

class TestNannyCli : public QObject
{
    Q_OBJECT

private:
    RetrainFixture f;

    struct Run
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
    };
    Run ctl(QStringList args)
    {
        args.prepend(QStringLiteral("nanny"));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), f.db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), f.store->path());
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), args);
        if (!p.waitForFinished(120'000))
            return {};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
                p.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(),
                 "MLDECKCTL must point at the built mldeckctl");
    }

    void init()
    {
        const QString error = f.setUp(QStringLiteral("nannycli"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    void cleanup() { f.tearDown(); }

    void trainAndStatus()
    {
        QVERIFY(f.logRides(800, 2).isEmpty());
        QVERIFY(setDriftReference(*f.conn, f.dep, QStringLiteral("first_rows:800"), kRetrainActor));

        // No champion yet: refused, nothing stored; the status says so.
        Run r = ctl({QStringLiteral("train"), QStringLiteral("--deployment"), f.dep});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("has no champion"), r.err.constData());
        r = ctl({QStringLiteral("status"), QStringLiteral("--deployment"), f.dep, QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("champion_version")).toString(), QString());
        QVERIFY(!o.contains(QStringLiteral("nanny_id")));

        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")));
        QVERIFY(f.promote(QStringLiteral("1")));
        r = ctl({QStringLiteral("train"), QStringLiteral("--deployment"), f.dep, QStringLiteral("--reason"),
                 QStringLiteral("cli test"), QStringLiteral("--backfill"), QStringLiteral("0"),
                 QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("current")).toBool(), true);
        QCOMPARE(o.value(QStringLiteral("nanny_model_version")).toString(), QStringLiteral("1"));
        QCOMPARE(o.value(QStringLiteral("rows")).toInteger(), 800);
        const QJsonObject meta = o.value(QStringLiteral("meta")).toObject();
        QCOMPARE(meta.value(QStringLiteral("validation_rows")).toInteger(), 160);
        QVERIFY(meta.value(QStringLiteral("validation_realised_mae")).toDouble() > 0);
        QVERIFY(!meta.contains(QStringLiteral("model_metadata")));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'nanny.train' "
                                        "AND deployment = $1 AND reason = 'cli test'"),
                         {f.dep}),
                 1);

        r = ctl({QStringLiteral("status"), QStringLiteral("--deployment"), f.dep});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("for version 1"), r.out.constData());
        QVERIFY2(r.out.contains("Scored up to:"), r.out.constData());

        // Bad usage: exit 2, nothing trained.
        r = ctl({QStringLiteral("train"), QStringLiteral("--deployment"), f.dep, QStringLiteral("--backfill"),
                 QStringLiteral("-3")});
        QCOMPARE(r.code, 2);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.nanny_models WHERE deployment = $1"), {f.dep}), 1);
    }
};

QTEST_GUILESS_MAIN(TestNannyCli)
#include "test_nanny_cli.moc"
