// RolePermissions answers what the database itself enforces, for each MLDeck role; GuardStore
// audits every save of the guard rules in the save's own transaction.
#include "core/rollout/AuditRecord.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RetentionStore.h"
#include "core/store/pg/RolePermissions.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <memory>

using namespace mldeck;
using namespace mldeck::test;

class TestSettingsRoles final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_admin;
    QString m_dep;

    std::unique_ptr<PgConnection> connectAs(const LoginRole &role)
    {
        auto c = PgConnection::open(role.endpoint(m_db->endpoint()), QStringLiteral("test"));
        if (!c) {
            qWarning("%s", qPrintable(c.errorMessage()));
            return {};
        }
        return std::move(c).value();
    }

    int auditRows(const QString &action)
    {
        auto r = query(*m_admin,
                       QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = $2"),
                       {m_dep, action});
        return r ? r->value(0).value(0).toInt() : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("settingsroles"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_admin = std::move(c).value();
        QVERIFY(Migrator::migrate(*m_admin).ok());
        m_dep = uniqueName(QStringLiteral("roles"));
        QVERIFY(exec(*m_admin, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1')").arg(m_dep)).ok());
    }

    void permissionsFollowTheRole_data()
    {
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("role");
        // In SettingsArea order: Deployments, KpiTargets, GuardRules, AlertRules, Webhook, DriftSettings,
        // RetrainSettings, Retention.
        QTest::addColumn<QList<bool>>("may");
        QTest::newRow("viewer") << "mldeck_viewer"
                                << "mldeck_viewer"
                                << QList<bool>{false, false, false, false, false, false, false, false};
        QTest::newRow("operator") << "mldeck_operator"
                                  << "mldeck_operator"
                                  << QList<bool>{false, true, true, true, true, false, false, false};
        QTest::newRow("scientist") << "mldeck_scientist"
                                   << "mldeck_scientist"
                                   << QList<bool>{true, true, false, false, false, true, true, false};
        QTest::newRow("admin") << "mldeck_admin"
                               << "mldeck_admin" << QList<bool>{true, true, true, true, true, true, true, true};
    }

    void permissionsFollowTheRole()
    {
        QFETCH(QString, group);
        QFETCH(QString, role);
        QFETCH(QList<bool>, may);
        LoginRole login(group);
        auto conn = connectAs(login);
        QVERIFY(conn);
        const auto p = RolePermissions::read(*conn);
        QVERIFY2(p.ok(), qPrintable(p.errorMessage()));
        QCOMPARE(p->user(), login.name());
        QCOMPARE(p->role(), role);
        QCOMPARE(may.size(), kSettingsAreaCount);
        for (int i = 0; i < kSettingsAreaCount; ++i) {
            const auto area = SettingsArea(i);
            QVERIFY2(p->mayChange(area) == may[i], qPrintable(RolePermissions::areaName(area)));
            QCOMPARE(p->refusal(area).isEmpty(), may[i]);
        }
        // Who may, as the grants say.
        QCOMPARE(p->rolesThatMay(SettingsArea::GuardRules), QStringList{QStringLiteral("mldeck_operator")});
        QCOMPARE(p->rolesThatMay(SettingsArea::KpiTargets),
                 (QStringList{QStringLiteral("mldeck_operator"), QStringLiteral("mldeck_scientist")}));
        QCOMPARE(p->rolesThatMay(SettingsArea::RetrainSettings), QStringList{QStringLiteral("mldeck_scientist")});
        QCOMPARE(p->rolesThatMay(SettingsArea::DriftSettings), QStringList{QStringLiteral("mldeck_scientist")});
        QCOMPARE(p->rolesThatMay(SettingsArea::Retention), QStringList{QStringLiteral("mldeck_admin")});

        // The answer is the database's: what it says may not be changed is refused, and the reverse.
        GuardRules rules;
        rules.maxMae = 3.25;
        const Status saved = GuardStore(*conn).saveRules(m_dep, rules, Actor::current(), QStringLiteral("role test"));
        QCOMPARE(saved.ok(), p->mayChange(SettingsArea::GuardRules));
        const Status targets = KpiStore(*conn).setTargets(m_dep, KpiTargets{});
        QCOMPARE(targets.ok(), p->mayChange(SettingsArea::KpiTargets));
        const Status retention =
            RetentionStore(*conn).setDays(m_dep, 30, Actor::current(), QStringLiteral("role test"));
        QCOMPARE(retention.ok(), p->mayChange(SettingsArea::Retention));
        if (retention.ok()) // back to the default for the next row
            QVERIFY(RetentionStore(*conn).setDays(m_dep, std::nullopt, Actor::current()).ok());
    }

    void refusalNamesTheRoleThatMay()
    {
        LoginRole viewer(QStringLiteral("mldeck_viewer"));
        auto conn = connectAs(viewer);
        QVERIFY(conn);
        const auto p = RolePermissions::read(*conn);
        QVERIFY2(p.ok(), qPrintable(p.errorMessage()));
        QCOMPARE(p->refusal(SettingsArea::GuardRules),
                 QStringLiteral("Read-only: your role mldeck_viewer may not change guard rules; mldeck_operator may."));
        QCOMPARE(p->refusal(SettingsArea::KpiTargets),
                 QStringLiteral("Read-only: your role mldeck_viewer may not change KPI targets; mldeck_operator or "
                                "mldeck_scientist may."));
        QCOMPARE(p->refusal(SettingsArea::Retention),
                 QStringLiteral("Read-only: your role mldeck_viewer may not change the retention; mldeck_admin may."));
    }

    void ownerMayChangeEverything()
    {
        const auto p = RolePermissions::read(*m_admin); // the test server's superuser
        QVERIFY2(p.ok(), qPrintable(p.errorMessage()));
        QCOMPARE(p->role(), QStringLiteral("owner"));
        for (int a = 0; a < kSettingsAreaCount; ++a)
            QVERIFY(p->mayChange(SettingsArea(a)));
    }

    // A database not migrated yet has nothing to ask privileges on: its owner is refused nothing (its writes say
    // what is missing, a rollback spools its audit row), any other role everything.
    void ownerIsRefusedNothingBeforeTheSchemaExists()
    {
        ScratchDatabase bare(QStringLiteral("rolesbare"));
        auto c = PgConnection::open(bare.endpoint(), QStringLiteral("test"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        const auto owner = RolePermissions::read(**c);
        QVERIFY2(owner.ok(), qPrintable(owner.errorMessage()));
        QCOMPARE(owner->role(), QStringLiteral("owner"));
        for (int a = 0; a < kSettingsAreaCount; ++a)
            QVERIFY2(owner->refusal(SettingsArea(a)).isEmpty(), qPrintable(owner->refusal(SettingsArea(a))));
        for (int a = 0; a < kRoleActionCount; ++a)
            QVERIFY2(owner->refusal(RoleAction(a)).isEmpty(), qPrintable(owner->refusal(RoleAction(a))));

        LoginRole operatorRole(QStringLiteral("mldeck_operator"));
        auto op = PgConnection::open(operatorRole.endpoint(bare.endpoint()), QStringLiteral("test"));
        QVERIFY2(op.ok(), qPrintable(op.errorMessage()));
        const auto refused = RolePermissions::read(**op);
        QVERIFY2(refused.ok(), qPrintable(refused.errorMessage()));
        for (int a = 0; a < kSettingsAreaCount; ++a)
            QVERIFY(!refused->mayChange(SettingsArea(a)));
        for (int a = 0; a < kRoleActionCount; ++a)
            QVERIFY(!refused->may(RoleAction(a)));
        QCOMPARE(refused->refusal(RoleAction::Rollback),
                 QStringLiteral("Read-only: your role mldeck_operator may not roll back; only the owner of the MLDeck "
                                "schema may."));
    }

    void guardRulesSaveWritesOneAuditRowWithBeforeAndAfter()
    {
        LoginRole operatorRole(QStringLiteral("mldeck_operator"));
        auto conn = connectAs(operatorRole);
        QVERIFY(conn);
        QVERIFY(
            exec(*m_admin, QStringLiteral("DELETE FROM mldeck.guard_rules WHERE deployment = '%1'").arg(m_dep)).ok());
        const int before = auditRows(QStringLiteral("guard.rules"));

        GuardRules first;
        first.maxMae = 3.5;
        first.consecutiveBreaches = 2;
        QVERIFY(GuardStore(*conn).saveRules(m_dep, first, Actor::current(), QStringLiteral("first")).ok());
        QCOMPARE(auditRows(QStringLiteral("guard.rules")), before + 1);
        auto row = query(*m_admin,
                         QStringLiteral("SELECT before::text, after::text, reason, actor_db FROM mldeck.audit_log "
                                        "WHERE deployment = $1 AND action = 'guard.rules' ORDER BY id DESC LIMIT 1"),
                         {m_dep});
        QVERIFY(row && row->size() == 1);
        const QJsonObject b1 = QJsonDocument::fromJson(row->at(0).at(0).toUtf8()).object();
        const QJsonObject a1 = QJsonDocument::fromJson(row->at(0).at(1).toUtf8()).object();
        QCOMPARE(b1, GuardRules{}.toJson()); // no row yet: the defaults were in force
        QCOMPARE(a1, first.toJson());
        QCOMPARE(row->at(0).at(2), QStringLiteral("first"));
        QCOMPARE(row->at(0).at(3), operatorRole.name());

        GuardRules second = first;
        second.rollbackErrorRate = 0.4;
        QVERIFY(GuardStore(*conn).saveRules(m_dep, second, Actor::current(), QStringLiteral("second")).ok());
        QCOMPARE(auditRows(QStringLiteral("guard.rules")), before + 2);
        row = query(*m_admin,
                    QStringLiteral("SELECT before::text, after::text FROM mldeck.audit_log WHERE deployment = $1 "
                                   "AND action = 'guard.rules' ORDER BY id DESC LIMIT 1"),
                    {m_dep});
        QVERIFY(row && row->size() == 1);
        QCOMPARE(QJsonDocument::fromJson(row->at(0).at(0).toUtf8()).object(), first.toJson());
        QCOMPARE(QJsonDocument::fromJson(row->at(0).at(1).toUtf8()).object(), second.toJson());
        QCOMPARE(GuardStore(*m_admin).rules(m_dep).value().rollbackErrorRate, 0.4);
    }

    void refusedOrInvalidSaveWritesNothing()
    {
        const int before = auditRows(QStringLiteral("guard.rules"));
        const GuardRules stored = GuardStore(*m_admin).rules(m_dep).value();

        GuardRules invalid = stored;
        invalid.windowSeconds = 5; // the table's CHECK: 10 s to 1 day
        const Status bad = GuardStore(*m_admin).saveRules(m_dep, invalid, Actor::current(), QStringLiteral("bad"));
        QVERIFY(!bad.ok());
        QVERIFY2(bad.errorMessage().contains(QStringLiteral("window")), qPrintable(bad.errorMessage()));

        LoginRole viewer(QStringLiteral("mldeck_viewer"));
        auto conn = connectAs(viewer);
        QVERIFY(conn);
        GuardRules change = stored;
        change.maxMae = stored.maxMae + 1;
        const Status refused = GuardStore(*conn).saveRules(m_dep, change, Actor::current(), QStringLiteral("no"));
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("nothing was changed")),
                 qPrintable(refused.errorMessage()));

        QCOMPARE(auditRows(QStringLiteral("guard.rules")), before);
        QCOMPARE(GuardStore(*m_admin).rules(m_dep).value().toJson(), stored.toJson());
    }

    void cleanupTestCase()
    {
        m_admin.reset();
        m_db.reset();
    }
};

QTEST_GUILESS_MAIN(TestSettingsRoles)
#include "test_settings_roles.moc"
