#pragma once

#include <QString>

class QCoreApplication;

namespace mldeck {

// Installs MLDeck's embedded catalogue (and Qt's own, when the system has it) on app.
// languageOverride: "" follows the system locale, otherwise "en" or "fr".
// Returns the language actually installed ("en" when nothing matched: English is the source).
// QtCore only, so that mldeck and mldeckctl share it.
QString installTranslators(QCoreApplication &app, const QString &languageOverride = {});

// The languages the catalogue has, as codes ("en", "fr").
QStringList availableLanguages();

} // namespace mldeck
