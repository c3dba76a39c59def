#pragma once

#include "core/services/RedisAccessService.h"

#include <QLabel>

namespace mldeck {
struct ConnectionProfile;
} // namespace mldeck

namespace mldeck::ui {

// Next to the Redis health in the status bar: "Redis read-only" when the connection's ACL user may
// not change flags, "Redis not encrypted" when Redis is not on this machine (hiredis 0.14 has no
// TLS), both when both hold; hidden otherwise. The reason and what to do are in the tooltip.
class RedisAccessIndicator final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisAccessIndicator)

public:
    explicit RedisAccessIndicator(QWidget *parent = nullptr);

    void connectTo(const mldeck::ConnectionProfile &profile);
    mldeck::RedisAccessService *service() const { return m_service; }

    // Pure formatting, shared with tests: "Redis read-only  ·  Redis not encrypted", or "".
    static QString summary(const mldeck::RedisAccess &access);
    static QString tooltip(const mldeck::RedisAccess &access);

private:
    void display(const mldeck::RedisAccess &access);

    mldeck::RedisAccessService *m_service = nullptr;
};

} // namespace mldeck::ui
