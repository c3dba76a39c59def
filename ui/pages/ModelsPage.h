#pragma once

#include <QWidget>

namespace mldeck::ui {

class ConnectionSession;

class EmptyStateView;

// The model registry (filled by a later issue).
class ModelsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelsPage)

public:
    explicit ModelsPage(ConnectionSession &session, QWidget *parent = nullptr);

private:
    EmptyStateView *m_emptyState = nullptr;
};

} // namespace mldeck::ui
