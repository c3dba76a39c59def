#pragma once

#include "core/domain/FlagState.h"

#include <QByteArrayView>
#include <QString>

namespace mldeck {

// MurmurHash3 x86 32-bit (Austin Appleby's reference algorithm, little-endian blocks).
quint32 murmur3_x86_32(QByteArrayView data, quint32 seed = 0);

// The contract's bucket of a request key, 1..100 (resources/contract/bucketing.md):
// murmur3_x86_32(UTF-8 "<deployment>:<requestKey>", 0) % 100 + 1, as Unleash's gradual rollout.
int bucket(const QString &deployment, const QString &requestKey);

// Whether the request goes to ML: flags valid, ML enabled and bucket <= percentage.
bool routesToMl(const FlagState &flags, const QString &requestKey);

} // namespace mldeck
