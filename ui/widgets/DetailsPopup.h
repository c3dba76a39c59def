#pragma once

#include <QFrame>
#include <QList>
#include <QString>

class QGridLayout;
class QLabel;

namespace mldeck::ui {

// The small panel a status-bar indicator opens when clicked: a title and "label  value" rows that stay on
// screen to be read (a tooltip goes when the mouse moves), and a footer that says how fresh they are. Closes
// like any popup (a click elsewhere, Escape); its owner replaces the rows while it is open.
class DetailsPopup final : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DetailsPopup)

public:
    struct Row
    {
        QString label;
        QString value;
        bool warning = false; // drawn in the warning ink: something the user should act on or know
    };

    explicit DetailsPopup(QWidget *anchor);

    void setContent(const QString &title, const QList<Row> &rows, const QString &footer);
    // Shows it just above its anchor (the status bar is at the bottom of the window), kept on the screen.
    void popUp();
    // Title, one "label: value" line per row, footer: what the panel says, for tests.
    QString text() const;

private:
    QWidget *m_anchor = nullptr;
    QLabel *m_title = nullptr;
    QGridLayout *m_rows = nullptr;
    QLabel *m_footer = nullptr;
    QList<Row> m_shown;
};

} // namespace mldeck::ui
