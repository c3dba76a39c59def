#pragma once

#include "core/store/pg/RolePermissions.h"

#include <QStringList>

#include <optional>

class QWidget;

namespace mldeck {
struct RedisAccess;
} // namespace mldeck

namespace mldeck::ui {

// Why the connected role may not take action, saying which role may (RolePermissions::refusal); empty
// when it may or while the permissions are unknown (not read yet, PostgreSQL down: the database still
// refuses on its own).
QString roleRefusal(const std::optional<RolePermissions> &permissions, RoleAction action);

// Why the connection's Redis ACL user may not write (resources/contract/security.md); empty when it
// may or no probe has answered yet.
QString redisRefusal(const RedisAccess &access);

// Disables w when any of reasons applies (empty ones do not), its tooltip giving them. Call it after
// the page's own setEnabled, as the last word, with every reason for w at once. Once none applies,
// the tooltip it replaced comes back (unless the page set another meanwhile).
void applyGate(QWidget *w, const QStringList &reasons);

// applyGate with the role's refusal alone.
void applyRole(QWidget *w, const std::optional<RolePermissions> &permissions, RoleAction action);

} // namespace mldeck::ui
