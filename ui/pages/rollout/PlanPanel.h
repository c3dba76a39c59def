#pragma once

#include "core/domain/Result.h"

#include <QGroupBox>
#include <QList>
#include <QStringList>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace mldeck {
struct GateStatus;
struct PlanStatus;
} // namespace mldeck

namespace mldeck::ui {

class PlanGatesEditor;

// The staged rollout plan (10 → 25 → 50 → 100 by default): editable steps, the current step, each
// gate with its value, threshold and pass/fail/waiting (colour, icon and text; advisory ones grey),
// how the step's gates combine, what the waiting gates wait for, and Advance, enabled only when the
// step's gates pass. Override advances anyway and needs a reason: its button stays disabled
// until one is typed. Below, the gates' combination is edited (PlanGatesEditor, saved under the same
// refusals as the steps). The panel only asks; the page talks to the service.
class PlanPanel final : public QGroupBox
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlanPanel)

public:
    explicit PlanPanel(QWidget *parent = nullptr);

    void showPlan(const PlanStatus &plan);
    void showLoadError(const QString &message);
    void showSaveResult(const Status &status);
    void showAdvanceError(const QString &message);
    void clear(const QString &why);
    // Not connected or a request in flight: nothing can be sent.
    void setActionsEnabled(bool enabled);
    // Why the steps may not be saved (save) and why the plan may not advance (advance), empty ones
    // not applying: those buttons are disabled and say why; the plan and its gates stay readable.
    void setRefusals(const QStringList &save, const QStringList &advance);

    QPushButton *advanceButton() const { return m_advance; }
    QPushButton *overrideButton() const { return m_override; }
    QLineEdit *overrideReason() const { return m_overrideReason; }
    QLineEdit *stepsEdit() const { return m_steps; }
    PlanGatesEditor *gatesEditor() const { return m_gatesEditor; }
    QString message() const;

    // A gate as people read it with its threshold, e.g. "MAE (min) ≤ 2.500".
    static QString gateText(const GateStatus &gate);

Q_SIGNALS:
    void saveRequested(const QList<int> &steps);
    void advanceRequested();
    void overrideRequested(const QString &reason);

private:
    void updateButtons();
    void setMessage(const QString &text, bool error);
    void showSteps(const QList<int> &steps, int current);

    QLineEdit *m_steps = nullptr;
    QPushButton *m_save = nullptr;
    QLabel *m_message = nullptr;
    QLabel *m_chips = nullptr;
    QLabel *m_since = nullptr;
    QLabel *m_rule = nullptr;    // how the step's gates combine
    QLabel *m_waiting = nullptr; // what the inconclusive gates wait for
    QTableWidget *m_gates = nullptr;
    QLabel *m_noGates = nullptr;
    QPushButton *m_advance = nullptr;
    QLineEdit *m_overrideReason = nullptr;
    QPushButton *m_override = nullptr;
    PlanGatesEditor *m_gatesEditor = nullptr;
    QStringList m_saveRefusals;
    QStringList m_advanceRefusals;
    bool m_actionsEnabled = true;
    bool m_loaded = false;
    bool m_canAdvance = false;
    bool m_hasNextStep = false;
};

} // namespace mldeck::ui
