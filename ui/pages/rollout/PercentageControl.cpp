#include "ui/pages/rollout/PercentageControl.h"

#include "ui/Theme.h"
#include "ui/widgets/RoleGate.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {
// The spin box's minimum shows as "invalid" (special value text); real values are 0..100.
constexpr int kInvalidSpinValue = -1;
} // namespace

PercentageControl::PercentageControl(QWidget *parent) : QWidget(parent)
{
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(QStringLiteral("percentageSlider"));
    m_slider->setRange(0, 100);
    m_slider->setSingleStep(1);
    m_slider->setPageStep(5);
    m_slider->setTickPosition(QSlider::TicksBelow);
    m_slider->setTickInterval(10);
    m_slider->setMinimumWidth(260);
    m_slider->setAccessibleName(tr("ML traffic percentage"));

    m_spin = new QSpinBox(this);
    m_spin->setObjectName(QStringLiteral("percentageSpin"));
    m_spin->setRange(kInvalidSpinValue, 100);
    m_spin->setSpecialValueText(tr("invalid"));
    m_spin->setSuffix(tr(" %"));
    m_spin->setKeyboardTracking(false);
    m_spin->setAccelerated(false);
    m_spin->setMinimumWidth(90);
    m_spin->setAccessibleName(tr("ML traffic percentage"));
    m_spin->setToolTip(tr("Type a value and press Enter to apply it."));

    auto *presets = new QHBoxLayout;
    presets->setSpacing(6);
    presets->addWidget(new QLabel(tr("Presets:"), this));
    for (int p : kPresets) {
        auto *b = new QPushButton(tr("%1 %").arg(p), this);
        b->setObjectName(QStringLiteral("preset%1").arg(p));
        b->setProperty("percentage", p);
        b->setMinimumWidth(56);
        b->setToolTip(tr("Send %1 % of traffic to the model").arg(p));
        connect(b, &QPushButton::clicked, this, [this, p] {
            showValue(p, false);
            commit(p);
        });
        presets->addWidget(b);
        m_presets.append(b);
    }
    presets->addStretch(1);

    auto *row = new QHBoxLayout;
    row->addWidget(m_slider, 1);
    row->addWidget(m_spin);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addLayout(row);
    layout->addLayout(presets);

    m_settle.setSingleShot(true);
    m_settle.setInterval(kSettleMs);
    connect(&m_settle, &QTimer::timeout, this, [this] { commit(m_slider->value()); });

    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        if (m_programmatic)
            return;
        showValue(v, true);
        // A drag commits on release only; steps from the keyboard or the groove commit once they settle.
        if (!m_slider->isSliderDown())
            m_settle.start();
    });
    connect(m_slider, &QSlider::sliderPressed, &m_settle, &QTimer::stop);
    connect(m_slider, &QSlider::sliderReleased, this, [this] {
        m_settle.stop();
        commit(m_slider->value());
    });
    // keyboardTracking is off: valueChanged means Enter, focus out or an arrow step.
    connect(m_spin, &QSpinBox::valueChanged, this, [this](int v) {
        if (m_programmatic || v == kInvalidSpinValue)
            return;
        showValue(v, false);
        commit(v);
    });
}

QPushButton *PercentageControl::presetButton(int percentage) const
{
    for (QPushButton *b : m_presets)
        if (b->property("percentage").toInt() == percentage)
            return b;
    return nullptr;
}

void PercentageControl::setRefusals(const QStringList &reasons)
{
    QList<QWidget *> actions{m_slider, m_spin};
    for (QPushButton *b : m_presets)
        actions << b;
    for (QWidget *w : actions) {
        w->setEnabled(true); // the gate below has the last word
        applyGate(w, reasons);
    }
}

void PercentageControl::setValue(int percentage)
{
    m_settle.stop();
    m_programmatic = true;
    m_slider->setValue(percentage);
    m_spin->setValue(m_invalid ? kInvalidSpinValue : percentage);
    m_programmatic = false;
}

int PercentageControl::value() const
{
    return m_slider->value();
}

void PercentageControl::setInvalid(bool invalid)
{
    m_invalid = invalid;
    m_programmatic = true;
    if (invalid)
        m_spin->setValue(kInvalidSpinValue);
    else if (m_spin->value() == kInvalidSpinValue)
        m_spin->setValue(m_slider->value());
    m_programmatic = false;
    m_spin->setStyleSheet(
        invalid ? themeStyle(QStringLiteral("QSpinBox { color: @{bad}; font-weight: 700; background: @{badSoft}; }"))
                : QString());
}

void PercentageControl::showValue(int percentage, bool fromSlider)
{
    m_programmatic = true;
    if (fromSlider)
        m_spin->setValue(percentage);
    else
        m_slider->setValue(percentage);
    m_programmatic = false;
    Q_EMIT previewed(percentage);
}

void PercentageControl::commit(int percentage)
{
    m_settle.stop();
    Q_EMIT committed(percentage);
}

} // namespace mldeck::ui
