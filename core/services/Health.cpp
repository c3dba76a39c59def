#include "core/services/Health.h"
#include "core/Text.h"

#include <QCoreApplication>

namespace mldeck {

QString Health::stateName(State state)
{
    switch (state) {
    case State::Unknown:
        return ServiceText::tr("unknown");
    case State::Connecting:
        return ServiceText::tr("connecting");
    case State::Up:
        return ServiceText::tr("up");
    case State::Down:
        return ServiceText::tr("down");
    }
    return {};
}

} // namespace mldeck
