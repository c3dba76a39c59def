#include "core/services/guard/GuardJob.h"

namespace mldeck {

// Not built yet.
std::unique_ptr<GuardJob> makeRolloutGuardJob() { return nullptr; }

} // namespace mldeck
