#include "ui/pages/rollout/PlanPanel.h"

#include "ui/Theme.h"
#include "ui/pages/rollout/PlanGatesEditor.h"
#include "ui/widgets/RoleGate.h"

#include "core/domain/Figure.h"
#include "core/rollout/StagedPlan.h"

#include <QCoreApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPainter>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace mldeck::ui {

namespace {

// A gate's colour from the house palette: pass, fail, waiting; an advisory gate is muted whatever
// its state, since it never decides.
QColor stateColour(GateState state, bool advisory = false)
{
    if (advisory)
        return themeColor(Palette::Muted);
    return themeColor(state == GateState::Pass   ? Palette::Good
                      : state == GateState::Fail ? Palette::Bad
                                                 : Palette::Warn);
}

// A round pass/fail/waiting badge painted in code (the app ships no icon theme); an advisory
// gate's badge is grey whatever its state, since it never decides.
QIcon verdictIcon(GateState state, bool advisory)
{
    QPixmap pm(16, 16);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(stateColour(state, advisory));
    p.drawEllipse(QRectF(0.5, 0.5, 15, 15));
    p.setPen(QPen(themeColor(Palette::Base), 2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    if (state == GateState::Pass) {
        p.drawPolyline(QPolygonF({QPointF(4.5, 8.5), QPointF(7, 11), QPointF(11.5, 5.5)}));
    } else if (state == GateState::Fail) {
        p.drawLine(QPointF(5, 5), QPointF(11, 11));
        p.drawLine(QPointF(11, 5), QPointF(5, 11));
    } else {
        for (double x : {4.5, 8.0, 11.5})
            p.drawPoint(QPointF(x, 8));
    }
    return QIcon(pm);
}

QString formatNumber(double v)
{
    const QLocale locale;
    if (std::abs(v - std::round(v)) < 1e-9 && std::abs(v) < 1e12)
        return locale.toString(qint64(std::llround(v)));
    return locale.toString(v, 'g', 4);
}

// How each gate reads for a person, and how its figures are written.
struct GateLook
{
    QString label;
    QString (*format)(double);
};

QString formatShare(double v)
{
    return QLocale().toString(v * 100.0, 'f', 1) + QStringLiteral(" %");
}

QString formatDuration(double seconds)
{
    const qint64 s = qint64(std::llround(seconds));
    if (s < 3600)
        return PlanPanel::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return PlanPanel::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

QString formatMs(double v)
{
    return QLocale().toString(v, 'f', 0) + QStringLiteral(" ms");
}

QString formatR2(double v)
{
    return QLocale().toString(v, 'f', 3);
}

GateLook gateLook(const QString &name)
{
    if (name == QLatin1String(plan::kGateSamples))
        return {PlanPanel::tr("Samples ≥"), formatNumber};
    if (name == QLatin1String(plan::kGateSoak))
        return {PlanPanel::tr("Soak time ≥"), formatDuration};
    if (name == QLatin1String(plan::kGateMae))
        return {PlanPanel::tr("MAE (min) ≤"), formatR2};
    if (name == QLatin1String(plan::kGateR2))
        return {PlanPanel::tr("R² ≥"), formatR2};
    if (name == QLatin1String(plan::kGateLatency))
        return {PlanPanel::tr("Latency p95 ≤"), formatMs};
    if (name == QLatin1String(plan::kGateErrorRate))
        return {PlanPanel::tr("Error rate ≤"), formatShare};
    if (name == QLatin1String(plan::kGateAccuracy))
        return {PlanPanel::tr("Accuracy ≥"), formatShare};
    if (name == QLatin1String(plan::kGateF1))
        return {PlanPanel::tr("F1 ≥"), formatShare};
    if (name == QLatin1String(plan::kGateLogLoss))
        return {PlanPanel::tr("Log-loss ≤"), formatR2};
    if (name == QLatin1String(plan::kGateEce))
        return {PlanPanel::tr("Calibration error (ECE) ≤"), formatR2};
    if (name == QLatin1String(plan::kGateEstimatedMae))
        return {PlanPanel::tr("Estimated MAE (min) ≤"), formatR2};
    return {name, formatNumber};
}

enum Column
{
    kGate,
    kValue,
    kThreshold,
    kVerdict,
    kColumns
};

} // namespace

PlanPanel::PlanPanel(QWidget *parent) : QGroupBox(tr("Staged rollout plan"), parent)
{
    setObjectName(QStringLiteral("plan"));

    m_steps = new QLineEdit(this);
    m_steps->setObjectName(QStringLiteral("planSteps"));
    m_steps->setPlaceholderText(tr("e.g. 10, 25, 50, 100"));
    m_steps->setToolTip(tr("Percentages of the steps, increasing, up to 100."));
    m_save = new QPushButton(tr("Save steps"), this);
    m_save->setObjectName(QStringLiteral("planSave"));
    auto *stepsRow = new QHBoxLayout;
    stepsRow->addWidget(new QLabel(tr("Steps (%):"), this));
    stepsRow->addWidget(m_steps, 1);
    stepsRow->addWidget(m_save);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("planMessage"));
    m_message->setWordWrap(true);
    m_message->hide();

    m_chips = new QLabel(this);
    m_chips->setObjectName(QStringLiteral("planChips"));
    m_chips->setTextFormat(Qt::RichText);
    m_chips->setWordWrap(true);
    m_since = new QLabel(this);
    m_since->setObjectName(QStringLiteral("planSince"));
    m_since->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_since->setWordWrap(true);
    m_rule = new QLabel(this);
    m_rule->setObjectName(QStringLiteral("planRule"));
    m_rule->setWordWrap(true);
    m_rule->hide();
    m_waiting = new QLabel(this);
    m_waiting->setObjectName(QStringLiteral("planWaiting"));
    m_waiting->setWordWrap(true);
    m_waiting->setStyleSheet(themeStyle(QStringLiteral("color: @{warn};")));
    m_waiting->hide();

    m_gates = new QTableWidget(0, kColumns, this);
    m_gates->setObjectName(QStringLiteral("planGates"));
    m_gates->setHorizontalHeaderLabels({tr("Gate"), tr("Value"), tr("Threshold"), tr("Status")});
    m_gates->verticalHeader()->hide();
    m_gates->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_gates->setSelectionMode(QAbstractItemView::NoSelection);
    m_gates->setFocusPolicy(Qt::NoFocus);
    m_gates->setShowGrid(false);
    m_gates->setAlternatingRowColors(true);
    m_gates->horizontalHeader()->setSectionResizeMode(kGate, QHeaderView::Stretch);
    for (int c : {kValue, kThreshold, kVerdict})
        m_gates->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_gates->verticalHeader()->setDefaultSectionSize(24);
    m_gates->setMinimumHeight(24 * 7 + 6);

    m_noGates = new QLabel(tr("No gates apply before the first step: Advance starts the plan."), this);
    m_noGates->setObjectName(QStringLiteral("planNoGates"));
    m_noGates->setAlignment(Qt::AlignCenter);
    m_noGates->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Expanding);
    m_noGates->setWordWrap(true);
    m_noGates->setStyleSheet(themeStyle(
        QStringLiteral("color: @{muted}; border: 1px dashed @{border}; border-radius: 6px; padding: 18px;")));
    m_noGates->hide();

    m_advance = new QPushButton(tr("Advance"), this);
    m_advance->setObjectName(QStringLiteral("planAdvance"));
    m_advance->setStyleSheet(themeStyle(QStringLiteral(
        "QPushButton { background: @{accent}; color: white; font-weight: 600; border-radius: 6px; padding: 6px 14px; }"
        "QPushButton:disabled { background: @{accentMuted}; color: @{shade}; }")));
    m_overrideReason = new QLineEdit(this);
    m_overrideReason->setObjectName(QStringLiteral("planOverrideReason"));
    m_overrideReason->setPlaceholderText(tr("Reason to advance although a gate fails"));
    m_override = new QPushButton(tr("Override…"), this);
    m_override->setObjectName(QStringLiteral("planOverride"));
    m_override->setToolTip(tr("Advance to the next step although gates fail. Needs a reason; it is audited."));
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_advance);
    actions->addSpacing(12);
    actions->addWidget(m_overrideReason, 1);
    actions->addWidget(m_override);

    m_gatesEditor = new PlanGatesEditor(this);

    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(8);
    layout->addLayout(stepsRow);
    layout->addWidget(m_message);
    layout->addWidget(m_chips);
    layout->addWidget(m_since);
    layout->addWidget(m_rule);
    layout->addWidget(m_gates, 1);
    layout->addWidget(m_waiting);
    layout->addWidget(m_noGates, 1);
    layout->addLayout(actions);
    layout->addWidget(m_gatesEditor);

    connect(m_save, &QPushButton::clicked, this, [this] {
        auto steps = plan::parseSteps(m_steps->text());
        if (!steps) {
            setMessage(steps.errorMessage(), true);
            return;
        }
        setMessage(tr("Saving…"), false);
        Q_EMIT saveRequested(*steps);
    });
    connect(m_steps, &QLineEdit::returnPressed, m_save, &QPushButton::click);
    connect(m_advance, &QPushButton::clicked, this, &PlanPanel::advanceRequested);
    connect(m_override, &QPushButton::clicked, this,
            [this] { Q_EMIT overrideRequested(m_overrideReason->text().trimmed()); });
    connect(m_overrideReason, &QLineEdit::textChanged, this, &PlanPanel::updateButtons);
    clear(tr("Choose a deployment to see its plan."));
}

QString PlanPanel::gateText(const GateStatus &gate)
{
    const GateLook look = gateLook(gate.name);
    return look.label + QLatin1Char(' ') + look.format(gate.threshold);
}

QString PlanPanel::message() const
{
    return m_message->text();
}

void PlanPanel::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? themeStyle(QStringLiteral("color: @{bad}; font-weight: 600;"))
                                   : themeStyle(QStringLiteral("color: @{good};")));
    m_message->setVisible(!text.isEmpty());
}

void PlanPanel::clear(const QString &why)
{
    m_loaded = false;
    m_canAdvance = false;
    m_hasNextStep = false;
    showSteps({}, -1);
    m_since->setText(why);
    m_rule->hide();
    m_waiting->hide();
    m_gates->setRowCount(0);
    m_gates->show();
    m_noGates->hide();
    setMessage({}, false);
    updateButtons();
}

void PlanPanel::setActionsEnabled(bool enabled)
{
    m_actionsEnabled = enabled;
    updateButtons();
}

void PlanPanel::setRefusals(const QStringList &save, const QStringList &advance)
{
    m_saveRefusals = save;
    m_advanceRefusals = advance;
    updateButtons();
}

void PlanPanel::updateButtons()
{
    const bool can = m_actionsEnabled && m_loaded;
    m_save->setEnabled(m_actionsEnabled);
    m_steps->setEnabled(m_actionsEnabled);
    m_advance->setEnabled(can && m_hasNextStep && m_canAdvance);
    m_overrideReason->setEnabled(can && m_hasNextStep);
    m_override->setEnabled(can && m_hasNextStep && !m_overrideReason->text().trimmed().isEmpty());
    for (QWidget *w : {static_cast<QWidget *>(m_save), static_cast<QWidget *>(m_steps)})
        applyGate(w, m_saveRefusals);
    m_gatesEditor->setEditable(m_actionsEnabled, m_saveRefusals);
    for (QWidget *w : {static_cast<QWidget *>(m_advance), static_cast<QWidget *>(m_overrideReason),
                       static_cast<QWidget *>(m_override)})
        applyGate(w, m_advanceRefusals);
}

// The steps as chips on a line that wraps: a long plan must not widen the page.
void PlanPanel::showSteps(const QList<int> &steps, int current)
{
    QStringList chips;
    for (int i = 0; i < steps.size(); ++i) {
        QString text;
        QString style;
        if (i == current) {
            text = tr("▶ %1 %").arg(steps[i]);
            style = QStringLiteral("background-color: @{accent}; color: white; font-weight: 700;");
        } else if (i < current) {
            text = tr("✓ %1 %").arg(steps[i]);
            style = QStringLiteral("background-color: @{goodSoft}; color: @{good};");
        } else {
            text = tr("%1 %").arg(steps[i]);
            style = QStringLiteral("background-color: @{shade}; color: @{muted};");
        }
        // Non-breaking inside a chip, so that lines break only between chips.
        const QString chip = text.toHtmlEscaped().replace(QLatin1Char(' '), QStringLiteral("&nbsp;"));
        chips.append(themeStyle(QStringLiteral("<span style=\"%1\">&nbsp;%2&nbsp;</span>").arg(style, chip)));
    }
    m_chips->setText(chips.join(QStringLiteral(" → ")));
}

void PlanPanel::showPlan(const PlanStatus &plan)
{
    m_loaded = true;
    m_canAdvance = plan.canAdvance;
    m_hasNextStep = plan.currentStep + 1 < plan.steps.size();
    if (!m_steps->hasFocus()) {
        QStringList parts;
        for (int s : plan.steps)
            parts.append(QString::number(s));
        m_steps->setText(parts.join(QStringLiteral(", ")));
    }
    showSteps(plan.steps, plan.currentStep);

    const QLocale locale;
    m_since->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    if (plan.currentStep < 0) {
        m_since->setText(tr("Not started: Advance moves traffic to the first step."));
    } else {
        QString since;
        if (plan.stepSince.isValid()) {
            const qint64 minutes = plan.stepSince.secsTo(QDateTime::currentDateTimeUtc()) / 60;
            since = tr(" since %1 (%2 h %3 min)")
                        .arg(locale.toString(plan.stepSince.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm")))
                        .arg(minutes / 60)
                        .arg(minutes % 60);
        }
        m_since->setText(tr("On step %1 of %2 (%3 %)%4.")
                             .arg(plan.currentStep + 1)
                             .arg(plan.steps.size())
                             .arg(plan.steps.value(plan.currentStep))
                             .arg(since));
    }
    if (m_hasNextStep) {
        const int next = plan.steps.value(plan.currentStep + 1);
        m_advance->setText(tr("Advance to %1 %").arg(next));
        m_advance->setToolTip(plan.canAdvance ? tr("The gates pass: move to %1 %.").arg(next)
                              : plan.outcome == GateState::Inconclusive
                                  ? tr("Disabled: the gates are inconclusive (see what they wait for). Use Override "
                                       "with a reason.")
                                  : tr("Disabled: the gates fail. Use Override with a reason."));
    } else {
        m_advance->setText(tr("Plan complete"));
        m_advance->setToolTip(tr("The last step is reached."));
    }

    m_gates->setRowCount(int(plan.gates.size()));
    m_noGates->setVisible(plan.gates.isEmpty());
    m_gates->setVisible(!plan.gates.isEmpty());
    int deciding = 0;
    for (const GateStatus &g : plan.gates)
        deciding += plan::requiredGates().contains(g.name) || g.advisory ? 0 : 1;
    m_rule->setVisible(!plan.gates.isEmpty());
    m_rule->setText(tr("Advances once the samples and the soak time are reached and, of the other gates, %1 pass "
                       "(advisory gates are shown, never decide).")
                        .arg(plan.combination.describe(deciding)));
    m_waiting->setVisible(!plan.waitingFor.isEmpty());
    m_waiting->setText(tr("Waiting for: %1").arg(plan.waitingFor.join(QStringLiteral("; "))));
    for (int row = 0; row < plan.gates.size(); ++row) {
        const GateStatus &g = plan.gates.at(row);
        const GateLook look = gateLook(g.name);
        auto *name = new QTableWidgetItem(g.advisory ? tr("%1 (advisory)").arg(look.label) : look.label);
        name->setToolTip(g.name);
        auto *value = new QTableWidgetItem(figureText(g.value, look.format));
        auto *threshold = new QTableWidgetItem(look.format(g.threshold));
        const QString word = g.state == GateState::Pass   ? tr("Pass")
                             : g.state == GateState::Fail ? tr("Fail")
                                                          : tr("Waiting");
        auto *verdict = new QTableWidgetItem(verdictIcon(g.state, g.advisory), word);
        verdict->setForeground(stateColour(g.state, g.advisory));
        verdict->setToolTip(g.state == GateState::Inconclusive ? tr("Inconclusive: %1").arg(g.waiting)
                            : g.advisory                       ? tr("Advisory: shown, never decides.")
                                                               : QString());
        QFont bold = verdict->font();
        bold.setBold(!g.advisory);
        verdict->setFont(bold);
        if (!g.value)
            value->setForeground(stateColour(GateState::Inconclusive));
        for (auto *item : {value, threshold})
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_gates->setItem(row, kGate, name);
        m_gates->setItem(row, kValue, value);
        m_gates->setItem(row, kThreshold, threshold);
        m_gates->setItem(row, kVerdict, verdict);
    }
    updateButtons();
}

void PlanPanel::showLoadError(const QString &message)
{
    clear(tr("Plan not loaded: %1").arg(message));
    m_since->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
}

void PlanPanel::showSaveResult(const Status &status)
{
    if (status)
        setMessage(tr("Steps saved."), false);
    else
        setMessage(status.errorMessage(), true);
}

void PlanPanel::showAdvanceError(const QString &message)
{
    setMessage(tr("Not advanced: %1").arg(message), true);
}

} // namespace mldeck::ui
