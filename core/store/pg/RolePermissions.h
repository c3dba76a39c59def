#pragma once

#include "core/domain/Result.h"

#include <QCoreApplication>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <array>

namespace mldeck {

class PgConnection;

// A group of settings that the GUI edits as one, and that one set of database privileges guards.
enum class SettingsArea
{
    Deployments,     // create, edit, archive a deployment
    KpiTargets,      // targets and stretch targets (mldeck.kpi_set_targets)
    GuardRules,      // mldeck.guard_rules
    AlertRules,      // mldeck.alert_rules
    Webhook,         // mldeck.alert_webhooks
    DriftSettings,   // the drift settings of a deployment
    RetrainSettings, // mldeck.retrain_settings
    Retention,       // how long the raw rows are kept (mldeck.retention_set_days, mldeck_admin's)
};
inline constexpr int kSettingsAreaCount = int(SettingsArea::Retention) + 1;

// One thing a person does from a page or a verb, guarded by the privileges on what it writes
// (resources/contract/roles.md has the matrix). Deployments' create/edit/archive is SettingsArea::Deployments.
enum class RoleAction
{
    FlagChange,       // flags set / the Rollout page's switches (audit row first; Redis's ACL user on its side)
    Rollback,         // flags rollback
    PlanChange,       // save or start a staged plan (mldeck.rollout_plans)
    PlanAdvance,      // advance a plan, with or without an override
    ModelRegister,    // mldeck.models
    ModelPromote,     // move an alias (mldeck.model_aliases)
    ModelRestore,     // the champion back to the previous one
    ModelArchive,     // archive a version
    RetrainLaunch,    // mldeck.retrain_runs
    RetrainDecide,    // record a run's decision
    AlertAcknowledge, // mldeck.alerts
    AlertSilence,
    FeedbackPurge, // delete old feedback (mldeck_admin, 015_admin_role.sql)
    AuditVerify,   // read the audit log's chain
};
inline constexpr int kRoleActionCount = int(RoleAction::AuditVerify) + 1;

// What the connected PostgreSQL role may change, asked of the database itself (has_table_privilege,
// has_function_privilege, pg_has_role on the objects each area writes): the editors show what the
// database would refuse before the user types, and say which role may. The database still refuses
// on its own; this only explains it ahead of time.
class RolePermissions final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::RolePermissions)

public:
    // Asks the server over conn (one query). An area or action whose objects do not exist (yet) is refused, except
    // to the owner, who creates them (mldeckctl migrate): the write itself then says what is missing.
    static Result<RolePermissions> read(PgConnection &conn);

    // Everything allowed, for code paths with no database to ask (and tests of the editors).
    static RolePermissions everything(const QString &user = {});

    QString user() const { return m_user; } // the session user
    // The MLDeck role of the session: "owner" (superuser or owner of the schema), else the mldeck_*
    // group roles it holds ("mldeck_operator", "mldeck_operator, mldeck_scientist"; "mldeck_admin"
    // alone, as it holds the others), else "none".
    QString role() const { return m_role; }
    // The role as the status bar shows it, translated: "operator", "operator, scientist", "admin", "owner",
    // "no MLDeck role".
    QString roleLabel() const;
    // "alice · operator"
    QString who() const;

    bool mayChange(SettingsArea area) const { return m_may[size_t(area)]; }
    // The MLDeck roles that may change the area ("mldeck_operator"), as the database grants them.
    QStringList rolesThatMay(SettingsArea area) const { return m_rolesThatMay[size_t(area)]; }
    // Empty when allowed, else one translated sentence: "Read-only: your role mldeck_viewer may not
    // change guard rules; mldeck_operator may."
    QString refusal(SettingsArea area) const;

    static QString areaName(SettingsArea area);   // "guard rules", translated
    static QString changeName(SettingsArea area); // "change guard rules", translated (the verb phrase of refusal)

    bool may(RoleAction action) const { return m_mayAct[size_t(action)]; }
    // The least MLDeck roles that may (mldeck_admin only when neither operator nor scientist may).
    QStringList rolesThatMay(RoleAction action) const { return m_rolesThatMayAct[size_t(action)]; }
    // Empty when allowed, else "Read-only: your role mldeck_viewer may not roll back; mldeck_operator may."
    QString refusal(RoleAction action) const;
    static QString actionName(RoleAction action); // "roll back", translated (the verb phrase of refusal)

private:
    QString m_user;
    QString m_role;
    std::array<bool, kSettingsAreaCount> m_may{};
    std::array<QStringList, kSettingsAreaCount> m_rolesThatMay;
    std::array<bool, kRoleActionCount> m_mayAct{};
    std::array<QStringList, kRoleActionCount> m_rolesThatMayAct;
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::RolePermissions)
