#pragma once

#include "core/domain/DriftScore.h"
#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/services/DriftReference.h"
#include "core/services/PgService.h"

#include <QList>

#include <memory>

namespace mldeck {

// What the drift page shows: the current check (read-only, same code as `mldeckctl drift check`)
// and the recorded score history of the guard's checks.
struct DriftView
{
    QString deployment;
    DriftCheckReport report;
    QList<DriftScorePoint> history;
};

// What the drift settings editor edits: settings -> 'drift' as stored, the features it may watch
// (the newest schema; empty before anything is known of them) and the reference in use.
struct DriftSettingsView
{
    QString deployment;
    QJsonObject settings;
    FeatureSchema schema;
    DriftReferenceState reference;
    bool image = false; // an image deployment: its drift features are statistics of sampled images
};

// Drift for the GUI, on its PgService worker. Every request finishes with exactly one signal.
class DriftService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftService)

public:
    explicit DriftService(QObject *parent = nullptr);
    ~DriftService() override;

    void refresh(const QString &deployment); // -> refreshed

    void loadSettings(const QString &deployment); // -> settingsLoaded
    // Replaces settings -> 'drift' (DriftData::setDriftSettings: checked by DriftConfig::fromJson, one
    // audit row with before and after) -> settingsSaved, with what is stored after the save.
    void saveSettings(const QString &deployment, const QJsonObject &settings);

Q_SIGNALS:
    void refreshed(const mldeck::Result<mldeck::DriftView> &view);
    void settingsLoaded(const mldeck::Result<mldeck::DriftSettingsView> &view);
    void settingsSaved(const mldeck::Result<mldeck::DriftSettingsView> &view);

private:
    // An image deployment's image statistics, kept across refreshes (each image is decoded once).
    std::shared_ptr<ImageStatsCache> m_imageStats = std::make_shared<ImageStatsCache>();
};

} // namespace mldeck
