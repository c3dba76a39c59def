#include "ui/widgets/RoleGate.h"

#include <QVariant>
#include <QWidget>

namespace mldeck::ui {

namespace {
// The refusal this gate put in the widget's tooltip, and the tooltip it replaced.
constexpr const char *kRefusalProperty = "mldeckRoleRefusal";
constexpr const char *kReplacedProperty = "mldeckRoleReplacedToolTip";
} // namespace

void applyRole(QWidget *w, const std::optional<RolePermissions> &permissions, RoleAction action)
{
    const QString why = permissions ? permissions->refusal(action) : QString();
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

} // namespace mldeck::ui
