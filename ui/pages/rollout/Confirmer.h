#pragma once

#include <QString>

#include <functional>

class QWidget;

namespace mldeck::ui {

// Asks the user a yes/no question before a risky change. The page holds one of these so GUI
// tests can answer instead of a modal QMessageBox they could not reach.
struct ConfirmRequest
{
    QString title;
    QString text;
    QString acceptText; // the button that goes ahead, e.g. "Roll back now"
};
using Confirmer = std::function<bool(const ConfirmRequest &request)>;

// The real thing: a warning QMessageBox over parent whose default button is Cancel.
Confirmer messageBoxConfirmer(QWidget *parent);

} // namespace mldeck::ui
