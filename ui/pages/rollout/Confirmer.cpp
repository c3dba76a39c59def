#include "ui/pages/rollout/Confirmer.h"

#include <QMessageBox>
#include <QPointer>
#include <QPushButton>

namespace mldeck::ui {

Confirmer messageBoxConfirmer(QWidget *parent)
{
    QPointer<QWidget> owner(parent);
    return [owner](const ConfirmRequest &request) {
        QMessageBox box(QMessageBox::Warning, request.title, request.text, QMessageBox::NoButton, owner.data());
        QPushButton *go = box.addButton(request.acceptText, QMessageBox::AcceptRole);
        QPushButton *cancel = box.addButton(QMessageBox::Cancel);
        // Enter must not approve a risky change by accident.
        box.setDefaultButton(cancel);
        box.exec();
        return box.clickedButton() == go;
    };
}

} // namespace mldeck::ui
