#pragma once

#include <QPushButton>

namespace mldeck::ui {

// A push button whose text wraps onto more lines when the layout gives it less width than one line
// needs (long translations), instead of forcing its column, and the page, wider.
class WrappingButton final : public QPushButton
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WrappingButton)

public:
    explicit WrappingButton(const QString &text, QWidget *parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QSize withPadding(QSize text) const;  // the button's size around a text block of this size
    QSize textBlock(int textWidth) const; // the wrapped text's size at this width
};

} // namespace mldeck::ui
