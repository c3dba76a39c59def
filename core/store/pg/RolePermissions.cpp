#include "core/store/pg/RolePermissions.h"

#include "core/Text.h"
#include "core/store/pg/PgConnectionInternal.h"

namespace mldeck {

namespace {

// The MLDeck group roles (resources/sql/003_roles.sql), as the refusal names them.
const QStringList kGroupRoles = {QStringLiteral("mldeck_viewer"), QStringLiteral("mldeck_operator"),
                                 QStringLiteral("mldeck_scientist")};

// What changing an area takes, as a SQL condition on the role "who" (the privileges the stores use
// on the real objects; every audited change also inserts its audit row). An object that does not
// exist yields NULL, read as "may not".
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
    }
    return "false";
}

} // namespace

Result<RolePermissions> RolePermissions::read(PgConnection &conn)
{
    // One row per subject: the session's role, then each MLDeck group role; one column per area.
    std::string sql = "SELECT who, ord = 0";
    for (int a = 0; a < kSettingsAreaCount; ++a)
        sql += ", coalesce(" + areaCondition(SettingsArea(a)) + ", false)";
    sql += " FROM (SELECT current_user::text AS who, 0 AS ord UNION ALL "
           "SELECT rolname::text, 1 FROM pg_roles WHERE rolname IN ('mldeck_viewer', 'mldeck_operator', "
           "'mldeck_scientist')) s ORDER BY ord, who";
    try {
        pqxx::read_transaction tx(pg::raw(conn));
        RolePermissions p;
        const pqxx::row who = tx.exec1(
            "SELECT current_user::text, r.rolsuper OR coalesce(pg_has_role(current_user, n.nspowner, 'MEMBER'), "
            "false), "
            "pg_has_role(current_user, 'mldeck_viewer', 'MEMBER'), pg_has_role(current_user, 'mldeck_operator', "
            "'MEMBER'), pg_has_role(current_user, 'mldeck_scientist', 'MEMBER') "
            "FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = 'mldeck' WHERE r.rolname = current_user");
        p.m_user = pg::text(who[0]);
        QStringList held;
        for (int i = 0; i < kGroupRoles.size(); ++i)
            if (who[2 + i].as<bool>())
                held << kGroupRoles.at(i);
        if (held.size() > 1) // operators and scientists are viewers too: name what they add
            held.removeAll(kGroupRoles.first());
        p.m_role = who[1].as<bool>() ? QStringLiteral("owner")
                                     : (held.isEmpty() ? QStringLiteral("none") : held.join(QStringLiteral(", ")));

        const pqxx::result rows = tx.exec(sql);
        for (const pqxx::row &row : rows) {
            const QString subject = pg::text(row[0]);
            const bool isSession = row[1].as<bool>();
            for (int a = 0; a < kSettingsAreaCount; ++a) {
                const bool may = row[2 + a].as<bool>();
                if (isSession)
                    p.m_may[size_t(a)] = may;
                else if (may)
                    p.m_rolesThatMay[size_t(a)] << subject;
            }
        }
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
    return p;
}

QString RolePermissions::refusal(SettingsArea area) const
{
    if (mayChange(area))
        return {};
    const QString role = m_role == QLatin1String("none") ? m_user : m_role;
    const QStringList may = rolesThatMay(area);
    if (may.isEmpty())
        return tr("Read-only: your role %1 may not change %2; only the owner of the MLDeck schema may.")
            .arg(role, areaName(area));
    return tr("Read-only: your role %1 may not change %2; %3 may.")
        .arg(role, areaName(area), may.join(tr(" or ", "between role names")));
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
    }
    return {};
}

} // namespace mldeck
