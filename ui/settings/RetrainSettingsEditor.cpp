#include "ui/settings/RetrainSettingsEditor.h"

#include "core/domain/RetrainRun.h"
#include "core/services/RetrainService.h"

#include <QJsonObject>

namespace mldeck::ui {

namespace {

// The field keys are the keys of RetrainSettings::toJson(), so that one value is checked by reading
// it alone: fromJson refuses it with the reason, or accepts it. One place for the rules.
QString problemOf(const char *key, const QJsonValue &value)
{
    QString error;
    RetrainSettings::fromJson(RetrainSettings::nested(QJsonObject{{QLatin1String(key), value}}), &error);
    return error;
}

SettingsEditor::IntCheck wholeCheck(const char *key)
{
    return [key](qint64 v) { return problemOf(key, double(v)); };
}

SettingsEditor::RealCheck realCheck(const char *key)
{
    return [key](double v) { return problemOf(key, v); };
}

} // namespace

RetrainSettingsEditor::RetrainSettingsEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::RetrainSettings, tr("Retrain"), parent), m_service(new RetrainService(this))
{
    addSection(tr("When a retrain is due"));
    addInteger(QStringLiteral("windowDays"), tr("Feedback window"), wholeCheck("windowDays"), tr("days"));
    addInteger(QStringLiteral("minFeedback"), tr("Feedback items, at least"), wholeCheck("minFeedback"));
    addInteger(QStringLiteral("minNegative"), tr("Negative items, at least"), wholeCheck("minNegative"));
    addReal(QStringLiteral("satisfactionBelow"), tr("Satisfaction below"), realCheck("satisfactionBelow"),
            tr("share (0.7 = 70 %)"));
    addNote(tr("Due when all three feedback conditions hold over the window, or when a trigger below is on and "
               "fires."));
    addBool(QStringLiteral("onDriftAlert"), tr("Also when a drift alert fires"));
    addBool(QStringLiteral("onMaeAboveTarget"),
            tr("Also when the window's MAE is above its target (a classifier: its accuracy below it)"));

    addSection(tr("What the guard does"));
    addBool(QStringLiteral("autoRetrain"), tr("Retrain automatically when due"));
    addBool(QStringLiteral("autoPromote"), tr("Promote the candidate when the decision rule says so"));
    addInteger(QStringLiteral("checkIntervalMinutes"), tr("Check every"), wholeCheck("checkIntervalMinutes"),
               tr("min"));
    addNote(tr("Without auto-promote, a run the guard starts keeps its candidate as challenger for a person to "
               "decide."));

    addSection(tr("Decision and privacy"));
    addChoice(QStringLiteral("classificationMetric"), tr("A classifier is judged on its"),
              {{tr("accuracy"), QStringLiteral("accuracy")}, {tr("log-loss"), QStringLiteral("log_loss")}});
    addReal(QStringLiteral("minImprovement"), tr("Promote when it improves by at least"), realCheck("minImprovement"),
            tr("share: MAE or log-loss 0.02 = 2 % lower; accuracy 0.02 = 2 points higher"));
    addNote(tr("A regression model is judged on its MAE. The improvement must also be sure: the 95 % paired-bootstrap "
               "interval of the difference on the holdout must exclude no improvement."));
    addInteger(QStringLiteral("feedbackRetentionDays"), tr("Keep feedback for"), wholeCheck("feedbackRetentionDays"),
               tr("days"));

    addSection(tr("Training images (an image deployment)"));
    addBool(QStringLiteral("image_augmentation.horizontal_flip"), tr("Mirror half of the images left-right"));
    addReal(QStringLiteral("image_augmentation.max_crop"), tr("Largest random crop"),
            realCheck("image_augmentation.max_crop"), tr("share of each side (0.1 = 10 %; 0 = no crops)"));
    addNote(tr("Where every retrain starts, the guard's too; a run may change them. Turn mirroring off for images "
               "whose meaning changes when mirrored, such as digits or text."));

    connect(m_service, &RetrainService::settingsLoaded, this,
            [this](const QString &deployment, const Result<RetrainSettings> &settings) {
                if (settings)
                    setLoaded(deployment, valuesOf(*settings));
                else
                    setLoadFailed(deployment, settings.errorMessage());
            });
    connect(m_service, &RetrainService::settingsSaved, this,
            [this](const QString &, const Result<RetrainSettings> &settings) {
                if (settings)
                    setSaved(valuesOf(*settings));
                else
                    setSaveFailed(settings.errorMessage());
            });
}

RetrainSettingsEditor::~RetrainSettingsEditor() = default;

SettingsEditor::Values RetrainSettingsEditor::valuesOf(const RetrainSettings &s)
{
    return {{QStringLiteral("windowDays"), qlonglong(s.windowDays)},
            {QStringLiteral("minFeedback"), qlonglong(s.minFeedback)},
            {QStringLiteral("minNegative"), qlonglong(s.minNegative)},
            {QStringLiteral("satisfactionBelow"), s.satisfactionBelow},
            {QStringLiteral("onDriftAlert"), s.onDriftAlert},
            {QStringLiteral("onMaeAboveTarget"), s.onMaeAboveTarget},
            {QStringLiteral("autoRetrain"), s.autoRetrain},
            {QStringLiteral("autoPromote"), s.autoPromote},
            {QStringLiteral("checkIntervalMinutes"), qlonglong(s.checkIntervalMinutes)},
            {QStringLiteral("minImprovement"), s.minImprovement},
            {QStringLiteral("classificationMetric"), s.classificationMetric},
            {QStringLiteral("feedbackRetentionDays"), qlonglong(s.feedbackRetentionDays)},
            {QStringLiteral("image_augmentation.horizontal_flip"), s.imageAugmentation.horizontalFlip},
            {QStringLiteral("image_augmentation.max_crop"), s.imageAugmentation.maxCrop}};
}

void RetrainSettingsEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
}

void RetrainSettingsEditor::load(const QString &deployment)
{
    m_service->loadSettings(deployment);
}

// The fields accepted their values one by one; the whole object is read once more as the store will.
void RetrainSettingsEditor::save(const QString &deployment, const Values &values)
{
    QString error;
    const RetrainSettings settings =
        RetrainSettings::fromJson(RetrainSettings::nested(QJsonObject::fromVariantMap(values)), &error);
    if (!error.isEmpty()) {
        setSaveFailed(error);
        return;
    }
    m_service->saveSettings(deployment, settings);
}

} // namespace mldeck::ui
