// The role matrix (resources/contract/roles.md) on real servers: one LOGIN user per MLDeck role, made
// by the test (its password reaches mldeckctl through the environment only) and dropped at the end,
// tries every action through mldeckctl. What the role may do works; the rest is refused by the
// database with a readable message and changes nothing; RolePermissions, which the GUI asks, gives
// the same answer for every action. Retrain runs train a model, so launching and deciding are tried
// through the store statements the runner uses, as the same user.
#include "core/demo/RideDelayGenerator.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RetrainStore.h"
#include "core/store/pg/RolePermissions.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace mldeck;
using namespace mldeck::test;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

QString modelFile(const char *name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + QLatin1String(name);
}

// The MLDeck roles in the matrix's column order.
const QStringList kRoles = {QStringLiteral("viewer"), QStringLiteral("operator"), QStringLiteral("scientist"),
                            QStringLiteral("admin")};

// The expected column of roles.md for one action: which of viewer, operator, scientist, admin may.
struct Expectation
{
    RoleAction action;
    QList<bool> may; // kRoles order
};

const QList<Expectation> kMatrix = {
    {RoleAction::FlagChange, {false, true, true, true}},       {RoleAction::Rollback, {false, true, true, true}},
    {RoleAction::PlanChange, {false, true, false, true}},      {RoleAction::PlanAdvance, {false, true, false, true}},
    {RoleAction::ModelRegister, {false, false, true, true}},   {RoleAction::ModelPromote, {false, false, true, true}},
    {RoleAction::ModelRestore, {false, false, true, true}},    {RoleAction::ModelArchive, {false, false, true, true}},
    {RoleAction::RetrainLaunch, {false, false, true, true}},   {RoleAction::RetrainDecide, {false, false, true, true}},
    {RoleAction::AlertAcknowledge, {false, true, true, true}}, {RoleAction::AlertSilence, {false, true, true, true}},
    {RoleAction::FeedbackPurge, {false, false, false, true}},  {RoleAction::AuditVerify, {true, true, true, true}},
};

bool expected(RoleAction action, int roleIndex)
{
    for (const Expectation &e : kMatrix)
        if (e.action == action)
            return e.may.at(roleIndex);
    return false;
}

} // namespace

class TestRoleMatrix final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_owner;
    std::unique_ptr<RedisConnection> m_redis;
    QTemporaryDir m_store;
    QString m_dep;

    Run ctl(const PgEndpoint &pg, QStringList args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), pg.toUrl(true)); // the password: environment only
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), TestServers::redis().toUrl(true));
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), m_store.path());
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), args);
        if (!p.waitForFinished(120000))
            return {};
        return Run{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                   QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

    QString scalar(const QString &sql)
    {
        auto r = query(*m_owner, sql, {m_dep});
        return r && !r->isEmpty() ? r->at(0).value(0) : QStringLiteral("?");
    }

    int auditRows()
    {
        return scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1")).toInt();
    }

    // Registers a version as the owner; returns its version name.
    QString registerAsOwner(const char *file)
    {
        const Run r = ctl(m_db->endpoint(), {QStringLiteral("models"), QStringLiteral("register"), modelFile(file),
                                             QStringLiteral("--deployment"), m_dep, QStringLiteral("--json")});
        if (r.code != 0)
            qWarning("register: %s", qPrintable(r.err));
        return QJsonDocument::fromJson(r.out.toUtf8())
            .object()
            .value(QStringLiteral("model"))
            .toObject()
            .value(QStringLiteral("version"))
            .toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(),
                 "MLDECKCTL must point at the built mldeckctl");
        QVERIFY(m_store.isValid());
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("rolematrix"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test_role_matrix"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_owner = std::move(c).value();
        const auto migrated = Migrator::migrate(*m_owner);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        auto r = RedisConnection::open(TestServers::redis());
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        m_redis = std::move(r).value();
    }

    void init()
    {
        // A fresh deployment per role: flags at 10 %; its models are registered by matrix().
        m_dep = uniqueName(QStringLiteral("roles")).toLower().replace(QLatin1Char('.'), QLatin1Char('-'));
        QVERIFY(DeploymentStore(*m_owner).ensure(m_dep, QString(), RideDelayGenerator::schema()).ok());
        FlagChange flags;
        flags.mlEnabled = true;
        flags.trafficPercentage = 10;
        flags.fallbackOnError = true;
        flags.actor = QStringLiteral("fixture@test");
        QVERIFY(FlagStore(*m_redis).initialiseIfMissing(m_dep, flags).ok());
    }

    void matrix_data()
    {
        QTest::addColumn<int>("role");
        for (int i = 0; i < kRoles.size(); ++i)
            QTest::newRow(qPrintable(kRoles.at(i))) << i;
    }

    void matrix()
    {
        QFETCH(int, role);
        const QString group = QStringLiteral("mldeck_") + kRoles.at(role);
        LoginRole login(group);
        const PgEndpoint as = login.endpoint(m_db->endpoint());

        // Two versions: champion v2, previous champion v1.
        const QString v1 = registerAsOwner("eta_mlp.pt");
        const QString v2 = registerAsOwner("eta_lstm.pt");
        QVERIFY(!v1.isEmpty() && !v2.isEmpty());
        for (const QString &v : {v1, v2})
            QVERIFY(ctl(m_db->endpoint(),
                        {QStringLiteral("models"), QStringLiteral("promote"), v, QStringLiteral("--deployment"), m_dep,
                         QStringLiteral("--reason"), QStringLiteral("fixture")})
                        .code == 0);
        // A stored plan, so that advancing is refused for the role, not for the want of a plan.
        QVERIFY(ctl(m_db->endpoint(), {QStringLiteral("plan"), QStringLiteral("set"), QStringLiteral("--deployment"),
                                       m_dep, QStringLiteral("--steps"), QStringLiteral("10,20,50,100")})
                    .code == 0);
        const auto raised = AlertStore(*m_owner).raise(m_dep, QStringLiteral("kpi"), QStringLiteral("critical"),
                                                       QStringLiteral("roles"), QStringLiteral("Role test"), {});
        QVERIFY(raised.ok());
        const QString alertId = QString::number(raised->id);

        // The GUI's answer, from the database, for this user.
        auto conn = PgConnection::open(as, QStringLiteral("test_role_matrix"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        const auto permissions = RolePermissions::read(**conn);
        QVERIFY2(permissions.ok(), qPrintable(permissions.errorMessage()));
        QCOMPARE(permissions->user(), login.name());
        QCOMPARE(permissions->role(), group);
        QCOMPARE(permissions->who(), login.name() + QStringLiteral(" · ") + kRoles.at(role));
        for (const Expectation &e : kMatrix) {
            const QString what = RolePermissions::actionName(e.action);
            QVERIFY2(permissions->may(e.action) == e.may.at(role), qPrintable(what));
            QCOMPARE(permissions->refusal(e.action).isEmpty(), e.may.at(role));
        }

        const QString dep = QStringLiteral("--deployment=") + m_dep;
        const QString reason = QStringLiteral("--reason=role matrix");
        struct Attempt
        {
            RoleAction action;
            QStringList args;
        };
        const QList<Attempt> attempts = {
            {RoleAction::FlagChange,
             {QStringLiteral("flags"), QStringLiteral("enable"), dep, QStringLiteral("--percentage"),
              QStringLiteral("20"), reason}},
            {RoleAction::Rollback, {QStringLiteral("flags"), QStringLiteral("rollback"), dep, reason}},
            {RoleAction::PlanChange,
             {QStringLiteral("plan"), QStringLiteral("set"), dep, QStringLiteral("--steps"),
              QStringLiteral("10,25,50,100")}},
            {RoleAction::PlanAdvance,
             {QStringLiteral("plan"), QStringLiteral("advance"), dep, QStringLiteral("--override-reason"),
              QStringLiteral("role matrix")}},
            {RoleAction::ModelRegister,
             {QStringLiteral("models"), QStringLiteral("register"), modelFile("fixtures/eta_mlp_traced.pt"), dep}},
            // v1 becomes the champion, then v2 again; v1 is then archived.
            {RoleAction::ModelPromote, {QStringLiteral("models"), QStringLiteral("promote"), v1, dep, reason}},
            {RoleAction::ModelRestore, {QStringLiteral("models"), QStringLiteral("restore-previous"), dep, reason}},
            {RoleAction::ModelArchive, {QStringLiteral("models"), QStringLiteral("archive"), v1, dep, reason}},
            {RoleAction::AlertAcknowledge, {QStringLiteral("alerts"), QStringLiteral("ack"), alertId, reason}},
            {RoleAction::AlertSilence,
             {QStringLiteral("alerts"), QStringLiteral("silence"), alertId, QStringLiteral("--for"),
              QStringLiteral("2h")}},
            {RoleAction::FeedbackPurge, {QStringLiteral("feedback"), QStringLiteral("purge"), dep}},
        };
        for (const Attempt &a : attempts) {
            const QString what = RolePermissions::actionName(a.action);
            const bool may = expected(a.action, role);
            const int auditBefore = auditRows();
            const FlagState flagsBefore = FlagStore(*m_redis).read(m_dep).value();
            const Run r = ctl(as, a.args);
            if (may) {
                QVERIFY2(r.code == 0, qPrintable(what + QStringLiteral(": ") + r.err));
                continue;
            }
            QVERIFY2(r.code != 0, qPrintable(what + QStringLiteral(" was not refused: ") + r.out));
            // Refused by the database (or, for a rollback, by the answer the database gave first).
            QVERIFY2(r.err.contains(QLatin1String("permission denied")) || r.err.contains(QLatin1String("may not")),
                     qPrintable(what + QStringLiteral(": ") + r.err));
            QVERIFY2(!r.err.contains(login.name() + QLatin1Char(':')), "no credentials in the message");
            QVERIFY2(auditRows() == auditBefore, qPrintable(what + QStringLiteral(" left an audit row")));
            const FlagState flagsAfter = FlagStore(*m_redis).read(m_dep).value();
            QVERIFY2(flagsAfter.version == flagsBefore.version,
                     qPrintable(what + QStringLiteral(" changed the flags")));
        }

        // Retraining: the runner's own statements, as this user.
        const auto run = RetrainStore(**conn).insertRun(m_dep, QStringLiteral("manual"), true, {});
        QVERIFY2(run.ok() == expected(RoleAction::RetrainLaunch, role),
                 qPrintable(run.ok() ? QString() : run.errorMessage()));
        const auto ownerRun =
            run.ok() ? run : RetrainStore(*m_owner).insertRun(m_dep, QStringLiteral("manual"), true, {});
        QVERIFY2(ownerRun.ok(), qPrintable(ownerRun.errorMessage()));
        const Status decided =
            RetrainStore(**conn).setDecision(*ownerRun, QStringLiteral("rejected"), QStringLiteral("role matrix"));
        QVERIFY2(decided.ok() == expected(RoleAction::RetrainDecide, role), qPrintable(decided.errorMessage()));

        // The audit log reads for every role: what `audit verify` needs.
        const auto readable =
            query(**conn, QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1"), {m_dep});
        QVERIFY2(readable.ok() == expected(RoleAction::AuditVerify, role), qPrintable(readable.errorMessage()));

        // What the status bar shows for this user.
        QVERIFY(permissions->who().startsWith(login.name()));
    }

    void refusalsNameTheRolesThatMay()
    {
        LoginRole viewer(QStringLiteral("mldeck_viewer"));
        auto conn = PgConnection::open(viewer.endpoint(m_db->endpoint()), QStringLiteral("test_role_matrix"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        const auto p = RolePermissions::read(**conn);
        QVERIFY2(p.ok(), qPrintable(p.errorMessage()));
        QCOMPARE(p->refusal(RoleAction::Rollback),
                 QStringLiteral("Read-only: your role mldeck_viewer may not roll back; mldeck_operator or "
                                "mldeck_scientist may."));
        QCOMPARE(p->refusal(RoleAction::PlanAdvance),
                 QStringLiteral("Read-only: your role mldeck_viewer may not advance the rollout plan; mldeck_operator "
                                "may."));
        QCOMPARE(p->refusal(RoleAction::FeedbackPurge),
                 QStringLiteral("Read-only: your role mldeck_viewer may not purge feedback; mldeck_admin may."));
        QCOMPARE(p->refusal(SettingsArea::GuardRules),
                 QStringLiteral("Read-only: your role mldeck_viewer may not change guard rules; mldeck_operator may."));
        QCOMPARE(p->refusal(SettingsArea::Retention),
                 QStringLiteral("Read-only: your role mldeck_viewer may not change the retention; mldeck_admin may."));

        LoginRole admin(QStringLiteral("mldeck_admin"));
        auto asAdmin = PgConnection::open(admin.endpoint(m_db->endpoint()), QStringLiteral("test_role_matrix"));
        QVERIFY2(asAdmin.ok(), qPrintable(asAdmin.errorMessage()));
        const auto a = RolePermissions::read(**asAdmin);
        QVERIFY2(a.ok(), qPrintable(a.errorMessage()));
        QCOMPARE(a->roleLabel(), QStringLiteral("admin"));
        for (int i = 0; i < kSettingsAreaCount; ++i)
            QVERIFY2(a->mayChange(SettingsArea(i)), qPrintable(RolePermissions::areaName(SettingsArea(i))));

        const auto owner = RolePermissions::read(*m_owner);
        QVERIFY2(owner.ok(), qPrintable(owner.errorMessage()));
        QCOMPARE(owner->roleLabel(), QStringLiteral("owner"));
        for (int i = 0; i < kRoleActionCount; ++i)
            QVERIFY2(owner->may(RoleAction(i)), qPrintable(RolePermissions::actionName(RoleAction(i))));
    }

    void cleanupTestCase()
    {
        m_owner.reset();
        m_db.reset();
    }
};

QTEST_GUILESS_MAIN(TestRoleMatrix)
#include "test_role_matrix.moc"
