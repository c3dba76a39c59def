// The Rollout page in French at the window's smallest designed size (1280 × 800, what
// `mldeck --screenshot` renders): French labels are the longest, and the page must still fit its
// width, with no horizontal scroll bar. Real Redis and PostgreSQL, so that every panel is filled;
// the other pages are checked too while the servers are unreachable.
#include "core/config/ConnectionProfile.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/RolloutPlanStore.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/gui/shell/ShellFixture.h"
#include "tests/support/TestServers.h"
#include "translations/Translations.h"
#include "ui/MainWindow.h"
#include "ui/ScreenshotRunner.h"
#include "ui/pages/RolloutPage.h"
#include "ui/pages/rollout/PercentageControl.h"
#include "ui/widgets/InfoBar.h"

#include <QComboBox>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QTest>

#include <memory>

using namespace mldeck;

namespace {

constexpr int kTimeoutMs = 10000;

// The main window as main() builds it (test::Shell), at the screenshot size, showing the Rollout page.
struct Window
{
    test::Shell shell;
    ui::MainWindow &window = *shell.window;
    ui::RolloutPage *page = qobject_cast<ui::RolloutPage *>(window.page(ui::PageId::Rollout));

    Window()
    {
        window.resize(ui::ScreenshotRunner::defaultSize());
        window.showPage(ui::PageId::Rollout);
        window.show();
    }
    void connect(const RedisEndpoint &redis, const PgEndpoint &pg)
    {
        ConnectionProfile profile;
        profile.name = QStringLiteral("Test servers");
        profile.redis = redis;
        profile.pg = pg;
        shell.session.activate(profile, profile.redis.password, profile.pg.password);
    }
    ui::InfoBar *connectionBar() const
    {
        for (auto *bar : page->findChildren<ui::InfoBar *>())
            if (bar->property("role").toString() == QLatin1String("connection"))
                return bar;
        return nullptr;
    }
};

// No horizontal scroll bar: the content fits the viewport, and the page fits the window.
void checkFits(QWidget *page)
{
    QVERIFY(QTest::qWaitForWindowExposed(page->window()));
    QCOMPARE(page->window()->size(), ui::ScreenshotRunner::defaultSize());
    const QList<QScrollArea *> scrolls = page->findChildren<QScrollArea *>();
    for (QScrollArea *scroll : scrolls) {
        if (!scroll->isVisible() || scroll->horizontalScrollBarPolicy() == Qt::ScrollBarAlwaysOff)
            continue;
        const int needs = scroll->widget() ? scroll->widget()->minimumSizeHint().width() : 0;
        qInfo("%s: the content needs %d px, the viewport has %d px", qPrintable(scroll->objectName()), needs,
              scroll->viewport()->width());
        QTRY_VERIFY2(!scroll->horizontalScrollBar()->isVisible(),
                     qPrintable(QStringLiteral("a horizontal scroll bar: the content needs %1 px, the viewport has %2")
                                    .arg(needs)
                                    .arg(scroll->viewport()->width())));
    }
    QVERIFY2(
        page->minimumSizeHint().width() <= page->width(),
        qPrintable(
            QStringLiteral("the page needs %1 px, it has %2").arg(page->minimumSizeHint().width()).arg(page->width())));
}

} // namespace

class TestRolloutLayout final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::ScratchDatabase> m_db;
    QString m_deployment;

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        qunsetenv("MLDECK_REDIS_URL");
        qunsetenv("MLDECK_PG_URL");
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
        // As main() does, with the language a French user has chosen.
        QCOMPARE(installTranslators(*QCoreApplication::instance(), QStringLiteral("fr")), QStringLiteral("fr"));

        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("guirolllayout"));
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_rollout_layout"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        auto migrated = Migrator::migrate(**pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        auto redis = RedisConnection::open(test::TestServers::redis());
        QVERIFY2(redis, qPrintable(redis.errorMessage()));
        FlagStore flags(**redis);
        m_deployment = test::uniqueName(QStringLiteral("layout"));
        FlagChange init;
        init.mlEnabled = true;
        init.trafficPercentage = 25;
        init.fallbackOnError = true;
        init.actor = QStringLiteral("setup@test");
        auto written = flags.initialiseIfMissing(m_deployment, init);
        QVERIFY2(written, qPrintable(written.errorMessage()));
        // A long plan, under way: its steps are the widest row of the plan panel.
        StagedPlan plan;
        plan.steps = {1, 2, 5, 10, 25, 50, 75, 100};
        const Status saved = RolloutPlanStore(**pg).save(m_deployment, plan, 4);
        QVERIFY2(saved, qPrintable(saved.errorMessage()));
    }

    // Connected: every panel filled (the flags read back, the preview and the plan).
    void fitsWhenConnected()
    {
        Window w;
        w.connect(test::TestServers::redis(), m_db->endpoint());
        auto *combo = w.page->findChild<QComboBox *>(QStringLiteral("deploymentSelector"));
        QVERIFY(combo);
        QTRY_VERIFY_WITH_TIMEOUT(combo->findText(m_deployment) >= 0, kTimeoutMs);
        combo->setCurrentIndex(combo->findText(m_deployment));
        QTRY_VERIFY_WITH_TIMEOUT(w.page->currentDeployment() == m_deployment && w.page->confirmedState().exists,
                                 kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            w.page->findChild<ui::PercentageControl *>(QStringLiteral("percentageControl"))->isEnabled(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!w.page->findChild<QLabel *>(QStringLiteral("planSince"))->text().isEmpty(),
                                 kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            !w.page->findChild<QLabel *>(QStringLiteral("whatIfTitle"))->text().contains(QStringLiteral("…")),
            kTimeoutMs);
        QCOMPARE(w.page->findChild<QLabel *>(QStringLiteral("pageTitle"))->text(), QStringLiteral("Déploiement"));
        checkFits(w.page);
    }

    // Not connected: the longest texts (the warning bar, "Rollback (retry)", the empty panels' hints).
    // The other pages share the frame: they are checked in the same state.
    void fitsWhenNotConnected()
    {
        Window w;
        w.connect(RedisEndpoint::fromUrl(QStringLiteral("redis://127.0.0.1:1")).value(),
                  PgEndpoint::fromUrl(QStringLiteral("postgresql://mldeck@127.0.0.1:1/mldeck")).value());
        QTRY_VERIFY_WITH_TIMEOUT(!w.page->isConnected(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(w.connectionBar() && w.connectionBar()->isVisible(), kTimeoutMs);
        checkFits(w.page);
        for (const ui::PageId id : ui::kAllPages) {
            w.window.showPage(id);
            QWidget *page = w.window.page(id);
            QTRY_VERIFY(page->isVisible());
            qInfo("page %s", qPrintable(ui::pageKey(id)));
            checkFits(page);
            if (QTest::currentTestFailed())
                return;
        }
    }

    void cleanupTestCase() { m_db.reset(); }
};

QTEST_MAIN(TestRolloutLayout)
#include "TestRolloutLayout.moc"
