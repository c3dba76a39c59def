#pragma once

#include "ui/settings/SettingsEditor.h"

namespace mldeck {
class SettingsService;
} // namespace mldeck

namespace mldeck::ui {

// How long a deployment keeps its raw rows (resources/contract/retention.md): a whole number of days,
// 1 to 3650, or empty for the default (90 days; nothing is then stored for the deployment, so it follows
// the default). The guard drops older raw predictions, outcomes and feedback; the aggregates are kept.
// Changing it is the admin's (SettingsArea::Retention); saved through SettingsService, one audit row
// "deployment.retention" with before and after, as `mldeckctl deployments retention`.
class RetentionEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetentionEditor)

public:
    explicit RetentionEditor(QWidget *parent = nullptr);
    ~RetentionEditor() override;

    static Values valuesOf(const std::optional<int> &days); // empty: the default

protected:
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    SettingsService *m_service = nullptr;
};

} // namespace mldeck::ui
