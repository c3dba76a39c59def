#include "ui/pages/drift/DriftReferenceBar.h"

#include "core/services/DriftCheck.h"
#include "ui/widgets/InfoBar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QVBoxLayout>

namespace mldeck::ui {

DriftReferenceBar::DriftReferenceBar(QWidget *parent)
    : QWidget(parent), m_reference(new QLabel(this)), m_images(new QLabel(this)), m_filling(new InfoBar(this)),
      m_progress(new QProgressBar(this))
{
    m_reference->setObjectName(QStringLiteral("driftReference"));
    m_reference->setWordWrap(true);
    m_images->setObjectName(QStringLiteral("driftImages"));
    m_images->setWordWrap(true);
    m_filling->setObjectName(QStringLiteral("driftReferenceFilling"));
    m_progress->setObjectName(QStringLiteral("driftReferenceProgress"));
    m_progress->setTextVisible(true);
    auto *filling = new QHBoxLayout;
    filling->addWidget(m_filling, 1);
    filling->addWidget(m_progress);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_reference);
    layout->addWidget(m_images);
    layout->addLayout(filling);
    clear();
}

void DriftReferenceBar::showReport(const DriftCheckReport &report)
{
    QString reference = tr("Reference: %1").arg(report.referenceDescription);
    if (report.fromSketches) // small text: the figures below are bounded estimates
        reference = QStringLiteral("%1<br><small>%2</small>")
                        .arg(reference.toHtmlEscaped(),
                             tr("Window read from %n hourly sketch(es) and %L1 raw rows: each score is known within "
                                "the interval shown, and a verdict is made only when that interval is on one side of "
                                "the threshold.",
                                nullptr, int(report.sketchedHours))
                                 .arg(report.rawRows)
                                 .toHtmlEscaped());
    m_reference->setText(reference);
    m_reference->show();
    showImages(report);
    const bool filling = report.filling.has_value();
    m_filling->setVisible(filling);
    m_progress->setVisible(filling);
    if (!filling)
        return;
    const ReferenceFilling &f = *report.filling;
    m_filling->showMessage(tr("Reference filling: %L1 of %L2 predictions logged. Drift is checked once the "
                              "reference is full.")
                               .arg(f.rows)
                               .arg(f.needed),
                           InfoBar::Kind::Info);
    m_progress->setRange(0, int(f.needed));
    m_progress->setValue(int(std::min(f.rows, f.needed)));
}

// An image deployment's features are statistics MLDeck computes from a sample of its images: say so, and
// list the unreadable ones (key and reason) in the tooltip.
void DriftReferenceBar::showImages(const DriftCheckReport &report)
{
    const auto &images = report.images;
    m_images->setVisible(images && !report.filling);
    if (!images || report.filling)
        return;
    m_images->setText(
        tr("Image statistics (brightness, contrast, width, height) computed by MLDeck from a sample "
           "of at most %L1 images per side: window %2; reference %3 (%4).")
            .arg(images->sampleSize)
            .arg(imageSampleSummary(images->current), imageSampleSummary(images->reference), images->reference.source));
    QStringList unreadable;
    for (const ImageSampleInfo *side : {&images->current, &images->reference})
        for (const SkippedImage &s : side->skipped)
            unreadable << tr("%1: %2").arg(s.key.toHtmlEscaped(), s.reason.toHtmlEscaped());
    m_images->setToolTip(unreadable.isEmpty() ? QString()
                                              : tr("<p>Unreadable images (not counted in the statistics):</p><p>%1</p>")
                                                    .arg(unreadable.join(QStringLiteral("<br>"))));
}

void DriftReferenceBar::clear()
{
    m_reference->clear();
    m_reference->hide();
    m_images->clear();
    m_images->hide();
    m_filling->hide();
    m_progress->hide();
}

bool DriftReferenceBar::isFilling() const
{
    return !m_filling->isHidden();
}

QString DriftReferenceBar::referenceText() const
{
    return m_reference->text();
}

QString DriftReferenceBar::imagesText() const
{
    return m_images->isHidden() ? QString() : m_images->text();
}

QString DriftReferenceBar::fillingText() const
{
    return isFilling() ? m_filling->text() : QString();
}

} // namespace mldeck::ui
