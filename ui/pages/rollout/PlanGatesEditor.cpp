#include "ui/pages/rollout/PlanGatesEditor.h"

#include "ui/Theme.h"
#include "ui/pages/rollout/PlanPanel.h"
#include "ui/widgets/RoleGate.h"

#include "core/rollout/WindowMetrics.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

using Mode = GateCombination::Mode;

constexpr int kAdvisoryColumns = 2;

} // namespace

PlanGatesEditor::PlanGatesEditor(QWidget *parent) : QGroupBox(tr("How the gates combine"), parent)
{
    setObjectName(QStringLiteral("planGatesEditor"));

    m_scope = new QComboBox(this);
    m_scope->setObjectName(QStringLiteral("gatesScope"));
    m_scope->setToolTip(tr("The plan's combination applies to every step that has none of its own."));
    m_own = new QCheckBox(tr("Own combination"), this);
    m_own->setObjectName(QStringLiteral("gatesOwn"));
    m_own->setToolTip(tr("This step combines its gates its own way instead of the plan's."));
    auto *scopeRow = new QHBoxLayout;
    scopeRow->addWidget(new QLabel(tr("For:"), this));
    scopeRow->addWidget(m_scope, 1);
    scopeRow->addWidget(m_own);

    m_mode = new QComboBox(this);
    m_mode->setObjectName(QStringLiteral("gatesMode"));
    m_mode->addItem(tr("All of the gates"), int(Mode::All));
    m_mode->addItem(tr("Any of the gates"), int(Mode::Any));
    m_mode->addItem(tr("At least N of the gates"), int(Mode::AtLeast));
    m_atLeast = new QSpinBox(this);
    m_atLeast->setObjectName(QStringLiteral("gatesAtLeast"));
    m_atLeast->setRange(1, 100); // what the CLI's at-least-N takes; the gates of the task bound it on Save
    m_atLeast->setPrefix(tr("N = "));
    auto *modeRow = new QHBoxLayout;
    modeRow->addWidget(new QLabel(tr("Must pass:"), this));
    modeRow->addWidget(m_mode, 1);
    modeRow->addWidget(m_atLeast);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("gatesSummary"));
    m_summary->setWordWrap(true);
    m_summary->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));

    auto *advisoryLabel = new QLabel(tr("Advisory (shown, never decide):"), this);
    advisoryLabel->setWordWrap(true);
    m_advisoryGrid = new QGridLayout;
    m_advisoryGrid->setContentsMargins(0, 0, 0, 0);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("gatesMessage"));
    m_message->setWordWrap(true);
    m_message->hide();
    m_save = new QPushButton(tr("Save gates"), this);
    m_save->setObjectName(QStringLiteral("gatesSave"));
    auto *saveRow = new QHBoxLayout;
    saveRow->addWidget(m_message, 1);
    saveRow->addWidget(m_save, 0, Qt::AlignTop);

    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(6);
    layout->addLayout(scopeRow);
    layout->addLayout(modeRow);
    layout->addWidget(m_summary);
    layout->addWidget(advisoryLabel);
    layout->addLayout(m_advisoryGrid);
    layout->addLayout(saveRow);

    connect(m_scope, &QComboBox::currentIndexChanged, this, &PlanGatesEditor::showScope);
    connect(m_own, &QCheckBox::toggled, this, [this](bool own) {
        const int step = scopeStep();
        if (step < 0)
            return;
        if (own)
            m_draft.stepCombinations.insert(step, m_draft.combination); // starts from the plan's
        else
            m_draft.stepCombinations.remove(step);
        setMessage({}, false);
        showScope();
    });
    connect(m_mode, &QComboBox::currentIndexChanged, this, &PlanGatesEditor::storeFields);
    connect(m_atLeast, &QSpinBox::valueChanged, this, &PlanGatesEditor::storeFields);
    connect(m_save, &QPushButton::clicked, this, &PlanGatesEditor::save);
    clear();
}

QString PlanGatesEditor::message() const
{
    return m_message->text();
}

void PlanGatesEditor::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? themeStyle(QStringLiteral("color: @{bad}; font-weight: 600;"))
                                   : themeStyle(QStringLiteral("color: @{good};")));
    m_message->setVisible(!text.isEmpty());
}

void PlanGatesEditor::clear()
{
    m_loaded = false;
    m_draft = {};
    {
        const QSignalBlocker block(m_scope);
        m_scope->clear();
        m_scope->addItem(tr("Every step (the plan)"), -1);
    }
    setMessage({}, false);
    showScope();
}

void PlanGatesEditor::showLoadError(const QString &message)
{
    clear();
    setMessage(tr("The gates combination could not be read: %1").arg(message), true);
}

void PlanGatesEditor::showPlan(const StagedPlan &plan, bool classifier)
{
    const int scope = scopeStep();
    m_draft = plan;
    m_classifier = classifier;
    m_loaded = true;

    // The gates the combination combines are those the plan evaluates for this task.
    WindowMetrics task;
    task.classifier = classifier;
    QStringList gates;
    QList<GateStatus> shown;
    for (const GateStatus &g : plan::evaluateGates(plan.gates, task, 0)) {
        if (plan::requiredGates().contains(g.name))
            continue;
        gates << g.name;
        shown << g;
    }
    if (gates != m_gates) {
        qDeleteAll(m_advisory);
        m_advisory.clear();
        m_gates = gates;
        for (const GateStatus &g : shown) {
            auto *box = new QCheckBox(PlanPanel::gateText(g), this);
            box->setObjectName(QStringLiteral("gatesAdvisory_") + g.name);
            box->setProperty("gate", g.name);
            box->setToolTip(g.name);
            connect(box, &QCheckBox::toggled, this, &PlanGatesEditor::storeFields);
            const int i = int(m_advisory.size());
            m_advisoryGrid->addWidget(box, i / kAdvisoryColumns, i % kAdvisoryColumns);
            m_advisory << box;
        }
    }
    {
        const QSignalBlocker block(m_scope);
        m_scope->clear();
        m_scope->addItem(tr("Every step (the plan)"), -1);
        for (int step : plan.steps)
            m_scope->addItem(tr("Step %1 %").arg(step), step);
        m_scope->setCurrentIndex(qMax(0, m_scope->findData(scope)));
    }
    setMessage({}, false);
    showScope();
}

void PlanGatesEditor::showSaveResult(const Status &status)
{
    if (status)
        setMessage(tr("Gates combination saved."), false);
    else
        setMessage(tr("Not saved: %1").arg(status.errorMessage()), true);
}

void PlanGatesEditor::setEditable(bool enabled, const QStringList &refusals)
{
    m_enabled = enabled;
    m_refusals = refusals;
    updateEnabled();
}

int PlanGatesEditor::scopeStep() const
{
    return m_scope->currentIndex() < 0 ? -1 : m_scope->currentData().toInt();
}

GateCombination PlanGatesEditor::shownCombination() const
{
    const int step = scopeStep();
    return step < 0 ? m_draft.combination : m_draft.stepCombinations.value(step, m_draft.combination);
}

// The fields from the draft, for the plan or the chosen step.
void PlanGatesEditor::showScope()
{
    const int step = scopeStep();
    const GateCombination c = shownCombination();
    const QSignalBlocker blockOwn(m_own);
    const QSignalBlocker blockMode(m_mode);
    const QSignalBlocker blockAtLeast(m_atLeast);
    m_own->setVisible(step >= 0);
    m_own->setChecked(m_draft.stepCombinations.contains(step));
    m_mode->setCurrentIndex(m_mode->findData(int(c.mode)));
    m_atLeast->setValue(c.atLeast);
    for (QCheckBox *box : std::as_const(m_advisory)) {
        const QSignalBlocker blockBox(box);
        box->setChecked(c.isAdvisory(box->property("gate").toString()));
    }
    updateSummary();
    updateEnabled();
}

// The fields into the draft; nothing is checked before Save.
void PlanGatesEditor::storeFields()
{
    GateCombination c;
    c.mode = Mode(m_mode->currentData().toInt());
    c.atLeast = c.mode == Mode::AtLeast ? m_atLeast->value() : 1;
    // Advisory gates of the other task (set with the CLI) are not shown here, and kept.
    for (const QString &gate : shownCombination().advisory)
        if (!m_gates.contains(gate))
            c.advisory << gate;
    for (QCheckBox *box : std::as_const(m_advisory))
        if (box->isChecked())
            c.advisory << box->property("gate").toString();
    const int step = scopeStep();
    if (step < 0)
        m_draft.combination = c;
    else if (m_own->isChecked())
        m_draft.stepCombinations.insert(step, c);
    setMessage({}, false);
    updateSummary();
    updateEnabled();
}

void PlanGatesEditor::updateSummary()
{
    if (!m_loaded) {
        m_summary->setText(tr("Choose a deployment to edit how its gates combine."));
        return;
    }
    const GateCombination c = shownCombination();
    int deciding = 0;
    for (const QString &gate : std::as_const(m_gates))
        deciding += c.isAdvisory(gate) ? 0 : 1;
    const QString rule =
        tr("Samples and soak time always decide; of the other gates, %1 must pass.").arg(c.describe(deciding));
    if (scopeStep() >= 0 && !m_own->isChecked())
        m_summary->setText(tr("This step uses the plan's combination. %1").arg(rule));
    else
        m_summary->setText(rule);
}

void PlanGatesEditor::updateEnabled()
{
    const bool can = m_enabled && m_loaded;
    const bool fields = can && (scopeStep() < 0 || m_own->isChecked());
    m_scope->setEnabled(m_loaded);
    m_own->setEnabled(can);
    m_mode->setEnabled(fields);
    m_atLeast->setEnabled(fields && m_mode->currentData().toInt() == int(Mode::AtLeast));
    for (QCheckBox *box : std::as_const(m_advisory))
        box->setEnabled(fields);
    m_save->setEnabled(can);
    for (QWidget *w : {static_cast<QWidget *>(m_own), static_cast<QWidget *>(m_mode), static_cast<QWidget *>(m_atLeast),
                       static_cast<QWidget *>(m_save)})
        applyGate(w, m_refusals);
    for (QCheckBox *box : std::as_const(m_advisory))
        applyGate(box, m_refusals);
}

// What the plan store checks for plan set and for this editor alike (the plan against the
// deployment's task), with the same words; empty when the draft may be saved.
QString PlanGatesEditor::check() const
{
    const Status valid = plan::validate(m_draft, m_classifier);
    return valid ? QString() : valid.errorMessage();
}

void PlanGatesEditor::save()
{
    if (!m_loaded)
        return;
    if (const QString why = check(); !why.isEmpty()) {
        setMessage(tr("Not saved: %1").arg(why), true);
        return;
    }
    setMessage(tr("Saving…"), false);
    Q_EMIT saveRequested(m_draft.combination, m_draft.stepCombinations);
}

} // namespace mldeck::ui
