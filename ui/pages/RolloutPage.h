#pragma once

#include <QWidget>

namespace mldeck::ui {

class ConnectionSession;

class EmptyStateView;

// Rollout flags, staged plans and guardrails (filled by a later issue).
class RolloutPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RolloutPage)

public:
    explicit RolloutPage(ConnectionSession &session, QWidget *parent = nullptr);

private:
    EmptyStateView *m_emptyState = nullptr;
};

} // namespace mldeck::ui
