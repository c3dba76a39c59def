#include "core/domain/RetrainRun.h"
#include "core/Text.h"
#include "core/domain/Figure.h"

#include <QCoreApplication>

#include <type_traits>

namespace mldeck {

namespace {

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

} // namespace

QJsonObject RetrainSettings::toJson() const
{
    return {{QStringLiteral("windowDays"), windowDays},
            {QStringLiteral("minFeedback"), double(minFeedback)},
            {QStringLiteral("minNegative"), double(minNegative)},
            {QStringLiteral("satisfactionBelow"), satisfactionBelow},
            {QStringLiteral("onDriftAlert"), onDriftAlert},
            {QStringLiteral("onMaeAboveTarget"), onMaeAboveTarget},
            {QStringLiteral("autoRetrain"), autoRetrain},
            {QStringLiteral("autoPromote"), autoPromote},
            {QStringLiteral("checkIntervalMinutes"), checkIntervalMinutes},
            {QStringLiteral("minImprovement"), minImprovement},
            {QStringLiteral("classificationMetric"), classificationMetric},
            {QStringLiteral("feedbackRetentionDays"), feedbackRetentionDays},
            {QStringLiteral("image_augmentation"), imageAugmentation.toJson()}};
}

// Missing keys keep their defaults; a key of the wrong type or out of range refuses the whole object
// (the defaults are returned and *error names the key), so a bad row never half-applies.
RetrainSettings RetrainSettings::fromJson(const QJsonObject &o, QString *error)
{
    RetrainSettings s;
    QString problem;
    const auto number = [&](const char *key, double lo, double hi, auto &target) {
        const QString k = QString::fromLatin1(key);
        if (!o.contains(k) || !problem.isEmpty())
            return;
        const QJsonValue v = o.value(k);
        if (!v.isDouble() || v.toDouble() < lo || v.toDouble() > hi) {
            problem = DomainText::tr("Retrain setting \"%1\" must be a number from %2 to %3.").arg(k).arg(lo).arg(hi);
            return;
        }
        using T = std::decay_t<decltype(target)>;
        if constexpr (std::is_integral_v<T>) {
            if (v.toDouble() != double(qint64(v.toDouble()))) {
                problem = DomainText::tr("Retrain setting \"%1\" must be a whole number.").arg(k);
                return;
            }
            target = T(v.toDouble());
        } else {
            target = T(v.toDouble());
        }
    };
    const auto flag = [&](const char *key, bool &target) {
        const QString k = QString::fromLatin1(key);
        if (!o.contains(k) || !problem.isEmpty())
            return;
        if (!o.value(k).isBool()) {
            problem = DomainText::tr("Retrain setting \"%1\" must be true or false.").arg(k);
            return;
        }
        target = o.value(k).toBool();
    };
    number("windowDays", 1, 3650, s.windowDays);
    number("minFeedback", 0, 1e12, s.minFeedback);
    number("minNegative", 0, 1e12, s.minNegative);
    number("satisfactionBelow", 0, 1, s.satisfactionBelow);
    flag("onDriftAlert", s.onDriftAlert);
    flag("onMaeAboveTarget", s.onMaeAboveTarget);
    flag("autoRetrain", s.autoRetrain);
    flag("autoPromote", s.autoPromote);
    number("checkIntervalMinutes", 1, 7 * 24 * 60, s.checkIntervalMinutes);
    number("minImprovement", 0, 1, s.minImprovement);
    if (const QJsonValue metric = o.value(QLatin1String("classificationMetric"));
        problem.isEmpty() && !metric.isUndefined()) {
        if (metric.toString() != QLatin1String("accuracy") && metric.toString() != QLatin1String("log_loss"))
            problem = DomainText::tr("Retrain setting \"classificationMetric\" must be \"accuracy\" or \"log_loss\".");
        else
            s.classificationMetric = metric.toString();
    }
    number("feedbackRetentionDays", 1, 3650, s.feedbackRetentionDays);
    if (const QJsonValue augmentation = o.value(QLatin1String("image_augmentation"));
        problem.isEmpty() && !augmentation.isUndefined()) {
        const auto parsed = augmentation.isObject()
                                ? ImageAugmentation::fromJson(augmentation.toObject())
                                : Result<ImageAugmentation>(Error{
                                      DomainText::tr("Retrain setting \"image_augmentation\" must be an object.")});
        if (parsed)
            s.imageAugmentation = parsed.value();
        else
            problem = parsed.errorMessage();
    }
    if (!problem.isEmpty()) {
        if (error)
            *error = problem;
        return RetrainSettings{};
    }
    if (error)
        error->clear();
    return s;
}

QJsonObject RetrainSettings::toFlatJson() const
{
    QJsonObject flat;
    const QJsonObject o = toJson();
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!it.value().isObject()) {
            flat.insert(it.key(), it.value());
            continue;
        }
        const QJsonObject inner = it.value().toObject();
        for (auto in = inner.begin(); in != inner.end(); ++in)
            flat.insert(it.key() + QLatin1Char('.') + in.key(), in.value());
    }
    return flat;
}

QJsonObject RetrainSettings::nested(const QJsonObject &flat)
{
    QJsonObject o;
    for (auto it = flat.begin(); it != flat.end(); ++it) {
        const qsizetype dot = it.key().indexOf(QLatin1Char('.'));
        if (dot < 0) {
            o.insert(it.key(), it.value());
            continue;
        }
        QJsonObject inner = o.value(it.key().left(dot)).toObject();
        inner.insert(it.key().mid(dot + 1), it.value());
        o.insert(it.key().left(dot), inner);
    }
    return o;
}

std::optional<double> RetrainRun::durationSeconds() const
{
    if (!startedAt.isValid())
        return std::nullopt;
    const QDateTime end = finishedAt.isValid() ? finishedAt : QDateTime::currentDateTimeUtc();
    return double(startedAt.msecsTo(end)) / 1000.0;
}

QJsonObject RetrainRun::toJson() const
{
    return {{QStringLiteral("id"), double(id)},
            {QStringLiteral("deployment"), deployment},
            {QStringLiteral("trigger"), trigger},
            {QStringLiteral("state"), state},
            {QStringLiteral("dry_run"), dryRun},
            {QStringLiteral("requested_by"), requestedBy},
            {QStringLiteral("requested_at"), iso(requestedAt)},
            {QStringLiteral("started_at"), iso(startedAt)},
            {QStringLiteral("finished_at"), iso(finishedAt)},
            {QStringLiteral("duration_s"), figureJson(durationSeconds())},
            {QStringLiteral("params"), params},
            {QStringLiteral("base_version"), baseVersion},
            {QStringLiteral("result_version"), resultVersion},
            {QStringLiteral("metrics"), metrics},
            {QStringLiteral("decision"), decision},
            {QStringLiteral("decision_reason"), decisionReason},
            {QStringLiteral("error"), error},
            {QStringLiteral("checks"), checks}};
}

} // namespace mldeck
