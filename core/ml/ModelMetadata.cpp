#include "core/ml/ModelMetadata.h"
#include "core/Text.h"
#include "core/domain/Figure.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <cmath>

namespace mldeck {

namespace {

// Version 2 adds the classification keys (classes, decision_threshold, output); version-1 files stay readable.
constexpr int kFormatVersion = 2;
constexpr int kMaxSequenceLength = 4096;

Error bad(const QString &what)
{
    return Error{MlText::tr("model metadata (mldeck.json): %1").arg(what)};
}

std::optional<double> optionalNumber(const QJsonObject &o, const char *key)
{
    return figureOf(o.value(QLatin1String(key)));
}

// A classifier's classes (in output order), decision threshold and output kind. A version-1 classification
// file predates these keys: its output is the positive-class probability of classes {negative, positive}.
Status parseClassification(const QJsonObject &root, ModelInfo &info)
{
    info.classSpec = ClassSpec{};
    info.outputsLogits = false;
    const bool given = root.contains(QLatin1String("classes")) || root.contains(QLatin1String("decision_threshold")) ||
                       root.contains(QLatin1String("output"));
    if (info.task != QLatin1String("classification")) {
        if (given)
            return bad(
                MlText::tr("\"classes\", \"decision_threshold\" and \"output\" are for task \"classification\" only"));
        return {};
    }
    if (!root.contains(QLatin1String("classes"))) {
        if (info.formatVersion >= 2)
            return bad(MlText::tr("a classification model must name its \"classes\" (in the order of its output)"));
        info.classSpec.classes = {QStringLiteral("negative"), QStringLiteral("positive")};
    }
    if (root.contains(QLatin1String("classes"))) {
        auto spec = ClassSpec::fromJson(root);
        if (!spec)
            return bad(spec.errorMessage());
        info.classSpec = spec.value();
    } else if (const QJsonValue t = root.value(QLatin1String("decision_threshold")); !t.isUndefined()) {
        info.classSpec.decisionThreshold = t.toDouble(-1);
        if (const Status valid = info.classSpec.validate(); !valid)
            return bad(valid.errorMessage());
    }
    if (!info.classSpec.isBinary() && root.contains(QLatin1String("decision_threshold")))
        return bad(MlText::tr("\"decision_threshold\" applies to a binary classifier only (%1 classes given)")
                       .arg(info.classSpec.count()));
    const QJsonValue outputValue = root.value(QLatin1String("output"));
    const QString output = outputValue.isUndefined() ? QStringLiteral("probabilities") : outputValue.toString();
    if (output != QLatin1String("probabilities") && output != QLatin1String("logits"))
        return bad(MlText::tr("\"output\" must be \"probabilities\" or \"logits\", not \"%1\"").arg(output));
    info.outputsLogits = output == QLatin1String("logits");
    return {};
}

// A tabular model's features (models.md §2): the schema, the scaler and the encoded width.
Status parseFeatures(const QJsonObject &root, ModelInfo &info)
{
    const QJsonValue features = root.value(QLatin1String("features"));
    if (!features.isArray() || features.toArray().isEmpty())
        return bad(MlText::tr("\"features\" must be a non-empty array"));
    QSet<QString> names;
    int index = 0;
    for (const QJsonValue &fv : features.toArray()) {
        ++index;
        const QJsonObject f = fv.toObject();
        FeatureSpec spec;
        spec.name = f.value(QLatin1String("name")).toString();
        if (spec.name.isEmpty())
            return bad(MlText::tr("feature %1 has no name").arg(index));
        if (names.contains(spec.name))
            return bad(MlText::tr("feature \"%1\" appears twice").arg(spec.name));
        names.insert(spec.name);
        const QString kind = f.value(QLatin1String("kind")).toString();
        if (kind == QLatin1String("numeric")) {
            const auto mean = optionalNumber(f, "mean");
            const auto std = optionalNumber(f, "std");
            if (!mean || !std || !std::isfinite(*mean) || !std::isfinite(*std) || *std <= 0)
                return bad(
                    MlText::tr("numeric feature \"%1\" needs a finite \"mean\" and a \"std\" above 0").arg(spec.name));
            spec.kind = FeatureSpec::Kind::Numeric;
            info.scalerMean.push_back(*mean);
            info.scalerStd.push_back(*std);
            info.inputWidth += 1;
        } else if (kind == QLatin1String("categorical")) {
            spec.kind = FeatureSpec::Kind::Categorical;
            const QJsonArray levels = f.value(QLatin1String("categories")).toArray();
            for (const QJsonValue &level : levels) {
                const QString value = level.toString();
                if (!level.isString() || value.isEmpty() || spec.categories.contains(value))
                    return bad(MlText::tr("categorical feature \"%1\" has an empty, duplicate or non-text category")
                                   .arg(spec.name));
                spec.categories << value;
            }
            if (spec.categories.isEmpty())
                return bad(
                    MlText::tr("categorical feature \"%1\" needs a non-empty \"categories\" array").arg(spec.name));
            info.inputWidth += int(spec.categories.size());
        } else {
            return bad(MlText::tr("feature \"%1\" has kind \"%2\"; expected \"numeric\" or \"categorical\"")
                           .arg(spec.name, kind));
        }
        info.schema.features.push_back(spec);
    }
    return {};
}

// An image model (images.md): a classifier whose input is one image, [C, H, W] after the pipeline.
Status parseImageInput(const QJsonObject &root, ModelInfo &info)
{
    if (info.task != QLatin1String("classification"))
        return bad(MlText::tr("an image model must be a classifier (task \"classification\" with its \"classes\")"));
    const QJsonValue features = root.value(QLatin1String("features"));
    if (!features.isUndefined() && !(features.isArray() && features.toArray().isEmpty()))
        return bad(MlText::tr("an image model takes no \"features\""));
    const QJsonValue image = root.value(QLatin1String("image"));
    if (!image.isObject())
        return bad(
            MlText::tr("an image model needs an \"image\" object (its size, channels, resize and normalisation)"));
    auto spec = ImageSpec::fromJson(image.toObject());
    if (!spec)
        return bad(spec.errorMessage());
    info.image = spec.value();
    info.inputWidth = info.image->inputWidth();
    return {};
}

} // namespace

Status parseModelMetadata(const QByteArray &json, ModelInfo &info)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return bad(MlText::tr("not valid JSON (%1 at offset %2)").arg(parseError.errorString()).arg(parseError.offset));
    if (!doc.isObject())
        return bad(MlText::tr("the document must be a JSON object"));
    const QJsonObject root = doc.object();

    if (root.value(QLatin1String("format")).toString() != QLatin1String("mldeck-model"))
        return bad(MlText::tr("\"format\" must be \"mldeck-model\""));
    const QJsonValue version = root.value(QLatin1String("format_version"));
    if (!version.isDouble() || version.toDouble() != std::floor(version.toDouble()))
        return bad(MlText::tr("\"format_version\" must be a whole number"));
    info.formatVersion = version.toInt();
    if (info.formatVersion < 1 || info.formatVersion > kFormatVersion)
        return bad(MlText::tr("format version %1 is not supported by this MLDeck (it reads version %2)")
                       .arg(info.formatVersion)
                       .arg(kFormatVersion));

    const QJsonObject model = root.value(QLatin1String("model")).toObject();
    info.name = model.value(QLatin1String("name")).toString();
    info.version = model.value(QLatin1String("version")).toString();
    if (info.name.isEmpty() || info.version.isEmpty())
        return bad(MlText::tr("\"model\" must give a non-empty \"name\" and \"version\""));

    info.task = root.value(QLatin1String("task")).toString();
    if (info.task != QLatin1String("regression") && info.task != QLatin1String("classification"))
        return bad(MlText::tr("\"task\" must be \"regression\" or \"classification\", not \"%1\"").arg(info.task));

    const QJsonObject target = root.value(QLatin1String("target")).toObject();
    info.target = target.value(QLatin1String("name")).toString();
    info.targetUnit = target.value(QLatin1String("unit")).toString();
    if (info.target.isEmpty())
        return bad(MlText::tr("\"target\" must give a non-empty \"name\""));

    if (const Status classes = parseClassification(root, info); !classes)
        return classes;

    const QJsonValue schemaId = root.value(QLatin1String("feature_schema"));
    info.schema = FeatureSchema{};
    info.schema.id = schemaId.isUndefined() ? 1 : schemaId.toInt(-1);
    if (info.schema.id < 1)
        return bad(MlText::tr("\"feature_schema\" must be a positive whole number"));

    info.scalerMean.clear();
    info.scalerStd.clear();
    info.inputWidth = 0;
    info.image.reset();
    const QJsonValue input = root.value(QLatin1String("input"));
    const QString inputKind = input.isUndefined() ? QStringLiteral("features") : input.toString();
    if (inputKind == QLatin1String("image")) {
        if (const Status image = parseImageInput(root, info); !image)
            return image;
    } else if (inputKind == QLatin1String("features")) {
        if (root.contains(QLatin1String("image")))
            return bad(MlText::tr("\"image\" is for an image model (\"input\": \"image\") only"));
        if (const Status features = parseFeatures(root, info); !features)
            return features;
    } else {
        return bad(MlText::tr("\"input\" must be \"features\" or \"image\", not \"%1\"")
                       .arg(input.isString() ? inputKind : QStringLiteral("?")));
    }

    const QJsonValue seq = root.value(QLatin1String("sequence_length"));
    if (info.image && seq.isUndefined()) {
        info.sequenceLength = 1;
    } else {
        if (!seq.isDouble() || seq.toDouble() != std::floor(seq.toDouble()) || seq.toDouble() < 1 ||
            seq.toDouble() > kMaxSequenceLength)
            return bad(MlText::tr("\"sequence_length\" must be a whole number from 1 to %1").arg(kMaxSequenceLength));
        info.sequenceLength = seq.toInt();
    }
    if (info.image && info.sequenceLength != 1)
        return bad(MlText::tr("an image model takes one image per prediction: \"sequence_length\" must be 1"));

    const QJsonObject training = root.value(QLatin1String("training")).toObject();
    // A row count beyond what a file can hold (or negative) is not a count: it reads as unknown (0),
    // and is never converted out of qint64's range.
    const double rows = training.value(QLatin1String("rows")).toDouble(0);
    info.trainingRows = rows >= 0 && rows < 1e15 ? qint64(rows) : 0;
    const QJsonObject holdout = training.value(QLatin1String("holdout_metrics")).toObject();
    info.holdoutMae = optionalNumber(holdout, "mae");
    info.holdoutRmse = optionalNumber(holdout, "rmse");
    info.holdoutR2 = optionalNumber(holdout, "r2");
    info.holdoutAccuracy = optionalNumber(holdout, "accuracy");
    info.holdoutLogLoss = optionalNumber(holdout, "log_loss");
    info.holdoutRocAuc = optionalNumber(holdout, "roc_auc");

    info.metadataJson = json;
    info.hasMetadata = true;
    return {};
}

} // namespace mldeck
