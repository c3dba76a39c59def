// The console's side of fine-tuning an image classifier: checks the request, hands the base model's
// bytes and the image keys (never the images) to a model worker, relays its progress, reads the result.
// The training itself: core/ml/torch/TorchImageTrainer.cpp.
#include "core/ml/ImageTrainer.h"

#include "core/Text.h"
#include "core/ml/TrainingRequest.h"
#include "core/ml/WorkerProtocol.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

#include <cmath>

namespace mldeck {

namespace {

void writeSets(worker::WireWriter &w, const std::vector<ImageSet> &sets)
{
    w.u32(quint32(sets.size()));
    for (const ImageSet &set : sets) {
        w.bytes(QJsonDocument(set.store.toJson()).toJson(QJsonDocument::Compact));
        QStringList keys;
        std::vector<int> labels;
        keys.reserve(qsizetype(set.items.size()));
        labels.reserve(set.items.size());
        for (const ImageItem &item : set.items) {
            keys << item.key;
            labels.push_back(item.label);
        }
        w.strings(keys);
        w.int32s(labels.data(), labels.size());
    }
}

Result<std::vector<ImageSet>> readSets(worker::WireReader &r)
{
    std::vector<ImageSet> sets;
    const quint32 n = r.u32();
    for (quint32 s = 0; s < n && !r.failed(); ++s) {
        const QByteArray storeJson = r.bytes();
        const QStringList keys = r.strings();
        const std::vector<int> labels = r.int32s();
        if (r.failed() || qsizetype(labels.size()) != keys.size())
            return Error{MlText::tr("Malformed image training request.")};
        auto store = ImageStoreConfig::fromJson(QJsonDocument::fromJson(storeJson).object());
        if (!store)
            return store.error();
        ImageSet set;
        set.store = store.value();
        set.items.reserve(labels.size());
        for (qsizetype i = 0; i < keys.size(); ++i)
            set.items.push_back(ImageItem{keys[i], labels[size_t(i)]});
        sets.push_back(std::move(set));
    }
    return sets;
}

ImageTrainingResult cancelledImages()
{
    ImageTrainingResult result;
    result.training = training::cancelledResult();
    return result;
}

qint64 imageCount(const std::vector<ImageSet> &sets)
{
    qint64 n = 0;
    for (const ImageSet &set : sets)
        n += qint64(set.items.size());
    return n;
}

} // namespace

QByteArray ImageTrainingRequest::encode() const
{
    QByteArray payload;
    worker::WireWriter w(payload);
    w.string(basePath);
    w.bytes(baseBytes);
    writeSets(w, train);
    writeSets(w, validation);
    w.bytes(QJsonDocument(params.toJson()).toJson(QJsonDocument::Compact));
    w.bytes(QJsonDocument(augmentation.toJson()).toJson(QJsonDocument::Compact));
    w.string(newVersion);
    w.string(outputPath);
    return payload;
}

Result<ImageTrainingRequest> ImageTrainingRequest::decode(const QByteArray &payload)
{
    worker::WireReader r(payload);
    ImageTrainingRequest q;
    q.basePath = r.string();
    q.baseBytes = r.bytes();
    auto trainSets = readSets(r);
    if (!trainSets)
        return trainSets.error();
    auto validationSets = readSets(r);
    if (!validationSets)
        return validationSets.error();
    const QByteArray paramsJson = r.bytes();
    const QByteArray augmentationJson = r.bytes();
    q.newVersion = r.string();
    q.outputPath = r.string();
    if (r.failed() || !r.atEnd())
        return Error{MlText::tr("Malformed image training request.")};
    auto params = TrainingParams::fromJson(QJsonDocument::fromJson(paramsJson).object());
    if (!params)
        return params.error();
    auto augmentation = ImageAugmentation::fromJson(QJsonDocument::fromJson(augmentationJson).object());
    if (!augmentation)
        return augmentation.error();
    q.train = std::move(trainSets).value();
    q.validation = std::move(validationSets).value();
    q.params = params.value();
    q.augmentation = augmentation.value();
    return q;
}

namespace worker {

void writeImageTrainingFigures(WireWriter &w, const ImageTrainingResult &result)
{
    w.i64(result.trainImages);
    w.i64(result.validationImages);
    w.i64(result.skippedCount);
    w.u32(quint32(result.skipped.size()));
    for (const SkippedImage &s : result.skipped) {
        w.string(s.key);
        w.string(s.reason);
    }
    w.f64(result.decodeSeconds);
    w.f64(result.modelSeconds);
}

void readImageTrainingFigures(WireReader &r, ImageTrainingResult &result)
{
    result.trainImages = r.i64();
    result.validationImages = r.i64();
    result.skippedCount = r.i64();
    const quint32 listed = r.u32();
    for (quint32 i = 0; i < listed && !r.failed(); ++i) {
        SkippedImage s;
        s.key = r.string();
        s.reason = r.string();
        result.skipped.push_back(std::move(s));
    }
    result.decodeSeconds = r.f64();
    result.modelSeconds = r.f64();
}

} // namespace worker

Result<ImageTrainingResult> trainImageModel(const QString &basePath, const std::vector<ImageSet> &train,
                                            const std::vector<ImageSet> &validation, const TrainingParams &params,
                                            const ImageAugmentation &augmentation, const QString &newVersion,
                                            const QString &outputPath, const TrainingOptions &options)
{
    if (const Status valid = training::checkTrainingArguments(basePath, params, newVersion, outputPath); !valid)
        return valid.error();
    if (const Status valid = augmentation.validate(); !valid)
        return valid.error();
    if (const qint64 n = imageCount(train); n < kMinTrainingImages)
        return Error{MlText::tr("Too few training images: %n; at least %1 are needed.", nullptr, int(n))
                         .arg(kMinTrainingImages)};
    if (imageCount(validation) == 0)
        return Error{
            MlText::tr("The validation set has no images: early stopping and the choice of the best epoch need it.")};
    for (const auto *sets : {&train, &validation})
        for (const ImageSet &set : *sets)
            if (auto store = openImageStore(set.store); !store)
                return store.error();

    if (options.cancel && options.cancel->load())
        return cancelledImages();
    auto bytes = training::readBaseModel(basePath, options);
    if (!bytes)
        return bytes.error();
    ImageTrainingRequest request;
    request.basePath = QFileInfo(basePath).absoluteFilePath();
    request.baseBytes = std::move(bytes).value();
    request.train = train;
    request.validation = validation;
    request.params = params;
    request.augmentation = augmentation;
    request.newVersion = newVersion;
    request.outputPath = QFileInfo(outputPath).absoluteFilePath();

    const auto reply = training::requestTraining(worker::MessageType::TrainImages, request.encode(), options);
    if (!reply) {
        if (options.cancel && options.cancel->load()) // stopped by force after Cancel: still a cancel
            return cancelledImages();
        return reply.error();
    }
    worker::WireReader r(reply->payload);
    auto trained = training::readTrainedMessage(reply.value(), r, outputPath);
    if (!trained)
        return trained.error();
    ImageTrainingResult result;
    result.training = std::move(trained).value();
    if (result.training.cancelled)
        return result;
    worker::readImageTrainingFigures(r, result);
    if (r.failed())
        return Error{MlText::tr("The model worker sent a malformed training result.")};
    return result;
}

} // namespace mldeck
