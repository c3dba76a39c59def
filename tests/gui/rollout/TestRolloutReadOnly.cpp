// A read-only Redis user in the GUI (resources/contract/security.md): the Rollout page shows the
// flags as they are but disables every control that would write them, saying why; the status bar
// says "Redis read-only", and "Redis not encrypted" for a Redis off this machine.
#include "core/config/ConnectionProfile.h"
#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/RedisAccessService.h"
#include "core/services/RolloutService.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/ModelsPage.h"
#include "ui/pages/RolloutPage.h"
#include "ui/pages/rollout/PercentageControl.h"
#include "ui/pages/rollout/PlanPanel.h"
#include "ui/widgets/RedisAccessIndicator.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace mldeck;

namespace {
constexpr int kTimeoutMs = 10000;
} // namespace

class TestRolloutReadOnly final : public QObject
{
    Q_OBJECT

private:
    RedisEndpoint m_reader;
    std::unique_ptr<RedisConnection> m_writer;
    QString m_deployment;

    ConnectionProfile profile(const RedisEndpoint &redis) const
    {
        ConnectionProfile p;
        p.name = QStringLiteral("Test servers");
        p.redis = redis;
        p.pg = test::TestServers::pg();
        return p;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        qunsetenv("MLDECK_REDIS_URL");
        qunsetenv("MLDECK_PG_URL");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        const QString readUrl = qEnvironmentVariable("MLDECK_TEST_REDIS_READ_URL");
        QVERIFY2(!readUrl.isEmpty(), "MLDECK_TEST_REDIS_READ_URL is not set: run the tests through "
                                     "packaging/local-stack/mldeck-dev, which creates the Redis reader user.");
        m_reader = RedisEndpoint::fromUrl(readUrl).value();
        auto w = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(w, qPrintable(w.errorMessage()));
        m_writer = std::move(w).value();
        m_deployment = test::uniqueName(QStringLiteral("guiro"));
        auto made = FlagStore(*m_writer).initialiseIfMissing(m_deployment,
                                                             FlagChange{true, 40, true, QStringLiteral("setup@test")});
        QVERIFY2(made, qPrintable(made.errorMessage()));
    }

    void cleanupTestCase()
    {
        if (!m_writer || m_deployment.isEmpty())
            return;
        (void)m_writer->command({"DEL", FlagStore::key(m_deployment)});
        (void)m_writer->command({"SREM", FlagStore::deploymentsKey(), m_deployment.toUtf8()});
    }

    void rolloutPageShowsFlagsButWritesNothing()
    {
        QTemporaryDir dir;
        Settings settings{dir.filePath(QStringLiteral("mldeck.ini"))};
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session{settings, secrets, monitor};
        ui::RolloutPage page(session);
        page.service().setSpoolDirectory(dir.filePath(QStringLiteral("spool")));
        page.resize(1100, 820);
        page.show();
        const ConnectionProfile p = profile(m_reader);
        session.activate(p, p.redis.password, p.pg.password);

        auto *combo = page.findChild<QComboBox *>(QStringLiteral("deploymentSelector"));
        QVERIFY(combo);
        QTRY_VERIFY2_WITH_TIMEOUT(combo->findText(m_deployment) >= 0, "deployment not listed", kTimeoutMs);
        combo->setCurrentIndex(combo->findText(m_deployment));
        // The reader reads the flags (EVAL_RO) ...
        QTRY_COMPARE_WITH_TIMEOUT(page.confirmedState().trafficPercentage, 40, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(session.redisAccess().access().known, kTimeoutMs);
        QVERIFY(session.redisAccess().access().readOnly);
        // ... and may change none of them: every control that writes the flags is disabled and says why.
        const QString readOnly = QStringLiteral("Redis user \"%1\" is read-only").arg(m_reader.user);
        for (const char *name : {"mlEnabledSwitch", "fallbackSwitch", "percentageSlider", "percentageSpin",
                                 "rollbackButton", "planAdvance", "planOverride"}) {
            auto *w = page.findChild<QWidget *>(QString::fromLatin1(name));
            QVERIFY2(w, name);
            QTRY_VERIFY2_WITH_TIMEOUT(!w->isEnabled(), name, kTimeoutMs);
            QVERIFY2(w->toolTip().contains(readOnly), qPrintable(w->toolTip()));
        }
        QVERIFY(!page.findChild<ui::PercentageControl *>()->presetButton(10)->isEnabled());
        // The plan panel itself stays readable; saving steps writes PostgreSQL only.
        QVERIFY(page.findChild<ui::PlanPanel *>()->isEnabled());
        QVERIFY(!page.findChild<QPushButton *>(QStringLiteral("planSave"))->toolTip().contains(readOnly));
        // Promoting or restoring a champion publishes it in Redis: the Models page says the same.
        ui::ModelsPage models(session);
        for (const char *name : {"promoteButton", "restoreButton"}) {
            auto *b = models.findChild<QPushButton *>(QString::fromLatin1(name));
            QVERIFY2(b, name);
            QTRY_VERIFY2_WITH_TIMEOUT(b->toolTip().contains(readOnly), qPrintable(b->toolTip()), kTimeoutMs);
            QVERIFY2(!b->isEnabled(), name);
        }
        // Nothing reached Redis.
        const FlagState now = FlagStore(*m_writer).read(m_deployment).value();
        QCOMPARE(now.version, qint64(1));

        // The same page on the writer: the controls come back, without the read-only tooltip.
        const ConnectionProfile w = profile(test::TestServers::redis());
        session.activate(w, w.redis.password, w.pg.password);
        QTRY_VERIFY_WITH_TIMEOUT(session.redisAccess().access().known && !session.redisAccess().access().readOnly,
                                 kTimeoutMs);
        auto *rollback = page.findChild<QPushButton *>(QStringLiteral("rollbackButton"));
        QTRY_VERIFY2_WITH_TIMEOUT(rollback->isEnabled(), qPrintable(rollback->toolTip()), kTimeoutMs);
        QVERIFY2(rollback->toolTip().startsWith(QStringLiteral("Turns ML off")), qPrintable(rollback->toolTip()));
        auto *spin = page.findChild<QWidget *>(QStringLiteral("percentageSpin"));
        QTRY_VERIFY2_WITH_TIMEOUT(spin->isEnabled(), qPrintable(spin->toolTip()), kTimeoutMs);
        QVERIFY2(spin->toolTip().startsWith(QStringLiteral("Type a value")), qPrintable(spin->toolTip())); // its own
        QVERIFY(!page.findChild<QWidget *>(QStringLiteral("planAdvance"))->toolTip().contains(readOnly));
    }

    void statusBarSaysReadOnlyAndNotEncrypted()
    {
        RedisAccessService service;
        ui::RedisAccessIndicator indicator(service);
        indicator.show();
        service.setEndpoint(m_reader);
        QTRY_COMPARE_WITH_TIMEOUT(indicator.text(), QStringLiteral("Redis read-only"), kTimeoutMs);
        QVERIFY(indicator.isVisible());
        QVERIFY(indicator.toolTip().contains(m_reader.user));

        service.setEndpoint(test::TestServers::redis());
        QTRY_VERIFY_WITH_TIMEOUT(service.access().known, kTimeoutMs);
        QCOMPARE(indicator.text(), QString());
        QVERIFY(!indicator.isVisible());

        // A Redis off this machine: said at once, before any probe could answer.
        RedisEndpoint remote = m_reader;
        remote.host = QStringLiteral("10.255.255.1");
        remote.timeoutMs = 300;
        service.setEndpoint(remote);
        QCOMPARE(indicator.text(), QStringLiteral("Redis not encrypted"));
        QVERIFY(indicator.isVisible());
        QVERIFY(indicator.toolTip().contains(QStringLiteral("10.255.255.1")));
        QVERIFY(indicator.toolTip().contains(QStringLiteral("ssh -L")));

        RedisAccess both;
        both.known = true;
        both.readOnly = true;
        both.encrypted = false;
        QCOMPARE(ui::RedisAccessIndicator::summary(both), QStringLiteral("Redis read-only  ·  Redis not encrypted"));
    }
};

QTEST_MAIN(TestRolloutReadOnly)
#include "TestRolloutReadOnly.moc"
