#include "core/domain/Alert.h"

namespace mldeck {

QString Alert::displayState(const QDateTime &now) const
{
    if (resolved())
        return QStringLiteral("resolved");
    if (silencedAt(now))
        return QStringLiteral("silenced");
    if (acknowledgedAt.isValid())
        return QStringLiteral("acknowledged");
    return QStringLiteral("firing");
}

} // namespace mldeck
