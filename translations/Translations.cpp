#include "translations/Translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QStringList>
#include <QTranslator>

namespace mldeck {

QStringList availableLanguages()
{
    return {QStringLiteral("en"), QStringLiteral("fr")};
}

QString installTranslators(QCoreApplication &app, const QString &languageOverride)
{
    const QLocale locale = languageOverride.isEmpty() ? QLocale::system() : QLocale(languageOverride);

    // Parented to app: they live as long as the application and are removed with it.
    auto *own = new QTranslator(&app);
    if (!own->load(locale, QStringLiteral("mldeck"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        delete own;
        return QStringLiteral("en");
    }
    QCoreApplication::installTranslator(own);

    // Qt's own strings (standard buttons, "Close", ...) when Debian's qt6-translations are there.
    auto *qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;

    const QString file = own->filePath();
    return file.contains(QLatin1String("_fr")) ? QStringLiteral("fr") : QStringLiteral("en");
}

} // namespace mldeck
