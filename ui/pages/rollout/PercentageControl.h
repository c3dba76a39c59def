#pragma once

#include <QStringList>
#include <QTimer>
#include <QWidget>

class QLabel;
class QSlider;
class QSpinBox;
class QPushButton;

namespace mldeck::ui {

// The ML traffic percentage: slider, spin box and presets 0/10/25/50/100.
// committed() fires exactly once per user decision — a slider release, a preset click, a spin box
// commit (Enter or leaving it) or, for keyboard/groove steps on the slider, once they settle —
// never while a drag is in progress, so a drag cannot send dozens of writes. previewed() follows
// every intermediate value (the page debounces what it does with it).
class PercentageControl final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PercentageControl)

public:
    static constexpr int kSettleMs = 700; // keyboard / page steps: commit once the user pauses
    static constexpr int kPresets[] = {0, 10, 25, 50, 100};

    explicit PercentageControl(QWidget *parent = nullptr);

    // Shows a value read back from Redis; emits nothing and cancels a pending settle.
    void setValue(int percentage);
    int value() const;
    // The stored value is unreadable: the spin box shows "invalid" instead of a number.
    void setInvalid(bool invalid);
    bool isInvalid() const { return m_invalid; }

    QSlider *slider() const { return m_slider; }
    QSpinBox *spinBox() const { return m_spin; }
    QPushButton *presetButton(int percentage) const;
    // Why the percentage may not be changed, empty ones not applying: the slider, spin box and
    // presets are disabled and say why (the control's own enabled state still governs them all).
    void setRefusals(const QStringList &reasons);

Q_SIGNALS:
    void previewed(int percentage);
    void committed(int percentage);

private:
    void showValue(int percentage, bool fromSlider);
    void commit(int percentage);

    QSlider *m_slider = nullptr;
    QSpinBox *m_spin = nullptr;
    QList<QPushButton *> m_presets;
    QTimer m_settle;
    bool m_invalid = false;
    bool m_programmatic = false;
};

} // namespace mldeck::ui
