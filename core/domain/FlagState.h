#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace mldeck {

// The flag set of one deployment as stored in Redis (see resources/contract/flags.md).
struct FlagState
{
    QString deployment;
    bool mlEnabled = false;
    int trafficPercentage = 0;
    bool fallbackOnError = true;
    qint64 version = 0;
    QDateTime updatedAt;
    QString updatedBy;
    // Fields that were missing, out of range or of the wrong type in Redis.
    // A flag set with any invalid field routes nothing to ML.
    QStringList invalidFields;
    bool exists = false;

    bool isValid() const { return exists && invalidFields.isEmpty(); }
    // Contract: ML when enabled and bucket(key) <= percentage; invalid state means ML off.
    bool routesToMl(int bucket) const { return isValid() && mlEnabled && bucket <= trafficPercentage; }
};

} // namespace mldeck
