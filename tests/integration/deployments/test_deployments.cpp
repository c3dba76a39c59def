// Deployments against real PostgreSQL and Redis: create (row, schema, targets, drift reference, Redis
// flags, one audit row), refusals that change nothing, list/show/set/archive, the one error for an
// unknown or archived deployment, the roles, and a brand-new deployment onboarded through the CLI:
// deployments create --from-model -> models register -> promote -> flags enable -> retrain run --force.
#include "core/demo/RideDelayGenerator.h"
#include "core/domain/Kpi.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/services/FlagService.h"
#include "core/services/guard/GuardRunner.h"
#include "core/stats/drift/DriftConfig.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace mldeck;

namespace {

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

QString demoModel()
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_mlp.pt");
}

// Records which deployments the guard hands to its jobs.
class RecordingJob final : public GuardJob
{
public:
    explicit RecordingJob(QStringList *seen) : m_seen(seen) {}
    QString name() const override { return QStringLiteral("recording"); }
    int intervalMs() const override { return 100; }
    Status runOnce(const GuardContext &context) override
    {
        *m_seen << context.deployment;
        return {};
    }
    QString lastSummary() const override { return {}; }

private:
    QStringList *m_seen;
};

struct Run
{
    int code = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestDeployments : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    std::unique_ptr<RedisConnection> m_redis;
    QTemporaryDir m_store;

    int count(const QString &sql, const QStringList &params = {})
    {
        const auto r = test::query(*m_conn, sql, params);
        if (!r || r->isEmpty()) {
            qWarning() << "count failed:" << sql << r.errorMessage();
            return -1;
        }
        return r->first().first().toInt();
    }
    QString value(const QString &sql, const QStringList &params)
    {
        const auto r = test::query(*m_conn, sql, params);
        return r && !r->isEmpty() ? r->first().first() : QString();
    }
    int audits(const QString &action, const QString &deployment)
    {
        return count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = $1 AND deployment = $2"),
                     {action, deployment});
    }

    NewDeployment spec(const QString &prefix)
    {
        NewDeployment s;
        s.name = test::uniqueName(prefix);
        s.task = QStringLiteral("regression");
        s.description = QStringLiteral("delay of a ride");
        s.targetName = QStringLiteral("delay");
        s.targetUnit = QStringLiteral("min");
        s.schema = RideDelayGenerator::schema();
        return s;
    }

    Run ctl(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), test::TestServers::redis().toUrl(true));
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), m_store.path());
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), args);
        if (!p.waitForFinished(300'000))
            return {};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
                p.readAllStandardError()};
    }

    // Rides of the last `days` days with their outcomes, as a serving backend logs them.
    QString logRides(const QString &deployment, int rows, int days)
    {
        RideDelayGenerator gen(11);
        const qint64 end = (QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() - 3'600'000) * 1000;
        const qint64 span = qint64(days) * 86'400'000'000LL;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        for (int i = 0; i < rows; ++i) {
            const qint64 ts = end - span + span * i / rows;
            RideRequest r = gen.next(ts);
            r.requestKey = QStringLiteral("r-%1").arg(i);
            PredictionRow p;
            p.tsMicros = ts;
            p.deployment = deployment;
            p.requestKey = r.requestKey;
            p.path = PredictionPath::Heuristic;
            p.predicted = heuristicDelay(r.features);
            p.features = r.features;
            predictions.push_back(p);
            outcomes.push_back(OutcomeRow{ts + 1'000'000, deployment, r.requestKey, r.actualDelay});
        }
        PredictionLog log(*m_conn);
        if (auto s = log.appendPredictions(predictions); !s)
            return s.errorMessage();
        if (auto s = log.appendOutcomes(outcomes); !s)
            return s.errorMessage();
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(m_store.isValid());
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("dep"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test-deployments"));
        QVERIFY2(c, qPrintable(c.errorMessage()));
        m_conn = std::move(c).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        auto r = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(r, qPrintable(r.errorMessage()));
        m_redis = std::move(r).value();
    }

    void cleanupTestCase()
    {
        m_conn.reset(); // before the database is dropped
        m_db.reset();
    }

    void createWritesEverythingInOneAuditedStep()
    {
        const NewDeployment s = spec(QStringLiteral("dc"));
        const auto created = createDeployment(*m_conn, test::TestServers::redis(), s, kActor);
        QVERIFY2(created, qPrintable(created.errorMessage()));
        QVERIFY(!created->flagsExisted);
        const DeploymentInfo &d = created->deployment;
        QCOMPARE(d.name, s.name);
        QCOMPARE(d.task, QStringLiteral("regression"));
        QCOMPARE(d.description, s.description);
        QCOMPARE(d.targetName, QStringLiteral("delay"));
        QCOMPARE(d.targetUnit, QStringLiteral("min"));
        QVERIFY(!d.archived());
        QCOMPARE(d.featureSchemaId, 1);
        QCOMPARE(int(d.schema.features.size()), int(s.schema.features.size()));
        QCOMPARE(d.schema.numericNames(), s.schema.numericNames());
        QCOMPARE(d.schema.categoricalNames(), s.schema.categoricalNames());

        // The default targets of its task, read back through the KPI store; the drift reference.
        const auto targets = KpiStore(*m_conn).targets(s.name);
        QVERIFY2(targets, qPrintable(targets.errorMessage()));
        QCOMPARE(targets->toJson(), KpiTargets{}.toJson());
        QCOMPARE(value(QStringLiteral("SELECT settings -> 'kpi_targets' ->> 'mae_max' FROM mldeck.deployments "
                                      "WHERE name = $1"),
                       {s.name}),
                 QStringLiteral("2.5"));
        QCOMPARE(value(QStringLiteral("SELECT settings -> 'drift' ->> 'reference' FROM mldeck.deployments WHERE name "
                                      "= $1"),
                       {s.name}),
                 drift::defaultReferenceSpec());

        // Redis: ML off, 0 %, listed among the deployments.
        FlagStore flags(*m_redis);
        const auto state = flags.read(s.name);
        QVERIFY2(state, qPrintable(state.errorMessage()));
        QVERIFY(state->exists);
        QVERIFY(state->isValid());
        QCOMPARE(state->mlEnabled, false);
        QCOMPARE(state->trafficPercentage, 0);
        QVERIFY(flags.deployments()->contains(s.name));

        // One audit row, with what was created.
        QCOMPARE(audits(QStringLiteral("deployment.create"), s.name), 1);
        const QJsonObject after =
            QJsonDocument::fromJson(value(QStringLiteral("SELECT after::text FROM "
                                                         "mldeck.audit_log WHERE action = "
                                                         "'deployment.create' AND deployment = $1"),
                                          {s.name})
                                        .toUtf8())
                .object();
        QCOMPARE(after.value(QStringLiteral("task")).toString(), QStringLiteral("regression"));
        QCOMPARE(after.value(QStringLiteral("features")).toArray().size(), qsizetype(s.schema.features.size()));
        QCOMPARE(after.value(QStringLiteral("drift_reference")).toString(), drift::defaultReferenceSpec());
        QCOMPARE(value(QStringLiteral("SELECT actor_os FROM mldeck.audit_log WHERE action = 'deployment.create' AND "
                                      "deployment = $1"),
                       {s.name}),
                 QStringLiteral("tester"));

        // A classification gets the serving targets only (no MAE or R² targets of its own).
        NewDeployment c = spec(QStringLiteral("dcl"));
        c.task = QStringLiteral("classification");
        c.classSpec.classes = QStringList{QStringLiteral("no"), QStringLiteral("yes")};
        c.schema = {};
        QVERIFY(createDeployment(*m_conn, test::TestServers::redis(), c, kActor));
        QCOMPARE(value(QStringLiteral("SELECT settings -> 'kpi_targets' ? 'mae_max' FROM mldeck.deployments WHERE "
                                      "name = $1"),
                       {c.name}),
                 QStringLiteral("f"));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.feature_schemas WHERE deployment = $1"), {c.name}),
                 0);
        QCOMPARE(DeploymentStore(*m_conn).show(c.name)->task, QStringLiteral("classification"));
    }

    void createTwiceIsAnErrorAndChangesNothing()
    {
        NewDeployment s = spec(QStringLiteral("dtw"));
        QVERIFY(createDeployment(*m_conn, test::TestServers::redis(), s, kActor));
        const qint64 version = FlagStore(*m_redis).read(s.name)->version;
        s.description = QStringLiteral("another description");
        s.task = QStringLiteral("classification");
        s.classSpec.classes = QStringList{QStringLiteral("no"), QStringLiteral("yes")};
        s.schema.features.pop_back();
        const auto again = createDeployment(*m_conn, test::TestServers::redis(), s, kActor);
        QVERIFY(!again);
        QCOMPARE(again.errorMessage(),
                 QStringLiteral("Deployment \"%1\" already exists; nothing was changed.").arg(s.name));
        // The store refuses the same way when called directly.
        const auto direct = DeploymentStore(*m_conn).create(s, kActor);
        QVERIFY(!direct);
        QVERIFY(direct.errorMessage().contains(QStringLiteral("already exists")));
        QCOMPARE(DeploymentStore(*m_conn).show(s.name)->description, QStringLiteral("delay of a ride"));
        QCOMPARE(DeploymentStore(*m_conn).show(s.name)->task, QStringLiteral("regression"));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.feature_schemas WHERE deployment = $1"), {s.name}),
                 1);
        QCOMPARE(audits(QStringLiteral("deployment.create"), s.name), 1);
        QCOMPARE(FlagStore(*m_redis).read(s.name)->version, version);
    }

    void invalidInputIsRefusedBeforeAnythingIsWritten_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("task");
        QTest::addColumn<QString>("targetUnit");
        QTest::addColumn<QString>("expected");
        const QString ok = test::uniqueName(QStringLiteral("dinv"));
        QTest::newRow("name with a space") << QStringLiteral("Bad Name") << QStringLiteral("regression") << QString()
                                           << QStringLiteral("not a valid deployment name");
        QTest::newRow("upper case") << QStringLiteral("Eta2") << QStringLiteral("regression") << QString()
                                    << QStringLiteral("not a valid deployment name");
        QTest::newRow("unknown task") << ok << QStringLiteral("ranking") << QString()
                                      << QStringLiteral("Unknown task \"ranking\"");
        QTest::newRow("unit too long") << ok << QStringLiteral("regression") << QString(51, QLatin1Char('m'))
                                       << QStringLiteral("longer than 50");
    }
    void invalidInputIsRefusedBeforeAnythingIsWritten()
    {
        QFETCH(QString, name);
        QFETCH(QString, task);
        QFETCH(QString, targetUnit);
        QFETCH(QString, expected);
        NewDeployment s = spec(QStringLiteral("x"));
        s.name = name;
        s.task = task;
        s.targetUnit = targetUnit;
        const auto r = createDeployment(*m_conn, test::TestServers::redis(), s, kActor);
        QVERIFY(!r);
        QVERIFY2(r.errorMessage().contains(expected), qPrintable(r.errorMessage()));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.deployments WHERE name = $1"), {name}), 0);
        const auto flags = FlagStore(*m_redis).read(name);
        QVERIFY(!flags || !flags->exists);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1"), {name}), 0);
    }

    void listShowSetArchive()
    {
        DeploymentStore store(*m_conn);
        const NewDeployment a = spec(QStringLiteral("dla"));
        const NewDeployment b = spec(QStringLiteral("dlb"));
        QVERIFY(store.create(a, kActor));
        QVERIFY(store.create(b, kActor));
        QVERIFY(store.names()->contains(a.name));
        QVERIFY(store.names()->contains(b.name));

        // set: only the given fields change, audited with before and after.
        DeploymentEdit edit;
        edit.description = QStringLiteral("ETA of a van");
        edit.targetUnit = QStringLiteral("s");
        QVERIFY(store.set(a.name, edit, kActor));
        const auto shown = store.show(a.name);
        QVERIFY(shown);
        QCOMPARE(shown->description, QStringLiteral("ETA of a van"));
        QCOMPARE(shown->targetUnit, QStringLiteral("s"));
        QCOMPARE(shown->targetName, QStringLiteral("delay"));
        QCOMPARE(audits(QStringLiteral("deployment.set"), a.name), 1);
        QCOMPARE(value(QStringLiteral("SELECT before ->> 'target_unit' || '>' || (after ->> 'target_unit') FROM "
                                      "mldeck.audit_log WHERE action = 'deployment.set' AND deployment = $1"),
                       {a.name}),
                 QStringLiteral("min>s"));
        QVERIFY(!store.set(a.name, DeploymentEdit{}, kActor));
        DeploymentEdit twoLines;
        twoLines.description = QStringLiteral("one\ntwo");
        QVERIFY(!store.set(a.name, twoLines, kActor));
        QCOMPARE(audits(QStringLiteral("deployment.set"), a.name), 1);

        // archive: a reason is required; then hidden from names() and list(), kept with --all.
        QVERIFY(!store.archive(a.name, QStringLiteral("  "), kActor));
        QVERIFY(store.requireActive(a.name));
        QVERIFY(store.archive(a.name, QStringLiteral("replaced by the van model"), kActor));
        QVERIFY(!store.names()->contains(a.name));
        QVERIFY(store.names()->contains(b.name));
        const auto active = store.list(false);
        QVERIFY(active);
        bool listed = false;
        for (const DeploymentInfo &d : *active)
            listed = listed || d.name == a.name;
        QVERIFY(!listed);
        const auto all = store.list(true);
        QVERIFY(all);
        const auto it =
            std::find_if(all->begin(), all->end(), [&](const DeploymentInfo &d) { return d.name == a.name; });
        QVERIFY(it != all->end());
        QVERIFY(it->archived());
        QCOMPARE(it->archivedBy, m_conn->currentUser());
        QCOMPARE(value(QStringLiteral("SELECT reason FROM mldeck.audit_log WHERE action = 'deployment.archive' AND "
                                      "deployment = $1"),
                       {a.name}),
                 QStringLiteral("replaced by the van model"));

        // The one error, for every later use; history (the audit rows, the schema) is kept.
        QCOMPARE(store.requireActive(a.name).errorMessage(),
                 QStringLiteral("Deployment \"%1\" is archived.").arg(a.name));
        QCOMPARE(store.requireActive(QStringLiteral("nosuch")).errorMessage(),
                 DeploymentStore::unknownText(QStringLiteral("nosuch")));
        QVERIFY(DeploymentStore::unknownText(QStringLiteral("nosuch"))
                    .startsWith(QStringLiteral("Unknown deployment \"nosuch\"")));
        QCOMPARE(store.set(a.name, edit, kActor).errorMessage(), DeploymentStore::archivedText(a.name));
        QCOMPARE(store.archive(a.name, QStringLiteral("again"), kActor).errorMessage(),
                 DeploymentStore::archivedText(a.name));
        QCOMPARE(store.ensure(a.name, QString(), RideDelayGenerator::schema()).errorMessage(),
                 DeploymentStore::archivedText(a.name));
        QCOMPARE(audits(QStringLiteral("deployment.archive"), a.name), 1);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.feature_schemas WHERE deployment = $1"), {a.name}),
                 1);
        QCOMPARE(store.show(QStringLiteral("nosuch")).errorMessage(),
                 DeploymentStore::unknownText(QStringLiteral("nosuch")));
    }

    void scientistCreatesViewerIsRefused()
    {
        test::LoginRole scientist(QStringLiteral("mldeck_scientist"));
        test::LoginRole viewer(QStringLiteral("mldeck_viewer"));
        auto opened = PgConnection::open(scientist.endpoint(m_db->endpoint()), QStringLiteral("test-scientist"));
        QVERIFY2(opened, qPrintable(opened.errorMessage()));
        std::unique_ptr<PgConnection> sc = std::move(opened).value();
        const NewDeployment s = spec(QStringLiteral("dsc"));
        const auto created = createDeployment(*sc, test::TestServers::redis(), s, kActor);
        QVERIFY2(created, qPrintable(created.errorMessage()));
        DeploymentEdit edit;
        edit.targetName = QStringLiteral("eta");
        QVERIFY(DeploymentStore(*sc).set(s.name, edit, kActor));
        QVERIFY(DeploymentStore(*sc).archive(s.name, QStringLiteral("done"), kActor));
        QCOMPARE(DeploymentStore(*sc).show(s.name)->archivedBy, scientist.name());
        QCOMPARE(value(QStringLiteral("SELECT actor_db FROM mldeck.audit_log WHERE action = 'deployment.archive' AND "
                                      "deployment = $1"),
                       {s.name}),
                 scientist.name());
        sc.reset();

        auto openedViewer = PgConnection::open(viewer.endpoint(m_db->endpoint()), QStringLiteral("test-viewer"));
        QVERIFY2(openedViewer, qPrintable(openedViewer.errorMessage()));
        std::unique_ptr<PgConnection> vc = std::move(openedViewer).value();
        const NewDeployment v = spec(QStringLiteral("dvw"));
        const auto refused = DeploymentStore(*vc).create(v, kActor);
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("mldeck_scientist")),
                 qPrintable(refused.errorMessage()));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.deployments WHERE name = $1"), {v.name}), 0);
        vc.reset();
    }

    void guardSkipsArchivedDeployments()
    {
        const NewDeployment a = spec(QStringLiteral("dga"));
        const NewDeployment b = spec(QStringLiteral("dgb"));
        QVERIFY(createDeployment(*m_conn, test::TestServers::redis(), a, kActor));
        QVERIFY(createDeployment(*m_conn, test::TestServers::redis(), b, kActor));
        QVERIFY(DeploymentStore(*m_conn).archive(b.name, QStringLiteral("retired"), kActor));
        // Both still have flags in Redis: the guard lists them there, then leaves the archived one out.
        QVERIFY(FlagStore(*m_redis).deployments()->contains(b.name));
        QStringList seen;
        std::vector<std::unique_ptr<GuardJob>> jobs;
        jobs.push_back(std::make_unique<RecordingJob>(&seen));
        GuardRunnerOptions options;
        options.redis = test::TestServers::redis();
        options.pg = m_db->endpoint();
        options.scope = test::uniqueName(QStringLiteral("dgscope"));
        GuardRunner runner(options, std::move(jobs));
        const GuardRunner::Round round = runner.runRound();
        QVERIFY2(round.leader && round.errors.isEmpty(), qPrintable(round.errors.join(QLatin1Char('\n'))));
        QVERIFY(seen.contains(a.name));
        QVERIFY(!seen.contains(b.name));

        // The rollout page's selector (FlagService) and the KPI list leave it out too.
        FlagService flagService(test::TestServers::redis(), m_db->endpoint(),
                                m_store.filePath(QStringLiteral("spool")));
        const auto listed = flagService.deployments();
        QVERIFY2(listed, qPrintable(listed.errorMessage()));
        QVERIFY(listed->contains(a.name));
        QVERIFY(!listed->contains(b.name));
        QCOMPARE(logRides(a.name, 20, 1), QString());
        QCOMPARE(logRides(b.name, 20, 1), QString());
        const auto withData = KpiStore(*m_conn).deployments();
        QVERIFY2(withData, qPrintable(withData.errorMessage()));
        QVERIFY(withData->contains(a.name));
        QVERIFY(!withData->contains(b.name));
    }

    void onboardingThroughTheCli()
    {
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(), "MLDECKCTL must point at mldeckctl");
        const QString d = test::uniqueName(QStringLiteral("onb"));
        const QString dep = QStringLiteral("--deployment");

        // Before: every verb that takes the deployment says the one line, never a database error.
        Run r = ctl({QStringLiteral("models"), QStringLiteral("register"), demoModel(), dep, d});
        QCOMPARE(r.code, 2);
        QCOMPARE(QString::fromUtf8(r.err).trimmed(), QStringLiteral("mldeckctl: ") + DeploymentStore::unknownText(d));
        r = ctl({QStringLiteral("retrain"), QStringLiteral("run"), dep, d, QStringLiteral("--force")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("Unknown deployment") && !r.err.contains("foreign key"), r.err.constData());

        r = ctl({QStringLiteral("deployments"), QStringLiteral("create"), d, QStringLiteral("--from-model"),
                 demoModel(), QStringLiteral("--description"), QStringLiteral("onboarded"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject created = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(created.value(QStringLiteral("name")).toString(), d);
        QCOMPARE(created.value(QStringLiteral("task")).toString(), QStringLiteral("regression"));
        QCOMPARE(created.value(QStringLiteral("feature_schema")).toInt(), 1);
        QCOMPARE(created.value(QStringLiteral("features")).toArray().size(),
                 qsizetype(RideDelayGenerator::schema().features.size()));
        QCOMPARE(created.value(QStringLiteral("flags_existed")).toBool(), false);
        r = ctl({QStringLiteral("deployments"), QStringLiteral("create"), d, QStringLiteral("--task"),
                 QStringLiteral("regression")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("already exists"), r.err.constData());
        r = ctl({QStringLiteral("deployments"), QStringLiteral("create"), test::uniqueName(QStringLiteral("onb"))});
        QCOMPARE(r.code, 2); // neither --task nor --from-model
        // A deployment created without a schema takes its first model's.
        const QString bare = test::uniqueName(QStringLiteral("onb"));
        r = ctl({QStringLiteral("deployments"), QStringLiteral("create"), bare, QStringLiteral("--task"),
                 QStringLiteral("regression")});
        QVERIFY2(r.code == 0, r.err.constData());
        r = ctl({QStringLiteral("models"), QStringLiteral("register"), demoModel(), dep, bare});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.feature_schemas WHERE deployment = $1"), {bare}), 1);

        r = ctl({QStringLiteral("models"), QStringLiteral("register"), demoModel(), dep, d, QStringLiteral("--version"),
                 QStringLiteral("1")});
        QVERIFY2(r.code == 0, r.err.constData());
        r = ctl({QStringLiteral("models"), QStringLiteral("promote"), QStringLiteral("1"), dep, d});
        QVERIFY2(r.code == 0, r.err.constData());
        r = ctl({QStringLiteral("flags"), QStringLiteral("enable"), dep, d, QStringLiteral("--percentage"),
                 QStringLiteral("10"), QStringLiteral("--reason"), QStringLiteral("first step")});
        QVERIFY2(r.code == 0, r.err.constData());
        const auto flags = FlagStore(*m_redis).read(d);
        QVERIFY(flags->mlEnabled);
        QCOMPARE(flags->trafficPercentage, 10);

        // Traffic arrives, then a forced retrain runs on it (through the model worker).
        QCOMPARE(logRides(d, 1500, 4), QString());
        r = ctl({QStringLiteral("retrain"), QStringLiteral("run"), dep, d, QStringLiteral("--force"),
                 QStringLiteral("--epochs"), QStringLiteral("1"), QStringLiteral("--days-back"), QStringLiteral("30"),
                 QStringLiteral("--json")});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("state")).toString(),
                 QStringLiteral("succeeded"));

        // list / show / set / archive through the CLI.
        r = ctl({QStringLiteral("deployments"), QStringLiteral("set"), d, QStringLiteral("--target-name"),
                 QStringLiteral("eta")});
        QVERIFY2(r.code == 0, r.err.constData());
        r = ctl({QStringLiteral("deployments"), QStringLiteral("show"), d, QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("target_name")).toString(),
                 QStringLiteral("eta"));
        r = ctl({QStringLiteral("deployments"), QStringLiteral("archive"), d});
        QCOMPARE(r.code, 1); // no reason
        r = ctl({QStringLiteral("deployments"), QStringLiteral("archive"), d, QStringLiteral("--reason"),
                 QStringLiteral("test over")});
        QVERIFY2(r.code == 0, r.err.constData());
        const auto names = [this](bool all) {
            QStringList out;
            Run l =
                ctl(all ? QStringList{QStringLiteral("deployments"), QStringLiteral("list"), QStringLiteral("--all"),
                                      QStringLiteral("--json")}
                        : QStringList{QStringLiteral("deployments"), QStringLiteral("list"), QStringLiteral("--json")});
            for (const QJsonValue &v : QJsonDocument::fromJson(l.out).array())
                out << v.toObject().value(QStringLiteral("name")).toString();
            return out;
        };
        QVERIFY(!names(false).contains(d));
        QVERIFY(names(true).contains(d));
        r = ctl({QStringLiteral("deployments"), QStringLiteral("archive"), d, QStringLiteral("--reason"),
                 QStringLiteral("twice")});
        QCOMPARE(r.code, 2);
        QCOMPARE(QString::fromUtf8(r.err).trimmed(), QStringLiteral("mldeckctl: ") + DeploymentStore::archivedText(d));
        r = ctl({QStringLiteral("deployments"), QStringLiteral("show"), QStringLiteral("nosuch")});
        QCOMPARE(r.code, 2);
        QCOMPARE(QString::fromUtf8(r.err).trimmed(),
                 QStringLiteral("mldeckctl: ") + DeploymentStore::unknownText(QStringLiteral("nosuch")));

        // Archived: the same one line from any verb; the history stays.
        for (const QStringList &args : {QStringList{QStringLiteral("models"), QStringLiteral("list"), dep, d},
                                        QStringList{QStringLiteral("retrain"), QStringLiteral("history"), dep, d},
                                        QStringList{QStringLiteral("drift"), QStringLiteral("check"), dep, d},
                                        QStringList{QStringLiteral("kpi"), dep, d}}) {
            r = ctl(args);
            QCOMPARE(r.code, 2);
            QCOMPARE(QString::fromUtf8(r.err).trimmed(),
                     QStringLiteral("mldeckctl: Deployment \"%1\" is archived.").arg(d));
        }
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE deployment = $1"), {d}), 1);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment = $1"), {d}) >= 1, true);
    }
};

QTEST_GUILESS_MAIN(TestDeployments)
#include "test_deployments.moc"
