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
    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->setSelectionMode(QAbstractItemView::NoSelection);
    m_metrics->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    // Exactly three rows tall: no empty band under R².
    m_metrics->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_metrics->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_metrics->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_metrics->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    m_note->setStyleSheet(themeStyle(QStringLiteral("color:@{muted};")));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_decision);
    layout->addWidget(m_metrics);
    layout->addWidget(m_difference);
    layout->addWidget(m_note);
    layout->addStretch(1);
}

void EvaluationStep::showOutcome(const retrain::RetrainOutcome &o)
{
    const auto cand = retrainfmt::holdoutMetrics(o.run.metrics, QStringLiteral("candidate"));
    const auto champ = retrainfmt::holdoutMetrics(o.run.metrics, QStringLiteral("champion"));
    const bool classifier = retrainfmt::isClassifierRun(o.run.metrics);
    struct Row
    {
        QString name;
        std::optional<double> candidate, champion;
        QString metric; // how to show it (metricValue)
    };
    const std::vector<Row> rows =
        classifier ? std::vector<Row>{{tr("Accuracy"), cand.accuracy, champ.accuracy, QStringLiteral("accuracy")},
                                      {tr("Log-loss"), cand.logLoss, champ.logLoss, QStringLiteral("log_loss")},
                                      {tr("Brier score"), cand.brier, champ.brier, QStringLiteral("brier")}}
                   : std::vector<Row>{{QStringLiteral("MAE"), cand.mae, champ.mae, QStringLiteral("mae")},
                                      {QStringLiteral("RMSE"), cand.rmse, champ.rmse, QStringLiteral("rmse")},
                                      {QStringLiteral("R²"), cand.r2, champ.r2, QStringLiteral("r2")}};
    m_note->setText(classifier ? tr("Both models are scored on the same holdout rows, which the candidate never saw, "
                                    "with the deployment's decision rule. Higher accuracy is better, lower log-loss "
                                    "and Brier score are better.")
                               : tr("Both models are scored on the same holdout rows, which the candidate never saw. "
                                    "Lower MAE and RMSE are better, higher R² is better."));
    QStringList names;
    for (int r = 0; r < int(rows.size()); ++r) {
        const Row &row = rows[size_t(r)];
        names << row.name;
        const auto &a = row.candidate;
        const auto &b = row.champion;
        const std::optional<double> difference = a && b ? std::optional<double>(*a - *b) : std::nullopt;
        const QStringList cells{
            retrainfmt::metricValue(row.metric, a), retrainfmt::metricValue(row.metric, b),
            row.metric == QLatin1String("accuracy")
                ? tr("%1 points")
                      .arg(retrainfmt::number(difference ? std::optional<double>(100 * *difference) : std::nullopt, 1))
                : retrainfmt::number(difference)};
        for (int c = 0; c < 3; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_metrics->setItem(r, c, item);
        }
    }
    m_metrics->setVerticalHeaderLabels(names);
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
    const auto &ci = d.difference;
    const int level = int(std::lround(ci.level * 100));
    if (d.metric == retrain::DecisionMetric::Accuracy)
        m_difference->setText(tr("Accuracy difference (candidate − champion): %1 points, %2 % interval %3 … %4 points "
                                 "(%5 resamples).")
                                  .arg(100 * ci.difference, 0, 'f', 1)
                                  .arg(level)
                                  .arg(100 * ci.low, 0, 'f', 1)
                                  .arg(100 * ci.high, 0, 'f', 1)
                                  .arg(ci.resamples));
    else
        m_difference->setText(
            tr("%1 difference (candidate − champion): %2 (%3 %), %4 % interval %5 … %6 (%7 "
               "resamples).")
                .arg(d.metric == retrain::DecisionMetric::LogLoss ? tr("Log-loss") : QStringLiteral("MAE"))
                .arg(ci.difference, 0, 'f', 4)
                .arg(100 * ci.relative, 0, 'f', 1)
                .arg(level)
                .arg(ci.low, 0, 'f', 4)
                .arg(ci.high, 0, 'f', 4)
                .arg(ci.resamples));
}

} // namespace mldeck::ui
