#pragma once

#include <QPixmap>
#include <QWidget>

class QLabel;

namespace mldeck::ui {

// The layout every page uses until it is built: a header (title and one line of purpose), then,
// centred, an icon, a heading, one honest paragraph and a "not built yet" badge. No figures.
class EmptyStateView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmptyStateView)

public:
    struct Content
    {
        QPixmap glyph;
        QString pageTitle; // header
        QString purpose;   // header subtitle: what the page is for
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
