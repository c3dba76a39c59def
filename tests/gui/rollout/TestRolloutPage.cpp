// The Rollout page driven through its real widgets (mouse drags, clicks) with the real
// RolloutService, Redis and PostgreSQL. What counts is what Redis holds afterwards: a drag is
// exactly one write, a refused confirmation is none, Rollback turns ML off and the page shows
// the state read back; changes by others and invalid values are shown as such.
#include "core/config/ConnectionProfile.h"
#include "core/config/Settings.h"
#include "core/rollout/FlagValues.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/RolloutService.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/Theme.h"
#include "ui/pages/RolloutPage.h"
#include "ui/pages/rollout/PercentageControl.h"
#include "ui/widgets/InfoBar.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QTemporaryDir>
#include <QTest>

#include <cstdlib>
#include <memory>

using namespace mldeck;

namespace {

constexpr int kTimeoutMs = 10000;

// The page as the window builds it, on a throwaway settings file, connected to the test servers.
struct PageFixture
{
    QTemporaryDir dir;
    Settings settings{dir.filePath(QStringLiteral("mldeck.ini"))};
    SecretStore secrets;
    ConnectionMonitor monitor;
    ui::ConnectionSession session{settings, secrets, monitor};
    std::unique_ptr<ui::RolloutPage> page;
    int confirmations = 0;
    bool answer = false;
    QString lastQuestion;

    PageFixture(const PgEndpoint &pg)
    {
        page = std::make_unique<ui::RolloutPage>(session);
        page->service().setSpoolDirectory(dir.filePath(QStringLiteral("spool")));
        page->setConfirmer([this](const ui::ConfirmRequest &request) {
            ++confirmations;
            lastQuestion = request.text;
            return answer;
        });
        page->resize(1100, 820);
        page->show();
        ConnectionProfile profile;
        profile.name = QStringLiteral("Test servers");
        profile.redis = test::TestServers::redis();
        profile.pg = pg;
        session.activate(profile, profile.redis.password, profile.pg.password);
    }

    template <typename T> T *find(const QString &name) const { return page->findChild<T *>(name); }
    ui::InfoBar *bar(const QString &role) const
    {
        for (auto *b : page->findChildren<ui::InfoBar *>())
            if (b->property("role").toString() == role)
                return b;
        return nullptr;
    }
};

// The handle's centre and the point that corresponds to value, in slider coordinates.
QStyleOptionSlider sliderOption(const QSlider *s)
{
    QStyleOptionSlider opt;
    opt.initFrom(s);
    opt.orientation = s->orientation();
    opt.minimum = s->minimum();
    opt.maximum = s->maximum();
    opt.sliderPosition = s->sliderPosition();
    opt.sliderValue = s->value();
    opt.singleStep = s->singleStep();
    opt.pageStep = s->pageStep();
    opt.tickPosition = s->tickPosition();
    opt.tickInterval = s->tickInterval();
    opt.subControls = QStyle::SC_All;
    return opt;
}

QPoint handleCentre(const QSlider *s)
{
    const QStyleOptionSlider opt = sliderOption(s);
    return s->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, s).center();
}

QPoint pointFor(const QSlider *s, int value)
{
    const QStyleOptionSlider opt = sliderOption(s);
    const QRect groove = s->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, s);
    const QRect handle = s->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, s);
    const int span = groove.width() - handle.width();
    const int x =
        groove.x() + QStyle::sliderPositionFromValue(s->minimum(), s->maximum(), value, span) + handle.width() / 2;
    return {x, handleCentre(s).y()};
}

} // namespace

class TestRolloutPage final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<RedisConnection> m_redis;
    std::unique_ptr<FlagStore> m_store;

    FlagState readFlags(const QString &deployment)
    {
        auto s = m_store->read(deployment);
        if (!s) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("flag read failed: ") + s.errorMessage());
            return {};
        }
        return *s;
    }

    QString newDeployment(int percentage, bool mlEnabled = true)
    {
        const QString name = test::uniqueName(QStringLiteral("gui"));
        FlagChange init;
        init.mlEnabled = mlEnabled;
        init.trafficPercentage = percentage;
        init.fallbackOnError = true;
        init.actor = QStringLiteral("setup@test");
        auto s = m_store->initialiseIfMissing(name, init);
        if (!s)
            MLDECK_FAIL_IN_HELPER(QStringLiteral("flag init failed: ") + s.errorMessage()); // not listed, then
        return name;
    }

    // Selects the deployment in the real combo box and waits for its state read back from Redis.
    void openDeployment(PageFixture &f, const QString &name)
    {
        auto *combo = f.find<QComboBox>(QStringLiteral("deploymentSelector"));
        QVERIFY(combo);
        QTRY_VERIFY2_WITH_TIMEOUT(combo->findText(name) >= 0, "deployment not listed", kTimeoutMs);
        combo->setCurrentIndex(combo->findText(name));
        const qint64 version = readFlags(name).version;
        QTRY_VERIFY_WITH_TIMEOUT(f.page->currentDeployment() == name && f.page->confirmedState().version == version,
                                 kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(f.find<ui::PercentageControl>(QStringLiteral("percentageControl"))->isEnabled(),
                                 kTimeoutMs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        qunsetenv("MLDECK_REDIS_URL");
        qunsetenv("MLDECK_PG_URL");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("guiroll"));
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_rollout_page"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        auto migrated = Migrator::migrate(**pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        auto redis = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(redis, qPrintable(redis.errorMessage()));
        m_redis = std::move(redis).value();
        m_store = std::make_unique<FlagStore>(*m_redis);
    }

    void dragIsExactlyOneWrite()
    {
        const QString dep = newDeployment(10);
        PageFixture f(m_db->endpoint());
        openDeployment(f, dep);
        if (QTest::currentTestFailed())
            return;
        const qint64 before = readFlags(dep).version;

        auto *slider = f.find<QSlider>(QStringLiteral("percentageSlider"));
        QVERIFY(slider);
        QCOMPARE(slider->value(), 10);
        const QPoint start = handleCentre(slider);
        QTest::mousePress(slider, Qt::LeftButton, Qt::NoModifier, start);
        QVERIFY(slider->isSliderDown());
        // Many intermediate positions, up and back down: none of them may reach Redis.
        for (int v : {12, 15, 19, 24, 28, 33, 31, 29, 27}) {
            QTest::mouseMove(slider, pointFor(slider, v));
            QTRY_VERIFY(std::abs(slider->sliderPosition() - v) <= 1);
        }
        QVERIFY(slider->value() > 20 && slider->value() < 35);
        QCOMPARE(readFlags(dep).version, before); // nothing written during the drag
        QTest::mouseRelease(slider, Qt::LeftButton, Qt::NoModifier, pointFor(slider, 27));
        const int released = slider->value();

        QTRY_COMPARE_WITH_TIMEOUT(readFlags(dep).version, before + 1, kTimeoutMs);
        // Longer than any settle or debounce delay: still exactly one write.
        QVERIFY(!test::happensWithin([&] { return readFlags(dep).version > before + 1; },
                                     ui::PercentageControl::kSettleMs + 800));
        const FlagState after = readFlags(dep);
        QCOMPARE(after.version, before + 1);
        QCOMPARE(after.trafficPercentage, released);
        QCOMPARE(f.confirmations, 0); // +17..+23 points: no confirmation asked
        QTRY_COMPARE_WITH_TIMEOUT(f.page->confirmedState().version, before + 1, kTimeoutMs);
        QCOMPARE(f.find<QLabel>(QStringLiteral("confirmedPercentage"))->text(), QStringLiteral("%1 %").arg(released));
        QCOMPARE(f.find<QLabel>(QStringLiteral("confirmedVersion"))->text(), QString::number(before + 1));
    }

    void presetOverTwentyFivePointsAsksFirst()
    {
        const QString dep = newDeployment(10);
        PageFixture f(m_db->endpoint());
        openDeployment(f, dep);
        if (QTest::currentTestFailed())
            return;
        const qint64 before = readFlags(dep).version;
        f.find<QLineEdit>(QStringLiteral("changeReason"))->setText(QStringLiteral("gui test"));
        auto *preset = f.find<QPushButton>(QStringLiteral("preset50"));
        QVERIFY(preset);

        f.answer = false;
        QTest::mouseClick(preset, Qt::LeftButton);
        QCOMPARE(f.confirmations, 1);
        QVERIFY(f.lastQuestion.contains(QStringLiteral("50")));
        QVERIFY(
            !test::happensWithin([&] { return readFlags(dep).version != before; }, 1000)); // refused: nothing written
        QCOMPARE(readFlags(dep).trafficPercentage, 10);
        QCOMPARE(f.find<QSlider>(QStringLiteral("percentageSlider"))->value(), 10); // controls back to confirmed

        f.answer = true;
        QTest::mouseClick(preset, Qt::LeftButton);
        QCOMPARE(f.confirmations, 2);
        QTRY_COMPARE_WITH_TIMEOUT(readFlags(dep).version, before + 1, kTimeoutMs);
        QCOMPARE(readFlags(dep).trafficPercentage, 50);

        // +15 points: no question asked.
        QTRY_VERIFY_WITH_TIMEOUT(preset->isEnabled(), kTimeoutMs);
        QTest::mouseClick(f.find<QPushButton>(QStringLiteral("preset25")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(readFlags(dep).version, before + 2, kTimeoutMs);
        QCOMPARE(readFlags(dep).trafficPercentage, 25);
        QCOMPARE(f.confirmations, 2);
    }

    void rollbackTurnsMlOffAndShowsReadBack()
    {
        const QString dep = newDeployment(40);
        PageFixture f(m_db->endpoint());
        openDeployment(f, dep);
        if (QTest::currentTestFailed())
            return;
        const qint64 before = readFlags(dep).version;
        auto *rollback = f.find<QPushButton>(QStringLiteral("rollbackButton"));
        QVERIFY(rollback && rollback->isEnabled());

        f.answer = false;
        QTest::mouseClick(rollback, Qt::LeftButton);
        QCOMPARE(f.confirmations, 1);
        QVERIFY(!test::happensWithin([&] { return readFlags(dep).version != before; }, 500));

        f.answer = true;
        QTest::mouseClick(rollback, Qt::LeftButton);
        QCOMPARE(f.confirmations, 2); // one confirmation per press
        QTRY_VERIFY_WITH_TIMEOUT(readFlags(dep).version > before, kTimeoutMs);
        const FlagState inRedis = readFlags(dep);
        QCOMPARE(inRedis.mlEnabled, false);
        QCOMPARE(inRedis.trafficPercentage, 0);
        QVERIFY(inRedis.isValid());
        // The page shows what Redis holds, not what it asked for.
        QTRY_COMPARE_WITH_TIMEOUT(f.page->confirmedState().version, inRedis.version, kTimeoutMs);
        QCOMPARE(f.find<QLabel>(QStringLiteral("confirmedMl"))->text(), QStringLiteral("Off"));
        QCOMPARE(f.find<QLabel>(QStringLiteral("confirmedPercentage"))->text(), QStringLiteral("0 %"));
        QCOMPARE(f.find<QSlider>(QStringLiteral("percentageSlider"))->value(), 0);
        QVERIFY(!f.find<QAbstractButton>(QStringLiteral("mlEnabledSwitch"))->isChecked());
        // The outcome (which may land after the watcher's echo) says so too.
        QTRY_VERIFY_WITH_TIMEOUT(f.bar(QStringLiteral("event"))->text().contains(QStringLiteral("Rolled back")),
                                 kTimeoutMs);
    }

    void changeByAnotherClientShowsBanner()
    {
        const QString dep = newDeployment(10);
        PageFixture f(m_db->endpoint());
        openDeployment(f, dep);
        if (QTest::currentTestFailed())
            return;
        auto *banner = f.bar(QStringLiteral("event"));
        QVERIFY(banner && !banner->isVisible());

        FlagChange change;
        change.trafficPercentage = 35;
        change.actor = QStringLiteral("bob@other-console");
        const FlagState before = readFlags(dep);
        auto written = m_store->write(dep, change, before.version);
        QVERIFY2(written, qPrintable(written.errorMessage()));
        // Live, within a second.
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible() && banner->text().contains(QStringLiteral("bob@other-console")),
                                 1000);
        QCOMPARE(f.page->confirmedState().version, written->version);
        QCOMPARE(f.find<QSlider>(QStringLiteral("percentageSlider"))->value(), 35);
        QCOMPARE(f.find<QLabel>(QStringLiteral("confirmedBy"))->text(), QStringLiteral("bob@other-console"));
    }

    void invalidValueShownAsInvalid()
    {
        const QString dep = newDeployment(10);
        auto planted = m_redis->command({"HSET", FlagStore::key(dep), "ml_traffic_percentage", "150"});
        QVERIFY2(planted, qPrintable(planted.errorMessage()));
        PageFixture f(m_db->endpoint());
        auto *combo = f.find<QComboBox>(QStringLiteral("deploymentSelector"));
        QTRY_VERIFY_WITH_TIMEOUT(combo->findText(dep) >= 0, kTimeoutMs);
        combo->setCurrentIndex(combo->findText(dep));
        QTRY_VERIFY_WITH_TIMEOUT(f.page->confirmedState().deployment == dep, kTimeoutMs);
        QVERIFY(f.page->confirmedState().invalidFields.contains(QStringLiteral("ml_traffic_percentage")));

        auto *value = f.find<QLabel>(QStringLiteral("confirmedPercentage"));
        QVERIFY(value->text().contains(QStringLiteral("INVALID")));
        QVERIFY(!value->text().contains(QStringLiteral("150")));
        QVERIFY(!value->text().contains(QStringLiteral("100")));
        QVERIFY(value->styleSheet().contains(ui::themeCss(ui::Palette::Bad)));
        auto *spin = f.find<QSpinBox>(QStringLiteral("percentageSpin"));
        QCOMPARE(spin->text(), QStringLiteral("invalid"));
        QVERIFY(f.find<QLabel>(QStringLiteral("confirmedHeadline"))->text().contains(QStringLiteral("OFF")));

        // Planted live (redis-cli then a change notice): shown at once.
        auto bad = m_redis->command({"HSET", FlagStore::key(dep), "ml_enabled", "true"});
        QVERIFY(bad);
        auto note = m_redis->command({"PUBLISH", FlagStore::channel(),
                                      QStringLiteral("{\"deployment\":\"%1\",\"version\":1}").arg(dep).toUtf8()});
        QVERIFY(note);
        QTRY_VERIFY_WITH_TIMEOUT(
            f.find<QLabel>(QStringLiteral("confirmedMl"))->text().contains(QStringLiteral("INVALID")), kTimeoutMs);
        QVERIFY(f.find<QWidget>(QStringLiteral("mlEnabledInvalid"))->isVisible());
    }

    void notConnectedDisablesEditingButNotRollback()
    {
        const QString dep = newDeployment(10);
        PageFixture f(m_db->endpoint());
        openDeployment(f, dep);
        if (QTest::currentTestFailed())
            return;
        // The service reports a lost connection: editing stops, the page says so, Rollback stays.
        Q_EMIT f.page->service().connectionProblem(QStringLiteral("Redis at 127.0.0.1:1 is not answering"));
        QVERIFY(!f.page->isConnected());
        QVERIFY(!f.find<QWidget>(QStringLiteral("percentageControl"))->isEnabled());
        QVERIFY(!f.find<QWidget>(QStringLiteral("mlEnabledSwitch"))->isEnabled());
        QVERIFY(f.find<QPushButton>(QStringLiteral("rollbackButton"))->isEnabled());
        auto *bar = f.bar(QStringLiteral("connection"));
        QVERIFY(bar->isVisible());
        QVERIFY(bar->text().contains(QStringLiteral("stale")));
        QVERIFY(bar->text().contains(QStringLiteral("not applied")));
        // Rollback still works and brings the page back.
        f.answer = true;
        QTest::mouseClick(f.find<QPushButton>(QStringLiteral("rollbackButton")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!readFlags(dep).mlEnabled, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(f.page->isConnected(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(f.find<QWidget>(QStringLiteral("percentageControl"))->isEnabled(), kTimeoutMs);
    }

    // A real fault: Redis frozen (SIGSTOP) in the middle of a change. The UI stays responsive,
    // says "not applied" and "not connected", and recovers by itself once Redis answers again.
    void frozenRedisChangeNotApplied()
    {
        const QString dep = newDeployment(10);
        PageFixture f(m_db->endpoint());
        openDeployment(f, dep);
        if (QTest::currentTestFailed())
            return;
        const qint64 before = readFlags(dep).version;
        auto *status = f.find<QLabel>(QStringLiteral("changeStatus"));
        {
            test::ProcessFreezer freeze(test::TestServers::redisPid());
            QElapsedTimer clock;
            clock.start();
            QTest::mouseClick(f.find<QPushButton>(QStringLiteral("preset25")), Qt::LeftButton);
            QVERIFY(clock.elapsed() < 500); // the click returns at once: nothing blocks the UI thread
            QTRY_VERIFY_WITH_TIMEOUT(!f.page->isConnected(), 15000);
            QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("NOT applied")), 15000);
            QVERIFY(f.bar(QStringLiteral("connection"))->isVisible());
            QVERIFY(!f.find<QWidget>(QStringLiteral("percentageControl"))->isEnabled());
            QVERIFY(f.find<QPushButton>(QStringLiteral("rollbackButton"))->isEnabled());
            QCOMPARE(f.find<QSlider>(QStringLiteral("percentageSlider"))->value(), 10); // back to the confirmed value
        }
        // Thawed: the page re-reads by itself and editing comes back.
        QTRY_VERIFY_WITH_TIMEOUT(f.page->isConnected(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(f.find<QWidget>(QStringLiteral("percentageControl"))->isEnabled(), 20000);
        const FlagState after = readFlags(dep);
        // Frozen before the write reached Redis, or applied whole: never half a change.
        QVERIFY(after.isValid());
        QVERIFY((after.version == before && after.trafficPercentage == 10) ||
                (after.version == before + 1 && after.trafficPercentage == 25));
        QTRY_COMPARE_WITH_TIMEOUT(f.page->confirmedState().version, after.version, kTimeoutMs);
    }

    void overrideNeedsAReason()
    {
        const QString dep = newDeployment(10);
        PageFixture f(m_db->endpoint());
        openDeployment(f, dep);
        if (QTest::currentTestFailed())
            return;
        auto *reason = f.find<QLineEdit>(QStringLiteral("planOverrideReason"));
        auto *override = f.find<QPushButton>(QStringLiteral("planOverride"));
        QTRY_VERIFY_WITH_TIMEOUT(reason->isEnabled(), kTimeoutMs); // plan loaded, a next step exists
        QVERIFY(!override->isEnabled());
        QTest::keyClicks(reason, QStringLiteral("   "));
        QVERIFY(!override->isEnabled()); // blanks are no reason
        reason->clear();
        QTest::keyClicks(reason, QStringLiteral("canary looked fine"));
        QVERIFY(override->isEnabled());

        // An invalid plan is refused with the service's message.
        auto *steps = f.find<QLineEdit>(QStringLiteral("planSteps"));
        steps->setText(QStringLiteral("50, 25"));
        QTest::mouseClick(f.find<QPushButton>(QStringLiteral("planSave")), Qt::LeftButton);
        auto *message = f.find<QLabel>(QStringLiteral("planMessage"));
        QTRY_VERIFY_WITH_TIMEOUT(message->isVisible() && !message->text().isEmpty() &&
                                     message->text() != QStringLiteral("Saving…"),
                                 kTimeoutMs);
        QVERIFY(message->styleSheet().contains(ui::themeCss(ui::Palette::Bad)));
    }
};

QTEST_MAIN(TestRolloutPage)
#include "TestRolloutPage.moc"
