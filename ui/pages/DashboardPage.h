#pragma once

#include <QWidget>

namespace mldeck::ui {

class ConnectionSession;

class EmptyStateView;

// The KPI dashboard (filled by a later issue).
class DashboardPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DashboardPage)

public:
    explicit DashboardPage(ConnectionSession &session, QWidget *parent = nullptr);

private:
    EmptyStateView *m_emptyState = nullptr;
};

} // namespace mldeck::ui
