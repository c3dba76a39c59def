#pragma once

// Untrained classifiers over the demo schema for the training and retraining tests: their metadata, the
// TorchScript file written by make_test_classifier.py (/usr/bin/python3 with python3-torch), and the
// rides labelled by lateness.
#include "TrainingData.h"

#include "core/ml/InputEncoding.h"
#include "core/ml/ModelMetadata.h"
#include "tests/support/TestChecks.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>

namespace mldeck::testing {

// Ride lateness as classes: multi-class by delay bucket, binary "very late" (the minority).
inline constexpr double kLateMinutes = 3.0;
inline constexpr double kVeryLateMinutes = 8.0;

inline Dataset labelled(const Dataset &rides, bool binary)
{
    Dataset d = rides;
    for (double &y : d.target)
        y = binary ? (y >= kVeryLateMinutes ? 1 : 0) : (y < kLateMinutes ? 0 : y < kVeryLateMinutes ? 1 : 2);
    return d;
}

// The mldeck.json of a classifier over the demo schema, its scaler fitted on scaleFrom.
inline QJsonObject classifierMetadata(const Dataset &scaleFrom, const QStringList &classes, const QString &output)
{
    QJsonArray features;
    for (const FeatureSpec &f : RideDelayGenerator::schema().features) {
        if (f.kind == FeatureSpec::Kind::Numeric) {
            const std::vector<float> &v = scaleFrom.numeric.value(f.name);
            double sum = 0, sq = 0;
            for (float x : v)
                sum += x;
            const double mean = sum / double(v.size());
            for (float x : v)
                sq += (x - mean) * (x - mean);
            features.append(QJsonObject{{u"name"_qs, f.name},
                                        {u"kind"_qs, u"numeric"_qs},
                                        {u"mean"_qs, mean},
                                        {u"std"_qs, std::max(1e-3, std::sqrt(sq / double(v.size())))}});
        } else {
            features.append(QJsonObject{{u"name"_qs, f.name},
                                        {u"kind"_qs, u"categorical"_qs},
                                        {u"categories"_qs, QJsonArray::fromStringList(f.categories)}});
        }
    }
    QJsonObject meta{{u"format"_qs, u"mldeck-model"_qs},
                     {u"format_version"_qs, 2},
                     {u"model"_qs, QJsonObject{{u"name"_qs, u"lateness"_qs}, {u"version"_qs, u"0"_qs}}},
                     {u"task"_qs, u"classification"_qs},
                     {u"target"_qs, QJsonObject{{u"name"_qs, u"lateness"_qs}, {u"unit"_qs, QString()}}},
                     {u"classes"_qs, QJsonArray::fromStringList(classes)},
                     {u"output"_qs, output},
                     {u"feature_schema"_qs, 1},
                     {u"features"_qs, features},
                     {u"sequence_length"_qs, 1}};
    if (classes.size() == 2)
        meta.insert(u"decision_threshold"_qs, 0.5);
    return meta;
}

// Writes the untrained classifier with python3-torch; an empty string when that failed.
inline QString makeClassifier(const QTemporaryDir &dir, const QString &name, const QJsonObject &meta)
{
    ModelInfo info;
    if (const Status parsed = parseModelMetadata(QJsonDocument(meta).toJson(), info); !parsed) {
        MLDECK_FAIL_IN_HELPER(u"test metadata refused: "_qs + parsed.errorMessage());
        return {};
    }
    const QString metaPath = dir.filePath(name + u".json"_qs);
    QFile f(metaPath);
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(meta).toJson()) < 0) {
        MLDECK_FAIL_IN_HELPER(u"cannot write "_qs + metaPath);
        return {};
    }
    f.close();
    const QString out = dir.filePath(name + u".pt"_qs);
    QProcess python;
    python.start(u"/usr/bin/python3"_qs, {sourceFile(u"tests/unit/training/make_test_classifier.py"_qs), out, metaPath,
                                          QString::number(InputEncoder(info).width())});
    if (!python.waitForFinished(120000) || python.exitCode() != 0) {
        MLDECK_FAIL_IN_HELPER(u"python3 with torch must be installed (python3-torch): "_qs +
                              QString::fromLocal8Bit(python.readAllStandardError()));
        return {};
    }
    return out;
}

} // namespace mldeck::testing
