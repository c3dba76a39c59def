// Roles you can see, on the real window offscreen: a LOGIN user per MLDeck role (made by the test,
// its password only in the environment's URL) connects; the status bar and every page's header say
// who and which role; each action button the role may not use is disabled with the tooltip naming the
// role that may (RolePermissions::refusal), and the ones it may use are not blocked by the role.
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RolePermissions.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/gui/shell/ShellFixture.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/LoginRole.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/MainWindow.h"
#include "ui/pages/RolloutPage.h"
#include "ui/widgets/PageFrame.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QStatusBar>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

template <typename T> T *child(QObject *parent, const char *name)
{
    return parent->findChild<T *>(QLatin1String(name));
}

const QString kReadOnly = QStringLiteral("Read-only: your role ");

} // namespace

class TestGuiRoles final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_owner;
    QString m_dep;

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiroles"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_roles"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_owner = std::move(c).value();
        QVERIFY(Migrator::migrate(*m_owner).ok());
        m_dep = uniqueName(QStringLiteral("guiroles")).toLower().replace(QLatin1Char('.'), QLatin1Char('-'));
        QVERIFY(DeploymentStore(*m_owner).ensure(m_dep, QString(), FeatureSchema{}).ok());
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY2(redis.ok(), qPrintable(redis.errorMessage()));
        FlagChange flags;
        flags.mlEnabled = true;
        flags.trafficPercentage = 10;
        flags.fallbackOnError = true;
        flags.actor = QStringLiteral("fixture@test");
        QVERIFY(FlagStore(**redis).initialiseIfMissing(m_dep, flags).ok());
        isolateFromEnvironment();
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
    }

    void cleanupTestCase()
    {
        qunsetenv("MLDECK_PG_URL");
        m_owner.reset();
        m_db.reset();
    }

    void buttonsFollowTheRole_data()
    {
        QTest::addColumn<QString>("role");
        QTest::addColumn<bool>("operates"); // rollout: flags, rollback, plan
        QTest::addColumn<bool>("models");   // register, promote, restore, archive
        QTest::addColumn<bool>("alerts");   // acknowledge, silence
        QTest::newRow("viewer") << "viewer" << false << false << false;
        QTest::newRow("operator") << "operator" << true << false << true;
        QTest::newRow("scientist") << "scientist" << false << true << true;
        QTest::newRow("admin") << "admin" << true << true << true;
    }

    void buttonsFollowTheRole()
    {
        QFETCH(QString, role);
        QFETCH(bool, operates);
        QFETCH(bool, models);
        QFETCH(bool, alerts);
        const LoginRole login(QStringLiteral("mldeck_") + role);
        qputenv("MLDECK_PG_URL", login.endpoint(m_db->endpoint()).toUrl(true).toUtf8());

        Shell shell;
        shell.window->resize(1280, 860);
        shell.window->show();
        shell.window->showPage(ui::PageId::Rollout);
        shell.session.start();

        // Who and which role: the status bar, and every page's header.
        const QString who = login.name() + QStringLiteral(" · ") + role;
        auto *status = child<QLabel>(shell.window.get(), "roleStatus");
        QVERIFY(status);
        QTRY_COMPARE_WITH_TIMEOUT(status->text(), who, 15000);
        QVERIFY(status->isVisible());
        QVERIFY2(status->toolTip().contains(QStringLiteral("mldeck_") + role), qPrintable(status->toolTip()));
        for (ui::PageId id : ui::kAllPages) {
            auto *frame = shell.window->page(id)->findChild<ui::PageFrame *>();
            QVERIFY2(frame, qPrintable(ui::pageKey(id)));
            QCOMPARE(frame->role(), who);
        }
        QVERIFY(shell.session.permissions());
        const RolePermissions &p = *shell.session.permissions();

        // Rollout: the deployment's flags are read, then what the role may not do is disabled and says who may.
        auto *rollout = qobject_cast<ui::RolloutPage *>(shell.window->page(ui::PageId::Rollout));
        QVERIFY(rollout);
        // The test's deployment (a shared Redis may list others, and the page prefers the demo one).
        auto *selector = rollout->findChild<ui::PageFrame *>()->deploymentSelector();
        QTRY_VERIFY_WITH_TIMEOUT(selector->findText(m_dep) >= 0, 15000);
        selector->setCurrentIndex(selector->findText(m_dep));
        QTRY_VERIFY2_WITH_TIMEOUT(rollout->isConnected() && rollout->currentDeployment() == m_dep,
                                  qPrintable(QStringLiteral("connected %1, showing \"%2\"")
                                                 .arg(rollout->isConnected())
                                                 .arg(rollout->currentDeployment())),
                                  15000);
        auto *rollback = child<QPushButton>(rollout, "rollbackButton");
        auto *percentage = child<QWidget>(rollout, "percentageSpin");
        auto *plan = child<QWidget>(rollout, "plan");
        auto *planSave = child<QPushButton>(rollout, "planSave");
        auto *planAdvance = child<QPushButton>(rollout, "planAdvance");
        QVERIFY(rollback && percentage && plan && planSave && planAdvance);
        QVERIFY(plan->isEnabled()); // the plan and its gates stay readable whatever the role
        if (operates) {
            QTRY_VERIFY_WITH_TIMEOUT(rollback->isEnabled(), 15000);
            QTRY_VERIFY_WITH_TIMEOUT(planSave->isEnabled(), 15000);
            QVERIFY(!rollback->toolTip().startsWith(kReadOnly));
            QVERIFY(!planSave->toolTip().startsWith(kReadOnly));
            QVERIFY(!planAdvance->toolTip().startsWith(kReadOnly));
        } else {
            QVERIFY(!planSave->isEnabled() && !planAdvance->isEnabled());
            QCOMPARE(planSave->toolTip(), p.refusal(RoleAction::PlanChange));
            QCOMPARE(planAdvance->toolTip(), p.refusal(RoleAction::PlanAdvance));
        }
        // A scientist writes audit rows, so PostgreSQL lets it change flags (roles.md): only the viewer is stopped.
        const bool flags = role != QLatin1String("viewer");
        QCOMPARE(rollback->isEnabled(), flags);
        if (flags) {
            QVERIFY(!rollback->toolTip().startsWith(kReadOnly));
            QTRY_VERIFY_WITH_TIMEOUT(percentage->isEnabled(), 15000); // once the flags are read back
        } else {
            QCOMPARE(rollback->toolTip(), p.refusal(RoleAction::Rollback));
            QVERIFY(!percentage->isEnabled());
            QCOMPARE(percentage->toolTip(), p.refusal(RoleAction::FlagChange));
            QVERIFY2(rollback->toolTip().contains(QLatin1String("mldeck_operator")), qPrintable(rollback->toolTip()));
        }

        // Models and Alerts & drift: the buttons are gated whatever is selected.
        shell.window->showPage(ui::PageId::Models);
        for (const auto &[name, action] : {std::pair{"registerButton", RoleAction::ModelRegister},
                                           std::pair{"promoteButton", RoleAction::ModelPromote},
                                           std::pair{"restoreButton", RoleAction::ModelRestore},
                                           std::pair{"archiveButton", RoleAction::ModelArchive}}) {
            auto *b = child<QPushButton>(shell.window->page(ui::PageId::Models), name);
            QVERIFY2(b, name);
            if (models) {
                QVERIFY2(!b->toolTip().startsWith(kReadOnly), name);
                // Register and restore need only the deployment; promote and archive wait for a selected version.
                if (qstrcmp(name, "registerButton") == 0 || qstrcmp(name, "restoreButton") == 0)
                    QTRY_VERIFY2_WITH_TIMEOUT(b->isEnabled(), name, 15000);
            } else {
                QVERIFY2(!b->isEnabled(), name);
                QCOMPARE(b->toolTip(), p.refusal(action));
                QVERIFY2(b->toolTip().contains(QLatin1String("mldeck_scientist")), qPrintable(b->toolTip()));
            }
        }
        shell.window->showPage(ui::PageId::AlertsDrift);
        for (const auto &[name, action] : {std::pair{"acknowledgeButton", RoleAction::AlertAcknowledge},
                                           std::pair{"silenceButton", RoleAction::AlertSilence}}) {
            auto *b = child<QPushButton>(shell.window->page(ui::PageId::AlertsDrift), name);
            QVERIFY2(b, name);
            if (alerts) {
                QVERIFY2(!b->toolTip().startsWith(kReadOnly), name);
            } else {
                QVERIFY2(!b->isEnabled(), name);
                QCOMPARE(b->toolTip(), p.refusal(action));
            }
        }
        saveScreenshot(shell.window.get(), QStringLiteral("roles-") + role);
    }

    // A profile switch to a role that may: the session reads the new answer (permissionsChanged) and the
    // controls come back enabled with their own tooltips, not a stale refusal.
    void tooltipsComeBackOnProfileSwitch()
    {
        const LoginRole viewer(QStringLiteral("mldeck_viewer"));
        const LoginRole op(QStringLiteral("mldeck_operator")); // before the shell: dropped after it
        qputenv("MLDECK_PG_URL", viewer.endpoint(m_db->endpoint()).toUrl(true).toUtf8());
        Shell shell;
        shell.window->show();
        shell.window->showPage(ui::PageId::Rollout);
        shell.session.start();
        auto *rollout = qobject_cast<ui::RolloutPage *>(shell.window->page(ui::PageId::Rollout));
        QVERIFY(rollout);
        auto *selector = rollout->findChild<ui::PageFrame *>()->deploymentSelector();
        QTRY_VERIFY_WITH_TIMEOUT(selector->findText(m_dep) >= 0, 15000);
        selector->setCurrentIndex(selector->findText(m_dep));
        auto *rollback = child<QPushButton>(rollout, "rollbackButton");
        auto *planSave = child<QPushButton>(rollout, "planSave");
        QVERIFY(rollback && planSave);
        QTRY_VERIFY_WITH_TIMEOUT(rollback->toolTip().startsWith(kReadOnly), 15000);
        QVERIFY(!rollback->isEnabled());
        QVERIFY(planSave->toolTip().startsWith(kReadOnly));

        ConnectionProfile profile = shell.session.activeProfile();
        profile.pg = op.endpoint(m_db->endpoint());
        QSignalSpy changed(&shell.session, &ui::ConnectionSession::permissionsChanged);
        shell.session.activate(profile, profile.redis.password, profile.pg.password);
        QTRY_VERIFY_WITH_TIMEOUT(shell.session.permissions() && shell.session.permissions()->may(RoleAction::Rollback),
                                 15000);
        QVERIFY(!changed.isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(rollback->isEnabled(), 15000);
        QVERIFY2(rollback->toolTip().startsWith(QLatin1String("Turns ML off")), qPrintable(rollback->toolTip()));
        QTRY_VERIFY_WITH_TIMEOUT(planSave->isEnabled(), 15000);
        QCOMPARE(planSave->toolTip(), QString());
    }
};

QTEST_MAIN(TestGuiRoles)
#include "test_gui_roles.moc"
