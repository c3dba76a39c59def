#pragma once

#include "core/domain/Result.h"
#include "core/rollout/StagedPlan.h"

#include <QGroupBox>
#include <QList>
#include <QMap>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QPushButton;
class QSpinBox;

namespace mldeck::ui {

// Edits how a staged plan's metric gates combine: the plan-wide mode (all, any, at least N of),
// which gates are advisory, and a step's own combination in place of the plan's. Only the gates of
// the deployment's task are offered. Save checks what the store checks for the CLI too
// (plan::validate with the deployment's task): a refusal is shown under the fields and nothing is sent.
// The editor only asks; the page saves through the service.
class PlanGatesEditor final : public QGroupBox
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlanGatesEditor)

public:
    explicit PlanGatesEditor(QWidget *parent = nullptr);

    // The stored plan and the deployment's task; unsaved edits are dropped.
    void showPlan(const StagedPlan &plan, bool classifier);
    void clear();
    void showLoadError(const QString &message);
    void showSaveResult(const Status &status);
    // Whether anything may be sent (connected, nothing in flight), and why the role may not (empty
    // ones not applying): the fields are disabled and say why, the combination stays readable.
    void setEditable(bool enabled, const QStringList &refusals);

    QString message() const;

Q_SIGNALS:
    void saveRequested(const mldeck::GateCombination &combination, const QMap<int, mldeck::GateCombination> &steps);

private:
    int scopeStep() const; // the step's percentage being edited, or -1 for the plan
    GateCombination shownCombination() const;
    void showScope();
    void storeFields();
    void updateEnabled();
    void updateSummary();
    void setMessage(const QString &text, bool error);
    QString check() const;
    void save();

    QComboBox *m_scope = nullptr;
    QCheckBox *m_own = nullptr;
    QComboBox *m_mode = nullptr;
    QSpinBox *m_atLeast = nullptr;
    QLabel *m_summary = nullptr;
    QGridLayout *m_advisoryGrid = nullptr;
    QList<QCheckBox *> m_advisory; // one per gate of the task, named after the gate
    QLabel *m_message = nullptr;
    QPushButton *m_save = nullptr;

    StagedPlan m_draft;
    QStringList m_gates; // the combinable gates of the deployment's task
    QStringList m_refusals;
    bool m_classifier = false; // the deployment's task
    bool m_enabled = true;
    bool m_loaded = false;
};

} // namespace mldeck::ui
