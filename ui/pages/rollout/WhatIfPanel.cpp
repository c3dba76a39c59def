#include "ui/pages/rollout/WhatIfPanel.h"

#include "ui/Theme.h"

#include "core/rollout/WhatIf.h"

#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QVBoxLayout>

#include <cmath>

namespace mldeck::ui {

WhatIfPanel::WhatIfPanel(QWidget *parent) : QGroupBox(tr("What-if preview"), parent)
{
    setObjectName(QStringLiteral("whatIf"));
    // What it projects from, as a line that wraps (a group box title cannot, and would widen the page).
    auto *scope = new QLabel(tr("Projected from the last 24 h of logged requests."), this);
    scope->setObjectName(QStringLiteral("whatIfScope"));
    scope->setWordWrap(true);
    scope->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("whatIfTitle"));
    m_title->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_share = new QLabel(this);
    m_share->setObjectName(QStringLiteral("whatIfShare"));
    m_share->setStyleSheet(themeStyle(QStringLiteral("font-size: 13pt; font-weight: 600; color: @{ink};")));
    m_share->setWordWrap(true);
    m_bar = new QProgressBar(this);
    m_bar->setRange(0, 1000);
    m_bar->setTextVisible(false);
    m_bar->setFixedHeight(8);
    m_bar->setStyleSheet(
        themeStyle(QStringLiteral("QProgressBar { background: @{shadeStrong}; border: none; border-radius: 4px; }"
                                  "QProgressBar::chunk { background: @{accent}; border-radius: 4px; }")));
    m_keys = new QLabel(this);
    m_keys->setObjectName(QStringLiteral("whatIfKeys"));
    m_switching = new QLabel(this);
    m_switching->setObjectName(QStringLiteral("whatIfSwitching"));
    m_mae = new QLabel(this);
    m_mae->setObjectName(QStringLiteral("whatIfMae"));
    for (QLabel *l : {m_keys, m_switching, m_mae}) {
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        l->setWordWrap(true);
    }

    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(6);
    layout->addWidget(scope);
    layout->addWidget(m_title);
    layout->addWidget(m_share);
    layout->addWidget(m_bar);
    layout->addWidget(m_keys);
    layout->addWidget(m_switching);
    layout->addWidget(m_mae);
    clear(tr("Choose a deployment to preview a percentage."));
}

QString WhatIfPanel::summary() const
{
    return m_share->text();
}

void WhatIfPanel::clear(const QString &why)
{
    m_title->clear();
    m_share->setText(why);
    m_share->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_bar->setValue(0);
    m_bar->hide();
    m_keys->clear();
    m_switching->clear();
    m_mae->clear();
}

void WhatIfPanel::showPending(int percentage)
{
    m_title->setText(tr("If traffic were %1 % … computing").arg(percentage));
}

void WhatIfPanel::showError(const QString &message)
{
    clear(tr("No preview: %1").arg(message));
    m_share->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
}

void WhatIfPanel::showWhatIf(const WhatIf &w)
{
    const QLocale locale;
    m_title->setText(tr("If traffic were %1 %").arg(w.percentage));
    m_share->setStyleSheet(themeStyle(QStringLiteral("font-size: 13pt; font-weight: 600; color: @{ink};")));
    if (w.keys == 0 || !w.mlShare) {
        m_share->setText(tr("No request keys logged in the last 24 h: nothing to project from."));
        m_share->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
        m_bar->hide();
        m_keys->clear();
        m_switching->clear();
        m_mae->clear();
        return;
    }
    m_share->setText(tr("%1 % of request keys would be on ML").arg(locale.toString(*w.mlShare * 100.0, 'f', 1)));
    m_bar->show();
    m_bar->setValue(int(std::lround(*w.mlShare * 1000.0)));
    m_keys->setText(tr("%1 distinct request keys logged in the last 24 h").arg(locale.toString(w.keys)));
    m_switching->setText(w.switching == 0
                             ? tr("No key would switch between heuristic and ML.")
                             : tr("%1 keys would switch between heuristic and ML (%2 %)")
                                   .arg(locale.toString(w.switching),
                                        locale.toString(100.0 * double(w.switching) / double(w.keys), 'f', 1)));
    if (w.projectedMae && w.currentMae) {
        const double delta = *w.projectedMae - *w.currentMae;
        const QString projected = locale.toString(*w.projectedMae, 'f', 3);
        const QString current = locale.toString(*w.currentMae, 'f', 3);
        if (std::abs(delta) < 0.0005) {
            m_mae->setText(tr("Projected MAE %1, the same as now").arg(projected));
            m_mae->setStyleSheet(themeStyle(QStringLiteral("color: @{inkSoft};")));
        } else {
            const bool better = delta < 0;
            m_mae->setText(tr("Projected MAE %1 vs %2 now (%3%4, %5)")
                               .arg(projected, current, better ? QStringLiteral("−") : QStringLiteral("+"),
                                    locale.toString(std::abs(delta), 'f', 3), better ? tr("better") : tr("worse")));
            m_mae->setStyleSheet(better ? themeStyle(QStringLiteral("color: @{good};"))
                                        : themeStyle(QStringLiteral("color: @{bad};")));
        }
    } else if (w.projectedMae) {
        m_mae->setText(
            tr("Projected MAE %1 (no current MAE to compare)").arg(locale.toString(*w.projectedMae, 'f', 3)));
        m_mae->setStyleSheet(QString());
    } else {
        m_mae->setText(tr("Projected MAE: not enough logged ML and heuristic results with outcomes."));
        m_mae->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    }
}

} // namespace mldeck::ui
