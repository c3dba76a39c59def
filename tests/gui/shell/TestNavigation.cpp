// Every page is reachable by clicking the navigation; the pages not built yet say so honestly,
// and the built ones never show that placeholder.
#include "ShellFixture.h"
#include "ui/Pages.h"
#include "ui/widgets/EmptyStateView.h"
#include "ui/widgets/PageFrame.h"

#include <QLabel>
#include <QListWidget>
#include <QStackedWidget>
#include <QTest>

using namespace mldeck;

namespace {
// The pages not built yet: they show the empty state (none left).
const QList<ui::PageId> kUnbuilt{};
} // namespace

class TestNavigation final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { test::isolateFromEnvironment(); }

    void everyPageIsReachableByClicking()
    {
        test::Shell shell;
        ui::MainWindow &window = *shell.window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QListWidget *nav = window.navigation();
        QCOMPARE(nav->count(), int(std::size(ui::kAllPages)));
        auto *stack = window.findChild<QStackedWidget *>(QStringLiteral("pages"));
        QVERIFY(stack);

        // Click in reverse order so that every click really changes the page.
        for (int row = nav->count() - 1; row >= 0; --row) {
            const ui::PageId id = ui::kAllPages[row];
            QListWidgetItem *item = nav->item(row);
            QCOMPARE(item->text(), ui::pageTitle(id));
            const QRect rect = nav->visualItemRect(item);
            QVERIFY(!rect.isEmpty());
            QTest::mouseClick(nav->viewport(), Qt::LeftButton, {}, rect.center());
            QCOMPARE(window.currentPage(), id);
            QWidget *page = stack->currentWidget();
            QCOMPARE(page, window.page(id));
            QCOMPARE(page->objectName(), QStringLiteral("page_") + ui::pageKey(id));
            QVERIFY(page->isVisible());
            // Every page sits in the one frame, under its own title.
            auto *frame = page->findChild<ui::PageFrame *>();
            QVERIFY2(frame && frame->isVisible(), qPrintable(ui::pageKey(id)));
            QCOMPARE(frame->title(), ui::pageTitle(id));

            auto *empty = page->findChild<ui::EmptyStateView *>();
            if (!kUnbuilt.contains(id)) {
                QVERIFY2(!empty || !empty->isVisible(), qPrintable(ui::pageKey(id)));
                continue;
            }
            QVERIFY2(empty, "an unbuilt page shows the empty state");
            QVERIFY(empty->paragraph().contains(QLatin1String("not built yet")));
            auto *badge = page->findChild<QLabel *>(QStringLiteral("emptyBadge"));
            QVERIFY(badge && badge->isVisible());
            QCOMPARE(badge->text(), QStringLiteral("Not built yet"));
        }
    }

    void lastPageIsRememberedAndRestored()
    {
        test::Shell shell;
        shell.window->show();
        shell.window->showPage(ui::PageId::Models);
        shell.window->close(); // saves geometry and the page
        QCOMPARE(shell.settings.value(Settings::Key::LastPage).toString(), QStringLiteral("models"));

        ui::MainWindow again(shell.session, shell.monitor);
        QCOMPARE(again.currentPage(), ui::PageId::Dashboard);
        again.restoreState();
        QCOMPARE(again.currentPage(), ui::PageId::Models);
    }

    void pageNamesAreCaseInsensitiveAndUnknownIsRefused()
    {
        QCOMPARE(ui::pageFromKey(QStringLiteral("ALERTS")), std::optional(ui::PageId::AlertsDrift));
        QCOMPARE(ui::pageFromKey(QStringLiteral("Retrain")), std::optional(ui::PageId::Retrain));
        QVERIFY(!ui::pageFromKey(QStringLiteral("settings")));
        QVERIFY(!ui::pageFromKey(QString()));
    }
};

QTEST_MAIN(TestNavigation)
#include "TestNavigation.moc"
