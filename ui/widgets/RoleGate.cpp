#include "ui/widgets/RoleGate.h"

#include "core/services/RedisAccessService.h"

#include <QCoreApplication>
#include <QVariant>
#include <QWidget>

namespace mldeck::ui {

namespace {
// The reasons this gate put in the widget's tooltip, and the tooltip they replaced.
constexpr const char *kRefusalProperty = "mldeckRoleRefusal";
constexpr const char *kReplacedProperty = "mldeckRoleReplacedToolTip";

class RoleGate
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::RoleGate)

public:
    static QString redisReadOnly(const QString &user)
    {
        return tr("Redis user \"%1\" is read-only: connect as a Redis user allowed to run MLDeck's scripts to "
                  "change flags.")
            .arg(user);
    }
};
} // namespace

QString roleRefusal(const std::optional<RolePermissions> &permissions, RoleAction action)
{
    return permissions ? permissions->refusal(action) : QString();
}

QString redisRefusal(const RedisAccess &access)
{
    return access.known && access.readOnly ? RoleGate::redisReadOnly(access.user) : QString();
}

void applyGate(QWidget *w, const QStringList &reasons)
{
    QStringList applying = reasons;
    applying.removeAll(QString());
    const QString why = applying.join(QLatin1Char('\n'));
    const QString ours = w->property(kRefusalProperty).toString();
    const bool showingOurs = !ours.isEmpty() && w->toolTip() == ours;
    if (!why.isEmpty()) {
        if (!showingOurs)
            w->setProperty(kReplacedProperty, w->toolTip());
        w->setEnabled(false);
        w->setToolTip(why);
    } else if (showingOurs) {
        w->setToolTip(w->property(kReplacedProperty).toString());
    }
    w->setProperty(kRefusalProperty, why);
}

void applyRole(QWidget *w, const std::optional<RolePermissions> &permissions, RoleAction action)
{
    applyGate(w, {roleRefusal(permissions, action)});
}

} // namespace mldeck::ui
