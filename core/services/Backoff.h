#pragma once

#include <chrono>

namespace mldeck {

// Reconnect delays: 1, 2, 4, 8, 16, 30, 30 … s. The real wait is the nominal step minus up to 20 %
// random jitter, so that many clients that lost the same server do not come back in lock step,
// and the "next retry in N s" the user reads is never shorter than what happens.
class Backoff final
{
public:
    static constexpr int kMaxSeconds = 30;

    // attempt: 1 for the first retry after a failure.
    static int nominalSeconds(int attempt);
    static std::chrono::milliseconds jittered(int attempt);
};

} // namespace mldeck
