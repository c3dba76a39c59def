#include "ui/pages/drift/DriftReferenceBar.h"

#include "core/services/DriftCheck.h"
#include "ui/widgets/InfoBar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QVBoxLayout>

namespace mldeck::ui {

DriftReferenceBar::DriftReferenceBar(QWidget *parent)
    : QWidget(parent), m_reference(new QLabel(this)), m_filling(new InfoBar(this)), m_progress(new QProgressBar(this))
{
    m_reference->setObjectName(QStringLiteral("driftReference"));
    m_reference->setWordWrap(true);
    m_filling->setObjectName(QStringLiteral("driftReferenceFilling"));
    m_progress->setObjectName(QStringLiteral("driftReferenceProgress"));
    m_progress->setTextVisible(true);
    auto *filling = new QHBoxLayout;
    filling->addWidget(m_filling, 1);
    filling->addWidget(m_progress);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_reference);
    layout->addLayout(filling);
    clear();
}

void DriftReferenceBar::showReport(const DriftCheckReport &report)
{
    m_reference->setText(tr("Reference: %1").arg(report.referenceDescription));
    m_reference->show();
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

void DriftReferenceBar::clear()
{
    m_reference->clear();
    m_reference->hide();
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

QString DriftReferenceBar::fillingText() const
{
    return isFilling() ? m_filling->text() : QString();
}

} // namespace mldeck::ui
