#include "core/services/DriftService.h"

#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"

namespace mldeck {

namespace {

Result<DriftSettingsView> readSettings(PgConnection &c, const QString &deployment)
{
    auto reference = readDriftReference(c, deployment); // also: the one error for an unknown deployment
    if (!reference)
        return reference.error();
    DriftData data(c);
    auto settings = data.driftSettings(deployment);
    if (!settings)
        return settings.error();
    // No schema yet (nothing registered or logged): no feature to choose, the rest is editable.
    auto has = data.hasSchema(deployment);
    if (!has)
        return has.error();
    auto schema = *has ? data.latestSchema(deployment) : Result<FeatureSchema>(FeatureSchema{});
    if (!schema)
        return schema.error();
    auto info = DeploymentStore(c).show(deployment);
    if (!info)
        return info.error();
    return DriftSettingsView{deployment, *settings, *schema, *reference, info->isImage()};
}

} // namespace

DriftService::DriftService(QObject *parent) : PgService(QStringLiteral("drift"), parent) {}

DriftService::~DriftService() = default;

void DriftService::refresh(const QString &deployment)
{
    // The page's view only: the guard's drift checks, which raise alerts, read the primary.
    postRead(
        [deployment, cache = m_imageStats](PgConnection &c) -> Result<DriftView> {
            DriftCheckRequest request;
            request.deployment = deployment;
            request.imageCache = cache.get();
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

void DriftService::loadSettings(const QString &deployment)
{
    post([deployment](PgConnection &c) { return readSettings(c, deployment); },
         [this](Result<DriftSettingsView> r) { Q_EMIT settingsLoaded(r); });
}

void DriftService::saveSettings(const QString &deployment, const QJsonObject &settings)
{
    post(
        [deployment, settings](PgConnection &c) -> Result<DriftSettingsView> {
            if (auto s = DeploymentStore(c).requireActive(deployment); !s)
                return s.error();
            if (auto s = DriftData(c).setDriftSettings(deployment, settings, Actor::current()); !s)
                return s.error();
            return readSettings(c, deployment);
        },
        [this](Result<DriftSettingsView> r) { Q_EMIT settingsSaved(r); });
}

} // namespace mldeck
