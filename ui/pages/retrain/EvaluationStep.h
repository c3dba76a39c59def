#pragma once

#include "core/services/retrain/RetrainRunner.h"

#include <QWidget>

class QLabel;
class QTableWidget;

namespace mldeck::ui {

// Step 5: the candidate against the champion on the same holdout: MAE/RMSE/R² (a regression model) or
// accuracy/log-loss/Brier (a classifier), the difference of the decision metric with its paired-bootstrap
// interval, and the decision sentence (promote, or why not).
class EvaluationStep final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EvaluationStep)

public:
    explicit EvaluationStep(QWidget *parent = nullptr);
    void showOutcome(const retrain::RetrainOutcome &outcome);

private:
    QLabel *m_decision = nullptr;
    QLabel *m_difference = nullptr;
    QLabel *m_note = nullptr;
    QTableWidget *m_metrics = nullptr;
};

} // namespace mldeck::ui
