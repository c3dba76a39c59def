#include "core/simulator/UserFeedback.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <cmath>
#include <iterator>

namespace mldeck {

namespace {

constexpr double kFeedbackToleranceMin = 3.0; // users call a prediction good when it was within 3 minutes
constexpr int kDemoUsers = 5000;

const char *const kNegativeComments[] = {
    "Driver arrived much later than the app said",
    "ETA kept changing",
    "Waited a long time at pickup",
    "",
};

const char *const kWrongClassComments[] = {
    "Driver declined, the offer was shown as a sure accept",
    "Offer went to a driver who never takes airport runs",
    "",
};

// The contract asks backends to pseudonymise user ids with a keyed hash before logging them.
QString pseudonym(int user)
{
    const QByteArray key = QByteArrayLiteral("mldeck-demo-pseudonym-key");
    const QByteArray id = "user-" + QByteArray::number(user);
    return QString::fromLatin1(QMessageAuthenticationCode::hash(id, key, QCryptographicHash::Sha256).toHex().left(32));
}

} // namespace

FeedbackRow userFeedback(const QString &deployment, const QString &requestKey, double predicted, double actual,
                         std::mt19937_64 &rng)
{
    FeedbackRow f;
    f.deployment = deployment;
    f.requestKey = requestKey;
    f.positive = std::abs(predicted - actual) <= kFeedbackToleranceMin;
    if (!f.positive)
        f.comment = QString::fromUtf8(kNegativeComments[rng() % std::size(kNegativeComments)]);
    f.userPseudonym = pseudonym(static_cast<int>(rng() % kDemoUsers));
    return f;
}

FeedbackRow classFeedback(const QString &deployment, const QString &requestKey, bool right, std::mt19937_64 &rng)
{
    FeedbackRow f;
    f.deployment = deployment;
    f.requestKey = requestKey;
    f.positive = right;
    if (!right)
        f.comment = QString::fromUtf8(kWrongClassComments[rng() % std::size(kWrongClassComments)]);
    f.userPseudonym = pseudonym(static_cast<int>(rng() % kDemoUsers));
    return f;
}

} // namespace mldeck
