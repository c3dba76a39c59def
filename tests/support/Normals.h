#pragma once

#include <QtGlobal>

#include <algorithm>
#include <cmath>

namespace mldeck::test {

// Deterministic standard normals (Box–Muller on a 64-bit LCG): the same data on every platform and every
// server version, so that a test's statistical assertions hold everywhere once they hold.
class Normals
{
public:
    explicit Normals(quint64 seed) : m_state(seed * 6364136223846793005ULL + 1442695040888963407ULL) {}
    double next()
    {
        const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
        return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
    }

private:
    double uniform()
    {
        m_state = m_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return double(m_state >> 11) / double(1ULL << 53);
    }
    quint64 m_state;
};

} // namespace mldeck::test
