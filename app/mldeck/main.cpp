// mldeck: the desktop app. Wiring only: settings, translations, services, the main window.
#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "translations/Translations.h"
#include "ui/ConnectionSession.h"
#include "ui/Icons.h"
#include "ui/MainWindow.h"
#include "ui/Pages.h"
#include "ui/ScreenshotRunner.h"
#include "ui/Theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

using namespace mldeck;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("MLDeck"));
    QApplication::setOrganizationName(QStringLiteral("MLDeck"));
    QApplication::setApplicationVersion(QStringLiteral(MLDECK_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("io.mldeck.MLDeck"));

    Settings settings;
    installTranslators(app, settings.value(Settings::Key::Language).toString());

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QCoreApplication::translate("mldeck", "Control room for a machine-learning model in production."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QCoreApplication::translate("mldeck", "Render a page to a PNG file (1280×800) and exit."),
        QCoreApplication::translate("mldeck", "file"));
    const QCommandLineOption page(
        QStringLiteral("page"),
        QCoreApplication::translate("mldeck", "Page to show: %1.").arg(ui::pageKeys().join(QStringLiteral(", "))),
        QCoreApplication::translate("mldeck", "name"), ui::pageKey(ui::PageId::Dashboard));
    parser.addOption(screenshot);
    parser.addOption(page);
    parser.process(app); // --help, --version and unknown options exit here

    const auto pageId = ui::pageFromKey(parser.value(page));
    if (!pageId) {
        QTextStream(stderr) << QCoreApplication::translate("mldeck", "mldeck: unknown page \"%1\"; pages are: %2")
                                   .arg(parser.value(page), ui::pageKeys().join(QStringLiteral(", ")))
                            << Qt::endl;
        return 2;
    }

    ui::applyTheme(app);
    QApplication::setWindowIcon(ui::appIcon());

    SecretStore secrets;
    ConnectionMonitor monitor;
    ui::ConnectionSession session(settings, secrets, monitor);
    ui::MainWindow window(session, monitor);
    session.start();

    if (parser.isSet(screenshot)) {
        ui::ScreenshotRunner runner(window, monitor, parser.value(screenshot), *pageId);
        QObject::connect(&runner, &ui::ScreenshotRunner::finished, &app, &QCoreApplication::exit);
        runner.start();
        return app.exec();
    }

    window.restoreState();
    if (parser.isSet(page))
        window.showPage(*pageId);
    window.show();
    return app.exec();
}
