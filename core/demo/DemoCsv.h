#pragma once

#include "core/demo/RideDelayGenerator.h"
#include "core/demo/RideOfferGenerator.h"

#include <QByteArray>

namespace mldeck {

// The CSV layout of `mldeckctl demo-data` (and of the training script's input): the feature names in
// schema order, then delay_min (the target) and ts (ISO 8601 UTC with microseconds). Plain values:
// no quoting is ever needed because no value contains a comma.
QByteArray demoCsvHeader();
QByteArray demoCsvLine(const RideRequest &request); // ends with '\n'

// `mldeckctl demo-data --task accept`: the offer features in schema order, then accepted (1 or 0, the
// true class's index) and ts.
QByteArray offerCsvHeader();
QByteArray offerCsvLine(const RideOffer &offer); // ends with '\n'

} // namespace mldeck
