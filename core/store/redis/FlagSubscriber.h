#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Result.h"

#include <QString>

#include <memory>
#include <optional>

namespace mldeck {

class RedisConnection;

// One message on mldeck:flags:changed. deployment is empty when the message could not be
// parsed: the safe reaction is the same, re-read the flags.
struct FlagChangeEvent
{
    QString deployment;
    qint64 version = 0;
};

// Follows the change channel on its own connection (a subscribed connection can do nothing else).
// Pub/sub loses messages while disconnected: after an Error, reconnect and RE-READ the state.
class FlagSubscriber final
{
public:
    static Result<std::unique_ptr<FlagSubscriber>> open(const RedisEndpoint &endpoint); // connects and SUBSCRIBEs
    ~FlagSubscriber();
    FlagSubscriber(const FlagSubscriber &) = delete;
    FlagSubscriber &operator=(const FlagSubscriber &) = delete;

    // Blocks up to timeoutMs. An event, std::nullopt on timeout, or an Error when the connection is lost.
    Result<std::optional<FlagChangeEvent>> waitForChange(int timeoutMs);

    // Parses a channel payload {"deployment":"eta","version":7}; exposed for tests.
    static FlagChangeEvent parseMessage(const QByteArray &payload);

private:
    explicit FlagSubscriber(std::unique_ptr<RedisConnection> conn);
    std::unique_ptr<RedisConnection> m_conn;
};

} // namespace mldeck
