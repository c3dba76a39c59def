#pragma once

#include <QAbstractButton>

namespace mldeck::ui {

// An on/off switch (a checkable button painted as a pill) with a third look, "invalid", for a
// flag whose value in Redis could not be read: it then shows neither on nor off.
class ToggleSwitch final : public QAbstractButton
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ToggleSwitch)

public:
    explicit ToggleSwitch(QWidget *parent = nullptr);

    void setInvalid(bool invalid);
    bool isInvalid() const { return m_invalid; }
    // Sets the position without emitting clicked/toggled (a read-back, not a user action).
    void setCheckedSilently(bool checked);

    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void nextCheckState() override;

private:
    bool m_invalid = false;
};

} // namespace mldeck::ui
