#pragma once

#include <QList>
#include <QStringList>
#include <QWidget>

class QLabel;

namespace mldeck::ui {

// "1 Why now › 2 Data › …": where the wizard is; steps behind are ticked, the current one stands out.
class StepIndicator final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StepIndicator)

public:
    explicit StepIndicator(const QStringList &steps, QWidget *parent = nullptr);
    void setCurrent(int step);
    int current() const { return m_current; }

private:
    QStringList m_steps;
    QList<QLabel *> m_labels;
    int m_current = 0;
};

} // namespace mldeck::ui
