#pragma once

#include "core/domain/FeatureSchema.h"

#include <QJsonObject>
#include <QStringList>
#include <QTableWidget>

namespace mldeck::ui {

// The per-feature drift settings of a deployment, one row per feature of its schema: watched (the
// unchecked ones are the "ignore" list), the test (automatic or one chosen) and a threshold that
// overrides the deployment's p-value or distance. Entries stored for features that the schema no
// longer has are kept as they are.
class DriftFeatureTable final : public QTableWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftFeatureTable)

public:
    enum Column
    {
        Feature,
        Test,
        Threshold,
        ColumnCount
    };

    explicit DriftFeatureTable(QWidget *parent = nullptr);

    void setFeatures(const FeatureSchema &schema); // the rows; call before setSettings
    // Reads and writes the "ignore", "tests" and "thresholds" keys of the drift settings. A threshold
    // that is not a number is written as its text, for DriftConfig::fromJson to refuse.
    void setSettings(const QJsonObject &settings);
    QJsonObject settings() const;

Q_SIGNALS:
    void edited();

private:
    void fitHeight();

    QStringList m_features;
    QJsonObject m_unlisted; // ignore/tests/thresholds of features not in the schema
};

} // namespace mldeck::ui
