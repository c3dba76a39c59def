// `mldeckctl retrain check --json` and `feedback purge` through the built binary: exit codes 0 (due) /
// 1 (not due) / 2 (usage), each condition with its value and threshold.
#include "RetrainFixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

using namespace mldeck;
using namespace mldeck::test;

class TestRetrainCli : public QObject
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
    Run ctl(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), f.db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), f.store->path());
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), args);
        if (!p.waitForFinished(60'000))
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
        const QString error = f.setUp(QStringLiteral("rtcli"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    void cleanup() { f.tearDown(); }

    void checkExitCodes()
    {
        // 99 feedback items, 40 negative: not due.
        QVERIFY(f.logRides(200, 3, 99, 40).isEmpty());
        Run r = ctl({QStringLiteral("retrain"), QStringLiteral("check"), QStringLiteral("--deployment"), f.dep,
                     QStringLiteral("--json")});
        QCOMPARE(r.code, 1);
        QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("due")).toBool(), false);
        const QJsonArray conditions = o.value(QStringLiteral("conditions")).toArray();
        QCOMPARE(conditions.size(), 5);
        QCOMPARE(conditions.at(0).toObject().value(QStringLiteral("key")).toString(), QStringLiteral("feedback_count"));
        QCOMPARE(conditions.at(0).toObject().value(QStringLiteral("value")).toDouble(), 99.0);
        QCOMPARE(conditions.at(0).toObject().value(QStringLiteral("threshold")).toDouble(), 100.0);
        QCOMPARE(conditions.at(3).toObject().value(QStringLiteral("enabled")).toBool(), false);

        // One more item (the 100th, negative): due.
        QVERIFY(f.logRides(1, 1, 1, 1, 99).isEmpty());
        r = ctl({QStringLiteral("retrain"), QStringLiteral("check"), QStringLiteral("--deployment"), f.dep,
                 QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("due")).toBool(), true);

        // Human output lists each condition; bad usage exits 2.
        r = ctl({QStringLiteral("retrain"), QStringLiteral("check"), QStringLiteral("--deployment"), f.dep});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("threshold"));
        QCOMPARE(ctl({QStringLiteral("retrain"), QStringLiteral("check"), QStringLiteral("--deployment"),
                      QStringLiteral("Bad Name")})
                     .code,
                 2);
        QCOMPARE(ctl({QStringLiteral("retrain"), QStringLiteral("nonsense")}).code, 2);

        // Not due and not forced: run refuses with 1 and records nothing.
        QVERIFY(ctl({QStringLiteral("retrain"), QStringLiteral("settings"), QStringLiteral("--deployment"), f.dep,
                     QStringLiteral("set"), QStringLiteral("minFeedback=500")})
                    .code == 0);
        r = ctl({QStringLiteral("retrain"), QStringLiteral("run"), QStringLiteral("--deployment"), f.dep});
        QCOMPARE(r.code, 1);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs")), 0);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'retrain.settings'")), 1);
        QCOMPARE(ctl({QStringLiteral("retrain"), QStringLiteral("settings"), QStringLiteral("--deployment"), f.dep,
                      QStringLiteral("set"), QStringLiteral("satisfactionBelow=7")})
                     .code,
                 2);
        // A classifier's decision metric is a word: accuracy or log_loss, anything else refused.
        QCOMPARE(ctl({QStringLiteral("retrain"), QStringLiteral("settings"), QStringLiteral("--deployment"), f.dep,
                      QStringLiteral("set"), QStringLiteral("classificationMetric=log_loss")})
                     .code,
                 0);
        r = ctl({QStringLiteral("retrain"), QStringLiteral("settings"), QStringLiteral("--deployment"), f.dep,
                 QStringLiteral("set"), QStringLiteral("classificationMetric=f1")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("classificationMetric"), r.err.constData());
        r = ctl({QStringLiteral("retrain"), QStringLiteral("settings"), QStringLiteral("--deployment"), f.dep,
                 QStringLiteral("--json")});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("classificationMetric")).toString(),
                 QStringLiteral("log_loss"));
        r = ctl({QStringLiteral("retrain"), QStringLiteral("run"), QStringLiteral("--deployment"), f.dep,
                 QStringLiteral("--force"), QStringLiteral("--class-weights"), QStringLiteral("heavy")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("--class-weights"), r.err.constData());
        r = ctl({QStringLiteral("retrain"), QStringLiteral("history"), QStringLiteral("--deployment"), f.dep,
                 QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QVERIFY(QJsonDocument::fromJson(r.out).isArray());
    }

    void runThroughTheBinary()
    {
        QVERIFY(f.logRides(1500, 4, 0, 0).isEmpty());
        QVERIFY(f.registerFile(demoModel(), QStringLiteral("1")).ok());
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        // Not due (no feedback) and not forced: exit 1, nothing recorded.
        QCOMPARE(ctl({QStringLiteral("retrain"), QStringLiteral("run"), QStringLiteral("--deployment"), f.dep}).code,
                 1);
        const Run r = ctl({QStringLiteral("retrain"), QStringLiteral("run"), QStringLiteral("--deployment"), f.dep,
                           QStringLiteral("--force"), QStringLiteral("--epochs"), QStringLiteral("1"),
                           QStringLiteral("--days-back"), QStringLiteral("30"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("succeeded"));
        const QString decision = o.value(QStringLiteral("decision")).toString();
        // The rule decides: promoted when it says so, else kept as challenger; never left undecided.
        QCOMPARE(decision, o.value(QStringLiteral("promote")).toBool() ? QStringLiteral("promoted")
                                                                       : QStringLiteral("challenger"));
        QVERIFY(!o.value(QStringLiteral("decision_reason")).toString().isEmpty());
        QVERIFY2(r.err.contains("epoch 1/1"), r.err.constData());
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE state = 'succeeded'")), 1);
        QCOMPARE(ctl({QStringLiteral("retrain"), QStringLiteral("cancel"), QStringLiteral("--deployment"), f.dep}).code,
                 1);
        QCOMPARE(
            ctl({QStringLiteral("retrain"), QStringLiteral("cleanup"), QStringLiteral("--deployment"), f.dep}).code, 2);
        QCOMPARE(ctl({QStringLiteral("retrain"), QStringLiteral("cleanup"), QStringLiteral("--deployment"), f.dep,
                      QStringLiteral("--keep"), QStringLiteral("5")})
                     .code,
                 0);
        const Run h =
            ctl({QStringLiteral("retrain"), QStringLiteral("history"), QStringLiteral("--deployment"), f.dep});
        QCOMPARE(h.code, 0);
        QVERIFY(h.out.contains("succeeded"));
    }

    void feedbackPurge()
    {
        const qint64 now = QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() * 1000;
        QVERIFY(PredictionLog(*f.conn)
                    .appendFeedback(
                        {FeedbackRow{now - 400LL * 86'400'000'000LL, f.dep, QStringLiteral("a"), false, {}, {}, {}},
                         FeedbackRow{now - 10LL * 86'400'000'000LL, f.dep, QStringLiteral("b"), true, {}, {}, {}}})
                    .ok());
        Run r = ctl({QStringLiteral("feedback"), QStringLiteral("purge"), QStringLiteral("--deployment"), f.dep,
                     QStringLiteral("--dry-run"), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("would_delete")).toInt(), 1);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.feedback")), 2);
        r = ctl({QStringLiteral("feedback"), QStringLiteral("purge"), QStringLiteral("--deployment"), f.dep});
        QCOMPARE(r.code, 0);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.feedback")), 1);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'feedback.purge'")), 1);
        QCOMPARE(ctl({QStringLiteral("feedback"), QStringLiteral("purge"), QStringLiteral("--deployment"), f.dep,
                      QStringLiteral("--older-than-days"), QStringLiteral("0")})
                     .code,
                 2);
    }
};

QTEST_GUILESS_MAIN(TestRetrainCli)
#include "test_retrain_cli.moc"
