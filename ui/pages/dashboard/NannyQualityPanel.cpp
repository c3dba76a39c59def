#include "ui/pages/dashboard/NannyQualityPanel.h"

#include "core/services/NannyQualityCsv.h"
#include "ui/pages/dashboard/KpiTiles.h"

#include <QDateTime>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSaveFile>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace mldeck::ui {

NannyQualityPanel::NannyQualityPanel(QWidget *parent) : QWidget(parent)
{
    auto *title = new QLabel(tr("Estimated vs realised MAE (nanny model)"), this);
    title->setObjectName(QStringLiteral("sectionTitle"));
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("nannyQualitySummary"));
    m_summary->setWordWrap(true);
    m_exportStatus = new QLabel(this);
    m_exportStatus->setObjectName(QStringLiteral("nannyQualityExportStatus"));
    m_exportStatus->hide();
    m_export = new QPushButton(tr("Export CSV…"), this);
    m_export->setObjectName(QStringLiteral("nannyQualityExport"));
    m_export->setEnabled(false);
    connect(m_export, &QPushButton::clicked, this, &NannyQualityPanel::exportCsv);
    m_table = new QTableWidget(0, 6, this);
    m_table->setObjectName(QStringLiteral("nannyQualityTable"));
    m_table->setHorizontalHeaderLabels(
        {tr("Hour"), tr("Scored"), tr("Estimated MAE"), tr("With outcome"), tr("Realised MAE"), tr("Difference")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setMinimumHeight(120);
    m_askPath = [](QWidget *parentWidget, const QString &suggested) {
        return QFileDialog::getSaveFileName(parentWidget, tr("Export the estimate's quality"), suggested,
                                            tr("CSV files (*.csv)"));
    };

    auto *head = new QHBoxLayout;
    head->addWidget(title, 1);
    head->addWidget(m_export);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(head);
    layout->addWidget(m_summary);
    layout->addWidget(m_exportStatus);
    layout->addWidget(m_table);
    clear();
}

QString NannyQualityPanel::summaryText() const
{
    return m_summary->text();
}

QString NannyQualityPanel::exportStatus() const
{
    return m_exportStatus->text();
}

void NannyQualityPanel::clear()
{
    m_quality.reset();
    m_table->setRowCount(0);
    m_export->setEnabled(false);
    m_summary->setText(tr("No hour of the range has both estimates and outcomes yet."));
}

void NannyQualityPanel::showQuality(const Result<NannyQuality> &quality)
{
    ++m_shown;
    if (!quality) {
        clear();
        m_summary->setText(tr("The estimate's quality could not be read: %1").arg(quality.errorMessage()));
        return;
    }
    if (quality->hours.empty()) {
        clear();
        return;
    }
    m_quality = *quality;
    const auto cell = [](const QString &text) {
        auto *item = new QTableWidgetItem(text);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return item;
    };
    // Newest hour first, as people read a recent story.
    const auto &hours = quality->hours;
    m_table->setRowCount(int(hours.size()));
    for (int row = 0; row < int(hours.size()); ++row) {
        const NannyQualityRow &h = hours[hours.size() - 1 - size_t(row)];
        const QDateTime hour = QDateTime::fromMSecsSinceEpoch(h.hourMicros / 1000, Qt::UTC).toLocalTime();
        m_table->setItem(row, 0, new QTableWidgetItem(QLocale().toString(hour, QLocale::ShortFormat)));
        m_table->setItem(row, 1, cell(QLocale().toString(h.estCount)));
        m_table->setItem(row, 2, cell(KpiTiles::formatMinutes(h.estimatedMae)));
        m_table->setItem(row, 3, cell(QLocale().toString(h.labelled)));
        m_table->setItem(row, 4, cell(KpiTiles::formatMinutes(h.realisedMae)));
        m_table->setItem(row, 5, cell(KpiTiles::formatMinutes(std::abs(h.estimatedMae - h.realisedMae))));
    }
    const QString diff = KpiTiles::formatMinutes(*quality->meanAbsDiff);
    const int count = int(hours.size());
    m_summary->setText(
        quality->correlation
            ? tr("Over %n hour(s) with outcomes: mean absolute difference %1, correlation %2.", nullptr, count)
                  .arg(diff, QLocale().toString(*quality->correlation, 'f', 2))
            : tr("Over %n hour(s) with outcomes: mean absolute difference %1 (a correlation needs "
                 "3 hours or more with varying MAE).",
                 nullptr, count)
                  .arg(diff));
    m_export->setEnabled(true);
}

void NannyQualityPanel::exportCsv()
{
    if (!m_quality)
        return;
    const QString path = m_askPath(this, QStringLiteral("nanny-quality.csv"));
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    const QByteArray csv = nannyQualityCsv(*m_quality);
    const bool ok = file.open(QIODevice::WriteOnly) && file.write(csv) == csv.size() && file.commit();
    m_exportStatus->setText(ok ? tr("Wrote %1.").arg(path) : tr("Cannot write %1: %2").arg(path, file.errorString()));
    m_exportStatus->show();
}

} // namespace mldeck::ui
