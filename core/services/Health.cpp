#include "core/services/Health.h"

#include <QCoreApplication>

namespace mldeck {

QString Health::stateName(State state)
{
    switch (state) {
    case State::Unknown:
        return QCoreApplication::translate("mldeck::Health", "unknown");
    case State::Connecting:
        return QCoreApplication::translate("mldeck::Health", "connecting");
    case State::Up:
        return QCoreApplication::translate("mldeck::Health", "up");
    case State::Down:
        return QCoreApplication::translate("mldeck::Health", "down");
    }
    return {};
}

} // namespace mldeck
