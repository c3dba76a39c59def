#include "core/domain/Kpi.h"
#include "core/Text.h"

#include <QCoreApplication>

#include <cmath>

namespace mldeck {

namespace {

// One target key: its JSON name, where it lives, and the range a value must fall in.
struct DoubleKey
{
    const char *name;
    double KpiTargets::*member;
    double min;
    double max;
    bool minExclusive;
};

const DoubleKey kDoubleKeys[] = {
    {"mae_max", &KpiTargets::maeMax, 0, 1e9, true},
    {"r2_min", &KpiTargets::r2Min, -1e9, 1, false},
    {"latency_max_ms", &KpiTargets::latencyMaxMs, 0, 1e9, true},
    {"error_rate_max", &KpiTargets::errorRateMax, 0, 1, false},
    {"uptime_min", &KpiTargets::uptimeMin, 0, 1, false},
    {"stretch_mae", &KpiTargets::stretchMae, 0, 1e9, true},
    {"stretch_r2", &KpiTargets::stretchR2, -1e9, 1, false},
    {"accuracy_min", &KpiTargets::accuracyMin, 0, 1, false},
    {"f1_min", &KpiTargets::f1Min, 0, 1, false},
    {"roc_auc_min", &KpiTargets::rocAucMin, 0, 1, false},
    {"log_loss_max", &KpiTargets::logLossMax, 0, 1e9, true},
    {"ece_max", &KpiTargets::eceMax, 0, 1, false},
    {"stretch_accuracy", &KpiTargets::stretchAccuracy, 0, 1, false},
};

const char *const kRegressionKeys[] = {"mae_max", "r2_min", "stretch_mae", "stretch_r2", "anticipation_minutes"};
const char *const kClassificationKeys[] = {"accuracy_min", "f1_min",  "roc_auc_min",
                                           "log_loss_max", "ece_max", "stretch_accuracy"};

constexpr const char *kAnticipationKey = "anticipation_minutes";

} // namespace

QJsonObject KpiTargets::toJson() const
{
    QJsonObject o;
    for (const DoubleKey &k : kDoubleKeys)
        o.insert(QLatin1String(k.name), this->*k.member);
    o.insert(QLatin1String(kAnticipationKey), anticipationMinutes);
    return o;
}

KpiTargets KpiTargets::fromJson(const QJsonObject &o, QString *error)
{
    // Bad input changes nothing: on any error the defaults come back whole, with the reason.
    const auto refuse = [error](const QString &message) {
        if (error)
            *error = message;
        return KpiTargets{};
    };
    if (error)
        error->clear();
    KpiTargets t;
    for (const DoubleKey &k : kDoubleKeys) {
        const QString key = QLatin1String(k.name);
        if (!o.contains(key))
            continue;
        const QJsonValue v = o.value(key);
        if (!v.isDouble() || !std::isfinite(v.toDouble()))
            return refuse(DomainText::tr("KPI target \"%1\" must be a number.").arg(key));
        const double d = v.toDouble();
        const bool belowMin = k.minExclusive ? d <= k.min : d < k.min;
        if (belowMin || d > k.max) {
            if (k.minExclusive)
                return refuse(DomainText::tr("KPI target \"%1\" must be above %2, not %3.").arg(key).arg(k.min).arg(d));
            if (k.min <= -1e9)
                return refuse(
                    DomainText::tr("KPI target \"%1\" must be at most %2, not %3.").arg(key).arg(k.max).arg(d));
            return refuse(DomainText::tr("KPI target \"%1\" must be between %2 and %3, not %4.")
                              .arg(key)
                              .arg(k.min)
                              .arg(k.max)
                              .arg(d));
        }
        t.*k.member = d;
    }
    const QString akey = QLatin1String(kAnticipationKey);
    if (o.contains(akey)) {
        const QJsonValue v = o.value(akey);
        const double d = v.toDouble(-1);
        if (!v.isDouble() || d != std::floor(d) || d < 1 || d > stats::kAnticipationThresholds)
            return refuse(DomainText::tr("KPI target \"%1\" must be a whole number of minutes from 1 to %2.")
                              .arg(akey)
                              .arg(stats::kAnticipationThresholds));
        t.anticipationMinutes = int(d);
    }
    return t;
}

QStringList KpiTargets::keysOf(const QString &task)
{
    QStringList keys;
    if (task == QLatin1String("regression"))
        for (const char *k : kRegressionKeys)
            keys << QLatin1String(k);
    else if (task == QLatin1String("classification"))
        for (const char *k : kClassificationKeys)
            keys << QLatin1String(k);
    return keys;
}

QJsonObject KpiTargets::defaultsFor(const QString &task)
{
    const QJsonObject all = KpiTargets{}.toJson();
    QStringList other = keysOf(QStringLiteral("regression")) + keysOf(QStringLiteral("classification"));
    for (const QString &k : keysOf(task))
        other.removeAll(k);
    QJsonObject t = all;
    for (const QString &k : other)
        t.remove(k);
    return t;
}

} // namespace mldeck
