#pragma once

#include "core/config/Endpoints.h"

#include <QList>
#include <QTabWidget>

#include <optional>

namespace mldeck::ui {

class ConnectionSession;
class SettingsEditor;

// Every settings editor of a deployment, one tab each (KPI targets, guard rules, webhook, alert
// rules, drift, retrain, retention). Follows the session's active profile; setDeployment() reloads every tab.
// A new editor is one addEditor() line in the constructor.
class SettingsTabs final : public QTabWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsTabs)

public:
    // Without a session the endpoint is given with setEndpoint() (tests).
    explicit SettingsTabs(ConnectionSession *session, QWidget *parent = nullptr);
    ~SettingsTabs() override;

    void setEndpoint(const std::optional<PgEndpoint> &pg);
    void setDeployment(const QString &deployment);
    QString deployment() const { return m_deployment; }

    QList<SettingsEditor *> editors() const { return m_editors; }
    bool hasUnsavedChanges() const; // some editor is dirty

private:
    void addEditor(SettingsEditor *editor);
    void updateTabTitle(SettingsEditor *editor); // a dirty editor's title ends with " *"

    QString m_deployment;
    QList<SettingsEditor *> m_editors;
};

} // namespace mldeck::ui
