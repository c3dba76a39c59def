#pragma once

#include <QWidget>

namespace mldeck::ui {

class ConnectionSession;

class EmptyStateView;

// The retrain wizard and its runs (filled by a later issue).
class RetrainPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainPage)

public:
    explicit RetrainPage(ConnectionSession &session, QWidget *parent = nullptr);

private:
    EmptyStateView *m_emptyState = nullptr;
};

} // namespace mldeck::ui
