// Training parameters: pure (no torch), shared by the console, which validates them, and the worker.
#include "core/ml/Trainer.h"

#include <QJsonArray>

#include <cmath>

namespace mldeck {

namespace {

bool wholeNumber(const QJsonValue &v)
{
    return v.isDouble() && std::isfinite(v.toDouble()) && v.toDouble() == std::floor(v.toDouble());
}

} // namespace

QJsonObject TrainingParams::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("start_from_base"), startFromBase);
    o.insert(QStringLiteral("epochs"), epochs);
    o.insert(QStringLiteral("learning_rate"), learningRate);
    o.insert(QStringLiteral("batch_size"), batchSize);
    o.insert(QStringLiteral("early_stopping_patience"), earlyStoppingPatience);
    o.insert(QStringLiteral("plateau_factor"), plateauFactor);
    o.insert(QStringLiteral("plateau_patience"), plateauPatience);
    // A JSON number (a double) holds whole numbers exactly only up to 2^53: larger seeds go as text.
    if (seed <= (quint64(1) << 53))
        o.insert(QStringLiteral("seed"), double(seed));
    else
        o.insert(QStringLiteral("seed"), QString::number(seed));
    o.insert(QStringLiteral("threads"), threads);
    if (balancedClassWeights)
        o.insert(QStringLiteral("class_weights"), QStringLiteral("balanced"));
    else if (!classWeights.empty()) {
        QJsonArray weights;
        for (double w : classWeights)
            weights.append(w);
        o.insert(QStringLiteral("class_weights"), weights);
    }
    return o;
}

Result<TrainingParams> TrainingParams::fromJson(const QJsonObject &o)
{
    TrainingParams p;
    const auto wrongType = [](const char *key, const QString &expected) {
        return Error{tr("Training parameter \"%1\" must be %2.").arg(QLatin1String(key), expected)};
    };
    // Missing keys keep their defaults; unknown keys are ignored (a caller may keep more in the object).
    const auto readInt = [&](const char *key, int &out) -> Status {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return {};
        if (!wholeNumber(v) || std::abs(v.toDouble()) > 1e9)
            return wrongType(key, tr("a whole number"));
        out = v.toInt();
        return {};
    };
    const auto readDouble = [&](const char *key, double &out) -> Status {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isDouble() || !std::isfinite(v.toDouble()))
            return wrongType(key, tr("a number"));
        out = v.toDouble();
        return {};
    };
    const QJsonValue fromBase = o.value(QLatin1String("start_from_base"));
    if (!fromBase.isUndefined() && !fromBase.isNull()) {
        if (!fromBase.isBool())
            return wrongType("start_from_base", tr("true or false"));
        p.startFromBase = fromBase.toBool();
    }
    for (const Status &s :
         {readInt("epochs", p.epochs), readDouble("learning_rate", p.learningRate), readInt("batch_size", p.batchSize),
          readInt("early_stopping_patience", p.earlyStoppingPatience), readDouble("plateau_factor", p.plateauFactor),
          readInt("plateau_patience", p.plateauPatience), readInt("threads", p.threads)})
        if (!s)
            return s.error();
    const QJsonValue seed = o.value(QLatin1String("seed"));
    if (wholeNumber(seed) && seed.toDouble() >= 0 && seed.toDouble() <= double(quint64(1) << 53)) {
        p.seed = quint64(seed.toDouble());
    } else if (seed.isString()) {
        bool ok = false;
        p.seed = seed.toString().toULongLong(&ok);
        if (!ok)
            return wrongType("seed", tr("a whole number from 0 to 18446744073709551615"));
    } else if (!seed.isUndefined() && !seed.isNull()) {
        return wrongType("seed", tr("a whole number from 0 to 18446744073709551615"));
    }
    const QJsonValue weights = o.value(QLatin1String("class_weights"));
    if (weights.isString() && weights.toString() == QLatin1String("balanced")) {
        p.balancedClassWeights = true;
    } else if (weights.isArray()) {
        for (const QJsonValue &w : weights.toArray()) {
            if (!w.isDouble())
                return wrongType("class_weights", tr("\"balanced\" or a list of numbers, one per class"));
            p.classWeights.push_back(w.toDouble());
        }
    } else if (!weights.isUndefined() && !weights.isNull()) {
        return wrongType("class_weights", tr("\"balanced\" or a list of numbers, one per class"));
    }
    if (const Status valid = p.validate(); !valid)
        return valid.error();
    return p;
}

Status TrainingParams::validate() const
{
    if (epochs < 1 || epochs > 1000)
        return Error{tr("Epochs must be from 1 to 1000 (got %1).").arg(epochs)};
    if (!std::isfinite(learningRate) || learningRate <= 0 || learningRate > 1)
        return Error{tr("The learning rate must be above 0 and at most 1 (got %1).").arg(learningRate)};
    if (batchSize < 1 || batchSize > 65536)
        return Error{tr("The batch size must be from 1 to 65536 (got %1).").arg(batchSize)};
    if (earlyStoppingPatience < 0)
        return Error{tr("The early-stopping patience must be 0 (off) or more (got %1).").arg(earlyStoppingPatience)};
    if (!std::isfinite(plateauFactor) || plateauFactor <= 0 || plateauFactor >= 1)
        return Error{tr("The plateau factor must be between 0 and 1, both excluded (got %1).").arg(plateauFactor)};
    if (plateauPatience < 0)
        return Error{tr("The plateau patience must be 0 (off) or more (got %1).").arg(plateauPatience)};
    if (threads < 0 || threads > 256)
        return Error{tr("Threads must be from 0 (keep the current setting) to 256 (got %1).").arg(threads)};
    if (balancedClassWeights && !classWeights.empty())
        return Error{tr("Class weights are either balanced or given, not both.")};
    if (classWeights.size() == 1 || classWeights.size() > 1000)
        return Error{
            tr("Class weights need one weight per class, 2 to 1000 (got %n).", nullptr, int(classWeights.size()))};
    for (double w : classWeights)
        if (!std::isfinite(w) || w <= 0 || w > 1e6)
            return Error{tr("A class weight must be above 0 and at most 1000000 (got %1).").arg(w)};
    return {};
}

} // namespace mldeck
