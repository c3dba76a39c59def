#pragma once

#include <QtGlobal>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace mldeck {

// The demo generators' random numbers: xoshiro256** seeded by splitmix64, no std:: distributions, so
// every platform draws the same values from the same seed.
class DemoRandom final
{
public:
    explicit DemoRandom(quint64 seed)
    {
        std::uint64_t s = seed;
        for (auto &word : m_state)
            word = splitmix64(s);
    }

    // [0, 1)
    double uniform()
    {
        const std::uint64_t result = rotl(m_state[1] * 5, 7) * 9;
        const std::uint64_t t = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= t;
        m_state[3] = rotl(m_state[3], 45);
        return double(result >> 11) * 0x1.0p-53;
    }

    // N(0, 1). Box-Muller; the second value is dropped so that every call draws exactly two uniforms.
    double gaussian()
    {
        const double u1 = 1.0 - uniform(); // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }

private:
    static std::uint64_t splitmix64(std::uint64_t &x)
    {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> m_state{};
};

} // namespace mldeck
