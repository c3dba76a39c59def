#include "core/rollout/Bucketing.h"

namespace mldeck {

namespace {

constexpr quint32 rotl32(quint32 x, int r)
{
    return (x << r) | (x >> (32 - r));
}

constexpr quint32 fmix32(quint32 h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bU;
    h ^= h >> 13;
    h *= 0xc2b2ae35U;
    h ^= h >> 16;
    return h;
}

} // namespace

quint32 murmur3_x86_32(QByteArrayView data, quint32 seed)
{
    constexpr quint32 c1 = 0xcc9e2d51U;
    constexpr quint32 c2 = 0x1b873593U;
    const auto *bytes = reinterpret_cast<const unsigned char *>(data.data());
    const qsizetype len = data.size();
    const qsizetype nblocks = len / 4;
    quint32 h = seed;

    // Blocks are read as little-endian regardless of the host, so every platform agrees.
    for (qsizetype i = 0; i < nblocks; ++i) {
        const unsigned char *p = bytes + i * 4;
        quint32 k = quint32(p[0]) | (quint32(p[1]) << 8) | (quint32(p[2]) << 16) | (quint32(p[3]) << 24);
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xe6546b64U;
    }

    const unsigned char *tail = bytes + nblocks * 4;
    quint32 k = 0;
    switch (len & 3) {
    case 3:
        k ^= quint32(tail[2]) << 16;
        [[fallthrough]];
    case 2:
        k ^= quint32(tail[1]) << 8;
        [[fallthrough]];
    case 1:
        k ^= quint32(tail[0]);
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }

    h ^= quint32(len);
    return fmix32(h);
}

int bucket(const QString &deployment, const QString &requestKey)
{
    const QByteArray input = (deployment + QLatin1Char(':') + requestKey).toUtf8();
    return int(murmur3_x86_32(input, 0) % 100U) + 1;
}

bool routesToMl(const FlagState &flags, const QString &requestKey)
{
    return flags.routesToMl(bucket(flags.deployment, requestKey));
}

} // namespace mldeck
