#include "core/domain/FeatureSchema.h"

namespace mldeck {

static QStringList namesOfKind(const std::vector<FeatureSpec> &features, FeatureSpec::Kind kind)
{
    QStringList names;
    for (const auto &f : features) {
        if (f.kind == kind)
            names << f.name;
    }
    return names;
}

QStringList FeatureSchema::numericNames() const
{
    return namesOfKind(features, FeatureSpec::Kind::Numeric);
}

QStringList FeatureSchema::categoricalNames() const
{
    return namesOfKind(features, FeatureSpec::Kind::Categorical);
}

} // namespace mldeck
