#pragma once

// Demo rows as a Dataset, and where the demo models are: shared by the training test and benchmark.
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/Dataset.h"

#include <QDir>

namespace mldeck::testing {

// A file of the source tree (MLDECK_SOURCE_DIR from ctest's environment, else the configure-time one).
inline QString sourceFile(const QString &relative)
{
    const QByteArray env = qgetenv("MLDECK_SOURCE_DIR");
    const QString root = env.isEmpty() ? QStringLiteral(MLDECK_SOURCE_DIR) : QString::fromLocal8Bit(env);
    return root + QLatin1Char('/') + relative;
}

inline QString demoModel(const QString &file)
{
    return sourceFile(QStringLiteral("resources/models/") + file);
}

// `rows` time-ordered bookings, 50 s apart from startSecs, in the schema of the demo models.
inline Dataset generatedDataset(qint64 rows, quint64 seed, qint64 startSecs = 1717200000LL, double drift = 0)
{
    RideDelayGenerator generator(seed);
    generator.setDrift(drift);
    const FeatureSchema schema = RideDelayGenerator::schema();
    Dataset d;
    d.source = QStringLiteral("generated, seed %1").arg(seed);
    std::vector<QHash<QString, int>> codes(schema.features.size());
    for (const FeatureSpec &f : schema.features) {
        d.header << f.name;
        if (f.kind == FeatureSpec::Kind::Numeric)
            d.numeric.insert(f.name, {});
        else
            d.categorical.insert(f.name, {});
    }
    d.header << QStringLiteral("delay_min") << QStringLiteral("ts");
    for (qint64 i = 0; i < rows; ++i) {
        const RideRequest r = generator.next((startSecs + i * 50) * 1'000'000LL);
        int num = 0, cat = 0;
        for (size_t k = 0; k < schema.features.size(); ++k) {
            const FeatureSpec &f = schema.features[k];
            if (f.kind == FeatureSpec::Kind::Numeric) {
                d.numeric[f.name].push_back(r.features.numeric[size_t(num++)]);
            } else {
                const QString value = r.features.categorical.at(cat++);
                CategoricalColumn &column = d.categorical[f.name];
                auto it = codes[k].constFind(value);
                if (it == codes[k].constEnd()) {
                    it = codes[k].insert(value, int(column.levels.size()));
                    column.levels << value;
                }
                column.codes.push_back(it.value());
            }
        }
        d.target.push_back(r.actualDelay);
        d.tsMicros.push_back(r.tsMicros);
    }
    return d;
}

} // namespace mldeck::testing
