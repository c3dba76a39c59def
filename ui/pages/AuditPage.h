#pragma once

#include <QWidget>

namespace mldeck::ui {

class EmptyStateView;

// The append-only audit log (filled by a later issue).
class AuditPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditPage)

public:
    explicit AuditPage(QWidget *parent = nullptr);

private:
    EmptyStateView *m_emptyState = nullptr;
};

} // namespace mldeck::ui
