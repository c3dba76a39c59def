#pragma once

#include <QWidget>

class QTabWidget;

namespace mldeck::ui {

class CompareView;
class ConnectionSession;
class RegistryView;

// The Models page: the registry (versions, aliases, promotion) and the offline comparison, as tabs.
class ModelsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelsPage)

public:
    explicit ModelsPage(ConnectionSession &session, QWidget *parent = nullptr);

    RegistryView *registryView() const { return m_registry; }
    CompareView *compareView() const { return m_compare; }

private:
    QTabWidget *m_tabs = nullptr;
    RegistryView *m_registry = nullptr;
    CompareView *m_compare = nullptr;
};

} // namespace mldeck::ui
