#pragma once

#include "core/ml/Trainer.h"

#include <QWidget>

class QChartView;
class QLineSeries;
class QValueAxis;

namespace mldeck::ui {

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
    QChartView *m_view = nullptr;
    QLineSeries *m_train = nullptr;
    QLineSeries *m_validation = nullptr;
    QValueAxis *m_x = nullptr;
    QValueAxis *m_y = nullptr;
    double m_maxLoss = 0;
};

} // namespace mldeck::ui
