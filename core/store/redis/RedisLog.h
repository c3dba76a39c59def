#pragma once

#include <QLoggingCategory>

namespace mldeck {
Q_DECLARE_LOGGING_CATEGORY(lcRedis) // "mldeck.store.redis"
}
