#include "core/services/Backoff.h"

#include <QRandomGenerator>

#include <algorithm>

namespace mldeck {

int Backoff::nominalSeconds(int attempt)
{
    if (attempt <= 1)
        return 1;
    const int shift = std::min(attempt - 1, 5); // 2^5 = 32 > 30: no overflow, capped below
    return std::min(1 << shift, kMaxSeconds);
}

std::chrono::milliseconds Backoff::jittered(int attempt)
{
    const double nominalMs = nominalSeconds(attempt) * 1000.0;
    const double factor = 0.8 + 0.2 * QRandomGenerator::global()->generateDouble(); // [0.8, 1.0)
    return std::chrono::milliseconds(static_cast<long long>(nominalMs * factor));
}

} // namespace mldeck
