#pragma once

#include "core/domain/Prediction.h"

#include <random>

namespace mldeck {

// How the demo's riders judge a prediction once the ride is over: good when it was within 3 minutes,
// with a comment now and then when it was not, from one of 5000 pseudonymised users. Shared by the live
// reference backend and the demo's back-dated history so that both give the same feedback.
FeedbackRow userFeedback(const QString &deployment, const QString &requestKey, double predicted, double actual,
                         std::mt19937_64 &rng);

// The same for a classifier: a dispatcher marks a served class right or wrong once the driver has answered,
// with a comment now and then when it was wrong.
FeedbackRow classFeedback(const QString &deployment, const QString &requestKey, bool right, std::mt19937_64 &rng);

} // namespace mldeck
