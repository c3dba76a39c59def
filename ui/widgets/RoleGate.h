#pragma once

#include "core/store/pg/RolePermissions.h"

#include <optional>

class QWidget;

namespace mldeck::ui {

// Disables w when the connected role may not take action, its tooltip saying which role may
// (RolePermissions::refusal). Call it after the page's own setEnabled, as the last word. Once the role
// may, the tooltip it replaced comes back (unless the page set another meanwhile). Unknown permissions
// (not read yet, PostgreSQL down) change nothing: the database still refuses on its own.
void applyRole(QWidget *w, const std::optional<RolePermissions> &permissions, RoleAction action);

} // namespace mldeck::ui
