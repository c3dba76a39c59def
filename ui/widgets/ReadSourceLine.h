#pragma once

#include "core/services/ReadSource.h"

#include <QLabel>

namespace mldeck::ui {

// The line under a page's state that says where its figures were read: the standby and its lag, or the
// notice that the read replica does not answer and the primary is read instead. Hidden without a read
// replica. One widget, so that the dashboard and the drift page say it the same way.
class ReadSourceLine final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReadSourceLine)

public:
    explicit ReadSourceLine(QWidget *parent = nullptr);

    void showSource(const ReadSource &source);
    // The text shown, "" while hidden (no read replica).
    QString shownText() const;
};

} // namespace mldeck::ui
