#include "ui/pages/retrain/RunStep.h"

#include "ui/Theme.h"

#include "ui/pages/retrain/LossChart.h"
#include "ui/pages/retrain/RetrainFormat.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace mldeck::ui {

RunStep::RunStep(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("runStep"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("runProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_stage = new QLabel(this);
    m_stage->setObjectName(QStringLiteral("runStage"));
    m_timeLeft = new QLabel(this);
    m_timeLeft->setObjectName(QStringLiteral("runTimeLeft"));
    m_result = retrainfmt::resultLabel(QStringLiteral("runResult"), this);
    m_again = new QPushButton(tr("Start another"), this);
    m_again->setObjectName(QStringLiteral("runStartAnother"));
    m_again->hide();
    m_chart = new LossChart(this);

    auto *status = new QHBoxLayout;
    status->addWidget(m_stage, 1);
    status->addWidget(m_timeLeft);
    auto *result = new QHBoxLayout;
    result->addWidget(m_result, 1);
    result->addWidget(m_again);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_progress);
    layout->addLayout(status);
    layout->addLayout(result);
    layout->addWidget(m_chart, 1);
    connect(m_again, &QPushButton::clicked, this, &RunStep::startAnotherRequested);
}

void RunStep::start(int epochs)
{
    m_progress->setValue(0);
    m_stage->setText(tr("Starting…"));
    m_timeLeft->clear();
    m_result->clear();
    m_result->setStyleSheet(QString());
    m_again->hide();
    m_chart->clear(epochs);
}

void RunStep::showProgress(const retrain::RetrainProgress &p)
{
    m_progress->setValue(int(std::lround(std::clamp(p.fraction, 0.0, 1.0) * 1000)));
    if (!p.message.isEmpty())
        m_stage->setText(p.message);
    if (p.epoch) {
        m_chart->addEpoch(*p.epoch);
        if (p.epoch->validationAccuracy)
            m_stage->setText(tr("Epoch %1 of %2 · training loss %3 · validation accuracy %4 %")
                                 .arg(p.epoch->epoch)
                                 .arg(p.epoch->epochs)
                                 .arg(p.epoch->trainLoss, 0, 'f', 4)
                                 .arg(100 * *p.epoch->validationAccuracy, 0, 'f', 1));
        else
            m_stage->setText(tr("Epoch %1 of %2 · training loss %3 · validation MAE %4")
                                 .arg(p.epoch->epoch)
                                 .arg(p.epoch->epochs)
                                 .arg(p.epoch->trainLoss, 0, 'f', 4)
                                 .arg(p.epoch->validationMae, 0, 'f', 3));
        m_timeLeft->setText(tr("about %1 left").arg(retrainfmt::duration(p.epoch->secondsLeft)));
    }
}

void RunStep::showCancelling()
{
    m_stage->setText(tr("Cancelling: the run stops at its next batch…"));
}

void RunStep::showOutcome(const retrain::RetrainOutcome &o)
{
    m_timeLeft->clear();
    const QString state = o.run.state;
    if (state == QLatin1String("succeeded")) {
        m_progress->setValue(1000);
        m_stage->setText(tr("Done in %1.").arg(retrainfmt::duration(o.run.durationSeconds())));
        m_result->setStyleSheet(themeStyle(QStringLiteral("color:@{good};")));
        m_result->setText(
            o.candidateVersion.isEmpty()
                ? tr("The candidate is trained and evaluated (nothing registered). Next: the evaluation.")
                : tr("Candidate %1@%2 is trained, evaluated and registered (no alias moved). Next: the evaluation.")
                      .arg(o.run.deployment, o.candidateVersion));
        return;
    }
    m_again->show();
    m_progress->setValue(0); // a full bar would read as success
    if (state == QLatin1String("cancelled")) {
        m_stage->setText(tr("Cancelled."));
        m_result->setStyleSheet(themeStyle(QStringLiteral("color:@{warnInk};")));
        m_result->setText(tr("The run was cancelled: nothing was registered and the champion is untouched."));
        return;
    }
    m_stage->setText(tr("Failed."));
    m_result->setStyleSheet(themeStyle(QStringLiteral("color:@{bad};")));
    m_result->setText(tr("The run failed: %1. Nothing was registered and the champion is untouched.")
                          .arg(o.run.error.isEmpty() ? tr("no reason given") : o.run.error));
}

} // namespace mldeck::ui
