#pragma once

#include "core/domain/DriftScore.h"
#include "core/services/DriftCheck.h"
#include "core/services/PgService.h"

#include <QList>

namespace mldeck {

// What the drift page shows: the current check (read-only, same code as `mldeckctl drift check`)
// and the recorded score history of the guard's checks.
struct DriftView
{
    QString deployment;
    DriftCheckReport report;
    QList<DriftScorePoint> history;
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

Q_SIGNALS:
    void refreshed(const mldeck::Result<mldeck::DriftView> &view);
};

} // namespace mldeck
