#pragma once

#include <QPixmap>
#include <QWidget>

class QLabel;

namespace mldeck::ui {

// The body of a page that is not built yet (under its PageFrame): centred, an icon, a heading, one
// honest paragraph and a "not built yet" badge. No figures.
class EmptyStateView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmptyStateView)

public:
    struct Content
    {
        QPixmap glyph;
        QString heading;   // centre
        QString paragraph; // centre: what it will show, and that it does not yet
        QString badge;     // e.g. "Not built yet"
    };

    explicit EmptyStateView(const Content &content, QWidget *parent = nullptr);

    QString heading() const;
    QString paragraph() const;

private:
    QLabel *m_heading = nullptr;
    QLabel *m_paragraph = nullptr;
};

} // namespace mldeck::ui
