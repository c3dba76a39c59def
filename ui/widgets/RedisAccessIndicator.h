#pragma once

#include "core/services/RedisAccessService.h"

#include <QLabel>

namespace mldeck::ui {

// Next to the Redis health in the status bar: "Redis read-only" when the connection's ACL user may
// not change flags, "Redis not encrypted" when Redis is not on this machine (hiredis 0.14 has no
// TLS), both when both hold; hidden otherwise. The reason and what to do are in the tooltip.
class RedisAccessIndicator final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisAccessIndicator)

public:
    // Shows what service knows (the connection session's, which follows the active profile).
    explicit RedisAccessIndicator(mldeck::RedisAccessService &service, QWidget *parent = nullptr);

    // Pure formatting, shared with tests: "Redis read-only  ·  Redis not encrypted", or "".
    static QString summary(const mldeck::RedisAccess &access);
    static QString tooltip(const mldeck::RedisAccess &access);

private:
    void display(const mldeck::RedisAccess &access);
};

} // namespace mldeck::ui
