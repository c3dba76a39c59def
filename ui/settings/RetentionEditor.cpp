#include "ui/settings/RetentionEditor.h"

#include "core/services/SettingsService.h"

#include <QLineEdit>

namespace mldeck::ui {

namespace {

const QString kDays = QStringLiteral("retention_days");

} // namespace

RetentionEditor::RetentionEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::Retention, tr("Retention"), parent), m_service(new SettingsService(this))
{
    // The one check of a retention (the store's, the CLI's), its sentence shown as the field's reason.
    auto *days = addInteger(
        kDays, tr("Keep raw rows"),
        [](qint64 v) {
            const QString why = SettingsService::retentionProblem(v);
            return why.isEmpty() ? why : why.left(1).toUpper() + why.mid(1) + QLatin1Char('.');
        },
        tr("days"), true);
    static_cast<QLineEdit *>(days)->setPlaceholderText(tr("default (%1)").arg(SettingsService::kDefaultRetentionDays));
    addNote(tr("Empty: the default of %1 days, which the deployment then follows.")
                .arg(SettingsService::kDefaultRetentionDays));
    addNote(tr("Raw predictions, outcomes and feedback older than this are dropped by the guard, for good. "
               "Aggregates, drift history, sketches and the audit log are kept."));

    connect(m_service, &SettingsService::retentionLoaded, this,
            [this](const QString &deployment, const Result<std::optional<int>> &stored) {
                if (stored)
                    setLoaded(deployment, valuesOf(*stored));
                else
                    setLoadFailed(deployment, stored.errorMessage());
            });
    connect(m_service, &SettingsService::retentionSaved, this, [this](const Result<std::optional<int>> &stored) {
        if (stored)
            setSaved(valuesOf(*stored));
        else
            setSaveFailed(stored.errorMessage());
    });
}

RetentionEditor::~RetentionEditor() = default;

SettingsEditor::Values RetentionEditor::valuesOf(const std::optional<int> &days)
{
    return {{kDays, days ? QVariant(qlonglong(*days)) : QVariant()}};
}

void RetentionEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
}

void RetentionEditor::load(const QString &deployment)
{
    m_service->loadRetention(deployment);
}

void RetentionEditor::save(const QString &deployment, const Values &values)
{
    const QVariant days = values.value(kDays);
    m_service->saveRetention(deployment, days.isNull() ? std::nullopt : std::optional<int>(int(days.toLongLong())));
}

} // namespace mldeck::ui
