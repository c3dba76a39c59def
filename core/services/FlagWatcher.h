#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/FlagState.h"

#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace mldeck {

// Follows one deployment's flags live on its own thread: subscribes to the change channel,
// re-reads on every message, after every reconnect (pub/sub loses messages while disconnected)
// and every 30 s as a safety net. Callbacks run on the watcher's thread.
// Stopping never blocks the caller: the thread finishes its current call (at most the Redis
// timeout) and exits by itself. A callback may still be running while stop() returns, so
// callers marshal results through a guard of their own (RolloutService checks a QPointer and a
// watch generation on its own thread).
class FlagWatcher final
{
public:
    using StateCallback = std::function<void(const FlagState &state, const QString &changeId)>;
    using ProblemCallback = std::function<void(const QString &message)>;

    FlagWatcher(RedisEndpoint endpoint, QString deployment, StateCallback onState, ProblemCallback onProblem);
    ~FlagWatcher(); // = stop()
    FlagWatcher(const FlagWatcher &) = delete;
    FlagWatcher &operator=(const FlagWatcher &) = delete;

    void stop();

private:
    struct Shared;
    std::shared_ptr<Shared> m_shared;
};

} // namespace mldeck
