#pragma once

#include <QWidget>

namespace mldeck::ui {

class ConnectionSession;

class EmptyStateView;

// The append-only audit log (not built yet: the page says so).
class AuditPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditPage)

public:
    explicit AuditPage(ConnectionSession &session, QWidget *parent = nullptr);

private:
    EmptyStateView *m_emptyState = nullptr;
};

} // namespace mldeck::ui
