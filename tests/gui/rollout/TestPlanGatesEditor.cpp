// The plan's gates combination edited on the Rollout page through its real widgets (keys, clicks),
// with the real RolloutService, Redis and PostgreSQL. What counts is what the plan store holds
// afterwards: "at least 2 of 3" with an advisory gate and a step's own mode are stored, an "at least
// N" beyond the deployment's gates is refused next to the fields with the words plan set uses and
// stores nothing, neither Save gates nor Save steps loses the plan's min_labelled, a classifier is
// offered its own gates, and a role that may not change the plan sees the editor disabled with the
// same reason as Save steps.
#include "core/config/ConnectionProfile.h"
#include "core/config/Settings.h"
#include "core/rollout/FlagValues.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/RolloutService.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RolloutPlanStore.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/Theme.h"
#include "ui/pages/RolloutPage.h"
#include "ui/pages/rollout/PlanGatesEditor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace mldeck;

namespace {

constexpr int kTimeoutMs = 10000;
using Mode = GateCombination::Mode;

// The page as the window builds it, on a throwaway settings file, connected to the test servers.
struct PageFixture
{
    QTemporaryDir dir;
    Settings settings{dir.filePath(QStringLiteral("mldeck.ini"))};
    SecretStore secrets;
    ConnectionMonitor monitor;
    ui::ConnectionSession session{settings, secrets, monitor};
    std::unique_ptr<ui::RolloutPage> page;

    explicit PageFixture(const PgEndpoint &pg)
    {
        page = std::make_unique<ui::RolloutPage>(session);
        page->service().setSpoolDirectory(dir.filePath(QStringLiteral("spool")));
        page->resize(1100, 1000);
        page->show();
        ConnectionProfile profile;
        profile.name = QStringLiteral("Test servers");
        profile.redis = test::TestServers::redis();
        profile.pg = pg;
        session.activate(profile, profile.redis.password, profile.pg.password);
    }

    template <typename T> T *find(const QString &name) const { return page->findChild<T *>(name); }
};

// Moves a combo box to the item with `data` with the arrow keys, as a user does.
void chooseWithKeys(QComboBox *combo, const QVariant &data)
{
    const int target = combo->findData(data);
    QVERIFY2(target >= 0, qPrintable(data.toString()));
    while (combo->currentIndex() != target) {
        const int before = combo->currentIndex();
        QTest::keyClick(combo, target > before ? Qt::Key_Down : Qt::Key_Up);
        QVERIFY(combo->currentIndex() != before);
    }
}

void typeNumber(QSpinBox *spin, int value)
{
    spin->setFocus();
    QTest::keyClick(spin, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(spin, QString::number(value));
    QCOMPARE(spin->value(), value);
}

// A click on the check box's indicator (its centre may lie past its text in a wide grid cell).
void clickBox(QCheckBox *box)
{
    QTest::mouseClick(box, Qt::LeftButton, Qt::NoModifier, QPoint(8, box->height() / 2));
}

} // namespace

class TestPlanGatesEditor final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<RedisConnection> m_redis;
    QStringList m_deployments;

    QString newDeployment()
    {
        const QString name = test::uniqueName(QStringLiteral("guigates"));
        auto made =
            FlagStore(*m_redis).initialiseIfMissing(name, FlagChange{true, 10, true, QStringLiteral("setup@test")});
        if (!made)
            MLDECK_FAIL_IN_HELPER(QStringLiteral("flag init failed: ") + made.errorMessage());
        m_deployments << name;
        return name;
    }

    StagedPlan stored(const QString &deployment)
    {
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_plan_gates"));
        if (!pg) {
            MLDECK_FAIL_IN_HELPER(pg.errorMessage());
            return {};
        }
        auto loaded = RolloutPlanStore(**pg).load(deployment);
        if (!loaded) {
            MLDECK_FAIL_IN_HELPER(loaded.errorMessage());
            return {};
        }
        return loaded->plan;
    }

    // Selects the deployment and waits until its plan is in the editor.
    void open(PageFixture &f, const QString &name)
    {
        auto *combo = f.find<QComboBox>(QStringLiteral("deploymentSelector"));
        QVERIFY(combo);
        QTRY_VERIFY2_WITH_TIMEOUT(combo->findText(name) >= 0, "deployment not listed", kTimeoutMs);
        combo->setCurrentIndex(combo->findText(name));
        QTRY_VERIFY_WITH_TIMEOUT(f.find<QComboBox>(QStringLiteral("gatesScope"))->count() == 5, kTimeoutMs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        qunsetenv("MLDECK_REDIS_URL");
        qunsetenv("MLDECK_PG_URL");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("guigates"));
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_plan_gates"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        auto migrated = Migrator::migrate(**pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        auto redis = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(redis, qPrintable(redis.errorMessage()));
        m_redis = std::move(redis).value();
    }

    void cleanupTestCase()
    {
        if (!m_redis)
            return;
        for (const QString &name : std::as_const(m_deployments)) {
            (void)m_redis->command({"DEL", FlagStore::key(name)});
            (void)m_redis->command({"SREM", FlagStore::deploymentsKey(), name.toUtf8()});
        }
    }

    void atLeastTwoOfThreeIsStoredAndTooManyIsRefused()
    {
        const QString dep = newDeployment();
        // A plan stored before combined gates: its quality gates wait for one labelled prediction.
        {
            auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_plan_gates"));
            QVERIFY2(pg, qPrintable(pg.errorMessage()));
            StagedPlan old;
            old.gates.minLabelled = 1;
            const Status kept = RolloutPlanStore(**pg).save(dep, old, 0);
            QVERIFY2(kept, qPrintable(kept.errorMessage()));
        }
        PageFixture f(m_db->endpoint());
        open(f, dep);
        if (QTest::currentTestFailed())
            return;
        auto *scope = f.find<QComboBox>(QStringLiteral("gatesScope"));
        auto *own = f.find<QCheckBox>(QStringLiteral("gatesOwn"));
        auto *mode = f.find<QComboBox>(QStringLiteral("gatesMode"));
        auto *atLeast = f.find<QSpinBox>(QStringLiteral("gatesAtLeast"));
        auto *summary = f.find<QLabel>(QStringLiteral("gatesSummary"));
        auto *message = f.find<QLabel>(QStringLiteral("gatesMessage"));
        auto *save = f.find<QPushButton>(QStringLiteral("gatesSave"));
        auto *latency = f.find<QCheckBox>(QStringLiteral("gatesAdvisory_") + QLatin1String(plan::kGateLatency));
        QVERIFY(scope && own && mode && atLeast && summary && message && save && latency);
        // A regression deployment: its four metric gates, not a classifier's.
        for (const char *gate : {plan::kGateMae, plan::kGateR2, plan::kGateErrorRate})
            QVERIFY(f.find<QCheckBox>(QStringLiteral("gatesAdvisory_") + QLatin1String(gate)));
        QVERIFY(!f.find<QCheckBox>(QStringLiteral("gatesAdvisory_") + QLatin1String(plan::kGateAccuracy)));
        QTRY_VERIFY_WITH_TIMEOUT(save->isEnabled(), kTimeoutMs);
        QVERIFY(!atLeast->isEnabled()); // "all" needs no N

        // The plan: at least 2 of the 3 gates left once the latency is advisory.
        chooseWithKeys(mode, int(Mode::AtLeast));
        QVERIFY(atLeast->isEnabled());
        typeNumber(atLeast, 2);
        clickBox(latency);
        QVERIFY(latency->isChecked());
        QVERIFY2(summary->text().contains(QLatin1String("at least 2 of 3")), qPrintable(summary->text()));
        // Step 50 %: any one gate.
        chooseWithKeys(scope, 50);
        QVERIFY(own->isVisible() && !own->isChecked() && !mode->isEnabled());
        clickBox(own);
        QVERIFY(own->isChecked() && mode->isEnabled());
        chooseWithKeys(mode, int(Mode::Any));
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(message->text(), QStringLiteral("Gates combination saved."), kTimeoutMs);

        const StagedPlan saved = stored(dep);
        const GateCombination planWide{Mode::AtLeast, 2, {QString::fromLatin1(plan::kGateLatency)}};
        QCOMPARE(saved.combination, planWide);
        QCOMPARE(saved.stepCombinations.keys(), QList<int>{50});
        QCOMPARE(saved.stepCombinations.value(50).mode, Mode::Any);
        QVERIFY(saved.stepCombinations.value(50).advisory.contains(QLatin1String(plan::kGateLatency)));
        QCOMPARE(saved.gates.minLabelled, std::optional<qint64>(1));
        // The plan panel shows the step's rule as stored (step 10 %: the plan's).
        auto *rule = f.find<QLabel>(QStringLiteral("planRule"));
        QTRY_VERIFY_WITH_TIMEOUT(rule->text().contains(QLatin1String("at least 2 of 3")), kTimeoutMs);
        test::saveScreenshot(f.page.get(), QStringLiteral("plan-gates-editor"));

        // At least 4 of the 3 gates that decide could never pass: refused next to the fields, nothing sent.
        QSignalSpy sent(f.find<ui::PlanGatesEditor>(QStringLiteral("planGatesEditor")),
                        &ui::PlanGatesEditor::saveRequested);
        chooseWithKeys(scope, -1);
        QCOMPARE(atLeast->value(), 2);
        typeNumber(atLeast, 4);
        QTest::mouseClick(save, Qt::LeftButton);
        // The words plan set gives (the store checks the plan against the deployment's task).
        QCOMPARE(message->text(),
                 QStringLiteral("Not saved: Regression plan: At least 4 can never be met: only 3 condition(s) "
                                "decide here (max_mae, min_r2, max_error_rate)."));
        QVERIFY(message->isVisible());
        QVERIFY(message->styleSheet().contains(ui::themeCss(ui::Palette::Bad)));
        QCOMPARE(sent.count(), 0);
        QCOMPARE(stored(dep).combination, planWide);
        QCOMPARE(stored(dep).stepCombinations.keys(), QList<int>{50});
        // Any edit clears the refusal.
        typeNumber(atLeast, 3);
        QVERIFY(!message->isVisible());

        // Save steps starts from the stored plan too: the combinations and min_labelled stay.
        auto *steps = f.find<QLineEdit>(QStringLiteral("planSteps"));
        auto *stepsMessage = f.find<QLabel>(QStringLiteral("planMessage"));
        QVERIFY(steps && stepsMessage);
        steps->setFocus();
        QTest::keyClick(steps, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClicks(steps, QStringLiteral("10, 50, 100"));
        QTest::mouseClick(f.find<QPushButton>(QStringLiteral("planSave")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(stepsMessage->text(), QStringLiteral("Steps saved."), kTimeoutMs);
        const StagedPlan resaved = stored(dep);
        QCOMPARE(resaved.steps, (QList<int>{10, 50, 100}));
        QCOMPARE(resaved.combination, planWide);
        QCOMPARE(resaved.stepCombinations.keys(), QList<int>{50});
        QCOMPARE(resaved.gates.minLabelled, std::optional<qint64>(1));
    }

    // A classifier is offered its own gates (accuracy, latency, error rate), and N is bounded by them.
    void aClassifierIsOfferedItsOwnGates()
    {
        const QString dep = newDeployment();
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_plan_gates"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        const Status made = test::exec(**pg, QStringLiteral("INSERT INTO mldeck.deployments (name, task, classes) "
                                                            "VALUES ('%1', 'classification', ARRAY['no', 'yes'])")
                                                 .arg(dep));
        QVERIFY2(made, qPrintable(made.errorMessage()));
        PageFixture f(m_db->endpoint());
        open(f, dep);
        if (QTest::currentTestFailed())
            return;
        const auto box = [&f](const char *gate) {
            return f.find<QCheckBox>(QStringLiteral("gatesAdvisory_") + QLatin1String(gate));
        };
        QTRY_VERIFY_WITH_TIMEOUT(box(plan::kGateAccuracy), kTimeoutMs);
        QVERIFY(box(plan::kGateLatency) && box(plan::kGateErrorRate));
        QVERIFY(!box(plan::kGateMae) && !box(plan::kGateR2) && !box(plan::kGateF1));
        auto *save = f.find<QPushButton>(QStringLiteral("gatesSave"));
        auto *message = f.find<QLabel>(QStringLiteral("gatesMessage"));
        QTRY_VERIFY_WITH_TIMEOUT(save->isEnabled(), kTimeoutMs);

        chooseWithKeys(f.find<QComboBox>(QStringLiteral("gatesMode")), int(Mode::AtLeast));
        typeNumber(f.find<QSpinBox>(QStringLiteral("gatesAtLeast")), 3);
        clickBox(box(plan::kGateLatency));
        QTest::mouseClick(save, Qt::LeftButton);
        QVERIFY2(message->text().startsWith(QLatin1String("Not saved: Classifier's plan: At least 3 can never be met")),
                 qPrintable(message->text()));
        QCOMPARE(stored(dep).combination, GateCombination{});

        typeNumber(f.find<QSpinBox>(QStringLiteral("gatesAtLeast")), 2);
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(message->text(), QStringLiteral("Gates combination saved."), kTimeoutMs);
        QCOMPARE(stored(dep).combination,
                 (GateCombination{Mode::AtLeast, 2, {QString::fromLatin1(plan::kGateLatency)}}));
    }

    // Changing the plan is the operators' (resources/contract/roles.md): a viewer sees the
    // combination, the fields disabled with the reason Save steps gives.
    void viewerSeesTheCombinationButMayNotEdit()
    {
        const QString dep = newDeployment();
        const test::LoginRole viewer(QStringLiteral("mldeck_viewer"));
        PageFixture f(viewer.endpoint(m_db->endpoint()));
        open(f, dep);
        if (QTest::currentTestFailed())
            return;
        auto *save = f.find<QPushButton>(QStringLiteral("gatesSave"));
        auto *mode = f.find<QComboBox>(QStringLiteral("gatesMode"));
        auto *stepsSave = f.find<QPushButton>(QStringLiteral("planSave"));
        QTRY_VERIFY_WITH_TIMEOUT(!stepsSave->toolTip().isEmpty() && !stepsSave->isEnabled(), kTimeoutMs);
        QVERIFY(!save->isEnabled());
        QVERIFY(!mode->isEnabled());
        QCOMPARE(save->toolTip(), stepsSave->toolTip());
        QCOMPARE(mode->toolTip(), stepsSave->toolTip());
        QVERIFY(f.find<QComboBox>(QStringLiteral("gatesScope"))->isEnabled()); // still readable step by step
    }
};

QTEST_MAIN(TestPlanGatesEditor)
#include "TestPlanGatesEditor.moc"
