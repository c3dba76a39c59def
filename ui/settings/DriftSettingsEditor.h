#pragma once

#include "ui/settings/SettingsEditor.h"

#include <QJsonObject>

namespace mldeck {
class DriftService;
struct DriftSettingsView;
} // namespace mldeck

namespace mldeck::ui {

class DriftFeatureTable;
class DriftReferenceChooser;

// The drift settings of a deployment (settings -> 'drift', resources/contract/drift.md): windows,
// persistence, minimum samples, thresholds, dataset share, the reference and, per feature, watched,
// test and threshold. Every field is checked by the parser the guard uses (DriftConfig::fromJson),
// one key at a time; Save writes through DriftService (one audit row with before and after).
class DriftSettingsEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftSettingsEditor)

public:
    explicit DriftSettingsEditor(QWidget *parent = nullptr);
    ~DriftSettingsEditor() override;

protected:
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    Values valuesOf(const DriftSettingsView &view);     // also fills the feature rows and snapshots
    QJsonObject settingsOf(const Values &values) const; // the stored settings with the form's values

    DriftService *m_service;
    DriftReferenceChooser *m_reference;
    DriftFeatureTable *m_features;
    QJsonObject m_stored; // as loaded: keys the form does not show (max_rows) are saved unchanged
    bool m_image = false; // an image deployment: the image sample field shows
    QWidget *m_imageSample = nullptr;
};

} // namespace mldeck::ui
