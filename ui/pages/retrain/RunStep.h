#pragma once

#include "core/services/retrain/RetrainRunner.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace mldeck::ui {

class LossChart;

// Step 4: the run on the training worker: progress, the live loss curve, time left; then how it ended.
class RunStep final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunStep)

public:
    explicit RunStep(QWidget *parent = nullptr);

    void start(int epochs);
    void showProgress(const retrain::RetrainProgress &progress);
    void showCancelling();
    void showOutcome(const retrain::RetrainOutcome &outcome);
    LossChart *chart() const { return m_chart; }

Q_SIGNALS:
    void startAnotherRequested();

private:
    QProgressBar *m_progress = nullptr;
    QLabel *m_stage = nullptr;
    QLabel *m_timeLeft = nullptr;
    QLabel *m_result = nullptr;
    QPushButton *m_again = nullptr;
    LossChart *m_chart = nullptr;
};

} // namespace mldeck::ui
