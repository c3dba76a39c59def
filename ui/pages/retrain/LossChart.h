#pragma once

#include "core/ml/Trainer.h"

#include <QWidget>

namespace mldeck::ui {

class XYChart;

// The live training curve: train and validation loss per epoch, two series, axes that follow.
class LossChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LossChart)

public:
    explicit LossChart(QWidget *parent = nullptr);

    void clear(int epochs);
    void addEpoch(const EpochReport &report);
    int pointCount() const;

private:
    XYChart *m_chart = nullptr;
    QString m_train;
    QString m_validation;
    double m_maxLoss = 0;
};

} // namespace mldeck::ui
