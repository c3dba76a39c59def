#include "ui/pages/retrain/StepIndicator.h"

#include "ui/Theme.h"

#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>

namespace mldeck::ui {

StepIndicator::StepIndicator(const QStringList &steps, QWidget *parent) : QWidget(parent), m_steps(steps)
{
    setObjectName(QStringLiteral("retrainSteps"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    for (int i = 0; i < m_steps.size(); ++i) {
        if (i > 0) {
            auto *sep = new QLabel(QStringLiteral("›"), this);
            sep->setStyleSheet(themeStyle(QStringLiteral("color:@{faint};")));
            layout->addWidget(sep);
        }
        auto *label = new QLabel(this);
        label->setObjectName(QStringLiteral("retrainStep%1").arg(i + 1));
        m_labels << label;
        layout->addWidget(label);
    }
    layout->addStretch(1);
    setCurrent(0);
}

void StepIndicator::setCurrent(int step)
{
    m_current = step;
    for (int i = 0; i < m_labels.size(); ++i) {
        const QString mark = i < step ? QStringLiteral("✓") : QString::number(i + 1);
        m_labels[i]->setText(QStringLiteral("%1  %2").arg(mark, m_steps[i]));
        QString style = QStringLiteral("padding:4px 10px; border-radius:11px;");
        if (i == step)
            style += themeStyle(QStringLiteral("background:@{accent}; color:white; font-weight:bold;"));
        else if (i < step)
            style += themeStyle(QStringLiteral("background:@{accentSoft}; color:@{accentInk};"));
        else
            style += themeStyle(QStringLiteral("background:@{shade}; color:@{muted};"));
        m_labels[i]->setStyleSheet(style);
        // The current step is bold: reserve the bold width so no label is clipped when it moves.
        QFont bold = m_labels[i]->font();
        bold.setBold(true);
        m_labels[i]->setMinimumWidth(QFontMetrics(bold).horizontalAdvance(m_labels[i]->text()) + 24);
    }
}

} // namespace mldeck::ui
