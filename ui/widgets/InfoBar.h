#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace mldeck::ui {

// A dismissable message across the top of the content (keychain unavailable, restart needed, ...):
// says what is wrong without a modal dialog, so nothing blocks and screenshots stay clean.
class InfoBar final : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InfoBar)

public:
    enum class Kind
    {
        Info,
        Warning
    };

    explicit InfoBar(QWidget *parent = nullptr);

    // actionText empty: no action button.
    void showMessage(const QString &text, Kind kind, const QString &actionText = {});
    QString text() const;

Q_SIGNALS:
    void actionTriggered();

private:
    QLabel *m_text = nullptr;
    QPushButton *m_action = nullptr;
};

} // namespace mldeck::ui
