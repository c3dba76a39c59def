#include "core/store/pg/RolePermissions.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

namespace mldeck {

namespace {

// The MLDeck group roles (resources/sql/003_roles.sql, 015_admin_role.sql), as the refusal names them.
const QStringList kGroupRoles = {QStringLiteral("mldeck_viewer"), QStringLiteral("mldeck_operator"),
                                 QStringLiteral("mldeck_scientist"), QStringLiteral("mldeck_admin")};
const QString kAdmin = QStringLiteral("mldeck_admin");

// What changing an area takes, as a SQL condition on the role "who" (the privileges the stores use
// on the real objects; every audited change also inserts its audit row). An object that does not
// exist yields NULL (see RolePermissions::read).
std::string areaCondition(SettingsArea area)
{
    const std::string audit = "has_table_privilege(who, to_regclass('mldeck.audit_log'), 'INSERT')";
    const auto table = [](const char *t, const char *privilege) {
        return std::string("has_table_privilege(who, to_regclass('mldeck.") + t + "'), '" + privilege + "')";
    };
    switch (area) {
    case SettingsArea::Deployments: // column grants (010_deployments.sql)
        return "has_any_column_privilege(who, to_regclass('mldeck.deployments'), 'INSERT') AND "
               "has_any_column_privilege(who, to_regclass('mldeck.deployments'), 'UPDATE') AND " +
               audit;
    case SettingsArea::KpiTargets:
        return "has_function_privilege(who, to_regprocedure('mldeck.kpi_set_targets(text, jsonb)'), 'EXECUTE') AND " +
               audit;
    case SettingsArea::GuardRules:
        return table("guard_rules", "INSERT") + " AND " + table("guard_rules", "UPDATE") + " AND " + audit;
    case SettingsArea::AlertRules:
        return table("alert_rules", "INSERT") + " AND " + table("alert_rules", "UPDATE") + " AND " +
               table("alert_rules", "DELETE") + " AND " + audit;
    case SettingsArea::Webhook:
        return table("alert_webhooks", "INSERT") + " AND " + table("alert_webhooks", "UPDATE") + " AND " + audit;
    case SettingsArea::DriftSettings:
        return "has_function_privilege(who, to_regprocedure('mldeck.drift_set_settings(text, jsonb)'), 'EXECUTE') "
               "AND " +
               audit;
    case SettingsArea::RetrainSettings:
        return table("retrain_settings", "INSERT") + " AND " + table("retrain_settings", "UPDATE") + " AND " + audit;
    case SettingsArea::Retention: // 023_retention.sql
        return "has_function_privilege(who, to_regprocedure('mldeck.retention_set_days(text, integer)'), 'EXECUTE') "
               "AND " +
               audit;
    }
    return "false";
}

// What an action takes, as areaCondition: the privileges the store's statements need on the objects
// they write, the audit row included.
std::string actionCondition(RoleAction action)
{
    const std::string audit = "has_table_privilege(who, to_regclass('mldeck.audit_log'), 'INSERT')";
    const auto table = [](const char *t, const char *privilege) {
        return std::string("has_table_privilege(who, to_regclass('mldeck.") + t + "'), '" + privilege + "')";
    };
    // has_column_privilege raises on a column that does not exist (an older schema): asked only when it does,
    // else NULL, as for a missing object.
    const auto column = [](const char *t, const char *c, const char *privilege) {
        const std::string rel = std::string("to_regclass('mldeck.") + t + "')";
        return std::string("CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ") + rel +
               " AND attname = '" + c + "' AND NOT attisdropped) THEN has_column_privilege(who, " + rel + ", '" + c +
               "', '" + privilege + "') END";
    };
    // An alias moves by INSERT ... ON CONFLICT DO UPDATE, and a champion's move drops its challenger alias.
    const std::string alias = table("model_aliases", "INSERT") + " AND " + table("model_aliases", "UPDATE") + " AND " +
                              table("model_aliases", "DELETE");
    switch (action) {
    case RoleAction::FlagChange:
    case RoleAction::Rollback:
        return audit;
    case RoleAction::PlanChange:
        return table("rollout_plans", "INSERT") + " AND " + table("rollout_plans", "UPDATE") + " AND " + audit;
    case RoleAction::PlanAdvance:
        return table("rollout_plans", "UPDATE") + " AND " + audit;
    case RoleAction::ModelRegister:
        return table("models", "INSERT") + " AND " + table("feature_schemas", "INSERT") + " AND " + audit;
    case RoleAction::ModelPromote:
    case RoleAction::ModelRestore:
        return alias + " AND " + audit;
    case RoleAction::ModelArchive:
        return column("models", "archived", "UPDATE") + " AND " + table("model_aliases", "DELETE") + " AND " + audit;
    case RoleAction::RetrainLaunch:
        return table("retrain_runs", "INSERT") + " AND " + column("retrain_runs", "state", "UPDATE");
    case RoleAction::RetrainDecide:
        return column("retrain_runs", "decision", "UPDATE") + " AND " + audit;
    case RoleAction::AlertAcknowledge:
        return column("alerts", "acknowledged_at", "UPDATE");
    case RoleAction::AlertSilence:
        return column("alerts", "silenced_until", "UPDATE");
    case RoleAction::FeedbackPurge:
        return table("feedback", "DELETE") + " AND " + audit;
    case RoleAction::AuditVerify:
        return table("audit_log", "SELECT");
    }
    return "false";
}

// The refusal names the least roles that may: the admin holds operator and scientist, so it is named
// only for what those may not do.
QStringList leastRoles(QStringList roles)
{
    if (roles.size() > 1)
        roles.removeAll(kAdmin);
    return roles;
}

QString refusalSentence(const QString &role, const QString &what, const QStringList &may)
{
    if (may.isEmpty())
        return RolePermissions::tr("Read-only: your role %1 may not %2; only the owner of the MLDeck schema may.")
            .arg(role, what);
    return RolePermissions::tr("Read-only: your role %1 may not %2; %3 may.")
        .arg(role, what, may.join(RolePermissions::tr(" or ", "between role names")));
}

} // namespace

Result<RolePermissions> RolePermissions::read(PgConnection &conn)
{
    // One row per subject: the session's role, then each MLDeck group role; one column per area, then
    // one per action.
    std::string sql = "SELECT who, ord = 0";
    for (int a = 0; a < kSettingsAreaCount; ++a)
        sql += ", " + areaCondition(SettingsArea(a));
    for (int a = 0; a < kRoleActionCount; ++a)
        sql += ", " + actionCondition(RoleAction(a));
    sql += " FROM (SELECT current_user::text AS who, 0 AS ord UNION ALL "
           "SELECT rolname::text, 1 FROM pg_roles WHERE rolname IN ('mldeck_viewer', 'mldeck_operator', "
           "'mldeck_scientist', 'mldeck_admin')) s ORDER BY ord, who";
    try {
        pqxx::read_transaction tx(pg::raw(conn));
        RolePermissions p;
        const pqxx::row who = tx.exec1(
            "SELECT current_user::text, r.rolsuper OR coalesce(pg_has_role(current_user, n.nspowner, 'MEMBER'), "
            "false), "
            "pg_has_role(current_user, 'mldeck_viewer', 'MEMBER'), pg_has_role(current_user, 'mldeck_operator', "
            "'MEMBER'), pg_has_role(current_user, 'mldeck_scientist', 'MEMBER'), "
            "coalesce(pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = 'mldeck_admin'), "
            "'MEMBER'), false) "
            "FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = 'mldeck' WHERE r.rolname = current_user");
        p.m_user = pg::text(who[0]);
        QStringList held;
        for (int i = 0; i < kGroupRoles.size(); ++i)
            if (who[2 + i].as<bool>())
                held << kGroupRoles.at(i);
        if (held.contains(kAdmin)) // the admin holds the others
            held = QStringList{kAdmin};
        if (held.size() > 1) // operators and scientists are viewers too: name what they add
            held.removeAll(kGroupRoles.first());
        const bool owner = who[1].as<bool>();
        p.m_role = owner ? QStringLiteral("owner")
                         : (held.isEmpty() ? QStringLiteral("none") : held.join(QStringLiteral(", ")));
        // NULL: an object the condition needs does not exist (a database not migrated yet, an older schema).
        // Nobody may then, except the owner: no privilege refuses it (it creates what is missing with mldeckctl
        // migrate), and its write says what is missing; a rollback spools its audit row. Refusing the owner
        // disabled even Rollback with "your role owner may not roll back; only the owner ... may".
        const auto allowed = [owner](const pqxx::field &f, bool isSession) {
            return f.is_null() ? isSession && owner : f.as<bool>();
        };

        const pqxx::result rows = tx.exec(sql);
        for (const pqxx::row &row : rows) {
            const QString subject = pg::text(row[0]);
            const bool isSession = row[1].as<bool>();
            for (int a = 0; a < kSettingsAreaCount; ++a) {
                const bool may = allowed(row[2 + a], isSession);
                if (isSession)
                    p.m_may[size_t(a)] = may;
                else if (may)
                    p.m_rolesThatMay[size_t(a)] << subject;
            }
            for (int a = 0; a < kRoleActionCount; ++a) {
                const bool may = allowed(row[2 + kSettingsAreaCount + a], isSession);
                if (isSession)
                    p.m_mayAct[size_t(a)] = may;
                else if (may)
                    p.m_rolesThatMayAct[size_t(a)] << subject;
            }
        }
        for (QStringList &roles : p.m_rolesThatMay)
            roles = leastRoles(roles);
        for (QStringList &roles : p.m_rolesThatMayAct)
            roles = leastRoles(roles);
        return p;
    } catch (const std::exception &e) {
        return pg::toError(e, conn.endpoint(), StoreText::tr("reading what your role may change"));
    }
}

RolePermissions RolePermissions::everything(const QString &user)
{
    RolePermissions p;
    p.m_user = user;
    p.m_role = QStringLiteral("owner");
    p.m_may.fill(true);
    p.m_mayAct.fill(true);
    return p;
}

QString RolePermissions::roleLabel() const
{
    if (m_role == QLatin1String("owner"))
        return tr("owner");
    if (m_role == QLatin1String("none") || m_role.isEmpty())
        return tr("no MLDeck role");
    QStringList names;
    for (const QString &r : m_role.split(QStringLiteral(", "))) {
        if (r == QLatin1String("mldeck_viewer"))
            names << tr("viewer");
        else if (r == QLatin1String("mldeck_operator"))
            names << tr("operator");
        else if (r == QLatin1String("mldeck_scientist"))
            names << tr("scientist");
        else if (r == QLatin1String("mldeck_admin"))
            names << tr("admin");
        else
            names << r;
    }
    return names.join(QStringLiteral(", "));
}

QString RolePermissions::who() const
{
    return tr("%1 · %2", "user · MLDeck role").arg(m_user, roleLabel());
}

QString RolePermissions::refusal(SettingsArea area) const
{
    if (mayChange(area))
        return {};
    const QString role = m_role == QLatin1String("none") ? m_user : m_role;
    return refusalSentence(role, changeName(area), rolesThatMay(area));
}

QString RolePermissions::refusal(RoleAction action) const
{
    if (may(action))
        return {};
    const QString role = m_role == QLatin1String("none") ? m_user : m_role;
    return refusalSentence(role, actionName(action), rolesThatMay(action));
}

QString RolePermissions::actionName(RoleAction action)
{
    switch (action) {
    case RoleAction::FlagChange:
        return tr("change flags");
    case RoleAction::Rollback:
        return tr("roll back");
    case RoleAction::PlanChange:
        return tr("change the rollout plan");
    case RoleAction::PlanAdvance:
        return tr("advance the rollout plan");
    case RoleAction::ModelRegister:
        return tr("register models");
    case RoleAction::ModelPromote:
        return tr("promote models");
    case RoleAction::ModelRestore:
        return tr("restore the previous champion");
    case RoleAction::ModelArchive:
        return tr("archive models");
    case RoleAction::RetrainLaunch:
        return tr("launch retraining");
    case RoleAction::RetrainDecide:
        return tr("decide on a retrain run");
    case RoleAction::AlertAcknowledge:
        return tr("acknowledge alerts");
    case RoleAction::AlertSilence:
        return tr("silence alerts");
    case RoleAction::FeedbackPurge:
        return tr("purge feedback");
    case RoleAction::AuditVerify:
        return tr("verify the audit log");
    }
    return {};
}

QString RolePermissions::changeName(SettingsArea area)
{
    switch (area) {
    case SettingsArea::Deployments:
        return tr("change deployments");
    case SettingsArea::KpiTargets:
        return tr("change KPI targets");
    case SettingsArea::GuardRules:
        return tr("change guard rules");
    case SettingsArea::AlertRules:
        return tr("change alert rules");
    case SettingsArea::Webhook:
        return tr("change the webhook");
    case SettingsArea::DriftSettings:
        return tr("change drift settings");
    case SettingsArea::RetrainSettings:
        return tr("change retrain settings");
    case SettingsArea::Retention:
        return tr("change the retention");
    }
    return {};
}

QString RolePermissions::areaName(SettingsArea area)
{
    switch (area) {
    case SettingsArea::Deployments:
        return tr("deployments");
    case SettingsArea::KpiTargets:
        return tr("KPI targets");
    case SettingsArea::GuardRules:
        return tr("guard rules");
    case SettingsArea::AlertRules:
        return tr("alert rules");
    case SettingsArea::Webhook:
        return tr("the webhook");
    case SettingsArea::DriftSettings:
        return tr("drift settings");
    case SettingsArea::RetrainSettings:
        return tr("retrain settings");
    case SettingsArea::Retention:
        return tr("the retention");
    }
    return {};
}

} // namespace mldeck
