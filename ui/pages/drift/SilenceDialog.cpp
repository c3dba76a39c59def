#include "ui/pages/drift/SilenceDialog.h"

#include <QCoreApplication>
#include <QDateTimeEdit>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QVBoxLayout>

namespace mldeck::ui {

std::optional<QDateTime> askSilenceUntil(QWidget *parent)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(QCoreApplication::translate("mldeck::ui::SilenceDialog", "Silence alert"));
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(new QLabel(QCoreApplication::translate(
        "mldeck::ui::SilenceDialog", "Silence this alert until (it stays in the list; the silence is audited):")));
    auto *edit = new QDateTimeEdit(QDateTime::currentDateTime().addSecs(3600), &dialog);
    edit->setCalendarPopup(true);
    edit->setMinimumDateTime(QDateTime::currentDateTime().addSecs(60));
    edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    layout->addWidget(edit);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return edit->dateTime().toUTC();
}

} // namespace mldeck::ui
