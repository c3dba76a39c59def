#pragma once

#include "core/domain/Result.h"
#include "core/services/KpiSnapshot.h"

#include <memory>

namespace mldeck {

class PgConnection;

// The aggregate rows of one query, kept between refreshes: load() reads them once; refresh() reads
// only the rows written since (KpiStore's transaction watermark), drops what slid out of a live
// range and recomputes the snapshot. Blocking: used on a worker (KpiService) or by the CLI.
class KpiCache final
{
public:
    KpiCache();
    ~KpiCache();
    Q_DISABLE_COPY_MOVE(KpiCache)

    Result<KpiSnapshot> load(PgConnection &conn, const KpiQuery &query, qint64 nowSecs);
    // A live query moves to end at nowSecs. Needs a successful load() first.
    Result<KpiSnapshot> refresh(PgConnection &conn, qint64 nowSecs);
    bool isLoaded() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

} // namespace mldeck
