#include "ui/pages/audit/AuditLink.h"

#include "core/rollout/AuditRecord.h"

#include <QJsonValue>

namespace mldeck::ui {

namespace {

// The value of key on the after side, else on the before side (a removal keeps it only there).
QJsonValue sideValue(const AuditEntry &e, const QString &key)
{
    if (e.after && e.after->contains(key))
        return e.after->value(key);
    if (e.before && e.before->contains(key))
        return e.before->value(key);
    return {};
}

} // namespace

AuditLink AuditLink::of(const AuditEntry &entry)
{
    AuditLink link;
    link.deployment = entry.deployment;
    link.at = entry.at;
    if (entry.deployment.isEmpty())
        return link;
    if (entry.action.startsWith(QLatin1String("model."))) {
        const QJsonValue version = sideValue(entry, QStringLiteral("version"));
        if (version.isString() && !version.toString().isEmpty()) {
            link.target = Target::ModelVersion;
            link.version = version.toString();
            return link;
        }
    }
    if (entry.action.startsWith(QLatin1String("alert."))) {
        const QJsonValue id = sideValue(entry, QStringLiteral("id"));
        if (id.isDouble() && id.toInteger() > 0) {
            link.target = Target::Alert;
            link.alertId = id.toInteger();
            return link;
        }
    }
    link.target = Target::DashboardMoment;
    return link;
}

QString AuditLink::label() const
{
    switch (target) {
    case Target::ModelVersion:
        return tr("Open model version %1").arg(version);
    case Target::Alert:
        return tr("Open alert %1").arg(alertId);
    case Target::DashboardMoment:
        return tr("Show this moment on the dashboard");
    case Target::None:
        break;
    }
    return {};
}

} // namespace mldeck::ui
