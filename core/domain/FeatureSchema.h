#pragma once

#include <QString>
#include <QStringList>

#include <vector>

namespace mldeck {

// The features a deployment logs, in order: numeric ones go to the `numeric`
// array of a prediction, categorical ones to the `categorical` array.
struct FeatureSpec
{
    enum class Kind
    {
        Numeric,
        Categorical
    };
    QString name;
    Kind kind = Kind::Numeric;
    QStringList categories; // categorical only: the known levels
};

struct FeatureSchema
{
    int id = 1;
    std::vector<FeatureSpec> features;

    QStringList numericNames() const;
    QStringList categoricalNames() const;
};

} // namespace mldeck
