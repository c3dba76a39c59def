#pragma once

#include <QDateTime>

#include <functional>
#include <optional>

class QWidget;

namespace mldeck::ui {

// Asks until when an alert stays silenced. Tests replace it (AlertsDriftPage::setSilenceAsker)
// so that no modal dialog runs inside a test.
using SilenceAsker = std::function<std::optional<QDateTime>(QWidget *parent)>;
std::optional<QDateTime> askSilenceUntil(QWidget *parent);

} // namespace mldeck::ui
