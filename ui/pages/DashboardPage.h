#pragma once

#include <QWidget>

namespace mldeck::ui {

class EmptyStateView;

// The KPI dashboard (filled by a later issue).
class DashboardPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DashboardPage)

public:
    explicit DashboardPage(QWidget *parent = nullptr);

private:
    EmptyStateView *m_emptyState = nullptr;
};

} // namespace mldeck::ui
