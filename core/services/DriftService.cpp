#include "core/services/DriftService.h"

#include "core/store/pg/DriftData.h"

namespace mldeck {

DriftService::DriftService(QObject *parent) : PgService(QStringLiteral("drift"), parent) {}

DriftService::~DriftService() = default;

void DriftService::refresh(const QString &deployment)
{
    post(
        [deployment](PgConnection &c) -> Result<DriftView> {
            DriftCheckRequest request;
            request.deployment = deployment;
            auto report = runDriftCheck(c, request);
            if (!report)
                return report.error();
            auto history = DriftData(c).scoreHistory(deployment);
            if (!history)
                return history.error();
            return DriftView{deployment, std::move(report).value(), std::move(history).value()};
        },
        [this](Result<DriftView> r) { Q_EMIT refreshed(r); });
}

} // namespace mldeck
