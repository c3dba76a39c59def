#pragma once

#include "ui/pages/dashboard/KpiTiles.h"

#include <QFrame>

class QLabel;

namespace mldeck::ui {

// One KPI tile: title, value, trend against the previous period, and a coloured edge (green meets the
// target, red misses it, grey has no target or no data). Object name "tile_<key>"; the figure shown is
// also in the dynamic property "figure" (a double, invalid when there is no data) for tests.
class KpiTileWidget final : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KpiTileWidget)

public:
    explicit KpiTileWidget(const QString &key, QWidget *parent = nullptr);

    void show(const TileState &state);
    // Greys the tile when its figures are not live (database unreachable): never stale data as live.
    void setStale(bool stale);

    QString valueText() const;
    QString detailText() const;
    QString trendText() const;
    TileState::Verdict verdict() const { return m_state.verdict; }

private:
    void restyle();

    TileState m_state;
    bool m_stale = false;
    QLabel *m_title = nullptr;
    QLabel *m_value = nullptr;
    QLabel *m_trend = nullptr;
    QLabel *m_detail = nullptr;
};

} // namespace mldeck::ui
