#pragma once

#include <QString>

namespace mldeck {

// An image a run could not use, and why (missing, unreadable, not an image, truncated): counted and
// reported per key, never a reason to stop the run.
struct SkippedImage
{
    QString key;
    QString reason;
};

} // namespace mldeck
