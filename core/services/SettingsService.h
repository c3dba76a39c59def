#pragma once

#include "core/domain/AlertRule.h"
#include "core/domain/Kpi.h"
#include "core/rollout/GuardStateMachine.h"
#include "core/services/PgService.h"
#include "core/store/pg/RolePermissions.h"

#include <optional>

namespace mldeck {

// The settings of one deployment that the settings editors change, each request answered by one
// signal with a Result (a load's names the deployment it read, so an editor can drop a stale one). Every save is
// audited by its store (one audit row, before and after, in the save's transaction); the database refuses what the role
// may not change.
class SettingsService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsService)

public:
    explicit SettingsService(QObject *parent = nullptr);
    ~SettingsService() override;

    void readPermissions(); // -> permissionsRead

    void loadKpiTargets(const QString &deployment);                            // -> kpiTargetsLoaded
    void saveKpiTargets(const QString &deployment, const KpiTargets &targets); // -> kpiTargetsSaved

    // Whether the deployment is a classifier (editors then show its classification fields).
    void loadClassifier(const QString &deployment);                          // -> classifierLoaded
    void loadGuardRules(const QString &deployment);                          // -> guardRulesLoaded
    void saveGuardRules(const QString &deployment, const GuardRules &rules); // -> guardRulesSaved

    // No webhook yet: nullopt. Operators and scientists read the URL; viewers see it empty.
    void loadWebhook(const QString &deployment);                                  // -> webhookLoaded
    void saveWebhook(const QString &deployment, const WebhookSettings &settings); // -> webhookSaved
    void sendTestWebhook(const QString &deployment); // -> webhookTested: the stored URL, one test event

    // How long the deployment's raw rows are kept (resources/contract/retention.md): its own number of days, nullopt
    // for the default (kDefaultRetentionDays). Saving it is the admin's; audited "deployment.retention".
    static constexpr int kDefaultRetentionDays = 90;
    static QString retentionProblem(qint64 days);  // empty when days is an acceptable retention, else why not
    void loadRetention(const QString &deployment); // -> retentionLoaded
    void saveRetention(const QString &deployment, std::optional<int> days); // -> retentionSaved

Q_SIGNALS:
    void permissionsRead(const mldeck::Result<mldeck::RolePermissions> &permissions);
    void kpiTargetsLoaded(const QString &deployment, const mldeck::Result<mldeck::KpiTargets> &targets);
    void kpiTargetsSaved(const mldeck::Result<mldeck::KpiTargets> &targets);
    void classifierLoaded(const QString &deployment, const mldeck::Result<bool> &classifier);
    void guardRulesLoaded(const QString &deployment, const mldeck::Result<mldeck::GuardRules> &rules);
    void guardRulesSaved(const mldeck::Result<mldeck::GuardRules> &rules);
    void webhookLoaded(const QString &deployment,
                       const mldeck::Result<std::optional<mldeck::WebhookSettings>> &settings);
    void webhookSaved(const mldeck::Result<mldeck::WebhookSettings> &settings);
    void webhookTested(const mldeck::Result<QString> &outcome); // what happened, for the user
    void retentionLoaded(const QString &deployment, const mldeck::Result<std::optional<int>> &days);
    void retentionSaved(const mldeck::Result<std::optional<int>> &days);
};

} // namespace mldeck
