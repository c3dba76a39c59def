#pragma once

#include <QColor>
#include <QWidget>

namespace mldeck::ui {

// The coloured dot in front of a status-bar indicator (Redis, PostgreSQL, the standby): one look for all.
class StatusDot final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatusDot)

public:
    explicit StatusDot(QWidget *parent = nullptr);
    void setColor(const QColor &color);
    QColor color() const { return m_color; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QColor m_color;
};

} // namespace mldeck::ui
