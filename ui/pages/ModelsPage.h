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

public Q_SLOTS:
    // The registry of deployment with version selected (the Audit page's link to a model change).
    void showVersion(const QString &deployment, const QString &version);

private:
    QTabWidget *m_tabs = nullptr;
    RegistryView *m_registry = nullptr;
    CompareView *m_compare = nullptr;
};

} // namespace mldeck::ui
