#include "ui/pages/retrain/EvaluationStep.h"

#include "ui/Theme.h"

#include "ui/pages/retrain/RetrainFormat.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace mldeck::ui {

EvaluationStep::EvaluationStep(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("evaluationStep"));
    m_decision = new QLabel(this);
    m_decision->setObjectName(QStringLiteral("evalDecision"));
    m_decision->setWordWrap(true);
    m_decision->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont f = m_decision->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    f.setBold(true);
    m_decision->setFont(f);
    m_difference = new QLabel(this);
    m_difference->setObjectName(QStringLiteral("evalDifference"));
    m_difference->setWordWrap(true);
    m_metrics = new QTableWidget(3, 3, this);
    m_metrics->setObjectName(QStringLiteral("evalMetrics"));
    m_metrics->setHorizontalHeaderLabels({tr("Candidate"), tr("Champion"), tr("Candidate − champion")});
    m_metrics->setVerticalHeaderLabels({QStringLiteral("MAE"), QStringLiteral("RMSE"), QStringLiteral("R²")});
    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->setSelectionMode(QAbstractItemView::NoSelection);
    m_metrics->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    // Exactly three rows tall: no empty band under R².
    m_metrics->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_metrics->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_metrics->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_metrics->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    auto *note = new QLabel(tr("Both models are scored on the same holdout rows, which the candidate never saw. "
                               "Lower MAE and RMSE are better, higher R² is better."),
                            this);
    note->setWordWrap(true);
    note->setStyleSheet(themeStyle(QStringLiteral("color:@{muted};")));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_decision);
    layout->addWidget(m_metrics);
    layout->addWidget(m_difference);
    layout->addWidget(note);
    layout->addStretch(1);
}

void EvaluationStep::showOutcome(const retrain::RetrainOutcome &o)
{
    auto cand = retrainfmt::holdoutMetrics(o.run.metrics, QStringLiteral("candidate"));
    auto champ = retrainfmt::holdoutMetrics(o.run.metrics, QStringLiteral("champion"));
    if (o.decision) {
        // The decision carries the MAE pair itself; the JSON adds RMSE and R² when recorded.
        if (!cand.mae)
            cand.mae = o.decision->candidateMae;
        if (!champ.mae)
            champ.mae = o.decision->championMae;
    }
    const std::optional<double> rows[3][2] = {{cand.mae, champ.mae}, {cand.rmse, champ.rmse}, {cand.r2, champ.r2}};
    for (int r = 0; r < 3; ++r) {
        const auto &a = rows[r][0];
        const auto &b = rows[r][1];
        const QStringList cells{retrainfmt::number(a), retrainfmt::number(b),
                                retrainfmt::number(a && b ? std::optional<double>(*a - *b) : std::nullopt)};
        for (int c = 0; c < 3; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_metrics->setItem(r, c, item);
        }
    }
    if (!o.decision) {
        m_decision->setStyleSheet(themeStyle(QStringLiteral("color:@{muted};")));
        m_decision->setText(tr("No decision was recorded for this run."));
        m_difference->clear();
        return;
    }
    const retrain::RetrainDecision &d = *o.decision;
    m_decision->setStyleSheet(d.promote ? themeStyle(QStringLiteral("color:@{good};"))
                                        : themeStyle(QStringLiteral("color:@{warnInk};")));
    // The rule's sentence already says "Promote: …" or "Do not promote: …".
    m_decision->setText(!d.reason.isEmpty() ? d.reason : d.promote ? tr("Promote.") : tr("Do not promote."));
    const auto &ci = d.maeDifference;
    const int level = int(std::lround(ci.level * 100));
    m_difference->setText(tr("MAE difference (candidate − champion): %1 (%2 %), %3 % interval %4 … %5 (%6 resamples).")
                              .arg(ci.difference, 0, 'f', 4)
                              .arg(100 * ci.relative, 0, 'f', 1)
                              .arg(level)
                              .arg(ci.low, 0, 'f', 4)
                              .arg(ci.high, 0, 'f', 4)
                              .arg(ci.resamples));
}

} // namespace mldeck::ui
