#include "ui/pages/models/GoldenDataDialog.h"

#include "core/io/CsvReader.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QLabel>
#include <QMessageBox>

namespace mldeck::ui {

namespace {

struct GoldenText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::GoldenDataDialog)
};

} // namespace

std::optional<GoldenChoice> askGoldenData(QWidget *parent)
{
    for (;;) {
        const QString file = QFileDialog::getOpenFileName(parent, GoldenText::tr("Golden dataset"), QString(),
                                                          GoldenText::tr("CSV files (*.csv);;All files (*)"));
        if (file.isEmpty())
            return std::nullopt;
        const auto header = CsvReader::readHeader(file);
        if (!header) {
            QMessageBox::warning(parent, GoldenText::tr("Golden dataset"), header.errorMessage());
            continue;
        }
        QDialog dialog(parent);
        dialog.setWindowTitle(GoldenText::tr("Golden dataset"));
        auto *target = new QComboBox(&dialog);
        target->addItems(*header);
        // The usual names of an outcome column come first.
        for (const char *name : {"outcome", "delay_min", "label", "target"})
            if (const int i = int(header->indexOf(QString::fromLatin1(name))); i >= 0) {
                target->setCurrentIndex(i);
                break;
            }
        auto *segment = new QComboBox(&dialog);
        segment->addItem(GoldenText::tr("(no segments)"), QString());
        for (const QString &column : *header)
            segment->addItem(column, column);
        auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
        QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
        QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
        auto *form = new QFormLayout(&dialog);
        form->addRow(new QLabel(file, &dialog));
        form->addRow(GoldenText::tr("Outcome column"), target);
        form->addRow(GoldenText::tr("Segment column"), segment);
        form->addRow(buttons);
        if (dialog.exec() != QDialog::Accepted)
            return std::nullopt;
        return GoldenChoice{file, target->currentText(), segment->currentData().toString()};
    }
}

} // namespace mldeck::ui
